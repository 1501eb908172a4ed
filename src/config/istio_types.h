// Typed structs for Istio's networking API (networking.istio.io v1alpha3, v1beta1 and v1 share
// one schema): Gateway, VirtualService, DestinationRule, ServiceEntry, WorkloadEntry, with every
// field of the API reference, including the ones canaryd serves only later. Each struct has a
// Describe() (see reflect.h) naming its JSON fields; members are the JSON names in snake_case.
// Plain data: build on one thread, share read-only.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/reflect.h"

namespace canaryd::config {

using StringMap = std::map<std::string, std::string>;

// ---------------------------------------------------------------- shared messages

struct StringMatch {
  std::optional<std::string> exact;
  std::optional<std::string> prefix;
  std::optional<std::string> regex;
};
template <class V>
void Describe(V& v, StringMatch& t) {
  v("exact", t.exact);
  v("prefix", t.prefix);
  v("regex", t.regex);
}

struct PortSelector {
  std::optional<uint32_t> number;
};
template <class V>
void Describe(V& v, PortSelector& t) {
  v("number", t.number);
}

struct Destination {
  std::string host;
  std::optional<std::string> subset;
  std::optional<PortSelector> port;
};
template <class V>
void Describe(V& v, Destination& t) {
  v("host", t.host, kRequired);
  v("subset", t.subset);
  v("port", t.port);
}

struct Percent {
  std::optional<double> value;
};
template <class V>
void Describe(V& v, Percent& t) {
  v("value", t.value);
}

struct WorkloadSelector {
  StringMap match_labels;  // DestinationRule, Sidecar-style selector
};
template <class V>
void Describe(V& v, WorkloadSelector& t) {
  v("matchLabels", t.match_labels);
}

// ---------------------------------------------------------------- VirtualService

struct HeaderOperations {
  StringMap set;
  StringMap add;
  std::vector<std::string> remove;
};
template <class V>
void Describe(V& v, HeaderOperations& t) {
  v("set", t.set);
  v("add", t.add);
  v("remove", t.remove);
}

struct Headers {
  std::optional<HeaderOperations> request;
  std::optional<HeaderOperations> response;
};
template <class V>
void Describe(V& v, Headers& t) {
  v("request", t.request);
  v("response", t.response);
}

struct HTTPMatchRequest {
  std::optional<std::string> name;
  std::optional<StringMatch> uri;
  std::optional<StringMatch> scheme;
  std::optional<StringMatch> method;
  std::optional<StringMatch> authority;
  std::map<std::string, StringMatch> headers;
  std::optional<uint32_t> port;
  StringMap source_labels;
  std::vector<std::string> gateways;
  std::map<std::string, StringMatch> query_params;
  std::optional<bool> ignore_uri_case;
  std::map<std::string, StringMatch> without_headers;
  std::optional<std::string> source_namespace;
  std::optional<std::string> stat_prefix;
};
template <class V>
void Describe(V& v, HTTPMatchRequest& t) {
  v("name", t.name);
  v("uri", t.uri);
  v("scheme", t.scheme);
  v("method", t.method);
  v("authority", t.authority);
  v("headers", t.headers);
  v("port", t.port);
  v("sourceLabels", t.source_labels);
  v("gateways", t.gateways);
  v("queryParams", t.query_params);
  v("ignoreUriCase", t.ignore_uri_case);
  v("withoutHeaders", t.without_headers);
  v("sourceNamespace", t.source_namespace);
  v("statPrefix", t.stat_prefix);
}

struct HTTPRouteDestination {
  Destination destination;
  std::optional<int32_t> weight;
  std::optional<Headers> headers;
};
template <class V>
void Describe(V& v, HTTPRouteDestination& t) {
  v("destination", t.destination, kRequired);
  v("weight", t.weight);
  v("headers", t.headers);
}

struct RouteDestination {  // TCP and TLS routes
  Destination destination;
  std::optional<int32_t> weight;
};
template <class V>
void Describe(V& v, RouteDestination& t) {
  v("destination", t.destination, kRequired);
  v("weight", t.weight);
}

inline constexpr std::string_view kRedirectPortSelection[] = {"FROM_PROTOCOL_DEFAULT",
                                                              "FROM_REQUEST_PORT"};
struct HTTPRedirect {
  std::optional<std::string> uri;
  std::optional<std::string> prefix_rewrite;  // alternative to uri: replaces the matched prefix
  std::optional<std::string> authority;
  std::optional<uint32_t> port;
  std::optional<std::string> derive_port;
  std::optional<std::string> scheme;
  std::optional<uint32_t> redirect_code;
};
template <class V>
void Describe(V& v, HTTPRedirect& t) {
  v("uri", t.uri);
  v("prefixRewrite", t.prefix_rewrite);
  v("authority", t.authority);
  v("port", t.port);
  v("derivePort", t.derive_port, FieldOptions{.enum_values = kRedirectPortSelection});
  v("scheme", t.scheme);
  v("redirectCode", t.redirect_code);
}

struct HTTPBody {
  std::optional<std::string> string;
  std::optional<std::string> bytes;  // base64
};
template <class V>
void Describe(V& v, HTTPBody& t) {
  v("string", t.string);
  v("bytes", t.bytes);
}

struct HTTPDirectResponse {
  uint32_t status = 0;
  std::optional<HTTPBody> body;
};
template <class V>
void Describe(V& v, HTTPDirectResponse& t) {
  v("status", t.status, kRequired);
  v("body", t.body);
}

struct Delegate {
  std::optional<std::string> name;
  std::optional<std::string> namespace_;
};
template <class V>
void Describe(V& v, Delegate& t) {
  v("name", t.name);
  v("namespace", t.namespace_);
}

struct RegexRewrite {
  std::optional<std::string> match;
  std::optional<std::string> rewrite;
};
template <class V>
void Describe(V& v, RegexRewrite& t) {
  v("match", t.match);
  v("rewrite", t.rewrite);
}

struct HTTPRewrite {
  std::optional<std::string> uri;
  std::optional<std::string> authority;
  std::optional<RegexRewrite> uri_regex_rewrite;
};
template <class V>
void Describe(V& v, HTTPRewrite& t) {
  v("uri", t.uri);
  v("authority", t.authority);
  v("uriRegexRewrite", t.uri_regex_rewrite);
}

struct HTTPRetry {
  std::optional<int32_t> attempts;
  std::optional<Duration> per_try_timeout;
  std::optional<std::string> retry_on;
  std::optional<bool> retry_remote_localities;
  std::optional<bool> retry_ignore_previous_hosts;
  std::optional<Duration> backoff;
};
template <class V>
void Describe(V& v, HTTPRetry& t) {
  v("attempts", t.attempts);
  v("perTryTimeout", t.per_try_timeout);
  v("retryOn", t.retry_on);
  v("retryRemoteLocalities", t.retry_remote_localities);
  v("retryIgnorePreviousHosts", t.retry_ignore_previous_hosts);
  v("backoff", t.backoff);
}

struct HTTPFaultDelay {
  std::optional<Duration> fixed_delay;
  std::optional<Duration> exponential_delay;
  std::optional<Percent> percentage;
  std::optional<int32_t> percent;  // deprecated integer form
};
template <class V>
void Describe(V& v, HTTPFaultDelay& t) {
  v("fixedDelay", t.fixed_delay);
  v("exponentialDelay", t.exponential_delay);
  v("percentage", t.percentage);
  v("percent", t.percent, kDeprecated);
}

struct HTTPFaultAbort {
  std::optional<int32_t> http_status;
  std::optional<std::string> grpc_status;
  std::optional<std::string> http2_error;
  std::optional<Percent> percentage;
};
template <class V>
void Describe(V& v, HTTPFaultAbort& t) {
  v("httpStatus", t.http_status);
  v("grpcStatus", t.grpc_status);
  v("http2Error", t.http2_error);
  v("percentage", t.percentage);
}

struct HTTPFaultInjection {
  std::optional<HTTPFaultDelay> delay;
  std::optional<HTTPFaultAbort> abort;
};
template <class V>
void Describe(V& v, HTTPFaultInjection& t) {
  v("delay", t.delay);
  v("abort", t.abort);
}

struct HTTPMirrorPolicy {
  Destination destination;
  std::optional<Percent> percentage;
};
template <class V>
void Describe(V& v, HTTPMirrorPolicy& t) {
  v("destination", t.destination, kRequired);
  v("percentage", t.percentage);
}

inline constexpr std::string_view kUnmatchedPreflights[] = {"UNSPECIFIED", "FORWARD", "IGNORE"};
struct CorsPolicy {
  std::vector<std::string> allow_origin;  // deprecated: exact origins
  std::vector<StringMatch> allow_origins;
  std::vector<std::string> allow_methods;
  std::vector<std::string> allow_headers;
  std::vector<std::string> expose_headers;
  std::optional<Duration> max_age;
  std::optional<bool> allow_credentials;
  std::optional<std::string> unmatched_preflights;
};
template <class V>
void Describe(V& v, CorsPolicy& t) {
  v("allowOrigin", t.allow_origin, kDeprecated);
  v("allowOrigins", t.allow_origins);
  v("allowMethods", t.allow_methods);
  v("allowHeaders", t.allow_headers);
  v("exposeHeaders", t.expose_headers);
  v("maxAge", t.max_age);
  v("allowCredentials", t.allow_credentials);
  v("unmatchedPreflights", t.unmatched_preflights,
    FieldOptions{.enum_values = kUnmatchedPreflights});
}

struct HTTPRoute {
  std::optional<std::string> name;
  std::vector<HTTPMatchRequest> match;
  std::vector<HTTPRouteDestination> route;
  std::optional<HTTPRedirect> redirect;
  std::optional<HTTPDirectResponse> direct_response;
  std::optional<Delegate> delegate;
  std::optional<HTTPRewrite> rewrite;
  std::optional<Duration> timeout;
  std::optional<HTTPRetry> retries;
  std::optional<HTTPFaultInjection> fault;
  std::optional<Destination> mirror;
  std::vector<HTTPMirrorPolicy> mirrors;
  std::optional<uint32_t> mirror_percent;  // deprecated
  std::optional<Percent> mirror_percentage;
  std::optional<CorsPolicy> cors_policy;
  std::optional<Headers> headers;
};
template <class V>
void Describe(V& v, HTTPRoute& t) {
  v("name", t.name);
  v("match", t.match);
  v("route", t.route);
  v("redirect", t.redirect);
  v("directResponse", t.direct_response);
  v("delegate", t.delegate);
  v("rewrite", t.rewrite);
  v("timeout", t.timeout);
  v("retries", t.retries);
  v("fault", t.fault);
  v("mirror", t.mirror);
  v("mirrors", t.mirrors);
  v("mirrorPercent", t.mirror_percent, kDeprecated);
  v("mirrorPercentage", t.mirror_percentage);
  v("corsPolicy", t.cors_policy);
  v("headers", t.headers);
}

struct TLSMatchAttributes {
  std::vector<std::string> sni_hosts;
  std::vector<std::string> destination_subnets;
  std::optional<uint32_t> port;
  StringMap source_labels;
  std::vector<std::string> gateways;
  std::optional<std::string> source_namespace;
};
template <class V>
void Describe(V& v, TLSMatchAttributes& t) {
  v("sniHosts", t.sni_hosts, kRequired);
  v("destinationSubnets", t.destination_subnets);
  v("port", t.port);
  v("sourceLabels", t.source_labels);
  v("gateways", t.gateways);
  v("sourceNamespace", t.source_namespace);
}

struct TLSRoute {
  std::vector<TLSMatchAttributes> match;
  std::vector<RouteDestination> route;
};
template <class V>
void Describe(V& v, TLSRoute& t) {
  v("match", t.match, kRequired);
  v("route", t.route);
}

struct L4MatchAttributes {
  std::vector<std::string> destination_subnets;
  std::optional<uint32_t> port;
  std::optional<std::string> source_subnet;
  StringMap source_labels;
  std::vector<std::string> gateways;
  std::optional<std::string> source_namespace;
};
template <class V>
void Describe(V& v, L4MatchAttributes& t) {
  v("destinationSubnets", t.destination_subnets);
  v("port", t.port);
  v("sourceSubnet", t.source_subnet);
  v("sourceLabels", t.source_labels);
  v("gateways", t.gateways);
  v("sourceNamespace", t.source_namespace);
}

struct TCPRoute {
  std::vector<L4MatchAttributes> match;
  std::vector<RouteDestination> route;
};
template <class V>
void Describe(V& v, TCPRoute& t) {
  v("match", t.match);
  v("route", t.route);
}

struct VirtualServiceSpec {
  std::vector<std::string> hosts;
  std::vector<std::string> gateways;
  std::vector<HTTPRoute> http;
  std::vector<TLSRoute> tls;
  std::vector<TCPRoute> tcp;
  std::vector<std::string> export_to;
};
template <class V>
void Describe(V& v, VirtualServiceSpec& t) {
  v("hosts", t.hosts);
  v("gateways", t.gateways);
  v("http", t.http);
  v("tls", t.tls);
  v("tcp", t.tcp);
  v("exportTo", t.export_to);
}

// ---------------------------------------------------------------- Gateway

struct GatewayPort {
  uint32_t number = 0;
  std::string protocol;
  std::string name;
  std::optional<uint32_t> target_port;
};
template <class V>
void Describe(V& v, GatewayPort& t) {
  v("number", t.number, kRequired);
  v("protocol", t.protocol, kRequired);
  v("name", t.name, kRequired);
  v("targetPort", t.target_port);
}

struct TLSCertificate {
  std::optional<std::string> server_certificate;
  std::optional<std::string> private_key;
  std::optional<std::string> ca_certificates;
};
template <class V>
void Describe(V& v, TLSCertificate& t) {
  v("serverCertificate", t.server_certificate);
  v("privateKey", t.private_key);
  v("caCertificates", t.ca_certificates);
}

inline constexpr std::string_view kServerTLSModes[] = {
    "PASSTHROUGH", "SIMPLE", "MUTUAL", "AUTO_PASSTHROUGH", "ISTIO_MUTUAL", "OPTIONAL_MUTUAL"};
inline constexpr std::string_view kTLSProtocols[] = {"TLS_AUTO", "TLSV1_0", "TLSV1_1", "TLSV1_2",
                                                     "TLSV1_3"};
struct ServerTLSSettings {
  std::optional<bool> https_redirect;
  std::optional<std::string> mode;
  std::optional<std::string> server_certificate;
  std::optional<std::string> private_key;
  std::optional<std::string> ca_certificates;
  std::optional<std::string> ca_crl;
  std::optional<std::string> credential_name;
  std::vector<std::string> credential_names;
  std::optional<std::string> ca_cert_credential_name;
  std::vector<TLSCertificate> tls_certificates;
  std::vector<std::string> subject_alt_names;
  std::vector<std::string> verify_certificate_spki;
  std::vector<std::string> verify_certificate_hash;
  std::optional<std::string> min_protocol_version;
  std::optional<std::string> max_protocol_version;
  std::vector<std::string> cipher_suites;
};
template <class V>
void Describe(V& v, ServerTLSSettings& t) {
  v("httpsRedirect", t.https_redirect);
  v("mode", t.mode, FieldOptions{.enum_values = kServerTLSModes});
  v("serverCertificate", t.server_certificate);
  v("privateKey", t.private_key);
  v("caCertificates", t.ca_certificates);
  v("caCrl", t.ca_crl);
  v("credentialName", t.credential_name);
  v("credentialNames", t.credential_names);
  v("caCertCredentialName", t.ca_cert_credential_name);
  v("tlsCertificates", t.tls_certificates);
  v("subjectAltNames", t.subject_alt_names);
  v("verifyCertificateSpki", t.verify_certificate_spki);
  v("verifyCertificateHash", t.verify_certificate_hash);
  v("minProtocolVersion", t.min_protocol_version, FieldOptions{.enum_values = kTLSProtocols});
  v("maxProtocolVersion", t.max_protocol_version, FieldOptions{.enum_values = kTLSProtocols});
  v("cipherSuites", t.cipher_suites);
}

struct Server {
  GatewayPort port;
  std::optional<std::string> bind;
  std::vector<std::string> hosts;
  std::optional<ServerTLSSettings> tls;
  std::optional<std::string> default_endpoint;
  std::optional<std::string> name;
};
template <class V>
void Describe(V& v, Server& t) {
  v("port", t.port, kRequired);
  v("bind", t.bind);
  v("hosts", t.hosts, kRequired);
  v("tls", t.tls);
  v("defaultEndpoint", t.default_endpoint);
  v("name", t.name);
}

struct GatewaySpec {
  std::vector<Server> servers;
  StringMap selector;
};
template <class V>
void Describe(V& v, GatewaySpec& t) {
  v("servers", t.servers);
  v("selector", t.selector);
}

// ---------------------------------------------------------------- DestinationRule

struct HTTPCookieAttribute {
  std::string name;
  std::optional<std::string> value;
};
template <class V>
void Describe(V& v, HTTPCookieAttribute& t) {
  v("name", t.name, kRequired);
  v("value", t.value);
}

struct HTTPCookie {
  std::string name;
  std::optional<std::string> path;
  std::optional<Duration> ttl;
  std::vector<HTTPCookieAttribute> attributes;
};
template <class V>
void Describe(V& v, HTTPCookie& t) {
  v("name", t.name, kRequired);
  v("path", t.path);
  v("ttl", t.ttl);
  v("attributes", t.attributes);
}

struct RingHash {
  std::optional<uint64_t> minimum_ring_size;
};
template <class V>
void Describe(V& v, RingHash& t) {
  v("minimumRingSize", t.minimum_ring_size);
}

struct MagLev {
  std::optional<uint64_t> table_size;
};
template <class V>
void Describe(V& v, MagLev& t) {
  v("tableSize", t.table_size);
}

struct ConsistentHashLB {
  std::optional<std::string> http_header_name;
  std::optional<HTTPCookie> http_cookie;
  std::optional<bool> use_source_ip;
  std::optional<std::string> http_query_parameter_name;
  std::optional<RingHash> ring_hash;
  std::optional<MagLev> maglev;
  std::optional<uint64_t> minimum_ring_size;  // deprecated
};
template <class V>
void Describe(V& v, ConsistentHashLB& t) {
  v("httpHeaderName", t.http_header_name);
  v("httpCookie", t.http_cookie);
  v("useSourceIp", t.use_source_ip);
  v("httpQueryParameterName", t.http_query_parameter_name);
  v("ringHash", t.ring_hash);
  v("maglev", t.maglev);
  v("minimumRingSize", t.minimum_ring_size, kDeprecated);
}

struct LocalityDistribute {
  std::optional<std::string> from;
  std::map<std::string, uint32_t> to;
};
template <class V>
void Describe(V& v, LocalityDistribute& t) {
  v("from", t.from);
  v("to", t.to);
}

struct LocalityFailover {
  std::optional<std::string> from;
  std::optional<std::string> to;
};
template <class V>
void Describe(V& v, LocalityFailover& t) {
  v("from", t.from);
  v("to", t.to);
}

struct LocalityLoadBalancerSetting {
  std::vector<LocalityDistribute> distribute;
  std::vector<LocalityFailover> failover;
  std::vector<std::string> failover_priority;
  std::optional<bool> enabled;
};
template <class V>
void Describe(V& v, LocalityLoadBalancerSetting& t) {
  v("distribute", t.distribute);
  v("failover", t.failover);
  v("failoverPriority", t.failover_priority);
  v("enabled", t.enabled);
}

struct WarmupConfiguration {
  std::optional<Duration> duration;
  std::optional<double> minimum_percent;
  std::optional<double> aggression;
};
template <class V>
void Describe(V& v, WarmupConfiguration& t) {
  v("duration", t.duration, kRequired);
  v("minimumPercent", t.minimum_percent);
  v("aggression", t.aggression);
}

struct ZoneAwareFailover {
  std::optional<std::string> from;
  std::optional<std::string> to;
};
template <class V>
void Describe(V& v, ZoneAwareFailover& t) {
  v("from", t.from);
  v("to", t.to);
}

struct ZoneAwareLoadBalancerSetting {
  std::optional<bool> enabled;
  std::vector<ZoneAwareFailover> failover;
  std::vector<std::string> failover_priority;
  std::optional<uint32_t> min_cluster_size;
};
template <class V>
void Describe(V& v, ZoneAwareLoadBalancerSetting& t) {
  v("enabled", t.enabled);
  v("failover", t.failover);
  v("failoverPriority", t.failover_priority);
  v("minClusterSize", t.min_cluster_size);
}

inline constexpr std::string_view kSimpleLB[] = {"UNSPECIFIED", "LEAST_CONN",  "RANDOM",
                                                 "PASSTHROUGH", "ROUND_ROBIN", "LEAST_REQUEST"};
struct LoadBalancerSettings {
  std::optional<std::string> simple;
  std::optional<ConsistentHashLB> consistent_hash;
  std::optional<LocalityLoadBalancerSetting> locality_lb_setting;
  std::optional<Duration> warmup_duration_secs;  // deprecated in favour of warmup
  std::optional<WarmupConfiguration> warmup;
  std::optional<ZoneAwareLoadBalancerSetting> zone_aware_lb_setting;
};
template <class V>
void Describe(V& v, LoadBalancerSettings& t) {
  v("simple", t.simple, FieldOptions{.enum_values = kSimpleLB});
  v("consistentHash", t.consistent_hash);
  v("localityLbSetting", t.locality_lb_setting);
  v("warmupDurationSecs", t.warmup_duration_secs, kDeprecated);
  v("warmup", t.warmup);
  v("zoneAwareLbSetting", t.zone_aware_lb_setting);
}

struct TcpKeepalive {
  std::optional<uint32_t> probes;
  std::optional<Duration> time;
  std::optional<Duration> interval;
};
template <class V>
void Describe(V& v, TcpKeepalive& t) {
  v("probes", t.probes);
  v("time", t.time);
  v("interval", t.interval);
}

struct TCPSettings {
  std::optional<int32_t> max_connections;
  std::optional<Duration> connect_timeout;
  std::optional<TcpKeepalive> tcp_keepalive;
  std::optional<Duration> max_connection_duration;
  std::optional<Duration> idle_timeout;
};
template <class V>
void Describe(V& v, TCPSettings& t) {
  v("maxConnections", t.max_connections);
  v("connectTimeout", t.connect_timeout);
  v("tcpKeepalive", t.tcp_keepalive);
  v("maxConnectionDuration", t.max_connection_duration);
  v("idleTimeout", t.idle_timeout);
}

struct ConnectionKeepalive {  // HTTP/2 PINGs on upstream connections
  std::optional<Duration> interval;
  std::optional<Duration> timeout;
};
template <class V>
void Describe(V& v, ConnectionKeepalive& t) {
  v("interval", t.interval);
  v("timeout", t.timeout);
}

inline constexpr std::string_view kH2UpgradePolicy[] = {"DEFAULT", "DO_NOT_UPGRADE", "UPGRADE"};
struct HTTPSettings {
  std::optional<int32_t> http1_max_pending_requests;
  std::optional<int32_t> http2_max_requests;
  std::optional<int32_t> max_requests_per_connection;
  std::optional<int32_t> max_retries;
  std::optional<Duration> idle_timeout;
  std::optional<std::string> h2_upgrade_policy;
  std::optional<bool> use_client_protocol;
  std::optional<int32_t> max_concurrent_streams;
  std::optional<ConnectionKeepalive> http2_keep_alive;
};
template <class V>
void Describe(V& v, HTTPSettings& t) {
  v("http1MaxPendingRequests", t.http1_max_pending_requests);
  v("http2MaxRequests", t.http2_max_requests);
  v("maxRequestsPerConnection", t.max_requests_per_connection);
  v("maxRetries", t.max_retries);
  v("idleTimeout", t.idle_timeout);
  v("h2UpgradePolicy", t.h2_upgrade_policy, FieldOptions{.enum_values = kH2UpgradePolicy});
  v("useClientProtocol", t.use_client_protocol);
  v("maxConcurrentStreams", t.max_concurrent_streams);
  v("http2KeepAlive", t.http2_keep_alive);
}

struct ConnectionPoolSettings {
  std::optional<TCPSettings> tcp;
  std::optional<HTTPSettings> http;
};
template <class V>
void Describe(V& v, ConnectionPoolSettings& t) {
  v("tcp", t.tcp);
  v("http", t.http);
}

struct OutlierDetection {
  std::optional<bool> split_external_local_origin_errors;
  std::optional<uint32_t> consecutive_local_origin_failures;
  std::optional<uint32_t> consecutive_gateway_errors;
  std::optional<uint32_t> consecutive_5xx_errors;
  std::optional<Duration> interval;
  std::optional<Duration> base_ejection_time;
  std::optional<int32_t> max_ejection_percent;
  std::optional<int32_t> min_health_percent;
  std::optional<int32_t> consecutive_errors;  // deprecated
};
template <class V>
void Describe(V& v, OutlierDetection& t) {
  v("splitExternalLocalOriginErrors", t.split_external_local_origin_errors);
  v("consecutiveLocalOriginFailures", t.consecutive_local_origin_failures);
  v("consecutiveGatewayErrors", t.consecutive_gateway_errors);
  v("consecutive5xxErrors", t.consecutive_5xx_errors);
  v("interval", t.interval);
  v("baseEjectionTime", t.base_ejection_time);
  v("maxEjectionPercent", t.max_ejection_percent);
  v("minHealthPercent", t.min_health_percent);
  v("consecutiveErrors", t.consecutive_errors, kDeprecated);
}

inline constexpr std::string_view kClientTLSModes[] = {"DISABLE", "SIMPLE", "MUTUAL",
                                                       "ISTIO_MUTUAL"};
struct ClientTLSSettings {
  std::optional<std::string> mode;
  std::optional<std::string> client_certificate;
  std::optional<std::string> private_key;
  std::optional<std::string> ca_certificates;
  std::optional<std::string> credential_name;
  std::vector<std::string> subject_alt_names;
  std::optional<std::string> sni;
  std::optional<bool> insecure_skip_verify;
  std::optional<std::string> ca_crl;
};
template <class V>
void Describe(V& v, ClientTLSSettings& t) {
  v("mode", t.mode, FieldOptions{.enum_values = kClientTLSModes});
  v("clientCertificate", t.client_certificate);
  v("privateKey", t.private_key);
  v("caCertificates", t.ca_certificates);
  v("credentialName", t.credential_name);
  v("subjectAltNames", t.subject_alt_names);
  v("sni", t.sni);
  v("insecureSkipVerify", t.insecure_skip_verify);
  v("caCrl", t.ca_crl);
}

struct TunnelSettings {
  std::string protocol;
  std::string target_host;
  uint32_t target_port = 0;
};
template <class V>
void Describe(V& v, TunnelSettings& t) {
  v("protocol", t.protocol);
  v("targetHost", t.target_host, kRequired);
  v("targetPort", t.target_port, kRequired);
}

inline constexpr std::string_view kProxyProtocolVersions[] = {"V1", "V2"};
struct ProxyProtocol {
  std::optional<std::string> version;
};
template <class V>
void Describe(V& v, ProxyProtocol& t) {
  v("version", t.version, FieldOptions{.enum_values = kProxyProtocolVersions});
}

struct RetryBudget {
  std::optional<double> percent;
  std::optional<uint32_t> min_retry_concurrency;
  std::optional<Duration> budget_interval;
};
template <class V>
void Describe(V& v, RetryBudget& t) {
  v("percent", t.percent);
  v("minRetryConcurrency", t.min_retry_concurrency);
  v("budgetInterval", t.budget_interval);
}

struct PortTrafficPolicy {
  std::optional<PortSelector> port;
  std::optional<LoadBalancerSettings> load_balancer;
  std::optional<ConnectionPoolSettings> connection_pool;
  std::optional<OutlierDetection> outlier_detection;
  std::optional<ClientTLSSettings> tls;
};
template <class V>
void Describe(V& v, PortTrafficPolicy& t) {
  v("port", t.port);
  v("loadBalancer", t.load_balancer);
  v("connectionPool", t.connection_pool);
  v("outlierDetection", t.outlier_detection);
  v("tls", t.tls);
}

struct TrafficPolicy {
  std::optional<LoadBalancerSettings> load_balancer;
  std::optional<ConnectionPoolSettings> connection_pool;
  std::optional<OutlierDetection> outlier_detection;
  std::optional<ClientTLSSettings> tls;
  std::vector<PortTrafficPolicy> port_level_settings;
  std::optional<TunnelSettings> tunnel;
  std::optional<ProxyProtocol> proxy_protocol;
  std::optional<RetryBudget> retry_budget;
};
template <class V>
void Describe(V& v, TrafficPolicy& t) {
  v("loadBalancer", t.load_balancer);
  v("connectionPool", t.connection_pool);
  v("outlierDetection", t.outlier_detection);
  v("tls", t.tls);
  v("portLevelSettings", t.port_level_settings);
  v("tunnel", t.tunnel);
  v("proxyProtocol", t.proxy_protocol);
  v("retryBudget", t.retry_budget);
}

struct Subset {
  std::string name;
  StringMap labels;
  std::optional<TrafficPolicy> traffic_policy;
};
template <class V>
void Describe(V& v, Subset& t) {
  v("name", t.name, kRequired);
  v("labels", t.labels);
  v("trafficPolicy", t.traffic_policy);
}

struct DestinationRuleSpec {
  std::string host;
  std::optional<TrafficPolicy> traffic_policy;
  std::vector<Subset> subsets;
  std::vector<std::string> export_to;
  std::optional<WorkloadSelector> workload_selector;
};
template <class V>
void Describe(V& v, DestinationRuleSpec& t) {
  v("host", t.host, kRequired);
  v("trafficPolicy", t.traffic_policy);
  v("subsets", t.subsets);
  v("exportTo", t.export_to);
  v("workloadSelector", t.workload_selector);
}

// ---------------------------------------------------------------- WorkloadEntry, ServiceEntry

struct WorkloadEntrySpec {
  std::optional<std::string> address;
  std::map<std::string, uint32_t> ports;
  StringMap labels;
  std::optional<std::string> network;
  std::optional<std::string> locality;
  std::optional<uint32_t> weight;
  std::optional<std::string> service_account;
};
template <class V>
void Describe(V& v, WorkloadEntrySpec& t) {
  v("address", t.address);
  v("ports", t.ports);
  v("labels", t.labels);
  v("network", t.network);
  v("locality", t.locality);
  v("weight", t.weight);
  v("serviceAccount", t.service_account);
}

struct ServicePort {
  uint32_t number = 0;
  std::optional<std::string> protocol;
  std::string name;
  std::optional<uint32_t> target_port;
};
template <class V>
void Describe(V& v, ServicePort& t) {
  v("number", t.number, kRequired);
  v("protocol", t.protocol);
  v("name", t.name, kRequired);
  v("targetPort", t.target_port);
}

struct EntryWorkloadSelector {
  StringMap labels;
};
template <class V>
void Describe(V& v, EntryWorkloadSelector& t) {
  v("labels", t.labels);
}

inline constexpr std::string_view kServiceEntryLocations[] = {"MESH_EXTERNAL", "MESH_INTERNAL"};
inline constexpr std::string_view kServiceEntryResolutions[] = {"NONE", "STATIC", "DNS",
                                                                "DNS_ROUND_ROBIN"};
struct ServiceEntrySpec {
  std::vector<std::string> hosts;
  std::vector<std::string> addresses;
  std::vector<ServicePort> ports;
  std::optional<std::string> location;
  std::optional<std::string> resolution;
  std::vector<WorkloadEntrySpec> endpoints;
  std::optional<EntryWorkloadSelector> workload_selector;
  std::vector<std::string> export_to;
  std::vector<std::string> subject_alt_names;
};
template <class V>
void Describe(V& v, ServiceEntrySpec& t) {
  v("hosts", t.hosts, kRequired);
  v("addresses", t.addresses);
  v("ports", t.ports);
  v("location", t.location, FieldOptions{.enum_values = kServiceEntryLocations});
  v("resolution", t.resolution, FieldOptions{.enum_values = kServiceEntryResolutions});
  v("endpoints", t.endpoints);
  v("workloadSelector", t.workload_selector);
  v("exportTo", t.export_to);
  v("subjectAltNames", t.subject_alt_names);
}

}  // namespace canaryd::config

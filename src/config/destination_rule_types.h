// DestinationRule (networking.istio.io), every field of Istio's API reference, with Describe()
// (see reflect.h): JSON names, documentation, and what canaryd accepts but does not serve yet
// (it serves subsets, loadBalancer.simple and consistentHash, outlierDetection and
// connectionPool.tcp.connectTimeout). Plain data:
// build on one thread, share read-only.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/istio_common_types.h"
#include "config/reflect.h"

namespace canaryd::config {

struct HTTPCookieAttribute {
  std::string name;
  std::optional<std::string> value;
};
template <class V>
void Describe(V& v, HTTPCookieAttribute& t) {
  v("name", t.name, {.doc = "The attribute's name, such as SameSite.", .required = true});
  v("value", t.value, {.doc = "The attribute's value, such as Strict."});
}

struct HTTPCookie {
  std::string name;
  std::optional<std::string> path;
  std::optional<Duration> ttl;
  std::vector<HTTPCookieAttribute> attributes;
};
template <class V>
void Describe(V& v, HTTPCookie& t) {
  v("name", t.name, {.doc = "The cookie's name.", .required = true});
  v("path", t.path, {.doc = "The cookie's path."});
  v("ttl", t.ttl,
    {.doc = "The lifetime of a cookie the proxy sets when the request has none; 0 makes it a "
            "session cookie."});
  v("attributes", t.attributes, {.doc = "Further attributes of a cookie the proxy sets."});
}

struct RingHash {
  std::optional<uint64_t> minimum_ring_size;
};
template <class V>
void Describe(V& v, RingHash& t) {
  v("minimumRingSize", t.minimum_ring_size,
    {.doc = "The least number of entries of the hash ring (1024 by default)."});
}

struct MagLev {
  std::optional<uint64_t> table_size;
};
template <class V>
void Describe(V& v, MagLev& t) {
  v("tableSize", t.table_size, {.doc = "The size of the Maglev lookup table, a prime number."});
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
  v("httpHeaderName", t.http_header_name, {.doc = "Hash on the value of this request header."});
  v("httpCookie", t.http_cookie, {.doc = "Hash on this cookie, set by the proxy when missing."});
  v("useSourceIp", t.use_source_ip, {.doc = "Hash on the client's IP address."});
  v("httpQueryParameterName", t.http_query_parameter_name,
    {.doc = "Hash on the value of this query parameter."});
  v("ringHash", t.ring_hash, {.doc = "Use a ring hash (Ketama) to pick the endpoint."});
  v("maglev", t.maglev, {.doc = "Use Maglev hashing to pick the endpoint."});
  v("minimumRingSize", t.minimum_ring_size,
    {.doc = "The least size of the hash ring; use ringHash.minimumRingSize.", .deprecated = true});
}

struct LocalityDistribute {
  std::optional<std::string> from;
  std::map<std::string, uint32_t> to;
};
template <class V>
void Describe(V& v, LocalityDistribute& t) {
  v("from", t.from, {.doc = "The origin locality, region/zone/sub-zone, with * wildcards."});
  v("to", t.to, {.doc = "Destination localities and the percentage each gets; they sum to 100."});
}

struct LocalityFailover {
  std::optional<std::string> from;
  std::optional<std::string> to;
};
template <class V>
void Describe(V& v, LocalityFailover& t) {
  v("from", t.from, {.doc = "The region traffic comes from."});
  v("to", t.to, {.doc = "The region to fail over to when its endpoints are unhealthy."});
}

struct LocalityLoadBalancerSetting {
  std::vector<LocalityDistribute> distribute;
  std::vector<LocalityFailover> failover;
  std::vector<std::string> failover_priority;
  std::optional<bool> enabled;
};
template <class V>
void Describe(V& v, LocalityLoadBalancerSetting& t) {
  v("distribute", t.distribute,
    {.doc = "How traffic from each locality is spread over localities."});
  v("failover", t.failover, {.doc = "Where traffic goes when a region has no healthy endpoints."});
  v("failoverPriority", t.failover_priority,
    {.doc = "Labels by which endpoints are ordered into failover priorities."});
  v("enabled", t.enabled, {.doc = "Turns locality-aware load balancing on or off."});
}

struct WarmupConfiguration {
  std::optional<Duration> duration;
  std::optional<double> minimum_percent;
  std::optional<double> aggression;
};
template <class V>
void Describe(V& v, WarmupConfiguration& t) {
  v("duration", t.duration,
    {.doc = "How long a new endpoint takes to get its full share of traffic.", .required = true});
  v("minimumPercent", t.minimum_percent,
    {.doc = "The share (0-100) of its full traffic a new endpoint gets at first."});
  v("aggression", t.aggression,
    {.doc = "The curve of the ramp: 1 is linear, higher values ramp up faster late."});
}

struct ZoneAwareFailover {
  std::optional<std::string> from;
  std::optional<std::string> to;
};
template <class V>
void Describe(V& v, ZoneAwareFailover& t) {
  v("from", t.from, {.doc = "The zone traffic comes from."});
  v("to", t.to, {.doc = "The zone to fail over to."});
}

struct ZoneAwareLoadBalancerSetting {
  std::optional<bool> enabled;
  std::vector<ZoneAwareFailover> failover;
  std::vector<std::string> failover_priority;
  std::optional<uint32_t> min_cluster_size;
};
template <class V>
void Describe(V& v, ZoneAwareLoadBalancerSetting& t) {
  v("enabled", t.enabled, {.doc = "Turns zone-aware routing on or off."});
  v("failover", t.failover, {.doc = "Where traffic goes when a zone has no healthy endpoints."});
  v("failoverPriority", t.failover_priority,
    {.doc = "Labels by which endpoints are ordered into failover priorities."});
  v("minClusterSize", t.min_cluster_size,
    {.doc = "The least number of endpoints for zone-aware routing to apply."});
}

inline constexpr std::string_view kSimpleLB[] = {"UNSPECIFIED", "LEAST_CONN",  "RANDOM",
                                                 "PASSTHROUGH", "ROUND_ROBIN", "LEAST_REQUEST"};
inline constexpr std::string_view kNotServedSimpleLB[] = {"PASSTHROUGH"};
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
  v("simple", t.simple,
    {.doc = "How an endpoint is picked: LEAST_REQUEST (the default: the less loaded of two "
            "random endpoints; LEAST_CONN is the same), ROUND_ROBIN, RANDOM, or PASSTHROUGH (to "
            "the address the client asked for).",
     .enum_values = kSimpleLB,
     .not_served = "load balancer",
     .not_served_values = kNotServedSimpleLB});
  v("consistentHash", t.consistent_hash,
    {
        .doc = "Picks endpoints by a hash of a header, cookie, query parameter or the client's "
               "address, for session affinity.",
    });
  v("localityLbSetting", t.locality_lb_setting,
    {.doc = "Locality-aware load balancing: distribution and failover between localities.",
     .not_served = "locality load balancing (localityLbSetting)"});
  v("warmupDurationSecs", t.warmup_duration_secs,
    {.doc = "How long new endpoints are warmed up; use warmup.",
     .deprecated = true,
     .not_served = "slow start (warmupDurationSecs)"});
  v("warmup", t.warmup,
    {.doc = "Slow start: new endpoints get a growing share of the traffic.",
     .not_served = "slow start (warmup)"});
  v("zoneAwareLbSetting", t.zone_aware_lb_setting,
    {.doc = "Zone-aware routing: keep traffic in the client's zone.",
     .not_served = "zone-aware load balancing (zoneAwareLbSetting)"});
}

struct TcpKeepalive {
  std::optional<uint32_t> probes;
  std::optional<Duration> time;
  std::optional<Duration> interval;
};
template <class V>
void Describe(V& v, TcpKeepalive& t) {
  v("probes", t.probes, {.doc = "Unanswered probes before the connection is considered dead."});
  v("time", t.time, {.doc = "Idle time before the first probe, at least 1s."});
  v("interval", t.interval, {.doc = "Time between probes, at least 1s."});
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
  v("maxConnections", t.max_connections,
    {.doc = "The most connections to the destination at once (per worker; over HTTP/1.1 a "
            "request in flight holds one, so it bounds the requests in flight)."});
  v("connectTimeout", t.connect_timeout,
    {.doc = "How long a connection attempt may take, at least 1ms; then 503 UF."});
  v("tcpKeepalive", t.tcp_keepalive,
    {.doc = "TCP keep-alive probes on upstream connections.",
     .not_served = "connectionPool.tcp.tcpKeepalive"});
  v("maxConnectionDuration", t.max_connection_duration,
    {.doc = "The longest an upstream connection lives, at least 1ms.",
     .not_served = "connectionPool.tcp.maxConnectionDuration"});
  v("idleTimeout", t.idle_timeout,
    {.doc = "How long an idle upstream connection is kept, at least 1ms.",
     .not_served = "connectionPool.tcp.idleTimeout"});
}

struct ConnectionKeepalive {  // HTTP/2 PINGs on upstream connections
  std::optional<Duration> interval;
  std::optional<Duration> timeout;
};
template <class V>
void Describe(V& v, ConnectionKeepalive& t) {
  v("interval", t.interval, {.doc = "Time between HTTP/2 PING frames on idle connections."});
  v("timeout", t.timeout, {.doc = "How long to wait for a PING's answer."});
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
  v("http1MaxPendingRequests", t.http1_max_pending_requests,
    {.doc = "The most requests waiting for a connection (per worker); more get 503 UO."});
  v("http2MaxRequests", t.http2_max_requests,
    {.doc = "The most requests in flight to the destination (per worker)."});
  v("maxRequestsPerConnection", t.max_requests_per_connection,
    {.doc = "Requests after which an upstream connection is closed; 0 or unset: no limit."});
  v("maxRetries", t.max_retries,
    {.doc = "The most retries in flight to the destination (per worker); more are not made (UO)."});
  v("idleTimeout", t.idle_timeout,
    {.doc = "How long an idle upstream connection is kept.",
     .not_served = "connectionPool.http.idleTimeout"});
  v("h2UpgradePolicy", t.h2_upgrade_policy,
    {.doc = "Whether HTTP/1.1 upstream connections are upgraded to HTTP/2.",
     .enum_values = kH2UpgradePolicy,
     .not_served = "HTTP/2 to upstreams (h2UpgradePolicy)"});
  v("useClientProtocol", t.use_client_protocol,
    {.doc = "Speak the client's HTTP version to the destination.",
     .not_served = "HTTP/2 to upstreams (useClientProtocol)"});
  v("maxConcurrentStreams", t.max_concurrent_streams,
    {.doc = "The most concurrent streams on one HTTP/2 connection.",
     .not_served = "HTTP/2 to upstreams (maxConcurrentStreams)"});
  v("http2KeepAlive", t.http2_keep_alive,
    {.doc = "HTTP/2 PINGs on upstream connections.",
     .not_served = "HTTP/2 to upstreams (http2KeepAlive)"});
}

struct ConnectionPoolSettings {
  std::optional<TCPSettings> tcp;
  std::optional<HTTPSettings> http;
};
template <class V>
void Describe(V& v, ConnectionPoolSettings& t) {
  v("tcp", t.tcp, {.doc = "Limits and timeouts of upstream connections."});
  v("http", t.http, {.doc = "Limits of HTTP requests to the destination (circuit breaking)."});
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
  v("splitExternalLocalOriginErrors", t.split_external_local_origin_errors,
    {.doc = "Count connection failures (local origin) apart from upstream errors."});
  v("consecutiveLocalOriginFailures", t.consecutive_local_origin_failures,
    {.doc = "Local-origin failures in a row that eject an endpoint."});
  v("consecutiveGatewayErrors", t.consecutive_gateway_errors,
    {.doc = "502, 503 and 504 answers in a row that eject an endpoint."});
  v("consecutive5xxErrors", t.consecutive_5xx_errors,
    {.doc = "5xx answers in a row that eject an endpoint (5 by default)."});
  v("interval", t.interval, {.doc = "How often endpoints are evaluated, at least 1ms."});
  v("baseEjectionTime", t.base_ejection_time,
    {.doc = "How long an endpoint is first ejected, longer each time; at least 1ms."});
  v("maxEjectionPercent", t.max_ejection_percent,
    {.doc = "The largest share (0-100) of the endpoints that may be ejected."});
  v("minHealthPercent", t.min_health_percent,
    {.doc = "Below this share (0-100) of healthy endpoints, ejection is turned off."});
  v("consecutiveErrors", t.consecutive_errors,
    {.doc = "Errors in a row that eject an endpoint; use consecutiveGatewayErrors or "
            "consecutive5xxErrors.",
     .deprecated = true});
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
  v("mode", t.mode,
    {.doc = "DISABLE (plain text), SIMPLE (TLS), MUTUAL (TLS with a client certificate) or "
            "ISTIO_MUTUAL (Istio's mesh certificates).",
     .enum_values = kClientTLSModes});
  v("clientCertificate", t.client_certificate,
    {.doc = "Path of the client certificate file (MUTUAL)."});
  v("privateKey", t.private_key, {.doc = "Path of the client's private key file (MUTUAL)."});
  v("caCertificates", t.ca_certificates,
    {.doc = "Path of the CA certificates that verify the server."});
  v("credentialName", t.credential_name,
    {.doc = "The name of a Secret holding the client certificate, key and CA."});
  v("subjectAltNames", t.subject_alt_names, {.doc = "Names the server's certificate must carry."});
  v("sni", t.sni, {.doc = "The SNI name sent in the TLS handshake."});
  v("insecureSkipVerify", t.insecure_skip_verify,
    {.doc = "Do not verify the server's certificate."});
  v("caCrl", t.ca_crl, {.doc = "Path of a certificate revocation list for the server."});
}

struct TunnelSettings {
  std::string protocol;
  std::string target_host;
  uint32_t target_port = 0;
};
template <class V>
void Describe(V& v, TunnelSettings& t) {
  v("protocol", t.protocol, {.doc = "CONNECT (the default) or POST."});
  v("targetHost", t.target_host, {.doc = "The host to tunnel to.", .required = true});
  v("targetPort", t.target_port, {.doc = "The port to tunnel to.", .required = true});
}

inline constexpr std::string_view kProxyProtocolVersions[] = {"V1", "V2"};
struct ProxyProtocol {
  std::optional<std::string> version;
};
template <class V>
void Describe(V& v, ProxyProtocol& t) {
  v("version", t.version,
    {.doc = "The PROXY protocol version, V1 (text) or V2 (binary).",
     .enum_values = kProxyProtocolVersions});
}

struct RetryBudget {
  std::optional<double> percent;
  std::optional<uint32_t> min_retry_concurrency;
  std::optional<Duration> budget_interval;
};
template <class V>
void Describe(V& v, RetryBudget& t) {
  v("percent", t.percent, {.doc = "Retries allowed as a share (0-100) of active requests."});
  v("minRetryConcurrency", t.min_retry_concurrency,
    {.doc = "Retries allowed at once regardless of the share."});
  v("budgetInterval", t.budget_interval, {.doc = "The window over which the budget is counted."});
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
  v("port", t.port, {.doc = "The destination port these settings apply to."});
  v("loadBalancer", t.load_balancer, {.doc = "How endpoints are picked on this port."});
  v("connectionPool", t.connection_pool, {.doc = "Connection limits and timeouts on this port."});
  v("outlierDetection", t.outlier_detection,
    {.doc = "Ejection of failing endpoints on this port."});
  v("tls", t.tls,
    {.doc = "TLS to the endpoints on this port.", .not_served = "TLS to upstream endpoints (tls)"});
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
  v("loadBalancer", t.load_balancer, {.doc = "How an endpoint is picked for each request."});
  v("connectionPool", t.connection_pool,
    {.doc = "Connection limits and timeouts towards the destination."});
  v("outlierDetection", t.outlier_detection,
    {.doc = "Ejects endpoints that keep failing from the load balancing for a while."});
  v("tls", t.tls,
    {.doc = "TLS from the gateway to the endpoints (canaryd connects in plain text).",
     .not_served = "TLS to upstream endpoints (tls)"});
  v("portLevelSettings", t.port_level_settings,
    {.doc = "Settings for single destination ports, overriding these."});
  v("tunnel", t.tunnel,
    {.doc = "Tunnels the connection through an HTTP CONNECT or POST proxy.",
     .not_served = "tunneling (tunnel)"});
  v("proxyProtocol", t.proxy_protocol,
    {.doc = "Sends a PROXY protocol header to the endpoints.",
     .not_served = "the PROXY protocol (proxyProtocol)"});
  v("retryBudget", t.retry_budget,
    {.doc = "Limits retries to a share of the active requests.",
     .not_served = "the retry budget (retryBudget)"});
}

struct Subset {
  std::string name;
  StringMap labels;
  std::optional<TrafficPolicy> traffic_policy;
};
template <class V>
void Describe(V& v, Subset& t) {
  v("name", t.name,
    {.doc = "The subset's name, which a route's destination.subset refers to (a DNS label).",
     .required = true});
  v("labels", t.labels,
    {.doc = "The labels that select the subset's endpoints, on top of the service's selector."});
  v("trafficPolicy", t.traffic_policy,
    {.doc = "A traffic policy for this subset, overriding the rule's."});
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
  v("host", t.host,
    {.doc = "The service this rule is for: a Service's short name (in this namespace), "
            "name.namespace, a fully qualified name or a ServiceEntry host, or a wildcard.",
     .required = true});
  v("trafficPolicy", t.traffic_policy,
    {.doc = "How traffic to the service is balanced and connected."});
  v("subsets", t.subsets,
    {.doc = "Named groups of endpoints (versions), selected by labels, that routes can target."});
  v("exportTo", t.export_to,
    {.doc = "The namespaces this rule is visible to (\".\" its own, \"*\" all); all when unset.",
     .not_served = "exportTo (visibility across namespaces)"});
  v("workloadSelector", t.workload_selector,
    {.doc = "The proxies this rule applies to, by their labels; all when unset.",
     .not_served = "workloadSelector"});
}

}  // namespace canaryd::config

// VirtualService (networking.istio.io), every field of Istio's API reference, with Describe()
// (see reflect.h): JSON names, documentation, and which fields canaryd accepts but does not
// serve yet. Members are the JSON names in snake_case. Plain data: build on one thread, share
// read-only.
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

struct HeaderOperations {
  StringMap set;
  StringMap add;
  std::vector<std::string> remove;
};
template <class V>
void Describe(V& v, HeaderOperations& t) {
  v("set", t.set, {.doc = "Headers to set, replacing any value they had."});
  v("add", t.add, {.doc = "Headers to append to (or add when absent)."});
  v("remove", t.remove, {.doc = "Names of headers to remove."});
}

struct Headers {
  std::optional<HeaderOperations> request;
  std::optional<HeaderOperations> response;
};
template <class V>
void Describe(V& v, Headers& t) {
  v("request", t.request, {.doc = "Changes to the request's headers before it is forwarded."});
  v("response", t.response,
    {.doc = "Changes to the response's headers before it is returned to the client."});
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
  v("name", t.name,
    {.doc = "A name for this match, which Istio adds to the route's name in its logs; canaryd "
            "does not use it."});
  v("uri", t.uri, {.doc = "Matches the request path (without the query string)."});
  v("scheme", t.scheme, {.doc = "Matches the URI scheme (\"http\" or \"https\")."});
  v("method", t.method, {.doc = "Matches the HTTP method, such as GET or POST."});
  v("authority", t.authority, {.doc = "Matches the Host (authority) header."});
  v("headers", t.headers,
    {.doc = "Request headers that must match, by lower-case name; an empty match ({}) only "
            "requires the header to be present."});
  v("port", t.port, {.doc = "Matches only requests that arrived on this gateway port."});
  v("sourceLabels", t.source_labels,
    {.doc = "Matches only requests from workloads with these labels (at a gateway: the "
            "gateway's own labels).",
     .not_served = "matching on sourceLabels"});
  v("gateways", t.gateways,
    {.doc = "Matches only requests that came through one of these gateways (name or "
            "namespace/name), overriding the VirtualService's gateways for this match."});
  v("queryParams", t.query_params,
    {.doc = "Query parameters that must match; an empty match ({}) only requires the "
            "parameter to be present."});
  v("ignoreUriCase", t.ignore_uri_case,
    {.doc = "Compare uri case-insensitively (exact and prefix matches)."});
  v("withoutHeaders", t.without_headers,
    {.doc = "Headers that must not match: the match fails if any of them matches."});
  v("sourceNamespace", t.source_namespace,
    {.doc = "Matches only requests from workloads in this namespace (at a gateway: the "
            "gateway's namespace).",
     .not_served = "matching on sourceNamespace"});
  v("statPrefix", t.stat_prefix,
    {.doc = "A prefix for the statistics of the routes this match produces.",
     .not_served = "statPrefix (per-route statistics)"});
}

struct HTTPRouteDestination {
  Destination destination;
  std::optional<int32_t> weight;
  std::optional<Headers> headers;
};
template <class V>
void Describe(V& v, HTTPRouteDestination& t) {
  v("destination", t.destination,
    {.doc = "Where the request goes: a service, optionally a subset and a port.",
     .required = true});
  v("weight", t.weight,
    {.doc = "The relative share of the traffic this destination gets (its weight over the sum "
            "of the rule's weights; 0 gets none). With a single destination it may be omitted."});
  v("headers", t.headers,
    {.doc = "Header changes for requests sent to (and responses from) this destination, applied "
            "before the rule's own."});
}

struct RouteDestination {  // TCP and TLS routes
  Destination destination;
  std::optional<int32_t> weight;
};
template <class V>
void Describe(V& v, RouteDestination& t) {
  v("destination", t.destination,
    {.doc = "Where the connection goes: a service, optionally a subset and a port.",
     .required = true});
  v("weight", t.weight, {.doc = "The relative share of the connections this destination gets."});
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
  v("uri", t.uri,
    {.doc = "The path of the Location to redirect to; the request's path when unset."});
  v("prefixRewrite", t.prefix_rewrite,
    {.doc = "Replaces the matched uri prefix in the redirect's path instead of the whole path.",
     .not_served = "redirect.prefixRewrite"});
  v("authority", t.authority,
    {.doc = "The host of the Location to redirect to; the request's host when unset."});
  v("port", t.port, {.doc = "The port of the Location to redirect to."});
  v("derivePort", t.derive_port,
    {.doc = "Takes the Location's port from the protocol's default (FROM_PROTOCOL_DEFAULT) or "
            "from the request (FROM_REQUEST_PORT).",
     .enum_values = kRedirectPortSelection,
     .not_served = "redirect.derivePort"});
  v("scheme", t.scheme, {.doc = "The scheme of the Location, \"http\" or \"https\"."});
  v("redirectCode", t.redirect_code, {.doc = "The 3xx status of the redirect; 301 by default."});
}

struct HTTPBody {
  std::optional<std::string> string;
  std::optional<std::string> bytes;  // base64
};
template <class V>
void Describe(V& v, HTTPBody& t) {
  v("string", t.string, {.doc = "The response body as text."});
  v("bytes", t.bytes,
    {.doc = "The response body as base64-encoded bytes.",
     .not_served = "a directResponse body given as bytes"});
}

struct HTTPDirectResponse {
  uint32_t status = 0;
  std::optional<HTTPBody> body;
};
template <class V>
void Describe(V& v, HTTPDirectResponse& t) {
  v("status", t.status,
    {.doc = "The HTTP status the gateway answers with (200-599).", .required = true});
  v("body", t.body, {.doc = "The body of the answer; empty when unset."});
}

struct Delegate {
  std::optional<std::string> name;
  std::optional<std::string> namespace_;
};
template <class V>
void Describe(V& v, Delegate& t) {
  v("name", t.name, {.doc = "The name of the VirtualService (without hosts) to delegate to."});
  v("namespace", t.namespace_,
    {.doc = "Its namespace; the delegating VirtualService's namespace when unset."});
}

struct RegexRewrite {
  std::optional<std::string> match;
  std::optional<std::string> rewrite;
};
template <class V>
void Describe(V& v, RegexRewrite& t) {
  v("match", t.match, {.doc = "An RE2 regular expression matched against the path."});
  v("rewrite", t.rewrite,
    {.doc = "What replaces the matched text; \\1 and so on refer to capture groups."});
}

struct HTTPRewrite {
  std::optional<std::string> uri;
  std::optional<std::string> authority;
  std::optional<RegexRewrite> uri_regex_rewrite;
};
template <class V>
void Describe(V& v, HTTPRewrite& t) {
  v("uri", t.uri,
    {.doc = "Replaces the path, or the part of it a prefix match matched, before forwarding."});
  v("authority", t.authority, {.doc = "Replaces the Host (authority) header before forwarding."});
  v("uriRegexRewrite", t.uri_regex_rewrite,
    {.doc = "Rewrites the path with a regular expression; cannot be combined with uri."});
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
  v("attempts", t.attempts,
    {.doc = "How many times a request may be retried; 0 disables retries."});
  v("perTryTimeout", t.per_try_timeout,
    {.doc = "The timeout of each attempt, at least 1ms; the route's timeout when unset."});
  v("retryOn", t.retry_on,
    {.doc = "Comma-separated conditions that trigger a retry: Envoy's retry policies (5xx, "
            "gateway-error, connect-failure, reset, ...) or HTTP status codes."});
  v("retryRemoteLocalities", t.retry_remote_localities,
    {.doc = "Whether retries may go to endpoints in other localities."});
  v("retryIgnorePreviousHosts", t.retry_ignore_previous_hosts,
    {.doc = "Whether retries avoid the endpoints already tried; canaryd always avoids the one "
            "that just failed when the destination has another."});
  v("backoff", t.backoff,
    {.doc = "The base interval between retries, at least 1ms.",
     .not_served = "retry back-off (retries.backoff): retries go out at once"});
}

struct HTTPFaultDelay {
  std::optional<Duration> fixed_delay;
  std::optional<Duration> exponential_delay;
  std::optional<Percent> percentage;
  std::optional<int32_t> percent;  // deprecated integer form
};
template <class V>
void Describe(V& v, HTTPFaultDelay& t) {
  v("fixedDelay", t.fixed_delay,
    {.doc = "How long to hold the request before forwarding it, at least 1ms."});
  v("exponentialDelay", t.exponential_delay,
    {.doc = "The mean of an exponentially distributed delay, at least 1ms (Istio does not "
            "support it either).",
     .not_served = "exponential fault delays (exponentialDelay)"});
  v("percentage", t.percentage, {.doc = "The share of requests to delay (0-100)."});
  v("percent", t.percent,
    {.doc = "The share of requests to delay as a whole number; use percentage.",
     .deprecated = true});
}

struct HTTPFaultAbort {
  std::optional<int32_t> http_status;
  std::optional<std::string> grpc_status;
  std::optional<std::string> http2_error;
  std::optional<Percent> percentage;
};
template <class V>
void Describe(V& v, HTTPFaultAbort& t) {
  v("httpStatus", t.http_status,
    {.doc = "The HTTP status (200-599) to answer aborted requests with."});
  v("grpcStatus", t.grpc_status,
    {.doc = "The gRPC status (such as UNAVAILABLE) to answer aborted requests with.",
     .not_served = "gRPC fault aborts (grpcStatus)"});
  v("http2Error", t.http2_error,
    {.doc = "The HTTP/2 error to reset aborted streams with.",
     .not_served = "HTTP/2 fault aborts (http2Error)"});
  v("percentage", t.percentage, {.doc = "The share of requests to abort (0-100)."});
}

struct HTTPFaultInjection {
  std::optional<HTTPFaultDelay> delay;
  std::optional<HTTPFaultAbort> abort;
};
template <class V>
void Describe(V& v, HTTPFaultInjection& t) {
  v("delay", t.delay, {.doc = "Delays a share of the requests before forwarding them."});
  v("abort", t.abort,
    {.doc = "Answers a share of the requests with an error instead of forwarding them."});
}

struct HTTPMirrorPolicy {
  Destination destination;
  std::optional<Percent> percentage;
};
template <class V>
void Describe(V& v, HTTPMirrorPolicy& t) {
  v("destination", t.destination,
    {.doc = "Where copies of the requests are sent; their responses are discarded.",
     .required = true});
  v("percentage", t.percentage, {.doc = "The share of requests to copy (0-100); all when unset."});
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
  v("allowOrigin", t.allow_origin,
    {.doc = "Origins allowed to make cross-origin requests, exactly; use allowOrigins.",
     .deprecated = true});
  v("allowOrigins", t.allow_origins,
    {.doc = "Origins allowed to make cross-origin requests, as string matches."});
  v("allowMethods", t.allow_methods,
    {.doc = "HTTP methods allowed (Access-Control-Allow-Methods)."});
  v("allowHeaders", t.allow_headers,
    {.doc = "Request headers allowed (Access-Control-Allow-Headers)."});
  v("exposeHeaders", t.expose_headers,
    {.doc = "Response headers the browser may expose (Access-Control-Expose-Headers)."});
  v("maxAge", t.max_age,
    {.doc = "How long a preflight answer may be cached (Access-Control-Max-Age), at least 1s."});
  v("allowCredentials", t.allow_credentials,
    {.doc = "Whether requests with credentials are allowed (Access-Control-Allow-Credentials)."});
  v("unmatchedPreflights", t.unmatched_preflights,
    {.doc = "What happens to preflight requests from origins that are not allowed: FORWARD them "
            "to the upstream or IGNORE (answer without CORS headers).",
     .enum_values = kUnmatchedPreflights});
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
  v("name", t.name, {.doc = "A name for the rule, used in the route's name (logs, statistics)."});
  v("match", t.match,
    {.doc = "Conditions for this rule: it applies when any one of the blocks matches (all "
            "conditions of a block must hold). No match: the rule applies to every request."});
  v("route", t.route,
    {.doc = "The destinations to forward to, split by weight. Exactly one of route, redirect, "
            "directResponse and delegate is set."});
  v("redirect", t.redirect, {.doc = "Answers with an HTTP redirect instead of forwarding."});
  v("directResponse", t.direct_response,
    {.doc = "Answers with a fixed status and body instead of forwarding."});
  v("delegate", t.delegate,
    {.doc = "Hands the request to the rules of another VirtualService (one without hosts).",
     .not_served = "delegation (delegate)"});
  v("rewrite", t.rewrite,
    {.doc = "Rewrites the path or the Host header before forwarding; the original path goes "
            "along as x-envoy-original-path."});
  v("timeout", t.timeout,
    {.doc = "How long the gateway waits for the response before answering 504 (response flag "
            "UT); 0 or unset: no timeout."});
  v("retries", t.retries,
    {.doc = "How failed requests are retried (to another endpoint when there is one). Without "
            "it, Istio's default: 2 retries on connect-failure."});
  v("fault", t.fault,
    {.doc = "Injects delays or errors into a share of the requests, for testing resilience."});
  v("mirror", t.mirror,
    {.doc = "Sends a copy of each request to this destination as well (responses discarded)."});
  v("mirrors", t.mirrors,
    {.doc = "Destinations that get copies of the requests, each with its own percentage."});
  v("mirrorPercent", t.mirror_percent,
    {.doc = "The share of requests mirrored, as a whole number; use mirrorPercentage.",
     .deprecated = true});
  v("mirrorPercentage", t.mirror_percentage,
    {.doc = "The share of requests mirrored (0-100); all when unset."});
  v("corsPolicy", t.cors_policy,
    {.doc = "Cross-origin resource sharing (CORS) for browsers, as Envoy's CORS filter: a "
            "preflight from an allowed origin is answered by the gateway; other responses to "
            "an allowed origin get Access-Control-Allow-Origin (the origin itself)."});
  v("headers", t.headers,
    {.doc = "Header changes for requests and responses of this rule: remove, then set, then add. "
            "The response changes apply to the rule's direct responses, redirects and upstream "
            "errors too, as in Envoy (not to fault aborts)."});
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
  v("sniHosts", t.sni_hosts,
    {.doc = "The SNI names to match; each must match one of the VirtualService's hosts.",
     .required = true});
  v("destinationSubnets", t.destination_subnets,
    {.doc = "Destination IP addresses or CIDR blocks to match."});
  v("port", t.port, {.doc = "The port to match."});
  v("sourceLabels", t.source_labels, {.doc = "Labels of the source workloads to match."});
  v("gateways", t.gateways, {.doc = "Gateways this match applies to."});
  v("sourceNamespace", t.source_namespace, {.doc = "Namespace of the source workloads to match."});
}

struct TLSRoute {
  std::vector<TLSMatchAttributes> match;
  std::vector<RouteDestination> route;
};
template <class V>
void Describe(V& v, TLSRoute& t) {
  v("match", t.match, {.doc = "Conditions on the TLS connection.", .required = true});
  v("route", t.route, {.doc = "Where matching connections go."});
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
  v("destinationSubnets", t.destination_subnets,
    {.doc = "Destination IP addresses or CIDR blocks to match."});
  v("port", t.port, {.doc = "The port to match."});
  v("sourceSubnet", t.source_subnet, {.doc = "The source IP address or CIDR block to match."});
  v("sourceLabels", t.source_labels, {.doc = "Labels of the source workloads to match."});
  v("gateways", t.gateways, {.doc = "Gateways this match applies to."});
  v("sourceNamespace", t.source_namespace, {.doc = "Namespace of the source workloads to match."});
}

struct TCPRoute {
  std::vector<L4MatchAttributes> match;
  std::vector<RouteDestination> route;
};
template <class V>
void Describe(V& v, TCPRoute& t) {
  v("match", t.match, {.doc = "Conditions on the TCP connection."});
  v("route", t.route, {.doc = "Where matching connections go."});
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
  v("hosts", t.hosts,
    {.doc = "The hosts (Host header values) these rules serve: names, \"*.suffix\" wildcards or "
            "\"*\" (not for the mesh). Empty only in a delegate VirtualService."});
  v("gateways", t.gateways,
    {.doc = "The Gateways whose servers serve these rules (name in this namespace, or "
            "namespace/name). Empty, or \"mesh\": the rules are for sidecars, which canaryd "
            "does not serve."});
  v("http", t.http,
    {.doc = "HTTP rules, tried in order: the first whose match holds handles the request; none "
            "matches: 404 (response flag NR)."});
  v("tls", t.tls,
    {.doc = "Rules for TLS connections passed through by SNI. canaryd refuses them: it "
            "terminates HTTP."});
  v("tcp", t.tcp,
    {.doc = "Rules for opaque TCP connections. canaryd refuses them: it is an HTTP gateway."});
  v("exportTo", t.export_to,
    {.doc = "The namespaces this VirtualService is visible to (\".\" its own, \"*\" all); all "
            "when unset.",
     .not_served = "exportTo (visibility across namespaces)"});
}

}  // namespace canaryd::config

// VirtualService rules, after Istio's pkg/config/validation (validateVirtualService and friends).
#include <algorithm>
#include <set>

#include <re2/re2.h>

#include "common/ascii.h"
#include "config/managed_headers.h"
#include "config/retry_on.h"
#include "config/sticky_canary.h"
#include "config/validate_kinds.h"

namespace canaryd::config {
namespace {

constexpr int64_t kMillisecond = 1'000'000;
constexpr size_t kMaxDirectResponseBody = 1 << 20;

// `presence_allowed`: in headers, withoutHeaders and queryParams an empty match ({}) tests only
// that the header or parameter is present.
void CheckStringMatch(Checker& c, std::string_view field, const StringMatch& m,
                      bool presence_allowed) {
  auto scope = c.path().Field(field);
  int set = (m.exact ? 1 : 0) + (m.prefix ? 1 : 0) + (m.regex ? 1 : 0);
  if (set > 1) {
    c.Error("exactly one of exact, prefix or regex may be set");
  } else if (set == 0 && !presence_allowed) {
    c.Error("one of exact, prefix or regex must be set");
  }
  if (m.regex) {
    if (std::string why = CheckRegex(*m.regex); !why.empty()) c.ErrorAt("regex", why);
  }
}

void CheckHeaderMatches(Checker& c, std::string_view field,
                        const std::map<std::string, StringMatch>& headers) {
  auto scope = c.path().Field(field);
  for (const auto& [name, match] : headers) {
    auto key = c.path().Key(name);
    if (std::string why = CheckHeaderName(name); !why.empty()) {
      c.Error(why);
    } else {
      for (char ch : name) {
        if (ch >= 'A' && ch <= 'Z') {
          c.Error("header name \"" + name + "\" must be lowercase");
          break;
        }
      }
    }
    CheckStringMatch(c, "", match, /*presence_allowed=*/true);
  }
}

void CheckMatch(Checker& c, const HTTPMatchRequest& m) {
  if (m.uri) CheckStringMatch(c, "uri", *m.uri, false);
  if (m.scheme) CheckStringMatch(c, "scheme", *m.scheme, false);
  if (m.method) CheckStringMatch(c, "method", *m.method, false);
  if (m.authority) CheckStringMatch(c, "authority", *m.authority, false);
  CheckHeaderMatches(c, "headers", m.headers);
  CheckHeaderMatches(c, "withoutHeaders", m.without_headers);
  {
    auto scope = c.path().Field("queryParams");
    for (const auto& [name, match] : m.query_params) {
      auto key = c.path().Key(name);
      CheckStringMatch(c, "", match, /*presence_allowed=*/true);
    }
  }
  if (m.port) CheckPortNumber(c, "port", *m.port);
  CheckLabels(c, "sourceLabels", m.source_labels);
  if (m.source_namespace) {
    if (std::string why = CheckDns1123Label(*m.source_namespace); !why.empty()) {
      c.ErrorAt("sourceNamespace", why);
    }
  }
}

void CheckDestination(Checker& c, std::string_view field, const Destination& d) {
  auto scope = c.path().Field(field);
  if (d.host.find('*') != std::string::npos) {
    c.ErrorAt("host", "a destination host cannot be a wildcard");
  } else if (std::string why = CheckHost(d.host, false); !why.empty()) {
    c.ErrorAt("host", why);
  }
  if (d.subset) {
    if (std::string why = CheckDns1123Label(*d.subset); !why.empty()) c.ErrorAt("subset", why);
  }
  if (d.port && d.port->number) {
    auto port = c.path().Field("port");
    CheckPortNumber(c, "number", *d.port->number);
  }
}

// The operation on `name` that the gateway leaves out, and why; "" when it is served.
std::string IgnoredHeaderOperation(std::string_view op, const std::string& name) {
  std::string lower = AsciiLower(name);
  if (IsGatewayManagedHeader(lower)) {
    return "\"" + name + "\" is written by the gateway itself (framing or hop-by-hop): this " +
           std::string(op) + " is ignored";
  }
  if (lower == "host" && op != "set") {
    return "the Host header can only be set (or rewritten with rewrite.authority): this " +
           std::string(op) + " is ignored";
  }
  return "";
}

void CheckHeaderOperations(Checker& c, std::string_view field, const HeaderOperations& ops) {
  auto scope = c.path().Field(field);
  for (const auto* m : {&ops.set, &ops.add}) {
    std::string_view op = m == &ops.set ? "set" : "add";
    auto sub = c.path().Field(op);
    for (const auto& [name, value] : *m) {
      auto key = c.path().Key(name);
      if (std::string why = CheckHeaderName(name); !why.empty()) c.Error(why);
      // A line break in a value would start a header (or a body) of the user's making.
      if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
        c.Error("a header value must not contain CR, LF or NUL");
      }
      if (value.find('%') != std::string::npos) {
        c.Warning(
            "the value is sent as written: Envoy's %VARIABLE% substitution in header values is "
            "not served");
      }
      if (std::string why = IgnoredHeaderOperation(op, name); !why.empty()) c.Warning(why);
    }
  }
  auto sub = c.path().Field("remove");
  for (size_t i = 0; i < ops.remove.size(); ++i) {
    auto idx = c.path().Index(i);
    if (std::string why = CheckHeaderName(ops.remove[i]); !why.empty()) c.Error(why);
    if (std::string why = IgnoredHeaderOperation("remove", ops.remove[i]); !why.empty()) {
      c.Warning(why);
    }
  }
}

void CheckHeaders(Checker& c, std::string_view field, const std::optional<Headers>& h) {
  if (!h) return;
  auto scope = c.path().Field(field);
  if (h->request) CheckHeaderOperations(c, "request", *h->request);
  if (h->response) CheckHeaderOperations(c, "response", *h->response);
}

void CheckRouteDestinations(Checker& c, const std::vector<HTTPRouteDestination>& route) {
  auto scope = c.path().Field("route");
  int64_t total = 0;
  for (size_t i = 0; i < route.size(); ++i) {
    auto idx = c.path().Index(i);
    const HTTPRouteDestination& d = route[i];
    CheckDestination(c, "destination", d.destination);
    if (d.weight) {
      if (*d.weight < 0) {
        c.ErrorAt("weight", "must be >= 0");
      } else {
        total += *d.weight;
      }
    }
    CheckHeaders(c, "headers", d.headers);
  }
  if (route.size() > 1 && total == 0) {
    c.Error(
        "the weights of the destinations sum to 0: at least one must be > 0 (weights are "
        "relative, a destination gets weight/sum of the traffic)");
  }
}

const std::set<std::string_view>& RetryOnPolicies() {
  static const std::set<std::string_view> kPolicies = {"5xx",
                                                       "gateway-error",
                                                       "reset",
                                                       "reset-before-request",
                                                       "connect-failure",
                                                       "retriable-4xx",
                                                       "refused-stream",
                                                       "retriable-status-codes",
                                                       "retriable-headers",
                                                       "envoy-ratelimited",
                                                       "http3-post-connect-failure",
                                                       "cancelled",
                                                       "deadline-exceeded",
                                                       "internal",
                                                       "resource-exhausted",
                                                       "unavailable"};
  return kPolicies;
}

void CheckRetries(Checker& c, const HTTPRetry& r) {
  auto scope = c.path().Field("retries");
  if (r.attempts && *r.attempts < 0) c.ErrorAt("attempts", "must be >= 0");
  if (r.attempts && *r.attempts > kMaxRetryAttempts) {
    auto f = c.path().Field("attempts");
    c.Warning("canaryd makes at most " + std::to_string(kMaxRetryAttempts) +
              " retries of a request; more are not made");
  }
  CheckMinDuration(c, "perTryTimeout", r.per_try_timeout, kMillisecond);
  CheckMinDuration(c, "backoff", r.backoff, kMillisecond);
  if (!r.attempts || *r.attempts == 0) {
    c.Warning("attempts is 0 or unset: as in Istio, this rule's requests are not retried at all");
  }
  if (r.retry_on) {
    // Conditions of HTTP/2, HTTP/3, gRPC or rate limiting: accepted, as Envoy does, but a plain
    // HTTP/1.1 backend never produces them.
    static const std::set<std::string_view> kNeverHere = {
        "refused-stream", "retriable-headers", "envoy-ratelimited", "http3-post-connect-failure",
        "cancelled",      "deadline-exceeded", "internal",          "resource-exhausted",
        "unavailable"};
    for (std::string_view p : SplitRetryOn(*r.retry_on)) {
      if (RetryOnStatusCode(p) == 0 && !RetryOnPolicies().contains(p)) {
        c.ErrorAt("retryOn", "unsupported retry policy \"" + std::string(p) +
                                 "\" (Envoy retry policies such as 5xx, gateway-error, "
                                 "connect-failure, or an HTTP status code)");
      } else if (kNeverHere.contains(p)) {
        auto f = c.path().Field("retryOn");
        c.Warning("\"" + std::string(p) +
                  "\" never triggers here: it is an HTTP/2, gRPC or rate-limit condition and "
                  "canaryd forwards HTTP/1.1");
      }
    }
  }
}

void CheckFault(Checker& c, const HTTPFaultInjection& f) {
  auto scope = c.path().Field("fault");
  if (!f.delay && !f.abort) c.Error("one of delay or abort must be set");
  if (f.delay) {
    auto d = c.path().Field("delay");
    int set = (f.delay->fixed_delay ? 1 : 0) + (f.delay->exponential_delay ? 1 : 0);
    if (set != 1) c.Error("exactly one of fixedDelay or exponentialDelay must be set");
    CheckMinDuration(c, "fixedDelay", f.delay->fixed_delay, kMillisecond);
    CheckMinDuration(c, "exponentialDelay", f.delay->exponential_delay, kMillisecond);
    if (f.delay->percentage && f.delay->percentage->value) {
      auto p = c.path().Field("percentage");
      CheckPercent(c, "value", *f.delay->percentage->value);
    }
    if (f.delay->percent) CheckPercent(c, "percent", *f.delay->percent);
    if (!(f.delay->percentage && f.delay->percentage->value) && !f.delay->percent) {
      c.Warning(
          "no percentage: as in Istio, no request is delayed (percentage: {value: 100} "
          "delays every one)");
    }
  }
  if (f.abort) {
    auto a = c.path().Field("abort");
    int set = (f.abort->http_status ? 1 : 0) + (f.abort->grpc_status ? 1 : 0) +
              (f.abort->http2_error ? 1 : 0);
    if (set != 1) c.Error("exactly one of httpStatus, grpcStatus or http2Error must be set");
    if (f.abort->http_status && (*f.abort->http_status < 200 || *f.abort->http_status > 599)) {
      c.ErrorAt("httpStatus", "must be an HTTP status between 200 and 599");
    }
    if (f.abort->percentage && f.abort->percentage->value) {
      auto p = c.path().Field("percentage");
      CheckPercent(c, "value", *f.abort->percentage->value);
    } else {
      c.Warning(
          "no percentage: as in Istio, no request is aborted (percentage: {value: 100} "
          "aborts every one)");
    }
  }
}

void CheckRedirect(Checker& c, const HTTPRedirect& r) {
  auto scope = c.path().Field("redirect");
  if (!r.uri && !r.authority && !r.port && !r.derive_port && !r.scheme) {
    c.Error("a redirect must set at least one of uri, authority, port, derivePort or scheme");
  }
  if (r.port && r.derive_port) c.Error("port and derivePort cannot both be set");
  if (r.port) CheckPortNumber(c, "port", *r.port);
  if (r.redirect_code && (*r.redirect_code < 300 || *r.redirect_code > 399)) {
    c.ErrorAt("redirectCode", "must be a 3xx redirect status");
  }
  if (r.scheme && *r.scheme != "http" && *r.scheme != "https") {
    c.ErrorAt("scheme", "must be \"http\" or \"https\"");
  }
}

void CheckDirectResponse(Checker& c, const HTTPDirectResponse& d) {
  auto scope = c.path().Field("directResponse");
  if (d.status < 200 || d.status > 599) {
    c.ErrorAt("status", "must be an HTTP status between 200 and 599");
  }
  if (d.body) {
    auto body = c.path().Field("body");
    if (d.body->string && d.body->bytes) c.Error("only one of string or bytes may be set");
    size_t size = d.body->string  ? d.body->string->size()
                  : d.body->bytes ? d.body->bytes->size()
                                  : 0;
    if (size > kMaxDirectResponseBody) {
      c.Error("body is larger than the limit of " + std::to_string(kMaxDirectResponseBody) +
              " bytes");
    }
  }
}

// A rewritten path goes into the request line: no byte that could end or split it.
bool UnsafeInRequestTarget(std::string_view s) {
  for (unsigned char ch : s) {
    if (ch <= 0x20 || ch == 0x7f) return true;
  }
  return false;
}

void CheckRewrite(Checker& c, const HTTPRewrite& r) {
  auto scope = c.path().Field("rewrite");
  if (r.uri && r.uri_regex_rewrite) c.Error("uri and uriRegexRewrite cannot both be set");
  if (r.uri && UnsafeInRequestTarget(*r.uri)) {
    c.ErrorAt("uri",
              "must not contain spaces or control characters (it goes into the request line)");
  }
  if (r.uri_regex_rewrite && r.uri_regex_rewrite->rewrite &&
      UnsafeInRequestTarget(*r.uri_regex_rewrite->rewrite)) {
    c.ErrorAt("uriRegexRewrite.rewrite",
              "must not contain spaces or control characters (it goes into the request line)");
  }
  if (r.uri_regex_rewrite) {
    auto rr = c.path().Field("uriRegexRewrite");
    if (!r.uri_regex_rewrite->match) {
      c.ErrorAt("match", "required field is missing");
    } else if (std::string why = CheckRegex(*r.uri_regex_rewrite->match); !why.empty()) {
      c.ErrorAt("match", why);
    } else {
      RE2 re(*r.uri_regex_rewrite->match, RE2::Quiet);
      std::string why_not;
      if (!re.CheckRewriteString(r.uri_regex_rewrite->rewrite.value_or(""), &why_not)) {
        c.ErrorAt("rewrite", why_not);
      }
    }
  }
  if (r.authority) {
    if (std::string why = CheckHost(*r.authority, false); !why.empty()) c.ErrorAt("authority", why);
  }
}

void CheckCors(Checker& c, const CorsPolicy& p) {
  static const std::set<std::string_view> kMethods = {
      "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "*"};
  auto scope = c.path().Field("corsPolicy");
  {
    auto f = c.path().Field("allowOrigins");
    for (size_t i = 0; i < p.allow_origins.size(); ++i) {
      auto idx = c.path().Index(i);
      CheckStringMatch(c, "", p.allow_origins[i], false);
    }
  }
  {
    auto f = c.path().Field("allowMethods");
    for (size_t i = 0; i < p.allow_methods.size(); ++i) {
      auto idx = c.path().Index(i);
      if (!kMethods.contains(p.allow_methods[i])) {
        c.Error("\"" + p.allow_methods[i] + "\" is not an HTTP method");
      }
    }
  }
  for (auto [field, list] : {std::pair{"allowHeaders", &p.allow_headers},
                             std::pair{"exposeHeaders", &p.expose_headers}}) {
    auto f = c.path().Field(field);
    for (size_t i = 0; i < list->size(); ++i) {
      auto idx = c.path().Index(i);
      if ((*list)[i] == "*") continue;
      if (std::string why = CheckHeaderName((*list)[i]); !why.empty()) c.Error(why);
    }
  }
  CheckMinDuration(c, "maxAge", p.max_age, 1'000'000'000);
}

void CheckHttpRoute(Checker& c, const HTTPRoute& r, bool in_delegate) {
  int kinds = (!r.route.empty() ? 1 : 0) + (r.redirect ? 1 : 0) + (r.direct_response ? 1 : 0) +
              (r.delegate ? 1 : 0);
  if (kinds == 0) {
    c.Error("an HTTP route needs exactly one of route, redirect, directResponse or delegate");
  } else if (kinds > 1) {
    c.Error("an HTTP route can have only one of route, redirect, directResponse or delegate");
  }
  for (size_t i = 0; i < r.match.size(); ++i) {
    auto scope = c.path().Field("match");
    auto idx = c.path().Index(i);
    CheckMatch(c, r.match[i]);
  }
  CheckRouteDestinations(c, r.route);
  if (r.redirect) CheckRedirect(c, *r.redirect);
  if (r.direct_response) CheckDirectResponse(c, *r.direct_response);
  if (r.delegate) {
    auto scope = c.path().Field("delegate");
    if (in_delegate) c.Error("a delegate VirtualService cannot delegate again");
    if (!r.delegate->name || r.delegate->name->empty()) {
      c.ErrorAt("name", "required field is missing");
    } else if (std::string why = CheckDns1123Subdomain(*r.delegate->name); !why.empty()) {
      c.ErrorAt("name", why);
    }
    if (r.delegate->namespace_) {
      if (std::string why = CheckDns1123Label(*r.delegate->namespace_); !why.empty()) {
        c.ErrorAt("namespace", why);
      }
    }
  }
  if (r.rewrite) {
    CheckRewrite(c, *r.rewrite);
    if (r.redirect) c.Error("rewrite cannot be used with redirect");
  }
  CheckMinDuration(c, "timeout", r.timeout, kMillisecond, /*allow_zero=*/true);
  if (r.retries) CheckRetries(c, *r.retries);
  if (r.fault) CheckFault(c, *r.fault);
  if (r.mirror && !r.mirrors.empty()) c.Error("mirror and mirrors cannot both be set");
  if (r.mirror) CheckDestination(c, "mirror", *r.mirror);
  {
    auto scope = c.path().Field("mirrors");
    for (size_t i = 0; i < r.mirrors.size(); ++i) {
      auto idx = c.path().Index(i);
      CheckDestination(c, "destination", r.mirrors[i].destination);
      if (r.mirrors[i].percentage && r.mirrors[i].percentage->value) {
        auto p = c.path().Field("percentage");
        CheckPercent(c, "value", *r.mirrors[i].percentage->value);
      }
    }
  }
  if (r.mirror_percent) CheckPercent(c, "mirrorPercent", *r.mirror_percent);
  if (r.mirror_percentage && r.mirror_percentage->value) {
    auto p = c.path().Field("mirrorPercentage");
    CheckPercent(c, "value", *r.mirror_percentage->value);
  }
  if (r.cors_policy) CheckCors(c, *r.cors_policy);
  CheckHeaders(c, "headers", r.headers);
}

}  // namespace

void ValidateStickyCanaryAnnotation(Checker& c, const ObjectMeta& meta) {
  Result<std::optional<StickyCanary>> sticky = StickyCanaryOf(meta.annotations);
  if (sticky.ok()) return;
  auto m = c.path().Field("metadata");
  auto a = c.path().Field("annotations");
  c.ErrorAt(kStickyCanaryAnnotation, sticky.status().message());
}

void ValidateVirtualService(Checker& c, const VirtualServiceSpec& vs) {
  auto spec = c.path().Field("spec");
  bool delegate = vs.hosts.empty();
  // No gateways, or "mesh" among them: the rules are (also) for the mesh's sidecars, where "*"
  // would capture every host; Istio refuses that, and so does canaryd.
  bool for_mesh = vs.gateways.empty() ||
                  std::find(vs.gateways.begin(), vs.gateways.end(), "mesh") != vs.gateways.end();
  {
    auto scope = c.path().Field("hosts");
    for (size_t i = 0; i < vs.hosts.size(); ++i) {
      auto idx = c.path().Index(i);
      if (std::string why = CheckHost(vs.hosts[i], true); !why.empty()) {
        c.Error(why);
      } else if (vs.hosts[i] == "*" && for_mesh) {
        c.Error(
            "wildcard host * is not allowed for virtual services bound to the mesh gateway "
            "(no gateways, or \"mesh\" among them): name the hosts, or bind the "
            "VirtualService to a Gateway");
      }
      WarnPartialWildcard(c, vs.hosts[i]);
    }
  }
  if (delegate && !vs.gateways.empty()) {
    c.ErrorAt("hosts",
              "a VirtualService with gateways needs at least one host (one without "
              "hosts is a delegate, which cannot name gateways)");
  }
  {
    auto scope = c.path().Field("gateways");
    for (size_t i = 0; i < vs.gateways.size(); ++i) {
      auto idx = c.path().Index(i);
      const std::string& g = vs.gateways[i];
      if (g == "mesh") continue;
      std::string_view name = g;
      if (auto slash = g.find('/'); slash != std::string::npos) {
        if (std::string why = CheckDns1123Label(g.substr(0, slash)); !why.empty()) {
          c.Error("invalid gateway namespace: " + why);
        }
        name = std::string_view(g).substr(slash + 1);
      }
      if (std::string why = CheckDns1123Subdomain(name); !why.empty()) {
        c.Error("invalid gateway name: " + why);
      }
    }
  }
  if (vs.http.empty() && vs.tcp.empty() && vs.tls.empty()) {
    c.Error("one of http, tcp or tls routes must be provided");
  }
  {
    auto scope = c.path().Field("http");
    for (size_t i = 0; i < vs.http.size(); ++i) {
      auto idx = c.path().Index(i);
      CheckHttpRoute(c, vs.http[i], delegate);
    }
  }
  if (!vs.tcp.empty()) {
    c.ErrorAt("tcp",
              "TCP routes are not served: canaryd is an HTTP gateway; route HTTP traffic "
              "with spec.http");
  }
  if (!vs.tls.empty()) {
    c.ErrorAt("tls",
              "TLS (SNI passthrough) routes are not served: canaryd terminates HTTP; "
              "route HTTP traffic with spec.http");
  }
  CheckExportTo(c, vs.export_to);
}

}  // namespace canaryd::config

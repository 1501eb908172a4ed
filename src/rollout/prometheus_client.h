// The canary controller's metrics provider for Prometheus: one instant query against the HTTP
// API (<address>/api/v1/query) reduced to one number, with failures sorted into kinds because
// the controller treats them differently ("no data" is not an outage). Queries are rendered from
// their templates by config/query_template.h. QueryPrometheus blocks with a hard timeout; it is
// called from the controller's thread (any thread may call it: nothing is shared between calls).
//
// The remote is untrusted: the same transport rules as webhook_client.h (no redirects, no proxy
// from the environment, no compression, certificates verified), and at most 1 MiB of reply.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>

#include "common/status.h"

namespace canaryd::rollout {

struct PrometheusQuery {
  // http(s)://host:port, optionally with a path prefix (http://host/prometheus); no query
  // string or fragment. A trailing '/' is ignored.
  std::string address;
  std::string query;  // PromQL, already rendered
  enum class Method { kGet, kPost };
  // GET as Flagger does; POST (form-encoded) for queries too long for a URL.
  Method method = Method::kGet;
  std::chrono::milliseconds timeout{5000};          // the whole call; Flagger's Prometheus client's
  std::chrono::milliseconds connect_timeout{5000};  // capped by `timeout`
  // Extra request headers (e.g. Authorization); the same rules as WebhookCall::headers.
  std::map<std::string, std::string> headers;
};

enum class QueryErrorKind {
  kNone,
  // The query ran and gave nothing to judge: an empty vector, or NaN (Prometheus's answer to
  // 0/0, e.g. a success rate over no requests; Flagger treats both as "no values found").
  kNoData,
  // The provider could not answer now: cannot connect, timeout, the peer closed, TLS failure,
  // HTTP 5xx, 408 or 429, or a Prometheus error of type timeout/canceled/internal/unavailable.
  kUnavailable,
  // The request cannot succeed as configured: HTTP 4xx (but 408/429), a Prometheus error of type
  // bad_data/execution/not_found, an address that is not http(s)://, or an invalid header.
  kBadQuery,
  // Prometheus answered 2xx with something the controller cannot use: not JSON, not the API's
  // shape, a matrix or string result, more than one series, a value that is not a number,
  // +Inf/-Inf, a redirect (not followed), or a reply over 1 MiB.
  kBadResponse,
};

const char* QueryErrorKindName(QueryErrorKind kind);  // "NoData", "Unavailable", ...

struct QueryResult {
  bool ok() const { return kind == QueryErrorKind::kNone; }
  double value = 0;  // when ok: finite
  QueryErrorKind kind = QueryErrorKind::kNone;
  // Empty when ok. One short printable line, e.g. "no data", "no data (NaN)", "timeout after
  // 5s", "connection refused", "HTTP 503: <body>", "bad_data: <Prometheus's message>",
  // "3 series, expected one (aggregate with sum() or similar)", "result type matrix, expected
  // scalar or vector", "value \"+Inf\" is not finite", "reply larger than 1 MiB".
  std::string error;
  long http_status = 0;  // 0 when no response arrived
  std::chrono::milliseconds duration{0};
};

QueryResult QueryPrometheus(const PrometheusQuery& query);

}  // namespace canaryd::rollout

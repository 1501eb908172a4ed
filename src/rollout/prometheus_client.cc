#include "rollout/prometheus_client.h"

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "rollout/outbound_http.h"

namespace canaryd::rollout {
namespace {

constexpr size_t kMaxReply = 1024 * 1024;

std::string FormEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

QueryResult Failed(QueryResult r, QueryErrorKind kind, std::string error) {
  r.kind = kind;
  r.error = std::move(error);
  return r;
}

// HTTP 408 and 429 say "later", not "never": a provider shedding load is an outage.
bool Transient(long status) {
  return status >= 500 || status == 408 || status == 429;
}

// Prometheus's errorType (web/api/v1/api.go) says more than the status it comes with.
QueryErrorKind KindOfPrometheusError(const std::string& type, long status) {
  if (type == "bad_data" || type == "execution" || type == "not_found") {
    return QueryErrorKind::kBadQuery;
  }
  if (type == "timeout" || type == "canceled" || type == "internal" || type == "unavailable") {
    return QueryErrorKind::kUnavailable;
  }
  if (Transient(status)) return QueryErrorKind::kUnavailable;
  if (status >= 400) return QueryErrorKind::kBadQuery;
  return QueryErrorKind::kBadResponse;
}

// One sample's [timestamp, "value"] pair.
QueryResult SampleValue(QueryResult r, const nlohmann::json& pair) {
  if (!pair.is_array() || pair.size() != 2 || !pair[1].is_string()) {
    return Failed(std::move(r), QueryErrorKind::kBadResponse,
                  "sample is not [timestamp, \"value\"]");
  }
  const std::string& text = pair[1].get_ref<const std::string&>();
  if (text == "NaN") return Failed(std::move(r), QueryErrorKind::kNoData, "no data (NaN)");
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v)) {
    bool infinite = text == "+Inf" || text == "-Inf" || text == "Inf" ||
                    ec == std::errc::result_out_of_range || std::isinf(v);
    return Failed(std::move(r), QueryErrorKind::kBadResponse,
                  "value \"" + internal::Printable(text, 40) + "\"" +
                      (infinite ? " is not finite" : " is not a number"));
  }
  r.value = v;
  return r;
}

QueryResult Interpret(QueryResult r, const internal::OutboundResponse& http) {
  if (http.status >= 300 && http.status < 400) {
    std::string where = http.redirect_url.empty() ? "" : " to " + http.redirect_url;
    return Failed(std::move(r), QueryErrorKind::kBadResponse,
                  "HTTP " + std::to_string(http.status) + ": redirect" + where + " not followed");
  }
  // Prometheus's JSON error says which kind of failure this is, whatever the status; a proxy's
  // HTML error page does not, and the status decides.
  nlohmann::json j = nlohmann::json::parse(http.body, nullptr, false);
  bool api_error =
      !j.is_discarded() && j.is_object() && j.contains("status") && j["status"] == "error";
  if (api_error) {
    std::string type = j.value("errorType", "");
    std::string message =
        j.contains("error") && j["error"].is_string() ? j["error"].get<std::string>() : "";
    return Failed(std::move(r), KindOfPrometheusError(type, http.status),
                  internal::Printable(type.empty() ? "error" : type, 40) + ": " +
                      internal::Printable(message, 200));
  }
  if (http.status < 200 || http.status >= 300) {
    QueryErrorKind kind = Transient(http.status) ? QueryErrorKind::kUnavailable
                          : http.status >= 400   ? QueryErrorKind::kBadQuery
                                                 : QueryErrorKind::kBadResponse;
    std::string error = "HTTP " + std::to_string(http.status);
    if (!http.body.empty()) error += ": " + internal::Printable(http.body, 200);
    return Failed(std::move(r), kind, error);
  }
  if (http.truncated) {
    return Failed(std::move(r), QueryErrorKind::kBadResponse, "reply larger than 1 MiB");
  }
  if (j.is_discarded()) {
    return Failed(std::move(r), QueryErrorKind::kBadResponse,
                  "reply is not JSON: " + internal::Printable(http.body, 100));
  }
  if (!j.is_object() || j.value("status", nlohmann::json()) != "success" || !j.contains("data") ||
      !j["data"].is_object() || !j["data"].contains("resultType") ||
      !j["data"]["resultType"].is_string() || !j["data"].contains("result")) {
    return Failed(std::move(r), QueryErrorKind::kBadResponse,
                  "reply is not a Prometheus query result: " + internal::Printable(http.body, 100));
  }
  const std::string& type = j["data"]["resultType"].get_ref<const std::string&>();
  const nlohmann::json& result = j["data"]["result"];
  if (type == "scalar") return SampleValue(std::move(r), result);
  if (type != "vector") {
    return Failed(std::move(r), QueryErrorKind::kBadResponse,
                  "result type " + internal::Printable(type, 40) + ", expected scalar or vector");
  }
  if (!result.is_array()) {
    return Failed(std::move(r), QueryErrorKind::kBadResponse, "vector result is not an array");
  }
  if (result.empty()) return Failed(std::move(r), QueryErrorKind::kNoData, "no data");
  if (result.size() > 1) {
    return Failed(
        std::move(r), QueryErrorKind::kBadResponse,
        std::to_string(result.size()) + " series, expected one (aggregate with sum() or similar)");
  }
  if (!result[0].is_object() || !result[0].contains("value")) {
    return Failed(std::move(r), QueryErrorKind::kBadResponse, "sample has no value");
  }
  return SampleValue(std::move(r), result[0]["value"]);
}

}  // namespace

const char* QueryErrorKindName(QueryErrorKind kind) {
  switch (kind) {
    case QueryErrorKind::kNone:
      return "None";
    case QueryErrorKind::kNoData:
      return "NoData";
    case QueryErrorKind::kUnavailable:
      return "Unavailable";
    case QueryErrorKind::kBadQuery:
      return "BadQuery";
    case QueryErrorKind::kBadResponse:
      return "BadResponse";
  }
  return "?";
}

QueryResult QueryPrometheus(const PrometheusQuery& query) {
  QueryResult r;
  std::string address = query.address;
  while (!address.empty() && address.back() == '/') address.pop_back();
  if (address.find_first_of("?#") != std::string::npos) {
    return Failed(std::move(r), QueryErrorKind::kBadQuery,
                  "the Prometheus address must not have a query string or fragment");
  }
  internal::OutboundRequest req;
  req.url = address + "/api/v1/query";
  req.timeout = query.timeout;
  req.connect_timeout = std::min(query.connect_timeout, query.timeout);
  req.max_body_bytes = kMaxReply;
  req.headers = {"Accept: application/json"};
  if (query.method == PrometheusQuery::Method::kPost) {
    req.method = "POST";
    req.body = "query=" + FormEncode(query.query);
    req.headers.push_back("Content-Type: application/x-www-form-urlencoded");
  } else {
    req.url += "?query=" + FormEncode(query.query);
  }
  for (const auto& [name, value] : query.headers) {
    std::string why = internal::CheckHeader(name, value);
    if (!why.empty()) return Failed(std::move(r), QueryErrorKind::kBadQuery, why);
    req.headers.push_back(internal::HeaderLine(name, value));
  }

  internal::OutboundResponse http = internal::Perform(req);
  r.http_status = http.status;
  r.duration = http.duration;
  if (http.failure == internal::TransportFailure::kBadRequest) {
    return Failed(std::move(r), QueryErrorKind::kBadQuery, http.error);
  }
  if (http.failure != internal::TransportFailure::kNone) {
    return Failed(std::move(r), QueryErrorKind::kUnavailable, http.error);
  }
  return Interpret(std::move(r), http);
}

}  // namespace canaryd::rollout

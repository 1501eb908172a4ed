#include "rollout/webhook_client.h"

#include <nlohmann/json.hpp>

#include "rollout/outbound_http.h"

namespace canaryd::rollout {

WebhookOutcome CallWebhook(const WebhookCall& call) {
  WebhookOutcome out;
  internal::OutboundRequest req;
  req.method = "POST";
  req.url = call.url;
  req.body = call.body;
  req.timeout = call.timeout;
  req.connect_timeout = std::min(call.connect_timeout, call.timeout);
  req.max_body_bytes = 64 * 1024;
  req.headers = {"Content-Type: application/json", "Accept: application/json, */*"};
  for (const auto& [name, value] : call.headers) {
    std::string why = internal::CheckHeader(name, value);
    if (!why.empty()) {
      out.error = why;
      return out;
    }
    req.headers.push_back(internal::HeaderLine(name, value));
  }

  internal::OutboundResponse r = internal::Perform(req);
  out.http_status = r.status;
  out.duration = r.duration;
  if (r.failure != internal::TransportFailure::kNone) {
    out.error = r.error;
    return out;
  }
  if (r.status >= 200 && r.status < 300) {
    out.ok = true;
    return out;
  }
  out.error = "HTTP " + std::to_string(r.status);
  if (r.status >= 300 && r.status < 400) {
    out.error += r.redirect_url.empty() ? ": redirect not followed"
                                        : ": redirect to " + r.redirect_url + " not followed";
  } else if (!r.body.empty()) {
    out.error += ": " + internal::Printable(r.body, 200);
  }
  return out;
}

std::string WebhookPayload(std::string_view name, std::string_view ns, std::string_view phase,
                           std::string_view checksum,
                           const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json j;
  j["name"] = std::string(name);
  j["namespace"] = std::string(ns);
  j["phase"] = std::string(phase);
  j["checksum"] = std::string(checksum);
  if (!metadata.empty()) {
    nlohmann::ordered_json m = nlohmann::ordered_json::object();
    for (const auto& [k, v] : metadata) m[k] = v;
    j["metadata"] = std::move(m);
  }
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace canaryd::rollout

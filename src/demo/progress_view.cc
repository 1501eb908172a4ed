#include "demo/progress_view.h"

#include <cstdio>

#include "api/object_util.h"

namespace canaryd::demo {
namespace {

using nlohmann::json;

std::string Format(const char* fmt, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

using api::JsonMember;
using api::JsonString;

double Number(const json& j, const char* key, double fallback = 0) {
  const json& v = JsonMember(j, key);
  return v.is_number() ? v.get<double>() : fallback;
}

// The /stats/destinations entry of Service `host` (a name, or name.namespace...).
const json* DestinationOf(const json& destinations, const std::string& host) {
  const json& items = JsonMember(destinations, "destinations");
  if (!items.is_array()) return nullptr;
  std::string name = host.substr(0, host.find('.'));
  for (const json& d : items) {
    if (JsonString(d, "serviceName") == name) return &d;
  }
  return nullptr;
}

std::string VersionPart(const json& destinations, const std::string& host) {
  std::string name = host.substr(0, host.find('.'));
  std::string label = name;
  if (label.size() > 8 && label.compare(label.size() - 8, 8, "-service") == 0) {
    label = label.substr(0, label.size() - 8);
  }
  const json* d = DestinationOf(destinations, host);
  if (d != nullptr && !JsonString(*d, "version").empty()) label = JsonString(*d, "version");
  if (d == nullptr || Number(*d, "requests") <= 0) return label + " no requests";
  std::string out = label + " " + Format("%.1f rps", Number(*d, "requestsPerSecond"));
  const json& rate = JsonMember(*d, "successRate");
  if (rate.is_number()) out += " " + Format("%.1f%%", rate.get<double>() * 100.0);
  const json& p99 = JsonMember(JsonMember(*d, "latencyMs"), "p99");
  if (p99.is_number()) out += " p99 " + Format("%.1f ms", p99.get<double>());
  return out;
}

}  // namespace

std::string SplitLine(const AnswerCounts& counts) {
  int64_t total = 0;
  for (const auto& [version, c] : counts) total += c.ok + c.failed;
  if (total == 0) return "no requests";
  std::string out;
  for (const auto& [version, c] : counts) {
    if (!out.empty()) out += " · ";
    out +=
        (version == "-" ? std::string("no answer") : version) + " " +
        Format("%.1f%%", 100.0 * static_cast<double>(c.ok + c.failed) / static_cast<double>(total));
    if (c.failed > 0) out += " (" + std::to_string(c.failed) + " failed)";
  }
  return out + " of " + std::to_string(total) + " requests";
}

int64_t FailedRequests(const AnswerCounts& counts) {
  int64_t n = 0;
  for (const auto& [version, c] : counts) n += c.failed;
  return n;
}

std::string ProgressLine(const json& canary, const json& destinations) {
  const json& status = JsonMember(canary, "status");
  const json& spec = JsonMember(canary, "spec");
  std::string phase = JsonString(status, "phase");
  if (phase.empty()) phase = "Pending";
  std::string out = phase;
  const json& weights = JsonMember(status, "stepWeights");
  // status.step indexes stepWeights, -1 before the first step.
  const int64_t step = static_cast<int64_t>(Number(status, "step", -1));
  if (weights.is_array() && !weights.empty() && step >= 0) {
    out += " step " + std::to_string(step + 1) + "/" + std::to_string(weights.size());
  }
  out += " weight " + std::to_string(static_cast<int64_t>(Number(status, "canaryWeight"))) + "%";
  std::string stable = JsonString(JsonMember(spec, "stable"), "host");
  std::string canary_host = JsonString(JsonMember(spec, "canary"), "host");
  if (!stable.empty()) out += " | " + VersionPart(destinations, stable);
  if (!canary_host.empty()) out += " | " + VersionPart(destinations, canary_host);
  const json& analysis = JsonMember(spec, "analysis");
  out += " | failed checks " +
         std::to_string(static_cast<int64_t>(Number(status, "failedChecks"))) + "/" +
         std::to_string(static_cast<int64_t>(Number(analysis, "threshold", 0)));
  const json& tests = JsonMember(JsonMember(status, "sequential"), "tests");
  if (tests.is_array() && !tests.empty()) {
    double e = 0;
    for (const json& t : tests) e = std::max(e, Number(t, "eValue"));
    double alpha = Number(JsonMember(analysis, "sequential"), "alpha", 0.01);
    double bound = alpha > 0 ? static_cast<double>(tests.size()) / alpha : 0;
    out += " | sequential e=" + Format("%.2g", e) + " (rollback at " + Format("%.0f", bound) + ")";
  }
  return out;
}

std::string DecisionLine(const json& canary) {
  const json& status = JsonMember(canary, "status");
  std::string reason = JsonString(status, "reason");
  std::string message = JsonString(status, "message");
  if (reason.empty()) return message;
  return message.empty() ? reason : reason + ": " + message;
}

}  // namespace canaryd::demo

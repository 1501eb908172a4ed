#include "rollout/canary_status.h"

#include "api/object_util.h"

#include <cmath>
#include <cstdio>
#include <ctime>

namespace canaryd::rollout {
namespace {

using nlohmann::json;

constexpr std::string_view kPhaseNames[] = {"Initializing", "Initialized",      "Waiting",
                                            "Progressing",  "WaitingPromotion", "Promoting",
                                            "Finalising",   "Succeeded",        "Failed"};

template <class T>
T Get(const json& j, const char* key, T fallback) {
  if (!j.is_object()) return fallback;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  try {
    return it->get<T>();
  } catch (const json::exception&) {
    return fallback;
  }
}

int64_t GetTime(const json& j, const char* key) {
  std::string text = Get<std::string>(j, key, "");
  if (text.empty()) return 0;
  return ParseTimeMillis(text).value_or(0);
}

void PutTime(json& j, const char* key, int64_t ms) {
  if (ms != 0) j[key] = FormatTimeMillis(ms);
}

json Optional(const std::optional<double>& v) {
  return v && std::isfinite(*v) ? json(*v) : json(nullptr);
}

}  // namespace

std::string_view PhaseName(Phase p) {
  return kPhaseNames[static_cast<size_t>(p)];
}

std::optional<Phase> ParsePhase(std::string_view s) {
  for (size_t i = 0; i < std::size(kPhaseNames); ++i) {
    if (kPhaseNames[i] == s) return static_cast<Phase>(i);
  }
  return std::nullopt;
}

bool IsTerminal(Phase p) {
  return p == Phase::kSucceeded || p == Phase::kFailed;
}

std::string_view CheckResultName(CheckResult r) {
  switch (r) {
    case CheckResult::kPass:
      return "Pass";
    case CheckResult::kFail:
      return "Fail";
    case CheckResult::kHold:
      return "Hold";
    case CheckResult::kError:
      return "Error";
  }
  return "";
}

std::string FormatTimeMillis(int64_t ms) {
  time_t secs = static_cast<time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ms % 1000));
  return buf;
}

std::optional<int64_t> ParseTimeMillis(std::string_view text) {
  // The controller writes UTC only; the API's parser reads the fraction.
  if (text.empty() || text.back() != 'Z') return std::nullopt;
  std::optional<int64_t> nanos = api::ParseTimestamp(std::string(text));
  if (!nanos) return std::nullopt;
  return *nanos / 1'000'000;
}

json StatusToJson(const CanaryStatus& s) {
  json j = json::object();
  j["phase"] = PhaseName(s.phase);
  j["canaryWeight"] = s.canary_weight;
  j["failedChecks"] = s.failed_checks;
  j["iterations"] = s.iterations;
  PutTime(j, "lastTransitionTime", s.last_transition_ms);
  if (!s.revision.empty()) j["revision"] = s.revision;
  j["observedGeneration"] = s.observed_generation;
  j["step"] = s.step;
  j["stepWeights"] = s.step_weights;
  j["providerErrors"] = s.provider_errors;
  j["writeSeq"] = s.write_seq;
  if (!s.reason.empty()) j["reason"] = s.reason;
  if (!s.message.empty()) j["message"] = s.message;
  if (!s.reported_outside_edit.empty()) j["reportedOutsideEdit"] = s.reported_outside_edit;
  if (!s.promoted_template.empty()) j["lastPromotedSpec"] = s.promoted_template;

  // Flagger's condition: Promoted, True once succeeded, False when failed, Unknown meanwhile.
  std::string cond = s.phase == Phase::kSucceeded ? "True"
                     : s.phase == Phase::kFailed  ? "False"
                                                  : "Unknown";
  json c = {{"type", "Promoted"},
            {"status", cond},
            {"reason", std::string(PhaseName(s.phase))},
            {"message", s.message}};
  PutTime(c, "lastTransitionTime", s.last_transition_ms);
  PutTime(c, "lastUpdateTime", s.last_transition_ms);
  j["conditions"] = json::array({c});

  json timers = json::object();
  PutTime(timers, "analysisStart", s.analysis_start_ms);
  PutTime(timers, "stepStart", s.step_start_ms);
  PutTime(timers, "nextCheck", s.next_check_ms);
  PutTime(timers, "lastProgress", s.last_progress_ms);
  PutTime(timers, "lastEvaluated", s.last_evaluated_ms);
  PutTime(timers, "suspendedSince", s.suspended_since_ms);
  j["timers"] = timers;

  json seq = json::object();
  seq["throughSecond"] = s.sequential_through_second;
  json tests = json::array();
  for (const SequentialState& t : s.sequential) {
    json o = {{"name", t.name},
              {"eValue", std::exp(std::min(t.log_e, 700.0))},
              {"logE", t.log_e},
              {"canaryEvents", t.canary_events},
              {"stableEvents", t.stable_events},
              {"canaryRequests", t.canary_requests},
              {"stableRequests", t.stable_requests},
              {"logLikelihood", t.log_likelihood}};
    if (t.threshold_ms > 0) o["thresholdMs"] = t.threshold_ms;
    tests.push_back(std::move(o));
  }
  seq["tests"] = std::move(tests);
  j["sequential"] = std::move(seq);

  json last = json::object();
  PutTime(last, "time", s.last_check_ms);
  json checks = json::array();
  for (const CheckRecord& r : s.last_checks) {
    json o = {{"name", r.name},
              {"result", CheckResultName(r.result)},
              {"canary", Optional(r.canary)},
              {"stable", Optional(r.stable)},
              {"threshold", r.threshold},
              {"windowSeconds", static_cast<double>(r.window_ms) / 1000.0},
              {"canaryRequests", r.canary_requests},
              {"stableRequests", r.stable_requests},
              {"message", r.message}};
    checks.push_back(std::move(o));
  }
  last["checks"] = std::move(checks);
  j["lastAnalysis"] = std::move(last);
  return j;
}

CanaryStatus StatusFromJson(const json& j) {
  CanaryStatus s;
  if (!j.is_object()) return s;
  std::optional<Phase> phase = ParsePhase(Get<std::string>(j, "phase", ""));
  s.revision = Get<std::string>(j, "revision", "");
  if (!phase || s.revision.empty()) return CanaryStatus();  // nothing the controller wrote
  s.phase = *phase;
  s.canary_weight = Get<int>(j, "canaryWeight", 0);
  s.failed_checks = Get<int64_t>(j, "failedChecks", 0);
  s.iterations = Get<int64_t>(j, "iterations", 0);
  s.last_transition_ms = GetTime(j, "lastTransitionTime");
  s.observed_generation = Get<int64_t>(j, "observedGeneration", 0);
  s.step = Get<int>(j, "step", -1);
  s.step_weights = Get<std::vector<int>>(j, "stepWeights", {});
  s.provider_errors = Get<int64_t>(j, "providerErrors", 0);
  s.write_seq = Get<int64_t>(j, "writeSeq", 0);
  s.reason = Get<std::string>(j, "reason", "");
  s.message = Get<std::string>(j, "message", "");
  s.reported_outside_edit = Get<std::string>(j, "reportedOutsideEdit", "");
  s.promoted_template = Get<std::string>(j, "lastPromotedSpec", "");
  if (auto t = j.find("timers"); t != j.end()) {
    s.analysis_start_ms = GetTime(*t, "analysisStart");
    s.step_start_ms = GetTime(*t, "stepStart");
    s.next_check_ms = GetTime(*t, "nextCheck");
    s.last_progress_ms = GetTime(*t, "lastProgress");
    s.last_evaluated_ms = GetTime(*t, "lastEvaluated");
    s.suspended_since_ms = GetTime(*t, "suspendedSince");
  }
  if (auto seq = j.find("sequential"); seq != j.end() && seq->is_object()) {
    s.sequential_through_second = Get<int64_t>(*seq, "throughSecond", 0);
    if (auto tests = seq->find("tests"); tests != seq->end() && tests->is_array()) {
      for (const json& o : *tests) {
        SequentialState t;
        t.name = Get<std::string>(o, "name", "");
        t.threshold_ms = Get<double>(o, "thresholdMs", 0);
        t.log_e = Get<double>(o, "logE", 0);
        t.canary_events = Get<uint64_t>(o, "canaryEvents", 0);
        t.stable_events = Get<uint64_t>(o, "stableEvents", 0);
        t.canary_requests = Get<uint64_t>(o, "canaryRequests", 0);
        t.stable_requests = Get<uint64_t>(o, "stableRequests", 0);
        t.log_likelihood = Get<std::array<double, 7>>(o, "logLikelihood", {});
        s.sequential.push_back(std::move(t));
      }
    }
  }
  if (auto last = j.find("lastAnalysis"); last != j.end() && last->is_object()) {
    s.last_check_ms = GetTime(*last, "time");
    if (auto checks = last->find("checks"); checks != last->end() && checks->is_array()) {
      for (const json& o : *checks) {
        CheckRecord r;
        r.name = Get<std::string>(o, "name", "");
        std::string result = Get<std::string>(o, "result", "");
        r.result = result == "Fail"    ? CheckResult::kFail
                   : result == "Hold"  ? CheckResult::kHold
                   : result == "Error" ? CheckResult::kError
                                       : CheckResult::kPass;
        if (o.contains("canary") && o["canary"].is_number()) r.canary = o["canary"].get<double>();
        if (o.contains("stable") && o["stable"].is_number()) r.stable = o["stable"].get<double>();
        r.threshold = Get<std::string>(o, "threshold", "");
        r.window_ms = static_cast<int64_t>(Get<double>(o, "windowSeconds", 0) * 1000);
        r.canary_requests = Get<uint64_t>(o, "canaryRequests", 0);
        r.stable_requests = Get<uint64_t>(o, "stableRequests", 0);
        r.message = Get<std::string>(o, "message", "");
        s.last_checks.push_back(std::move(r));
      }
    }
  }
  return s;
}

}  // namespace canaryd::rollout

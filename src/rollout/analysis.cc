#include "rollout/analysis.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "config/duration.h"

namespace canaryd::rollout {
namespace {

std::string Number(double v, int decimals = 3) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  std::string s = buf;
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s;
}

std::string Value(const MetricPlan& m, double v) {
  if (m.kind == MetricKind::kSuccessRate) return Number(v, 2) + "%";
  if (m.kind == MetricKind::kDuration) return Number(v, 1) + "ms";
  return Number(v, 6);
}

// The first violated bound of the absolute range, or "".
std::string RangeViolation(const MetricPlan& m, double v) {
  if (m.min && v < *m.min) return Value(m, v) + " < " + Value(m, *m.min);
  if (m.max && v > *m.max) return Value(m, v) + " > " + Value(m, *m.max);
  return "";
}

std::string RelativeViolation(const MetricPlan& m, double canary, double stable) {
  const config::CanaryRelativeBound& b = *m.relative;
  double diff = canary - stable;
  if (b.min_difference && diff < *b.min_difference) {
    return "canary - stable = " + Number(diff) + " < " + Number(*b.min_difference);
  }
  if (b.max_difference && diff > *b.max_difference) {
    return "canary - stable = " + Number(diff) + " > " + Number(*b.max_difference);
  }
  if (b.min_ratio || b.max_ratio) {
    if (stable <= 0) {
      // A ratio to zero: only a canary at zero too is within any ratio.
      if (canary > 0 && b.max_ratio) return "canary " + Value(m, canary) + " against stable 0";
    } else {
      double ratio = canary / stable;
      if (b.min_ratio && ratio < *b.min_ratio) {
        return "canary / stable = " + Number(ratio) + " < " + Number(*b.min_ratio);
      }
      if (b.max_ratio && ratio > *b.max_ratio) {
        return "canary / stable = " + Number(ratio) + " > " + Number(*b.max_ratio);
      }
    }
  }
  return "";
}

double ValueOf(const MetricPlan& m, const WindowStats& w) {
  if (m.kind == MetricKind::kSuccessRate) {
    return 100.0 * static_cast<double>(w.requests - w.errors) / static_cast<double>(w.requests);
  }
  return w.latency.Quantile(m.quantile);
}

}  // namespace

std::string WindowText(int64_t ms) {
  return config::FormatDuration(ms * 1'000'000);
}

std::string ThresholdText(const MetricPlan& m) {
  std::string out;
  auto add = [&](const std::string& s) { out += (out.empty() ? "" : " ") + s; };
  if (m.min) add("min " + Number(*m.min));
  if (m.max) add("max " + Number(*m.max));
  if (m.relative) {
    const config::CanaryRelativeBound& b = *m.relative;
    if (b.min_difference) add("canary - stable >= " + Number(*b.min_difference));
    if (b.max_difference) add("canary - stable <= " + Number(*b.max_difference));
    if (b.min_ratio) add("canary / stable >= " + Number(*b.min_ratio));
    if (b.max_ratio) add("canary / stable <= " + Number(*b.max_ratio));
  }
  return out;
}

CheckRecord EvaluateBuiltIn(const MetricPlan& m, const WindowStats& canary,
                            const WindowStats& stable, int64_t min_requests) {
  CheckRecord r;
  r.name = m.name;
  r.threshold = ThresholdText(m);
  r.window_ms = m.window_ms;
  r.canary_requests = canary.requests;
  r.stable_requests = stable.requests;
  uint64_t needed = static_cast<uint64_t>(std::max<int64_t>(min_requests, 1));
  std::string window = WindowText(m.window_ms);
  if (canary.requests < needed) {
    r.result = CheckResult::kHold;
    r.message = m.name + ": holding: " + std::to_string(canary.requests) + " of " +
                std::to_string(needed) + " canary requests in " + window;
    if (stable.requests > 0) r.stable = ValueOf(m, stable);
    return r;
  }
  double c = ValueOf(m, canary);
  r.canary = c;
  bool stable_enough = stable.requests >= needed;
  if (stable.requests > 0) r.stable = ValueOf(m, stable);
  std::string context =
      " (canary, " + window + ", " + std::to_string(canary.requests) + " requests";
  if (r.stable) {
    context +=
        "; stable " + Value(m, *r.stable) + ", " + std::to_string(stable.requests) + " requests";
  }
  context += ")";
  std::string why = RangeViolation(m, c);
  if (why.empty() && m.relative) {
    if (stable_enough) {
      why = RelativeViolation(m, c, *r.stable);
    } else {
      context += "; relative bound not checked: " + std::to_string(stable.requests) + " of " +
                 std::to_string(needed) + " stable requests";
    }
  }
  if (!why.empty()) {
    r.result = CheckResult::kFail;
    r.message = m.name + " " + why + context;
  } else {
    r.result = CheckResult::kPass;
    r.message = m.name + " " + Value(m, c) + " within " + r.threshold + context;
  }
  return r;
}

std::vector<CheckRecord> BuiltInChecks(const CanaryPlan& plan, const CanaryStatus& status,
                                       int64_t through, const WindowSum& sum) {
  std::vector<CheckRecord> out;
  constexpr int64_t kMaxWindow = 600;  // what the live statistics keep
  int64_t interval_s = std::clamp<int64_t>(plan.interval_ms / 1000, 1, kMaxWindow);
  int64_t window_s = interval_s;
  uint64_t needed = static_cast<uint64_t>(std::max<int64_t>(plan.min_requests, 0));
  WindowStats in_window = sum(true, through - window_s + 1, through);
  // Back to the step's start, but not before the last evaluated check: a request is judged once.
  int64_t since_ms = std::max(status.step_start_ms, status.last_evaluated_ms);
  if (in_window.requests < needed && since_ms > 0) {
    int64_t since_step = through - since_ms / 1000 + 1;
    if (since_step > window_s) {
      window_s = std::min(since_step, kMaxWindow);
      in_window = sum(true, through - window_s + 1, through);
    }
  }
  if (in_window.requests < needed) {
    CheckRecord hold;
    hold.name = "minRequests";
    hold.result = CheckResult::kHold;
    hold.window_ms = window_s * 1000;
    hold.canary_requests = in_window.requests;
    hold.message = "holding: " + std::to_string(in_window.requests) + " of " +
                   std::to_string(needed) + " canary requests in " + WindowText(window_s * 1000);
    out.push_back(hold);
    return out;
  }
  for (const MetricPlan& m : plan.metrics) {
    if (m.kind == MetricKind::kCustom) continue;
    int64_t w = std::clamp<int64_t>(m.window_ms / 1000, 1, kMaxWindow);
    if (window_s > interval_s) w = std::max(w, window_s);  // widened with the interval's
    MetricPlan widened = m;
    widened.window_ms = w * 1000;
    out.push_back(EvaluateBuiltIn(widened, sum(true, through - w + 1, through),
                                  sum(false, through - w + 1, through), 1));
  }
  return out;
}

CheckRecord EvaluateCustom(const MetricPlan& m, const ProviderValue& v) {
  CheckRecord r;
  r.name = m.name;
  r.threshold = ThresholdText(m);
  r.window_ms = m.window_ms;
  switch (v.kind) {
    case ProviderValue::Kind::kNoData:
      r.result = CheckResult::kHold;
      r.message = m.name + ": holding: the query returned no data" +
                  (v.error.empty() ? "" : " (" + v.error + ")");
      return r;
    case ProviderValue::Kind::kError:
      r.result = CheckResult::kError;
      r.message = m.name + ": provider error: " + v.error;
      return r;
    case ProviderValue::Kind::kValue:
      break;
  }
  r.canary = v.value;
  std::string why = RangeViolation(m, v.value);
  r.result = why.empty() ? CheckResult::kPass : CheckResult::kFail;
  r.message = m.name + " " + (why.empty() ? Value(m, v.value) + " within " + r.threshold : why) +
              " (" + m.provider_type + ", " + WindowText(m.window_ms) + ")";
  return r;
}

}  // namespace canaryd::rollout

// The interval checks of a canary analysis, as pure functions: a built-in metric evaluated on
// the gateway's per-destination counts over its window, a custom metric's provider result
// against its range, and what too little data means (a hold, never a failure). Each result is a
// CheckRecord with the values, threshold, window and sample sizes that the status and the
// events show. Any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "rollout/canary_plan.h"
#include "rollout/canary_status.h"
#include "telemetry/histogram.h"

namespace canaryd::rollout {

// What one destination served over a window.
struct WindowStats {
  uint64_t requests = 0;
  uint64_t errors = 0;  // 5xx (and requests that got no response)
  telemetry::LatencyHistogram latency;
};

// Evaluates request-success-rate or request-duration. Fewer than `min_requests` canary requests
// (at least 1) in the window is a hold; a relative bound needs as many stable requests, and
// without them only the absolute range is checked (the record's message says so).
CheckRecord EvaluateBuiltIn(const MetricPlan& metric, const WindowStats& canary,
                            const WindowStats& stable, int64_t min_requests);

// What a metrics provider answered for a custom metric.
struct ProviderValue {
  enum class Kind { kValue, kNoData, kError } kind = Kind::kValue;
  double value = 0;
  std::string error;
};
// A value is checked against the range; no data is a hold; an error is an error (the
// controller counts consecutive errors against providerErrorLimit).
CheckRecord EvaluateCustom(const MetricPlan& metric, const ProviderValue& value);

// Sums one destination's (canary when `canary`, else stable) whole seconds in [from, to].
using WindowSum = std::function<WindowStats(bool canary, int64_t from_second, int64_t to_second)>;

// The built-in metrics' checks at the whole second `through_second`, the controller's and the
// release-safety benchmark's one definition. The interval needs `plan.min_requests` canary
// requests; when it has fewer, the data since the step began (or since the last check that
// passed or failed, so that no request is judged twice) counts too (up to the live statistics'
// 10 minutes), so that low traffic slows the steps instead of holding them until the
// deadline; with fewer still, a "minRequests" hold says how many of how many. The metrics are
// computed over their windows, widened to the step's when that was needed.
std::vector<CheckRecord> BuiltInChecks(const CanaryPlan& plan, const CanaryStatus& status,
                                       int64_t through_second, const WindowSum& sum);

// "min 99", "max 500", "min 1 max 2", plus the relative bounds.
std::string ThresholdText(const MetricPlan& metric);

// "30s", "1m30s", "1.5s".
std::string WindowText(int64_t ms);

}  // namespace canaryd::rollout

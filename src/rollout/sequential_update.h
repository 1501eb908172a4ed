// Folds whole seconds of traffic into a Canary's sequential tests (rollout/sequential_test.h):
// for each second, the canary's and the stable's requests and events (5xx; or responses slower
// than the latency test's bound), the canary's share of requests in that second, and the
// counts shown in status. Pure functions: any thread.
#pragma once

#include <cstdint>
#include <vector>

#include "rollout/canary_status.h"
#include "telemetry/live_stats.h"

namespace canaryd::rollout {

// One second of both destinations.
struct SecondPair {
  int64_t second = 0;
  telemetry::SecondBucket canary, stable;
};

// Requests of `h` slower than `bound_ms`: those in the buckets above the one holding the bound
// (a slight undercount near it, the same on both sides, so the test stays valid).
uint64_t SlowerThan(const telemetry::LatencyHistogram& h, double bound_ms);

// Folds `seconds` (ascending; each at most once, ever) into every test.
void FoldSeconds(std::vector<SequentialState>& tests, const std::vector<SecondPair>& seconds);

}  // namespace canaryd::rollout

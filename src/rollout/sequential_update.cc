#include "rollout/sequential_update.h"

#include "rollout/sequential_test.h"

namespace canaryd::rollout {

uint64_t SlowerThan(const telemetry::LatencyHistogram& h, double bound_ms) {
  int b = telemetry::LatencyHistogram::BucketOf(bound_ms);
  uint64_t n = 0;
  for (int i = b + 1; i < telemetry::LatencyHistogram::kBuckets; ++i) n += h.counts[i];
  return n;
}

void FoldSeconds(std::vector<SequentialState>& tests, const std::vector<SecondPair>& seconds) {
  for (SequentialState& t : tests) {
    SequentialTest test =
        SequentialTest::FromState({t.log_likelihood, t.canary_events, t.stable_events});
    for (const SecondPair& p : seconds) {
      uint64_t cr = p.canary.requests, sr = p.stable.requests;
      if (cr + sr == 0) continue;
      uint64_t ce = 0, se = 0;
      if (t.threshold_ms > 0) {
        ce = SlowerThan(p.canary.latency, t.threshold_ms);
        se = SlowerThan(p.stable.latency, t.threshold_ms);
      } else {
        ce = cr - p.canary.successes;
        se = sr - p.stable.successes;
      }
      double share = static_cast<double>(cr) / static_cast<double>(cr + sr);
      test.Observe(ce, se, share);
      t.canary_requests += cr;
      t.stable_requests += sr;
    }
    SequentialTest::State st = test.state();
    t.log_likelihood = st.log_likelihood;
    t.canary_events = st.canary_events;
    t.stable_events = st.stable_events;
    t.log_e = test.log_e_value();
  }
}

}  // namespace canaryd::rollout

#include "rollout/sequential_test.h"

#include <algorithm>
#include <cmath>

namespace canaryd::rollout {

void SequentialTest::Observe(uint64_t canary_events, uint64_t stable_events, double rho) {
  if (canary_events + stable_events == 0) return;
  if (!(rho > 0.0 && rho < 1.0)) return;
  canary_events_ += canary_events;
  stable_events_ += stable_events;
  const double nc = static_cast<double>(canary_events);
  const double ns = static_cast<double>(stable_events);
  for (size_t j = 0; j < kRatios.size(); ++j) {
    // theta: the probability that an event is the canary's if its rate is r times the stable's.
    double theta = rho * kRatios[j] / (rho * kRatios[j] + 1.0 - rho);
    log_likelihood_[j] += nc * std::log(theta / rho) + ns * std::log((1.0 - theta) / (1.0 - rho));
  }
}

double SequentialTest::log_e_value() const {
  // ln sum_j (1/7) exp(L_j), computed stably.
  double top = *std::max_element(log_likelihood_.begin(), log_likelihood_.end());
  double sum = 0;
  for (double l : log_likelihood_) sum += std::exp(l - top);
  return top + std::log(sum / static_cast<double>(kRatios.size()));
}

bool SequentialTest::Rejects(double alpha) const {
  return log_e_value() >= std::log(1.0 / alpha);
}

SequentialTest SequentialTest::FromState(const State& s) {
  SequentialTest t;
  t.log_likelihood_ = s.log_likelihood;
  t.canary_events_ = s.canary_events;
  t.stable_events_ = s.stable_events;
  return t;
}

}  // namespace canaryd::rollout

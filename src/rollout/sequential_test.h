// SequentialTest: an anytime-valid test of "the canary has a higher event rate than the stable"
// (events: 5xx responses, or responses slower than a fixed bound), the e-process of Lindon,
// Sanden and Shirikian (KDD 2022) in its one-sided mixture form.
//
// Each event is labelled by who served it. Under the null (the same per-request event rate on
// both sides, even a rate that drifts), an event is the canary's with probability rho, the
// canary's share of requests when it happened. Against rate ratios r_j with equal weights, the
// likelihood ratio of the labels is a nonnegative martingale starting at 1 under the null, so by
// Ville's inequality it ever reaches 1/alpha with probability at most alpha: however long and
// however often it is watched, and while the weights step (rho is the share at each update).
// Several tests on one canary split alpha between them.
//
// Observe() folds one period's counts in (the controller calls it every second with that
// second's counts and share). Pure arithmetic, no clock; not thread-safe (one per analysis).
#pragma once

#include <array>
#include <cstdint>

namespace canaryd::rollout {

class SequentialTest {
 public:
  // The rate ratios the mixture is taken over, each with weight 1/7.
  static constexpr std::array<double, 7> kRatios = {1.5, 2, 3, 5, 10, 20, 50};

  // Counts of one period: events the canary served, events the stable served, and the canary's
  // share of all requests in that period (canary requests / all requests). A period with no
  // events, or a share of 0 or 1 (one side alone: nothing to compare), changes nothing.
  void Observe(uint64_t canary_events, uint64_t stable_events, double canary_share);

  // ln E, the log of the e-value (0 before any evidence; may be negative).
  double log_e_value() const;
  // Whether E >= 1/alpha.
  bool Rejects(double alpha) const;

  uint64_t canary_events() const { return canary_events_; }
  uint64_t stable_events() const { return stable_events_; }

  // The state, for storing between restarts (the log-accumulators and the counts).
  struct State {
    std::array<double, 7> log_likelihood{};
    uint64_t canary_events = 0;
    uint64_t stable_events = 0;
  };
  State state() const { return {log_likelihood_, canary_events_, stable_events_}; }
  static SequentialTest FromState(const State& s);

 private:
  std::array<double, 7> log_likelihood_{};  // ln of each ratio's likelihood ratio
  uint64_t canary_events_ = 0;
  uint64_t stable_events_ = 0;
};

}  // namespace canaryd::rollout

#include "rollout/sequential_test.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace canaryd::rollout {
namespace {

TEST(SequentialTest, StartsAtOneAndIgnoresPeriodsWithoutInformation) {
  SequentialTest t;
  EXPECT_DOUBLE_EQ(t.log_e_value(), 0.0);
  t.Observe(0, 0, 0.1);
  t.Observe(3, 4, 0.0);  // no canary traffic: the labels say nothing
  t.Observe(3, 4, 1.0);
  EXPECT_DOUBLE_EQ(t.log_e_value(), 0.0);
  EXPECT_EQ(t.canary_events(), 0u);
}

TEST(SequentialTest, MatchesTheMixtureFormula) {
  // Two periods at different shares, computed by hand from the definition.
  SequentialTest t;
  t.Observe(2, 1, 0.1);
  t.Observe(1, 5, 0.25);
  double e = 0;
  for (double r : SequentialTest::kRatios) {
    double l = 0;
    for (auto [nc, ns, rho] : {std::tuple{2.0, 1.0, 0.1}, std::tuple{1.0, 5.0, 0.25}}) {
      double theta = rho * r / (rho * r + 1 - rho);
      l += nc * std::log(theta / rho) + ns * std::log((1 - theta) / (1 - rho));
    }
    e += std::exp(l) / 7;
  }
  EXPECT_NEAR(t.log_e_value(), std::log(e), 1e-12);
  SequentialTest restored = SequentialTest::FromState(t.state());
  EXPECT_DOUBLE_EQ(restored.log_e_value(), t.log_e_value());
  EXPECT_EQ(restored.canary_events(), 3u);
  EXPECT_EQ(restored.stable_events(), 6u);
}

// A rollout simulated per second: Poisson arrivals, each request routed to the canary with the
// step's weight, each an event with its side's probability. Returns the canary requests seen
// until the test rejected, or -1 when it never did.
struct Simulation {
  double rps = 200;
  double stable_rate = 0.001;
  double canary_rate = 0.001;
  std::vector<double> weights = {0.01, 0.05, 0.10, 0.25, 0.50};
  int seconds_per_step = 60;
  double alpha = 0.01;

  int64_t Run(uint64_t seed) const {
    std::mt19937_64 rng(seed);
    std::poisson_distribution<int64_t> arrivals(rps);
    SequentialTest t;
    int64_t canary_requests = 0;
    for (double w : weights) {
      for (int s = 0; s < seconds_per_step; ++s) {
        int64_t n = arrivals(rng);
        int64_t nc = std::binomial_distribution<int64_t>(n, w)(rng);
        int64_t ns = n - nc;
        int64_t ec = std::binomial_distribution<int64_t>(nc, canary_rate)(rng);
        int64_t es = std::binomial_distribution<int64_t>(ns, stable_rate)(rng);
        canary_requests += nc;
        if (n > 0) {
          t.Observe(static_cast<uint64_t>(ec), static_cast<uint64_t>(es),
                    static_cast<double>(nc) / static_cast<double>(n));
        }
        if (t.Rejects(alpha)) return canary_requests;
      }
    }
    return -1;
  }
};

TEST(SequentialTest, RejectsAtMostAlphaOfHealthyCanariesHoweverOftenItIsWatched) {
  // 2,000 healthy rollouts, watched every second through five weight steps. Ville's inequality
  // bounds the rejections by alpha = 1%: 20 expected at most; the bound below adds three
  // binomial standard deviations (sqrt(2000 * 0.01 * 0.99) = 4.4, so 14) so that no seed set
  // can fail a correct test.
  Simulation healthy;
  healthy.stable_rate = healthy.canary_rate = 0.005;  // enough errors to give it many chances
  int rejected = 0;
  for (uint64_t seed = 1; seed <= 2000; ++seed) rejected += healthy.Run(seed) >= 0;
  EXPECT_LE(rejected, 20 + 14) << rejected << " of 2000 healthy canaries rolled back";
  std::printf("healthy canaries rolled back: %d of 2000 (alpha 1%%)\n", rejected);
}

TEST(SequentialTest, CatchesBadCanariesAfterFewRequests) {
  for (auto [rate, median_bound] : {std::pair{0.10, 150.0}, std::pair{0.01, 1500.0}}) {
    Simulation bad;
    bad.canary_rate = rate;
    std::vector<int64_t> needed;
    int missed = 0;
    for (uint64_t seed = 1; seed <= 200; ++seed) {
      int64_t n = bad.Run(seed);
      if (n < 0) {
        ++missed;
      } else {
        needed.push_back(n);
      }
    }
    EXPECT_LE(missed, 2) << "canary errors " << rate << ": nearly every bad canary is caught";
    std::sort(needed.begin(), needed.end());
    ASSERT_FALSE(needed.empty());
    double median = static_cast<double>(needed[needed.size() / 2]);
    EXPECT_LT(median, median_bound) << "canary errors " << rate << ": median canary requests";
    std::printf("canary errors %.1f%% vs 0.1%%: caught in %d of 200, median %.0f canary requests\n",
                rate * 100, 200 - missed, median);
  }
}

}  // namespace
}  // namespace canaryd::rollout

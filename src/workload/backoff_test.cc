#include "workload/backoff.h"

#include <gtest/gtest.h>

#include <chrono>
#include <vector>

namespace canaryd::workload {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

constexpr int64_t kSec = 1'000'000'000;

TEST(ShouldRestart, FollowsRestartPolicy) {
  EXPECT_TRUE(ShouldRestart(RestartPolicy::kAlways, 0, false));
  EXPECT_TRUE(ShouldRestart(RestartPolicy::kAlways, 1, false));
  EXPECT_FALSE(ShouldRestart(RestartPolicy::kOnFailure, 0, false));
  EXPECT_TRUE(ShouldRestart(RestartPolicy::kOnFailure, 2, false));
  EXPECT_TRUE(ShouldRestart(RestartPolicy::kOnFailure, 0, true));
  EXPECT_FALSE(ShouldRestart(RestartPolicy::kNever, 1, false));
  EXPECT_FALSE(ShouldRestart(RestartPolicy::kNever, 0, true));
}

TEST(RestartBackoff, DoublesFromTenSecondsUpToFiveMinutes) {
  ManualClock clock;
  RestartBackoff b(clock);
  std::vector<int64_t> delays;
  b.OnStarted();
  EXPECT_TRUE(b.CanStart());
  for (int i = 0; i < 8; ++i) {
    clock.Advance(seconds(1));
    RestartDecision d = b.OnExited(RestartPolicy::kAlways, 1, false);
    ASSERT_TRUE(d.restart);
    EXPECT_EQ(d.not_before, clock.MonotonicNanos() + d.delay_nanos);
    delays.push_back(d.delay_nanos / kSec);
    EXPECT_FALSE(b.CanStart());
    clock.Advance(std::chrono::nanoseconds(d.delay_nanos - 1));
    EXPECT_FALSE(b.CanStart());
    EXPECT_EQ(b.RemainingNanos(), 1);
    clock.Advance(std::chrono::nanoseconds(1));
    EXPECT_TRUE(b.CanStart());
    b.OnStarted();
  }
  EXPECT_EQ(delays, (std::vector<int64_t>{10, 20, 40, 80, 160, 300, 300, 300}));
  EXPECT_EQ(b.state().restart_count, 8);
  EXPECT_TRUE(b.state().running);
}

TEST(RestartBackoff, ResetsAfterTenMinutesRunning) {
  ManualClock clock;
  RestartBackoff b(clock);
  b.OnStarted();
  for (int i = 0; i < 4; ++i) {
    RestartDecision d = b.OnExited(RestartPolicy::kAlways, 1, false);
    clock.Advance(std::chrono::nanoseconds(d.delay_nanos));
    b.OnStarted();
  }
  EXPECT_EQ(b.state().current_delay_nanos, 80 * kSec);
  clock.Advance(minutes(10) - seconds(1));
  EXPECT_EQ(b.OnExited(RestartPolicy::kAlways, 1, false).delay_nanos, 160 * kSec);
  clock.Advance(seconds(160));
  b.OnStarted();
  clock.Advance(minutes(10));
  RestartDecision d = b.OnExited(RestartPolicy::kAlways, 1, false);
  EXPECT_EQ(d.delay_nanos, 10 * kSec);
  EXPECT_EQ(b.state().next_start_allowed_at, clock.MonotonicNanos() + 10 * kSec);
  EXPECT_EQ(b.state().restart_count, 5);
}

TEST(RestartBackoff, NoRestartLeavesDelayAlone) {
  ManualClock clock;
  RestartBackoff b(clock);
  b.OnStarted();
  RestartDecision d = b.OnExited(RestartPolicy::kOnFailure, 0, false);
  EXPECT_FALSE(d.restart);
  EXPECT_TRUE(b.CanStart());
  EXPECT_EQ(b.state().current_delay_nanos, 0);
  EXPECT_FALSE(b.state().running);
  EXPECT_FALSE(b.OnExited(RestartPolicy::kNever, 137, true).restart);
  d = b.OnExited(RestartPolicy::kOnFailure, 0, true);
  EXPECT_TRUE(d.restart);
  EXPECT_EQ(d.delay_nanos, 10 * kSec);
}

TEST(RestartBackoff, CustomPolicy) {
  ManualClock clock;
  RestartBackoff b(clock, BackoffPolicy{kSec, 3 * kSec, 60 * kSec});
  b.OnStarted();
  EXPECT_EQ(b.OnExited(RestartPolicy::kAlways, 0, false).delay_nanos, kSec);
  EXPECT_EQ(b.OnExited(RestartPolicy::kAlways, 0, false).delay_nanos, 2 * kSec);
  EXPECT_EQ(b.OnExited(RestartPolicy::kAlways, 0, false).delay_nanos, 3 * kSec);
}

}  // namespace
}  // namespace canaryd::workload

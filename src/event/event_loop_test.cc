#include "event/event_loop.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <random>
#include <thread>

namespace canaryd::event {
namespace {

TEST(EventLoop, TimersFireInDeadlineOrderAndCanBeRearmedOrCancelled) {
  EventLoop loop;
  std::vector<int> fired;
  Timer a(&loop, [&] { fired.push_back(1); });
  Timer b(&loop, [&] { fired.push_back(2); });
  Timer c(&loop, [&] { fired.push_back(3); });
  Timer stop(&loop, [&] { loop.Stop(); });
  a.Arm(30'000'000);
  b.Arm(10'000'000);
  c.Arm(20'000'000);
  c.Cancel();
  a.Arm(5'000'000);  // re-arming moves it
  stop.Arm(60'000'000);
  loop.Run();
  EXPECT_EQ(fired, (std::vector<int>{1, 2}));
  EXPECT_FALSE(a.armed());
}

// A manual clock drives the loop: RunOnce(0) runs what is due at the clock's time.
TEST(EventLoopTimers, ManyDurationsFireInDeadlineOrder) {
  ManualClock clock;
  EventLoop loop(clock);
  std::mt19937 rng(7);
  std::vector<std::unique_ptr<Timer>> timers;
  std::vector<int64_t> fired_deadlines;
  std::vector<int64_t> expected;
  for (int i = 0; i < 2000; ++i) {
    // 300 distinct durations, each used by several timers; all deadlines distinct.
    int64_t d = (1 + static_cast<int64_t>(rng() % 300)) * 1'000'000 + i;
    timers.push_back(std::make_unique<Timer>(&loop, [&, d] { fired_deadlines.push_back(d); }));
    timers.back()->Arm(d);
    expected.push_back(d);
  }
  // Cancel every third, re-arm every seventh with a longer duration.
  for (size_t i = 0; i < timers.size(); i += 3) {
    timers[i]->Cancel();
    expected[i] = -1;
  }
  for (size_t i = 1; i < timers.size(); i += 7) {
    int64_t d = expected[i] + 400'000'000;
    timers[i] = std::make_unique<Timer>(&loop, [&, d] { fired_deadlines.push_back(d); });
    timers[i]->Arm(d);
    expected[i] = d;
  }
  expected.erase(std::remove(expected.begin(), expected.end(), -1), expected.end());
  std::sort(expected.begin(), expected.end());
  for (int step = 0; step < 800 && fired_deadlines.size() < expected.size(); ++step) {
    clock.Advance(std::chrono::milliseconds(1));
    loop.RunOnce(0);
  }
  EXPECT_EQ(fired_deadlines, expected);
  EXPECT_EQ(loop.armed_timer_lists(), 0u);
  EXPECT_EQ(loop.NextTimeoutMs(), 1000);
}

TEST(EventLoopTimers, ListsOfDurationsNoLongerUsedAreFreed) {
  ManualClock clock;
  EventLoop loop(clock);
  std::vector<std::unique_ptr<Timer>> timers;
  for (int i = 0; i < 10000; ++i) {
    timers.push_back(std::make_unique<Timer>(&loop, [] {}));
    timers.back()->Arm(1'000'000 + i);  // 10,000 distinct durations, as a configuration may bring
  }
  EXPECT_EQ(loop.timer_lists(), 10000u);
  EXPECT_EQ(loop.armed_timer_lists(), 10000u);
  EXPECT_EQ(loop.NextTimeoutMs(), 1);
  timers.clear();
  EXPECT_EQ(loop.armed_timer_lists(), 0u);
  EXPECT_EQ(loop.timer_lists(), EventLoop::kMaxIdleTimerLists);
  // A kept list is reused.
  Timer t(&loop, [] {});
  t.Arm(1'000'000);
  EXPECT_EQ(loop.timer_lists(), EventLoop::kMaxIdleTimerLists);
  EXPECT_EQ(loop.armed_timer_lists(), 1u);
}

TEST(EventLoopTimers, ABurstOfExpiriesIsSpreadOverIterations) {
  ManualClock clock;
  EventLoop loop(clock);
  int fired = 0;
  std::vector<std::unique_ptr<Timer>> timers;
  for (int i = 0; i < 2500; ++i) {
    timers.push_back(std::make_unique<Timer>(&loop, [&] { ++fired; }));
    timers.back()->Arm(5'000'000);
  }
  clock.Advance(std::chrono::milliseconds(6));
  loop.RunOnce(0);
  EXPECT_EQ(fired, EventLoop::kMaxTimersPerIteration);
  EXPECT_EQ(loop.NextTimeoutMs(), 0) << "the rest are due: the next iteration must not wait";
  loop.RunOnce(0);
  loop.RunOnce(0);
  EXPECT_EQ(fired, 2500);
  EXPECT_EQ(loop.NextTimeoutMs(), 1000);
}

TEST(EventLoopTimers, CallbacksMayRearmCancelOrDestroyTimers) {
  ManualClock clock;
  EventLoop loop(clock);
  std::vector<std::string> log;
  auto later = std::make_unique<Timer>(&loop, [&] { log.push_back("later"); });
  std::unique_ptr<Timer> doomed;
  int rounds = 0;
  Timer first(&loop, [&] {
    log.push_back("first");
    later->Cancel();                         // a timer of another list
    doomed.reset();                          // a timer of the same list, destroyed
    if (++rounds < 3) first.Arm(2'000'000);  // itself, again
  });
  doomed = std::make_unique<Timer>(&loop, [&] { log.push_back("doomed"); });
  first.Arm(2'000'000);
  doomed->Arm(2'000'000);
  later->Arm(3'000'000);
  for (int i = 0; i < 10; ++i) {
    clock.Advance(std::chrono::milliseconds(1));
    loop.RunOnce(0);
  }
  EXPECT_EQ(log, (std::vector<std::string>{"first", "first", "first"}));
  EXPECT_EQ(loop.armed_timer_lists(), 0u);
}

TEST(EventLoop, PostRunsOnTheLoopThread) {
  EventLoop loop;
  std::thread::id ran_on;
  std::thread t([&] { loop.Run(); });
  std::thread::id loop_thread = t.get_id();
  loop.Post([&] {
    ran_on = std::this_thread::get_id();
    loop.Stop();
  });
  t.join();
  EXPECT_EQ(ran_on, loop_thread);
}

}  // namespace
}  // namespace canaryd::event

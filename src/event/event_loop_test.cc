#include "event/event_loop.h"

#include <gtest/gtest.h>

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

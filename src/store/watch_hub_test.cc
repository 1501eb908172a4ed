#include "store/watch_hub.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace canaryd::store {
namespace {

using namespace std::chrono_literals;

WatchEvent Event(int64_t revision, const std::string& kind, const std::string& ns) {
  WatchEvent e;
  e.type = EventType::kAdded;
  e.revision = revision;
  e.object.key = ObjectKey{kind, ns, "x"};
  e.object.mod_revision = revision;
  return e;
}

TEST(WatchHub, DeliversToMatchingWatchersOnly) {
  WatchHub hub;
  std::vector<int64_t> prod, all, after2;
  hub.Add(std::make_shared<Watcher>(Selector{"Service", "prod"}, 0,
                                    [&](const WatchEvent& e) { prod.push_back(e.revision); }));
  hub.Add(std::make_shared<Watcher>(Selector{"Service", ""}, 0,
                                    [&](const WatchEvent& e) { all.push_back(e.revision); }));
  hub.Add(std::make_shared<Watcher>(Selector{"Service", ""}, 2,
                                    [&](const WatchEvent& e) { after2.push_back(e.revision); }));
  hub.Dispatch(Event(1, "Service", "prod"));
  hub.Dispatch(Event(2, "Service", "default"));
  hub.Dispatch(Event(3, "Gateway", "prod"));
  hub.Dispatch(Event(4, "Service", "prod"));
  EXPECT_EQ(prod, (std::vector<int64_t>{1, 4}));
  EXPECT_EQ(all, (std::vector<int64_t>{1, 2, 4}));
  EXPECT_EQ(after2, (std::vector<int64_t>{4}));
}

TEST(WatchHub, CanceledWatchersAreForgottenAndTheirCallbacksReleased) {
  WatchHub hub;
  auto captured = std::make_shared<int>(0);
  std::weak_ptr<int> witness = captured;
  int calls = 0;
  auto handle = std::make_unique<WatcherHandle>(std::make_shared<Watcher>(
      Selector{"Service", ""}, 0,
      [&calls, captured = std::move(captured)](const WatchEvent&) { ++calls; }));
  hub.Dispatch(Event(1, "Service", "a"));
  EXPECT_EQ(calls, 0) << "not registered yet";
  EXPECT_FALSE(witness.expired());
  handle->Cancel();
  EXPECT_TRUE(witness.expired()) << "Cancel destroys the callback and its captures";
  handle.reset();
}

TEST(WatchHub, DispatchDropsCanceledWatchers) {
  WatchHub hub;
  auto a = std::make_shared<Watcher>(Selector{"Service", ""}, 0, [](const WatchEvent&) {});
  auto b = std::make_shared<Watcher>(Selector{"Service", ""}, 0, [](const WatchEvent&) {});
  hub.Add(a);
  hub.Add(b);
  a->Cancel();
  EXPECT_EQ(hub.size(), 2u) << "Cancel does not touch the hub";
  hub.Dispatch(Event(1, "Gateway", ""));
  EXPECT_EQ(hub.size(), 1u);
}

TEST(WatchHub, CancelFromInsideTheCallbackReturnsAtOnce) {
  WatchHub hub;
  std::shared_ptr<Watcher> w;
  int calls = 0;
  w = std::make_shared<Watcher>(Selector{"Service", ""}, 0, [&](const WatchEvent&) {
    ++calls;
    w->Cancel();  // would deadlock if it waited for this very call
  });
  hub.Add(w);
  hub.Dispatch(Event(1, "Service", ""));
  hub.Dispatch(Event(2, "Service", ""));
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(w->canceled());
}

TEST(WatchHub, CancelFromAnotherThreadWaitsForTheRunningCallback) {
  WatchHub hub;
  std::atomic<bool> entered{false}, release{false}, in_callback{false};
  auto w = std::make_shared<Watcher>(Selector{"Service", ""}, 0, [&](const WatchEvent&) {
    in_callback = true;
    entered = true;
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!release && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(1ms);
    }
    in_callback = false;
  });
  hub.Add(w);
  std::thread delivering([&] { hub.Dispatch(Event(1, "Service", "")); });
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!entered && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
  ASSERT_TRUE(entered);
  std::atomic<bool> returned{false};
  bool in_callback_at_return = true;
  std::thread canceller([&] {
    w->Cancel();
    in_callback_at_return = in_callback;
    returned = true;
  });
  std::this_thread::sleep_for(30ms);
  EXPECT_FALSE(returned);
  release = true;
  canceller.join();
  delivering.join();
  EXPECT_FALSE(in_callback_at_return);
}

}  // namespace
}  // namespace canaryd::store

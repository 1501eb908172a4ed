// EventLoop: one epoll loop, owned by one thread (a proxy worker, the demo app's worker, ...).
// File descriptors are registered edge-triggered once, for both directions; handlers read and
// write until EAGAIN and keep their own readiness flags. Timers are cheap to arm and re-arm
// (see Timer). Everything runs on the loop's thread except Post() and Stop(), which any thread
// may call; they wake the loop through an eventfd.
#pragma once

#include <sys/epoll.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <vector>

#include "common/clock.h"

namespace canaryd::event {

class EventLoop;

// Something registered with the loop. `events` is the epoll event mask (EPOLLIN, EPOLLOUT,
// EPOLLRDHUP, EPOLLERR, EPOLLHUP).
class IoHandler {
 public:
  virtual ~IoHandler() = default;
  virtual void OnIo(uint32_t events) = 0;
};

// A one-shot timer owned by its user. Arm() (re)schedules it; Cancel() or destruction
// unschedules. Timers with the same duration are kept in one FIFO list, so arming is O(1):
// the few durations a proxy uses (header timeout, idle timeout, connect timeout, ...) each get a
// list whose head is always the next to expire. The lists that hold timers are in a min-heap by
// their heads' deadlines, so the next deadline is O(1) and an expiry O(log lists), however many
// distinct durations the configuration brings; lists that empty are kept for reuse up to a
// bound, then freed. Loop thread only.
class Timer {
 public:
  explicit Timer(EventLoop* loop, std::function<void()> callback)
      : loop_(loop), callback_(std::move(callback)) {}
  ~Timer() { Cancel(); }
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  void Arm(int64_t duration_nanos);
  void Cancel();
  bool armed() const { return list_ != nullptr; }

 private:
  friend class EventLoop;
  struct List;
  EventLoop* loop_;
  std::function<void()> callback_;
  List* list_ = nullptr;
  Timer* prev_ = nullptr;
  Timer* next_ = nullptr;
  int64_t deadline_ = 0;
};

class EventLoop {
 public:
  explicit EventLoop(const Clock& clock = SystemClock::Instance());
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Registers fd for EPOLLIN | EPOLLOUT | EPOLLRDHUP, edge-triggered. Returns false on failure.
  bool Add(int fd, IoHandler* handler);
  // Registers fd level-triggered for EPOLLIN only (listening sockets).
  bool AddListener(int fd, IoHandler* handler);
  void Remove(int fd);

  // Runs until Stop(). Call from the thread that owns the loop.
  void Run();
  // One iteration: waits up to `timeout_ms` for I/O, then runs handlers, deferred work and at
  // most kMaxTimersPerIteration expired timers (the rest in the next iterations, which then do
  // not wait). For tests driving the loop with a ManualClock, and for Run().
  void RunOnce(int timeout_ms);
  // How long the next RunOnce may wait: until the next deadline, at most 1000 ms.
  int NextTimeoutMs() const;

  // Timers fired per iteration at most, so that a burst of expiries cannot starve I/O.
  static constexpr int kMaxTimersPerIteration = 1024;
  // Empty timer lists kept for reuse; more are freed.
  static constexpr size_t kMaxIdleTimerLists = 64;
  // For tests: the timer lists allocated now, and those holding a timer.
  size_t timer_lists() const { return timer_lists_.size(); }
  size_t armed_timer_lists() const { return timer_heap_.size(); }
  // Any thread.
  void Stop();
  // Runs fn on the loop's thread, soon. Any thread. Not for the request path: it takes a lock.
  void Post(std::function<void()> fn);
  // Runs fn after the current batch of I/O events, on the loop's thread (loop thread only).
  void Defer(std::function<void()> fn) { deferred_.push_back(std::move(fn)); }

  int64_t now() const { return now_; }  // monotonic nanoseconds, refreshed once per iteration
  const Clock& clock() const { return clock_; }
  // Wall-clock microseconds since the epoch at the start of this iteration, for logs.
  int64_t wall_micros() const { return wall_micros_; }

  // How late the loop ran timers, last iteration (event-loop lag), in nanoseconds.
  int64_t last_lag_nanos() const { return last_lag_; }

 private:
  friend class Timer;
  void RunTimers();
  void DrainPosts();
  // The heap of non-empty lists, ordered by their heads' deadlines.
  void HeapInsert(Timer::List* list);
  void HeapRemove(Timer::List* list);
  void HeapFix(Timer::List* list);  // after its head's deadline grew
  void SiftUp(size_t i);
  void SiftDown(size_t i);
  void ListEmptied(Timer::List* list);
  static int64_t HeadDeadline(const Timer::List* list);

  const Clock& clock_;
  int epfd_ = -1;
  int wakefd_ = -1;
  std::atomic<bool> stop_{false};
  int64_t now_ = 0;
  int64_t wall_micros_ = 0;
  int64_t last_lag_ = 0;
  std::map<int64_t, Timer::List*> timer_lists_;  // by duration, owned
  std::vector<Timer::List*> timer_heap_;         // the non-empty ones
  size_t idle_lists_ = 0;                        // the empty ones
  std::vector<std::function<void()>> deferred_;
  std::mutex post_mu_;
  std::vector<std::function<void()>> posted_;
};

}  // namespace canaryd::event

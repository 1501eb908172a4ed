// Clock: the source of time for everything that decides by time (timeouts, windows, the
// controller), injected so tests can drive time by hand. SystemClock is thread-safe;
// ManualClock is for single-threaded tests or must be advanced from the thread that reads it.
#pragma once

#include <chrono>
#include <cstdint>

namespace canaryd {

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time in nanoseconds, for durations and deadlines.
  virtual int64_t MonotonicNanos() const = 0;
  // Wall-clock time in nanoseconds since the Unix epoch, for timestamps shown to people.
  virtual int64_t WallNanos() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t MonotonicNanos() const override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  int64_t WallNanos() const override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  static SystemClock& Instance() {
    static SystemClock clock;
    return clock;
  }
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t mono = 1'000'000'000, int64_t wall = 1'700'000'000'000'000'000)
      : mono_(mono), wall_(wall) {}
  int64_t MonotonicNanos() const override { return mono_; }
  int64_t WallNanos() const override { return wall_; }
  void Advance(std::chrono::nanoseconds d) {
    mono_ += d.count();
    wall_ += d.count();
  }

 private:
  int64_t mono_;
  int64_t wall_;
};

}  // namespace canaryd

// Traffic: requests through the gateway at a steady rate from a thread of its own, on one
// keep-alive connection (a new one after a failure), counted by a key of each answer; and
// Eventually, the bounded poll the integration tests wait with. Test-only: construct, read and
// stop from the test's thread.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "testing/net.h"

namespace canaryd::testing {

// Polls `f` every `every` until it returns true or `timeout` passes; the last answer.
template <class F>
bool Eventually(F f, std::chrono::milliseconds timeout,
                std::chrono::milliseconds every = std::chrono::milliseconds(100)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (f()) return true;
    std::this_thread::sleep_for(every);
  }
  return f();
}

class Traffic {
 public:
  // What an answer counts as; `r.ok` is false when none came.
  using Key = std::function<std::string(const Response& r)>;
  // The body (the demo app's version), "5xx", or "fail" without an answer.
  static std::string BodyKey(const Response& r) {
    return r.ok ? (r.status >= 500 ? "5xx" : r.body) : "fail";
  }

  Traffic(uint16_t port, int per_second, Key key = BodyKey)
      : port_(port), per_second_(per_second), key_(std::move(key)) {
    thread_ = std::thread([this] { Run(); });
  }
  ~Traffic() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::map<std::string, int> Counts() {
    std::lock_guard<std::mutex> lock(mu_);
    return counts_;
  }
  void Reset() {
    std::lock_guard<std::mutex> lock(mu_);
    counts_.clear();
  }

 private:
  void Run() {
    auto next = std::chrono::steady_clock::now();
    auto gap = std::chrono::microseconds(1'000'000 / per_second_);
    std::unique_ptr<Client> c;
    while (!stop_) {
      if (!c || !c->connected()) c = std::make_unique<Client>(port_, 2000);
      Response r = c->Request("GET / HTTP/1.1\r\nHost: web\r\n\r\n");
      std::string key = key_(r);
      if (!r.ok) c.reset();
      {
        std::lock_guard<std::mutex> lock(mu_);
        counts_[key]++;
      }
      next += gap;
      std::this_thread::sleep_until(next);
    }
  }
  uint16_t port_;
  int per_second_;
  Key key_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::map<std::string, int> counts_;
  std::thread thread_;
};

}  // namespace canaryd::testing

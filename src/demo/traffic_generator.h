// TrafficGenerator: the demo's users. Threads that send GET / to the site at a steady rate
// (open loop: a slow answer does not lower the rate, up to one request in flight per thread) and
// count the answers by the version that gave them (the x-version header) and by success (2xx)
// or failure (anything else, or no answer). Start and Stop from one thread; Counts from any.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace canaryd::demo {

struct VersionCounts {
  int64_t ok = 0;
  int64_t failed = 0;
};

// Answers by version; "-" for requests that got no answer from any version.
using AnswerCounts = std::map<std::string, VersionCounts>;

// The change from `before` to `after`.
AnswerCounts Difference(const AnswerCounts& after, const AnswerCounts& before);

class TrafficGenerator {
 public:
  TrafficGenerator(std::string site_url, double requests_per_second);
  ~TrafficGenerator();
  TrafficGenerator(const TrafficGenerator&) = delete;
  TrafficGenerator& operator=(const TrafficGenerator&) = delete;

  void Start();
  void Stop();
  AnswerCounts Counts() const;

 private:
  void Run(int index, int threads);

  std::string url_;
  double rate_;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
  mutable std::mutex mu_;
  AnswerCounts counts_;
};

}  // namespace canaryd::demo

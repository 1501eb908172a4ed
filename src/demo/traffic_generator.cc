#include "demo/traffic_generator.h"

#include <chrono>

#include "client/http_client.h"

namespace canaryd::demo {

AnswerCounts Difference(const AnswerCounts& after, const AnswerCounts& before) {
  AnswerCounts out;
  for (const auto& [version, c] : after) {
    auto it = before.find(version);
    VersionCounts d = c;
    if (it != before.end()) {
      d.ok -= it->second.ok;
      d.failed -= it->second.failed;
    }
    if (d.ok != 0 || d.failed != 0) out[version] = d;
  }
  return out;
}

TrafficGenerator::TrafficGenerator(std::string site_url, double requests_per_second)
    : url_(std::move(site_url)), rate_(requests_per_second) {}

TrafficGenerator::~TrafficGenerator() {
  Stop();
}

void TrafficGenerator::Start() {
  if (!threads_.empty() || rate_ <= 0) return;
  stop_ = false;
  // One request in flight per thread: four threads keep the rate while an answer is slow.
  constexpr int kThreads = 4;
  for (int i = 0; i < kThreads; ++i) threads_.emplace_back([this, i] { Run(i, kThreads); });
}

void TrafficGenerator::Stop() {
  stop_ = true;
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

AnswerCounts TrafficGenerator::Counts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counts_;
}

void TrafficGenerator::Run(int index, int threads) {
  client::ClientOptions options;
  options.server = url_;
  options.timeout_ms = 5000;
  client::HttpClient http(options);
  using Clock = std::chrono::steady_clock;
  const auto period =
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(threads / rate_));
  // Threads start spread over one period, so the requests are evenly spaced.
  Clock::time_point next = Clock::now() + period * index / threads;
  while (!stop_) {
    Clock::time_point now = Clock::now();
    if (now < next) {
      std::this_thread::sleep_for(
          std::min<Clock::duration>(next - now, std::chrono::milliseconds(100)));
      continue;
    }
    next += period;
    if (next < now) next = now;  // behind after a slow answer: no burst to catch up
    Result<client::HttpResult> r = http.Request("GET", "/", "", "", "text/plain");
    std::string version = r.ok() ? r->Header("x-version") : "";
    bool ok = r.ok() && r->status >= 200 && r->status < 300;
    std::lock_guard<std::mutex> lock(mu_);
    VersionCounts& c = counts_[version.empty() ? "-" : version];
    (ok ? c.ok : c.failed)++;
  }
}

}  // namespace canaryd::demo

// For the proxy's in-process tests: the options of a one-worker gateway on 127.0.0.1 whose
// Gateway port 80 listens on `port`, and an observer that keeps each finished request's response
// flags and attempt count. Test-only; the observer may be called from the worker's thread while
// the test's thread reads it.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "proxy/proxy_options.h"
#include "proxy/request_info.h"

namespace canaryd::testing {

inline proxy::ProxyOptions OneWorkerOptions(uint16_t port, uint64_t seed = 0) {
  proxy::ProxyOptions o;
  o.workers = 1;
  o.listen_host = "127.0.0.1";
  o.port_map[80] = port;
  o.seed = seed;
  return o;
}

class FlagsObserver final : public proxy::RequestObserver {
 public:
  void OnRequestDone(int, const proxy::RequestInfo& info) override {
    char buf[64];
    std::lock_guard<std::mutex> lock(mu_);
    flags_.emplace_back(proxy::ResponseFlagsString(info.flags, buf));
    attempts_.push_back(info.attempts);
  }
  // In the order the requests ended.
  std::vector<std::string> flags() {
    std::lock_guard<std::mutex> lock(mu_);
    return flags_;
  }
  std::string last_flags() {
    std::lock_guard<std::mutex> lock(mu_);
    return flags_.empty() ? "" : flags_.back();
  }
  uint32_t last_attempts() {
    std::lock_guard<std::mutex> lock(mu_);
    return attempts_.empty() ? 0 : attempts_.back();
  }

 private:
  std::mutex mu_;
  std::vector<std::string> flags_;
  std::vector<uint32_t> attempts_;
};

}  // namespace canaryd::testing

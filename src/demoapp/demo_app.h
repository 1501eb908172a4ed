// DemoApp: the small web application of the walkthrough, one process per version (v1, v2, ...).
// It answers `/` with an HTML page showing its version in large type on a version-specific
// colour (plain text "v2" to clients that do not ask for HTML), and can inject errors and
// latency so canary analysis has something to see. Also: /healthz, /echo (request headers back
// as text), /bytes/N (N bytes, streamed), and any request body is read and counted.
// Start() runs worker threads, each with its own event loop and SO_REUSEPORT listener; Stop()
// may be called from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"

namespace canaryd::demoapp {

struct Options {
  std::string version = "v1";
  std::string host = "127.0.0.1";
  uint16_t port = 8081;  // 0 picks a free port (see port())
  int workers = 1;
  double error_rate = 0;      // share of requests answered 503
  int64_t latency_nanos = 0;  // added before each response
  int64_t jitter_nanos = 0;   // latency varies uniformly by +/- this much
  uint64_t seed = 1;          // for error and jitter draws
};

class DemoApp {
 public:
  explicit DemoApp(Options options);
  ~DemoApp();

  Status Start();
  void Stop();  // any thread; returns when the workers have exited
  uint16_t port() const { return port_; }

 private:
  class Worker;
  Options options_;
  uint16_t port_ = 0;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
};

// The HTML page for a version (exposed for tests).
std::string VersionPage(const std::string& version);

}  // namespace canaryd::demoapp

// Debian's Prometheus server (/usr/bin/prometheus, installed by scripts/setup.sh) for
// integration tests: started on a free loopback port with a given configuration and its TSDB in
// a test's temporary directory, and waited for until it answers /-/ready. Test-only; the
// Process belongs to the thread that started it.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "integration/harness.h"

namespace canaryd::testing {

struct PrometheusServer {
  std::unique_ptr<Process> process;  // null when it could not be started
  uint16_t port = 0;
  std::string error;  // why it could not be started
  std::string address() const { return "http://127.0.0.1:" + std::to_string(port); }
};

// The prometheus binary, or "" (tests then skip).
inline std::string PrometheusPath() {
  return FindExecutable("prometheus");
}

// Writes `config_yaml` to dir/prometheus.yml and starts `binary` on it. Waiting for /-/ready,
// not only for the port, since Prometheus listens before its TSDB is open and answers queries
// with 503 until then.
inline PrometheusServer StartPrometheus(const std::string& binary, const TempDir& dir,
                                        const std::string& config_yaml,
                                        std::chrono::milliseconds timeout = 30s) {
  PrometheusServer server;
  server.port = FreePort();
  WriteFile(dir.File("prometheus.yml"), config_yaml);
  SpawnOptions ps;
  ps.argv = {binary, "--config.file=" + dir.File("prometheus.yml"),
             "--storage.tsdb.path=" + dir.File("tsdb"),
             "--web.listen-address=127.0.0.1:" + std::to_string(server.port)};
  server.process = Process::Spawn(ps, &server.error);
  if (!server.process) return server;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  if (!WaitForPort("127.0.0.1", server.port, timeout)) {
    server.error = "Prometheus did not listen: " + server.process->Stderr();
    server.process.reset();
    return server;
  }
  while (Http(server.port, "GET", "/-/ready", "", {}, 2s).status != 200) {
    if (std::chrono::steady_clock::now() > deadline) {
      server.error = "Prometheus did not become ready: " + server.process->Stderr();
      server.process.reset();
      return server;
    }
    std::this_thread::sleep_for(100ms);
  }
  return server;
}

}  // namespace canaryd::testing

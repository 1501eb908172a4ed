// ProxyOptions: the gateway's run-time settings (workers, ports, timeouts, limits), from the
// command line. Plain data, copied into each worker at start.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "common/clock.h"
#include "http/parser.h"

namespace canaryd::proxy {

struct ProxyOptions {
  int workers = 1;
  std::string listen_host = "0.0.0.0";
  // Gateway port -> local port to bind (ports below 1024 need root).
  std::map<uint32_t, uint16_t> port_map;
  http::ParserLimits limits;
  int64_t request_header_timeout_nanos = 10'000'000'000;  // slowloris: 408 and close
  int64_t idle_timeout_nanos = 60'000'000'000;            // keep-alive connection with no request
  int64_t upstream_idle_timeout_nanos = 30'000'000'000;   // pooled upstream connection
  int64_t drain_timeout_nanos = 5'000'000'000;
  size_t max_connections_per_worker = 16384;
  size_t max_idle_upstream_per_endpoint = 512;
  // Buffered bytes at which a side stops reading until the other side drains (backpressure).
  size_t high_watermark = 1 << 20;
  uint64_t seed = 0;  // 0: seeded from the clock
  // The workers' time (timeouts, timestamps); null: the system clock. Tests pass a ManualClock
  // to test 408, 504 and connect timeouts exactly. Must outlive the workers.
  const Clock* clock = nullptr;
};

// The local port a Gateway port binds: its --port-map entry, else the same number.
inline uint16_t LocalPortFor(const ProxyOptions& o, uint32_t gateway_port) {
  auto m = o.port_map.find(gateway_port);
  return m != o.port_map.end() ? m->second : static_cast<uint16_t>(gateway_port);
}

}  // namespace canaryd::proxy

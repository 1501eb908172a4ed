// RequestInfo: what happened to one request, filled in by the proxy as it goes and handed to
// the RequestObserver when the request ends (for metrics, the access log and live statistics).
// Views point into the request's own buffers: they are valid during OnRequestDone only.
// Loop thread only.
#pragma once

#include <cstdint>
#include <string_view>

#include "router/route_table.h"

namespace canaryd::proxy {

// Envoy's response flags, as Istio's metrics and access logs name them.
enum ResponseFlag : uint32_t {
  kNoRouteFound = 1u << 0,                     // NR: no virtual host or rule matched
  kNoClusterFound = 1u << 1,                   // NC: the destination (or its subset) does not exist
  kNoHealthyUpstream = 1u << 2,                // UH: the destination has no endpoints
  kUpstreamConnectionFailure = 1u << 3,        // UF
  kUpstreamConnectionTermination = 1u << 4,    // UC
  kUpstreamRequestTimeout = 1u << 5,           // UT
  kDownstreamConnectionTermination = 1u << 6,  // DC
  kUpstreamProtocolError = 1u << 7,            // UPE: malformed response from the upstream
  kDownstreamProtocolError = 1u << 8,          // DPE: malformed request
  kStreamIdleTimeout = 1u << 9,                // SI: request headers did not arrive in time
  kOverloaded = 1u << 10,                      // UO: refused, too many connections
  kDelayInjected = 1u << 11,                   // DI: held by the route's fault.delay
  kFaultInjected = 1u << 12,                   // FI: answered by the route's fault.abort
  kUpstreamRetryLimitExceeded = 1u << 13,      // URX: a retry was due, but none was left
};

// "-" when none, else the short names joined with ",", e.g. "UF,URX" style ("UF").
// Writes into buf (at least 64 bytes) and returns the view.
std::string_view ResponseFlagsString(uint32_t flags, char* buf);

struct RequestInfo {
  int64_t start_wall_micros = 0;
  int64_t start_nanos = 0;  // monotonic
  int64_t end_nanos = 0;
  int64_t upstream_start_nanos = 0;  // request sent to the upstream
  int64_t response_start_nanos = 0;  // first response byte from the upstream
  std::string_view method;
  std::string_view path;  // request target as sent (with query)
  std::string_view authority;
  std::string_view protocol;  // "HTTP/1.1" or "HTTP/1.0"
  std::string_view user_agent;
  std::string_view request_id;
  // x-forwarded-for as received; the gateway sends it upstream with client_address appended
  // (Envoy's behaviour at an edge), and the access log shows it that way.
  std::string_view forwarded_for;
  std::string_view client_address;      // the client's IP address, without the port
  std::string_view downstream_address;  // the client's address and port
  int status = 0;
  uint32_t flags = 0;
  uint64_t bytes_received = 0;  // request body bytes
  uint64_t bytes_sent = 0;      // response body bytes
  const router::Route* route = nullptr;
  const router::Cluster* cluster = nullptr;
  const router::Endpoint* endpoint = nullptr;
  uint64_t table_generation = 0;  // the route table the request ran on
  uint32_t attempts = 0;          // upstream attempts made (1 + retries; 0 for none)
};

// Gets every finished request. Called on the worker's loop thread; must not block.
class RequestObserver {
 public:
  virtual ~RequestObserver() = default;
  virtual void OnRequestDone(int worker, const RequestInfo& info) = 0;
  // Called about every 100 ms on each worker's thread (flush buffers, close time buckets).
  virtual void OnTick(int worker, int64_t now_nanos, int64_t wall_nanos) {
    (void)worker, (void)now_nanos, (void)wall_nanos;
  }
};

}  // namespace canaryd::proxy

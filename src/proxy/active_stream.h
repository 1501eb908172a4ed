// ActiveStream: everything about one request on a client connection, built fresh when its head
// arrives and dropped when it ends, so nothing of one request can leak into the next (the
// connection keeps only what outlives a request: its transport, its input bytes, the codec).
// Its `phase` says which forwarding step it is in. Several could live on one connection once a
// multiplexing codec (HTTP/2) arrives. Owned by a DownstreamConnection; loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "event/event_loop.h"
#include "http/buffer.h"
#include "proxy/head_writer.h"
#include "proxy/request_info.h"
#include "proxy/upstream_request.h"
#include "proxy/worker.h"

namespace canaryd::proxy {

struct ActiveStream {
  ActiveStream(event::EventLoop* loop, std::function<void()> on_route_timeout,
               std::function<void()> on_fault_delay_end, std::function<void()> on_per_try_timeout)
      : route_timer(loop, std::move(on_route_timeout)),
        fault_timer(loop, std::move(on_fault_delay_end)),
        per_try_timer(loop, std::move(on_per_try_timeout)) {}
  ActiveStream(const ActiveStream&) = delete;
  ActiveStream& operator=(const ActiveStream&) = delete;

  // The forwarding steps, in order. A reply of the gateway's own (no route, a fault abort, a
  // redirect, an upstream failure) skips to kRespond; a retry goes back to kPick.
  enum class Phase {
    kRoute,     // match the route
    kFault,     // the route's fault: held for its delay, or answered with its abort
    kPick,      // choose the destination and an endpoint
    kUpstream,  // the request goes to the endpoint (an UpstreamRequest), the response comes back
    kTunnel,    // after 101 Switching Protocols: bytes both ways
    kRespond,   // the gateway's own reply is queued
    kDone,      // reported (logged); the connection goes on with the next request or closes
  };

  Phase phase = Phase::kRoute;
  RequestInfo info;
  TableRef* table = nullptr;  // held (Worker::Acquire) until the stream is reported
  const router::Route* route = nullptr;
  const router::Cluster* cluster = nullptr;
  const router::HeaderChanges* destination_headers = nullptr;  // the picked destination's
  int endpoint = -1;
  uint64_t lb_generation = 0;  // the load balancer's table when the endpoint was picked
  bool lb_counted = false;     // Started() was called for `endpoint` and Finished() not yet
  bool pending_pool = false;   // waiting for the cluster's connection pool (Worker::AddPending)

  uint32_t retries = 0;                     // retries under the route's RetryPolicy
  int stale_resends = 0;                    // resends after a pooled connection turned out closed
  std::optional<UpstreamRequest> upstream;  // the current attempt
  event::Timer route_timer;                 // the route's timeout: 504 UT
  event::Timer fault_timer;                 // the end of a fault delay
  event::Timer per_try_timer;               // the retry policy's perTryTimeout of this attempt
  // The request body as framed for the upstream, kept so that a retry can send it again; once it
  // outgrows the bound, it is dropped and the request is not retried.
  http::Buffer retry_body;
  bool retry_body_complete = true;
  bool retry_counted = false;     // this attempt is a retry, counted in the retry budget
  uint64_t retry_generation = 0;  // the load balancer's table when it was counted

  bool request_done = false;      // the whole request went to (or was queued for) the upstream
  bool response_started = false;  // the final response head went to the client
  bool chunked_request = false;
  bool upstream_paused = false;  // not reading the upstream: the client is behind
  ResponseFraming framing = ResponseFraming::kContentLength;
  bool absolute_target = false;  // the request's target was in absolute form
  std::string origin_target;     // "/" + what followed the authority, when it had no path
  std::string rewritten_target;  // the target after the route's rewrite (empty: none)
  std::string cors_headers;      // the route's CORS headers for this request's origin
  // The cluster's consistent-hash key of this request, when it has one.
  bool has_hash = false;
  uint64_t hash = 0;
  // Set-Cookie lines for cookies the gateway made (sticky canary, consistentHash httpCookie).
  std::string set_cookie;
  char request_id_buf[36];
  std::string_view request_id;
};

}  // namespace canaryd::proxy

// Worker: one proxy thread. It owns an event loop, its own SO_REUSEPORT listening socket for
// every Gateway port, its client connections, its upstream connection pools, its load-balancing
// state and its reference to the current RouteTable. Nothing here is shared with other workers,
// so the request path takes no lock and touches no shared atomic. Other threads talk to a
// worker only through Post() (new route tables, drain, stop).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "event/event_loop.h"
#include "event/socket.h"
#include "proxy/proxy_options.h"
#include "proxy/request_info.h"
#include "proxy/table_reaper.h"
#include "router/route_table.h"
#include "upstream/load_balancer.h"

namespace canaryd::proxy {

class DownstreamConnection;
class UpstreamConnection;

// A route table and the number of this worker's requests still using it. Requests point at the
// TableRef they started on; old tables are released when their last request ends.
struct TableRef {
  std::shared_ptr<const router::RouteTable> table;
  int inflight = 0;
};

// An endpoint this worker's outlier detection has ejected (each worker detects on its own).
struct EjectedEndpoint {
  std::string cluster;  // outbound|80|v1|web.default.svc.cluster.local
  std::string address;  // 127.0.0.1:8081
  double seconds_left = 0;
  uint32_t times = 0;  // the multiplier of baseEjectionTime
};

// Counters the worker keeps for itself (merged by the admin side when scraped).
struct WorkerCounters {
  uint64_t downstream_connections_total = 0;
  uint64_t downstream_connections_active = 0;
  uint64_t requests_total = 0;
  uint64_t requests_active = 0;
  uint64_t upstream_connections_total = 0;
  uint64_t upstream_connections_active = 0;
  uint64_t upstream_reused = 0;
  uint64_t rejected_431 = 0, rejected_400 = 0, rejected_408 = 0, rejected_413 = 0;
  uint64_t overload_refusals = 0;
  // Retries under the routes' retry policies: started, of requests that then succeeded (a final
  // status below 500), refused by the retry limit, refused by the retry budget.
  uint64_t retries_total = 0, retries_succeeded = 0, retries_limit_exceeded = 0,
           retries_overflow = 0;
  // Outlier detection: ejections made, and refused by maxEjectionPercent (filled when read).
  uint64_t outlier_ejections_enforced = 0, outlier_ejections_overflow = 0;
  std::vector<EjectedEndpoint> ejected;  // filled when read
  // Mirrored copies (VirtualService mirror / mirrors): sent, answered below 500, failed (5xx,
  // connection failure, timeout), and not sent (no body copy, the shadow limit, no endpoint).
  uint64_t mirror_total = 0, mirror_succeeded = 0, mirror_failed = 0, mirror_dropped = 0;
  // Requests refused 503 UO because http1MaxPendingRequests were waiting for the pool.
  uint64_t pool_overflow = 0;
  uint64_t tables_applied = 0;
  int64_t loop_lag_nanos = 0;  // how late the last timers ran
};

class ShadowRequest;

class Worker {
 public:
  // `reaper` (may be null) frees the tables this worker no longer needs, off its thread.
  Worker(int index, const ProxyOptions& options, RequestObserver* observer,
         TableReaper* reaper = nullptr);
  ~Worker();

  // Runs the loop on the calling thread until Stop() or the end of a drain.
  void Run();

  // From any thread: swap in a new table and listen on `ports` (Gateway ports).
  void PostTable(std::shared_ptr<const router::RouteTable> table, std::vector<uint32_t> ports);
  // From any thread: stop accepting, finish in-flight requests (up to the drain timeout), exit.
  void PostDrain();
  void PostStop();
  // From any thread: runs fn on the worker's thread.
  void Post(std::function<void()> fn) { loop_.Post(std::move(fn)); }

  // ---- loop thread only, for the connections
  event::EventLoop& loop() { return loop_; }
  const ProxyOptions& options() const { return options_; }
  int index() const { return index_; }
  TableRef* current_table() { return current_; }
  void Acquire(TableRef* ref) { ++ref->inflight; }
  void Release(TableRef* ref);
  upstream::LoadBalancer& lb() { return lb_; }
  WorkerCounters& counters() { return counters_; }
  RequestObserver* observer() { return observer_; }
  bool draining() const { return draining_; }

  // An idle pooled connection to `address`, or a new one (connecting). Null on socket errors.
  UpstreamConnection* AcquireUpstream(const router::Endpoint& endpoint);
  // Returns a connection to the idle pool (or closes it when the pool is full).
  void ReleaseUpstream(UpstreamConnection* c);
  void ForgetIdle(UpstreamConnection* c);
  void ConnectionClosed(DownstreamConnection* c);
  void UpstreamClosed(UpstreamConnection* c);
  void FormatRequestId(char out[36]);
  // A new mirrored request, owned by the worker; null when kMaxShadows are in flight (the copy
  // is dropped and counted).
  ShadowRequest* NewShadow();
  // Requests waiting for a cluster's connection pool (connectionPool limits), in arrival order.
  void AddPending(uint32_t cluster, DownstreamConnection* c) { pending_[cluster].push_back(c); }
  size_t pending_count(uint32_t cluster);
  // Lets the first request still waiting for `cluster` go.
  void ResumePending(uint32_t cluster);
  void RemovePending(DownstreamConnection* c);
  // The shadow ended: it is freed after the current event.
  void ShadowDone(ShadowRequest* shadow);
  // Gateway ports this worker was asked to listen on and could not, with the error.
  const std::map<uint32_t, std::string>& listen_errors() const { return listen_errors_; }

 private:
  class Listener;
  void ApplyTable(std::shared_ptr<const router::RouteTable> table,
                  const std::vector<uint32_t>& ports);
  void Accept(int fd, uint32_t gateway_port);
  void CheckDrained();

  int index_;
  ProxyOptions options_;
  RequestObserver* observer_;
  TableReaper* reaper_;
  event::EventLoop loop_;
  upstream::LoadBalancer lb_;
  WorkerCounters counters_;
  std::deque<std::unique_ptr<TableRef>> tables_;
  TableRef* current_ = nullptr;
  std::unordered_map<uint32_t, std::unique_ptr<Listener>> listeners_;  // by Gateway port
  std::map<uint32_t, std::string> listen_errors_;                      // by Gateway port
  std::unordered_set<DownstreamConnection*> connections_;
  std::unordered_set<UpstreamConnection*> upstreams_;
  std::unordered_map<std::string, std::vector<UpstreamConnection*>> idle_;
  std::unordered_map<ShadowRequest*, std::unique_ptr<ShadowRequest>> shadows_;
  std::unordered_map<uint32_t, std::deque<DownstreamConnection*>> pending_;  // by cluster id
  bool draining_ = false;
  event::Timer drain_timer_;
  event::Timer tick_timer_;  // RequestObserver::OnTick, every 100 ms
};

}  // namespace canaryd::proxy

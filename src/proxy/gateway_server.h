// GatewayServer: the data plane as a whole: N workers (each a thread with its own event loop,
// listeners, pools and state), fed with route tables from the configuration thread. Publish()
// hands a new immutable table to every worker; each switches to it between requests. Drain()
// stops accepting and lets in-flight requests finish. Start/Publish/Drain/Stop may be called
// from any thread, but not concurrently with each other.
#pragma once

#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "common/status.h"
#include "proxy/proxy_options.h"
#include "proxy/request_info.h"
#include "proxy/table_reaper.h"
#include "proxy/worker.h"
#include "router/route_table.h"

namespace canaryd::proxy {

class GatewayServer {
 public:
  GatewayServer(ProxyOptions options, RequestObserver* observer);
  ~GatewayServer();

  Status Start();
  // Gives every worker the table and the Gateway ports to listen on.
  void Publish(std::shared_ptr<const router::RouteTable> table, std::vector<uint32_t> ports);
  // Stops accepting, waits for in-flight requests (up to the drain timeout), joins the workers.
  void Drain();
  void Stop();

  // Every worker's counters, read on the workers' threads (blocks briefly).
  std::vector<WorkerCounters> ReadCounters();
  // Runs fn(i) on each worker's thread and waits for all (up to 2 s; false on timeout). For
  // snapshots of per-worker state that only its thread may touch. fn may still run after a
  // timeout, so it must own (capture by shared_ptr) whatever it writes.
  bool RunOnEachWorker(std::function<void(int)> fn);
  int workers() const { return static_cast<int>(workers_.size()); }
  const TableReaper& reaper() const { return reaper_; }

 private:
  ProxyOptions options_;
  RequestObserver* observer_;
  TableReaper reaper_;  // outlives the workers (declared first, destroyed last)
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
};

}  // namespace canaryd::proxy

// GatewayServer: the data plane as a whole: N workers (each a thread with its own event loop,
// listeners, pools and state), fed with route tables from the configuration thread. Publish()
// hands a new immutable table to every worker; each switches to it between requests. Drain()
// stops accepting and lets in-flight requests finish. Start/Publish/Drain/Stop may be called
// from any thread, but not concurrently with each other.
#pragma once

#include <memory>
#include <thread>
#include <vector>

#include "common/status.h"
#include "proxy/proxy_options.h"
#include "proxy/request_info.h"
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

  // Calls fn with every worker's counters, from the calling thread (blocks briefly).
  std::vector<WorkerCounters> ReadCounters();
  int workers() const { return static_cast<int>(workers_.size()); }

 private:
  ProxyOptions options_;
  RequestObserver* observer_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
};

}  // namespace canaryd::proxy

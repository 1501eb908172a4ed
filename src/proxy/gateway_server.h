// GatewayServer: the data plane as a whole: N workers (each a thread with its own event loop,
// listeners, pools and state), fed with route tables from the configuration thread. Publish()
// hands a new immutable table to every worker; each switches to it between requests. Drain()
// stops accepting and lets in-flight requests finish. Start/Publish/Drain/Stop may be called
// from any thread, but not concurrently with each other; listeners() from any thread.
//
// Listeners: every worker binds each Gateway port with SO_REUSEPORT. Before the workers bind a
// port that none of them holds, Publish() probes it with a bind WITHOUT SO_REUSEPORT: if
// anything else holds the port (another process, or a second canaryd that would silently take a
// share of the traffic), the port is not bound and is reported down with the error. When the
// set of ports changes, Publish() waits until every worker has applied the table, so that the
// state it reports is what the workers did. A port that is down is tried again at the next
// Publish().
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "proxy/proxy_options.h"
#include "proxy/request_info.h"
#include "proxy/table_reaper.h"
#include "proxy/worker.h"
#include "router/route_table.h"

namespace canaryd::proxy {

// One Gateway port's listener as the last Publish() left it.
struct ListenerState {
  uint32_t gateway_port = 0;
  std::string address;  // listen host and local port, "0.0.0.0:8080"
  bool up = false;      // every worker listens on it
  std::string error;    // why not, when !up
};

class GatewayServer {
 public:
  GatewayServer(ProxyOptions options, RequestObserver* observer);
  ~GatewayServer();

  Status Start();
  // Gives every worker the table and the Gateway ports to listen on. Returns the listeners'
  // state afterwards.
  std::vector<ListenerState> Publish(std::shared_ptr<const router::RouteTable> table,
                                     std::vector<uint32_t> ports);
  std::vector<ListenerState> listeners() const;
  // Binds that failed, over the server's life (a port down at three publishes counts three).
  uint64_t bind_failures() const;
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

  mutable std::mutex listeners_mu_;
  std::vector<ListenerState> listeners_;  // guarded by listeners_mu_
  uint64_t bind_failures_ = 0;            // guarded by listeners_mu_
  std::set<uint32_t> held_ports_;         // ports some worker listens on (Publish's thread)
  std::set<uint32_t> partial_ports_;      // of those, ports some worker could not bind (same)
};

}  // namespace canaryd::proxy

// GatewayRuntime: the data plane of a canaryd process, assembled: telemetry, the proxy workers
// and the ConfigWatcher that feeds them route tables from the store; plus the admin routes
// that read them (/stats/prometheus, /metrics, /stats/destinations, /stats/config). main()
// creates one after the store and the admin server, Start()s it, and Drain()s it on SIGTERM.
// Start/Drain/Stop from the main thread; the admin handlers run on admin threads.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "api/router.h"
#include "common/status.h"
#include "control/config_watcher.h"
#include "proxy/gateway_server.h"
#include "proxy/proxy_options.h"
#include "store/store.h"
#include "telemetry/telemetry.h"

namespace canaryd::control {

struct RuntimeOptions {
  proxy::ProxyOptions proxy;
  router::CompileOptions compile;
  telemetry::TelemetryOptions telemetry;
};

class GatewayRuntime {
 public:
  GatewayRuntime(RuntimeOptions options, store::Store& store);
  ~GatewayRuntime();

  Status Start();
  void RegisterAdminRoutes(api::Router& router);
  // Stops accepting, lets in-flight requests finish (up to the drain timeout).
  void Drain();
  void Stop();

  ConfigWatcher& watcher() { return *watcher_; }
  telemetry::Telemetry& telemetry() { return *telemetry_; }
  proxy::GatewayServer& server() { return *server_; }
  std::string RenderPrometheus();
  // Adds text to every /stats/prometheus answer (another component's metrics, such as the
  // rollout controller's). Call before RegisterAdminRoutes; `render` runs on admin threads.
  void AddPrometheusSection(std::function<std::string()> render) {
    sections_.push_back(std::move(render));
  }
  // "" when ready to serve: a route table is published and every Gateway port is listening;
  // otherwise why not. Any thread.
  std::string NotReadyReason() const;
  // JSON of the live per-destination statistics over `window_seconds`.
  std::string DestinationsJson(int64_t window_seconds);

 private:
  void LogListenerChanges(const std::vector<proxy::ListenerState>& now);

  RuntimeOptions options_;
  store::Store& store_;
  std::unique_ptr<telemetry::Telemetry> telemetry_;
  std::unique_ptr<proxy::GatewayServer> server_;
  std::unique_ptr<ConfigWatcher> watcher_;
  // The listener errors last logged, by Gateway port, so that a port that stays down is logged
  // once, not at every publish (config thread).
  std::map<uint32_t, std::string> logged_errors_;
  std::vector<std::function<std::string()>> sections_;
};

}  // namespace canaryd::control

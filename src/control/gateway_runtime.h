// GatewayRuntime: the data plane of a canaryd process, assembled: telemetry, the proxy workers
// and the ConfigWatcher that feeds them route tables from the store; plus the admin routes
// that read them (/stats/prometheus, /metrics, /stats/destinations, /stats/config). main()
// creates one after the store and the admin server, Start()s it, and Drain()s it on SIGTERM.
// Start/Drain/Stop from the main thread; the admin handlers run on admin threads.
#pragma once

#include <memory>
#include <string>

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
  // JSON of the live per-destination statistics over `window_seconds`.
  std::string DestinationsJson(int64_t window_seconds);

 private:
  RuntimeOptions options_;
  store::Store& store_;
  std::unique_ptr<telemetry::Telemetry> telemetry_;
  std::unique_ptr<proxy::GatewayServer> server_;
  std::unique_ptr<ConfigWatcher> watcher_;
};

}  // namespace canaryd::control

// Telemetry: the gateway's RequestObserver. For every finished request it records Istio's
// standard metrics, the live per-destination windows and (optionally) an access log line, all
// into the calling worker's own state, with no lock on the request path. The admin side reads
// it: RenderPrometheus() snapshots each worker on its own thread and merges; live() answers
// window queries. Constructed before the workers start; OnRequestDone/OnTick from worker
// threads; the rest from any thread.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "proxy/gateway_server.h"
#include "proxy/request_info.h"
#include "proxy/worker.h"
#include "telemetry/access_log.h"
#include "telemetry/live_stats.h"
#include "telemetry/request_metrics.h"

namespace canaryd::telemetry {

struct TelemetryOptions {
  // Off: no request is recorded at all (no metrics, live statistics or access log), for
  // measuring what telemetry costs.
  bool enabled = true;
  GatewayIdentity identity;
  std::string access_log;  // path, "-" for standard output, "" for none
  AccessLogFormat access_log_format = AccessLogFormat::kText;
};

// The gateway's own health, gathered by the caller for the exposition.
struct GatewayHealth {
  std::vector<proxy::WorkerCounters> workers;
  uint64_t config_snapshots_published = 0;
  double config_last_compile_seconds = 0;
  uint64_t config_resources = 0;
  std::vector<proxy::ListenerState> listeners;
  uint64_t listener_bind_failures = 0;
};

class Telemetry final : public proxy::RequestObserver {
 public:
  Telemetry(TelemetryOptions options, int workers);
  ~Telemetry() override;

  Status Start();

  void OnRequestDone(int worker, const proxy::RequestInfo& info) override;
  void OnTick(int worker, int64_t now_nanos, int64_t wall_nanos) override;

  // `run_on_workers(fn)` must call fn(i) on worker i's thread for every worker and wait (see
  // GatewayServer::RunOnEachWorker).
  using RunOnWorkers = std::function<bool(std::function<void(int)>)>;
  std::string RenderPrometheus(const RunOnWorkers& run_on_workers, const GatewayHealth& health);

  LiveStats& live() { return live_; }
  uint64_t access_log_dropped() const { return writer_ ? writer_->dropped_lines() : 0; }

 private:
  struct PerWorker;
  void SubmitLog(PerWorker& w);

  TelemetryOptions options_;
  std::vector<std::unique_ptr<PerWorker>> workers_;
  std::unique_ptr<AccessLogWriter> writer_;
  LiveStats live_;
};

}  // namespace canaryd::telemetry

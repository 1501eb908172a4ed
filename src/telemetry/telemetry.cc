#include "telemetry/telemetry.h"

#include <map>
#include <mutex>

namespace canaryd::telemetry {
namespace {
// A worker hands its access-log records over when they fill this much (about 180 requests), or
// at its next tick.
constexpr size_t kLogBatchBytes = 64 * 1024;
}  // namespace

struct Telemetry::PerWorker {
  explicit PerWorker(const GatewayIdentity* identity) : metrics(identity) {}
  RequestMetrics metrics;
  WorkerWindow window;
  std::string log_records;  // AppendLogRecord
  uint64_t log_lines = 0;   // the lines they make
};

Telemetry::Telemetry(TelemetryOptions options, int workers) : options_(std::move(options)) {
  for (int i = 0; i < workers; ++i) {
    workers_.push_back(std::make_unique<PerWorker>(&options_.identity));
  }
}

Telemetry::~Telemetry() = default;

Status Telemetry::Start() {
  if (options_.access_log.empty()) return Status::Ok();
  Result<std::unique_ptr<AccessLogWriter>> w =
      AccessLogWriter::Open(options_.access_log, options_.access_log_format);
  if (!w.ok()) return w.status();
  writer_ = std::move(*w);
  return Status::Ok();
}

void Telemetry::OnRequestDone(int worker, const proxy::RequestInfo& info) {
  PerWorker& w = *workers_[worker];
  w.metrics.Record(info);
  int64_t end_wall_micros = info.start_wall_micros + (info.end_nanos - info.start_nanos) / 1000;
  w.window.Record(info, end_wall_micros / 1'000'000);
  if (writer_) {
    // After a hand-over the batch is a spare from the writer, or empty when it had none: give an
    // empty one its whole size at once instead of growing it by doubling, copying each time.
    if (w.log_records.capacity() < kLogBatchBytes) w.log_records.reserve(kLogBatchBytes + 8 * 1024);
    AppendLogRecord(info, w.log_records);
    ++w.log_lines;
    if (w.log_records.size() >= kLogBatchBytes) SubmitLog(w);
  }
}

void Telemetry::OnTick(int worker, int64_t, int64_t wall_nanos) {
  PerWorker& w = *workers_[worker];
  w.window.Flush(wall_nanos / 1'000'000'000, live_);
  if (writer_ && w.log_lines > 0) SubmitLog(w);
}

void Telemetry::SubmitLog(PerWorker& w) {
  if (writer_->Submit(w.log_records, w.log_lines)) {
    w.log_lines = 0;
    return;
  }
  // The writer was busy this instant: keep the records for the next try, within a bound.
  if (w.log_records.size() > (4 << 20)) {
    writer_->CountDropped(w.log_lines);
    w.log_records.clear();
    w.log_lines = 0;
  }
}

namespace {

template <size_t N>
void WriteHistogram(std::string& out, const char* name, const std::string& labels,
                    const Histogram<N>& h, const std::array<double, N>& bounds) {
  uint64_t cumulative = 0;
  char num[64];
  for (size_t i = 0; i <= N; ++i) {
    cumulative += h.counts[i];
    out += name;
    out += "_bucket{";
    out += labels;
    out += ",le=\"";
    if (i < N) {
      snprintf(num, sizeof num, "%g", bounds[i]);
      out += num;
    } else {
      out += "+Inf";
    }
    out += "\"} ";
    out += std::to_string(cumulative);
    out += '\n';
  }
  out += name;
  out += "_sum{";
  out += labels;
  snprintf(num, sizeof num, "} %.17g\n", h.sum);
  out += num;
  out += name;
  out += "_count{";
  out += labels;
  out += "} ";
  out += std::to_string(h.count);
  out += '\n';
}

void Metric(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void Sample(std::string& out, const char* name, const std::string& labels, double value) {
  char num[64];
  snprintf(num, sizeof num, "%.17g", value);
  out += name;
  if (!labels.empty()) {
    out += '{';
    out += labels;
    out += '}';
  }
  out += ' ';
  out += num;
  out += '\n';
}

}  // namespace

std::string Telemetry::RenderPrometheus(const RunOnWorkers& run_on_workers,
                                        const GatewayHealth& health) {
  // Copy each worker's series on its own thread, then merge here.
  auto snapshots = std::make_shared<std::vector<std::vector<std::pair<std::string, SeriesData>>>>(
      workers_.size());
  auto mu = std::make_shared<std::mutex>();
  run_on_workers([this, snapshots, mu](int i) {
    auto snap = workers_[i]->metrics.Snapshot();
    std::lock_guard<std::mutex> lock(*mu);
    (*snapshots)[i] = std::move(snap);
  });
  std::map<std::string, SeriesData> merged;
  {
    std::lock_guard<std::mutex> lock(*mu);
    for (const auto& snap : *snapshots) {
      for (const auto& [labels, data] : snap) merged[labels].Merge(data);
    }
  }
  std::string out;
  out.reserve(merged.size() * 40 * 700 + 8192);
  Metric(out, "istio_requests_total", "counter", "Requests handled by the gateway.");
  for (const auto& [labels, d] : merged) Sample(out, "istio_requests_total", labels, d.requests);
  Metric(out, "istio_request_duration_milliseconds", "histogram",
         "Request duration, from the first request byte to the last response byte.");
  for (const auto& [labels, d] : merged) {
    WriteHistogram(out, "istio_request_duration_milliseconds", labels, d.duration_ms,
                   kDurationBucketsMs);
  }
  Metric(out, "istio_request_bytes", "histogram", "Request body sizes.");
  for (const auto& [labels, d] : merged) {
    WriteHistogram(out, "istio_request_bytes", labels, d.request_bytes, kSizeBuckets);
  }
  Metric(out, "istio_response_bytes", "histogram", "Response body sizes.");
  for (const auto& [labels, d] : merged) {
    WriteHistogram(out, "istio_response_bytes", labels, d.response_bytes, kSizeBuckets);
  }

  proxy::WorkerCounters total;
  for (const proxy::WorkerCounters& w : health.workers) {
    total.downstream_connections_total += w.downstream_connections_total;
    total.downstream_connections_active += w.downstream_connections_active;
    total.requests_total += w.requests_total;
    total.requests_active += w.requests_active;
    total.upstream_connections_total += w.upstream_connections_total;
    total.upstream_connections_active += w.upstream_connections_active;
    total.upstream_reused += w.upstream_reused;
    total.rejected_400 += w.rejected_400;
    total.rejected_408 += w.rejected_408;
    total.rejected_413 += w.rejected_413;
    total.rejected_431 += w.rejected_431;
    total.overload_refusals += w.overload_refusals;
    total.retries_total += w.retries_total;
    total.retries_succeeded += w.retries_succeeded;
    total.retries_limit_exceeded += w.retries_limit_exceeded;
    total.retries_overflow += w.retries_overflow;
    total.pool_overflow += w.pool_overflow;
    total.mirror_total += w.mirror_total;
    total.mirror_succeeded += w.mirror_succeeded;
    total.mirror_failed += w.mirror_failed;
    total.mirror_dropped += w.mirror_dropped;
    total.outlier_ejections_enforced += w.outlier_ejections_enforced;
    total.outlier_ejections_overflow += w.outlier_ejections_overflow;
  }
  Metric(out, "canaryd_downstream_connections_active", "gauge", "Open client connections.");
  Sample(out, "canaryd_downstream_connections_active", "", total.downstream_connections_active);
  Metric(out, "canaryd_downstream_connections_total", "counter", "Client connections accepted.");
  Sample(out, "canaryd_downstream_connections_total", "", total.downstream_connections_total);
  Metric(out, "canaryd_upstream_connections_active", "gauge", "Open upstream connections.");
  Sample(out, "canaryd_upstream_connections_active", "", total.upstream_connections_active);
  Metric(out, "canaryd_upstream_connections_total", "counter", "Upstream connections opened.");
  Sample(out, "canaryd_upstream_connections_total", "", total.upstream_connections_total);
  Metric(out, "canaryd_upstream_connection_reuse_total", "counter",
         "Requests sent on a pooled (kept-alive) upstream connection.");
  Sample(out, "canaryd_upstream_connection_reuse_total", "", total.upstream_reused);
  Metric(out, "canaryd_requests_active", "gauge", "Requests in flight.");
  Sample(out, "canaryd_requests_active", "", total.requests_active);
  Metric(out, "canaryd_rejected_requests_total", "counter",
         "Requests refused before routing, by status.");
  Sample(out, "canaryd_rejected_requests_total", "reason=\"400\"", total.rejected_400);
  Sample(out, "canaryd_rejected_requests_total", "reason=\"408\"", total.rejected_408);
  Sample(out, "canaryd_rejected_requests_total", "reason=\"413\"", total.rejected_413);
  Sample(out, "canaryd_rejected_requests_total", "reason=\"431\"", total.rejected_431);
  Metric(out, "canaryd_overload_refusals_total", "counter",
         "Connections refused because a worker was at --max-connections.");
  Sample(out, "canaryd_overload_refusals_total", "", total.overload_refusals);
  // Envoy's upstream_rq_retry, _retry_success, _retry_limit_exceeded and _retry_overflow, for the
  // whole gateway.
  Metric(out, "canaryd_upstream_rq_retry_total", "counter",
         "Retries started under the routes' retry policies.");
  Sample(out, "canaryd_upstream_rq_retry_total", "", total.retries_total);
  Metric(out, "canaryd_upstream_rq_retry_success_total", "counter",
         "Retried requests that ended with a status below 500.");
  Sample(out, "canaryd_upstream_rq_retry_success_total", "", total.retries_succeeded);
  Metric(out, "canaryd_upstream_rq_retry_limit_exceeded_total", "counter",
         "Retries not made because the route's attempts were used up (response flag URX).");
  Sample(out, "canaryd_upstream_rq_retry_limit_exceeded_total", "", total.retries_limit_exceeded);
  Metric(out, "canaryd_upstream_rq_retry_overflow_total", "counter",
         "Retries not made because the retry budget (20% of a cluster's requests in flight, at "
         "least 3) was spent (response flag UO).");
  Sample(out, "canaryd_upstream_rq_retry_overflow_total", "", total.retries_overflow);
  Metric(out, "canaryd_upstream_rq_pending_overflow_total", "counter",
         "Requests refused 503 UO by a DestinationRule connectionPool: the requests in flight "
         "and http1MaxPendingRequests waiting were at their bounds (Envoy's "
         "upstream_rq_pending_overflow).");
  Sample(out, "canaryd_upstream_rq_pending_overflow_total", "", total.pool_overflow);
  // Mirrored copies, apart from the traffic (istio_requests_total counts originals only).
  Metric(out, "canaryd_mirror_requests_total", "counter",
         "Mirrored copies of requests, by outcome: sent, succeeded (answered below 500), failed "
         "(5xx, connection failure, timeout), dropped (not sent: body too large to copy, the "
         "per-worker limit of copies in flight, or no endpoint).");
  Sample(out, "canaryd_mirror_requests_total", "outcome=\"sent\"", total.mirror_total);
  Sample(out, "canaryd_mirror_requests_total", "outcome=\"succeeded\"", total.mirror_succeeded);
  Sample(out, "canaryd_mirror_requests_total", "outcome=\"failed\"", total.mirror_failed);
  Sample(out, "canaryd_mirror_requests_total", "outcome=\"dropped\"", total.mirror_dropped);
  // Envoy's outlier_detection.ejections_enforced_total, _overflow and ejections_active; each
  // worker detects on its own, so an endpoint may be out on one worker and in on another.
  Metric(out, "canaryd_outlier_ejections_enforced_total", "counter",
         "Endpoints ejected by outlier detection (per worker).");
  Sample(out, "canaryd_outlier_ejections_enforced_total", "", total.outlier_ejections_enforced);
  Metric(out, "canaryd_outlier_ejections_overflow_total", "counter",
         "Ejections not made because maxEjectionPercent of the endpoints were out.");
  Sample(out, "canaryd_outlier_ejections_overflow_total", "", total.outlier_ejections_overflow);
  Metric(out, "canaryd_outlier_ejections_active", "gauge",
         "Workers that have the endpoint ejected now.");
  {
    std::map<std::pair<std::string, std::string>, uint64_t> active;
    for (const proxy::WorkerCounters& w : health.workers) {
      for (const proxy::EjectedEndpoint& e : w.ejected) ++active[{e.cluster, e.address}];
    }
    for (const auto& [key, n] : active) {
      std::string labels = "cluster_name=\"";
      AppendEscaped(labels, key.first);
      labels += "\",endpoint=\"";
      AppendEscaped(labels, key.second);
      labels += "\"";
      Sample(out, "canaryd_outlier_ejections_active", labels, static_cast<double>(n));
    }
  }
  Metric(out, "canaryd_config_snapshots_published_total", "counter",
         "Route tables compiled and published to the workers.");
  Sample(out, "canaryd_config_snapshots_published_total", "", health.config_snapshots_published);
  Metric(out, "canaryd_config_last_compile_seconds", "gauge",
         "Time taken to compile the last route table.");
  Sample(out, "canaryd_config_last_compile_seconds", "", health.config_last_compile_seconds);
  Metric(out, "canaryd_config_resources", "gauge", "Resources in the last route table.");
  Sample(out, "canaryd_config_resources", "", health.config_resources);
  Metric(out, "canaryd_listener_up", "gauge",
         "1 when every worker listens on the Gateway port, 0 when it could not be bound.");
  for (const proxy::ListenerState& l : health.listeners) {
    Sample(out, "canaryd_listener_up",
           "gateway_port=\"" + std::to_string(l.gateway_port) + "\",address=\"" + l.address + "\"",
           l.up ? 1 : 0);
  }
  Metric(out, "canaryd_listener_bind_failures_total", "counter",
         "Attempts to listen on a Gateway port that failed (port held elsewhere, no permission).");
  Sample(out, "canaryd_listener_bind_failures_total", "", health.listener_bind_failures);
  Metric(out, "canaryd_event_loop_lag_seconds", "gauge",
         "How late each worker's event loop ran its timers, last iteration.");
  for (size_t i = 0; i < health.workers.size(); ++i) {
    Sample(out, "canaryd_event_loop_lag_seconds", "worker=\"" + std::to_string(i) + "\"",
           static_cast<double>(health.workers[i].loop_lag_nanos) / 1e9);
  }
  Metric(out, "canaryd_access_log_dropped_lines_total", "counter",
         "Access log lines dropped because the writer fell behind.");
  Sample(out, "canaryd_access_log_dropped_lines_total", "", access_log_dropped());
  return out;
}

}  // namespace canaryd::telemetry

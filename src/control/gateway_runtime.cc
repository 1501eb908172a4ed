#include "control/gateway_runtime.h"

#include <spdlog/spdlog.h>

#include <map>
#include <nlohmann/json.hpp>

#include "config/duration.h"

namespace canaryd::control {

GatewayRuntime::GatewayRuntime(RuntimeOptions options, store::Store& store)
    : options_(std::move(options)), store_(store) {
  int workers = options_.proxy.workers < 1 ? 1 : options_.proxy.workers;
  options_.proxy.workers = workers;
  telemetry_ = std::make_unique<telemetry::Telemetry>(options_.telemetry, workers);
  server_ = std::make_unique<proxy::GatewayServer>(
      options_.proxy, options_.telemetry.enabled ? telemetry_.get() : nullptr);
  watcher_ = std::make_unique<ConfigWatcher>(
      store_, options_.compile,
      [this](std::shared_ptr<const router::RouteTable> table, std::vector<uint32_t> ports) {
        LogListenerChanges(server_->Publish(std::move(table), std::move(ports)));
      });
}

GatewayRuntime::~GatewayRuntime() {
  Stop();
}

Status GatewayRuntime::Start() {
  if (Status s = telemetry_->Start(); !s.ok()) return s;
  if (Status s = server_->Start(); !s.ok()) return s;
  return watcher_->Start();
}

void GatewayRuntime::LogListenerChanges(const std::vector<proxy::ListenerState>& now) {
  std::map<uint32_t, std::string> errors;
  for (const proxy::ListenerState& l : now) {
    errors[l.gateway_port] = l.error;
    auto before = logged_errors_.find(l.gateway_port);
    bool known = before != logged_errors_.end();
    if (!l.up && (!known || before->second != l.error)) {
      spdlog::error("gateway port {}: cannot listen on {}: {}", l.gateway_port, l.address, l.error);
    } else if (l.up && (!known || !before->second.empty())) {
      spdlog::info("gateway port {}: listening on {}", l.gateway_port, l.address);
    }
  }
  logged_errors_ = std::move(errors);
}

std::string GatewayRuntime::NotReadyReason() const {
  WatcherStatus st = watcher_->status();
  if (!st.synced) {
    return st.last_error.empty() ? "no route table published yet"
                                 : "no route table published yet: " + st.last_error;
  }
  for (const proxy::ListenerState& l : server_->listeners()) {
    if (!l.up) {
      return "gateway port " + std::to_string(l.gateway_port) + " is not listening on " +
             l.address + ": " + l.error;
    }
  }
  return "";
}

void GatewayRuntime::Drain() {
  watcher_->Stop();
  server_->Drain();
}

void GatewayRuntime::Stop() {
  if (watcher_) watcher_->Stop();
  if (server_) server_->Stop();
}

std::string GatewayRuntime::RenderPrometheus() {
  telemetry::GatewayHealth health;
  health.workers = server_->ReadCounters();
  WatcherStatus st = watcher_->status();
  health.config_snapshots_published = st.tables_published;
  health.config_last_compile_seconds = static_cast<double>(st.last_compile_nanos) / 1e9;
  health.config_resources = st.resources;
  health.listeners = server_->listeners();
  health.listener_bind_failures = server_->bind_failures();
  std::string out = telemetry_->RenderPrometheus(
      [this](std::function<void(int)> fn) { return server_->RunOnEachWorker(std::move(fn)); },
      health);
  for (const auto& section : sections_) out += section();
  return out;
}

std::string GatewayRuntime::DestinationsJson(int64_t window_seconds) {
  int64_t now = SystemClock::Instance().WallNanos() / 1'000'000'000;
  nlohmann::json items = nlohmann::json::array();
  for (const telemetry::DestinationStats& d : telemetry_->live().Query(window_seconds, now)) {
    items.push_back({{"service", d.service},
                     {"serviceName", d.service_name},
                     {"serviceNamespace", d.service_namespace},
                     {"version", d.version},
                     {"requests", d.requests},
                     {"successes", d.successes},
                     {"successRate", d.success_rate},
                     {"requestsPerSecond", d.requests_per_second},
                     {"latencyMs", {{"p50", d.p50_ms}, {"p90", d.p90_ms}, {"p99", d.p99_ms}}}});
  }
  nlohmann::json out = {{"windowSeconds", window_seconds}, {"now", now}, {"destinations", items}};
  return out.dump();
}

void GatewayRuntime::RegisterAdminRoutes(api::Router& router) {
  auto metrics = [this](const api::HttpRequest&) {
    return api::HttpResponse::Text(200, RenderPrometheus())
        .SetHeader("content-type", "text/plain; version=0.0.4; charset=utf-8");
  };
  router.Handle("/stats/prometheus", metrics, {.exact = true});
  router.Handle("/metrics", metrics, {.exact = true});
  router.Handle(
      "/stats/destinations",
      [this](const api::HttpRequest& req) {
        std::string window = req.QueryOr("window", "30s");
        std::string why;
        auto nanos = config::ParseDuration(window, &why);
        if (!nanos || *nanos < 1'000'000'000 ||
            *nanos > telemetry::LiveStats::kMaxWindowSeconds * 1'000'000'000) {
          return api::HttpResponse::Json(
              400, nlohmann::json({{"error", "window must be a duration from 1s to 10m"}}).dump());
        }
        return api::HttpResponse::Json(200, DestinationsJson(*nanos / 1'000'000'000));
      },
      {.exact = true});
  router.Handle("/stats/config",
                [this](const api::HttpRequest&) {
                  WatcherStatus st = watcher_->status();
                  nlohmann::json listeners = nlohmann::json::array();
                  for (const proxy::ListenerState& l : server_->listeners()) {
                    listeners.push_back({{"gatewayPort", l.gateway_port},
                                         {"address", l.address},
                                         {"up", l.up},
                                         {"error", l.error}});
                  }
                  // Outlier detection's ejections, per worker (each detects on its own).
                  nlohmann::json ejections = nlohmann::json::array();
                  std::vector<proxy::WorkerCounters> workers = server_->ReadCounters();
                  for (size_t w = 0; w < workers.size(); ++w) {
                    for (const proxy::EjectedEndpoint& e : workers[w].ejected) {
                      ejections.push_back({{"worker", w},
                                           {"cluster", e.cluster},
                                           {"endpoint", e.address},
                                           {"secondsLeft", e.seconds_left},
                                           {"ejections", e.times}});
                    }
                  }
                  nlohmann::json out = {
                      {"outlierEjections", ejections},
                      {"generation", st.generation},
                      {"tablesPublished", st.tables_published},
                      {"tablesPatched", st.tables_patched},
                      {"lastCompileSeconds", static_cast<double>(st.last_compile_nanos) / 1e9},
                      {"resources", st.resources},
                      {"synced", st.synced},
                      {"warnings", st.warnings},
                      {"lastError", st.last_error},
                      {"listeners", listeners},
                      {"listenerBindFailures", server_->bind_failures()}};
                  return api::HttpResponse::Json(200, out.dump());
                },
                {.exact = true});
}

}  // namespace canaryd::control

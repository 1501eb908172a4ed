// The rollout controller's view of the world outside the store: the gateway's per-second
// statistics of a destination, webhooks and metrics providers. Interfaces so that the
// controller's tests drive it with fakes; canaryd gives it the live statistics and the real HTTP
// clients (rollout/outbound_clients.h). Called from the controller's thread only; an
// implementation blocks at most for the call's own timeout.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rollout/analysis.h"
#include "rollout/canary_plan.h"
#include "telemetry/live_stats.h"

namespace canaryd::rollout {

class TrafficSource {
 public:
  virtual ~TrafficSource() = default;
  // One bucket per second in [from_second, to_second] that saw requests to the route
  // destination (service FQDN, subset or ""), ascending.
  virtual std::vector<telemetry::SecondBucket> Seconds(const std::string& service_fqdn,
                                                       const std::string& subset,
                                                       int64_t from_second,
                                                       int64_t to_second) const = 0;
};

struct WebhookAnswer {
  bool ok = false;           // a 2xx answer
  bool unreachable = false;  // no answer: refused, timed out, reset
  long http_status = 0;
  std::string error;  // why not ok, for status and events
};

class Outbound {
 public:
  virtual ~Outbound() = default;
  virtual WebhookAnswer CallWebhook(const WebhookPlan& hook, const std::string& payload) = 0;
  // Runs the already rendered query of a custom metric.
  virtual ProviderValue QueryMetric(const MetricPlan& metric, const std::string& query) = 0;
};

// LiveStats as a TrafficSource.
class LiveStatsTraffic final : public TrafficSource {
 public:
  explicit LiveStatsTraffic(const telemetry::LiveStats& stats) : stats_(stats) {}
  std::vector<telemetry::SecondBucket> Seconds(const std::string& service_fqdn,
                                               const std::string& subset, int64_t from_second,
                                               int64_t to_second) const override {
    return stats_.SecondsOf(service_fqdn, subset, from_second, to_second);
  }

 private:
  const telemetry::LiveStats& stats_;
};

}  // namespace canaryd::rollout

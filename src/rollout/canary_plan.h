// CanaryPlan: a Canary's spec with every default resolved, in the units the controller
// decides in (milliseconds, weights as integers), plus the revision that identifies what is
// being released. Built once per tick from the decoded spec. Pure data and pure functions: any
// thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/canary_types.h"

namespace canaryd::rollout {

enum class MetricKind { kSuccessRate, kDuration, kCustom };

struct MetricPlan {
  std::string name;
  MetricKind kind = MetricKind::kSuccessRate;
  int64_t window_ms = 0;
  std::optional<double> min, max;  // thresholdRange
  std::optional<config::CanaryRelativeBound> relative;
  double quantile = 0.99;
  bool critical = false;
  std::string provider_type, provider_address, query;  // custom metrics
};

struct WebhookPlan {
  std::string name, type, url;
  int64_t timeout_ms = 10'000;
  std::map<std::string, std::string> metadata;
};

struct CanaryPlan {
  std::string ns, name;
  std::string virtual_service;
  std::string route;  // "" = the one route with the stable destination
  config::Destination stable, canary;
  bool suspend = false;
  bool skip_analysis = false;
  int64_t progress_deadline_ms = 0;
  int64_t interval_ms = 0;
  int64_t threshold = 0;
  std::vector<int> step_weights;  // ascending, the last one is the weight before promotion
  int step_weight_promotion = 100;
  int64_t iterations = 1;
  int64_t min_requests = 0;
  int64_t provider_error_limit = 0;
  bool sequential = true;
  double alpha = 0.01;
  std::vector<MetricPlan> metrics;
  std::vector<WebhookPlan> webhooks;

  // The webhooks of one type, in spec order.
  std::vector<const WebhookPlan*> WebhooksOf(std::string_view type) const;
  // The request-duration metric's max, the bound of the sequential latency test; 0 for none.
  double LatencyBoundMs() const;
};

CanaryPlan MakePlan(const config::CanarySpec& spec, const std::string& ns, const std::string& name);

// What identifies a release: the destinations, the route and spec.revision. A change starts a
// new analysis. 16 hex digits.
std::string RevisionOf(const config::CanarySpec& spec);

// "web-v2-service" (host, subset and port as a route names them) for messages.
std::string DestinationText(const config::Destination& d);

}  // namespace canaryd::rollout

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

// Flagger's model (spec.targetRef): the objects canaryd makes and keeps for a target Deployment.
struct TargetPlan {
  std::string deployment;          // the target: its Pods are the canary
  std::string primary_deployment;  // <target>-primary: the last promoted template
  std::string service;             // <apex>: routes to the primary
  std::string primary_service;     // <apex>-primary
  std::string canary_service;      // <apex>-canary: the target's Pods
  int64_t port = 0;
  config::IntOrString target_port;
  std::string port_name = "http";
  std::vector<std::string> gateways, hosts;
  bool own_virtual_service = true;  // canaryd makes the VirtualService <apex>
};

struct CanaryPlan {
  std::string ns, name;
  std::optional<TargetPlan> target;  // set for a Canary with spec.targetRef
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
  // analysis.sessionAffinity as the canaryd.io/sticky-canary annotation's text; "" for none.
  std::string sticky_canary;
  std::vector<MetricPlan> metrics;
  std::vector<WebhookPlan> webhooks;

  // The webhooks of one type, in spec order.
  std::vector<const WebhookPlan*> WebhooksOf(std::string_view type) const;
  // The request-duration metric's max, the bound of the sequential latency test; 0 for none.
  double LatencyBoundMs() const;
};

CanaryPlan MakePlan(const config::CanarySpec& spec, const std::string& ns, const std::string& name);

// What identifies a release: the destinations, the route, spec.revision and, with targetRef,
// the target's pod template (its hash, `template_hash`). A change starts a new analysis. 16 hex
// digits.
std::string RevisionOf(const config::CanarySpec& spec, std::string_view template_hash = "");

// "web-v2-service" (host, subset and port as a route names them) for messages.
std::string DestinationText(const config::Destination& d);

}  // namespace canaryd::rollout

#include "rollout/canary_plan.h"

#include <cstdio>

#include "config/sticky_canary.h"

namespace canaryd::rollout {
namespace {

namespace d = config::canary_defaults;

int64_t Millis(const std::optional<config::Duration>& v, int64_t default_nanos) {
  return (v ? v->nanos : default_nanos) / 1'000'000;
}

// FNV-1a, 64 bits: stable across builds and machines, which std::hash is not.
uint64_t Fnv1a(std::string_view s, uint64_t h = 1469598103934665603ull) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace

std::vector<const WebhookPlan*> CanaryPlan::WebhooksOf(std::string_view type) const {
  std::vector<const WebhookPlan*> out;
  for (const WebhookPlan& w : webhooks) {
    if (w.type == type) out.push_back(&w);
  }
  return out;
}

double CanaryPlan::LatencyBoundMs() const {
  for (const MetricPlan& m : metrics) {
    if (m.kind == MetricKind::kDuration && m.max) return *m.max;
  }
  return 0;
}

CanaryPlan MakePlan(const config::CanarySpec& spec, const std::string& ns,
                    const std::string& name) {
  const config::CanaryAnalysis& a = spec.analysis;
  CanaryPlan p;
  p.ns = ns;
  p.name = name;
  p.virtual_service = spec.virtual_service;
  p.route = spec.route.value_or("");
  if (spec.stable) p.stable = *spec.stable;
  if (spec.canary) p.canary = *spec.canary;
  if (spec.target_ref) {
    TargetPlan t;
    t.deployment = spec.target_ref->name;
    t.primary_deployment = t.deployment + "-primary";
    const config::CanaryService svc = spec.service.value_or(config::CanaryService{});
    t.service = svc.name.value_or(t.deployment);
    t.primary_service = t.service + "-primary";
    t.canary_service = t.service + "-canary";
    t.port = svc.port;
    if (svc.target_port) {
      t.target_port = *svc.target_port;
    } else {
      t.target_port.is_int = true;
      t.target_port.int_value = svc.port;
    }
    t.port_name = svc.port_name.value_or("http");
    t.gateways = svc.gateways;
    t.hosts = svc.hosts;
    t.own_virtual_service = spec.virtual_service.empty();
    if (t.own_virtual_service) p.virtual_service = t.service;
    auto dest = [&](const std::string& host) {
      config::Destination d;
      d.host = host;
      d.port = config::PortSelector{};
      d.port->number = static_cast<uint32_t>(svc.port);
      return d;
    };
    p.stable = dest(t.primary_service);
    p.canary = dest(t.canary_service);
    p.target = std::move(t);
  }
  p.suspend = spec.suspend.value_or(false);
  p.skip_analysis = spec.skip_analysis.value_or(false);
  p.progress_deadline_ms =
      spec.progress_deadline_seconds.value_or(d::kProgressDeadlineSeconds) * 1000;
  p.interval_ms = Millis(a.interval, d::kIntervalNanos);
  p.threshold = a.threshold.value_or(d::kThreshold);
  if (!a.step_weights.empty()) {
    for (int64_t w : a.step_weights) p.step_weights.push_back(static_cast<int>(w));
  } else {
    int64_t step = a.step_weight.value_or(d::kStepWeight);
    int64_t max = a.max_weight.value_or(d::kMaxWeight);
    if (step > max) step = max;  // validation refuses it; a stored object may predate that
    if (step < 1) step = 1;
    for (int64_t w = step; w < max; w += step) p.step_weights.push_back(static_cast<int>(w));
    p.step_weights.push_back(static_cast<int>(max));
  }
  p.step_weight_promotion =
      static_cast<int>(a.step_weight_promotion.value_or(d::kStepWeightPromotion));
  p.iterations = a.iterations.value_or(d::kIterations);
  p.min_requests = a.min_requests.value_or(d::kMinRequests);
  p.provider_error_limit = a.provider_error_limit.value_or(d::kProviderErrorLimit);
  if (a.session_affinity) {
    Result<std::string> sticky = config::StickyCanaryAnnotationOf(*a.session_affinity);
    if (sticky.ok()) p.sticky_canary = *sticky;
  }
  if (a.sequential) {
    p.sequential = a.sequential->enabled.value_or(true);
    p.alpha = a.sequential->alpha.value_or(d::kAlpha);
  } else {
    p.alpha = d::kAlpha;
  }
  std::vector<config::CanaryMetric> metrics;
  if (a.metrics) {
    metrics = *a.metrics;
  } else {
    config::CanaryMetric sr;
    sr.name = std::string(config::kSuccessRateMetric);
    sr.threshold_range = config::CanaryThresholdRange{d::kSuccessRateMin, std::nullopt};
    config::CanaryMetric dur;
    dur.name = std::string(config::kDurationMetric);
    dur.threshold_range = config::CanaryThresholdRange{std::nullopt, d::kDurationMaxMs};
    metrics = {sr, dur};
  }
  for (const config::CanaryMetric& m : metrics) {
    MetricPlan mp;
    mp.name = m.name;
    mp.kind = m.name == config::kSuccessRateMetric ? MetricKind::kSuccessRate
              : m.name == config::kDurationMetric  ? MetricKind::kDuration
                                                   : MetricKind::kCustom;
    mp.window_ms = m.interval ? m.interval->nanos / 1'000'000 : p.interval_ms;
    if (m.threshold_range) {
      mp.min = m.threshold_range->min;
      mp.max = m.threshold_range->max;
    }
    mp.relative = m.relative_to_stable;
    mp.quantile = m.quantile.value_or(d::kQuantile);
    mp.critical = m.critical.value_or(false);
    if (m.provider) {
      mp.provider_type = m.provider->type;
      mp.provider_address = m.provider->address;
    }
    mp.query = m.query.value_or("");
    p.metrics.push_back(std::move(mp));
  }
  for (const config::CanaryWebhook& w : a.webhooks) {
    WebhookPlan wp;
    wp.name = w.name;
    wp.type = w.type.value_or("rollout");
    wp.url = w.url;
    wp.timeout_ms = Millis(w.timeout, d::kWebhookTimeoutNanos);
    wp.metadata = w.metadata;
    p.webhooks.push_back(std::move(wp));
  }
  return p;
}

std::string DestinationText(const config::Destination& dest) {
  std::string out = dest.host;
  if (dest.subset) out += " subset " + *dest.subset;
  if (dest.port && dest.port->number) out += " port " + std::to_string(*dest.port->number);
  return out;
}

std::string RevisionOf(const config::CanarySpec& spec, std::string_view template_hash) {
  auto dest = [](const config::Destination& dest) {
    return dest.host + '\x1f' + dest.subset.value_or("") + '\x1f' +
           std::to_string(dest.port ? dest.port->number.value_or(0) : 0);
  };
  const config::Destination none;
  std::string key = spec.virtual_service + '\x1e' + spec.route.value_or("") + '\x1e' +
                    dest(spec.stable.value_or(none)) + '\x1e' + dest(spec.canary.value_or(none)) +
                    '\x1e' + spec.revision.value_or("");
  if (spec.target_ref) {
    key += '\x1e' + spec.target_ref->name + '\x1e' + std::string(template_hash);
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(Fnv1a(key)));
  return buf;
}

}  // namespace canaryd::rollout

// canaryd.io/v1alpha1 Canary rules: what the controller needs to act without guessing. A field
// the controller would have to ignore or reinterpret is refused here, at apply time.
#include <set>

#include "config/query_template.h"
#include "config/sticky_canary.h"
#include "config/validate_kinds.h"

namespace canaryd::config {
namespace {

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kBuiltInMaxWindow = 600 * kSecond;  // what the live statistics keep

bool IsBuiltIn(std::string_view name) {
  return name == kSuccessRateMetric || name == kDurationMetric;
}

void CheckWeight(Checker& c, std::string_view field, int64_t w) {
  if (w < 1 || w > 100) c.ErrorAt(field, "must be between 1 and 100, got " + std::to_string(w));
}

void CheckDestination(Checker& c, std::string_view field, const Destination& d) {
  auto scope = c.path().Field(field);
  if (d.host.empty()) {
    c.ErrorAt("host", "required field is missing");
  } else if (std::string why = CheckHost(d.host, false); !why.empty()) {
    c.ErrorAt("host", why);
  } else if (d.host.find('*') != std::string::npos) {
    c.ErrorAt("host", "a canary destination cannot be a wildcard");
  }
  if (d.subset && std::string(*d.subset).empty()) c.ErrorAt("subset", "must not be empty");
  if (d.port && d.port->number) CheckPortNumber(c, "port", *d.port->number);
}

bool SameDestination(const Destination& a, const Destination& b) {
  auto port = [](const Destination& d) { return d.port ? d.port->number.value_or(0) : 0u; };
  return a.host == b.host && a.subset.value_or("") == b.subset.value_or("") && port(a) == port(b);
}

void CheckRange(Checker& c, const CanaryThresholdRange& r, bool percent) {
  auto scope = c.path().Field("thresholdRange");
  if (!r.min && !r.max) c.Error("needs min, max or both");
  if (r.min && r.max && *r.min > *r.max) c.Error("min must not be above max");
  if (percent) {
    if (r.min && (*r.min < 0 || *r.min > 100)) c.ErrorAt("min", "a percentage: 0 to 100");
    if (r.max && (*r.max < 0 || *r.max > 100)) c.ErrorAt("max", "a percentage: 0 to 100");
  }
}

void CheckRelative(Checker& c, const CanaryRelativeBound& b) {
  auto scope = c.path().Field("relativeToStable");
  if (!b.min_difference && !b.max_difference && !b.min_ratio && !b.max_ratio) {
    c.Error("needs at least one of minDifference, maxDifference, minRatio, maxRatio");
  }
  if (b.min_difference && b.max_difference && *b.min_difference > *b.max_difference) {
    c.Error("minDifference must not be above maxDifference");
  }
  if (b.min_ratio && *b.min_ratio < 0) c.ErrorAt("minRatio", "must not be negative");
  if (b.max_ratio && *b.max_ratio <= 0) c.ErrorAt("maxRatio", "must be above 0");
  if (b.min_ratio && b.max_ratio && *b.min_ratio > *b.max_ratio) {
    c.Error("minRatio must not be above maxRatio");
  }
}

void CheckMetric(Checker& c, const CanaryMetric& m) {
  bool built_in = IsBuiltIn(m.name);
  if (m.name.empty()) c.ErrorAt("name", "required field is missing");
  CheckMinDuration(c, "interval", m.interval, kSecond);
  if (built_in) {
    if (m.interval && m.interval->nanos > kBuiltInMaxWindow) {
      c.ErrorAt("interval", "at most 10m for a built-in metric (the live statistics' window)");
    }
    if (m.provider) c.ErrorAt("provider", "a built-in metric has no provider");
    if (m.query) c.ErrorAt("query", "a built-in metric has no query");
    if (!m.threshold_range && !m.relative_to_stable) {
      c.Error("needs thresholdRange, relativeToStable or both: otherwise it checks nothing");
    }
    if (m.quantile && m.name != kDurationMetric) {
      c.ErrorAt("quantile", "only request-duration has a quantile");
    }
    if (m.quantile && (*m.quantile <= 0 || *m.quantile >= 1)) {
      c.ErrorAt("quantile", "must be above 0 and below 1");
    }
  } else if (!m.name.empty()) {
    if (!m.provider) {
      c.ErrorAt("provider",
                "required for a custom metric (the built-in ones are request-success-rate and "
                "request-duration)");
    }
    if (!m.query || m.query->empty()) {
      c.ErrorAt("query", "required for a custom metric");
    } else if (std::string why = CheckQueryTemplate(*m.query, kCanaryQueryPlaceholders);
               !why.empty()) {
      c.ErrorAt("query", why);
    }
    if (!m.threshold_range) c.ErrorAt("thresholdRange", "required for a custom metric");
    if (m.relative_to_stable) {
      c.ErrorAt("relativeToStable",
                "only for the built-in metrics (a custom query names both destinations itself)");
    }
    if (m.quantile) c.ErrorAt("quantile", "only request-duration has a quantile");
    if (m.provider) {
      auto scope = c.path().Field("provider");
      const std::string& a = m.provider->address;
      if (a.rfind("http://", 0) != 0 && a.rfind("https://", 0) != 0) {
        c.ErrorAt("address", "must be an http:// or https:// URL");
      }
    }
  }
  if (m.threshold_range) CheckRange(c, *m.threshold_range, m.name == kSuccessRateMetric);
  if (m.relative_to_stable) CheckRelative(c, *m.relative_to_stable);
}

void CheckWebhook(Checker& c, const CanaryWebhook& w) {
  if (w.name.empty()) c.ErrorAt("name", "required field is missing");
  if (w.url.rfind("http://", 0) != 0 && w.url.rfind("https://", 0) != 0) {
    c.ErrorAt("url", "must be an http:// or https:// URL");
  }
  CheckMinDuration(c, "timeout", w.timeout, 1'000'000);
  if (w.timeout && w.timeout->nanos > 300 * kSecond) c.ErrorAt("timeout", "at most 5m");
}

void CheckTarget(Checker& c, const CanarySpec& s) {
  const CanaryTargetRef& t = *s.target_ref;
  {
    auto scope = c.path().Field("targetRef");
    if (t.api_version != "apps/v1") {
      c.ErrorAt("apiVersion",
                "must be apps/v1 (canaryd releases Deployments), got \"" + t.api_version + "\"");
    }
    if (t.kind != "Deployment") {
      c.ErrorAt("kind", "must be Deployment, got \"" + t.kind + "\"");
    }
    if (t.name.empty()) {
      c.ErrorAt("name", "required field is missing");
    } else if (std::string why = CheckDns1123Label(t.name); !why.empty()) {
      c.ErrorAt("name", why);
    } else if (t.name.size() > 63 - 8) {
      c.ErrorAt("name", "at most 55 characters: <name>-primary must be a Service name");
    }
  }
  for (const char* f : {"stable", "canary"}) {
    if ((f[0] == 's' ? s.stable : s.canary)) {
      c.ErrorAt(f,
                "set targetRef or stable and canary, not both: with targetRef the stable is "
                "<name>-primary and the canary <name>-canary");
    }
  }
  if (!s.service) {
    c.ErrorAt("service", "required with targetRef: the port of the Services canaryd makes");
    return;
  }
  auto scope = c.path().Field("service");
  const CanaryService& svc = *s.service;
  if (svc.port < 1 || svc.port > 65535) c.ErrorAt("port", "must be between 1 and 65535");
  if (svc.target_port && svc.target_port->is_int &&
      (svc.target_port->int_value < 1 || svc.target_port->int_value > 65535)) {
    c.ErrorAt("targetPort", "must be between 1 and 65535");
  }
  if (svc.target_port && !svc.target_port->is_int) {
    if (std::string why = CheckDns1123Label(svc.target_port->string_value); !why.empty()) {
      c.ErrorAt("targetPort", "a port name: " + why);
    }
  }
  if (svc.name) {
    if (std::string why = CheckDns1123Label(*svc.name); !why.empty()) c.ErrorAt("name", why);
  }
  for (size_t i = 0; i < svc.hosts.size(); ++i) {
    auto hosts = c.path().Field("hosts");
    auto idx = c.path().Index(i);
    if (std::string why = CheckHost(svc.hosts[i], true); !why.empty()) c.Error(why);
  }
  if (!s.virtual_service.empty() && (!svc.hosts.empty() || !svc.gateways.empty())) {
    c.ErrorAt(svc.hosts.empty() ? "gateways" : "hosts",
              "only for the VirtualService canaryd makes; with spec.virtualService, set them "
              "in that VirtualService");
  }
}

}  // namespace

void ValidateCanary(Checker& c, const CanarySpec& s) {
  auto spec = c.path().Field("spec");
  if (s.target_ref) {
    CheckTarget(c, s);
  } else {
    if (s.service) c.ErrorAt("service", "only with targetRef");
    if (s.virtual_service.empty()) c.ErrorAt("virtualService", "required field is missing");
    if (!s.stable) c.ErrorAt("stable", "required field is missing (or set targetRef)");
    if (!s.canary) c.ErrorAt("canary", "required field is missing (or set targetRef)");
  }
  if (!s.virtual_service.empty()) {
    if (std::string why = CheckDns1123Subdomain(s.virtual_service); !why.empty()) {
      c.ErrorAt("virtualService", why);
    }
  }
  if (s.route && s.route->empty()) c.ErrorAt("route", "must not be empty (unset it instead)");
  if (s.stable) CheckDestination(c, "stable", *s.stable);
  if (s.canary) CheckDestination(c, "canary", *s.canary);
  if (s.stable && s.canary && !s.stable->host.empty() && SameDestination(*s.stable, *s.canary)) {
    c.ErrorAt("canary", "must differ from stable (host, subset or port)");
  }
  if (s.progress_deadline_seconds && *s.progress_deadline_seconds < 1) {
    c.ErrorAt("progressDeadlineSeconds", "must be at least 1");
  }

  auto analysis = c.path().Field("analysis");
  const CanaryAnalysis& a = s.analysis;
  CheckMinDuration(c, "interval", a.interval, kSecond);
  if (a.threshold && *a.threshold < 1) c.ErrorAt("threshold", "must be at least 1");
  if (a.step_weight) CheckWeight(c, "stepWeight", *a.step_weight);
  if (a.max_weight) CheckWeight(c, "maxWeight", *a.max_weight);
  if (a.step_weight && a.max_weight && *a.step_weight > *a.max_weight) {
    c.ErrorAt("stepWeight", "must not be above maxWeight");
  }
  if (!a.step_weights.empty()) {
    if (a.step_weight) c.ErrorAt("stepWeight", "set stepWeight or stepWeights, not both");
    if (a.max_weight) c.ErrorAt("maxWeight", "stepWeights replaces maxWeight: its last weight");
    auto scope = c.path().Field("stepWeights");
    for (size_t i = 0; i < a.step_weights.size(); ++i) {
      auto idx = c.path().Index(i);
      int64_t w = a.step_weights[i];
      if (w < 1 || w > 100) {
        c.Error("must be between 1 and 100, got " + std::to_string(w));
      } else if (i > 0 && w <= a.step_weights[i - 1]) {
        c.Error("step weights must be ascending");
      }
    }
  }
  if (a.step_weight_promotion) CheckWeight(c, "stepWeightPromotion", *a.step_weight_promotion);
  if (a.iterations && *a.iterations < 1) c.ErrorAt("iterations", "must be at least 1");
  if (a.min_requests && *a.min_requests < 0) c.ErrorAt("minRequests", "must not be negative");
  if (a.provider_error_limit && *a.provider_error_limit < 1) {
    c.ErrorAt("providerErrorLimit", "must be at least 1");
  }
  if (a.sequential && a.sequential->alpha) {
    double alpha = *a.sequential->alpha;
    if (!(alpha > 0 && alpha <= 0.5)) {
      auto scope = c.path().Field("sequential");
      c.ErrorAt("alpha", "must be above 0 and at most 0.5");
    }
  }
  if (a.session_affinity) {
    Result<std::string> sticky = StickyCanaryAnnotationOf(*a.session_affinity);
    if (!sticky.ok()) c.ErrorAt("sessionAffinity", sticky.status().message());
  }
  if (a.metrics) {
    auto scope = c.path().Field("metrics");
    std::set<std::string> names;
    for (size_t i = 0; i < a.metrics->size(); ++i) {
      auto idx = c.path().Index(i);
      const CanaryMetric& m = (*a.metrics)[i];
      if (!m.name.empty() && !names.insert(m.name).second) {
        c.ErrorAt("name", "duplicate metric \"" + m.name + "\"");
      }
      CheckMetric(c, m);
    }
  }
  auto scope = c.path().Field("webhooks");
  std::set<std::string> names;
  for (size_t i = 0; i < a.webhooks.size(); ++i) {
    auto idx = c.path().Index(i);
    const CanaryWebhook& w = a.webhooks[i];
    if (!w.name.empty() && !names.insert(w.name).second) {
      c.ErrorAt("name", "duplicate webhook \"" + w.name + "\"");
    }
    CheckWebhook(c, w);
  }
}

}  // namespace canaryd::config

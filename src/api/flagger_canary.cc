#include "api/flagger_canary.h"

#include <string>

#include "api/object_util.h"

namespace canaryd::api {
namespace {

using nlohmann::json;

struct Refusal {
  const char* field;
  const char* reason;
};

constexpr const char* kRouteOnly =
    "not served: the VirtualService canaryd makes routes by weight alone; set "
    "spec.virtualService (canaryd.io/v1alpha1) to a VirtualService of your own that routes to "
    "<name>-primary for more";

constexpr Refusal kSpecRefusals[] = {
    {"autoscalerRef",
     "not served: canaryd runs no HorizontalPodAutoscaler; the primary keeps the target's "
     "replicas and the canary runs as many"},
    {"ingressRef", "not served: canaryd is the Istio gateway (provider istio)"},
    {"upstreamRef", "not served: canaryd is the Istio gateway (provider istio)"},
    {"routeRef", "not served: canaryd is the Istio gateway (provider istio)"},
    {"revertOnDeletion",
     "not served: deleting the Canary leaves the primary, its Services and the VirtualService "
     "as they are"},
    {"stable",
     "a flagger.app Canary releases a Deployment (spec.targetRef); stable and canary "
     "destinations are canaryd.io/v1alpha1's"},
    {"canary",
     "a flagger.app Canary releases a Deployment (spec.targetRef); stable and canary "
     "destinations are canaryd.io/v1alpha1's"},
};

constexpr Refusal kAnalysisRefusals[] = {
    {"match", "not served: A/B testing by header or cookie; canaryd shifts weights"},
    {"mirror", "not served: traffic mirroring"},
    {"mirrorWeight", "not served: traffic mirroring"},
    {"alerts", "not served: alert providers; a webhook of type event receives every event"},
    {"sessionAffinity", "not served: cookie-based session affinity"},
    {"primaryReadyThreshold",
     "not served: the primary counts as ready when every replica is available"},
    {"canaryReadyThreshold",
     "not served: the canary counts as ready when every replica is available"},
};

constexpr Refusal kServiceRefusals[] = {
    {"trafficPolicy", kRouteOnly},
    {"retries", kRouteOnly},
    {"headers", kRouteOnly},
    {"corsPolicy", kRouteOnly},
    {"match", kRouteOnly},
    {"rewrite", kRouteOnly},
    {"timeout", kRouteOnly},
    {"delegation", kRouteOnly},
    {"mirror", kRouteOnly},
    {"gatewayRefs", kRouteOnly},
    {"portDiscovery", "not served: give service.port"},
    {"appProtocol", "not served: canaryd's Services carry HTTP"},
    {"apex", "not served: canaryd names the Services <name>, <name>-primary and <name>-canary"},
    {"primary", "not served: canaryd names the Services <name>, <name>-primary and <name>-canary"},
    {"canary", "not served: canaryd names the Services <name>, <name>-primary and <name>-canary"},
    {"backends", "not served: the Services route to the target's containerPort"},
};

constexpr Refusal kMetricRefusals[] = {
    {"templateRef",
     "not served: MetricTemplate; give the metric a provider and a query of its own"},
    {"templateVariables",
     "not served: MetricTemplate; give the metric a provider and a query of its own"},
    {"threshold", "not served: Flagger's deprecated form; use thresholdRange"},
};

constexpr Refusal kWebhookRefusals[] = {
    {"muteAlert", "not served: alert providers"},
    {"retries", "not served: a webhook that fails is retried at the next interval"},
};

template <size_t N>
bool Refuse(const json& obj, const std::string& path, const Refusal (&list)[N], ApiCause* out) {
  if (!obj.is_object()) return false;
  for (const Refusal& r : list) {
    if (obj.contains(r.field)) {
      *out = {"FieldValueNotSupported", std::string(r.field) + ": " + r.reason, path + r.field};
      return true;
    }
  }
  return false;
}

}  // namespace

std::optional<json> CanaryFromFlagger(const json& flagger, ApiCause* refused) {
  json out = flagger;
  out["apiVersion"] = "canaryd.io/v1alpha1";
  json& spec = out["spec"];
  if (!spec.is_object() || !spec.contains("targetRef")) {
    *refused = {"FieldValueRequired",
                "targetRef: Required value: a flagger.app Canary releases a Deployment",
                "spec.targetRef"};
    return std::nullopt;
  }
  if (Refuse(spec, "spec.", kSpecRefusals, refused)) return std::nullopt;
  if (auto p = spec.find("provider"); p != spec.end()) {
    if (*p != "istio") {
      *refused = {
          "FieldValueNotSupported",
          "provider: canaryd routes as Istio does: only \"istio\" is served, got " + p->dump(),
          "spec.provider"};
      return std::nullopt;
    }
    spec.erase(p);
  }
  if (Refuse(JsonMember(spec, "service"), "spec.service.", kServiceRefusals, refused)) {
    return std::nullopt;
  }
  const json& analysis = JsonMember(spec, "analysis");
  if (Refuse(analysis, "spec.analysis.", kAnalysisRefusals, refused)) return std::nullopt;
  if (const json& it = JsonMember(analysis, "iterations"); it.is_number() && it != 0) {
    // Flagger runs Blue/Green whenever iterations is set (A/B testing with match), whatever
    // the weights say; canaryd's iterations mean passing intervals at the last weight.
    *refused = {"FieldValueNotSupported",
                "iterations: in Flagger it selects Blue/Green (A/B testing with match), which is "
                "not served: canaryd shifts weight step by step; use stepWeight and maxWeight "
                "(or stepWeights)",
                "spec.analysis.iterations"};
    return std::nullopt;
  }
  for (const char* list : {"metrics", "webhooks"}) {
    const json& items = JsonMember(analysis, list);
    if (!items.is_array()) continue;
    for (size_t i = 0; i < items.size(); ++i) {
      std::string path = "spec.analysis." + std::string(list) + "[" + std::to_string(i) + "].";
      bool metric = list[0] == 'm';
      if (metric ? Refuse(items[i], path, kMetricRefusals, refused)
                 : Refuse(items[i], path, kWebhookRefusals, refused)) {
        return std::nullopt;
      }
    }
  }
  return out;
}

}  // namespace canaryd::api

#include "rollout/target_workload.h"

#include <cstdio>

#include "api/object_util.h"

namespace canaryd::rollout {
namespace {

using api::JsonInt;
using api::JsonMember;
using api::JsonString;
using nlohmann::json;

constexpr const char* kSelectorLabels[] = {"app", "name", "app.kubernetes.io/name"};

uint64_t Fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// The label value as the primary's Pods carry it.
std::string PrimaryValue(const std::string& value) {
  return value + "-primary";
}

void RewriteLabel(json& labels, const std::string& label) {
  if (!labels.is_object()) return;
  auto it = labels.find(label);
  if (it != labels.end() && it->is_string()) *it = PrimaryValue(it->get<std::string>());
}

// The target's template with the selector label rewritten for the primary.
json PrimaryTemplate(const json& target, const std::string& label) {
  json t = JsonMember(JsonMember(target, "spec"), "template");
  if (!t.is_object()) t = json::object();
  RewriteLabel(t["metadata"]["labels"], label);
  return t;
}

json PortsOf(const CanaryPlan& plan) {
  const TargetPlan& t = *plan.target;
  json target_port =
      t.target_port.is_int ? json(t.target_port.int_value) : json(t.target_port.string_value);
  return json::array({{{"name", t.port_name},
                       {"port", t.port},
                       {"targetPort", target_port},
                       {"protocol", "TCP"}}});
}

json Hosts(const CanaryPlan& plan) {
  json hosts = json::array({plan.target->service});
  for (const std::string& h : plan.target->hosts) {
    if (h != plan.target->service) hosts.push_back(h);
  }
  return hosts;
}

}  // namespace

std::optional<std::string> SelectorLabel(const json& target, std::string* error) {
  const json& match = JsonMember(JsonMember(JsonMember(target, "spec"), "selector"), "matchLabels");
  for (const char* l : kSelectorLabels) {
    if (JsonMember(match, l).is_string()) return std::string(l);
  }
  *error = "the Deployment " + api::MetaString(target, "name") +
           " has none of the labels app, name or app.kubernetes.io/name in "
           "spec.selector.matchLabels: canaryd tells the primary's Pods from the canary's by it";
  return std::nullopt;
}

std::string TemplateHash(const json& deployment) {
  // nlohmann's objects are sorted maps: equal templates dump equally.
  std::string text = JsonMember(JsonMember(deployment, "spec"), "template").dump();
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(Fnv1a(text)));
  return buf;
}

json NewPrimary(const json& target, const CanaryPlan& plan, const std::string& label) {
  json spec = JsonMember(target, "spec");
  if (!spec.is_object()) spec = json::object();
  if (JsonInt(spec, "replicas", 1) < 1) spec["replicas"] = 1;
  RewriteLabel(spec["selector"]["matchLabels"], label);
  spec["template"] = PrimaryTemplate(target, label);
  json labels = api::MetaMap(target, "labels");
  RewriteLabel(labels, label);
  json meta = {
      {"name", plan.target->primary_deployment},
      {"namespace", plan.ns},
      {"annotations",
       {{kTargetCanaryAnnotation, plan.name}, {kPrimaryTemplateAnnotation, TemplateHash(target)}}}};
  if (!labels.empty()) meta["labels"] = labels;
  return {{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"metadata", meta}, {"spec", spec}};
}

json PrimaryWithTemplateOf(const json& primary, const json& target, const std::string& label) {
  json out = primary;
  out["spec"]["template"] = PrimaryTemplate(target, label);
  out["metadata"]["annotations"][kPrimaryTemplateAnnotation] = TemplateHash(target);
  return out;
}

std::vector<ServiceShape> TargetServices(const CanaryPlan& plan, const std::string& label_value) {
  const TargetPlan& t = *plan.target;
  return {{t.service, PrimaryValue(label_value)},
          {t.primary_service, PrimaryValue(label_value)},
          {t.canary_service, label_value}};
}

json DesiredService(const CanaryPlan& plan, const ServiceShape& shape, const std::string& label,
                    const json* existing) {
  json selector = {{label, shape.selects}};
  json ports = PortsOf(plan);
  if (existing == nullptr) {
    return {{"apiVersion", "v1"},
            {"kind", "Service"},
            {"metadata",
             {{"name", shape.name},
              {"namespace", plan.ns},
              {"annotations", {{kTargetCanaryAnnotation, plan.name}}}}},
            {"spec", {{"selector", selector}, {"ports", ports}}}};
  }
  const json& spec = JsonMember(*existing, "spec");
  bool same_ports = false;
  if (const json& have = JsonMember(spec, "ports"); have.is_array() && have.size() == 1) {
    const json& p = have[0];
    same_ports = JsonMember(p, "name") == ports[0]["name"] &&
                 JsonMember(p, "port") == ports[0]["port"] &&
                 JsonMember(p, "targetPort") == ports[0]["targetPort"];
  }
  if (JsonMember(spec, "selector") == selector && same_ports &&
      api::MetaMap(*existing, "annotations").value(kTargetCanaryAnnotation, "") == plan.name) {
    return nullptr;
  }
  json out = *existing;
  out["spec"]["selector"] = selector;
  out["spec"]["ports"] = ports;
  out["metadata"]["annotations"][kTargetCanaryAnnotation] = plan.name;
  return out;
}

json DesiredVirtualService(const CanaryPlan& plan, const json* existing) {
  const TargetPlan& t = *plan.target;
  json hosts = Hosts(plan);
  json gateways = json::array();
  for (const std::string& g : t.gateways) gateways.push_back(g);
  if (existing != nullptr) {
    const json& spec = JsonMember(*existing, "spec");
    const json& have_gateways = JsonMember(spec, "gateways");
    bool same_gateways = gateways.empty() ? (have_gateways.is_null() || have_gateways.empty())
                                          : have_gateways == gateways;
    if (JsonMember(spec, "hosts") == hosts && same_gateways) return nullptr;
    json out = *existing;
    out["spec"]["hosts"] = hosts;
    if (gateways.empty()) {
      out["spec"].erase("gateways");
    } else {
      out["spec"]["gateways"] = gateways;
    }
    return out;
  }
  auto dest = [&](const std::string& host, int weight) {
    return json{{"destination", {{"host", host}, {"port", {{"number", t.port}}}}},
                {"weight", weight}};
  };
  json spec = {{"hosts", hosts},
               {"http", json::array({{{"name", "primary"},
                                      {"route", json::array({dest(t.primary_service, 100),
                                                             dest(t.canary_service, 0)})}}})}};
  if (!gateways.empty()) spec["gateways"] = gateways;
  return {{"apiVersion", "networking.istio.io/v1"},
          {"kind", "VirtualService"},
          {"metadata",
           {{"name", plan.virtual_service},
            {"namespace", plan.ns},
            {"annotations", {{kTargetCanaryAnnotation, plan.name}}}}},
          {"spec", spec}};
}

bool DeploymentReady(const json& d, std::string* message) {
  const json& spec = JsonMember(d, "spec");
  const json& status = JsonMember(d, "status");
  int64_t want = JsonInt(spec, "replicas", 1);
  int64_t generation = JsonInt(JsonMember(d, "metadata"), "generation", 0);
  int64_t observed = JsonInt(status, "observedGeneration", 0);
  int64_t replicas = JsonInt(status, "replicas", 0);
  int64_t updated = JsonInt(status, "updatedReplicas", 0);
  int64_t available = JsonInt(status, "availableReplicas", 0);
  if (observed < generation) {
    *message = "its controller has not yet seen generation " + std::to_string(generation);
    return false;
  }
  if (want < 1) {
    *message = "it has 0 replicas";
    return false;
  }
  if (updated < want) {
    *message = std::to_string(updated) + " of " + std::to_string(want) +
               " replicas run the current template";
    return false;
  }
  if (replicas > updated) {
    *message = std::to_string(replicas - updated) + " old replicas are pending termination";
    return false;
  }
  if (available < updated) {
    *message = std::to_string(available) + " of " + std::to_string(updated) +
               " updated replicas are available";
    return false;
  }
  *message = std::to_string(available) + " of " + std::to_string(want) + " replicas available";
  return true;
}

WorkloadObservation ObserveWorkload(const CanaryPlan& plan, const json& target,
                                    const json& primary) {
  WorkloadObservation w;
  if (!target.is_object()) {
    w.error = "no Deployment " + plan.target->deployment + " in namespace " + plan.ns;
    return w;
  }
  std::string error;
  if (!SelectorLabel(target, &error)) {
    w.error = error;
    return w;
  }
  w.target_template = TemplateHash(target);
  w.canary_ready = DeploymentReady(target, &w.canary_message);
  if (!primary.is_object()) {
    w.primary_message = "it does not exist yet";
    return w;
  }
  w.primary_template = api::MetaMap(primary, "annotations").value(kPrimaryTemplateAnnotation, "");
  w.primary_ready = DeploymentReady(primary, &w.primary_message);
  return w;
}

std::optional<int> DesiredTargetReplicas(const CanaryStatus& status,
                                         const std::string& target_template, int primary_replicas) {
  if (status.promoted_template.empty()) return std::nullopt;
  if (IsTerminal(status.phase) || status.phase == Phase::kInitializing) return 0;
  if (status.phase == Phase::kInitialized && target_template == status.promoted_template) {
    return 0;
  }
  return std::max(primary_replicas, 1);
}

bool RoutesToPrimary(const CanaryStatus& status, const WorkloadObservation& observation) {
  return !status.promoted_template.empty() ||
         (observation.primary_ready && observation.primary_template == observation.target_template);
}

bool PrimaryFollowsTarget(const CanaryStatus& status) {
  return status.promoted_template.empty() || status.phase == Phase::kPromoting ||
         status.phase == Phase::kFinalising;
}

}  // namespace canaryd::rollout

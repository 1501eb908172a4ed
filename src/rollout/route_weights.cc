#include "rollout/route_weights.h"

#include "config/hosts.h"
#include "config/sticky_canary.h"

namespace canaryd::rollout {
namespace {

using nlohmann::json;

// A destination as a route writes it, resolved against the VirtualService's namespace, so that
// "web-v1-service" and "web-v1-service.default.svc.cluster.local" are the same.
struct Key {
  std::string host;
  std::string subset;
  uint32_t port = 0;
  bool operator==(const Key&) const = default;
};

std::string Resolve(const std::string& host, const std::string& ns) {
  std::vector<std::string> c = config::HostCandidates(host, ns);
  return c.empty() ? host : c.back();
}

Key KeyOf(const config::Destination& d, const std::string& ns) {
  return {Resolve(d.host, ns), d.subset.value_or(""), d.port ? d.port->number.value_or(0) : 0};
}

Key KeyOf(const json& dest, const std::string& ns) {
  Key k;
  if (!dest.is_object()) return k;
  k.host = Resolve(dest.value("host", ""), ns);
  k.subset = dest.value("subset", "");
  if (auto p = dest.find("port"); p != dest.end() && p->is_object()) {
    k.port = p->value("number", 0u);
  }
  return k;
}

// A route's destination matches the plan's when host and subset are the same and the plan's
// port, when it names one, too.
bool Matches(const Key& route, const Key& plan) {
  return route.host == plan.host && route.subset == plan.subset &&
         (plan.port == 0 || route.port == plan.port);
}

struct Found {
  size_t route = 0;
  int stable = -1, canary = -1;  // indexes into the route's destinations
  std::string error;
};

Found FindRoute(const json& vs, const CanaryPlan& plan) {
  Found f;
  std::string ns = vs.contains("metadata") ? vs["metadata"].value("namespace", plan.ns) : plan.ns;
  Key stable = KeyOf(plan.stable, ns), canary = KeyOf(plan.canary, ns);
  const json* http = nullptr;
  if (auto spec = vs.find("spec"); spec != vs.end() && spec->is_object()) {
    if (auto h = spec->find("http"); h != spec->end() && h->is_array()) http = &*h;
  }
  if (http == nullptr || http->empty()) {
    f.error = "VirtualService " + plan.virtual_service + " has no http routes";
    return f;
  }
  int chosen = -1;
  for (size_t i = 0; i < http->size(); ++i) {
    const json& r = (*http)[i];
    if (!plan.route.empty()) {
      if (r.value("name", "") == plan.route) chosen = static_cast<int>(i);
      continue;
    }
    const json* dests = r.contains("route") && r["route"].is_array() ? &r["route"] : nullptr;
    if (dests == nullptr) continue;
    for (const json& d : *dests) {
      if (Matches(KeyOf(d.value("destination", json()), ns), stable)) {
        if (chosen >= 0 && chosen != static_cast<int>(i)) {
          f.error = "VirtualService " + plan.virtual_service + " routes to " +
                    DestinationText(plan.stable) + " in more than one http route: name the " +
                    "route to shift in spec.route";
          return f;
        }
        chosen = static_cast<int>(i);
      }
    }
  }
  if (chosen < 0) {
    f.error = plan.route.empty() ? "VirtualService " + plan.virtual_service +
                                       " has no http route to " + DestinationText(plan.stable)
                                 : "VirtualService " + plan.virtual_service +
                                       " has no http route named \"" + plan.route + "\"";
    return f;
  }
  f.route = static_cast<size_t>(chosen);
  const json& r = (*http)[f.route];
  if (!r.contains("route") || !r["route"].is_array()) {
    f.error = "the http route " + std::to_string(f.route) + " of VirtualService " +
              plan.virtual_service + " has no destinations (a redirect or direct response)";
    return f;
  }
  const json& dests = r["route"];
  for (size_t j = 0; j < dests.size(); ++j) {
    Key k = KeyOf(dests[j].value("destination", json()), ns);
    if (f.stable < 0 && Matches(k, stable)) {
      f.stable = static_cast<int>(j);
    } else if (f.canary < 0 && Matches(k, canary)) {
      f.canary = static_cast<int>(j);
    }
  }
  if (f.stable < 0) {
    f.error = "the http route " + std::to_string(f.route) + " of VirtualService " +
              plan.virtual_service + " does not route to the stable " +
              DestinationText(plan.stable);
  }
  return f;
}

int WeightOf(const json& dests, int index) {
  if (index < 0) return 0;
  const json& d = dests[static_cast<size_t>(index)];
  if (d.contains("weight") && d["weight"].is_number_integer()) return d["weight"].get<int>();
  return dests.size() == 1 ? 100 : 0;  // Istio: a lone destination takes everything
}

}  // namespace

std::string MarkKey(const std::string& canary_name) {
  return canary_name + ".rollout.canaryd.io/seq";
}

RouteObservation ObserveRoute(const json& vs, const CanaryPlan& plan, const std::string& revision) {
  RouteObservation o;
  Found f = FindRoute(vs, plan);
  if (!f.error.empty()) {
    o.error = f.error;
    return o;
  }
  const json& dests = vs["spec"]["http"][f.route]["route"];
  o.ok = true;
  o.resource_version = vs["metadata"].value("resourceVersion", "");
  o.stable_weight = WeightOf(dests, f.stable);
  o.canary_weight = WeightOf(dests, f.canary);
  const json& meta = vs["metadata"];
  if (auto a = meta.find("annotations"); a != meta.end() && a->is_object()) {
    std::string mark = a->value(MarkKey(plan.name), "");
    std::string prefix = revision + ":";
    if (mark.rfind(prefix, 0) == 0) {
      try {
        o.applied_seq = std::stoll(mark.substr(prefix.size()));
      } catch (const std::exception&) {
        o.applied_seq = 0;
      }
    }
  }
  return o;
}

json WithWeights(const json& vs, const CanaryPlan& plan, const std::string& revision,
                 int canary_weight, int64_t seq, std::string* error) {
  Found f = FindRoute(vs, plan);
  if (!f.error.empty()) {
    *error = f.error;
    return nullptr;
  }
  json out = vs;
  json& dests = out["spec"]["http"][f.route]["route"];
  if (f.canary < 0) {
    json dest = {{"host", plan.canary.host}};
    if (plan.canary.subset) dest["subset"] = *plan.canary.subset;
    if (plan.canary.port && plan.canary.port->number) {
      dest["port"] = {{"number", *plan.canary.port->number}};
    }
    dests.push_back({{"destination", dest}});
    f.canary = static_cast<int>(dests.size() - 1);
  }
  if (!plan.sticky_canary.empty()) {
    // The sticky canary gives its buckets to the route's last destinations first: the canary
    // goes after the stable so that its users are the ones that stay as its weight grows.
    if (f.canary < f.stable) {
      json canary = dests[f.canary];
      dests.erase(dests.begin() + f.canary);
      dests.insert(dests.begin() + f.stable, canary);  // just after the stable, now at f.stable-1
      f.canary = f.stable;
      f.stable -= 1;
    }
    out["metadata"]["annotations"][config::kStickyCanaryAnnotation] = plan.sticky_canary;
  }
  for (size_t j = 0; j < dests.size(); ++j) {
    int w = 0;
    if (static_cast<int>(j) == f.stable) w = 100 - canary_weight;
    if (static_cast<int>(j) == f.canary) w = canary_weight;
    dests[j]["weight"] = w;
  }
  out["metadata"]["annotations"][MarkKey(plan.name)] = revision + ":" + std::to_string(seq);
  return out;
}

}  // namespace canaryd::rollout

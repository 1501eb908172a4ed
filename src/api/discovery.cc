#include "api/discovery.h"

#include <set>

namespace canaryd::api {
namespace {

constexpr std::string_view kIstioGroup = "networking.istio.io";

json Strings(std::span<const std::string_view> s) {
  json out = json::array();
  for (std::string_view v : s) out.push_back(std::string(v));
  return out;
}

json GroupVersionsJson(std::string_view group) {
  json versions = json::array();
  for (std::string_view v : config::GroupVersions(group)) {
    versions.push_back(
        {{"groupVersion", std::string(group) + "/" + std::string(v)}, {"version", std::string(v)}});
  }
  return versions;
}

}  // namespace

json VerbsOf(const config::KindInfo& kind) {
  if (kind.kind == config::Kind::kNamespace) {
    return json::array({"create", "delete", "get", "list", "patch", "update", "watch"});
  }
  return json::array(
      {"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"});
}

json VersionInfo() {
  return {{"major", kKubernetesMajor},
          {"minor", kKubernetesMinor},
          {"gitVersion", std::string("v") + kKubernetesMajor + "." + kKubernetesMinor + ".0"},
          {"gitCommit", "canaryd"},
          {"gitTreeState", "clean"},
          {"buildDate", "2025-01-01T00:00:00Z"},
          {"goVersion", "go1.23.0"},
          {"compiler", "gc"},
          {"platform", "linux/amd64"}};
}

json CoreApiVersions(const std::string& server_address) {
  return {{"kind", "APIVersions"},
          {"versions", json::array({"v1"})},
          {"serverAddressByClientCIDRs",
           json::array({{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", server_address}}})}};
}

json GroupInfo(const std::string& group) {
  if (group != kIstioGroup) return nullptr;
  json versions = GroupVersionsJson(kIstioGroup);
  return {{"kind", "APIGroup"},
          {"apiVersion", "v1"},
          {"name", group},
          {"versions", versions},
          {"preferredVersion", versions[0]}};
}

json GroupList() {
  json info = GroupInfo(std::string(kIstioGroup));
  info.erase("kind");
  info.erase("apiVersion");
  return {{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", json::array({info})}};
}

json ResourceList(const std::string& group, const std::string& version) {
  auto versions = config::GroupVersions(group);
  if (std::find(versions.begin(), versions.end(), version) == versions.end()) return nullptr;
  if (!group.empty() && group != kIstioGroup) return nullptr;
  json resources = json::array();
  for (const config::KindInfo& k : config::AllKinds()) {
    if (k.group != group) continue;
    json r = {{"name", std::string(k.plural)},
              {"singularName", std::string(k.singular)},
              {"namespaced", k.namespaced},
              {"kind", std::string(k.name)},
              {"verbs", VerbsOf(k)}};
    if (!k.short_names.empty()) r["shortNames"] = Strings(k.short_names);
    if (!k.categories.empty()) r["categories"] = Strings(k.categories);
    resources.push_back(std::move(r));
  }
  return {{"kind", "APIResourceList"},
          {"apiVersion", "v1"},
          {"groupVersion", group.empty() ? version : group + "/" + version},
          {"resources", std::move(resources)}};
}

json AggregatedDiscovery(bool core, const std::string& version) {
  json items = json::array();
  std::string group = core ? "" : std::string(kIstioGroup);
  json versions = json::array();
  for (std::string_view v : config::GroupVersions(group)) {
    json resources = json::array();
    for (const config::KindInfo& k : config::AllKinds()) {
      if (k.group != group) continue;
      json r = {{"resource", std::string(k.plural)},
                {"responseKind",
                 {{"group", std::string(k.group)},
                  {"version", std::string(v)},
                  {"kind", std::string(k.name)}}},
                {"scope", k.namespaced ? "Namespaced" : "Cluster"},
                {"singularResource", std::string(k.singular)},
                {"verbs", VerbsOf(k)}};
      if (!k.short_names.empty()) r["shortNames"] = Strings(k.short_names);
      if (!k.categories.empty()) r["categories"] = Strings(k.categories);
      resources.push_back(std::move(r));
    }
    versions.push_back({{"version", std::string(v)},
                        {"resources", std::move(resources)},
                        {"freshness", "Current"}});
  }
  json meta = json::object();
  if (!core) meta["name"] = group;
  items.push_back({{"metadata", meta}, {"versions", std::move(versions)}});
  return {{"kind", "APIGroupDiscoveryList"},
          {"apiVersion", "apidiscovery.k8s.io/" + version},
          {"metadata", json::object()},
          {"items", std::move(items)}};
}

}  // namespace canaryd::api

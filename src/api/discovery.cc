#include "api/discovery.h"

#include <algorithm>

namespace canaryd::api {
namespace {

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

// What the status subresource serves: no create, delete, list or watch of a status alone.
json StatusVerbs() {
  return json::array({"get", "patch", "update"});
}

}  // namespace

json VerbsOf(const config::KindInfo& kind) {
  if (kind.serving == config::Serving::kRefused) return json::array({"get", "list", "watch"});
  if (kind.serving == config::Serving::kReview) return json::array({"create"});
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
  auto groups = config::ApiGroups();
  if (group.empty() || std::find(groups.begin(), groups.end(), group) == groups.end()) {
    return nullptr;
  }
  json versions = GroupVersionsJson(group);
  return {{"kind", "APIGroup"},
          {"apiVersion", "v1"},
          {"name", group},
          {"versions", versions},
          {"preferredVersion", versions[0]}};
}

json GroupList() {
  json groups = json::array();
  for (std::string_view g : config::ApiGroups()) {
    json info = GroupInfo(std::string(g));
    info.erase("kind");
    info.erase("apiVersion");
    groups.push_back(std::move(info));
  }
  return {{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", std::move(groups)}};
}

json ResourceList(const std::string& group, const std::string& version) {
  auto versions = config::GroupVersions(group);
  if (std::find(versions.begin(), versions.end(), version) == versions.end()) return nullptr;
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
    if (config::HasStatusSubresource(k)) {
      resources.push_back({{"name", std::string(k.plural) + "/status"},
                           {"singularName", ""},
                           {"namespaced", k.namespaced},
                           {"kind", std::string(k.name)},
                           {"verbs", StatusVerbs()}});
    }
  }
  return {{"kind", "APIResourceList"},
          {"apiVersion", "v1"},
          {"groupVersion", group.empty() ? version : group + "/" + version},
          {"resources", std::move(resources)}};
}

namespace {

json AggregatedGroup(const std::string& group) {
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
      if (config::HasStatusSubresource(k)) {
        r["subresources"] = json::array({{{"subresource", "status"},
                                          {"responseKind", r["responseKind"]},
                                          {"verbs", StatusVerbs()}}});
      }
      resources.push_back(std::move(r));
    }
    versions.push_back({{"version", std::string(v)},
                        {"resources", std::move(resources)},
                        {"freshness", "Current"}});
  }
  json meta = json::object();
  if (!group.empty()) meta["name"] = group;
  return {{"metadata", meta}, {"versions", std::move(versions)}};
}

}  // namespace

json AggregatedDiscovery(bool core, const std::string& version) {
  json items = json::array();
  if (core) {
    items.push_back(AggregatedGroup(""));
  } else {
    for (std::string_view g : config::ApiGroups()) items.push_back(AggregatedGroup(std::string(g)));
  }
  return {{"kind", "APIGroupDiscoveryList"},
          {"apiVersion", "apidiscovery.k8s.io/" + version},
          {"metadata", json::object()},
          {"items", std::move(items)}};
}

}  // namespace canaryd::api

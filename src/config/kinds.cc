#include "config/kinds.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace canaryd::config {
namespace {

constexpr std::string_view kIstioVersions[] = {"v1", "v1beta1", "v1alpha3"};
constexpr std::string_view kCoreVersions[] = {"v1"};
constexpr std::string_view kIstioGroup = "networking.istio.io";

constexpr std::string_view kGwShort[] = {"gw"};
constexpr std::string_view kVsShort[] = {"vs"};
constexpr std::string_view kDrShort[] = {"dr"};
constexpr std::string_view kSeShort[] = {"se"};
constexpr std::string_view kWeShort[] = {"we"};
constexpr std::string_view kSvcShort[] = {"svc"};
constexpr std::string_view kNsShort[] = {"ns"};
constexpr std::string_view kIstioCategories[] = {"istio-io", "networking-istio-io"};
constexpr std::string_view kAllCategory[] = {"all"};

constexpr std::array<KindInfo, 7> kKinds = {{
    {Kind::kGateway, "Gateway", kIstioGroup, "gateways", "gateway", kGwShort, kIstioCategories,
     true},
    {Kind::kVirtualService, "VirtualService", kIstioGroup, "virtualservices", "virtualservice",
     kVsShort, kIstioCategories, true},
    {Kind::kDestinationRule, "DestinationRule", kIstioGroup, "destinationrules", "destinationrule",
     kDrShort, kIstioCategories, true},
    {Kind::kServiceEntry, "ServiceEntry", kIstioGroup, "serviceentries", "serviceentry", kSeShort,
     kIstioCategories, true},
    {Kind::kWorkloadEntry, "WorkloadEntry", kIstioGroup, "workloadentries", "workloadentry",
     kWeShort, kIstioCategories, true},
    {Kind::kService, "Service", "", "services", "service", kSvcShort, kAllCategory, true},
    {Kind::kNamespace, "Namespace", "", "namespaces", "namespace", kNsShort, {}, false},
}};

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::span<const std::string_view> GroupVersions(std::string_view group) {
  if (group == kIstioGroup) return kIstioVersions;
  if (group.empty()) return kCoreVersions;
  return {};
}

std::span<const KindInfo> AllKinds() {
  return kKinds;
}

const KindInfo& InfoOf(Kind kind) {
  return kKinds[static_cast<size_t>(kind)];
}

const KindInfo* FindKind(std::string_view api_version, std::string_view kind) {
  std::string_view group, version = api_version;
  if (auto slash = api_version.find('/'); slash != std::string_view::npos) {
    group = api_version.substr(0, slash);
    version = api_version.substr(slash + 1);
  }
  auto versions = GroupVersions(group);
  if (std::find(versions.begin(), versions.end(), version) == versions.end()) return nullptr;
  for (const KindInfo& k : kKinds) {
    if (k.group == group && k.name == kind) return &k;
  }
  return nullptr;
}

const KindInfo* FindKindByResourceName(std::string_view name) {
  std::string_view group;
  if (auto dot = name.find('.'); dot != std::string_view::npos) {
    group = name.substr(dot + 1);
    name = name.substr(0, dot);
  }
  for (const KindInfo& k : kKinds) {
    if (!group.empty() && group != k.group) continue;
    if (EqualsIgnoreCase(name, k.plural) || EqualsIgnoreCase(name, k.singular) ||
        EqualsIgnoreCase(name, k.name)) {
      return &k;
    }
    for (std::string_view s : k.short_names) {
      if (EqualsIgnoreCase(name, s)) return &k;
    }
  }
  return nullptr;
}

std::string_view KindDescription(Kind kind) {
  switch (kind) {
    case Kind::kGateway:
      return "Describes the listeners of an ingress gateway: the ports, protocols and hosts it "
             "accepts. canaryd applies a Gateway when its selector matches --gateway-labels and "
             "listens on its HTTP servers; VirtualServices bind to it to route what arrives.";
    case Kind::kVirtualService:
      return "Routing rules for a set of hosts: how requests that reach a gateway are matched "
             "and sent to destinations, split by weight for canary releases, or answered with a "
             "redirect or a fixed response.";
    case Kind::kDestinationRule:
      return "Policies for traffic to one service after routing: the subsets (versions) that "
             "routes can name, load balancing and connection settings.";
    case Kind::kServiceEntry:
      return "Adds a service to canaryd's registry by host name, with its ports and endpoints "
             "(in place, selected WorkloadEntries, or DNS), so that routes can send to it.";
    case Kind::kWorkloadEntry:
      return "A workload that is not a Pod: its address, ports and labels. canaryd runs no "
             "containers; Services and ServiceEntries select WorkloadEntries as their "
             "endpoints.";
    case Kind::kService:
      return "A named set of ports backed by the workloads its selector picks (WorkloadEntries "
             "in canaryd); routes' destination hosts name Services.";
    case Kind::kNamespace:
      return "A scope for names. canaryd creates none of its objects' namespaces: any name "
             "works, and Namespace objects are kept as written.";
  }
  return "";
}

std::string ExplainUnservedKind(std::string_view api_version, std::string_view kind) {
  std::string what = std::string(api_version) + " " + std::string(kind);
  const std::string served =
      "canaryd serves networking.istio.io Gateway, VirtualService, DestinationRule, "
      "ServiceEntry and WorkloadEntry (v1, v1beta1, v1alpha3), and v1 Service and Namespace";
  if (kind == "Deployment" || kind == "Pod" || kind == "ReplicaSet" || kind == "StatefulSet" ||
      kind == "DaemonSet") {
    return what +
           " is not served: canaryd runs no containers. It routes to workloads registered as "
           "networking.istio.io WorkloadEntry resources (address, ports, labels such as app and "
           "version) that a Service selector or a ServiceEntry workloadSelector selects; start "
           "the workload yourself and describe it with a WorkloadEntry";
  }
  for (const KindInfo& k : kKinds) {
    if (k.name == kind) {
      auto versions = GroupVersions(k.group);
      std::string list;
      for (std::string_view v : versions) {
        if (!list.empty()) list += ", ";
        list += k.group.empty() ? std::string(v) : std::string(k.group) + "/" + std::string(v);
      }
      return what + " is not served: use apiVersion " + list;
    }
  }
  if (kind == "Sidecar" || kind == "EnvoyFilter" || kind == "ProxyConfig" ||
      kind == "WorkloadGroup") {
    return what + " is not served: canaryd is an ingress gateway, not a mesh sidecar; " + served;
  }
  if (kind == "List") return what + " must have apiVersion v1 and items";
  return what + " is not served; " + served;
}

}  // namespace canaryd::config

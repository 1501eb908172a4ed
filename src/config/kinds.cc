#include "config/kinds.h"

#include <algorithm>
#include <cctype>
#include <iterator>

namespace canaryd::config {
namespace {

constexpr std::string_view kIstioVersions[] = {"v1", "v1beta1", "v1alpha3"};
constexpr std::string_view kV1[] = {"v1"};
constexpr std::string_view kIstioGroup = "networking.istio.io";
constexpr std::string_view kCanarydGroup = "canaryd.io";
constexpr std::string_view kV1Alpha1[] = {"v1alpha1"};
constexpr std::string_view kFlaggerGroup = "flagger.app";
constexpr std::string_view kV1Beta1[] = {"v1beta1"};
// Kubernetes' own groups first, as kube-apiserver lists them, then the CRD group.
constexpr std::string_view kGroups[] = {"apps",        "events.k8s.io",     "authorization.k8s.io",
                                        "batch",       "networking.k8s.io", kIstioGroup,
                                        kCanarydGroup, kFlaggerGroup};

constexpr std::string_view kGwShort[] = {"gw"};
constexpr std::string_view kVsShort[] = {"vs"};
constexpr std::string_view kDrShort[] = {"dr"};
constexpr std::string_view kSeShort[] = {"se"};
constexpr std::string_view kWeShort[] = {"we"};
constexpr std::string_view kSvcShort[] = {"svc"};
constexpr std::string_view kNsShort[] = {"ns"};
constexpr std::string_view kCmShort[] = {"cm"};
constexpr std::string_view kEvShort[] = {"ev"};
constexpr std::string_view kEpShort[] = {"ep"};
constexpr std::string_view kPoShort[] = {"po"};
constexpr std::string_view kRcShort[] = {"rc"};
constexpr std::string_view kPvcShort[] = {"pvc"};
constexpr std::string_view kPvShort[] = {"pv"};
constexpr std::string_view kDeployShort[] = {"deploy"};
constexpr std::string_view kRsShort[] = {"rs"};
constexpr std::string_view kStsShort[] = {"sts"};
constexpr std::string_view kDsShort[] = {"ds"};
constexpr std::string_view kCjShort[] = {"cj"};
constexpr std::string_view kIngShort[] = {"ing"};
constexpr std::string_view kCanaryCategories[] = {"canaryd-io"};
constexpr std::string_view kIstioCategories[] = {"istio-io", "networking-istio-io"};
constexpr std::string_view kAllCategory[] = {"all"};

struct Names {
  std::string_view name, group, plural, singular;
};

constexpr KindInfo Stored(Kind k, Names n, std::span<const std::string_view> short_names,
                          std::span<const std::string_view> categories, bool namespaced,
                          bool has_spec = true) {
  return {k,          n.name,     n.group,          n.plural, n.singular, short_names,
          categories, namespaced, Serving::kStored, k,        has_spec,   StatusSubresource::kNone};
}
// Refused kinds keep Kubernetes' naming, but not its "all" category: `kubectl get all` would
// list each of them only to say it holds nothing.
constexpr KindInfo Refused(Kind k, Names n, std::span<const std::string_view> short_names,
                           bool namespaced = true) {
  return {k,  n.name,     n.group,           n.plural, n.singular, short_names,
          {}, namespaced, Serving::kRefused, k,        true,       StatusSubresource::kNone};
}
constexpr KindInfo Review(Kind k, Names n) {
  return {k,  n.name, n.group,          n.plural, n.singular, {},
          {}, false,  Serving::kReview, k,        true,       StatusSubresource::kNone};
}

// A kind that another group serves in another shape, stored as `stored_as`.
constexpr KindInfo StoredAs(Kind stored_as, KindInfo k) {
  k.stored_as = stored_as;
  return k;
}
// The status subresource (StatusSubresource), wrapped around one of the above:
// WithCrdStatus(Stored(...)).
constexpr KindInfo WithCrdStatus(KindInfo k) {
  k.status_subresource = StatusSubresource::kCustomResource;
  return k;
}
constexpr KindInfo WithBuiltInStatus(KindInfo k) {
  k.status_subresource = StatusSubresource::kBuiltIn;
  return k;
}

// Istio's CRDs declare `subresources: status` for each of its kinds; Kubernetes serves
// services/status and namespaces/status.
constexpr KindInfo kKinds[] = {
    WithCrdStatus(Stored(Kind::kGateway, {"Gateway", kIstioGroup, "gateways", "gateway"}, kGwShort,
                         kIstioCategories, true)),
    WithCrdStatus(Stored(Kind::kVirtualService,
                         {"VirtualService", kIstioGroup, "virtualservices", "virtualservice"},
                         kVsShort, kIstioCategories, true)),
    WithCrdStatus(Stored(Kind::kDestinationRule,
                         {"DestinationRule", kIstioGroup, "destinationrules", "destinationrule"},
                         kDrShort, kIstioCategories, true)),
    WithCrdStatus(Stored(Kind::kServiceEntry,
                         {"ServiceEntry", kIstioGroup, "serviceentries", "serviceentry"}, kSeShort,
                         kIstioCategories, true)),
    WithCrdStatus(Stored(Kind::kWorkloadEntry,
                         {"WorkloadEntry", kIstioGroup, "workloadentries", "workloadentry"},
                         kWeShort, kIstioCategories, true)),
    WithBuiltInStatus(Stored(Kind::kService, {"Service", "", "services", "service"}, kSvcShort,
                             kAllCategory, true)),
    WithBuiltInStatus(Stored(Kind::kNamespace, {"Namespace", "", "namespaces", "namespace"},
                             kNsShort, {}, false)),
    Stored(Kind::kConfigMap, {"ConfigMap", "", "configmaps", "configmap"}, kCmShort, {}, true,
           false),
    Stored(Kind::kSecret, {"Secret", "", "secrets", "secret"}, {}, {}, true, false),
    Stored(Kind::kEvent, {"Event", "", "events", "event"}, kEvShort, {}, true, false),
    StoredAs(Kind::kEvent, Stored(Kind::kEventsEvent, {"Event", "events.k8s.io", "events", "event"},
                                  kEvShort, {}, true, false)),
    WithCrdStatus(Stored(Kind::kCanary, {"Canary", kCanarydGroup, "canaries", "canary"}, {},
                         kCanaryCategories, true)),
    StoredAs(Kind::kCanary,
             WithCrdStatus(Stored(Kind::kFlaggerCanary,
                                  {"Canary", kFlaggerGroup, "canaries", "canary"}, {}, {}, true))),
    Stored(Kind::kEndpoints, {"Endpoints", "", "endpoints", "endpoints"}, kEpShort, {}, true,
           false),
    WithBuiltInStatus(Stored(Kind::kPod, {"Pod", "", "pods", "pod"}, kPoShort, kAllCategory, true)),
    Refused(Kind::kReplicationController,
            {"ReplicationController", "", "replicationcontrollers", "replicationcontroller"},
            kRcShort),
    Refused(Kind::kPersistentVolumeClaim,
            {"PersistentVolumeClaim", "", "persistentvolumeclaims", "persistentvolumeclaim"},
            kPvcShort),
    Refused(Kind::kPersistentVolume,
            {"PersistentVolume", "", "persistentvolumes", "persistentvolume"}, kPvShort, false),
    WithBuiltInStatus(Stored(Kind::kDeployment, {"Deployment", "apps", "deployments", "deployment"},
                             kDeployShort, kAllCategory, true)),
    WithBuiltInStatus(Stored(Kind::kReplicaSet, {"ReplicaSet", "apps", "replicasets", "replicaset"},
                             kRsShort, kAllCategory, true)),
    Refused(Kind::kStatefulSet, {"StatefulSet", "apps", "statefulsets", "statefulset"}, kStsShort),
    Refused(Kind::kDaemonSet, {"DaemonSet", "apps", "daemonsets", "daemonset"}, kDsShort),
    Refused(Kind::kJob, {"Job", "batch", "jobs", "job"}, {}),
    Refused(Kind::kCronJob, {"CronJob", "batch", "cronjobs", "cronjob"}, kCjShort),
    Refused(Kind::kIngress, {"Ingress", "networking.k8s.io", "ingresses", "ingress"}, kIngShort),
    Review(Kind::kSelfSubjectAccessReview, {"SelfSubjectAccessReview", "authorization.k8s.io",
                                            "selfsubjectaccessreviews", "selfsubjectaccessreview"}),
    Review(Kind::kSelfSubjectRulesReview, {"SelfSubjectRulesReview", "authorization.k8s.io",
                                           "selfsubjectrulesreviews", "selfsubjectrulesreview"}),
};

constexpr bool IndexedByKind() {
  for (size_t i = 0; i < std::size(kKinds); ++i) {
    if (static_cast<size_t>(kKinds[i].kind) != i) return false;
  }
  return true;
}
static_assert(IndexedByKind(), "kKinds must be in the order of enum Kind");

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::span<const std::string_view> GroupVersions(std::string_view group) {
  if (group == kIstioGroup) return kIstioVersions;
  if (group == kCanarydGroup) return kV1Alpha1;
  if (group == kFlaggerGroup) return kV1Beta1;
  if (group.empty()) return kV1;
  for (std::string_view g : kGroups) {
    if (g == group) return kV1;
  }
  return {};
}

std::span<const std::string_view> ApiGroups() {
  return kGroups;
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
      return "A workload that is not a Pod (one canaryd does not start): its address, ports and "
             "labels. Services and ServiceEntries select WorkloadEntries as their endpoints, as "
             "Services select Pods.";
    case Kind::kService:
      return "A named set of ports backed by the workloads its selector picks (ready Pods and "
             "WorkloadEntries); routes' destination hosts name Services.";
    case Kind::kNamespace:
      return "A scope for names. Objects are written into a namespace that exists; deleting one "
             "marks it Terminating, removes what it holds, then removes it.";
    case Kind::kConfigMap:
      return "Configuration data as string (data) and base64 (binaryData) values by key, kept as "
             "Kubernetes keeps them; canaryd itself reads none.";
    case Kind::kSecret:
      return "Sensitive data as base64 values by key (stringData is merged into data on write), "
             "with a type; kept as Kubernetes keeps them.";
    case Kind::kEvent:
    case Kind::kEventsEvent:
      return "A report of something that happened to an object (reason, message, count), as "
             "kubectl get events and kubectl describe show them.";
    case Kind::kCanary:
      return "A progressive release: the controller shifts one route of a VirtualService from a "
             "stable destination to a canary step by step, checks the canary against its "
             "thresholds and against the stable every interval and with a continuous "
             "sequential test, and promotes it or rolls it back by itself, recording every "
             "decision as an Event. With spec.targetRef it releases a Deployment as Flagger "
             "does.";
    case Kind::kFlaggerCanary:
      return "Flagger's Canary, served by canaryd's rollout controller: the same objects as "
             "canaryd.io/v1alpha1 Canary, for a Canary with spec.targetRef (a Deployment). "
             "Flagger's fields that canaryd serves are accepted; the others are refused with "
             "the reason.";
    case Kind::kDeployment:
      return "Runs replicas of a Pod template and replaces them by a rolling update when the "
             "template changes. canaryd runs the Pods' containers as local processes, commands "
             "taken from its image catalog.";
    case Kind::kReplicaSet:
      return "Keeps a number of Pods of one template running; a Deployment makes one per "
             "template revision.";
    case Kind::kPod:
      return "Containers run together: canaryd starts each as a supervised local process "
             "(command from the image catalog, its own loopback address, a free port per "
             "containerPort), probes it, restarts it with back-off and logs its output.";
    case Kind::kEndpoints:
      return "The addresses behind a Service: written by canaryd from the ready Pods and "
             "WorkloadEntries a Service's selector matches; for a Service without a selector, "
             "written by a person and routed to.";
    case Kind::kSelfSubjectAccessReview:
    case Kind::kSelfSubjectRulesReview:
      return "A question about what the caller may do (kubectl auth can-i), answered with the "
             "caller's real permissions and never stored.";
    case Kind::kReplicationController:
    case Kind::kPersistentVolumeClaim:
    case Kind::kPersistentVolume:
    case Kind::kStatefulSet:
    case Kind::kDaemonSet:
    case Kind::kJob:
    case Kind::kCronJob:
    case Kind::kIngress:
      return "Listed so that kubectl reaches canaryd, which refuses every write of this kind "
             "with its reason and what to write instead.";
  }
  return "";
}

std::string UnservedReason(const KindInfo& kind) {
  switch (kind.kind) {
    case Kind::kIngress:
      return "canaryd routes by Istio's resources: write a networking.istio.io Gateway (port, "
             "hosts) and a VirtualService bound to it";
    case Kind::kPersistentVolumeClaim:
    case Kind::kPersistentVolume:
      return "canaryd runs no containers, so it has no volumes to offer";
    default:
      return "canaryd runs Deployments (apps/v1) and Pods as local processes, and routes to "
             "workloads it does not start through networking.istio.io WorkloadEntry resources; "
             "write a Deployment, or start the workload yourself and describe it with a "
             "WorkloadEntry";
  }
}

std::string ExplainUnservedKind(std::string_view api_version, std::string_view kind) {
  std::string what = std::string(api_version) + " " + std::string(kind);
  const std::string served =
      "canaryd serves networking.istio.io Gateway, VirtualService, DestinationRule, "
      "ServiceEntry and WorkloadEntry (v1, v1beta1, v1alpha3), v1 Service, Namespace, "
      "ConfigMap, Secret, Event, Pod and Endpoints, apps/v1 Deployment and ReplicaSet, and "
      "canaryd.io/v1alpha1 Canary (and flagger.app/v1beta1 Canary)";
  if (const KindInfo* k = FindKind(api_version, kind)) {
    if (k->serving == Serving::kRefused) return what + " is not served: " + UnservedReason(*k);
    if (k->serving == Serving::kReview) {
      return what +
             " is a request the API server answers (kubectl auth can-i), not a resource "
             "to apply";
    }
  }
  for (const KindInfo& k : kKinds) {
    if (k.name != kind) continue;
    if (k.serving == Serving::kRefused) return what + " is not served: " + UnservedReason(k);
    auto versions = GroupVersions(k.group);
    std::string list;
    for (std::string_view v : versions) {
      if (!list.empty()) list += ", ";
      list += k.group.empty() ? std::string(v) : std::string(k.group) + "/" + std::string(v);
    }
    return what + " is not served: use apiVersion " + list;
  }
  if (kind == "Sidecar" || kind == "EnvoyFilter" || kind == "ProxyConfig" ||
      kind == "WorkloadGroup") {
    return what + " is not served: canaryd is an ingress gateway, not a mesh sidecar; " + served;
  }
  if (kind == "List") return what + " must have apiVersion v1 and items";
  return what + " is not served; " + served;
}

}  // namespace canaryd::config

// The kinds canaryd's API knows and their Kubernetes naming (group, versions, plural, short
// names), one table shared by the decoder, the API's discovery documents and the command-line
// tools, with how each is served: stored (the full object API), refused (listed in discovery so
// that kubectl reaches the server, which explains why canaryd does not serve it and what to use
// instead), or a review (create-only, answered and never stored).
// Immutable static data: any thread.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace canaryd::config {

// The index of a kind in AllKinds().
enum class Kind {
  kGateway,
  kVirtualService,
  kDestinationRule,
  kServiceEntry,
  kWorkloadEntry,
  kService,
  kNamespace,
  kConfigMap,
  kSecret,
  kEvent,        // core/v1
  kEventsEvent,  // events.k8s.io/v1: the same objects as core/v1 Event, in another shape
  kCanary,       // canaryd.io/v1alpha1: a progressive release (the rollout controller's)
  // flagger.app/v1beta1 Canary: Flagger's shape of the same objects (a Canary with targetRef),
  // stored as canaryd.io/v1alpha1 Canary.
  kFlaggerCanary,
  // Refused: Kubernetes kinds canaryd lists but does not serve (see ExplainUnservedKind).
  kEndpoints,
  kPod,
  kReplicationController,
  kPersistentVolumeClaim,
  kPersistentVolume,
  kDeployment,
  kReplicaSet,
  kStatefulSet,
  kDaemonSet,
  kJob,
  kCronJob,
  kIngress,
  // Reviews.
  kSelfSubjectAccessReview,
  kSelfSubjectRulesReview,
};

enum class Serving {
  // Decoded, validated, stored; get, list, watch and every write.
  kStored,
  // In discovery, with reads answered from the store (which never holds one: every write is
  // refused with ExplainUnservedKind). A later issue may make such a kind kStored.
  kRefused,
  // Create-only: the server answers the request; nothing is stored.
  kReview,
};

// Whether and how a kind serves Kubernetes' status subresource (<plural>/<name>/status): the
// way a controller reports what it observed without touching what a person declared. Where a
// kind has it, writes to the object itself keep the stored status (and a create drops the one
// it is given), and writes to /status change the status alone.
enum class StatusSubresource {
  // None: a status, for a kind that has one, is written with the rest of the object.
  kNone,
  // As kube-apiserver serves a CustomResourceDefinition that declares `subresources: status`
  // (Istio's kinds): a status write changes status and nothing else; metadata is kept from the
  // stored object, but for managedFields.
  kCustomResource,
  // As kube-apiserver serves its built-in kinds (Service, Namespace): a status write keeps the
  // spec, but may change the metadata a user sets (labels, annotations, finalizers, owners).
  kBuiltIn,
};

struct KindInfo {
  Kind kind;
  std::string_view name;      // "VirtualService"
  std::string_view group;     // "networking.istio.io"; "" for core
  std::string_view plural;    // "virtualservices"
  std::string_view singular;  // "virtualservice"
  std::span<const std::string_view> short_names;
  std::span<const std::string_view> categories;
  bool namespaced;
  Serving serving;
  // The kind whose objects the store holds for this one: itself, except for a kind that another
  // group serves in another shape (events.k8s.io/v1 Event is stored as core/v1 Event).
  Kind stored_as;
  // Whether the kind's own fields are under `spec`; false for kinds whose fields sit beside
  // metadata (ConfigMap data, Secret type, Event reason).
  bool has_spec;
  StatusSubresource status_subresource = StatusSubresource::kNone;
};

constexpr bool HasStatusSubresource(const KindInfo& kind) {
  return kind.status_subresource != StatusSubresource::kNone;
}

// The served API versions of a group, newest (preferred) first.
std::span<const std::string_view> GroupVersions(std::string_view group);
// The named API groups (not core), in the order discovery lists them.
std::span<const std::string_view> ApiGroups();

std::span<const KindInfo> AllKinds();
const KindInfo& InfoOf(Kind kind);
// Looks a kind up by apiVersion ("networking.istio.io/v1beta1", "v1") and kind name.
const KindInfo* FindKind(std::string_view api_version, std::string_view kind);
// Looks a kind up the way kubectl resolves a resource argument: plural, singular, short name or
// kind name, case-insensitively, optionally qualified with ".group".
const KindInfo* FindKindByResourceName(std::string_view name);

// What a kind is for and how canaryd serves it, for `kubectl explain`; "" for a kind without one
// (a unit test requires one for every kind).
std::string_view KindDescription(Kind kind);

// Why canaryd does not serve a refused kind and what to write instead ("canaryd runs no
// containers. ..."), for messages that name the kind themselves.
std::string UnservedReason(const KindInfo& kind);
// Explains why a kind canaryd does not serve (refused, or unknown) is refused and what to write
// instead: "apps/v1 Deployment is not served: canaryd runs no containers. ...".
std::string ExplainUnservedKind(std::string_view api_version, std::string_view kind);

}  // namespace canaryd::config

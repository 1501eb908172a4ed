// Resource: one decoded object of a served kind (typed metadata and spec, status kept as
// written), with where it came from and the position of each field. DecodeResource turns a
// document's Node into one, strictly. Plain data: share read-only once built.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "config/canary_types.h"
#include "config/core_types.h"
#include "config/data_types.h"
#include "config/decoder.h"
#include "config/diagnostic.h"
#include "config/event_types.h"
#include "config/istio_types.h"
#include "config/kinds.h"
#include "config/node.h"
#include "config/workload_types.h"

namespace canaryd::config {

// A kind's own fields: its spec, or for kinds without one (KindInfo::has_spec false) the fields
// beside metadata.
using Spec =
    std::variant<GatewaySpec, VirtualServiceSpec, DestinationRuleSpec, ServiceEntrySpec,
                 WorkloadEntrySpec, ServiceSpec, NamespaceSpec, ConfigMapBody, SecretBody,
                 EventBody, CanarySpec, DeploymentSpec, ReplicaSetSpec, PodSpec, EndpointsBody>;

struct Resource {
  Kind kind = Kind::kVirtualService;
  std::string api_version;
  ObjectMeta metadata;
  Spec spec;
  std::optional<AnyValue> status;

  // Where it came from, for messages: file name (may be empty) and document index in the file.
  std::string file;
  int document = 0;
  std::shared_ptr<const SourceMap> positions;
  // The fields it sets that canaryd does not serve yet (warnings, also in the decoding's
  // diagnostics): the route compiler lists them in /stats/config.
  std::vector<Diagnostic> not_served;

  const KindInfo& info() const { return InfoOf(kind); }
  const std::string& name() const { return metadata.name; }
  const std::string& ns() const { return metadata.namespace_; }
  // "virtualservice.networking.istio.io/web" / "service/web", as kubectl prints it.
  std::string DisplayName() const;
  // Position of a field path, or of its nearest recorded ancestor; {} when unknown.
  Mark PositionOf(const std::string& path) const;

  template <class T>
  const T& As() const {
    return std::get<T>(spec);
  }
};

// Decodes one document. Returns nullopt when the document cannot be a Resource at all (wrong
// kind, a kind canaryd does not store, not an object); otherwise the resource, with any field
// errors added to diags.
// `default_namespace` fills metadata.namespace when the document has none (namespaced kinds).
std::optional<Resource> DecodeResource(const Node& root, Diagnostics& diags,
                                       const std::string& default_namespace = "default");

}  // namespace canaryd::config

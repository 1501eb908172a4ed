#include "config/resource.h"

namespace canaryd::config {

std::string Resource::DisplayName() const {
  const KindInfo& k = info();
  std::string out(k.singular);
  if (!k.group.empty()) {
    out += '.';
    out += k.group;
  }
  out += '/';
  out += metadata.name;
  return out;
}

Mark Resource::PositionOf(const std::string& path) const {
  if (!positions) return {};
  std::string p = path;
  while (true) {
    if (std::optional<Mark> m = positions->Find(p)) return *m;
    if (p.empty()) return {};
    size_t cut = p.find_last_of(".[");
    p.resize(cut == std::string::npos ? 0 : cut);  // "" holds the document's own position
  }
}

namespace {

template <class S>
void DecodeSpec(Decoder& d, const Node& root, Resource& r, bool required) {
  S spec;
  const Node* n = root.Find("spec");
  auto scope = d.path().Field("spec");
  if (n == nullptr || n->is_null()) {
    if (required) d.Error(root.mark(), "required field is missing");
  } else {
    d.DecodeMessage(*n, spec);
  }
  r.spec = std::move(spec);
}

// A kind without spec: its fields are the document's own, beside apiVersion, kind and
// metadata (every other key is reported by the body's decoder, with "did you mean").
template <class S>
void DecodeBody(Decoder& d, const Node& root, Resource& r) {
  Node body = Node::Map(root.mark());
  for (const Node::Entry& e : root.entries()) {
    if (e.key == "apiVersion" || e.key == "kind" || e.key == "metadata") continue;
    body.entries().push_back(e);
  }
  S fields;
  d.DecodeMessage(body, fields);
  r.spec = std::move(fields);
}

}  // namespace

std::optional<Resource> DecodeResource(const Node& root, Diagnostics& diags,
                                       const std::string& default_namespace) {
  if (!root.is_map()) {
    diags.Error(root.mark(), "",
                std::string("a resource must be an object, got ") + root.type_name());
    return std::nullopt;
  }
  const Node* api_version = root.Find("apiVersion");
  const Node* kind = root.Find("kind");
  if (api_version == nullptr && kind == nullptr) {
    diags.Error(root.mark(), "",
                "not a resource: a document needs apiVersion, kind, metadata and spec (this looks "
                "like a fragment of a spec, which cannot be applied on its own)");
    return std::nullopt;
  }
  if (api_version == nullptr || !api_version->is_string() || api_version->as_string().empty()) {
    diags.Error(api_version ? api_version->mark() : root.mark(), "apiVersion",
                "required field is missing or not a string");
    return std::nullopt;
  }
  if (kind == nullptr || !kind->is_string() || kind->as_string().empty()) {
    diags.Error(kind ? kind->mark() : root.mark(), "kind",
                "required field is missing or not a string");
    return std::nullopt;
  }
  const KindInfo* info = FindKind(api_version->as_string(), kind->as_string());
  if (info != nullptr && info->stored_as != info->kind) info = nullptr;  // the API converts it
  if (info == nullptr || info->serving != Serving::kStored) {
    diags.Error(kind->mark(), "kind",
                ExplainUnservedKind(api_version->as_string(), kind->as_string()));
    return std::nullopt;
  }

  Resource r;
  r.kind = info->kind;
  r.api_version = api_version->as_string();
  auto positions = std::make_shared<SourceMap>();
  Decoder d(diags, positions.get(), "", &r.not_served);
  positions->Record("", root.mark());
  positions->Record("apiVersion", api_version->mark());
  positions->Record("kind", kind->mark());

  for (const Node::Entry& e : root.entries()) {
    if (!info->has_spec) break;  // the body's own decoder reports unknown fields
    if (e.key == "apiVersion" || e.key == "kind" || e.key == "metadata" || e.key == "spec" ||
        e.key == "status") {
      continue;
    }
    diags.Error(e.key_mark, e.key,
                "unknown field \"" + e.key +
                    "\" (a resource has apiVersion, kind, metadata, "
                    "spec and status)");
  }

  {
    auto scope = d.path().Field("metadata");
    const Node* meta = root.Find("metadata");
    if (meta == nullptr || meta->is_null()) {
      d.Error(root.mark(), "required field is missing");
    } else {
      d.DecodeMessage(*meta, r.metadata);
    }
  }
  if (info->namespaced && r.metadata.namespace_.empty()) r.metadata.namespace_ = default_namespace;

  switch (info->kind) {
    case Kind::kGateway:
      DecodeSpec<GatewaySpec>(d, root, r, true);
      break;
    case Kind::kVirtualService:
      DecodeSpec<VirtualServiceSpec>(d, root, r, true);
      break;
    case Kind::kDestinationRule:
      DecodeSpec<DestinationRuleSpec>(d, root, r, true);
      break;
    case Kind::kServiceEntry:
      DecodeSpec<ServiceEntrySpec>(d, root, r, true);
      break;
    case Kind::kWorkloadEntry:
      DecodeSpec<WorkloadEntrySpec>(d, root, r, true);
      break;
    case Kind::kService:
      DecodeSpec<ServiceSpec>(d, root, r, false);
      break;
    case Kind::kNamespace:
      DecodeSpec<NamespaceSpec>(d, root, r, false);
      break;
    case Kind::kConfigMap:
      DecodeBody<ConfigMapBody>(d, root, r);
      break;
    case Kind::kSecret:
      DecodeBody<SecretBody>(d, root, r);
      break;
    case Kind::kEvent:
      DecodeBody<EventBody>(d, root, r);
      break;
    case Kind::kCanary:
      DecodeSpec<CanarySpec>(d, root, r, true);
      break;
    case Kind::kDeployment:
      DecodeSpec<DeploymentSpec>(d, root, r, true);
      break;
    case Kind::kReplicaSet:
      DecodeSpec<ReplicaSetSpec>(d, root, r, true);
      break;
    case Kind::kPod:
      DecodeSpec<PodSpec>(d, root, r, true);
      break;
    case Kind::kEndpoints:
      DecodeBody<EndpointsBody>(d, root, r);
      break;
    case Kind::kEventsEvent:
    case Kind::kFlaggerCanary:
    case Kind::kReplicationController:
    case Kind::kPersistentVolumeClaim:
    case Kind::kPersistentVolume:
    case Kind::kStatefulSet:
    case Kind::kDaemonSet:
    case Kind::kJob:
    case Kind::kCronJob:
    case Kind::kIngress:
    case Kind::kSelfSubjectAccessReview:
    case Kind::kSelfSubjectRulesReview:
      return std::nullopt;  // refused above
  }
  if (!info->has_spec) {
    r.positions = std::move(positions);
    return r;
  }
  if (const Node* status = root.Find("status"); status != nullptr && !status->is_null()) {
    r.status = *status;
  }
  r.positions = std::move(positions);
  return r;
}

}  // namespace canaryd::config

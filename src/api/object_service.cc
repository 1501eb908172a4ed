#include "api/object_service.h"

#include <spdlog/spdlog.h>

#include <cctype>

#include "api/event_conversion.h"
#include "api/flagger_canary.h"
#include "api/json_node.h"
#include "api/kind_rules.h"
#include "api/list_types.h"
#include "api/managed_fields.h"
#include "api/object_util.h"
#include "api/object_validation.h"

namespace canaryd::api {
namespace {

constexpr int kMaxAttempts = 10;
constexpr const char* kLastApplied = "kubectl.kubernetes.io/last-applied-configuration";

ApiError FromStoreStatus(const Status& s, const config::KindInfo& kind, const std::string& name) {
  switch (s.code()) {
    case StatusCode::kNotFound:
      return NotFoundError(kind, name);
    case StatusCode::kAlreadyExists:
      return AlreadyExistsError(kind, name);
    case StatusCode::kConflict:
      return ConflictError(kind, name);
    case StatusCode::kGone:
      return GoneError(s.message());
    case StatusCode::kUnavailable:
    case StatusCode::kResourceExhausted:
      return UnavailableError(s.message());
    case StatusCode::kInvalidArgument:
      return BadRequestError(s.message());
    default:
      return InternalError("store: " + s.ToString());
  }
}

// For a write the store refused: the answer, and a log line when the reason is the store's own
// (a full disk, an I/O error, a lock held too long) rather than the request's (exists, not
// found, stale): the client sees only 503 or 500, the operator needs the object and the error.
ApiError FromStoreWrite(const Status& s, const char* op, const config::KindInfo& kind,
                        const std::string& ns, const std::string& name) {
  switch (s.code()) {
    case StatusCode::kNotFound:
    case StatusCode::kAlreadyExists:
    case StatusCode::kConflict:
      break;
    default:
      spdlog::error("store: cannot {} {} {}{}: {}", op, kind.name, ns.empty() ? "" : ns + "/", name,
                    s.ToString());
  }
  return FromStoreStatus(s, kind, name);
}

const json& Meta(const json& obj) {
  static const json kEmpty = json::object();
  if (!obj.is_object()) return kEmpty;
  auto m = obj.find("metadata");
  return m != obj.end() && m->is_object() ? *m : kEmpty;
}

json WithoutVolatile(json obj) {
  if (!obj.is_object()) return obj;
  auto meta = obj.find("metadata");
  if (meta == obj.end() || !meta->is_object()) return obj;
  meta->erase("resourceVersion");
  if (auto mf = meta->find("managedFields"); mf != meta->end() && mf->is_array()) {
    for (json& e : *mf) {
      if (e.is_object()) e.erase("time");
    }
  }
  return obj;
}

// managedFields' name of what a write addresses.
std::string SubresourceName(bool status) {
  return status ? "status" : "";
}

bool Equivalent(const json& a, const json& b) {
  return WithoutVolatile(a) == WithoutVolatile(b);
}

bool Converted(const config::KindInfo& kind) {
  return kind.stored_as != kind.kind;
}

// The stored shape of an object of `kind` (as the API shows it); for a converted kind,
// *refused says which field the stored shape cannot hold, and why.
std::optional<json> ToStorage(const config::KindInfo& kind, json obj, ApiCause* refused) {
  if (!Converted(kind)) return obj;
  if (kind.kind == config::Kind::kFlaggerCanary) return CanaryFromFlagger(obj, refused);
  std::string unknown;
  std::optional<json> core = CoreFromEventsV1(obj, &unknown);
  if (core) {
    (*core)["apiVersion"] = "v1";
    (*core)["kind"] = std::string(config::InfoOf(kind.stored_as).name);
  } else {
    *refused = {"FieldValueNotSupported", "unknown field \"" + unknown + "\"", unknown};
  }
  return core;
}

// The shape `kind` shows of a stored object.
json FromStorage(const config::KindInfo& kind, json stored) {
  if (kind.kind == config::Kind::kEventsEvent) return EventsV1FromCore(stored);
  return stored;  // the same fields under another apiVersion
}

// The object as the store keeps it: in its stored shape, without resourceVersion.
std::string Serialize(const config::KindInfo& kind, json obj) {
  if (auto meta = obj.find("metadata"); meta != obj.end() && meta->is_object()) {
    meta->erase("resourceVersion");
  }
  ApiCause refused;
  if (std::optional<json> stored = ToStorage(kind, obj, &refused)) obj = *stored;
  return obj.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool HasFinalizers(const json& obj) {
  const json& f = Meta(obj).value("finalizers", json());
  return f.is_array() && !f.empty();
}

bool BeingDeleted(const json& obj) {
  const json& t = Meta(obj).value("deletionTimestamp", json());
  return t.is_string() && !t.get<std::string>().empty();
}

void SetManagedFields(json& obj, const std::vector<ManagedEntry>& entries) {
  json mf = ManagedFieldsJson(entries);
  if (mf.empty()) {
    obj["metadata"].erase("managedFields");
  } else {
    obj["metadata"]["managedFields"] = std::move(mf);
  }
}

// A write to the status subresource takes the status from `obj` (and managedFields, which the
// caller tracks) and everything else from `existing`, as kube-apiserver's status strategies
// do: for a custom resource, the metadata too; a built-in kind's status write may change the
// metadata a user sets, which `obj` already holds with the server-managed fields restored.
void KeepAllButStatus(const config::KindInfo& kind, json& obj, const json& existing) {
  json out = existing;
  for (const char* f : {"apiVersion", "kind"}) out[f] = obj[f];
  if (auto s = obj.find("status"); s != obj.end() && !s->is_null()) {
    out["status"] = *s;
  } else {
    out.erase("status");
  }
  if (kind.status_subresource == config::StatusSubresource::kBuiltIn) {
    out["metadata"] = obj["metadata"];
  } else {
    json& meta = out["metadata"];
    if (!meta.is_object()) meta = json::object();
    if (auto mf = obj["metadata"].find("managedFields"); mf != obj["metadata"].end()) {
      meta["managedFields"] = *mf;
    } else {
      meta.erase("managedFields");
    }
  }
  out["metadata"].erase("resourceVersion");
  obj = std::move(out);
}

// Of an applied configuration, what a write to the status subresource may change: the status,
// and for a built-in kind the metadata.
json StatusPart(const config::KindInfo& kind, const json& applied) {
  if (!applied.is_object()) return applied;
  json out = json::object();
  for (const char* f : {"apiVersion", "kind", "status"}) {
    if (auto it = applied.find(f); it != applied.end()) out[f] = *it;
  }
  if (auto meta = applied.find("metadata"); meta != applied.end() && meta->is_object()) {
    if (kind.status_subresource == config::StatusSubresource::kBuiltIn) {
      out["metadata"] = *meta;
    } else {
      json& m = out["metadata"];
      m = json::object();
      for (const char* f : {"name", "namespace", "resourceVersion", "managedFields"}) {
        if (auto it = meta->find(f); it != meta->end()) m[f] = *it;
      }
    }
  }
  return out;
}

const json& SpecOf(const json& obj) {
  static const json kNull;
  if (!obj.is_object()) return kNull;
  auto s = obj.find("spec");
  return s == obj.end() ? kNull : *s;
}

}  // namespace

std::string Target::ApiVersion() const {
  if (kind->group.empty()) return version;
  return std::string(kind->group) + "/" + version;
}

store::ObjectKey Target::Key() const {
  return {StoreKind(*kind), kind->namespaced ? ns : "", name};
}

std::string StoreKind(const config::KindInfo& kind) {
  return std::string(config::InfoOf(kind.stored_as).name);
}

ObjectService::ObjectService(store::Store& store, const Clock& clock)
    : store_(store), clock_(clock), references_(std::make_unique<StoredReferences>(store)) {}

std::string ObjectService::Now() const {
  return FormatTimestamp(clock_.WallNanos());
}

json ObjectService::Present(const store::StoredObject& stored, const config::KindInfo& kind,
                            const std::string& version) const {
  json obj = json::parse(stored.value, nullptr, false);
  if (obj.is_discarded() || !obj.is_object()) obj = json::object();
  if (Converted(kind)) obj = FromStorage(kind, std::move(obj));
  obj["apiVersion"] = kind.group.empty() ? version : std::string(kind.group) + "/" + version;
  obj["kind"] = std::string(kind.name);
  json& meta = obj["metadata"];
  if (!meta.is_object()) meta = json::object();
  meta["resourceVersion"] = std::to_string(stored.mod_revision);
  return obj;
}

Status ObjectService::EnsureSystemNamespaces() {
  const config::KindInfo& ns_kind = config::InfoOf(config::Kind::kNamespace);
  for (const char* name : {"default", "istio-system"}) {
    Target t{&ns_kind, "v1", "", name};
    Result<store::StoredObject> existing = store_.Get(t.Key());
    if (existing.ok()) continue;
    if (existing.status().code() != StatusCode::kNotFound) return existing.status();
    WriteOptions options;
    options.field_manager = "canaryd";
    json obj = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}};
    ApiResult<WriteOutcome> r = DoCreate(Target{&ns_kind, "v1", "", ""}, obj, options, false);
    if (!r.ok() && r.error().code != 409) {
      return Internal("creating namespace " + std::string(name) + ": " + r.error().message);
    }
  }
  return Status::Ok();
}

const SystemObject* ObjectService::SystemObjectAt(const store::ObjectKey& key) const {
  return system_ == nullptr ? nullptr : system_->Find(key);
}

std::vector<const SystemObject*> ObjectService::SystemObjectsOf(const Target& t) const {
  if (system_ == nullptr) return {};
  return system_->List(StoreKind(*t.kind), t.kind->namespaced ? t.ns : "");
}

std::optional<ApiError> ObjectService::CheckNamespaceForCreate(const config::KindInfo& kind,
                                                               const std::string& ns,
                                                               const std::string& name) {
  Result<store::StoredObject> r = store_.Get({"Namespace", "", ns});
  if (!r.ok()) {
    if (r.status().code() == StatusCode::kNotFound) {
      return NotFoundError(config::InfoOf(config::Kind::kNamespace), ns);
    }
    return FromStoreStatus(r.status(), kind, "");
  }
  if (BeingDeleted(json::parse(r->value, nullptr, false))) {
    // Kubernetes' NamespaceLifecycle admission: nothing new while the namespace empties.
    ApiError e = ForbiddenError(
        kind, name,
        "unable to create new content in namespace " + ns + " because it is being terminated");
    e.causes.push_back(
        {"NamespaceTerminating", "namespace " + ns + " is being terminated", "metadata.namespace"});
    return e;
  }
  return std::nullopt;
}

std::optional<ApiError> ObjectService::CheckWritable(const Target& t,
                                                     const std::string& name) const {
  if (t.kind->serving == config::Serving::kRefused) return NotServedError(*t.kind, name);
  if (t.kind->serving == config::Serving::kReview) {
    return MethodNotAllowedError(QualifiedResource(*t.kind) + " are answered, not stored");
  }
  Target named = t;
  named.name = name;
  if (const SystemObject* o = SystemObjectAt(named.Key())) {
    return ForbiddenError(*t.kind, name, o->why_read_only);
  }
  return std::nullopt;
}

ApiResult<json> ObjectService::Get(const Target& t) {
  if (const SystemObject* o = SystemObjectAt(t.Key())) return o->object;
  Result<store::StoredObject> r = store_.Get(t.Key());
  if (!r.ok()) return FromStoreStatus(r.status(), *t.kind, t.name);
  return Present(*r, *t.kind, t.version);
}

namespace {

// Lists `t` from the store with the system objects merged in (they shadow stored objects of
// the same name), in the store's order: by namespace, then name. `object` turns a stored object
// into the JSON the caller wants.
template <class F>
std::vector<json> MergedItems(const std::vector<store::StoredObject>& stored,
                              const std::vector<const SystemObject*>& system,
                              const FieldSelector& fields, const LabelSelector& labels, F object) {
  std::vector<json> out;
  out.reserve(stored.size() + system.size());
  size_t next = 0;
  auto emit_system_before = [&](const store::ObjectKey* key) {
    while (next < system.size() && (key == nullptr || system[next]->key < *key)) {
      const SystemObject& o = *system[next++];
      if (!fields.Matches(o.key.name, o.key.namespace_) || !fields.MatchesObject(o.object)) {
        continue;
      }
      if (!labels.empty() && !labels.Matches(MetaMap(o.object, "labels"))) continue;
      out.push_back(o.object);
    }
  };
  for (const store::StoredObject& o : stored) {
    emit_system_before(&o.key);
    if (next < system.size() && system[next]->key == o.key) continue;  // shadowed
    if (!fields.Matches(o.key.name, o.key.namespace_)) continue;
    json obj = object(o);
    if (fields.NeedsObject() && !fields.MatchesObject(obj)) continue;
    if (!labels.empty() && !labels.Matches(MetaMap(obj, "labels"))) continue;
    out.push_back(std::move(obj));
  }
  emit_system_before(nullptr);
  return out;
}

}  // namespace

ApiResult<ListOutcome> ObjectService::List(const Target& t, const LabelSelector& labels,
                                           const FieldSelector& fields) {
  Result<store::ListResult> r = store_.List({StoreKind(*t.kind), t.kind->namespaced ? t.ns : ""});
  if (!r.ok()) return FromStoreStatus(r.status(), *t.kind, "");
  ListOutcome out;
  out.revision = r->revision;
  out.items =
      MergedItems(r->items, SystemObjectsOf(t), fields, labels,
                  [&](const store::StoredObject& o) { return Present(o, *t.kind, t.version); });
  return out;
}

namespace {

// Skips one JSON value starting at v[i] (whitespace first); returns the index after it, or npos.
size_t SkipValue(const std::string& v, size_t i) {
  const size_t n = v.size();
  while (i < n && std::isspace(static_cast<unsigned char>(v[i]))) ++i;
  if (i >= n) return std::string::npos;
  if (v[i] != '{' && v[i] != '[' && v[i] != '"') {  // a number, true, false or null
    size_t end = v.find_first_of(",}] \t\r\n", i);
    return end == std::string::npos ? n : end;
  }
  int depth = 0;
  bool in_string = false;
  for (; i < n; ++i) {
    char c = v[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
        if (depth == 0) return i + 1;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth == 0) return i + 1;
      if (depth < 0) return std::string::npos;
    }
  }
  return depth == 0 ? n : std::string::npos;
}

// Tells the parser to keep only what a Table row needs.
json ParseForTable(const std::string& text, config::Kind kind) {
  std::string top, second;
  json::parser_callback_t keep = [&top, &second, kind](int depth, json::parse_event_t event,
                                                       json& parsed) {
    if (event != json::parse_event_t::key) return true;
    const std::string& key = parsed.get_ref<const std::string&>();
    if (depth == 1) {
      top = key;
      return key != "status" || kind == config::Kind::kService ||
             kind == config::Kind::kNamespace || kind == config::Kind::kCanary ||
             kind == config::Kind::kDeployment || kind == config::Kind::kReplicaSet ||
             kind == config::Kind::kPod;
    }
    if (depth == 3) {
      // kubectl's last-applied copy of the whole object is most of a row's bytes; tables only
      // show the metadata.
      return !(top == "metadata" && second == "annotations" &&
               key == "kubectl.kubernetes.io/last-applied-configuration");
    }
    if (depth != 2) return true;
    second = key;
    if (top == "metadata") return key != "managedFields";
    if (top == "spec") {
      switch (kind) {
        case config::Kind::kVirtualService:
          return key == "hosts" || key == "gateways";
        case config::Kind::kDestinationRule:
          return key == "host";
        case config::Kind::kServiceEntry:
          return key == "hosts" || key == "location" || key == "resolution";
        case config::Kind::kWorkloadEntry:
          return key == "address";
        case config::Kind::kGateway:
          return false;
        default:
          return true;
      }
    }
    return true;
  };
  json j = json::parse(text, keep, /*allow_exceptions=*/false);
  return j.is_object() ? j : json::object();
}

}  // namespace

std::optional<std::string> ObjectService::PresentText(const store::StoredObject& stored,
                                                      const config::KindInfo& kind,
                                                      const std::string& version) {
  if (Converted(kind)) return std::nullopt;
  const std::string& v = stored.value;
  size_t i = 0;
  while (i < v.size() && std::isspace(static_cast<unsigned char>(v[i]))) ++i;
  if (i >= v.size() || v[i] != '{') return std::nullopt;
  ++i;
  std::string out;
  out.reserve(v.size() + 96);
  out += "{\"apiVersion\":\"";
  if (!kind.group.empty()) {
    out += kind.group;
    out += '/';
  }
  out += version;
  out += "\",\"kind\":\"";
  out += kind.name;
  out += '"';
  bool saw_metadata = false;
  while (true) {
    while (i < v.size() && std::isspace(static_cast<unsigned char>(v[i]))) ++i;
    if (i >= v.size()) return std::nullopt;
    if (v[i] == '}') break;
    if (v[i] == ',') {
      ++i;
      continue;
    }
    if (v[i] != '"') return std::nullopt;
    size_t key_end = SkipValue(v, i);
    if (key_end == std::string::npos) return std::nullopt;
    std::string_view key(v.data() + i + 1, key_end - i - 2);
    size_t colon = key_end;
    while (colon < v.size() && std::isspace(static_cast<unsigned char>(v[colon]))) ++colon;
    if (colon >= v.size() || v[colon] != ':') return std::nullopt;
    size_t value_start = colon + 1;
    size_t value_end = SkipValue(v, value_start);
    if (value_end == std::string::npos) return std::nullopt;
    if (key == "apiVersion" || key == "kind") {
      i = value_end;
      continue;
    }
    out += ',';
    if (key == "metadata") {
      size_t brace = v.find('{', value_start);
      if (brace == std::string::npos || brace >= value_end) return std::nullopt;
      out += "\"metadata\":{\"resourceVersion\":\"";
      out += std::to_string(stored.mod_revision);
      out += '"';
      std::string_view rest(v.data() + brace + 1, value_end - brace - 1);
      size_t first = rest.find_first_not_of(" \t\r\n");
      if (first != std::string_view::npos && rest[first] != '}') out += ',';
      out.append(rest);
      saw_metadata = true;
    } else {
      out.append(v, i, value_end - i);
    }
    i = value_end;
  }
  if (!saw_metadata) return std::nullopt;
  out += '}';
  return out;
}

ApiResult<std::string> ObjectService::ListText(const Target& t, const LabelSelector& labels,
                                               const FieldSelector& fields) {
  std::string head = "{\"apiVersion\":\"" + t.ApiVersion() + "\",\"kind\":\"" +
                     std::string(t.kind->name) + "List\",";
  // Splicing the stored texts needs them as shown; selectors on fields other than the name
  // and namespace, and converted kinds, need the parsed objects.
  if (!labels.empty() || fields.NeedsObject() || Converted(*t.kind)) {
    ApiResult<ListOutcome> list = List(t, labels, fields);
    if (!list.ok()) return list.error();
    json out = {{"apiVersion", t.ApiVersion()},
                {"kind", std::string(t.kind->name) + "List"},
                {"metadata", {{"resourceVersion", std::to_string(list->revision)}}},
                {"items", std::move(list->items)}};
    return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  Result<store::ListResult> r = store_.List({StoreKind(*t.kind), t.kind->namespaced ? t.ns : ""});
  if (!r.ok()) return FromStoreStatus(r.status(), *t.kind, "");
  size_t total = head.size() + 64;
  for (const store::StoredObject& o : r->items) total += o.value.size() + 96;
  std::string out;
  out.reserve(total);
  out += head;
  out += "\"metadata\":{\"resourceVersion\":\"" + std::to_string(r->revision) + "\"},\"items\":[";
  bool first = true;
  // System objects go in the store's order (namespace, name), in place of a stored namesake.
  const std::vector<const SystemObject*> system = SystemObjectsOf(t);
  size_t next = 0;
  auto system_before = [&](const store::ObjectKey* key) {
    for (; next < system.size() && (key == nullptr || system[next]->key < *key); ++next) {
      if (!fields.Matches(system[next]->key.name, system[next]->key.namespace_)) continue;
      if (!first) out += ',';
      first = false;
      out += system[next]->object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
  };
  for (const store::StoredObject& o : r->items) {
    system_before(&o.key);
    if (next < system.size() && system[next]->key == o.key) continue;  // shadowed
    if (!fields.Matches(o.key.name, o.key.namespace_)) continue;
    if (!first) out += ',';
    first = false;
    if (std::optional<std::string> text = PresentText(o, *t.kind, t.version)) {
      out += *text;
    } else {
      out += Present(o, *t.kind, t.version)
                 .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
  }
  system_before(nullptr);
  out += "]}";
  return out;
}

ApiResult<ListOutcome> ObjectService::ListForTable(const Target& t, const LabelSelector& labels,
                                                   const FieldSelector& fields) {
  Result<store::ListResult> r = store_.List({StoreKind(*t.kind), t.kind->namespaced ? t.ns : ""});
  if (!r.ok()) return FromStoreStatus(r.status(), *t.kind, "");
  ListOutcome out;
  out.revision = r->revision;
  const config::KindInfo& kind = *t.kind;
  out.items = MergedItems(
      r->items, SystemObjectsOf(t), fields, labels, [&kind](const store::StoredObject& o) {
        json obj = Converted(kind) ? FromStorage(kind, json::parse(o.value, nullptr, false))
                                   : ParseForTable(o.value, kind.kind);
        if (!obj.is_object()) obj = json::object();
        obj["metadata"]["resourceVersion"] = std::to_string(o.mod_revision);
        return obj;
      });
  return out;
}

ApiResult<json> ObjectService::Prepare(const Target& t, json obj, const json& existing, Op op,
                                       Part part, std::vector<std::string>* warnings) {
  const config::KindInfo& k = *t.kind;
  if (!obj.is_object()) return BadRequestError("the object must be a JSON object");
  const std::string api_version = t.ApiVersion();
  if (auto av = obj.find("apiVersion"); av != obj.end() && !av->is_null()) {
    const config::KindInfo* info =
        av->is_string() ? config::FindKind(av->get<std::string>(), k.name) : nullptr;
    if (info == nullptr || info->kind != k.kind) {
      return BadRequestError(
          "the API version in the data (" +
          (av->is_string() ? av->get<std::string>()
                           : av->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)) +
          ") does not match the expected API version (" + api_version + ")");
    }
  }
  obj["apiVersion"] = api_version;
  if (auto kd = obj.find("kind"); kd != obj.end() && !kd->is_null()) {
    if (!kd->is_string() || kd->get<std::string>() != k.name) {
      return BadRequestError(
          "the kind in the data (" +
          (kd->is_string() ? kd->get<std::string>()
                           : kd->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)) +
          ") does not match the expected kind (" + std::string(k.name) + ")");
    }
  }
  obj["kind"] = std::string(k.name);
  json& meta = obj["metadata"];
  if (meta.is_null()) meta = json::object();
  if (!meta.is_object()) {
    return InvalidError(k, t.name, {{"FieldValueInvalid", "expected object", "metadata"}});
  }
  std::string name = meta.contains("name") && meta["name"].is_string()
                         ? meta["name"].get<std::string>()
                         : std::string();
  if (op == Op::kCreate) {
    if (name.empty() && meta.contains("generateName") && meta["generateName"].is_string()) {
      name = meta["generateName"].get<std::string>() + RandomSuffix(5);
      meta["name"] = name;
    }
    if (name.empty()) {
      return InvalidError(k, "",
                          {{"FieldValueRequired",
                            "Required value: name or generateName is required", "metadata.name"}});
    }
  } else {
    if (!name.empty() && name != t.name) {
      return BadRequestError("the name of the object (" + name +
                             ") does not match the name on the URL (" + t.name + ")");
    }
    meta["name"] = t.name;
  }
  if (k.namespaced) {
    if (meta.contains("namespace") && meta["namespace"].is_string()) {
      std::string ns = meta["namespace"].get<std::string>();
      if (!ns.empty() && ns != t.ns) {
        return BadRequestError(
            "the namespace of the provided object does not match the namespace sent on the "
            "request");
      }
    }
    meta["namespace"] = t.ns;
  } else {
    meta.erase("namespace");
  }
  for (const char* f :
       {"resourceVersion", "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds"}) {
    meta.erase(f);
  }
  if (op == Op::kCreate) {
    meta["uid"] = NewUid();
    meta["creationTimestamp"] = Now();
    meta["generation"] = 1;
    // What a controller reports is not a person's to create (kube-apiserver drops it too).
    if (config::HasStatusSubresource(k)) obj.erase("status");
  } else {
    const json& em = Meta(existing);
    if (meta.contains("uid") && meta["uid"].is_string() &&
        !meta["uid"].get<std::string>().empty() && em.contains("uid") && meta["uid"] != em["uid"]) {
      ApiError e = ConflictError(k, t.name);
      e.message = "Precondition failed: UID in precondition: " + meta["uid"].get<std::string>() +
                  ", UID in object meta: " + em.value("uid", "");
      return e;
    }
    // Server-managed: kept from the stored object, whatever the client sends.
    for (const char* f :
         {"uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds"}) {
      if (em.contains(f)) {
        meta[f] = em[f];
      } else {
        meta.erase(f);
      }
    }
    if (part == Part::kStatus) {
      KeepAllButStatus(k, obj, existing);
    } else if (config::HasStatusSubresource(k)) {
      // The status is its controller's: a person's apply or edit never clobbers it.
      if (existing.contains("status")) {
        obj["status"] = existing["status"];
      } else {
        obj.erase("status");
      }
    }
    if (BeingDeleted(existing)) {
      std::vector<std::string> added;
      const json old_finalizers = em.value("finalizers", json::array());
      for (const json& f : meta.value("finalizers", json::array())) {
        if (std::find(old_finalizers.begin(), old_finalizers.end(), f) == old_finalizers.end()) {
          added.push_back(f.is_string() ? f.get<std::string>() : f.dump());
        }
      }
      if (!added.empty()) {
        std::string list;
        for (const std::string& f : added) list += (list.empty() ? "\"" : ", \"") + f + "\"";
        return InvalidError(k, t.name,
                            {{"FieldValueForbidden",
                              "Forbidden: no new finalizers can be added if the object is being "
                              "deleted, found new finalizers []string{" +
                                  list + "}",
                              "metadata.finalizers"}});
      }
    }
  }
  ApplyDefaults(k.kind, obj);
  if (op == Op::kUpdate) {
    // A status write keeps the spec, so it never bumps the generation: a controller compares
    // status.observedGeneration with it to tell whether it has seen the latest spec.
    int64_t generation = Meta(existing).value("generation", int64_t{1});
    if (SpecOf(obj) != SpecOf(existing)) ++generation;
    obj["metadata"]["generation"] = generation;
    if (std::optional<ApiError> invalid = CheckUpdate(k, obj, existing)) return *invalid;
    if (part == Part::kStatus) {
      if (std::optional<ApiError> invalid = CheckStatusUpdate(k, obj)) return *invalid;
    }
  }
  // Validated in the shape it is stored in, by the config layer's decoder and rules.
  ApiCause refused;
  std::optional<json> stored = ToStorage(k, obj, &refused);
  if (!stored) return InvalidError(k, obj["metadata"].value("name", ""), {refused});
  if (op == Op::kCreate) {
    if (std::optional<ApiError> invalid = CheckCreate(k, *stored)) return *invalid;
  }
  const config::KindInfo& stored_kind = config::InfoOf(k.stored_as);
  if (std::optional<ApiError> invalid =
          ValidateObject(stored_kind, *stored, references_.get(), &store_, warnings)) {
    if (invalid->name.empty()) invalid->name = obj["metadata"].value("name", "");
    if (Converted(k)) {  // told in the shape the client wrote
      if (k.kind == config::Kind::kEventsEvent) {
        for (ApiCause& c : invalid->causes) c.field = EventsV1FieldPath(c.field);
      }
      invalid->group = std::string(k.group);
      invalid->message = InvalidError(k, invalid->name, invalid->causes).message;
    }
    return *invalid;
  }
  // Admission judges what is to run: a create, or a change of the spec (not a write of labels
  // or annotations, which the kubelet makes to a Pod whatever the catalog now says).
  if (admission_ && part == Part::kObject &&
      (op == Op::kCreate || SpecOf(obj) != SpecOf(existing))) {
    if (std::optional<ApiError> refused = admission_(k, obj)) {
      if (refused->name.empty()) refused->name = obj["metadata"].value("name", "");
      return *refused;
    }
  }
  return obj;
}

ApiResult<WriteOutcome> ObjectService::DoCreate(const Target& t, json obj,
                                                const WriteOptions& options,
                                                bool managed_fields_given) {
  const config::KindInfo& k = *t.kind;
  const std::string name = MetaString(obj, "name");
  if (std::optional<ApiError> refused = CheckWritable(t, name)) return *refused;
  if (k.namespaced) {
    if (std::optional<ApiError> e = CheckNamespaceForCreate(k, t.ns, name)) return *e;
  }
  WriteOutcome out;
  ApiResult<json> prepared =
      Prepare(t, std::move(obj), json(), Op::kCreate, Part::kObject, &out.warnings);
  if (!prepared.ok()) return prepared.error();
  json& p = *prepared;
  if (!managed_fields_given) {
    std::vector<ManagedEntry> entries;
    TrackUpdate(entries, json(), p, k.kind, options.field_manager, t.ApiVersion(), Now());
    SetManagedFields(p, entries);
  }
  Target named = t;
  named.name = p["metadata"]["name"].get<std::string>();
  if (options.dry_run) {
    if (store_.Get(named.Key()).ok()) return AlreadyExistsError(k, named.name);
    out.object = std::move(p);
    out.created = true;
    return out;
  }
  Result<store::StoredObject> r = store_.Create(named.Key(), Serialize(k, p));
  if (!r.ok()) return FromStoreWrite(r.status(), "create", k, named.ns, named.name);
  out.object = Present(*r, k, t.version);
  out.created = true;
  return out;
}

ApiResult<WriteOutcome> ObjectService::Create(const Target& t, json body,
                                              const WriteOptions& options) {
  if (!body.is_object()) return BadRequestError("the request body must be a JSON object");
  const json& meta = Meta(body);
  if (meta.contains("resourceVersion") && meta["resourceVersion"].is_string() &&
      !meta["resourceVersion"].get<std::string>().empty()) {
    return BadRequestError("resourceVersion should not be set on objects to be created");
  }
  bool given = meta.contains("managedFields") && meta["managedFields"].is_array() &&
               !meta["managedFields"].empty();
  return DoCreate(t, std::move(body), options, given);
}

ApiResult<WriteOutcome> ObjectService::DoUpdate(const Target& t, json desired,
                                                const store::StoredObject& cur,
                                                const WriteOptions& options,
                                                bool track_managed_fields,
                                                int64_t expected_revision, Part part, bool* stale) {
  const config::KindInfo& k = *t.kind;
  *stale = false;
  json current = Present(cur, k, t.version);
  WriteOutcome out;
  ApiResult<json> prepared =
      Prepare(t, std::move(desired), current, Op::kUpdate, part, &out.warnings);
  if (!prepared.ok()) return prepared.error();
  json& p = *prepared;
  if (track_managed_fields) {
    std::vector<ManagedEntry> entries = ReadManagedFields(current);
    TrackUpdate(entries, current, p, k.kind, options.field_manager, t.ApiVersion(), Now(),
                SubresourceName(part == Part::kStatus));
    SetManagedFields(p, entries);
  } else if (auto& meta = p["metadata"];
             meta.contains("managedFields") &&
             (!meta["managedFields"].is_array() || meta["managedFields"].empty())) {
    meta.erase("managedFields");
  }
  if (Equivalent(p, current)) {
    // Nothing to write, if `cur` is still what is stored: a no-op judged against a snapshot
    // that another writer has since replaced would hide that write.
    Result<store::StoredObject> now = store_.Get(t.Key());
    if (!now.ok() || now->mod_revision != cur.mod_revision ||
        expected_revision != cur.mod_revision) {
      *stale = true;
      return ConflictError(k, t.name);
    }
    out.object = std::move(current);
    out.changed = false;
    return out;
  }
  if (options.dry_run) {
    p["metadata"]["resourceVersion"] = std::to_string(cur.mod_revision);
    out.object = std::move(p);
    return out;
  }
  Result<store::StoredObject> r = store_.Update(t.Key(), Serialize(k, p), expected_revision);
  if (!r.ok()) {
    if (r.status().code() == StatusCode::kConflict) *stale = true;
    return FromStoreWrite(r.status(), "update", k, t.ns, t.name);
  }
  out.object = Present(*r, k, t.version);
  if (k.kind != config::Kind::kNamespace && BeingDeleted(p) && !HasFinalizers(p)) {
    // The last finalizer is gone: the deletion completes (a namespace completes when
    // NamespaceController has emptied it).
    Result<store::StoredObject> d = store_.Delete(t.Key(), r->mod_revision);
    if (!d.ok() && d.status().code() != StatusCode::kNotFound &&
        d.status().code() != StatusCode::kConflict) {
      return FromStoreWrite(d.status(), "delete", k, t.ns, t.name);
    }
  }
  return out;
}

ApiResult<WriteOutcome> ObjectService::Replace(const Target& t, json body,
                                               const WriteOptions& options) {
  return DoReplace(t, std::move(body), options, Part::kObject);
}

ApiResult<WriteOutcome> ObjectService::DoReplace(const Target& t, json body,
                                                 const WriteOptions& options, Part part) {
  if (!body.is_object()) return BadRequestError("the request body must be a JSON object");
  if (std::optional<ApiError> refused = CheckWritable(t, t.name)) return *refused;
  if (part == Part::kStatus) {
    if (std::optional<ApiError> e = CheckStatusSubresource(*t.kind)) return *e;
  }
  const json& meta = Meta(body);
  std::string rv = meta.contains("resourceVersion") && meta["resourceVersion"].is_string()
                       ? meta["resourceVersion"].get<std::string>()
                       : "";
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    Result<store::StoredObject> cur = store_.Get(t.Key());
    if (!cur.ok()) return FromStoreStatus(cur.status(), *t.kind, t.name);
    int64_t expected = cur->mod_revision;
    if (!rv.empty()) {
      if (rv != std::to_string(cur->mod_revision)) return ConflictError(*t.kind, t.name);
    }
    bool track = true;
    if (meta.contains("managedFields")) {
      json current = json::parse(cur->value, nullptr, false);
      track = Meta(current).value("managedFields", json()) == meta["managedFields"];
    }
    bool stale = false;
    ApiResult<WriteOutcome> r = DoUpdate(t, body, *cur, options, track, expected, part, &stale);
    if (stale && rv.empty()) continue;
    return r;
  }
  return ConflictError(*t.kind, t.name);
}

ApiResult<WriteOutcome> ObjectService::Patch(const Target& t, PatchType type,
                                             const std::string& body, const WriteOptions& options) {
  return DoPatch(t, type, body, options, Part::kObject);
}

ApiResult<WriteOutcome> ObjectService::DoPatch(const Target& t, PatchType type,
                                               const std::string& body, const WriteOptions& options,
                                               Part part) {
  const config::KindInfo& k = *t.kind;
  if (std::optional<ApiError> refused = CheckWritable(t, t.name)) return *refused;
  if (part == Part::kStatus) {
    if (std::optional<ApiError> e = CheckStatusSubresource(k)) return *e;
  }
  if (type == PatchType::kApply) {
    std::string error;
    std::optional<json> applied = ParseYamlOrJson(body, &error);
    if (!applied) return BadRequestError("error decoding YAML: " + error);
    return DoApply(t, *applied, options, part);
  }
  std::string error;
  std::optional<json> patch = ParseJson(body, &error);
  if (!patch) return BadRequestError("error decoding patch: " + error);
  return PatchParsed(t, type, *patch, options, part);
}

ApiResult<WriteOutcome> ObjectService::PatchParsed(const Target& t, PatchType type,
                                                   const json& patch, const WriteOptions& options,
                                                   Part part) {
  const config::KindInfo& k = *t.kind;
  if (type == PatchType::kStrategic && !SupportsStrategicMerge(k.kind)) {
    return UnsupportedMediaTypeError(
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml");
  }
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    Result<store::StoredObject> cur = store_.Get(t.Key());
    if (!cur.ok()) return FromStoreStatus(cur.status(), k, t.name);
    json current = Present(*cur, k, t.version);
    // A patch of the status subresource applies to the whole object, as GET .../status shows
    // it; what it changes outside the status is then dropped.
    ApiResult<json> patched = type == PatchType::kMerge ? ApplyMergePatch(current, patch)
                              : type == PatchType::kJson
                                  ? ApplyJsonPatch(current, patch, k, t.name)
                                  : ApplyStrategicMergePatch(current, patch, k.kind);
    if (!patched.ok()) return patched.error();
    const json& pm = Meta(*patched);
    if (pm.contains("resourceVersion") &&
        pm["resourceVersion"] != Meta(current)["resourceVersion"] &&
        !(pm["resourceVersion"].is_string() && pm["resourceVersion"].get<std::string>().empty()) &&
        !pm["resourceVersion"].is_null()) {
      return ConflictError(k, t.name);
    }
    bool track = pm.value("managedFields", json()) == Meta(current).value("managedFields", json());
    bool stale = false;
    ApiResult<WriteOutcome> r =
        DoUpdate(t, *patched, *cur, options, track, cur->mod_revision, part, &stale);
    if (stale) continue;
    return r;
  }
  return ConflictError(k, t.name);
}

ApiResult<json> ObjectService::GetStatus(const Target& t) {
  if (std::optional<ApiError> e = CheckStatusSubresource(*t.kind)) return *e;
  return Get(t);
}

ApiResult<WriteOutcome> ObjectService::UpdateStatus(const Target& t, json body,
                                                    const WriteOptions& options) {
  return DoReplace(t, std::move(body), options, Part::kStatus);
}

ApiResult<WriteOutcome> ObjectService::PatchStatus(const Target& t, PatchType type,
                                                   const std::string& body,
                                                   const WriteOptions& options) {
  return DoPatch(t, type, body, options, Part::kStatus);
}

ApiResult<WriteOutcome> ObjectService::ReplaceStatus(const Target& t, json status,
                                                     const std::string& expected_resource_version,
                                                     const WriteOptions& options) {
  const config::KindInfo& k = *t.kind;
  if (std::optional<ApiError> refused = CheckWritable(t, t.name)) return *refused;
  if (std::optional<ApiError> e = CheckStatusSubresource(k)) return *e;
  if (options.field_manager.empty()) return BadRequestError("a field manager is required");
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    Result<store::StoredObject> cur = store_.Get(t.Key());
    if (!cur.ok()) return FromStoreStatus(cur.status(), k, t.name);
    if (!expected_resource_version.empty() &&
        expected_resource_version != std::to_string(cur->mod_revision)) {
      return ConflictError(k, t.name);
    }
    json desired = Present(*cur, k, t.version);
    desired["status"] = status;
    bool stale = false;
    ApiResult<WriteOutcome> r = DoUpdate(t, std::move(desired), *cur, options, true,
                                         cur->mod_revision, Part::kStatus, &stale);
    if (stale && expected_resource_version.empty()) continue;
    return r;
  }
  return ConflictError(k, t.name);
}

ApiResult<WriteOutcome> ObjectService::MergeStatus(const Target& t, const json& status_patch,
                                                   const WriteOptions& options) {
  if (std::optional<ApiError> refused = CheckWritable(t, t.name)) return *refused;
  if (std::optional<ApiError> e = CheckStatusSubresource(*t.kind)) return *e;
  if (options.field_manager.empty()) return BadRequestError("a field manager is required");
  if (!status_patch.is_object()) return BadRequestError("a status patch must be an object");
  return PatchParsed(t, PatchType::kMerge, json{{"status", status_patch}}, options, Part::kStatus);
}

std::optional<ApiError> ObjectService::CheckStatusSubresource(const config::KindInfo& kind) {
  if (config::HasStatusSubresource(kind) || kind.serving != config::Serving::kStored) {
    return std::nullopt;
  }
  // kube-apiserver has no route for a subresource a built-in kind does not have.
  return GenericNotFound();
}

ApiResult<WriteOutcome> ObjectService::DoApply(const Target& t, const json& given,
                                               const WriteOptions& options, Part part) {
  const config::KindInfo& k = *t.kind;
  // What the subresource may change is all its manager applies, and so all it comes to own:
  // kubectl apply --subresource=status sends the whole manifest, spec included.
  const json applied = part == Part::kStatus ? StatusPart(k, given) : given;
  if (std::optional<ApiError> refused = CheckWritable(t, t.name)) return *refused;
  if (!applied.is_object()) return BadRequestError("an apply patch must be an object");
  if (options.field_manager.empty()) {
    return BadRequestError("fieldManager is required for apply requests");
  }
  const json& am = Meta(applied);
  if (am.contains("managedFields") && !am["managedFields"].is_null()) {
    return BadRequestError("metadata.managedFields must be nil in an apply request");
  }
  if (am.contains("name") && am["name"].is_string() && am["name"].get<std::string>() != t.name) {
    return BadRequestError("the name of the object (" + am["name"].get<std::string>() +
                           ") does not match the name on the URL (" + t.name + ")");
  }
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    Result<store::StoredObject> cur = store_.Get(t.Key());
    const std::string now = Now();
    if (!cur.ok() && cur.status().code() != StatusCode::kNotFound) {
      return FromStoreStatus(cur.status(), k, t.name);
    }
    if (!cur.ok() && part == Part::kStatus) return NotFoundError(k, t.name);
    if (!cur.ok()) {
      ApplyResult res = ServerSideApply(json(), applied, {}, k.kind, options.field_manager,
                                        t.ApiVersion(), now, options.force);
      json obj = res.object;
      obj["metadata"]["name"] = t.name;
      obj["metadata"].erase("resourceVersion");
      SetManagedFields(obj, res.entries);
      Target create = t;
      create.name.clear();
      ApiResult<WriteOutcome> r = DoCreate(create, std::move(obj), options, true);
      if (!r.ok() && r.error().reason == "AlreadyExists") continue;  // lost a race: update
      return r;
    }
    json current = Present(*cur, k, t.version);
    if (am.contains("resourceVersion") && am["resourceVersion"].is_string() &&
        am["resourceVersion"] != Meta(current)["resourceVersion"]) {
      return ConflictError(k, t.name);
    }
    ApplyResult res =
        ServerSideApply(current, applied, ReadManagedFields(current), k.kind, options.field_manager,
                        t.ApiVersion(), now, options.force, SubresourceName(part == Part::kStatus));
    if (!res.conflicts.empty()) {
      ApiError e = ConflictError(k, t.name);
      e.message = ConflictMessage(res.conflicts);
      for (const ApplyConflict& c : res.conflicts) {
        e.causes.push_back({"FieldManagerConflict",
                            "conflict with \"" + c.manager + "\"" +
                                (c.api_version.empty() ? "" : " using " + c.api_version),
                            FieldPathString(c.path)});
      }
      return e;
    }
    json merged = std::move(res.object);
    SetManagedFields(merged, res.entries);
    bool stale = false;
    ApiResult<WriteOutcome> r =
        DoUpdate(t, std::move(merged), *cur, options, false, cur->mod_revision, part, &stale);
    if (stale) continue;
    return r;
  }
  return ConflictError(k, t.name);
}

ApiResult<WriteOutcome> ObjectService::ApplyManifest(const Target& t, const json& object,
                                                     const std::string& manager) {
  json applied = object;
  json& meta = applied["metadata"];
  if (!meta.is_object()) meta = json::object();
  if (t.kind->namespaced) meta["namespace"] = t.ns;
  // kubectl's annotation is the applied object without the annotation itself.
  json for_annotation = applied;
  if (auto a = for_annotation["metadata"].find("annotations");
      a != for_annotation["metadata"].end() && a->is_object()) {
    a->erase(kLastApplied);
  }
  if (!meta.contains("annotations") || !meta["annotations"].is_object()) {
    meta["annotations"] = json::object();
    for_annotation["metadata"]["annotations"] = json::object();
  }
  meta["annotations"][kLastApplied] =
      for_annotation.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  WriteOptions options;
  options.field_manager = manager;
  options.force = true;
  return DoApply(t, applied, options, Part::kObject);
}

ApiResult<WriteOutcome> ObjectService::Delete(const Target& t, const DeleteOptions& options) {
  const config::KindInfo& k = *t.kind;
  if (const SystemObject* o = SystemObjectAt(t.Key())) {
    return ForbiddenError(k, t.name, o->why_read_only);
  }
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    Result<store::StoredObject> cur = store_.Get(t.Key());
    if (!cur.ok()) return FromStoreStatus(cur.status(), k, t.name);
    json current = Present(*cur, k, t.version);
    if (!options.uid.empty() && Meta(current).value("uid", "") != options.uid) {
      ApiError e = ConflictError(k, t.name);
      e.message = "Precondition failed: UID in precondition: " + options.uid +
                  ", UID in object meta: " + Meta(current).value("uid", "");
      return e;
    }
    if (!options.resource_version.empty() &&
        options.resource_version != std::to_string(cur->mod_revision)) {
      return ConflictError(k, t.name);
    }
    if (k.kind == config::Kind::kNamespace && (t.name == "default" || t.name == "istio-system")) {
      return ForbiddenError(k, t.name, "this namespace may not be deleted");
    }
    bool stale = false;
    ApiResult<WriteOutcome> r =
        DeleteStored(t, *cur, options.dry_run, &stale, options.grace_period_seconds);
    if (stale) continue;
    return r;
  }
  return ConflictError(k, t.name);
}

ApiResult<WriteOutcome> ObjectService::DeleteStored(const Target& t, const store::StoredObject& cur,
                                                    bool dry_run, bool* stale,
                                                    std::optional<int64_t> grace_period_seconds) {
  const config::KindInfo& k = *t.kind;
  *stale = false;
  WriteOutcome out;
  json current = Present(cur, k, t.version);
  // A Pod that runs is deleted gracefully (see SetGracefulPodDeletion); grace 0 deletes it now,
  // also one already terminating (kubectl delete --force, and the kubelet once it stopped).
  const bool graceful_pod = graceful_pods_ && k.kind == config::Kind::kPod &&
                            !HasFinalizers(current) && grace_period_seconds.value_or(1) != 0;
  // Marked rather than deleted: a running Pod (until its kubelet has stopped it), a namespace
  // (NamespaceController empties it, then it goes), an object with finalizers (until they are
  // removed).
  std::optional<json> marked;
  if (graceful_pod && !BeingDeleted(current)) {
    int64_t grace = grace_period_seconds.value_or(
        current["spec"].value("terminationGracePeriodSeconds", int64_t{30}));
    marked = current;
    (*marked)["metadata"]["deletionTimestamp"] =
        FormatTimestamp(clock_.WallNanos() + grace * 1'000'000'000);
    (*marked)["metadata"]["deletionGracePeriodSeconds"] = grace;
  } else {
    const bool now =
        k.kind == config::Kind::kPod && grace_period_seconds == 0 && !HasFinalizers(current);
    if (BeingDeleted(current) && !now) {
      // Already on its way out: Kubernetes answers with the object as it is.
      out.object = std::move(current);
      out.changed = false;
      return out;
    }
    if (k.kind == config::Kind::kNamespace || HasFinalizers(current)) {
      marked = current;
      (*marked)["metadata"]["deletionTimestamp"] = Now();
      (*marked)["metadata"]["deletionGracePeriodSeconds"] = 0;
      if (k.kind == config::Kind::kNamespace) (*marked)["status"]["phase"] = "Terminating";
    }
  }
  if (marked) {
    if (dry_run) {
      out.object = std::move(*marked);
      return out;
    }
    Result<store::StoredObject> r = store_.Update(t.Key(), Serialize(k, *marked), cur.mod_revision);
    if (!r.ok()) {
      if (r.status().code() == StatusCode::kConflict) *stale = true;
      return FromStoreWrite(r.status(), "delete", k, t.ns, t.name);
    }
    out.object = Present(*r, k, t.version);
    return out;
  }
  if (dry_run) {
    out.object = std::move(current);
    return out;
  }
  Result<store::StoredObject> r = store_.Delete(t.Key(), cur.mod_revision);
  if (!r.ok()) {
    if (r.status().code() == StatusCode::kConflict) *stale = true;
    return FromStoreWrite(r.status(), "delete", k, t.ns, t.name);
  }
  out.object = Present(*r, k, t.version);
  return out;
}

ApiResult<bool> ObjectService::FinishNamespaceDeletion(const std::string& ns) {
  const config::KindInfo& ns_kind = config::InfoOf(config::Kind::kNamespace);
  Result<store::StoredObject> cur = store_.Get({"Namespace", "", ns});
  if (!cur.ok()) {
    if (cur.status().code() == StatusCode::kNotFound) return true;
    return FromStoreStatus(cur.status(), ns_kind, ns);
  }
  if (!BeingDeleted(json::parse(cur->value, nullptr, false))) return false;
  // Everything in it, kind by kind, as Kubernetes' namespace controller deletes it; then a
  // second look, for what a create admitted just before the namespace began to terminate wrote.
  for (int pass = 0; pass < 2; ++pass) {
    bool remaining = false;
    for (const config::KindInfo& k : config::AllKinds()) {
      if (!k.namespaced || k.serving != config::Serving::kStored || Converted(k)) continue;
      Result<store::ListResult> items = store_.List({std::string(k.name), ns});
      if (!items.ok()) return FromStoreStatus(items.status(), k, "");
      for (const store::StoredObject& o : items->items) {
        remaining = true;
        if (pass == 1) continue;
        Target t{&k, std::string(config::GroupVersions(k.group)[0]), ns, o.key.name};
        bool stale = false;
        ApiResult<WriteOutcome> r = DeleteStored(t, o, false, &stale);
        if (!r.ok() && !stale && r.error().code != 404) return r.error();
      }
    }
    if (pass == 0 && !remaining) break;
    if (pass == 1 && remaining) return false;  // finalizers, or a late write: next time
  }
  Result<store::StoredObject> d = store_.Delete({"Namespace", "", ns}, cur->mod_revision);
  if (d.ok() || d.status().code() == StatusCode::kNotFound) return true;
  if (d.status().code() == StatusCode::kConflict) return false;
  return FromStoreWrite(d.status(), "delete", ns_kind, "", ns);
}

ApiResult<ListOutcome> ObjectService::DeleteCollection(const Target& t, const LabelSelector& labels,
                                                       const FieldSelector& fields, bool dry_run) {
  ApiResult<ListOutcome> list = List(t, labels, fields);
  if (!list.ok()) return list.error();
  ListOutcome out;
  out.revision = list->revision;
  for (json& obj : list->items) {
    Target one = t;
    one.ns = MetaString(obj, "namespace");
    one.name = MetaString(obj, "name");
    if (SystemObjectAt(one.Key()) != nullptr) continue;  // shown, never stored: not deleted
    DeleteOptions options;
    options.dry_run = dry_run;
    ApiResult<WriteOutcome> r = Delete(one, options);
    if (!r.ok()) {
      if (r.error().code == 404) continue;
      return r.error();
    }
    out.items.push_back(std::move(r->object));
  }
  return out;
}

}  // namespace canaryd::api

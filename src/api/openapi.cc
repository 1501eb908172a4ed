#include "api/openapi.h"

#include <openssl/sha.h>

#include <nlohmann/json.hpp>

#include "api/discovery.h"
#include "api/event_conversion.h"
#include "api/schema.h"
#include "config/canary_types.h"
#include "config/core_types.h"
#include "config/data_types.h"
#include "config/event_types.h"
#include "config/istio_types.h"
#include "config/kinds.h"

namespace canaryd::api {
namespace {

using nlohmann::json;

json Open() {
  return {{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}};
}

json SpecSchema(config::Kind kind) {
  switch (kind) {
    case config::Kind::kGateway:
      return SchemaOf<config::GatewaySpec>();
    case config::Kind::kVirtualService:
      return SchemaOf<config::VirtualServiceSpec>();
    case config::Kind::kDestinationRule:
      return SchemaOf<config::DestinationRuleSpec>();
    case config::Kind::kServiceEntry:
      return SchemaOf<config::ServiceEntrySpec>();
    case config::Kind::kWorkloadEntry:
      return SchemaOf<config::WorkloadEntrySpec>();
    case config::Kind::kService:
      return SchemaOf<config::ServiceSpec>();
    case config::Kind::kNamespace:
      return SchemaOf<config::NamespaceSpec>();
    case config::Kind::kCanary:
    case config::Kind::kFlaggerCanary:
      return SchemaOf<config::CanarySpec>();
    default:
      return Open();  // refused and review kinds: the server answers whatever the body holds
  }
}

// The properties of a kind without spec, beside apiVersion, kind and metadata.
json BodyProperties(config::Kind kind) {
  switch (kind) {
    case config::Kind::kConfigMap:
      return SchemaOf<config::ConfigMapBody>()["properties"];
    case config::Kind::kSecret:
      return SchemaOf<config::SecretBody>()["properties"];
    case config::Kind::kEvent:
      return SchemaOf<config::EventBody>()["properties"];
    case config::Kind::kEventsEvent: {
      // The stored shape's fields under events.k8s.io/v1's names.
      json props = EventsV1FromCore(SchemaOf<config::EventBody>()["properties"]);
      props.erase("metadata");
      return props;
    }
    default:
      return json::object();
  }
}

// The component name Kubernetes gives a kind's schema.
std::string SchemaName(const config::KindInfo& k, const std::string& version) {
  if (k.group.empty()) return "io.k8s.api.core." + version + "." + std::string(k.name);
  if (k.group == "networking.istio.io") {
    return "io.istio.networking." + version + "." + std::string(k.name);
  }
  if (k.group == "canaryd.io") return "io.canaryd." + version + "." + std::string(k.name);
  if (k.group == "flagger.app") return "app.flagger." + version + "." + std::string(k.name);
  // Kubernetes' own groups: io.k8s.api.apps.v1.Deployment, io.k8s.api.events.v1.Event.
  std::string_view package = k.group.substr(0, k.group.find('.'));
  return "io.k8s.api." + std::string(package) + "." + version + "." + std::string(k.name);
}

json Gvk(const config::KindInfo& k, const std::string& version) {
  return {{"group", std::string(k.group)}, {"version", version}, {"kind", std::string(k.name)}};
}

json Ref(const std::string& name) {
  return {{"$ref", "#/components/schemas/" + name}};
}

json QueryParam(const char* name, const char* type, const char* description) {
  return {{"name", name},
          {"in", "query"},
          {"description", description},
          {"schema", {{"type", type}, {"uniqueItems", true}}}};
}

json JsonContent(const json& schema) {
  return {{"application/json", {{"schema", schema}}}, {"application/yaml", {{"schema", schema}}}};
}

json Responses(const json& schema, bool created) {
  json r = {{"200", {{"description", "OK"}, {"content", JsonContent(schema)}}},
            {"401", {{"description", "Unauthorized"}}}};
  if (created) r["201"] = {{"description", "Created"}, {"content", JsonContent(schema)}};
  return r;
}

json Operation(const std::string& id, const char* action, const json& gvk, json parameters,
               json responses) {
  return {{"operationId", id},
          {"x-kubernetes-action", action},
          {"x-kubernetes-group-version-kind", gvk},
          {"parameters", std::move(parameters)},
          {"responses", std::move(responses)}};
}

std::string Sha512Hex(const std::string& s) {
  unsigned char digest[SHA512_DIGEST_LENGTH];
  SHA512(reinterpret_cast<const unsigned char*>(s.data()), s.size(), digest);
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : digest) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

json BuildDocument(const std::string& group, const std::string& version) {
  json schemas = json::object();
  json paths = json::object();
  json meta_schema = SchemaOf<config::ObjectMeta>();
  meta_schema["description"] =
      "Metadata every object has: name, namespace, labels, annotations and what the server sets.";
  schemas["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"] = meta_schema;
  schemas["io.k8s.apimachinery.pkg.apis.meta.v1.Status"] = {
      {"type", "object"},
      {"x-kubernetes-preserve-unknown-fields", true},
      {"x-kubernetes-group-version-kind",
       json::array({{{"group", ""}, {"version", "v1"}, {"kind", "Status"}}})}};
  const std::string prefix = group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;

  const json write_params = json::array(
      {QueryParam("dryRun", "string", "When present, do not persist (All)."),
       QueryParam("fieldManager", "string", "The name of the actor making the change."),
       QueryParam("fieldValidation", "string",
                  "Ignore, Warn or Strict: how to treat unknown or duplicate fields (canaryd "
                  "always refuses them).")});
  json patch_params = write_params;
  patch_params.push_back(QueryParam("force", "boolean", "Take over conflicting fields (apply)."));
  const json list_params = json::array(
      {QueryParam("labelSelector", "string", "Select by labels."),
       QueryParam("fieldSelector", "string", "Select by metadata.name or metadata.namespace."),
       QueryParam("resourceVersion", "string", "Watch from this version."),
       QueryParam("watch", "boolean", "Stream changes."),
       QueryParam("timeoutSeconds", "integer", "End a watch after this many seconds."),
       QueryParam("allowWatchBookmarks", "boolean", "Send BOOKMARK events.")});

  for (const config::KindInfo& k : config::AllKinds()) {
    if (k.group != group) continue;
    std::string name = SchemaName(k, version);
    json gvk = Gvk(k, version);
    json properties = {
        {"apiVersion",
         {{"type", "string"},
          {"description", "The versioned schema of this object, such as " +
                              (k.group.empty() ? version : std::string(k.group) + "/" + version) +
                              "."}}},
        {"kind", {{"type", "string"}, {"description", "The kind of this object."}}},
        {"metadata",
         {{"description", "The object's name, namespace, labels and bookkeeping."},
          {"allOf", json::array({Ref("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")})}}}};
    if (k.has_spec) {
      json spec = SpecSchema(k.kind);
      spec["description"] = "What this " + std::string(k.name) + " configures.";
      properties["spec"] = spec;
      properties["status"] = {{"type", "object"},
                              {"description", config::HasStatusSubresource(k)
                                                  ? "What controllers report, written through "
                                                    "the status subresource (.../status); "
                                                    "writes to the object keep it."
                                                  : "Status reported by controllers."},
                              {"x-kubernetes-preserve-unknown-fields", true}};
    } else {
      properties.update(BodyProperties(k.kind));
    }
    json obj = {{"type", "object"},
                {"description", std::string(config::KindDescription(k.kind))},
                {"properties", std::move(properties)},
                {"x-kubernetes-group-version-kind", json::array({gvk})}};
    if (k.group == "networking.istio.io") obj["required"] = json::array({"spec"});
    schemas[name] = obj;
    json list_gvk = {{"group", std::string(k.group)},
                     {"version", version},
                     {"kind", std::string(k.name) + "List"}};
    schemas[name + "List"] = {
        {"type", "object"},
        {"required", json::array({"items"})},
        {"properties",
         {{"apiVersion", {{"type", "string"}}},
          {"kind", {{"type", "string"}}},
          {"metadata", {{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}}},
          {"items", {{"type", "array"}, {"items", Ref(name)}}}}},
        {"x-kubernetes-group-version-kind", json::array({list_gvk})}};

    const std::string kind_name(k.name);
    json name_param = {
        {"name", "name"}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}};
    json ns_param = {{"name", "namespace"},
                     {"in", "path"},
                     {"required", true},
                     {"schema", {{"type", "string"}}}};
    std::string collection =
        prefix + (k.namespaced ? "/namespaces/{namespace}/" : "/") + std::string(k.plural);
    json coll_params = k.namespaced ? json::array({ns_param}) : json::array();
    json body = {{"required", true}, {"content", JsonContent(Ref(name))}};

    json create =
        Operation("create" + kind_name, "post", gvk, write_params, Responses(Ref(name), true));
    create["requestBody"] = body;
    if (k.serving == config::Serving::kReview) {
      paths[collection] = {{"post", create}};
      continue;
    }
    paths[collection] = {
        {"parameters", coll_params},
        {"get", Operation("list" + kind_name, "list", gvk, list_params,
                          Responses(Ref(name + "List"), false))},
        {"post", create},
        {"delete", Operation("deletecollection" + kind_name, "deletecollection", gvk, list_params,
                             Responses(Ref(name + "List"), false))}};
    if (k.namespaced) {
      paths[prefix + "/" + std::string(k.plural)] = {
          {"get", Operation("list" + kind_name + "ForAllNamespaces", "list", gvk, list_params,
                            Responses(Ref(name + "List"), false))}};
    }
    json item_params = coll_params;
    item_params.push_back(name_param);
    json put =
        Operation("replace" + kind_name, "put", gvk, write_params, Responses(Ref(name), true));
    put["requestBody"] = body;
    json patch =
        Operation("patch" + kind_name, "patch", gvk, patch_params, Responses(Ref(name), true));
    // Strategic merge patch is not listed: kubectl then builds it from its own built-in types
    // for Service (exactly what Kubernetes does), and uses merge patch for Istio's kinds.
    json patch_body = {{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}};
    patch["requestBody"] = {{"required", true},
                            {"content",
                             {{"application/apply-patch+yaml", {{"schema", patch_body}}},
                              {"application/json-patch+json", {{"schema", patch_body}}},
                              {"application/merge-patch+json", {{"schema", patch_body}}}}}};
    paths[collection + "/{name}"] = {
        {"parameters", item_params},
        {"get",
         Operation("read" + kind_name, "get", gvk, json::array(), Responses(Ref(name), false))},
        {"put", put},
        {"patch", patch},
        {"delete",
         Operation("delete" + kind_name, "delete", gvk, write_params,
                   Responses(Ref("io.k8s.apimachinery.pkg.apis.meta.v1.Status"), false))}};
    if (config::HasStatusSubresource(k)) {
      json status_put = Operation("replace" + kind_name + "Status", "put", gvk, write_params,
                                  Responses(Ref(name), true));
      status_put["requestBody"] = body;
      json status_patch = Operation("patch" + kind_name + "Status", "patch", gvk, patch_params,
                                    Responses(Ref(name), true));
      status_patch["requestBody"] = patch["requestBody"];
      paths[collection + "/{name}/status"] = {
          {"parameters", item_params},
          {"get", Operation("read" + kind_name + "Status", "get", gvk, json::array(),
                            Responses(Ref(name), false))},
          {"put", status_put},
          {"patch", status_patch}};
    }
  }
  return {{"openapi", "3.0.0"},
          {"info",
           {{"title", "canaryd"},
            {"version", std::string("v") + kKubernetesMajor + "." + kKubernetesMinor + ".0"}}},
          {"paths", std::move(paths)},
          {"components", {{"schemas", std::move(schemas)}}}};
}

}  // namespace

OpenApiDocuments::OpenApiDocuments() {
  json index = {{"paths", json::object()}};
  auto add = [&](const std::string& group, const std::string& version) {
    std::string key = group.empty() ? "api/" + version : "apis/" + group + "/" + version;
    Doc d;
    d.text = BuildDocument(group, version)
                 .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    d.hash = Sha512Hex(d.text);
    index["paths"][key] = {{"serverRelativeURL", "/openapi/v3/" + key + "?hash=" + d.hash}};
    docs_[key] = std::move(d);
  };
  for (std::string_view v : config::GroupVersions("")) add("", std::string(v));
  for (std::string_view g : config::ApiGroups()) {
    for (std::string_view v : config::GroupVersions(g)) add(std::string(g), std::string(v));
  }
  index_ = index.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

const std::string* OpenApiDocuments::Document(const std::string& path) const {
  auto it = docs_.find(path);
  return it == docs_.end() ? nullptr : &it->second.text;
}

std::string OpenApiDocuments::Hash(const std::string& path) const {
  auto it = docs_.find(path);
  return it == docs_.end() ? "" : it->second.hash;
}

}  // namespace canaryd::api

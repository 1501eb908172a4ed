#include "api/object_validation.h"

#include "api/json_node.h"
#include "config/analyze.h"
#include "config/resource.h"
#include "config/validate.h"

namespace canaryd::api {
namespace {

// Decodes the stored resources a VirtualService can refer to. Undecodable ones are skipped:
// they were valid when written, and the analysis only warns.
void LoadPeers(store::Store& store, const json& self, std::vector<config::Resource>* out) {
  for (config::Kind k : {config::Kind::kService, config::Kind::kServiceEntry,
                         config::Kind::kGateway, config::Kind::kDestinationRule}) {
    Result<store::ListResult> list = store.List({std::string(config::InfoOf(k).name), ""});
    if (!list.ok()) continue;
    for (const store::StoredObject& o : list->items) {
      json j = json::parse(o.value, nullptr, false);
      if (j.is_discarded()) continue;
      config::Diagnostics ignored;
      std::optional<config::Resource> r = config::DecodeResource(JsonToNode(j), ignored, "");
      if (r && !ignored.has_errors()) out->push_back(std::move(*r));
    }
  }
  (void)self;
}

}  // namespace

std::optional<ApiError> ValidateObject(const config::KindInfo& kind, const json& obj,
                                       store::Store* store, std::vector<std::string>* warnings) {
  return ValidateObject(kind, obj, nullptr, store, warnings);
}

std::optional<ApiError> ValidateObject(const config::KindInfo& kind, const json& obj,
                                       StoredReferences* references, store::Store* store,
                                       std::vector<std::string>* warnings) {
  config::Diagnostics diags;
  std::optional<config::Resource> r = config::DecodeResource(JsonToNode(obj), diags, "default");
  if (r) config::ValidateResource(*r, diags);
  std::string name;
  if (obj.is_object() && obj.contains("metadata") && obj["metadata"].is_object()) {
    name = obj["metadata"].value("name", "");
  }
  std::vector<ApiCause> causes;
  for (const config::Diagnostic& d : diags.items()) {
    if (d.severity == config::Severity::kError) {
      std::string reason = "FieldValueInvalid";
      if (d.message.rfind("unknown field", 0) == 0) reason = "FieldValueNotSupported";
      if (d.message.find("required field is missing") != std::string::npos) {
        reason = "FieldValueRequired";
      }
      causes.push_back({reason, d.message, d.path});
    } else if (warnings) {
      warnings->push_back(d.path.empty() ? d.message : d.path + ": " + d.message);
    }
  }
  if (!causes.empty() || !r) {
    if (causes.empty()) causes.push_back({"FieldValueInvalid", "not a valid resource", ""});
    return InvalidError(kind, name, std::move(causes));
  }
  if ((store != nullptr || references != nullptr) && warnings != nullptr &&
      r->kind == config::Kind::kVirtualService) {
    config::Diagnostics analysis;
    if (references == nullptr || !references->Analyze(*r, analysis)) {
      if (store == nullptr) return std::nullopt;
      std::vector<config::Resource> all;
      LoadPeers(*store, obj, &all);
      all.push_back(std::move(*r));
      config::AnalyzeReferences(all, analysis);
    }
    for (const config::Diagnostic& d : analysis.items()) {
      warnings->push_back(d.path.empty() ? d.message : d.path + ": " + d.message);
    }
  }
  return std::nullopt;
}

}  // namespace canaryd::api

#include "api/system_objects.h"

#include <algorithm>

namespace canaryd::api {

void SystemObjects::Add(const config::KindInfo& kind, nlohmann::json object,
                        std::string why_read_only, int64_t revision) {
  SystemObject o;
  const nlohmann::json& meta = object["metadata"];
  o.key = {std::string(kind.name), kind.namespaced ? meta.value("namespace", "") : "",
           meta.value("name", "")};
  object["apiVersion"] = kind.group.empty() ? "v1" : std::string(kind.group) + "/v1";
  object["kind"] = std::string(kind.name);
  object["metadata"]["resourceVersion"] = std::to_string(revision);
  o.object = std::move(object);
  o.why_read_only = std::move(why_read_only);
  o.revision = revision;
  objects_.push_back(std::move(o));
  std::sort(objects_.begin(), objects_.end(),
            [](const SystemObject& a, const SystemObject& b) { return a.key < b.key; });
}

const SystemObject* SystemObjects::Find(const store::ObjectKey& key) const {
  for (const SystemObject& o : objects_) {
    if (o.key == key) return &o;
  }
  return nullptr;
}

std::vector<const SystemObject*> SystemObjects::List(const std::string& kind,
                                                     const std::string& ns) const {
  std::vector<const SystemObject*> out;
  for (const SystemObject& o : objects_) {
    if (o.key.kind == kind && (ns.empty() || o.key.namespace_ == ns)) out.push_back(&o);
  }
  return out;
}

}  // namespace canaryd::api

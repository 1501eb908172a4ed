// SystemObjects: objects the API shows that nobody writes and the store does not hold, because
// they describe the running process itself (canaryd's own gateway as the Service
// istio-system/istio-ingressgateway). Computed from this process's flags at start, so a restart
// with other flags shows the new ones and nothing stale survives in the store. ObjectService
// merges them into gets, lists and watches (where they shadow a stored object of the same name)
// and refuses every write to them with their `why_read_only`.
//
// Filled before the API serves, immutable afterwards: any thread may read it then.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config/kinds.h"
#include "store/store.h"

namespace canaryd::api {

struct SystemObject {
  store::ObjectKey key;
  nlohmann::json object;  // as the API shows it, resourceVersion included
  std::string why_read_only;
  int64_t revision = 0;  // its resourceVersion: the store's revision when it was added
};

class SystemObjects {
 public:
  // `object` needs metadata.name (and metadata.namespace for a namespaced kind).
  void Add(const config::KindInfo& kind, nlohmann::json object, std::string why_read_only,
           int64_t revision);
  const SystemObject* Find(const store::ObjectKey& key) const;
  // Those of `kind` (its store name) in `ns` ("" for every namespace), sorted by namespace and
  // name as the store sorts lists.
  std::vector<const SystemObject*> List(const std::string& kind, const std::string& ns) const;

 private:
  std::vector<SystemObject> objects_;
};

}  // namespace canaryd::api

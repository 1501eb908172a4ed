#include "api/list_types.h"

namespace canaryd::api {

ListType ListTypeOf(config::Kind kind, const std::vector<std::string>& p) {
  if (p.size() == 2 && p[0] == "metadata") {
    if (p[1] == "ownerReferences") return {ListType::kMap, {"uid"}, {""}};
    if (p[1] == "finalizers") return {ListType::kSet, {}, {}};
  }
  if (kind == config::Kind::kService && p.size() == 2 && p[0] == "spec" && p[1] == "ports") {
    return {ListType::kMap, {"port", "protocol"}, {"", "TCP"}};
  }
  return {};
}

bool SupportsStrategicMerge(config::Kind kind) {
  const config::KindInfo& k = config::InfoOf(kind);
  // Kubernetes' built-in kinds; Istio's are CRDs.
  return k.group != "networking.istio.io" && k.serving == config::Serving::kStored;
}

}  // namespace canaryd::api

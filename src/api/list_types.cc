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
  // A Pod spec: a Pod's own, or a Deployment's or ReplicaSet's template (Kubernetes' patch
  // strategies, so that kubectl set image changes one container's image and nothing else).
  size_t base = 0;
  if (kind == config::Kind::kPod && p.size() >= 1 && p[0] == "spec") {
    base = 1;
  } else if ((kind == config::Kind::kDeployment || kind == config::Kind::kReplicaSet) &&
             p.size() >= 3 && p[0] == "spec" && p[1] == "template" && p[2] == "spec") {
    base = 3;
  }
  if (base == 0) return {};
  std::vector<std::string> rest(p.begin() + base, p.end());
  if (rest.size() == 1 && (rest[0] == "containers" || rest[0] == "initContainers")) {
    return {ListType::kMap, {"name"}, {""}};
  }
  if (rest.size() == 1 && rest[0] == "volumes") return {ListType::kMap, {"name"}, {""}};
  if (rest.size() == 2 && (rest[0] == "containers" || rest[0] == "initContainers")) {
    if (rest[1] == "env" || rest[1] == "volumeMounts") return {ListType::kMap, {"name"}, {""}};
    if (rest[1] == "ports") return {ListType::kMap, {"containerPort", "protocol"}, {"", "TCP"}};
  }
  return {};
}

bool SupportsStrategicMerge(config::Kind kind) {
  const config::KindInfo& k = config::InfoOf(kind);
  // Kubernetes' built-in kinds; Istio's are CRDs.
  return k.group != "networking.istio.io" && k.serving == config::Serving::kStored;
}

}  // namespace canaryd::api

// How each list field of a served kind merges, the knowledge that strategic merge patch and
// server-side apply need beyond plain JSON: Kubernetes marks a few lists as maps keyed by some
// fields of their items (a Service's ports by port and protocol) or as sets; every other list,
// and every list of Istio's kinds (which are CRDs), is atomic: replaced as a whole. Static data:
// any thread.
#pragma once

#include <string>
#include <vector>

#include "config/kinds.h"

namespace canaryd::api {

struct ListType {
  enum Type { kAtomic, kMap, kSet };
  Type type = kAtomic;
  // For kMap: the key fields (the first is strategic merge patch's patchMergeKey).
  std::vector<std::string> keys;
  // For kMap: a default for key fields an item may leave out (a Service port's protocol).
  std::vector<std::string> key_defaults;
};

// `field_path` is the list's field names from the object's root, e.g. {"spec", "ports"}.
ListType ListTypeOf(config::Kind kind, const std::vector<std::string>& field_path);

// Whether strategic merge patch is served for the kind (Kubernetes' own kinds; Istio's are CRDs,
// for which Kubernetes refuses it too).
bool SupportsStrategicMerge(config::Kind kind);

}  // namespace canaryd::api

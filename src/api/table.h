// Server-side table printing (meta.k8s.io/v1 Table), what `kubectl get` shows: per kind the
// columns Istio's CRDs and Kubernetes print (VirtualService GATEWAYS, HOSTS, AGE; Service TYPE,
// CLUSTER-IP, EXTERNAL-IP, PORT(S), AGE and SELECTOR in wide output; ...). Ages are computed
// against the injected clock's wall time. Pure functions: any thread.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config/kinds.h"

namespace canaryd::api {

using nlohmann::json;

enum class IncludeObject { kNone, kMetadata, kObject };

// A Table of `objects` (full objects as the API returns them). `resource_version` goes to the
// Table's metadata; `now_nanos` is the wall time for ages.
json MakeTable(const config::KindInfo& kind, const std::vector<json>& objects,
               const std::string& resource_version, int64_t now_nanos, IncludeObject include,
               bool with_columns = true);

// MakeTable's result as JSON text, built row by row (large lists: no one big document).
std::string MakeTableText(const config::KindInfo& kind, const std::vector<json>& objects,
                          const std::string& resource_version, int64_t now_nanos,
                          IncludeObject include);

// The cells of one object's row (exposed for tests).
json TableCells(const config::KindInfo& kind, const json& obj, int64_t now_nanos);

}  // namespace canaryd::api

// The patch formats of the Kubernetes API, applied to an object held as JSON: JSON merge patch
// (RFC 7386), JSON patch (RFC 6902) and strategic merge patch (Kubernetes' own, with merge keys
// from list_types.h and the $patch, $retainKeys, $setElementOrder and $deleteFromPrimitiveList
// directives that kubectl sends). Pure functions: any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "api/api_error.h"
#include "config/kinds.h"

namespace canaryd::api {

enum class PatchType { kMerge, kJson, kStrategic, kApply };

// The patch type for a Content-Type header value; false when unsupported.
bool PatchTypeFromContentType(const std::string& content_type, PatchType* out);

// Each returns the patched object, or a BadRequest/Invalid/Conflict error for a patch that does
// not apply. JSON patch "test" operations that fail on /metadata/resourceVersion are Conflicts.
ApiResult<json> ApplyMergePatch(const json& target, const json& patch);
ApiResult<json> ApplyJsonPatch(const json& target, const json& patch, const config::KindInfo& kind,
                               const std::string& name);
ApiResult<json> ApplyStrategicMergePatch(const json& target, const json& patch, config::Kind kind);

}  // namespace canaryd::api

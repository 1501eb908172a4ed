// The discovery documents of the Kubernetes API for the kinds canaryd knows (config/kinds.h),
// refused and review kinds included (with the verbs they serve), and the status subresource of
// the kinds that have it (<plural>/status: get, patch, update):
// /version, /api, /api/v1, /apis, /apis/<group>, /apis/<group>/<version>, and the aggregated
// form (apidiscovery.k8s.io/v2) kubectl 1.32 asks for first, which saves it a request per
// group version. Pure functions: any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "config/kinds.h"

namespace canaryd::api {

using nlohmann::json;

// The Kubernetes version canaryd's API corresponds to (what kubectl sees in /version).
inline constexpr const char* kKubernetesMajor = "1";
inline constexpr const char* kKubernetesMinor = "32";

json VersionInfo();
json CoreApiVersions(const std::string& server_address);  // /api
json GroupList();                                         // /apis
// /apis/<group>; null when canaryd does not serve the group.
json GroupInfo(const std::string& group);
// /api/v1 and /apis/<group>/<version>; null when not served.
json ResourceList(const std::string& group, const std::string& version);
// Aggregated discovery: for /api (core = true) or /apis, in apidiscovery.k8s.io `version`
// ("v2" or "v2beta1").
json AggregatedDiscovery(bool core, const std::string& version);

// The verbs served for a kind.
json VerbsOf(const config::KindInfo& kind);

}  // namespace canaryd::api

// Answers authorization.k8s.io/v1 SelfSubjectAccessReview (kubectl auth can-i VERB RESOURCE)
// and SelfSubjectRulesReview (kubectl auth can-i --list) with the caller's real permissions.
// canaryd has one kind of caller: whoever reached the handler may do everything canaryd serves
// (on a loopback listener without a token that is every local process; otherwise the holder of
// the admin bearer token, the admin server having refused everyone else with 401). What the
// server refuses whoever asks is denied with the reason: verbs a kind does not serve, writes of
// refused kinds, deleting the default and istio-system namespaces, writing system objects,
// unknown resources.
//
// Pure functions of the request and the service's current objects: any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "api/api_error.h"
#include "api/object_service.h"

namespace canaryd::api {

struct AccessPolicy {
  // Whether the listener requires the bearer token (who the caller is, for the reason given).
  bool token_required = false;
};

// The review with its status filled in, or BadRequest for a malformed spec.
ApiResult<nlohmann::json> ReviewAccess(const nlohmann::json& review, const AccessPolicy& policy,
                                       ObjectService& service);
ApiResult<nlohmann::json> ReviewRules(const nlohmann::json& review, const AccessPolicy& policy,
                                      ObjectService& service);

}  // namespace canaryd::api

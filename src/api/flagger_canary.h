// flagger.app/v1beta1 Canary and canaryd.io/v1alpha1 Canary are one object in two shapes, as
// events.k8s.io/v1 and core/v1 Event are: canaryd stores the canaryd.io form. The shapes share
// Flagger's field names, so the conversion is the identity on what both have; what it does is
// refuse, with the reason, each Flagger field canaryd does not serve (A/B matching, mirroring,
// autoscalers, alert providers, metric templates, ...) and canaryd's destination fields, which a
// Flagger Canary does not have. Pure functions: any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>

#include "api/api_error.h"

namespace canaryd::api {

// The stored (canaryd.io/v1alpha1) shape of a flagger.app/v1beta1 Canary; nullopt with the
// refused field and the reason in *refused.
std::optional<nlohmann::json> CanaryFromFlagger(const nlohmann::json& flagger, ApiCause* refused);

}  // namespace canaryd::api

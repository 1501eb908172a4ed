// The rollout controller's view of a VirtualService as JSON: which http route it shifts, the
// stable and canary weights there, and the controller's mark (an annotation naming the Canary's
// revision and the number of its last weight decision, so that a restarted controller knows
// whether that decision reached the VirtualService). WithWeights returns the object with new
// weights and mark, every other field as read. Pure functions: any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "rollout/canary_plan.h"
#include "rollout/decide.h"

namespace canaryd::rollout {

// The annotation key of a Canary's mark: "<canary>.rollout.canaryd.io/seq".
std::string MarkKey(const std::string& canary_name);

// Reads the route's weights (ok false with the reason when the route cannot be shifted) and the
// mark for `revision`.
RouteObservation ObserveRoute(const nlohmann::json& vs, const CanaryPlan& plan,
                              const std::string& revision);

// The VirtualService with canary weight `canary_weight` and stable 100 - it on the route
// (adding the canary destination when absent; other destinations of the route get 0), marked
// with `seq`. Fails (returns null) only when ObserveRoute would not be ok.
nlohmann::json WithWeights(const nlohmann::json& vs, const CanaryPlan& plan,
                           const std::string& revision, int canary_weight, int64_t seq,
                           std::string* error);

}  // namespace canaryd::rollout

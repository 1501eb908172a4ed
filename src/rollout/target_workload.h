// Flagger's model of a release (a Canary with spec.targetRef): the objects canaryd makes for a
// target Deployment and how it reads them. The primary `<target>-primary` is a copy of the
// target with its selector label (app, name or app.kubernetes.io/name) suffixed "-primary"; the
// Services `<apex>` and `<apex>-primary` select the primary's Pods, `<apex>-canary` the
// target's; the VirtualService `<apex>` routes to the primary and the canary. What to do with
// the target's replicas and the primary's template follows from the Canary's status alone
// (level-triggered). Pure functions over JSON objects as the API presents them: any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "rollout/canary_plan.h"
#include "rollout/canary_status.h"
#include "rollout/decide.h"

namespace canaryd::rollout {

// On what canaryd makes for a Canary: the Canary's name.
inline constexpr const char* kTargetCanaryAnnotation = "canaryd.io/canary";
// On the primary: the hash of the target template it was last given.
inline constexpr const char* kPrimaryTemplateAnnotation = "canaryd.io/template";

// The label of the target's spec.selector.matchLabels that canaryd rewrites for the primary:
// app, name or app.kubernetes.io/name (Flagger's selector labels), the first present; nullopt,
// with the reason in *error, when none is.
std::optional<std::string> SelectorLabel(const nlohmann::json& target, std::string* error);

// The hash of a Deployment's pod template (spec.template), 16 hex digits.
std::string TemplateHash(const nlohmann::json& deployment);

// The primary Deployment to create from the target: its metadata, spec and template with the
// selector label's value suffixed "-primary", at least one replica, annotated.
nlohmann::json NewPrimary(const nlohmann::json& target, const CanaryPlan& plan,
                          const std::string& label);

// `primary` with the target's template (selector label rewritten) and the template annotation.
nlohmann::json PrimaryWithTemplateOf(const nlohmann::json& primary, const nlohmann::json& target,
                                     const std::string& label);

// The Services canaryd keeps for the plan: name and the selector value each selects by `label`.
struct ServiceShape {
  std::string name;
  std::string selects;  // the value of `label`
};
std::vector<ServiceShape> TargetServices(const CanaryPlan& plan, const std::string& label_value);

// A Service named `shape.name` selecting `label`: `shape.selects` on the plan's port. When
// `existing` is given (an object of that name), the result is it with that selector and ports
// and the annotation; null when `existing` already has them.
nlohmann::json DesiredService(const CanaryPlan& plan, const ServiceShape& shape,
                              const std::string& label, const nlohmann::json* existing);

// The VirtualService canaryd makes: hosts <apex> and service.hosts, service.gateways, one http
// route to the primary (100) and the canary (0). With `existing`, the result is it with the
// desired hosts and gateways (the route and its weights are the controller's and kept); null
// when it already has them.
nlohmann::json DesiredVirtualService(const CanaryPlan& plan, const nlohmann::json* existing);

// Whether a Deployment runs its current template on every replica it asks for, all available,
// as `kubectl rollout status` decides; *message says how far it is when not.
bool DeploymentReady(const nlohmann::json& deployment, std::string* message);

// What the controller sees of the target (null when absent) and the primary (null when absent).
WorkloadObservation ObserveWorkload(const CanaryPlan& plan, const nlohmann::json& target,
                                    const nlohmann::json& primary);

// The replicas the target should have: the primary's (at least 1) while a new template of it is
// analysed or promoted, 0 when idle, Succeeded or Failed; nullopt (as they are) during the
// initialization, when the target serves until the primary is ready.
std::optional<int> DesiredTargetReplicas(const CanaryStatus& status,
                                         const std::string& target_template, int primary_replicas);

// Whether the Services and the VirtualService should be made or brought to what the plan says:
// once the primary is ready for the first time (Flagger's order: the apex Service does not move
// to the primary's Pods before they can serve), and from then on.
bool RoutesToPrimary(const CanaryStatus& status, const WorkloadObservation& observation);

// Whether the primary should be given the target's template now: at initialization and while
// promoting.
bool PrimaryFollowsTarget(const CanaryStatus& status);

}  // namespace canaryd::rollout

// Decide: the rollout controller's phase machine as one pure function of (plan, status,
// observations, now). The controller interprets its answer: when the decision needs the
// interval checks or a webhook gate it gathers them and calls Decide again with the results,
// so all I/O stays outside and every transition is testable with plain values. At most one
// step per tick. Any thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "rollout/canary_plan.h"
#include "rollout/canary_status.h"

namespace canaryd::rollout {

// The shifted route of the VirtualService as read this tick.
struct RouteObservation {
  bool ok = false;
  std::string error;  // why not: no such VirtualService, no route with the stable destination...
  std::string resource_version;
  int stable_weight = 0, canary_weight = 0;
  // The number of the controller's last weight write that the VirtualService carries (its
  // annotation, for this Canary and revision); 0 for none.
  int64_t applied_seq = 0;
};

// A webhook gate's answer: every webhook of the type answered 2xx (ok), or the first that did
// not; `unreachable` when that one timed out or could not be reached.
struct GateOutcome {
  bool ok = false;
  bool unreachable = false;
  std::string message;
};

// With spec.targetRef: the target Deployment and its primary as read this tick.
struct WorkloadObservation {
  std::string error;             // why the target cannot be released (no such Deployment, ...)
  std::string target_template;   // the hash of the target's pod template
  bool canary_ready = false;     // the target runs its template, every replica available
  std::string canary_message;    // "1 of 2 replicas available", for holds
  std::string primary_template;  // the template hash the primary was given; "" without one
  bool primary_ready = false;    // the primary runs that template, every replica available
  std::string primary_message;
};

struct TickInput {
  int64_t now_ms = 0;
  std::string revision;  // RevisionOf the spec
  int64_t generation = 0;
  bool abort_requested = false;
  bool promote_requested = false;
  RouteObservation route;
  // The interval checks (metrics, rollout webhooks), when the previous Decide asked for them.
  std::optional<std::vector<CheckRecord>> checks;
  // A rollback webhook that answered 2xx during the checks: its message.
  std::optional<std::string> rollback_requested;
  // Gate answers by webhook type, when asked.
  std::map<std::string, GateOutcome> gates;
  // Set with plan.target.
  std::optional<WorkloadObservation> workload;
};

struct EventRecord {
  bool warning = false;
  std::string reason;
  std::string message;
};

struct Decision {
  enum class Need { kNothing, kChecks, kGate };
  Need need = Need::kNothing;
  std::string gate;  // with kGate: the webhook type to call

  CanaryStatus status;
  // Whether `status` differs from the stored one in more than the sequential tests'
  // accumulators (which are persisted with the next such write).
  bool persist = false;
  // Write the route's weights: canary = this, stable = 100 - this, under status.write_seq.
  std::optional<int> write_weight;
  std::vector<EventRecord> events;
  // Webhook types to notify after the decision is stored (post-rollout).
  std::vector<std::string> notify;
  // The abort/promote requests were acted on (or are moot) and can be cleared.
  bool consume_requests = false;
};

Decision Decide(const CanaryPlan& plan, const CanaryStatus& status, const TickInput& in);

// ln(m / alpha): the bound each of the m sequential tests' ln E must reach to reject.
double SequentialRejectLogBound(const CanaryPlan& plan, size_t tests);

}  // namespace canaryd::rollout

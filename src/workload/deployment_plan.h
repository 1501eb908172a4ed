// The Deployment controller's decisions (k8s.io/kubernetes pkg/controller/deployment: sync.go,
// rolling.go, recreate.go, util/deployment_util.go) as a pure function: given a Deployment and the
// ReplicaSets it owns, which ReplicaSet to create, which to rescale (and to what), and which old
// ones to delete in this pass. Level-triggered: the caller applies the plan, lets the ReplicaSet
// controller and the Pods move, and calls again; each pass takes the steps Kubernetes would take in
// one sync. No clock, no I/O; plain values, any thread.
//
// Semantics follow Kubernetes, including proportional scaling (a replicas change in the middle of
// a rollout is spread over the active ReplicaSets by their size, using the desired-replicas and
// max-replicas annotations the controller keeps on each ReplicaSet). Differences:
//   - DeploymentComplete, which gates history cleanup, is judged from the ReplicaSets' current
//     status rather than the Deployment's last written status (the same fields, one pass fresher).
//   - The revision-history annotation is a plain list without Kubernetes' length cap.
//   - The deprecated spec.rollbackTo is not supported (`kubectl rollout undo` edits the template,
//     which is the "old template matches again" path handled here).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace canaryd::workload {

// intstr.IntOrString as used by maxSurge/maxUnavailable: 3 or "25%".
struct IntOrPercent {
  bool is_percent = false;
  int value = 0;

  static IntOrPercent Int(int v) { return {false, v}; }
  static IntOrPercent Percent(int v) { return {true, v}; }
  // "3" or "25%". Negative values and garbage are invalid.
  static Result<IntOrPercent> Parse(const std::string& text);
  std::string ToString() const;
  bool operator==(const IntOrPercent&) const = default;
};

// GetScaledValueFromIntOrPercent: a percentage of `total`, rounded up or down.
int ScaledValue(const IntOrPercent& v, int total, bool round_up);

enum class DeploymentStrategy { kRollingUpdate, kRecreate };

struct DeploymentView {
  std::string name;
  int64_t generation = 1;
  int replicas = 1;
  DeploymentStrategy strategy = DeploymentStrategy::kRollingUpdate;
  IntOrPercent max_surge = IntOrPercent::Percent(25);
  IntOrPercent max_unavailable = IntOrPercent::Percent(25);
  int min_ready_seconds = 0;
  std::optional<int> revision_history_limit = 10;  // empty: keep every old ReplicaSet
  bool paused = false;
  std::optional<int64_t> progress_deadline_seconds = 600;  // empty: no Progressing condition
  // ComputeTemplateHash(template, status.collisionCount): names the ReplicaSet to create.
  std::string template_hash;
};

// One ReplicaSet owned by the Deployment, as the Deployment controller sees it.
struct ReplicaSetView {
  std::string name;
  std::string template_hash;
  int64_t revision = 0;                   // deployment.kubernetes.io/revision; 0: none
  std::vector<int64_t> revision_history;  // deployment.kubernetes.io/revision-history
  int replicas = 0;                       // spec.replicas
  int status_replicas = 0;
  int ready = 0;
  int available = 0;
  // Pods of this ReplicaSet not in a terminal phase, including those being deleted. Recreate waits
  // for these to reach 0 (status.replicas ignores terminating Pods, a process still exiting does
  // not).
  int live_pods = 0;
  int64_t created_ms = 0;
  // The ReplicaSet's template equals the Deployment's (ignoring the hash label): a candidate for
  // the new ReplicaSet. When several match, the oldest is the new one, as in FindNewReplicaSet.
  bool matches_template = false;
  std::optional<int> desired_replicas_annotation;  // deployment.kubernetes.io/desired-replicas
  std::optional<int> max_replicas_annotation;      // deployment.kubernetes.io/max-replicas
  int min_ready_seconds = 0;
  bool deleting = false;        // deletionTimestamp set
  bool status_observed = true;  // metadata.generation <= status.observedGeneration
};

// resolveFenceposts: surge rounds up, unavailable rounds down, and when both come to 0
// unavailable becomes 1 so a rollout can always move.
struct Fenceposts {
  int max_surge = 0;
  int max_unavailable = 0;
};
Fenceposts ResolveFenceposts(const IntOrPercent& max_surge, const IntOrPercent& max_unavailable,
                             int desired);
// MaxSurge/MaxUnavailable of deployment_util: 0 for Recreate; unavailable is 0 for 0 replicas and
// never more than replicas.
int MaxSurge(const DeploymentView& d);
int MaxUnavailable(const DeploymentView& d);
// NewRSNewReplicas: how far the new ReplicaSet may grow now. RollingUpdate: up to replicas +
// maxSurge Pods in total (by spec) and never beyond replicas; Recreate: replicas.
int NewRSNewReplicas(const DeploymentView& d, const std::vector<ReplicaSetView>& all,
                     const ReplicaSetView& new_rs);

struct CreateReplicaSetAction {
  std::string name;  // ReplicaSetName(d.name, d.template_hash)
  std::string template_hash;
  int64_t revision = 0;
  int replicas = 0;
  int desired_replicas_annotation = 0;
  int max_replicas_annotation = 0;
  int min_ready_seconds = 0;
};

// Set spec.replicas and the two replica annotations of an existing ReplicaSet.
struct ScaleAction {
  std::string rs_name;
  int replicas = 0;
  int desired_replicas_annotation = 0;
  int max_replicas_annotation = 0;
  bool operator==(const ScaleAction&) const = default;
};

// The existing new ReplicaSet takes the newest revision (a revert moves the old number into the
// history) and the Deployment's minReadySeconds.
struct UpdateNewReplicaSetAction {
  std::string rs_name;
  int64_t revision = 0;
  std::vector<int64_t> revision_history;
  int min_ready_seconds = 0;
};

struct DeploymentPlan {
  // Which status path follows (deployment_status.h): a scaling/paused sync writes counts only; a
  // rollout pass also judges progress and the progress deadline.
  enum class Pass { kSync, kRollout };
  Pass pass = Pass::kRollout;

  std::optional<CreateReplicaSetAction> create;
  std::optional<UpdateNewReplicaSetAction> update_new;
  std::vector<ScaleAction> scales;   // at most one per ReplicaSet, in the order decided
  std::vector<std::string> deletes;  // old ReplicaSets beyond the history limit, oldest first

  std::string new_rs_name;  // empty when there is no new ReplicaSet (yet)
  int64_t revision = 0;     // the Deployment's deployment.kubernetes.io/revision; 0: unchanged
  bool new_rs_created = false;
  // The name for the new ReplicaSet is taken by one with another template: nothing else happens
  // in this pass; status.collisionCount goes up by one (ComputeDeploymentStatus does that) and
  // the next pass hashes with it.
  bool hash_collision = false;

  bool empty() const { return !create && !update_new && scales.empty() && deletes.empty(); }
};

// One sync of the Deployment controller. `rss`: every ReplicaSet the Deployment owns.
DeploymentPlan PlanDeployment(const DeploymentView& d, const std::vector<ReplicaSetView>& rss);

// The ReplicaSets as they will be once `plan` is written (spec and annotations only; status
// fields stay until the ReplicaSet controller reports). A created ReplicaSet gets created_ms =
// now_ms. For callers that recompute status in the same pass, and for tests.
std::vector<ReplicaSetView> ApplyDeploymentPlan(std::vector<ReplicaSetView> rss,
                                                const DeploymentPlan& plan, int64_t now_ms);

}  // namespace canaryd::workload

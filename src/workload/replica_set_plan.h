// The ReplicaSet controller's decisions (k8s.io/kubernetes pkg/controller/replicaset) as pure
// functions: how many Pods to create, which to delete and in what order, and the ReplicaSet's
// status from its Pods at a given instant. The caller owns the Pods and applies the plan; time is
// passed in as milliseconds, nothing here reads a clock. Plain values: any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace canaryd::workload {

enum class PodPhase { kPending, kRunning, kSucceeded, kFailed, kUnknown };

// What the controller needs to know about one Pod it owns. Times are milliseconds on the caller's
// clock; 0 stands for Kubernetes' zero time (unknown), which sorts as "newest".
struct PodView {
  std::string name;
  PodPhase phase = PodPhase::kPending;
  // spec.nodeName set. Local processes are "scheduled" once a slot to spawn them is assigned.
  bool scheduled = true;
  bool ready = false;          // condition Ready=True
  int64_t ready_since_ms = 0;  // lastTransitionTime of the Ready condition
  bool terminating = false;    // deletionTimestamp set
  int restarts = 0;            // highest restartCount among the Pod's containers
  int64_t created_ms = 0;
  bool labels_match_template = true;  // counts towards fullyLabeledReplicas
  int deletion_cost = 0;  // controller.kubernetes.io/pod-deletion-cost: lower goes first
};

// Not terminating and not finished (Succeeded/Failed): the Pods that count towards replicas.
bool IsPodActive(const PodView& pod);

// podutil.IsPodAvailable: ready, and ready for strictly more than min_ready_seconds at now_ms.
bool IsPodAvailable(const PodView& pod, int min_ready_seconds, int64_t now_ms);

struct DeletionRankOptions {
  // Kubernetes >= 1.22 enables LogarithmicScaleDown by default: ready times and creation times
  // are compared by floor(log2(age in ns)) buckets, so Pods of about the same age are treated
  // alike and ties go by name (Kubernetes uses the random UID). Off by default here so the
  // order is the plain one people expect ("newest first"); set now_ms when turning it on.
  bool logarithmic_scale_down = false;
  int64_t now_ms = 0;
};

// ActivePodsWithRanks.Less: true when `a` should be deleted before `b`. In order: unscheduled
// before scheduled; Pending < Unknown < Running; not ready before ready; lower deletion cost
// first; ready for a shorter time first; more restarts first; newer first. (The "doubled up on
// a node" rank is left out: every local Pod is on the same node, so it never differs.)
bool PodDeletesBefore(const PodView& a, const PodView& b, const DeletionRankOptions& options = {});

// The active Pods ordered for deletion, first to go first (a stable sort, ties keep input order).
std::vector<PodView> RankPodsForDeletion(const std::vector<PodView>& pods,
                                         const DeletionRankOptions& options = {});

// Kubernetes caps the Pods created or deleted in one sync (burstReplicas); the rest follow on the
// next pass.
inline constexpr int kBurstReplicas = 500;

struct ReplicaSetPlan {
  int create = 0;                        // Pods to create from the template
  std::vector<std::string> delete_pods;  // Pod names, in the order to delete them
};

// manageReplicas: compare active Pods with `desired` and create or delete the difference.
// Terminating and finished Pods are ignored: a Pod being deleted is already replaced.
ReplicaSetPlan PlanReplicaSet(int desired, const std::vector<PodView>& pods,
                              const DeletionRankOptions& options = {});

struct ReplicaSetStatus {
  int replicas = 0;  // active Pods
  int fully_labeled_replicas = 0;
  int ready_replicas = 0;
  int available_replicas = 0;
  // The earliest instant (ms) at which a ready Pod that is not yet available becomes available,
  // so the caller can tick then instead of polling; empty when no such Pod exists.
  std::optional<int64_t> recheck_at_ms;
};

// calculateStatus over the active Pods. Kubernetes itself requeues only when every replica is
// ready but not all available; reporting the exact next instant is a superset of that.
ReplicaSetStatus ComputeReplicaSetStatus(const std::vector<PodView>& pods, int min_ready_seconds,
                                         int64_t now_ms);

}  // namespace canaryd::workload

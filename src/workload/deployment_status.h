// A Deployment's status as the Kubernetes Deployment controller writes it (sync.go
// calculateStatus, progress.go syncRolloutStatus, the paused/resumed and new-ReplicaSet
// conditions of sync.go), computed from its ReplicaSets after a DeploymentPlan. These are the
// fields `kubectl rollout status` decides from, so counts, condition reasons, messages and the
// lastUpdateTime/lastTransitionTime rules follow Kubernetes. Pure functions; time comes in as
// milliseconds. Plain values, any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "workload/deployment_plan.h"

namespace canaryd::workload {

inline constexpr char kConditionAvailable[] = "Available";
inline constexpr char kConditionProgressing[] = "Progressing";
inline constexpr char kConditionReplicaFailure[] = "ReplicaFailure";

// Reasons, spelled as deployment_util.go does.
inline constexpr char kReasonMinimumReplicasAvailable[] = "MinimumReplicasAvailable";
inline constexpr char kReasonMinimumReplicasUnavailable[] = "MinimumReplicasUnavailable";
inline constexpr char kReasonNewReplicaSetCreated[] = "NewReplicaSetCreated";
inline constexpr char kReasonFoundNewReplicaSet[] = "FoundNewReplicaSet";
inline constexpr char kReasonReplicaSetUpdated[] = "ReplicaSetUpdated";
inline constexpr char kReasonNewReplicaSetAvailable[] = "NewReplicaSetAvailable";
inline constexpr char kReasonProgressDeadlineExceeded[] = "ProgressDeadlineExceeded";
inline constexpr char kReasonDeploymentPaused[] = "DeploymentPaused";
inline constexpr char kReasonDeploymentResumed[] = "DeploymentResumed";

struct DeploymentCondition {
  std::string type;
  std::string status;  // "True", "False", "Unknown"
  std::string reason;
  std::string message;
  int64_t last_update_ms = 0;
  int64_t last_transition_ms = 0;
  bool operator==(const DeploymentCondition&) const = default;
};

struct DeploymentStatus {
  int64_t observed_generation = 0;
  int replicas = 0;
  int updated_replicas = 0;
  int ready_replicas = 0;
  int available_replicas = 0;
  int unavailable_replicas = 0;
  std::optional<int32_t> collision_count;
  // In Kubernetes' order: a condition that changes moves to the end.
  std::vector<DeploymentCondition> conditions;
  bool operator==(const DeploymentStatus&) const = default;
};

const DeploymentCondition* FindCondition(const DeploymentStatus& status, const std::string& type);

// SetDeploymentCondition: nothing changes when status and reason are the same (message and
// lastUpdateTime included); a different reason with the same status keeps lastTransitionTime.
void SetCondition(DeploymentStatus& status, DeploymentCondition condition);
void RemoveCondition(DeploymentStatus& status, const std::string& type);

// updatedReplicas == replicas == availableReplicas == spec.replicas, generation observed.
bool DeploymentComplete(const DeploymentView& d, const DeploymentStatus& status);
// Any progress between two statuses: more updated, fewer old, more ready or more available.
bool DeploymentProgressing(const DeploymentStatus& previous, const DeploymentStatus& next);
// The Progressing condition's lastUpdateTime is more than progressDeadlineSeconds before now_ms.
bool DeploymentTimedOut(const DeploymentView& d, const DeploymentStatus& status, int64_t now_ms);

struct DeploymentStatusResult {
  DeploymentStatus status;
  // When the rollout is still waiting for progress: the first instant (ms) at which it would be
  // judged ProgressDeadlineExceeded, so the caller ticks then. ReplicaSet availability changes
  // (minReadySeconds) come from ComputeReplicaSetStatus's recheck time instead.
  std::optional<int64_t> recheck_at_ms;
};

// The status to write after `plan`. `previous`: the status as last written; `rss`: the
// ReplicaSets after the plan (ApplyDeploymentPlan) with their latest reported status.
DeploymentStatusResult ComputeDeploymentStatus(const DeploymentView& d,
                                               const DeploymentStatus& previous,
                                               const std::vector<ReplicaSetView>& rss,
                                               const DeploymentPlan& plan, int64_t now_ms);

}  // namespace canaryd::workload

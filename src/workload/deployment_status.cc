#include "workload/deployment_status.h"

#include <algorithm>
#include <limits>

namespace canaryd::workload {
namespace {

bool HasProgressDeadline(const DeploymentView& d) {
  return d.progress_deadline_seconds &&
         *d.progress_deadline_seconds != std::numeric_limits<int32_t>::max();
}

DeploymentCondition NewCondition(const char* type, const char* status, const char* reason,
                                 std::string message, int64_t now_ms) {
  return {type, status, reason, std::move(message), now_ms, now_ms};
}

std::string Quoted(const std::string& s) {
  return "\"" + s + "\"";
}

DeploymentStatus CalculateStatus(const DeploymentView& d, const DeploymentStatus& previous,
                                 const std::vector<ReplicaSetView>& rss,
                                 const std::string& new_rs_name, int64_t now_ms) {
  DeploymentStatus status;
  status.observed_generation = d.generation;
  status.collision_count = previous.collision_count;
  status.conditions = previous.conditions;
  int spec_total = 0;
  for (const ReplicaSetView& rs : rss) {
    spec_total += rs.replicas;
    status.replicas += rs.status_replicas;
    status.ready_replicas += rs.ready;
    status.available_replicas += rs.available;
    if (!new_rs_name.empty() && rs.name == new_rs_name)
      status.updated_replicas = rs.status_replicas;
  }
  // Negative while scaling down with more available than wanted; Kubernetes clamps it.
  status.unavailable_replicas = std::max(0, spec_total - status.available_replicas);
  if (status.available_replicas >= d.replicas - MaxUnavailable(d)) {
    SetCondition(status, NewCondition(kConditionAvailable, "True", kReasonMinimumReplicasAvailable,
                                      "Deployment has minimum availability.", now_ms));
  } else {
    SetCondition(status,
                 NewCondition(kConditionAvailable, "False", kReasonMinimumReplicasUnavailable,
                              "Deployment does not have minimum availability.", now_ms));
  }
  return status;
}

}  // namespace

const DeploymentCondition* FindCondition(const DeploymentStatus& status, const std::string& type) {
  for (const DeploymentCondition& c : status.conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

void SetCondition(DeploymentStatus& status, DeploymentCondition condition) {
  const DeploymentCondition* current = FindCondition(status, condition.type);
  if (current && current->status == condition.status && current->reason == condition.reason) {
    return;
  }
  if (current && current->status == condition.status) {
    condition.last_transition_ms = current->last_transition_ms;
  }
  RemoveCondition(status, condition.type);
  status.conditions.push_back(std::move(condition));
}

void RemoveCondition(DeploymentStatus& status, const std::string& type) {
  std::erase_if(status.conditions, [&](const DeploymentCondition& c) { return c.type == type; });
}

bool DeploymentComplete(const DeploymentView& d, const DeploymentStatus& status) {
  return status.updated_replicas == d.replicas && status.replicas == d.replicas &&
         status.available_replicas == d.replicas && status.observed_generation >= d.generation;
}

bool DeploymentProgressing(const DeploymentStatus& previous, const DeploymentStatus& next) {
  const int old_before = previous.replicas - previous.updated_replicas;
  const int old_now = next.replicas - next.updated_replicas;
  return next.updated_replicas > previous.updated_replicas || old_now < old_before ||
         next.ready_replicas > previous.ready_replicas ||
         next.available_replicas > previous.available_replicas;
}

bool DeploymentTimedOut(const DeploymentView& d, const DeploymentStatus& status, int64_t now_ms) {
  if (!HasProgressDeadline(d)) return false;
  const DeploymentCondition* c = FindCondition(status, kConditionProgressing);
  if (!c) return false;
  // After a completed rollout there is no progress left to wait for, so no deadline either.
  if (c->reason == kReasonNewReplicaSetAvailable) return false;
  if (c->reason == kReasonProgressDeadlineExceeded) return true;
  return c->last_update_ms + *d.progress_deadline_seconds * 1000 < now_ms;
}

DeploymentStatusResult ComputeDeploymentStatus(const DeploymentView& d,
                                               const DeploymentStatus& previous,
                                               const std::vector<ReplicaSetView>& rss,
                                               const DeploymentPlan& plan, int64_t now_ms) {
  DeploymentStatusResult result;
  DeploymentStatus before = previous;
  if (plan.hash_collision) {
    // The controller records the collision and stops; the next pass hashes with the new count.
    before.collision_count = before.collision_count.value_or(0) + 1;
    result.status = std::move(before);
    return result;
  }

  const bool deadline = HasProgressDeadline(d);
  const std::string& new_rs = plan.new_rs_name;
  if (deadline) {
    // checkPausedConditions: an Unknown condition on pause and resume restarts the deadline
    // clock, so time spent paused never counts as lack of progress.
    const DeploymentCondition* c = FindCondition(before, kConditionProgressing);
    if (!(c && c->reason == kReasonProgressDeadlineExceeded)) {
      const bool paused_cond = c && c->reason == kReasonDeploymentPaused;
      if (d.paused && !paused_cond) {
        SetCondition(before, NewCondition(kConditionProgressing, "Unknown", kReasonDeploymentPaused,
                                          "Deployment is paused", now_ms));
      } else if (!d.paused && paused_cond) {
        SetCondition(before,
                     NewCondition(kConditionProgressing, "Unknown", kReasonDeploymentResumed,
                                  "Deployment is resumed", now_ms));
      }
    }
    // getNewReplicaSet: creating the new ReplicaSet counts as progress.
    if (plan.new_rs_created) {
      SetCondition(before, NewCondition(kConditionProgressing, "True", kReasonNewReplicaSetCreated,
                                        "Created new replica set " + Quoted(new_rs), now_ms));
    } else if (!new_rs.empty() && !FindCondition(before, kConditionProgressing)) {
      SetCondition(before, NewCondition(kConditionProgressing, "True", kReasonFoundNewReplicaSet,
                                        "Found new replica set " + Quoted(new_rs), now_ms));
    }
  }

  DeploymentStatus next = CalculateStatus(d, before, rss, new_rs, now_ms);
  if (plan.pass == DeploymentPlan::Pass::kSync) {
    // A scaling or paused sync writes counts only: no progress is judged.
    result.status = std::move(next);
    return result;
  }

  if (!deadline) RemoveCondition(next, kConditionProgressing);
  const DeploymentCondition* current = FindCondition(before, kConditionProgressing);
  // A resync of a finished rollout: nothing to judge (a later drop in availability shows in
  // Available, not in Progressing).
  const bool finished = next.replicas == next.updated_replicas && current &&
                        current->reason == kReasonNewReplicaSetAvailable;
  const std::string subject =
      new_rs.empty() ? "Deployment " + Quoted(d.name) : "ReplicaSet " + Quoted(new_rs);
  if (deadline && !finished) {
    if (DeploymentComplete(d, next)) {
      SetCondition(next, NewCondition(kConditionProgressing, "True", kReasonNewReplicaSetAvailable,
                                      subject + " has successfully progressed.", now_ms));
    } else if (DeploymentProgressing(before, next)) {
      // Same reason as before must still bump lastUpdateTime (that is what resets the deadline),
      // which SetCondition would not do, so replace the condition outright.
      DeploymentCondition c = NewCondition(kConditionProgressing, "True", kReasonReplicaSetUpdated,
                                           subject + " is progressing.", now_ms);
      if (current) {
        if (current->status == "True") c.last_transition_ms = current->last_transition_ms;
        RemoveCondition(next, kConditionProgressing);
      }
      SetCondition(next, std::move(c));
    } else if (DeploymentTimedOut(d, next, now_ms)) {
      SetCondition(next,
                   NewCondition(kConditionProgressing, "False", kReasonProgressDeadlineExceeded,
                                subject + " has timed out progressing.", now_ms));
    }
  }
  // No ReplicaSet failures are modelled, so a stale ReplicaFailure condition goes.
  RemoveCondition(next, kConditionReplicaFailure);

  // requeueStuckDeployment: wake up when the deadline would pass.
  if (deadline && !DeploymentComplete(d, next)) {
    const DeploymentCondition* c = FindCondition(next, kConditionProgressing);
    if (c && c->reason != kReasonProgressDeadlineExceeded &&
        c->reason != kReasonNewReplicaSetAvailable) {
      result.recheck_at_ms =
          std::max(now_ms, c->last_update_ms + *d.progress_deadline_seconds * 1000 + 1);
    }
  }
  result.status = std::move(next);
  return result;
}

}  // namespace canaryd::workload

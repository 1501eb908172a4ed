#include "workload/replica_set_plan.h"

#include <algorithm>
#include <cmath>

namespace canaryd::workload {
namespace {

int PhaseOrdinal(PodPhase phase) {
  switch (phase) {
    case PodPhase::kPending:
      return 0;
    case PodPhase::kUnknown:
      return 1;
    case PodPhase::kRunning:
      return 2;
    default:
      // Finished Pods are not in Kubernetes' ordinal map, so they read as 0; they are never
      // active, so this only matters to callers ranking inactive Pods.
      return 0;
  }
}

// afterOrZero: the zero time counts as the newest, otherwise the later time goes first.
bool AfterOrZero(int64_t t1, int64_t t2) {
  if (t1 == 0 || t2 == 0) return t1 == 0;
  return t1 > t2;
}

int64_t LogBucket(int64_t t_ms, int64_t now_ms) {
  const double age_ns = static_cast<double>(now_ms - t_ms) * 1e6;
  if (age_ns <= 0) return -1;
  return static_cast<int64_t>(std::log2(age_ns));
}

// Returns <0 when a goes first, >0 when b goes first, 0 when undecided.
int CompareTimes(int64_t ta, int64_t tb, const PodView& a, const PodView& b,
                 const DeletionRankOptions& options) {
  if (ta == tb) return 0;
  if (!options.logarithmic_scale_down || options.now_ms == 0 || ta == 0 || tb == 0) {
    return AfterOrZero(ta, tb) ? -1 : 1;
  }
  const int64_t diff = LogBucket(ta, options.now_ms) - LogBucket(tb, options.now_ms);
  if (diff != 0) return diff < 0 ? -1 : 1;
  if (a.name == b.name) return 0;
  return a.name < b.name ? -1 : 1;
}

}  // namespace

bool IsPodActive(const PodView& pod) {
  return pod.phase != PodPhase::kSucceeded && pod.phase != PodPhase::kFailed && !pod.terminating;
}

bool IsPodAvailable(const PodView& pod, int min_ready_seconds, int64_t now_ms) {
  if (!pod.ready) return false;
  if (min_ready_seconds == 0) return true;
  return pod.ready_since_ms != 0 && pod.ready_since_ms + int64_t{min_ready_seconds} * 1000 < now_ms;
}

bool PodDeletesBefore(const PodView& a, const PodView& b, const DeletionRankOptions& options) {
  if (a.scheduled != b.scheduled) return !a.scheduled;
  if (PhaseOrdinal(a.phase) != PhaseOrdinal(b.phase)) {
    return PhaseOrdinal(a.phase) < PhaseOrdinal(b.phase);
  }
  if (a.ready != b.ready) return !a.ready;
  if (a.deletion_cost != b.deletion_cost) return a.deletion_cost < b.deletion_cost;
  if (a.ready && b.ready) {
    if (int c = CompareTimes(a.ready_since_ms, b.ready_since_ms, a, b, options); c != 0) {
      return c < 0;
    }
  }
  if (a.restarts != b.restarts) return a.restarts > b.restarts;
  if (int c = CompareTimes(a.created_ms, b.created_ms, a, b, options); c != 0) return c < 0;
  return false;
}

std::vector<PodView> RankPodsForDeletion(const std::vector<PodView>& pods,
                                         const DeletionRankOptions& options) {
  std::vector<PodView> active;
  for (const PodView& p : pods) {
    if (IsPodActive(p)) active.push_back(p);
  }
  std::stable_sort(active.begin(), active.end(), [&](const PodView& a, const PodView& b) {
    return PodDeletesBefore(a, b, options);
  });
  return active;
}

ReplicaSetPlan PlanReplicaSet(int desired, const std::vector<PodView>& pods,
                              const DeletionRankOptions& options) {
  ReplicaSetPlan plan;
  const int active = static_cast<int>(
      std::count_if(pods.begin(), pods.end(), [](const PodView& p) { return IsPodActive(p); }));
  const int diff = active - std::max(desired, 0);
  if (diff < 0) {
    plan.create = std::min(-diff, kBurstReplicas);
  } else if (diff > 0) {
    const int n = std::min(diff, kBurstReplicas);
    const std::vector<PodView> ranked = RankPodsForDeletion(pods, options);
    for (int i = 0; i < n; ++i) plan.delete_pods.push_back(ranked[i].name);
  }
  return plan;
}

ReplicaSetStatus ComputeReplicaSetStatus(const std::vector<PodView>& pods, int min_ready_seconds,
                                         int64_t now_ms) {
  ReplicaSetStatus status;
  for (const PodView& p : pods) {
    if (!IsPodActive(p)) continue;
    ++status.replicas;
    if (p.labels_match_template) ++status.fully_labeled_replicas;
    if (!p.ready) continue;
    ++status.ready_replicas;
    if (IsPodAvailable(p, min_ready_seconds, now_ms)) {
      ++status.available_replicas;
    } else if (p.ready_since_ms != 0) {
      // Availability needs strictly more than minReadySeconds, so the first instant is +1 ms.
      const int64_t at = p.ready_since_ms + int64_t{min_ready_seconds} * 1000 + 1;
      if (!status.recheck_at_ms || at < *status.recheck_at_ms) status.recheck_at_ms = at;
    }
  }
  return status;
}

}  // namespace canaryd::workload

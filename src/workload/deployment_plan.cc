#include "workload/deployment_plan.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace canaryd::workload {
namespace {

bool OlderFirst(const ReplicaSetView& a, const ReplicaSetView& b) {
  if (a.created_ms != b.created_ms) return a.created_ms < b.created_ms;
  return a.name < b.name;
}

// One pass's working state: copies of the ReplicaSets that the pass mutates as it decides, so
// later steps see earlier ones the way the Go controller sees the objects it just updated.
class SyncPass {
 public:
  SyncPass(const DeploymentView& d, const std::vector<ReplicaSetView>& rss)
      : d_(d), original_(rss) {
    rss_ = rss;
    std::stable_sort(rss_.begin(), rss_.end(), OlderFirst);
    for (size_t i = 0; i < rss_.size(); ++i) {
      if (!new_ && rss_[i].matches_template) {
        new_ = i;
      } else {
        old_.push_back(i);
      }
    }
    std::stable_sort(original_.begin(), original_.end(), OlderFirst);
  }

  DeploymentPlan Run();

 private:
  ReplicaSetView* NewRS() { return new_ ? &rss_[*new_] : nullptr; }
  std::vector<size_t> ActiveOld() const {
    std::vector<size_t> out;
    for (size_t i : old_) {
      if (rss_[i].replicas > 0) out.push_back(i);
    }
    return out;
  }
  std::vector<ReplicaSetView> All() const {
    std::vector<ReplicaSetView> out;
    for (size_t i : old_) out.push_back(rss_[i]);
    if (new_) out.push_back(rss_[*new_]);
    return out;
  }

  bool SyncRevision(bool create_if_missing);
  bool IsScalingEvent() const;
  bool ScaleAndRecord(size_t i, int replicas);
  void ScaleWithAnnotations(size_t i, int replicas);
  void Scale();
  bool ReconcileNew();
  bool ReconcileOld();
  void Cleanup();
  bool Complete() const;
  void RolloutRolling();
  void RolloutRecreate();

  const DeploymentView& d_;
  std::vector<ReplicaSetView> original_;  // as read at the start, oldest first
  std::vector<ReplicaSetView> rss_;       // working copies, oldest first
  std::optional<size_t> new_;
  std::vector<size_t> old_;
  DeploymentPlan plan_;
};

// getNewReplicaSet: bring the new ReplicaSet's revision up to date, or create it.
bool SyncPass::SyncRevision(bool create_if_missing) {
  int64_t max_old = 0;
  for (size_t i : old_) max_old = std::max(max_old, rss_[i].revision);
  const int64_t new_revision = max_old + 1;
  if (ReplicaSetView* rs = NewRS()) {
    plan_.new_rs_name = rs->name;
    bool changed = false;
    if (rs->revision < new_revision) {
      // A ReplicaSet that had a revision and gets a newer one is being rolled back to: keep its
      // old numbers so `kubectl rollout history` can still show them.
      if (rs->revision > 0) rs->revision_history.push_back(rs->revision);
      rs->revision = new_revision;
      changed = true;
    }
    if (rs->min_ready_seconds != d_.min_ready_seconds) {
      rs->min_ready_seconds = d_.min_ready_seconds;
      changed = true;
    }
    if (changed) {
      plan_.update_new = UpdateNewReplicaSetAction{rs->name, rs->revision, rs->revision_history,
                                                   rs->min_ready_seconds};
    }
    plan_.revision = rs->revision;
    return true;
  }
  if (!create_if_missing) return true;

  ReplicaSetView created;
  created.name = d_.name + "-" + d_.template_hash;
  for (const ReplicaSetView& rs : rss_) {
    if (rs.name == created.name) {
      plan_.hash_collision = true;
      return false;
    }
  }
  created.template_hash = d_.template_hash;
  created.revision = new_revision;
  created.matches_template = true;
  created.min_ready_seconds = d_.min_ready_seconds;
  created.created_ms = std::numeric_limits<int64_t>::max();  // newest of all
  std::vector<ReplicaSetView> all = All();
  all.push_back(created);
  created.replicas = NewRSNewReplicas(d_, all, created);
  created.desired_replicas_annotation = d_.replicas;
  created.max_replicas_annotation = d_.replicas + MaxSurge(d_);

  plan_.create = CreateReplicaSetAction{
      created.name, created.template_hash,      created.revision,    created.replicas,
      d_.replicas,  d_.replicas + MaxSurge(d_), d_.min_ready_seconds};
  plan_.new_rs_name = created.name;
  plan_.new_rs_created = true;
  plan_.revision = new_revision;
  rss_.push_back(created);
  new_ = rss_.size() - 1;
  return true;
}

// A replicas change shows as an active ReplicaSet annotated with another desired count.
bool SyncPass::IsScalingEvent() const {
  std::vector<size_t> idx = old_;
  if (new_) idx.push_back(*new_);
  for (size_t i : idx) {
    const ReplicaSetView& rs = rss_[i];
    if (rs.replicas <= 0 || !rs.desired_replicas_annotation) continue;
    if (*rs.desired_replicas_annotation != d_.replicas) return true;
  }
  return false;
}

// scaleReplicaSet: write size and annotations when either differs.
void SyncPass::ScaleWithAnnotations(size_t i, int replicas) {
  ReplicaSetView& rs = rss_[i];
  const int desired = d_.replicas;
  const int max = d_.replicas + MaxSurge(d_);
  if (rs.replicas == replicas && rs.desired_replicas_annotation == desired &&
      rs.max_replicas_annotation == max) {
    return;
  }
  rs.replicas = replicas;
  rs.desired_replicas_annotation = desired;
  rs.max_replicas_annotation = max;
  if (plan_.create && plan_.create->name == rs.name) {
    // Still unwritten: fold the change into the create.
    plan_.create->replicas = replicas;
    plan_.create->desired_replicas_annotation = desired;
    plan_.create->max_replicas_annotation = max;
    return;
  }
  ScaleAction action{rs.name, replicas, desired, max};
  for (ScaleAction& a : plan_.scales) {
    if (a.rs_name == rs.name) {
      a = action;
      return;
    }
  }
  plan_.scales.push_back(action);
}

// scaleReplicaSetAndRecordEvent: nothing at all when the size is already right.
bool SyncPass::ScaleAndRecord(size_t i, int replicas) {
  if (rss_[i].replicas == replicas) return false;
  ScaleWithAnnotations(i, replicas);
  return true;
}

// sync.go scale(): follow a replicas change.
void SyncPass::Scale() {
  std::vector<size_t> active;
  for (size_t i : old_) {
    if (rss_[i].replicas > 0) active.push_back(i);
  }
  if (new_ && rss_[*new_].replicas > 0) active.push_back(*new_);

  // FindActiveOrLatest: one active ReplicaSet takes it all; none active: the newest one does.
  std::optional<size_t> target;
  if (active.size() == 1) {
    target = active[0];
  } else if (active.empty()) {
    if (new_) {
      target = new_;
    } else if (!old_.empty()) {
      target = old_.back();
    }
  }
  if (target || active.empty()) {
    if (target && rss_[*target].replicas != d_.replicas) ScaleAndRecord(*target, d_.replicas);
    return;
  }

  // IsSaturated: the new ReplicaSet already runs everything, so the old ones simply go.
  if (const ReplicaSetView* rs = NewRS();
      rs && rs->desired_replicas_annotation && rs->replicas == d_.replicas &&
      *rs->desired_replicas_annotation == d_.replicas && rs->available == d_.replicas) {
    for (size_t i : old_) {
      if (rss_[i].replicas > 0) ScaleAndRecord(i, 0);
    }
    return;
  }
  if (d_.strategy != DeploymentStrategy::kRollingUpdate) return;

  // Proportional scaling: spread the change over the active ReplicaSets by their share of the
  // size the Deployment had when they were last scaled (the max-replicas annotation).
  int total = 0;
  for (size_t i : active) total += rss_[i].replicas;
  const int allowed = d_.replicas > 0 ? d_.replicas + MaxSurge(d_) : 0;
  const int to_add = allowed - total;
  if (to_add > 0) {
    // Larger first; among equals the newer grows first.
    std::stable_sort(active.begin(), active.end(), [&](size_t a, size_t b) {
      if (rss_[a].replicas != rss_[b].replicas) return rss_[a].replicas > rss_[b].replicas;
      return OlderFirst(rss_[b], rss_[a]);
    });
  } else if (to_add < 0) {
    // Larger first; among equals the older shrinks first.
    std::stable_sort(active.begin(), active.end(), [&](size_t a, size_t b) {
      if (rss_[a].replicas != rss_[b].replicas) return rss_[a].replicas > rss_[b].replicas;
      return OlderFirst(rss_[a], rss_[b]);
    });
  }
  int status_replicas = 0;
  for (const ReplicaSetView& rs : rss_) status_replicas += rs.status_replicas;

  std::vector<int> sizes(active.size());
  int added = 0;
  for (size_t k = 0; k < active.size(); ++k) {
    const ReplicaSetView& rs = rss_[active[k]];
    int proportion = 0;
    if (to_add != 0 && rs.replicas != 0 && to_add != added) {
      int fraction;
      if (d_.replicas == 0) {
        fraction = -rs.replicas;
      } else {
        const int max_now = d_.replicas + MaxSurge(d_);
        int max_before = rs.max_replicas_annotation.value_or(0);
        if (max_before == 0) max_before = status_replicas;
        if (max_before == 0) {
          fraction = rs.replicas;
        } else {
          const double scaled = static_cast<double>(rs.replicas) * max_now / max_before;
          fraction = static_cast<int>(std::lround(scaled)) - rs.replicas;
        }
      }
      const int room = to_add - added;
      proportion = to_add > 0 ? std::min(fraction, room) : std::max(fraction, room);
    }
    sizes[k] = rs.replicas + proportion;
    added += proportion;
  }
  for (size_t k = 0; k < active.size(); ++k) {
    // Rounding leftovers go to the largest.
    if (k == 0 && to_add != 0) sizes[k] = std::max(0, sizes[k] + to_add - added);
    ScaleWithAnnotations(active[k], sizes[k]);
  }
}

bool SyncPass::ReconcileNew() {
  ReplicaSetView* rs = NewRS();
  if (rs->replicas == d_.replicas) return false;
  if (rs->replicas > d_.replicas) return ScaleAndRecord(*new_, d_.replicas);
  return ScaleAndRecord(*new_, NewRSNewReplicas(d_, All(), *rs));
}

bool SyncPass::ReconcileOld() {
  std::vector<size_t> active = ActiveOld();
  int old_pods = 0;
  for (size_t i : active) old_pods += rss_[i].replicas;
  if (old_pods == 0) return false;
  const ReplicaSetView& nrs = *NewRS();
  int all_pods = nrs.replicas;
  for (size_t i : old_) all_pods += rss_[i].replicas;
  const int min_available = d_.replicas - MaxUnavailable(d_);
  const int new_unavailable = nrs.replicas - nrs.available;
  const int max_scaled_down = all_pods - min_available - new_unavailable;
  if (max_scaled_down <= 0) return false;

  // cleanupUnhealthyReplicas: old Pods that are not available cost nothing to remove, and left
  // alone they would hold the rollout (they count against maxSurge but not as available).
  int cleaned = 0;
  for (size_t i : active) {
    if (cleaned >= max_scaled_down) break;
    const ReplicaSetView& rs = rss_[i];
    if (rs.replicas == 0 || rs.replicas == rs.available) continue;
    const int n = std::min(max_scaled_down - cleaned, rs.replicas - rs.available);
    ScaleAndRecord(i, rs.replicas - n);
    cleaned += n;
  }

  // scaleDownOldReplicaSetsForRollingUpdate: then as many as keep minAvailable available.
  int available = nrs.available;
  for (size_t i : active) available += rss_[i].available;
  int scaled = 0;
  if (available > min_available) {
    const int budget = available - min_available;
    for (size_t i : active) {
      if (scaled >= budget) break;
      const ReplicaSetView& rs = rss_[i];
      if (rs.replicas == 0) continue;
      const int n = std::min(rs.replicas, budget - scaled);
      ScaleAndRecord(i, rs.replicas - n);
      scaled += n;
    }
  }
  return cleaned + scaled > 0;
}

// cleanupDeployment: keep revisionHistoryLimit old ReplicaSets; only empty ones whose status has
// caught up are deleted, lowest revision first.
void SyncPass::Cleanup() {
  if (!d_.revision_history_limit) return;
  std::vector<const ReplicaSetView*> cleanable;
  for (const ReplicaSetView& rs : original_) {
    if (new_ && rs.name == rss_[*new_].name) continue;
    if (!rs.deleting) cleanable.push_back(&rs);
  }
  const int diff = static_cast<int>(cleanable.size()) - *d_.revision_history_limit;
  if (diff <= 0) return;
  std::stable_sort(cleanable.begin(), cleanable.end(),
                   [](const ReplicaSetView* a, const ReplicaSetView* b) {
                     if (a->revision != b->revision) return a->revision < b->revision;
                     return OlderFirst(*a, *b);
                   });
  for (int i = 0; i < diff; ++i) {
    const ReplicaSetView& rs = *cleanable[i];
    if (rs.status_replicas != 0 || rs.replicas != 0 || !rs.status_observed || rs.deleting) continue;
    plan_.deletes.push_back(rs.name);
  }
}

bool SyncPass::Complete() const {
  int replicas = 0;
  int available = 0;
  for (const ReplicaSetView& rs : original_) {
    replicas += rs.status_replicas;
    available += rs.available;
  }
  const int updated = new_ ? rss_[*new_].status_replicas : 0;
  return updated == d_.replicas && replicas == d_.replicas && available == d_.replicas;
}

void SyncPass::RolloutRolling() {
  if (!SyncRevision(true)) return;
  if (ReconcileNew()) return;
  if (ReconcileOld()) return;
  if (Complete()) Cleanup();
}

void SyncPass::RolloutRecreate() {
  // The new ReplicaSet is only created once the old Pods are gone, so both never run together.
  SyncRevision(false);
  bool scaled_down = false;
  for (size_t i : ActiveOld()) scaled_down |= ScaleAndRecord(i, 0);
  if (scaled_down) return;
  for (size_t i : old_) {
    if (rss_[i].status_replicas > 0 || rss_[i].live_pods > 0) return;
  }
  if (!new_ && !SyncRevision(true)) return;
  ScaleAndRecord(*new_, d_.replicas);
  if (Complete()) Cleanup();
}

DeploymentPlan SyncPass::Run() {
  if (d_.paused || IsScalingEvent()) {
    // A paused Deployment makes no rollout progress (and creates no new ReplicaSet) but still
    // follows a replicas change.
    plan_.pass = DeploymentPlan::Pass::kSync;
    SyncRevision(false);
    Scale();
    if (d_.paused) Cleanup();
    return plan_;
  }
  plan_.pass = DeploymentPlan::Pass::kRollout;
  if (d_.strategy == DeploymentStrategy::kRecreate) {
    RolloutRecreate();
  } else {
    RolloutRolling();
  }
  return plan_;
}

}  // namespace

Result<IntOrPercent> IntOrPercent::Parse(const std::string& text) {
  std::string digits = text;
  const bool percent = !digits.empty() && digits.back() == '%';
  if (percent) digits.pop_back();
  if (digits.empty() || digits.size() > 9 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return InvalidArgument("invalid int or percentage: \"" + text + "\"");
  }
  return IntOrPercent{percent, std::stoi(digits)};
}

std::string IntOrPercent::ToString() const {
  return std::to_string(value) + (is_percent ? "%" : "");
}

int ScaledValue(const IntOrPercent& v, int total, bool round_up) {
  if (!v.is_percent) return v.value;
  const int64_t product = int64_t{v.value} * total;
  if (round_up) return static_cast<int>((product + 99) / 100);
  return static_cast<int>(product / 100);
}

Fenceposts ResolveFenceposts(const IntOrPercent& max_surge, const IntOrPercent& max_unavailable,
                             int desired) {
  Fenceposts f{ScaledValue(max_surge, desired, true), ScaledValue(max_unavailable, desired, false)};
  if (f.max_surge == 0 && f.max_unavailable == 0) f.max_unavailable = 1;
  return f;
}

int MaxSurge(const DeploymentView& d) {
  if (d.strategy != DeploymentStrategy::kRollingUpdate) return 0;
  return ResolveFenceposts(d.max_surge, d.max_unavailable, d.replicas).max_surge;
}

int MaxUnavailable(const DeploymentView& d) {
  if (d.strategy != DeploymentStrategy::kRollingUpdate || d.replicas == 0) return 0;
  return std::min(ResolveFenceposts(d.max_surge, d.max_unavailable, d.replicas).max_unavailable,
                  d.replicas);
}

int NewRSNewReplicas(const DeploymentView& d, const std::vector<ReplicaSetView>& all,
                     const ReplicaSetView& new_rs) {
  if (d.strategy == DeploymentStrategy::kRecreate) return d.replicas;
  const int max_surge = ScaledValue(d.max_surge, d.replicas, true);
  int current = 0;
  for (const ReplicaSetView& rs : all) current += rs.replicas;
  const int max_total = d.replicas + max_surge;
  if (current >= max_total) return new_rs.replicas;
  const int up = std::min(max_total - current, d.replicas - new_rs.replicas);
  return new_rs.replicas + up;
}

DeploymentPlan PlanDeployment(const DeploymentView& d, const std::vector<ReplicaSetView>& rss) {
  return SyncPass(d, rss).Run();
}

std::vector<ReplicaSetView> ApplyDeploymentPlan(std::vector<ReplicaSetView> rss,
                                                const DeploymentPlan& plan, int64_t now_ms) {
  auto find = [&](const std::string& name) -> ReplicaSetView* {
    for (ReplicaSetView& rs : rss) {
      if (rs.name == name) return &rs;
    }
    return nullptr;
  };
  if (plan.create) {
    ReplicaSetView rs;
    rs.name = plan.create->name;
    rs.template_hash = plan.create->template_hash;
    rs.revision = plan.create->revision;
    rs.replicas = plan.create->replicas;
    rs.desired_replicas_annotation = plan.create->desired_replicas_annotation;
    rs.max_replicas_annotation = plan.create->max_replicas_annotation;
    rs.min_ready_seconds = plan.create->min_ready_seconds;
    rs.created_ms = now_ms;
    rs.matches_template = true;
    rss.push_back(rs);
  }
  if (plan.update_new) {
    if (ReplicaSetView* rs = find(plan.update_new->rs_name)) {
      rs->revision = plan.update_new->revision;
      rs->revision_history = plan.update_new->revision_history;
      rs->min_ready_seconds = plan.update_new->min_ready_seconds;
    }
  }
  for (const ScaleAction& a : plan.scales) {
    if (ReplicaSetView* rs = find(a.rs_name)) {
      rs->replicas = a.replicas;
      rs->desired_replicas_annotation = a.desired_replicas_annotation;
      rs->max_replicas_annotation = a.max_replicas_annotation;
    }
  }
  for (const std::string& name : plan.deletes) {
    std::erase_if(rss, [&](const ReplicaSetView& rs) { return rs.name == name; });
  }
  return rss;
}

}  // namespace canaryd::workload

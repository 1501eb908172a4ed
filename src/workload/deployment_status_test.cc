// Status unit tests, and end-to-end walks of the three controllers' decisions together: a small
// world of ReplicaSets and Pods, stepped pass by pass, with `kubectl rollout status` reimplemented
// as a check on what users would see.
#include "workload/deployment_status.h"

#include <algorithm>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "workload/replica_set_plan.h"
#include "workload/template_hash.h"

namespace canaryd::workload {
namespace {

// k8s.io/kubectl/pkg/polymorphichelpers/rollout_status.go DeploymentStatusViewer.Status.
struct ViewerResult {
  std::string message;
  bool done = false;
  std::string error;
};

ViewerResult RolloutStatus(const DeploymentView& d, const DeploymentStatus& s) {
  const std::string name = "\"" + d.name + "\"";
  if (d.generation > s.observed_generation) {
    return {"Waiting for deployment spec update to be observed...\n", false, ""};
  }
  const DeploymentCondition* c = FindCondition(s, kConditionProgressing);
  if (c && c->reason == kReasonProgressDeadlineExceeded) {
    return {"", false, "deployment " + name + " exceeded its progress deadline"};
  }
  const std::string waiting = "Waiting for deployment " + name + " rollout to finish: ";
  if (s.updated_replicas < d.replicas) {
    return {waiting + std::to_string(s.updated_replicas) + " out of " + std::to_string(d.replicas) +
                " new replicas have been updated...\n",
            false, ""};
  }
  if (s.replicas > s.updated_replicas) {
    return {waiting + std::to_string(s.replicas - s.updated_replicas) +
                " old replicas are pending termination...\n",
            false, ""};
  }
  if (s.available_replicas < s.updated_replicas) {
    return {waiting + std::to_string(s.available_replicas) + " of " +
                std::to_string(s.updated_replicas) + " updated replicas are available...\n",
            false, ""};
  }
  return {"deployment " + name + " successfully rolled out\n", true, ""};
}

struct SimPod {
  PodView view;
  int64_t ready_at = -1;  // -1: never (a broken image)
  int64_t gone_at = 0;    // when terminating: the process has exited
};

// Pods become ready `ready_delay_ms` after creation unless their template is broken; deleted
// Pods linger for `grace_ms`. Each Pass runs the Deployment controller, then the ReplicaSet
// controller, as two informers firing back to back would.
class World {
 public:
  explicit World(DeploymentView d) : d_(std::move(d)) {}

  DeploymentView& d() { return d_; }
  const DeploymentStatus& status() const { return status_; }
  const DeploymentPlan& last_plan() const { return plan_; }
  const DeploymentStatusResult& last_result() const { return result_; }
  const std::vector<ReplicaSetView>& rss() const { return rss_; }
  int64_t now() const { return now_; }
  void Advance(int64_t ms) { now_ += ms; }
  void Break(const std::string& hash) { broken_.insert(hash); }

  void SetTemplate(const std::string& image) {
    d_.template_hash = ComputeTemplateHash(R"({"spec":{"image":")" + image + "\"}}");
    ++d_.generation;
    for (ReplicaSetView& rs : rss_) rs.matches_template = rs.template_hash == d_.template_hash;
  }

  const ReplicaSetView* Find(const std::string& hash) const {
    for (const ReplicaSetView& rs : rss_) {
      if (rs.template_hash == hash) return &rs;
    }
    return nullptr;
  }

  int ActivePods() const {
    int n = 0;
    for (const auto& [name, pods] : pods_) {
      for (const SimPod& p : pods) n += IsPodActive(p.view);
    }
    return n;
  }
  int AvailablePods() const {
    int n = 0;
    for (const ReplicaSetView& rs : rss_) n += rs.available;
    return n;
  }
  int LivePods(const std::string& rs_name) const {
    auto it = pods_.find(rs_name);
    return it == pods_.end() ? 0 : static_cast<int>(it->second.size());
  }

  ViewerResult Pass() {
    for (auto& [name, pods] : pods_) {
      std::erase_if(pods, [&](const SimPod& p) { return p.view.terminating && p.gone_at <= now_; });
      for (SimPod& p : pods) {
        if (!p.view.ready && p.ready_at >= 0 && now_ >= p.ready_at) {
          p.view.ready = true;
          p.view.ready_since_ms = p.ready_at;
        }
      }
    }
    RefreshReplicaSetStatus();

    plan_ = PlanDeployment(d_, rss_);
    rss_ = ApplyDeploymentPlan(rss_, plan_, now_);
    result_ = ComputeDeploymentStatus(d_, status_, rss_, plan_, now_);
    status_ = result_.status;
    for (const std::string& name : plan_.deletes) pods_.erase(name);

    for (const ReplicaSetView& rs : rss_) {
      std::vector<SimPod>& pods = pods_[rs.name];
      std::vector<PodView> views;
      for (const SimPod& p : pods) views.push_back(p.view);
      ReplicaSetPlan rp = PlanReplicaSet(rs.replicas, views);
      for (int i = 0; i < rp.create; ++i) {
        SimPod p;
        p.view.name = PodName(rs.name, random_);
        p.view.phase = PodPhase::kRunning;
        p.view.created_ms = now_;
        p.ready_at = broken_.count(rs.template_hash) ? -1 : now_ + ready_delay_ms;
        pods.push_back(p);
      }
      for (const std::string& victim : rp.delete_pods) {
        for (SimPod& p : pods) {
          if (p.view.name == victim) {
            p.view.terminating = true;
            p.gone_at = now_ + grace_ms;
          }
        }
      }
    }
    RefreshReplicaSetStatus();
    return RolloutStatus(d_, status_);
  }

  // Passes one second apart until `kubectl rollout status` would exit; returns the distinct
  // messages in order.
  std::vector<std::string> RunToCompletion(int max_passes = 100,
                                           const std::function<void()>& check = {}) {
    std::vector<std::string> seen;
    for (int i = 0; i < max_passes; ++i) {
      ViewerResult v = Pass();
      if (check) check();
      if (!v.error.empty()) {
        seen.push_back("error: " + v.error);
        return seen;
      }
      if (seen.empty() || seen.back() != v.message) seen.push_back(v.message);
      if (v.done) return seen;
      Advance(1000);
    }
    seen.push_back("gave up");
    return seen;
  }

  int64_t ready_delay_ms = 2500;
  int64_t grace_ms = 1500;

 private:
  void RefreshReplicaSetStatus() {
    for (ReplicaSetView& rs : rss_) {
      std::vector<PodView> views;
      for (const SimPod& p : pods_[rs.name]) views.push_back(p.view);
      ReplicaSetStatus s = ComputeReplicaSetStatus(views, rs.min_ready_seconds, now_);
      rs.status_replicas = s.replicas;
      rs.ready = s.ready_replicas;
      rs.available = s.available_replicas;
      rs.live_pods = static_cast<int>(views.size());
    }
  }

  DeploymentView d_;
  DeploymentStatus status_;
  DeploymentPlan plan_;
  DeploymentStatusResult result_;
  std::vector<ReplicaSetView> rss_;
  std::map<std::string, std::vector<SimPod>> pods_;
  std::set<std::string> broken_;
  int64_t now_ = 1'000'000;
  RandomSource random_ = SeededRandom(7);
};

DeploymentView Web(int replicas) {
  DeploymentView d;
  d.name = "web";
  d.replicas = replicas;
  return d;
}

// A world that has rolled out image v1 and settled.
World Settled(DeploymentView d) {
  World w(std::move(d));
  w.SetTemplate("demo:v1");
  std::vector<std::string> seen = w.RunToCompletion();
  EXPECT_EQ(seen.back(), "deployment \"web\" successfully rolled out\n");
  w.Advance(1000);
  return w;
}

bool Contains(const std::vector<std::string>& seen, const std::string& text) {
  return std::any_of(seen.begin(), seen.end(),
                     [&](const std::string& s) { return s.find(text) != std::string::npos; });
}

TEST(DeploymentStatusTest, SetConditionKeepsTransitionTimeAndIgnoresSameReason) {
  DeploymentStatus s;
  SetCondition(s, {"Progressing", "True", "NewReplicaSetCreated", "a", 10, 10});
  SetCondition(s, {"Available", "False", "MinimumReplicasUnavailable", "b", 10, 10});
  // Same status and reason: nothing moves, not even lastUpdateTime or the message.
  SetCondition(s, {"Progressing", "True", "NewReplicaSetCreated", "changed", 20, 20});
  EXPECT_EQ(s.conditions[0].message, "a");
  EXPECT_EQ(s.conditions[0].last_update_ms, 10);
  // New reason, same status: transition time stays, the condition moves to the end.
  SetCondition(s, {"Progressing", "True", "ReplicaSetUpdated", "c", 30, 30});
  ASSERT_EQ(s.conditions.size(), 2u);
  EXPECT_EQ(s.conditions[1].reason, "ReplicaSetUpdated");
  EXPECT_EQ(s.conditions[1].last_update_ms, 30);
  EXPECT_EQ(s.conditions[1].last_transition_ms, 10);
  // New status: both times move.
  SetCondition(s, {"Progressing", "False", "ProgressDeadlineExceeded", "d", 40, 40});
  EXPECT_EQ(FindCondition(s, "Progressing")->last_transition_ms, 40);
  RemoveCondition(s, "Progressing");
  EXPECT_EQ(FindCondition(s, "Progressing"), nullptr);
}

TEST(DeploymentStatusTest, CountsFromReplicaSets) {
  DeploymentView d = Web(3);
  d.generation = 4;
  ReplicaSetView old_rs;
  old_rs.name = "web-old";
  old_rs.replicas = 1;
  old_rs.status_replicas = 2;  // one Pod still to be removed
  old_rs.ready = old_rs.available = 2;
  ReplicaSetView new_rs;
  new_rs.name = "web-new";
  new_rs.replicas = 3;
  new_rs.status_replicas = 2;
  new_rs.ready = 2;
  new_rs.available = 1;
  DeploymentPlan plan;
  plan.new_rs_name = "web-new";
  plan.pass = DeploymentPlan::Pass::kSync;  // counts only, no progress judged
  DeploymentStatus s = ComputeDeploymentStatus(d, {}, {old_rs, new_rs}, plan, 5000).status;
  EXPECT_EQ(s.observed_generation, 4);
  EXPECT_EQ(s.replicas, 4);
  EXPECT_EQ(s.updated_replicas, 2);
  EXPECT_EQ(s.ready_replicas, 4);
  EXPECT_EQ(s.available_replicas, 3);
  EXPECT_EQ(s.unavailable_replicas, 1);  // spec total 4 - available 3
  const DeploymentCondition* available = FindCondition(s, kConditionAvailable);
  ASSERT_NE(available, nullptr);
  EXPECT_EQ(available->status, "True");
  EXPECT_EQ(available->message, "Deployment has minimum availability.");
  const DeploymentCondition* progressing = FindCondition(s, kConditionProgressing);
  ASSERT_NE(progressing, nullptr);
  EXPECT_EQ(progressing->reason, kReasonFoundNewReplicaSet);
  EXPECT_EQ(progressing->message, "Found new replica set \"web-new\"");

  // In a rollout pass the same counts are progress against an empty previous status.
  plan.pass = DeploymentPlan::Pass::kRollout;
  s = ComputeDeploymentStatus(d, {}, {old_rs, new_rs}, plan, 5000).status;
  EXPECT_EQ(FindCondition(s, kConditionProgressing)->reason, kReasonReplicaSetUpdated);
  EXPECT_EQ(FindCondition(s, kConditionProgressing)->message,
            "ReplicaSet \"web-new\" is progressing.");

  // Scaling down with more available than wanted: unavailable clamps at 0.
  new_rs.available = 3;
  new_rs.status_replicas = 3;
  new_rs.replicas = 2;
  old_rs.replicas = 0;
  s = ComputeDeploymentStatus(d, {}, {old_rs, new_rs}, plan, 5000).status;
  EXPECT_EQ(s.unavailable_replicas, 0);
}

TEST(DeploymentStatusTest, HashCollisionBumpsCollisionCount) {
  DeploymentPlan plan;
  plan.hash_collision = true;
  DeploymentStatus s = ComputeDeploymentStatus(Web(3), {}, {}, plan, 0).status;
  EXPECT_EQ(s.collision_count, 1);
  s = ComputeDeploymentStatus(Web(3), s, {}, plan, 0).status;
  EXPECT_EQ(s.collision_count, 2);
}

TEST(DeploymentStatusTest, FirstRolloutConditions) {
  World w(Web(3));
  w.SetTemplate("demo:v1");
  const int64_t t0 = w.now();
  ViewerResult v = w.Pass();
  ASSERT_TRUE(w.last_plan().new_rs_created);
  EXPECT_EQ(v.message,
            "Waiting for deployment \"web\" rollout to finish: 0 out of 3 new replicas "
            "have been updated...\n");
  const std::string rs = w.last_plan().new_rs_name;
  EXPECT_EQ(rs, "web-" + w.d().template_hash);
  const DeploymentCondition* p = FindCondition(w.status(), kConditionProgressing);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->reason, kReasonNewReplicaSetCreated);
  EXPECT_EQ(p->message, "Created new replica set \"" + rs + "\"");
  const DeploymentCondition* a = FindCondition(w.status(), kConditionAvailable);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->status, "False");
  EXPECT_EQ(a->reason, kReasonMinimumReplicasUnavailable);
  EXPECT_EQ(a->message, "Deployment does not have minimum availability.");

  std::vector<std::string> seen = w.RunToCompletion();
  EXPECT_EQ(seen.back(), "deployment \"web\" successfully rolled out\n");
  p = FindCondition(w.status(), kConditionProgressing);
  EXPECT_EQ(p->status, "True");
  EXPECT_EQ(p->reason, kReasonNewReplicaSetAvailable);
  EXPECT_EQ(p->message, "ReplicaSet \"" + rs + "\" has successfully progressed.");
  EXPECT_EQ(p->last_transition_ms, t0);  // True since the ReplicaSet was created
  EXPECT_EQ(p->last_update_ms, w.now());
  a = FindCondition(w.status(), kConditionAvailable);
  EXPECT_EQ(a->status, "True");
  EXPECT_EQ(a->reason, kReasonMinimumReplicasAvailable);
  EXPECT_EQ(a->last_transition_ms, w.now());

  // A resync of the finished rollout changes nothing.
  const DeploymentStatus before = w.status();
  w.Advance(60'000);
  w.Pass();
  EXPECT_EQ(w.status(), before);
  EXPECT_TRUE(w.last_plan().empty());
  EXPECT_FALSE(w.last_result().recheck_at_ms.has_value());
}

TEST(DeploymentStatusTest, RollingUpdateStaysWithinSurgeAndAvailability) {
  // 3 replicas at 25%/25%: surge 1, unavailable 0.
  World w = Settled(Web(3));
  const std::string v1 = w.d().template_hash;
  w.SetTemplate("demo:v2");
  int max_active = 0;
  int min_available = 3;
  std::vector<std::string> seen = w.RunToCompletion(100, [&] {
    max_active = std::max(max_active, w.ActivePods());
    min_available = std::min(min_available, w.AvailablePods());
  });
  EXPECT_EQ(max_active, 4);
  EXPECT_EQ(min_available, 3);
  EXPECT_TRUE(Contains(seen, "rollout to finish: 1 out of 3 new replicas have been updated..."));
  EXPECT_TRUE(Contains(seen, "rollout to finish: 2 out of 3 new replicas have been updated..."));
  EXPECT_TRUE(Contains(seen, "rollout to finish: 1 old replicas are pending termination..."));
  EXPECT_EQ(seen.back(), "deployment \"web\" successfully rolled out\n");
  EXPECT_EQ(w.Find(v1)->replicas, 0);
  EXPECT_EQ(w.Find(w.d().template_hash)->replicas, 3);
  EXPECT_EQ(w.Find(w.d().template_hash)->revision, 2);
}

TEST(DeploymentStatusTest, KubectlRolloutStatusWalk) {
  // maxSurge 1, maxUnavailable 1 passes through every message the viewer prints.
  DeploymentView d = Web(3);
  d.max_unavailable = IntOrPercent::Int(1);
  World w = Settled(d);
  w.SetTemplate("demo:v2");
  // Before the controller has seen the new generation.
  DeploymentStatus stale = w.status();
  EXPECT_EQ(RolloutStatus(w.d(), stale).message,
            "Waiting for deployment spec update to be observed...\n");
  int max_active = 0;
  int min_available = 3;
  std::vector<std::string> seen = w.RunToCompletion(100, [&] {
    max_active = std::max(max_active, w.ActivePods());
    min_available = std::min(min_available, w.AvailablePods());
  });
  const std::string prefix = "Waiting for deployment \"web\" rollout to finish: ";
  EXPECT_EQ(seen, (std::vector<std::string>{
                      prefix + "0 out of 3 new replicas have been updated...\n",
                      prefix + "1 out of 3 new replicas have been updated...\n",
                      prefix + "2 out of 3 new replicas have been updated...\n",
                      prefix + "1 old replicas are pending termination...\n",
                      prefix + "2 of 3 updated replicas are available...\n",
                      "deployment \"web\" successfully rolled out\n",
                  }));
  EXPECT_LE(max_active, 4);
  EXPECT_GE(min_available, 2);
}

TEST(DeploymentStatusTest, MaxSurgeZeroNeverExceedsReplicas) {
  DeploymentView d = Web(4);
  d.max_surge = IntOrPercent::Int(0);
  d.max_unavailable = IntOrPercent::Int(1);
  World w = Settled(d);
  w.SetTemplate("demo:v2");
  int max_active = 0;
  int min_available = 4;
  std::vector<std::string> seen = w.RunToCompletion(100, [&] {
    max_active = std::max(max_active, w.ActivePods());
    min_available = std::min(min_available, w.AvailablePods());
  });
  EXPECT_EQ(seen.back(), "deployment \"web\" successfully rolled out\n");
  EXPECT_EQ(max_active, 4);
  EXPECT_EQ(min_available, 3);
}

TEST(DeploymentStatusTest, MaxUnavailableZeroNeverDropsAvailability) {
  DeploymentView d = Web(5);
  d.max_surge = IntOrPercent::Percent(40);  // 2
  d.max_unavailable = IntOrPercent::Int(0);
  World w = Settled(d);
  w.SetTemplate("demo:v2");
  int max_active = 0;
  int min_available = 5;
  std::vector<std::string> seen = w.RunToCompletion(100, [&] {
    max_active = std::max(max_active, w.ActivePods());
    min_available = std::min(min_available, w.AvailablePods());
  });
  EXPECT_EQ(seen.back(), "deployment \"web\" successfully rolled out\n");
  EXPECT_EQ(max_active, 7);
  EXPECT_EQ(min_available, 5);
}

TEST(DeploymentStatusTest, ProgressDeadlineExceeded) {
  DeploymentView d = Web(3);
  d.progress_deadline_seconds = 10;
  World w = Settled(d);
  // Progressing has been True since the first rollout; a new rollout keeps that transition time.
  const int64_t true_since = FindCondition(w.status(), kConditionProgressing)->last_transition_ms;
  w.SetTemplate("demo:broken");
  w.Break(w.d().template_hash);
  const int64_t created_at = w.now();
  w.Pass();  // creates the new ReplicaSet
  EXPECT_EQ(FindCondition(w.status(), kConditionProgressing)->reason, kReasonNewReplicaSetCreated);
  EXPECT_EQ(FindCondition(w.status(), kConditionProgressing)->last_update_ms, created_at);
  w.Advance(1000);
  w.Pass();  // its first Pod exists: progress
  const DeploymentCondition* p = FindCondition(w.status(), kConditionProgressing);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->reason, kReasonReplicaSetUpdated);
  EXPECT_EQ(p->message, "ReplicaSet \"" + w.last_plan().new_rs_name + "\" is progressing.");
  EXPECT_EQ(p->last_transition_ms, true_since);
  const int64_t progressed_at = p->last_update_ms;
  EXPECT_EQ(progressed_at, created_at + 1000);
  ASSERT_TRUE(w.last_result().recheck_at_ms.has_value());
  const int64_t deadline = *w.last_result().recheck_at_ms;
  EXPECT_EQ(deadline, progressed_at + 10'001);

  // Exactly at the deadline: not yet (Kubernetes compares with Before).
  w.Advance(deadline - 1 - w.now());
  EXPECT_EQ(w.Pass().error, "");
  EXPECT_EQ(FindCondition(w.status(), kConditionProgressing)->reason, kReasonReplicaSetUpdated);
  w.Advance(1);
  ViewerResult v = w.Pass();
  EXPECT_EQ(v.error, "deployment \"web\" exceeded its progress deadline");
  p = FindCondition(w.status(), kConditionProgressing);
  EXPECT_EQ(p->status, "False");
  EXPECT_EQ(p->reason, kReasonProgressDeadlineExceeded);
  EXPECT_EQ(p->message,
            "ReplicaSet \"" + w.last_plan().new_rs_name + "\" has timed out progressing.");
  EXPECT_EQ(p->last_transition_ms, deadline);
  EXPECT_FALSE(w.last_result().recheck_at_ms.has_value());
  // The old Pods keep serving.
  EXPECT_EQ(FindCondition(w.status(), kConditionAvailable)->status, "True");
  EXPECT_EQ(w.AvailablePods(), 3);
}

TEST(DeploymentStatusTest, MinReadySecondsDelaysAvailability) {
  DeploymentView d = Web(3);
  d.min_ready_seconds = 5;
  World w(d);
  w.SetTemplate("demo:v1");
  w.Pass();
  w.Advance(3000);  // Pods ready (2.5 s) but not for 5 s yet
  ViewerResult v = w.Pass();
  EXPECT_EQ(w.status().ready_replicas, 3);
  EXPECT_EQ(w.status().available_replicas, 0);
  EXPECT_EQ(v.message,
            "Waiting for deployment \"web\" rollout to finish: 0 of 3 updated replicas are "
            "available...\n");
  EXPECT_EQ(FindCondition(w.status(), kConditionAvailable)->status, "False");

  // The ReplicaSet's recheck time is the first instant they count.
  std::vector<PodView> pods(1);
  pods[0].ready = true;
  pods[0].phase = PodPhase::kRunning;
  pods[0].ready_since_ms = w.now() - 500;
  ReplicaSetStatus rs = ComputeReplicaSetStatus(pods, 5, w.now());
  ASSERT_TRUE(rs.recheck_at_ms.has_value());
  w.Advance(*rs.recheck_at_ms - 1 - w.now());
  w.Pass();
  EXPECT_EQ(w.status().available_replicas, 0);
  w.Advance(1);
  v = w.Pass();
  EXPECT_EQ(w.status().available_replicas, 3);
  EXPECT_TRUE(v.done);
}

TEST(DeploymentStatusTest, ScaleUpMidRollout) {
  World w = Settled(Web(4));  // surge 1, unavailable 1
  w.SetTemplate("demo:v2");
  w.Pass();
  w.Advance(1000);
  w.Pass();
  w.d().replicas = 8;  // surge 2, unavailable 2
  ++w.d().generation;
  int max_active = 0;
  std::vector<std::string> seen =
      w.RunToCompletion(100, [&] { max_active = std::max(max_active, w.ActivePods()); });
  EXPECT_EQ(seen.back(), "deployment \"web\" successfully rolled out\n");
  EXPECT_LE(max_active, 10);
  EXPECT_EQ(w.Find(w.d().template_hash)->replicas, 8);
  EXPECT_EQ(w.status().available_replicas, 8);
  EXPECT_EQ(w.ActivePods(), 8);
}

TEST(DeploymentStatusTest, ScaleDownMidRollout) {
  World w = Settled(Web(6));
  w.SetTemplate("demo:v2");
  w.Pass();
  w.Advance(1000);
  w.Pass();
  w.d().replicas = 2;
  ++w.d().generation;
  std::vector<std::string> seen = w.RunToCompletion();
  EXPECT_EQ(seen.back(), "deployment \"web\" successfully rolled out\n");
  EXPECT_EQ(w.Find(w.d().template_hash)->replicas, 2);
  EXPECT_EQ(w.ActivePods(), 2);
}

TEST(DeploymentStatusTest, KubectlScaleAfterRollout) {
  World w = Settled(Web(2));
  w.d().replicas = 5;
  ++w.d().generation;
  std::vector<std::string> seen = w.RunToCompletion();
  EXPECT_EQ(seen.back(), "deployment \"web\" successfully rolled out\n");
  EXPECT_EQ(w.rss().size(), 1u);
  EXPECT_EQ(w.rss()[0].replicas, 5);
  EXPECT_EQ(w.rss()[0].desired_replicas_annotation, 5);
}

TEST(DeploymentStatusTest, RevertToTheOldTemplateMidRollout) {
  World w = Settled(Web(3));
  const std::string v1 = w.d().template_hash;
  w.SetTemplate("demo:broken");
  const std::string v2 = w.d().template_hash;
  w.Break(v2);
  for (int i = 0; i < 3; ++i) {
    w.Pass();
    w.Advance(1000);
  }
  EXPECT_EQ(w.Find(v2)->replicas, 1);
  EXPECT_EQ(w.last_plan().revision, 2);

  w.SetTemplate("demo:v1");  // kubectl rollout undo
  ASSERT_EQ(w.d().template_hash, v1);
  std::vector<std::string> seen = w.RunToCompletion();
  EXPECT_EQ(seen.back(), "deployment \"web\" successfully rolled out\n");
  EXPECT_EQ(w.Find(v1)->revision, 3);
  EXPECT_EQ(w.Find(v1)->revision_history, std::vector<int64_t>{1});
  EXPECT_EQ(w.Find(v1)->replicas, 3);
  EXPECT_EQ(w.Find(v2)->replicas, 0);
  EXPECT_EQ(w.last_plan().revision, 3);
  // "Rolled out" does not wait for the old Pod's process to exit; it is gone after its grace.
  w.Advance(w.grace_ms);
  w.Pass();
  EXPECT_EQ(w.LivePods("web-" + v2), 0);
}

TEST(DeploymentStatusTest, HistoryLimitKeepsTheNewestOldReplicaSets) {
  DeploymentView d = Web(2);
  d.revision_history_limit = 1;
  World w = Settled(d);
  for (const char* image : {"demo:v2", "demo:v3", "demo:v4"}) {
    w.SetTemplate(image);
    EXPECT_EQ(w.RunToCompletion().back(), "deployment \"web\" successfully rolled out\n");
    w.Advance(5000);
    w.Pass();  // the pass after completion cleans up once the old Pods are gone
  }
  ASSERT_EQ(w.rss().size(), 2u);
  std::vector<int64_t> revisions;
  for (const ReplicaSetView& rs : w.rss()) revisions.push_back(rs.revision);
  std::sort(revisions.begin(), revisions.end());
  EXPECT_EQ(revisions, (std::vector<int64_t>{3, 4}));
}

TEST(DeploymentStatusTest, RecreateNeverRunsOldAndNewTogether) {
  DeploymentView d = Web(3);
  d.strategy = DeploymentStrategy::kRecreate;
  World w = Settled(d);
  const std::string v1 = "web-" + w.d().template_hash;
  w.SetTemplate("demo:v2");
  const std::string v2 = "web-" + w.d().template_hash;
  bool overlap = false;
  bool saw_unavailable = false;
  std::vector<std::string> seen = w.RunToCompletion(100, [&] {
    overlap |= w.LivePods(v1) > 0 && w.LivePods(v2) > 0;
    saw_unavailable |= FindCondition(w.status(), kConditionAvailable)->status == "False";
  });
  EXPECT_EQ(seen.back(), "deployment \"web\" successfully rolled out\n");
  EXPECT_FALSE(overlap);
  EXPECT_TRUE(saw_unavailable);  // Recreate allows no unavailability budget
  EXPECT_EQ(w.ActivePods(), 3);
}

TEST(DeploymentStatusTest, PauseAndResume) {
  DeploymentView d = Web(3);
  d.progress_deadline_seconds = 10;
  World w = Settled(d);
  w.SetTemplate("demo:v2");
  w.Pass();
  w.Advance(1000);
  w.d().paused = true;
  w.Pass();
  const DeploymentCondition* p = FindCondition(w.status(), kConditionProgressing);
  EXPECT_EQ(p->status, "Unknown");
  EXPECT_EQ(p->reason, kReasonDeploymentPaused);
  EXPECT_EQ(p->message, "Deployment is paused");
  const int new_replicas = w.Find(w.d().template_hash)->replicas;
  // A long pause neither progresses nor times out.
  for (int i = 0; i < 30; ++i) {
    w.Advance(1000);
    w.Pass();
    EXPECT_EQ(w.last_plan().pass, DeploymentPlan::Pass::kSync);
  }
  EXPECT_EQ(w.Find(w.d().template_hash)->replicas, new_replicas);
  EXPECT_EQ(FindCondition(w.status(), kConditionProgressing)->reason, kReasonDeploymentPaused);

  w.d().paused = false;
  w.Advance(1000);
  const int64_t resumed_at = w.now();
  w.Pass();
  p = FindCondition(w.status(), kConditionProgressing);
  // Resuming restarts the deadline clock: the progress deadline counts from here.
  EXPECT_EQ(p->status, "Unknown");
  EXPECT_EQ(p->reason, kReasonDeploymentResumed);
  EXPECT_EQ(p->message, "Deployment is resumed");
  EXPECT_EQ(p->last_update_ms, resumed_at);
  ASSERT_TRUE(w.last_result().recheck_at_ms.has_value());
  EXPECT_EQ(*w.last_result().recheck_at_ms, resumed_at + 10'001);
  // The next progress turns it True, and Unknown -> True moves the transition time.
  for (int i = 0; i < 10 && FindCondition(w.status(), kConditionProgressing)->status != "True";
       ++i) {
    w.Advance(1000);
    w.Pass();
  }
  p = FindCondition(w.status(), kConditionProgressing);
  EXPECT_EQ(p->status, "True");
  EXPECT_GT(p->last_transition_ms, resumed_at);
  EXPECT_EQ(w.RunToCompletion().back(), "deployment \"web\" successfully rolled out\n");
}

}  // namespace
}  // namespace canaryd::workload

#include "workload/deployment_plan.h"

#include <gtest/gtest.h>

namespace canaryd::workload {
namespace {

DeploymentView Deployment(int replicas, std::string hash = "v2hash") {
  DeploymentView d;
  d.name = "web";
  d.replicas = replicas;
  d.template_hash = std::move(hash);
  return d;
}

// A ReplicaSet whose Pods are all up: spec == status == ready == available.
ReplicaSetView Settled(std::string name, int64_t revision, int replicas, int desired,
                       bool current = false) {
  ReplicaSetView rs;
  rs.name = std::move(name);
  rs.template_hash = rs.name.substr(rs.name.rfind('-') + 1);
  rs.revision = revision;
  rs.replicas = rs.status_replicas = rs.ready = rs.available = rs.live_pods = replicas;
  rs.created_ms = revision * 1000;
  rs.matches_template = current;
  rs.desired_replicas_annotation = desired;
  rs.max_replicas_annotation = desired + 1;
  return rs;
}

TEST(DeploymentPlanTest, FencepostRounding) {
  auto pct = IntOrPercent::Percent;
  // 25% of 3: surge rounds up to 1, unavailable rounds down to 0.
  Fenceposts f = ResolveFenceposts(pct(25), pct(25), 3);
  EXPECT_EQ(f.max_surge, 1);
  EXPECT_EQ(f.max_unavailable, 0);
  f = ResolveFenceposts(pct(25), pct(25), 4);
  EXPECT_EQ(f.max_surge, 1);
  EXPECT_EQ(f.max_unavailable, 1);
  f = ResolveFenceposts(pct(50), pct(50), 5);
  EXPECT_EQ(f.max_surge, 3);
  EXPECT_EQ(f.max_unavailable, 2);
  // Both 0 would deadlock, so unavailable becomes 1.
  f = ResolveFenceposts(IntOrPercent::Int(0), pct(0), 10);
  EXPECT_EQ(f.max_surge, 0);
  EXPECT_EQ(f.max_unavailable, 1);
  f = ResolveFenceposts(pct(1), pct(1), 10);  // 0.1 up and 0.1 down
  EXPECT_EQ(f.max_surge, 1);
  EXPECT_EQ(f.max_unavailable, 0);

  DeploymentView d = Deployment(3);
  d.max_unavailable = IntOrPercent::Int(10);
  EXPECT_EQ(MaxUnavailable(d), 3);  // never more than replicas
  d.replicas = 0;
  EXPECT_EQ(MaxUnavailable(d), 0);
  d.replicas = 3;
  d.strategy = DeploymentStrategy::kRecreate;
  EXPECT_EQ(MaxUnavailable(d), 0);
  EXPECT_EQ(MaxSurge(d), 0);
}

TEST(DeploymentPlanTest, IntOrPercentParse) {
  EXPECT_EQ(*IntOrPercent::Parse("25%"), IntOrPercent::Percent(25));
  EXPECT_EQ(*IntOrPercent::Parse("3"), IntOrPercent::Int(3));
  EXPECT_FALSE(IntOrPercent::Parse("").ok());
  EXPECT_FALSE(IntOrPercent::Parse("-1").ok());
  EXPECT_FALSE(IntOrPercent::Parse("x%").ok());
  EXPECT_EQ(IntOrPercent::Percent(25).ToString(), "25%");
}

TEST(DeploymentPlanTest, FirstRolloutCreatesFullSizeReplicaSet) {
  DeploymentPlan plan = PlanDeployment(Deployment(3, "5d4f8c7b9"), {});
  ASSERT_TRUE(plan.create.has_value());
  EXPECT_EQ(plan.create->name, "web-5d4f8c7b9");
  EXPECT_EQ(plan.create->replicas, 3);
  EXPECT_EQ(plan.create->revision, 1);
  EXPECT_EQ(plan.create->desired_replicas_annotation, 3);
  EXPECT_EQ(plan.create->max_replicas_annotation, 4);
  EXPECT_TRUE(plan.new_rs_created);
  EXPECT_EQ(plan.revision, 1);
  EXPECT_EQ(plan.pass, DeploymentPlan::Pass::kRollout);
  EXPECT_TRUE(plan.scales.empty());
}

TEST(DeploymentPlanTest, TemplateChangeSurgesOneWhenUnavailableIsZero) {
  // 3 replicas at 25%/25%: surge 1, unavailable 0.
  DeploymentPlan plan = PlanDeployment(Deployment(3), {Settled("web-v1hash", 1, 3, 3)});
  ASSERT_TRUE(plan.create.has_value());
  EXPECT_EQ(plan.create->name, "web-v2hash");
  EXPECT_EQ(plan.create->replicas, 1);
  EXPECT_EQ(plan.create->revision, 2);
  EXPECT_TRUE(plan.scales.empty());  // old Pods stay until a new one is available
}

TEST(DeploymentPlanTest, MaxSurgeZeroScalesDownFirst) {
  DeploymentView d = Deployment(3);
  d.max_surge = IntOrPercent::Int(0);
  d.max_unavailable = IntOrPercent::Int(1);
  DeploymentPlan plan = PlanDeployment(d, {Settled("web-v1hash", 1, 3, 3)});
  ASSERT_TRUE(plan.create.has_value());
  EXPECT_EQ(plan.create->replicas, 0);
  // Created and scaled down in the same pass, as Kubernetes does.
  ASSERT_EQ(plan.scales.size(), 1u);
  EXPECT_EQ(plan.scales[0], (ScaleAction{"web-v1hash", 2, 3, 3}));

  // Next pass: room for one new Pod.
  std::vector<ReplicaSetView> rss =
      ApplyDeploymentPlan({Settled("web-v1hash", 1, 3, 3)}, plan, 9000);
  rss[0].status_replicas = rss[0].ready = rss[0].available = 2;
  plan = PlanDeployment(d, rss);
  EXPECT_FALSE(plan.create.has_value());
  ASSERT_EQ(plan.scales.size(), 1u);
  EXPECT_EQ(plan.scales[0].rs_name, "web-v2hash");
  EXPECT_EQ(plan.scales[0].replicas, 1);
}

TEST(DeploymentPlanTest, MaxUnavailableZeroWaitsForNewAvailability) {
  DeploymentView d = Deployment(3);
  d.max_surge = IntOrPercent::Int(1);
  d.max_unavailable = IntOrPercent::Int(0);
  ReplicaSetView old_rs = Settled("web-v1hash", 1, 3, 3);
  ReplicaSetView new_rs = Settled("web-v2hash", 2, 1, 3, true);
  new_rs.ready = new_rs.available = 0;
  DeploymentPlan plan = PlanDeployment(d, {old_rs, new_rs});
  EXPECT_TRUE(plan.empty());

  new_rs.ready = new_rs.available = 1;
  plan = PlanDeployment(d, {old_rs, new_rs});
  ASSERT_EQ(plan.scales.size(), 1u);
  EXPECT_EQ(plan.scales[0].rs_name, "web-v1hash");
  EXPECT_EQ(plan.scales[0].replicas, 2);
}

TEST(DeploymentPlanTest, UnhealthyOldReplicasAreCleanedUpFirst) {
  // 4 replicas: surge 1, unavailable 1. Two old Pods crash-loop.
  DeploymentView d = Deployment(4);
  ReplicaSetView old_rs = Settled("web-v1hash", 1, 4, 4);
  old_rs.ready = old_rs.available = 2;
  ReplicaSetView new_rs = Settled("web-v2hash", 2, 1, 4, true);
  new_rs.ready = new_rs.available = 0;
  DeploymentPlan plan = PlanDeployment(d, {old_rs, new_rs});
  // maxScaledDown = 5 - 3 - 1 = 1: one unhealthy old replica goes; the healthy ones stay since
  // only 2 < minAvailable 3 are available.
  ASSERT_EQ(plan.scales.size(), 1u);
  EXPECT_EQ(plan.scales[0], (ScaleAction{"web-v1hash", 3, 4, 5}));
}

TEST(DeploymentPlanTest, SeveralOldReplicaSetsScaleDownOldestFirst) {
  DeploymentView d = Deployment(4);
  d.max_unavailable = IntOrPercent::Int(2);
  ReplicaSetView v1 = Settled("web-v1hash", 1, 2, 4);
  ReplicaSetView v2 = Settled("web-v2hash", 2, 2, 4);
  ReplicaSetView v3 = Settled("web-v3hash", 3, 1, 4, true);
  v3.available = v3.ready = 1;
  d.template_hash = "v3hash";
  DeploymentPlan plan = PlanDeployment(d, {v2, v3, v1});
  // Total 5 = replicas + surge, so no scale-up; available 5 - minAvailable 2 = 3 may go: all of
  // v1 (oldest) and one of v2.
  ASSERT_EQ(plan.scales.size(), 2u);
  EXPECT_EQ(plan.scales[0].rs_name, "web-v1hash");
  EXPECT_EQ(plan.scales[0].replicas, 0);
  EXPECT_EQ(plan.scales[1].rs_name, "web-v2hash");
  EXPECT_EQ(plan.scales[1].replicas, 1);
}

TEST(DeploymentPlanTest, RevertMakesTheOldReplicaSetNewWithTheNextRevision) {
  // Rolled out v2 (revision 2); the template goes back to v1's.
  DeploymentView d = Deployment(3, "v1hash");
  ReplicaSetView v1 = Settled("web-v1hash", 1, 0, 3, true);
  ReplicaSetView v2 = Settled("web-v2hash", 2, 3, 3);
  DeploymentPlan plan = PlanDeployment(d, {v1, v2});
  EXPECT_FALSE(plan.create.has_value());
  EXPECT_EQ(plan.new_rs_name, "web-v1hash");
  ASSERT_TRUE(plan.update_new.has_value());
  EXPECT_EQ(plan.update_new->revision, 3);
  EXPECT_EQ(plan.update_new->revision_history, std::vector<int64_t>{1});
  EXPECT_EQ(plan.revision, 3);
  ASSERT_EQ(plan.scales.size(), 1u);
  EXPECT_EQ(plan.scales[0].rs_name, "web-v1hash");
  EXPECT_EQ(plan.scales[0].replicas, 1);

  // Once applied, the revision is stable: no further update.
  std::vector<ReplicaSetView> rss = ApplyDeploymentPlan({v1, v2}, plan, 5000);
  DeploymentPlan again = PlanDeployment(d, rss);
  EXPECT_FALSE(again.update_new.has_value());
  EXPECT_EQ(again.revision, 3);
}

TEST(DeploymentPlanTest, OldestMatchingReplicaSetIsTheNewOne) {
  DeploymentView d = Deployment(2, "v1hash");
  ReplicaSetView a = Settled("web-v1hash", 1, 2, 2, true);
  ReplicaSetView b = Settled("web-v1dup", 2, 0, 2, true);
  DeploymentPlan plan = PlanDeployment(d, {b, a});
  EXPECT_EQ(plan.new_rs_name, "web-v1hash");
}

TEST(DeploymentPlanTest, HistoryLimitDeletesEmptyOldReplicaSetsLowestRevisionFirst) {
  DeploymentView d = Deployment(2, "v6hash");
  d.revision_history_limit = 2;
  std::vector<ReplicaSetView> rss;
  for (int r = 1; r <= 5; ++r)
    rss.push_back(Settled("web-v" + std::to_string(r) + "hash", r, 0, 2));
  rss.push_back(Settled("web-v6hash", 6, 2, 2, true));
  DeploymentPlan plan = PlanDeployment(d, rss);
  EXPECT_TRUE(plan.scales.empty());
  EXPECT_EQ(plan.deletes, (std::vector<std::string>{"web-v1hash", "web-v2hash", "web-v3hash"}));

  // An old ReplicaSet whose status has not caught up is skipped, not replaced by the next one.
  rss[1].status_observed = false;
  plan = PlanDeployment(d, rss);
  EXPECT_EQ(plan.deletes, (std::vector<std::string>{"web-v1hash", "web-v3hash"}));

  // No cleanup while the rollout is incomplete.
  rss[5].available = 1;
  EXPECT_TRUE(PlanDeployment(d, rss).deletes.empty());

  // No limit: keep everything.
  rss[5].available = 2;
  d.revision_history_limit.reset();
  EXPECT_TRUE(PlanDeployment(d, rss).deletes.empty());
}

TEST(DeploymentPlanTest, HashCollisionStopsThePass) {
  ReplicaSetView squatter = Settled("web-v2hash", 1, 3, 3);  // same name, other template
  DeploymentPlan plan = PlanDeployment(Deployment(3), {squatter});
  EXPECT_TRUE(plan.hash_collision);
  EXPECT_TRUE(plan.empty());
}

TEST(DeploymentPlanTest, PausedMakesNoRolloutProgress) {
  DeploymentView d = Deployment(3);
  d.paused = true;
  DeploymentPlan plan = PlanDeployment(d, {Settled("web-v1hash", 1, 3, 3)});
  EXPECT_EQ(plan.pass, DeploymentPlan::Pass::kSync);
  EXPECT_TRUE(plan.empty());  // the new template waits for resume
  EXPECT_TRUE(plan.new_rs_name.empty());

  // Scaling still applies.
  d.replicas = 5;
  plan = PlanDeployment(d, {Settled("web-v1hash", 1, 3, 3)});
  ASSERT_EQ(plan.scales.size(), 1u);
  EXPECT_EQ(plan.scales[0], (ScaleAction{"web-v1hash", 5, 5, 7}));
}

TEST(DeploymentPlanTest, KubectlScaleWithoutRolloutFollowsOnTheNewReplicaSet) {
  DeploymentView d = Deployment(5, "v1hash");
  DeploymentPlan plan = PlanDeployment(d, {Settled("web-v1hash", 1, 3, 3, true)});
  EXPECT_EQ(plan.pass, DeploymentPlan::Pass::kSync);  // a scaling event
  ASSERT_EQ(plan.scales.size(), 1u);
  EXPECT_EQ(plan.scales[0], (ScaleAction{"web-v1hash", 5, 5, 7}));

  d.replicas = 1;
  plan = PlanDeployment(d, {Settled("web-v1hash", 1, 3, 3, true)});
  ASSERT_EQ(plan.scales.size(), 1u);
  EXPECT_EQ(plan.scales[0].replicas, 1);

  // Steady state: nothing to do.
  d.replicas = 3;
  EXPECT_TRUE(PlanDeployment(d, {Settled("web-v1hash", 1, 3, 3, true)}).empty());
}

TEST(DeploymentPlanTest, ProportionalScalingMidRollout) {
  // The example of the Kubernetes documentation: 10 replicas, maxSurge 3, maxUnavailable 2, a
  // rollout stuck at old 8 / new 5; scaling to 15 adds 3 to the old and 2 to the new.
  DeploymentView d = Deployment(15);
  d.max_surge = IntOrPercent::Int(3);
  d.max_unavailable = IntOrPercent::Int(2);
  ReplicaSetView old_rs = Settled("web-v1hash", 1, 8, 10);
  old_rs.max_replicas_annotation = 13;
  ReplicaSetView new_rs = Settled("web-v2hash", 2, 5, 10, true);
  new_rs.max_replicas_annotation = 13;
  new_rs.ready = new_rs.available = 0;
  DeploymentPlan plan = PlanDeployment(d, {old_rs, new_rs});
  EXPECT_EQ(plan.pass, DeploymentPlan::Pass::kSync);
  ASSERT_EQ(plan.scales.size(), 2u);
  EXPECT_EQ(plan.scales[0], (ScaleAction{"web-v1hash", 11, 15, 18}));
  EXPECT_EQ(plan.scales[1], (ScaleAction{"web-v2hash", 7, 15, 18}));

  // And back down to 10: 18 -> 13 removes 5, the larger (older on ties) first.
  std::vector<ReplicaSetView> rss = ApplyDeploymentPlan({old_rs, new_rs}, plan, 0);
  d.replicas = 10;
  plan = PlanDeployment(d, rss);
  ASSERT_EQ(plan.scales.size(), 2u);
  EXPECT_EQ(plan.scales[0], (ScaleAction{"web-v1hash", 8, 10, 13}));
  EXPECT_EQ(plan.scales[1], (ScaleAction{"web-v2hash", 5, 10, 13}));
}

TEST(DeploymentPlanTest, SaturatedNewReplicaSetRemovesTheOld) {
  DeploymentView d = Deployment(3, "v2hash");
  ReplicaSetView old_rs = Settled("web-v1hash", 1, 1, 2);  // annotated for 2: a scaling event
  ReplicaSetView new_rs = Settled("web-v2hash", 2, 3, 3, true);
  DeploymentPlan plan = PlanDeployment(d, {old_rs, new_rs});
  EXPECT_EQ(plan.pass, DeploymentPlan::Pass::kSync);
  ASSERT_EQ(plan.scales.size(), 1u);
  EXPECT_EQ(plan.scales[0].rs_name, "web-v1hash");
  EXPECT_EQ(plan.scales[0].replicas, 0);
}

TEST(DeploymentPlanTest, RecreateScalesDownWaitsThenCreates) {
  DeploymentView d = Deployment(3);
  d.strategy = DeploymentStrategy::kRecreate;
  ReplicaSetView old_rs = Settled("web-v1hash", 1, 3, 3);
  DeploymentPlan plan = PlanDeployment(d, {old_rs});
  EXPECT_FALSE(plan.create.has_value());
  ASSERT_EQ(plan.scales.size(), 1u);
  EXPECT_EQ(plan.scales[0], (ScaleAction{"web-v1hash", 0, 3, 3}));

  old_rs.replicas = 0;  // written, but its Pods are still there
  EXPECT_TRUE(PlanDeployment(d, {old_rs}).empty());
  old_rs.status_replicas = old_rs.ready = old_rs.available = 0;  // terminating, still exiting
  EXPECT_TRUE(PlanDeployment(d, {old_rs}).empty());
  old_rs.live_pods = 0;
  plan = PlanDeployment(d, {old_rs});
  ASSERT_TRUE(plan.create.has_value());
  EXPECT_EQ(plan.create->replicas, 3);
  EXPECT_EQ(plan.create->max_replicas_annotation, 3);
}

TEST(DeploymentPlanTest, MinReadySecondsIsCopiedToTheNewReplicaSet) {
  DeploymentView d = Deployment(3, "v1hash");
  d.min_ready_seconds = 5;
  DeploymentPlan plan = PlanDeployment(d, {Settled("web-v1hash", 1, 3, 3, true)});
  ASSERT_TRUE(plan.update_new.has_value());
  EXPECT_EQ(plan.update_new->min_ready_seconds, 5);
  EXPECT_EQ(plan.update_new->revision, 1);
}

}  // namespace
}  // namespace canaryd::workload

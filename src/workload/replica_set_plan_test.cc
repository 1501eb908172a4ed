#include "workload/replica_set_plan.h"

#include <gtest/gtest.h>

namespace canaryd::workload {
namespace {

constexpr int64_t kNow = 10'000'000;

PodView Running(std::string name, int64_t created, int64_t ready_since = 0) {
  PodView p;
  p.name = std::move(name);
  p.phase = PodPhase::kRunning;
  p.created_ms = created;
  p.ready = ready_since != 0;
  p.ready_since_ms = ready_since;
  return p;
}

std::vector<std::string> Names(const std::vector<PodView>& pods) {
  std::vector<std::string> out;
  for (const PodView& p : pods) out.push_back(p.name);
  return out;
}

TEST(ReplicaSetPlanTest, CreatesTheMissingPods) {
  std::vector<PodView> pods = {Running("a", 1, 2)};
  ReplicaSetPlan plan = PlanReplicaSet(3, pods);
  EXPECT_EQ(plan.create, 2);
  EXPECT_TRUE(plan.delete_pods.empty());
  EXPECT_EQ(PlanReplicaSet(1, pods).create, 0);
  EXPECT_EQ(PlanReplicaSet(1000, {}).create, kBurstReplicas);
}

TEST(ReplicaSetPlanTest, TerminatingAndFinishedPodsDoNotCount) {
  PodView terminating = Running("t", 1, 2);
  terminating.terminating = true;
  PodView failed = Running("f", 1);
  failed.phase = PodPhase::kFailed;
  PodView done = Running("s", 1);
  done.phase = PodPhase::kSucceeded;
  std::vector<PodView> pods = {terminating, failed, done, Running("a", 1, 2)};
  EXPECT_EQ(PlanReplicaSet(2, pods).create, 1);
  // Scaling down never picks a Pod that is already going away.
  EXPECT_EQ(PlanReplicaSet(0, pods).delete_pods, std::vector<std::string>{"a"});
}

TEST(ReplicaSetPlanTest, DeletionRanking) {
  PodView unscheduled = Running("unscheduled", 50, 60);
  unscheduled.scheduled = false;
  unscheduled.phase = PodPhase::kPending;
  PodView pending = Running("pending", 50);
  pending.phase = PodPhase::kPending;
  PodView unknown = Running("unknown", 50);
  unknown.phase = PodPhase::kUnknown;
  PodView not_ready = Running("not-ready", 50);
  PodView ready_recent = Running("ready-recent", 10, 900);
  PodView ready_long = Running("ready-long", 10, 100);
  PodView restarty = Running("restarty", 10, 100);
  restarty.restarts = 3;
  PodView old_ready = Running("old-ready", 5, 100);
  PodView new_ready = Running("new-ready", 8, 100);

  std::vector<PodView> pods = {old_ready, ready_long, new_ready, restarty,   ready_recent,
                               not_ready, unknown,    pending,   unscheduled};
  EXPECT_EQ(
      Names(RankPodsForDeletion(pods)),
      (std::vector<std::string>{"unscheduled", "pending", "unknown", "not-ready", "ready-recent",
                                "restarty", "ready-long", "new-ready", "old-ready"}));

  ReplicaSetPlan plan = PlanReplicaSet(6, pods);
  EXPECT_EQ(plan.delete_pods, (std::vector<std::string>{"unscheduled", "pending", "unknown"}));
}

TEST(ReplicaSetPlanTest, DeletionCostAndZeroTimes) {
  PodView cheap = Running("cheap", 10, 100);
  cheap.deletion_cost = -5;
  PodView normal = Running("normal", 20, 900);
  EXPECT_TRUE(PodDeletesBefore(cheap, normal));
  // The zero creation time reads as the newest.
  PodView zero = Running("zero", 0);
  PodView dated = Running("dated", 100);
  EXPECT_TRUE(PodDeletesBefore(zero, dated));
  EXPECT_FALSE(PodDeletesBefore(dated, zero));
  EXPECT_FALSE(PodDeletesBefore(dated, dated));
}

TEST(ReplicaSetPlanTest, LogarithmicScaleDownBucketsSimilarAges) {
  // 1001 s and 1000 s old fall in the same log2 bucket, so the name decides; 10 s old is younger.
  PodView a = Running("a", kNow - 1'001'000);
  PodView b = Running("b", kNow - 1'000'000);
  PodView young = Running("young", kNow - 10'000);
  DeletionRankOptions log{true, kNow};
  EXPECT_TRUE(PodDeletesBefore(a, b, log));
  EXPECT_FALSE(PodDeletesBefore(b, a, log));
  // Plain ordering: b is newer, so b goes first.
  EXPECT_TRUE(PodDeletesBefore(b, a));
  EXPECT_TRUE(PodDeletesBefore(young, a, log));
}

TEST(ReplicaSetPlanTest, StatusCountsActivePodsAndMinReadySeconds) {
  PodView unlabeled = Running("u", 1, kNow - 1000);
  unlabeled.labels_match_template = false;
  PodView terminating = Running("t", 1, kNow - 100'000);
  terminating.terminating = true;
  std::vector<PodView> pods = {Running("long", 1, kNow - 20'000), Running("short", 1, kNow - 3000),
                               Running("starting", 1), unlabeled, terminating};
  ReplicaSetStatus s = ComputeReplicaSetStatus(pods, 10, kNow);
  EXPECT_EQ(s.replicas, 4);
  EXPECT_EQ(s.fully_labeled_replicas, 3);
  EXPECT_EQ(s.ready_replicas, 3);
  EXPECT_EQ(s.available_replicas, 1);
  // "short" has been ready for 3 s, so it becomes available first: 7 s + 1 ms from now.
  ASSERT_TRUE(s.recheck_at_ms.has_value());
  EXPECT_EQ(*s.recheck_at_ms, kNow - 3000 + 10'000 + 1);

  // Availability needs strictly more than minReadySeconds.
  EXPECT_FALSE(IsPodAvailable(pods[0], 20, kNow));
  EXPECT_TRUE(IsPodAvailable(pods[0], 20, kNow + 1));
  EXPECT_TRUE(IsPodAvailable(pods[1], 0, kNow));

  ReplicaSetStatus later = ComputeReplicaSetStatus(pods, 10, *s.recheck_at_ms);
  EXPECT_EQ(later.available_replicas, 2);

  ReplicaSetStatus no_min = ComputeReplicaSetStatus(pods, 0, kNow);
  EXPECT_EQ(no_min.available_replicas, 3);
  EXPECT_FALSE(no_min.recheck_at_ms.has_value());
}

}  // namespace
}  // namespace canaryd::workload

// The phase machine with a fake clock, fake checks and fake webhook gates: every transition,
// threshold counting, holds and the deadline, provider errors, critical metrics, the
// sequential test, gates, manual operations, outside edits, and a restart (the status through
// its JSON) between any two ticks.
#include "rollout/decide.h"
#include "rollout/target_workload.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <set>

namespace canaryd::rollout {
namespace {

constexpr int64_t kStart = 1'800'000'000'000;  // ms
constexpr int64_t kSec = 1000;

CanaryPlan BasePlan() {
  config::CanarySpec spec;
  spec.virtual_service = "web";
  spec.stable.emplace().host = "web-v1-service";
  spec.canary.emplace().host = "web-v2-service";
  spec.analysis.interval = config::Duration{10 * 1'000'000'000LL, "10s"};
  spec.analysis.threshold = 3;
  spec.analysis.step_weight = 10;
  spec.analysis.max_weight = 30;
  return MakePlan(spec, "default", "web");
}

CheckRecord Pass(std::string name = "request-success-rate") {
  CheckRecord r;
  r.name = std::move(name);
  r.result = CheckResult::kPass;
  r.message = r.name + " 99.9% within min 99";
  return r;
}
CheckRecord Fail(std::string name = "request-success-rate") {
  CheckRecord r;
  r.name = std::move(name);
  r.result = CheckResult::kFail;
  r.message = r.name + " 90% < 99%";
  return r;
}
CheckRecord Hold() {
  CheckRecord r;
  r.name = "minRequests";
  r.result = CheckResult::kHold;
  r.message = "holding: 12 of 100 canary requests in 10s";
  return r;
}
CheckRecord Error() {
  CheckRecord r;
  r.name = "custom";
  r.result = CheckResult::kError;
  r.message = "custom: provider error: connection refused";
  return r;
}

// Drives Decide tick by tick as the controller does, with a VirtualService that takes every
// weight write (unless told not to), checks from `checks` and gates from `gates`.
class Sim {
 public:
  explicit Sim(CanaryPlan plan) : plan(std::move(plan)) {}

  CanaryPlan plan;
  std::string revision = "rev1";
  CanaryStatus status;
  int64_t now = kStart;
  int stable_weight = 100, canary_weight = 0;
  int64_t applied_seq = 0;
  std::string vs_rv = "1";
  bool route_ok = true;
  bool writes_land = true;
  bool restart_between_ticks = false;
  bool abort = false, promote = false;
  std::function<std::vector<CheckRecord>()> checks = [] { return std::vector{Pass()}; };
  std::function<GateOutcome(const std::string&)> gates = [](const std::string&) {
    return GateOutcome{true, false, ""};
  };
  std::optional<std::string> rollback;
  std::vector<EventRecord> events;
  std::vector<std::string> notified;
  std::vector<std::string> gates_asked;
  int checks_run = 0;
  Decision last;
  // With plan.target: what the workloads look like this tick, and what the controller does
  // with the decided status (the level-triggered part of target_workload.h).
  std::function<WorkloadObservation()> workload;
  std::function<void(const CanaryStatus&)> after;

  Decision Tick() {
    if (restart_between_ticks) status = StatusFromJson(StatusToJson(status));
    TickInput in;
    in.now_ms = now;
    in.revision = revision;
    in.generation = 1;
    in.abort_requested = abort;
    in.promote_requested = promote;
    in.route.ok = route_ok;
    in.route.error = route_ok ? "" : "no VirtualService \"web\" in namespace default";
    in.route.resource_version = vs_rv;
    in.route.stable_weight = stable_weight;
    in.route.canary_weight = canary_weight;
    in.route.applied_seq = applied_seq;
    if (workload) in.workload = workload();
    Decision d = Decide(plan, status, in);
    for (int i = 0; i < 8 && d.need != Decision::Need::kNothing; ++i) {
      if (d.need == Decision::Need::kChecks) {
        ++checks_run;
        in.checks = checks();
        in.rollback_requested = rollback;
      } else {
        gates_asked.push_back(d.gate);
        in.gates[d.gate] = gates(d.gate);
      }
      d = Decide(plan, status, in);
    }
    EXPECT_EQ(d.need, Decision::Need::kNothing);
    status = d.status;
    if (d.write_weight && writes_land) {
      canary_weight = *d.write_weight;
      stable_weight = 100 - canary_weight;
      applied_seq = d.status.write_seq;
      vs_rv = std::to_string(std::stoi(vs_rv) + 1);
    }
    if (d.consume_requests) abort = promote = false;
    if (after) after(status);
    events.insert(events.end(), d.events.begin(), d.events.end());
    notified.insert(notified.end(), d.notify.begin(), d.notify.end());
    last = d;
    return d;
  }
  void Advance(int64_t ms) { now += ms; }
  // Ticks once a second for `seconds`.
  void Run(int seconds) {
    for (int i = 0; i < seconds; ++i) {
      Tick();
      Advance(kSec);
    }
  }
  bool HasEvent(const std::string& reason) const {
    for (const EventRecord& e : events) {
      if (e.reason == reason) return true;
    }
    return false;
  }
  std::string LastEventMessage() const { return events.empty() ? "" : events.back().message; }
};

TEST(Decide, ANewCanaryIsInitializedAtWeightZero) {
  Sim sim(BasePlan());
  Decision d = sim.Tick();
  EXPECT_EQ(d.status.phase, Phase::kInitialized);
  ASSERT_TRUE(d.write_weight);
  EXPECT_EQ(*d.write_weight, 0);
  EXPECT_TRUE(d.persist);
  EXPECT_TRUE(sim.HasEvent("NewRevision"));
  EXPECT_EQ(d.status.revision, "rev1");
  EXPECT_EQ(d.status.step_weights, (std::vector<int>{10, 20, 30}));
  EXPECT_EQ(d.status.sequential.size(), 2u);  // 5xx, and latency from the default duration max
}

TEST(Decide, InitializedStartsAtTheFirstStepOnTheNextTick) {
  Sim sim(BasePlan());
  sim.Tick();
  sim.Advance(kSec);
  Decision d = sim.Tick();
  EXPECT_EQ(d.status.phase, Phase::kProgressing);
  EXPECT_EQ(sim.canary_weight, 10);
  EXPECT_EQ(sim.stable_weight, 90);
  EXPECT_EQ(d.status.step, 0);
  EXPECT_EQ(d.status.next_check_ms, sim.now + 10 * kSec);
}

TEST(Decide, NoCheckBeforeTheInterval) {
  Sim sim(BasePlan());
  sim.Run(2);
  sim.Run(8);
  EXPECT_EQ(sim.checks_run, 0);
  EXPECT_EQ(sim.canary_weight, 10);
}

TEST(Decide, PassingChecksAdvanceOneStepPerInterval) {
  Sim sim(BasePlan());
  sim.Run(2);   // Initialized at t=0, step 10 at t=1
  sim.Run(10);  // check at t=11
  EXPECT_EQ(sim.checks_run, 1);
  EXPECT_EQ(sim.canary_weight, 20);
  EXPECT_TRUE(sim.HasEvent("Advance"));
  EXPECT_NE(sim.status.message.find("advance canary weight 20"), std::string::npos);
}

TEST(Decide, AHealthyCanaryIsPromotedThroughEveryStep) {
  Sim sim(BasePlan());
  std::vector<int> weights;
  for (int i = 0; i < 80; ++i) {
    sim.Tick();
    if (weights.empty() || weights.back() != sim.canary_weight)
      weights.push_back(sim.canary_weight);
    sim.Advance(kSec);
  }
  EXPECT_EQ(weights, (std::vector<int>{0, 10, 20, 30, 100}));
  EXPECT_EQ(sim.status.phase, Phase::kSucceeded);
  EXPECT_EQ(sim.stable_weight, 0);
  EXPECT_EQ(sim.notified, (std::vector<std::string>{"post-rollout"}));
  EXPECT_TRUE(sim.HasEvent("Promoting"));
  EXPECT_TRUE(sim.HasEvent("Finalising"));
  EXPECT_TRUE(sim.HasEvent("Succeeded"));
}

TEST(Decide, StepWeightsAreFollowed) {
  config::CanarySpec spec;
  spec.virtual_service = "web";
  spec.stable.emplace().host = "a";
  spec.canary.emplace().host = "b";
  spec.analysis.interval = config::Duration{1'000'000'000, "1s"};
  spec.analysis.step_weights = {1, 5, 10, 25, 50};
  Sim sim(MakePlan(spec, "default", "web"));
  std::vector<int> weights;
  for (int i = 0; i < 40; ++i) {
    sim.Tick();
    if (weights.empty() || weights.back() != sim.canary_weight)
      weights.push_back(sim.canary_weight);
    sim.Advance(kSec);
  }
  EXPECT_EQ(weights, (std::vector<int>{0, 1, 5, 10, 25, 50, 100}));
}

TEST(Decide, AFailedCheckCountsAndDoesNotAdvance) {
  Sim sim(BasePlan());
  sim.checks = [] { return std::vector{Pass("request-duration"), Fail()}; };
  sim.Run(12);
  EXPECT_EQ(sim.status.failed_checks, 1);
  EXPECT_EQ(sim.canary_weight, 10);
  EXPECT_TRUE(sim.HasEvent("FailedCheck"));
  EXPECT_NE(sim.LastEventMessage().find("failed check 1/3"), std::string::npos);
}

TEST(Decide, TheThresholdRollsBackInOneWrite) {
  Sim sim(BasePlan());
  sim.checks = [] { return std::vector{Fail()}; };
  sim.Run(2 + 30);
  EXPECT_EQ(sim.status.phase, Phase::kFailed);
  EXPECT_EQ(sim.status.failed_checks, 3);
  EXPECT_EQ(sim.canary_weight, 0);
  EXPECT_EQ(sim.stable_weight, 100);
  EXPECT_EQ(sim.status.reason, "FailedChecks");
  EXPECT_EQ(sim.notified, (std::vector<std::string>{"post-rollout"}));
}

TEST(Decide, FailedChecksAreCumulativeAsFlaggerCountsThem) {
  Sim sim(BasePlan());
  int n = 0;
  // fail, pass, fail, pass, fail: three failures in total roll back although never in a row.
  sim.checks = [&] { return std::vector{(n++ % 2 == 0) ? Fail() : Pass()}; };
  sim.Run(2 + 50);
  EXPECT_EQ(sim.status.phase, Phase::kFailed);
  EXPECT_EQ(sim.status.failed_checks, 3);
}

TEST(Decide, TooLittleDataHoldsWithoutFailing) {
  Sim sim(BasePlan());
  sim.checks = [] { return std::vector{Hold(), Pass()}; };
  sim.Run(2 + 40);
  EXPECT_EQ(sim.status.phase, Phase::kProgressing);
  EXPECT_EQ(sim.status.failed_checks, 0);
  EXPECT_EQ(sim.canary_weight, 10);
  EXPECT_EQ(sim.status.message, "holding: 12 of 100 canary requests in 10s");
  int holds = 0;
  for (const EventRecord& e : sim.events) holds += e.reason == "Holding";
  EXPECT_EQ(holds, 1);  // one event for the same reason, not one per interval
}

TEST(Decide, HoldingPastTheDeadlineFailsWithTheReason) {
  CanaryPlan plan = BasePlan();
  plan.progress_deadline_ms = 60 * kSec;
  Sim sim(plan);
  sim.checks = [] { return std::vector{Hold()}; };
  sim.Run(2 + 70);
  EXPECT_EQ(sim.status.phase, Phase::kFailed);
  EXPECT_EQ(sim.status.reason, "ProgressDeadlineExceeded");
  EXPECT_NE(sim.status.message.find("no progress for 1m0s: holding: 12 of 100"), std::string::npos)
      << sim.status.message;
  EXPECT_EQ(sim.canary_weight, 0);
}

TEST(Decide, ProviderErrorsHoldUntilTheLimitMakesOneFailedCheck) {
  Sim sim(BasePlan());  // providerErrorLimit 4
  sim.checks = [] { return std::vector{Pass(), Error()}; };
  sim.Run(2 + 30);  // 3 checks
  EXPECT_EQ(sim.status.failed_checks, 0);
  EXPECT_EQ(sim.status.provider_errors, 3);
  EXPECT_NE(sim.status.message.find("provider error 3 of 4"), std::string::npos);
  sim.Run(10);  // the 4th
  EXPECT_EQ(sim.status.failed_checks, 1);
  EXPECT_EQ(sim.status.provider_errors, 0);
  EXPECT_EQ(sim.canary_weight, 10);
}

TEST(Decide, AGoodCheckResetsTheConsecutiveProviderErrors) {
  Sim sim(BasePlan());
  int n = 0;
  sim.checks = [&] { return (n++ % 3 == 2) ? std::vector{Pass()} : std::vector{Error()}; };
  sim.Run(2 + 90);
  EXPECT_EQ(sim.status.failed_checks, 0);
}

TEST(Decide, ACriticalMetricRollsBackAtOnce) {
  CanaryPlan plan = BasePlan();
  plan.metrics[0].critical = true;  // request-success-rate
  Sim sim(plan);
  sim.checks = [] { return std::vector{Fail()}; };
  sim.Run(2 + 10);
  EXPECT_EQ(sim.status.phase, Phase::kFailed);
  EXPECT_EQ(sim.status.reason, "CriticalMetricFailed");
  EXPECT_EQ(sim.status.failed_checks, 0);
  EXPECT_EQ(sim.canary_weight, 0);
}

TEST(Decide, TheSequentialTestRollsBackBetweenChecks) {
  Sim sim(BasePlan());
  sim.Run(3);
  ASSERT_EQ(sim.status.phase, Phase::kProgressing);
  sim.status.sequential[0].log_e = std::log(2 / 0.01) + 0.1;  // over ln(m/alpha), m = 2
  sim.status.sequential[0].canary_events = 31;
  sim.status.sequential[0].stable_events = 12;
  sim.status.sequential[0].canary_requests = 412;
  sim.status.sequential[0].stable_requests = 9000;
  sim.Tick();
  EXPECT_EQ(sim.status.phase, Phase::kFailed);
  EXPECT_EQ(sim.status.reason, "SequentialTestRejected");
  EXPECT_EQ(sim.checks_run, 0);
  EXPECT_NE(sim.status.message.find("canary 5xx 7.5% vs stable 0.1% (31 vs 12 events, 412 "
                                    "canary requests), e-value"),
            std::string::npos)
      << sim.status.message;
  EXPECT_EQ(sim.canary_weight, 0);
}

TEST(Decide, EvidenceBelowTheBoundDoesNotRollBack) {
  Sim sim(BasePlan());
  sim.Run(3);
  sim.status.sequential[0].log_e = std::log(2 / 0.01) - 0.01;
  sim.Tick();
  EXPECT_EQ(sim.status.phase, Phase::kProgressing);
}

TEST(Decide, AClosedConfirmRolloutGateWaits) {
  CanaryPlan plan = BasePlan();
  plan.webhooks.push_back({"gate", "confirm-rollout", "http://x", 1000, {}});
  Sim sim(plan);
  bool open = false;
  sim.gates = [&](const std::string&) { return GateOutcome{open, false, "HTTP 403"}; };
  sim.Run(25);
  EXPECT_EQ(sim.status.phase, Phase::kWaiting);
  EXPECT_EQ(sim.canary_weight, 0);
  EXPECT_NE(sim.status.message.find("waiting for confirm-rollout"), std::string::npos);
  size_t polls = sim.gates_asked.size();
  EXPECT_GE(polls, 2u);
  EXPECT_LE(polls, 4u);  // re-polled each interval, not each tick
  open = true;
  sim.Run(11);
  EXPECT_EQ(sim.status.phase, Phase::kProgressing);
  EXPECT_EQ(sim.canary_weight, 10);
}

TEST(Decide, ConfirmPromotionHoldsUntilItAnswers2xx) {
  CanaryPlan plan = BasePlan();
  plan.webhooks.push_back({"gate", "confirm-promotion", "http://x", 1000, {}});
  Sim sim(plan);
  bool open = false;
  sim.gates = [&](const std::string&) { return GateOutcome{open, false, "HTTP 500"}; };
  sim.Run(2 + 60);
  EXPECT_EQ(sim.status.phase, Phase::kWaitingPromotion);
  EXPECT_EQ(sim.canary_weight, 30);
  open = true;
  sim.Run(15);
  EXPECT_EQ(sim.status.phase, Phase::kSucceeded);
  EXPECT_EQ(sim.canary_weight, 100);
}

TEST(Decide, ConfirmTrafficIncreaseHoldsTheStep) {
  CanaryPlan plan = BasePlan();
  plan.webhooks.push_back({"gate", "confirm-traffic-increase", "http://x", 1000, {}});
  Sim sim(plan);
  bool open = false;
  sim.gates = [&](const std::string&) { return GateOutcome{open, false, "HTTP 404"}; };
  sim.Run(2 + 40);
  EXPECT_EQ(sim.canary_weight, 10);
  EXPECT_EQ(sim.status.phase, Phase::kProgressing);
  EXPECT_NE(sim.status.message.find("waiting for confirm-traffic-increase"), std::string::npos);
  open = true;
  sim.Run(11);
  EXPECT_EQ(sim.canary_weight, 20);
}

TEST(Decide, AFailingPreRolloutHookIsAFailedCheck) {
  CanaryPlan plan = BasePlan();
  plan.webhooks.push_back({"pre", "pre-rollout", "http://x", 1000, {}});
  Sim sim(plan);
  sim.gates = [](const std::string&) { return GateOutcome{false, false, "HTTP 500"}; };
  sim.Run(40);
  EXPECT_EQ(sim.status.phase, Phase::kFailed);
  EXPECT_EQ(sim.status.failed_checks, 3);
  EXPECT_EQ(sim.canary_weight, 0);
}

TEST(Decide, ARollbackHookAnswering2xxRollsBack) {
  Sim sim(BasePlan());
  sim.rollback = "stop-it";
  sim.Run(2 + 10);
  EXPECT_EQ(sim.status.phase, Phase::kFailed);
  EXPECT_EQ(sim.status.reason, "RollbackWebhook");
}

TEST(Decide, SuspendStopsChecksAndResumeRestartsTheInterval) {
  Sim sim(BasePlan());
  sim.Run(5);
  sim.plan.suspend = true;
  sim.Run(60);
  EXPECT_EQ(sim.checks_run, 0);
  EXPECT_EQ(sim.canary_weight, 10);
  EXPECT_TRUE(sim.HasEvent("Suspended"));
  sim.plan.suspend = false;
  sim.Tick();
  EXPECT_TRUE(sim.HasEvent("Resumed"));
  EXPECT_EQ(sim.status.next_check_ms, sim.now + 10 * kSec);
  EXPECT_EQ(sim.status.suspended_since_ms, 0);
}

TEST(Decide, SuspensionDoesNotCountTowardsTheDeadline) {
  CanaryPlan plan = BasePlan();
  plan.progress_deadline_ms = 30 * kSec;
  Sim sim(plan);
  sim.Run(5);
  sim.plan.suspend = true;
  sim.Run(120);
  sim.plan.suspend = false;
  sim.Run(5);
  EXPECT_EQ(sim.status.phase, Phase::kProgressing);
}

TEST(Decide, AbortRollsBackAndIsConsumed) {
  Sim sim(BasePlan());
  sim.Run(15);
  ASSERT_EQ(sim.canary_weight, 20);
  sim.abort = true;
  Decision d = sim.Tick();
  EXPECT_EQ(d.status.phase, Phase::kFailed);
  EXPECT_EQ(d.status.reason, "Aborted");
  EXPECT_TRUE(d.consume_requests);
  EXPECT_EQ(sim.canary_weight, 0);
}

TEST(Decide, PromoteSkipsTheRemainingSteps) {
  Sim sim(BasePlan());
  sim.Run(5);
  sim.promote = true;
  sim.Tick();
  EXPECT_EQ(sim.status.phase, Phase::kPromoting);
  EXPECT_EQ(sim.canary_weight, 100);
  sim.Run(3);
  EXPECT_EQ(sim.status.phase, Phase::kSucceeded);
}

TEST(Decide, RequestsInATerminalPhaseAreConsumedAndIgnored) {
  Sim sim(BasePlan());
  sim.checks = [] { return std::vector{Fail()}; };
  sim.Run(40);
  ASSERT_EQ(sim.status.phase, Phase::kFailed);
  sim.promote = true;
  Decision d = sim.Tick();
  EXPECT_TRUE(d.consume_requests);
  EXPECT_EQ(d.status.phase, Phase::kFailed);
  EXPECT_FALSE(d.write_weight);
}

TEST(Decide, SkipAnalysisPromotesWithoutChecks) {
  CanaryPlan plan = BasePlan();
  plan.skip_analysis = true;
  Sim sim(plan);
  sim.Run(5);
  EXPECT_EQ(sim.status.phase, Phase::kSucceeded);
  EXPECT_EQ(sim.checks_run, 0);
  EXPECT_EQ(sim.canary_weight, 100);
}

TEST(Decide, ANewRevisionWhileProgressingRestartsAtWeightZero) {
  Sim sim(BasePlan());
  sim.checks = [] { return std::vector{Fail()}; };
  sim.Run(15);
  ASSERT_EQ(sim.status.failed_checks, 1);
  sim.revision = "rev2";
  sim.Tick();
  EXPECT_EQ(sim.status.phase, Phase::kInitialized);
  EXPECT_EQ(sim.status.failed_checks, 0);
  EXPECT_EQ(sim.canary_weight, 0);
  EXPECT_TRUE(sim.HasEvent("RestartAnalysis"));
}

TEST(Decide, ANewRevisionAfterSuccessStartsANewAnalysis) {
  Sim sim(BasePlan());
  sim.Run(80);
  ASSERT_EQ(sim.status.phase, Phase::kSucceeded);
  sim.revision = "rev2";
  sim.Run(2);
  EXPECT_EQ(sim.status.phase, Phase::kProgressing);
  EXPECT_EQ(sim.canary_weight, 10);
  EXPECT_TRUE(sim.HasEvent("NewRevision"));
}

TEST(Decide, AMissingRouteHoldsThenFailsAtTheDeadline) {
  CanaryPlan plan = BasePlan();
  plan.progress_deadline_ms = 20 * kSec;
  Sim sim(plan);
  sim.route_ok = false;
  sim.Run(5);
  EXPECT_EQ(sim.status.phase, Phase::kInitializing);
  EXPECT_EQ(sim.status.reason, "RouteNotReady");
  EXPECT_NE(sim.status.message.find("no VirtualService"), std::string::npos);
  sim.Run(20);
  EXPECT_EQ(sim.status.phase, Phase::kFailed);
  EXPECT_EQ(sim.status.reason, "ProgressDeadlineExceeded");
}

TEST(Decide, AWriteThatDidNotLandIsReappliedBeforeAnythingElse) {
  Sim sim(BasePlan());
  sim.Run(2);
  ASSERT_EQ(sim.canary_weight, 10);
  sim.writes_land = false;
  sim.Run(10);  // the check passes, the step to 20 is decided but the write fails
  EXPECT_EQ(sim.status.canary_weight, 20);
  EXPECT_EQ(sim.canary_weight, 10);
  sim.writes_land = true;
  int checks_before = sim.checks_run;
  Decision d = sim.Tick();
  ASSERT_TRUE(d.write_weight);
  EXPECT_EQ(*d.write_weight, 20);
  EXPECT_EQ(sim.checks_run, checks_before);  // no second step in the same tick
  EXPECT_EQ(sim.canary_weight, 20);
  EXPECT_EQ(sim.status.step, 1);
}

TEST(Decide, AnOutsideEditIsReportedOnceAndNotOverwritten) {
  Sim sim(BasePlan());
  sim.Run(3);
  sim.canary_weight = 40;
  sim.stable_weight = 60;
  sim.vs_rv = "77";
  sim.Run(5);
  int reports = 0;
  for (const EventRecord& e : sim.events) reports += e.reason == "OutsideEdit";
  EXPECT_EQ(reports, 1);
  EXPECT_EQ(sim.canary_weight, 40);  // kept until the next step
  sim.Run(10);
  EXPECT_EQ(sim.canary_weight, 20);  // the next step writes the controller's weight
}

TEST(Decide, PromotionStepsWithStepWeightPromotion) {
  CanaryPlan plan = BasePlan();
  plan.step_weight_promotion = 40;
  Sim sim(plan);
  std::vector<int> weights;
  for (int i = 0; i < 120; ++i) {
    sim.Tick();
    if (weights.empty() || weights.back() != sim.canary_weight)
      weights.push_back(sim.canary_weight);
    sim.Advance(kSec);
  }
  EXPECT_EQ(weights, (std::vector<int>{0, 10, 20, 30, 70, 100}));
  EXPECT_EQ(sim.status.phase, Phase::kSucceeded);
}

TEST(Decide, IterationsAtTheLastStep) {
  CanaryPlan plan = BasePlan();
  plan.iterations = 3;
  Sim sim(plan);
  sim.Run(2 + 29);  // at 30 since t=21, its first check due at t=31
  ASSERT_EQ(sim.canary_weight, 30);
  EXPECT_EQ(sim.status.iterations, 0);
  sim.Run(20);
  EXPECT_EQ(sim.status.iterations, 2);
  EXPECT_EQ(sim.status.phase, Phase::kProgressing);
  sim.Run(10);
  EXPECT_EQ(sim.status.phase, Phase::kSucceeded);  // promoted at t=51, then finalised
  EXPECT_TRUE(sim.HasEvent("Promoting"));
}

TEST(Decide, EditedStepsContinueFromTheCurrentWeight) {
  Sim sim(BasePlan());
  sim.Run(15);
  ASSERT_EQ(sim.canary_weight, 20);
  sim.plan.step_weights = {5, 15, 25, 50};
  sim.Tick();
  EXPECT_EQ(sim.status.step, 1);  // 15 is the last step at or below 20
  sim.Run(11);
  EXPECT_EQ(sim.canary_weight, 25);
}

// Restart safety: a controller that forgets everything but the stored status between any two
// ticks decides exactly as one that never stopped.
TEST(Decide, ARestartBetweenAnyTwoTicksChangesNothing) {
  for (auto script : std::vector<std::function<std::vector<CheckRecord>(int)>>{
           [](int) { return std::vector{Pass()}; },
           [](int n) { return std::vector{n % 2 ? Fail() : Pass()}; },
           [](int n) { return std::vector{n % 3 ? Error() : Hold()}; }}) {
    Sim a(BasePlan()), b(BasePlan());
    b.restart_between_ticks = true;
    int na = 0, nb = 0;
    a.checks = [&] { return script(na++); };
    b.checks = [&] { return script(nb++); };
    for (int i = 0; i < 100; ++i) {
      a.Tick();
      b.Tick();
      ASSERT_EQ(a.status.phase, b.status.phase) << i;
      ASSERT_EQ(a.canary_weight, b.canary_weight) << i;
      ASSERT_EQ(a.status.failed_checks, b.status.failed_checks) << i;
      ASSERT_EQ(a.status.next_check_ms, b.status.next_check_ms) << i;
      ASSERT_EQ(a.status.step, b.status.step) << i;
      a.Advance(kSec);
      b.Advance(kSec);
    }
    EXPECT_EQ(a.events.size(), b.events.size());
  }
}

TEST(Decide, ARestartInEveryPhaseResumesThere) {
  CanaryPlan plan = BasePlan();
  plan.webhooks.push_back({"p", "confirm-promotion", "http://x", 1000, {}});
  Sim sim(plan);
  bool open = false;
  sim.gates = [&](const std::string&) { return GateOutcome{open, false, "closed"}; };
  std::set<Phase> seen;
  for (int i = 0; i < 120; ++i) {
    if (i == 70) open = true;
    sim.Tick();
    seen.insert(sim.status.phase);
    CanaryStatus round_trip = StatusFromJson(StatusToJson(sim.status));
    EXPECT_EQ(round_trip.phase, sim.status.phase);
    EXPECT_EQ(round_trip.canary_weight, sim.status.canary_weight);
    EXPECT_EQ(round_trip.step, sim.status.step);
    EXPECT_EQ(round_trip.write_seq, sim.status.write_seq);
    EXPECT_EQ(round_trip.next_check_ms, sim.status.next_check_ms);
    EXPECT_EQ(round_trip.last_progress_ms, sim.status.last_progress_ms);
    EXPECT_EQ(round_trip.sequential.size(), sim.status.sequential.size());
    sim.Advance(kSec);
  }
  for (Phase p : {Phase::kInitialized, Phase::kProgressing, Phase::kWaitingPromotion,
                  Phase::kPromoting, Phase::kFinalising, Phase::kSucceeded}) {
    EXPECT_TRUE(seen.count(p)) << PhaseName(p);
  }
}

TEST(Decide, ARestartWithTheDeadlinePassedFailsOnce) {
  CanaryPlan plan = BasePlan();
  plan.progress_deadline_ms = 30 * kSec;
  Sim sim(plan);
  sim.checks = [] { return std::vector{Hold()}; };
  sim.Run(10);
  sim.Advance(3600 * kSec);  // canaryd was down for an hour
  sim.Tick();
  EXPECT_EQ(sim.status.phase, Phase::kFailed);
  size_t n = sim.events.size();
  sim.Run(5);
  EXPECT_EQ(sim.events.size(), n);
}

// Flagger's model: a target Deployment and its primary, simulated as Deployments that become
// ready two ticks after a change, driven by what the controller derives from the status.
struct Workloads {
  std::string target_template = "t1";
  int target_replicas = 2;       // as the target's spec says
  std::string primary_template;  // "" until the primary exists
  int primary_replicas = 2;
  int target_ready_in = 0, primary_ready_in = 0;  // ticks until ready
  bool target_crashes = false;
  std::vector<int> target_replicas_seen;

  WorkloadObservation Observe() const {
    WorkloadObservation w;
    w.target_template = target_template;
    w.canary_ready = target_replicas > 0 && target_ready_in <= 0 && !target_crashes;
    w.canary_message = w.canary_ready ? "2 of 2 replicas available" : "0 of 2 available";
    w.primary_template = primary_template;
    w.primary_ready = !primary_template.empty() && primary_ready_in <= 0;
    w.primary_message = w.primary_ready ? "ready" : "1 of 2 replicas run the current template";
    return w;
  }
  void Apply(const CanaryStatus& s) {
    --target_ready_in;
    --primary_ready_in;
    if (PrimaryFollowsTarget(s) && primary_template != target_template) {
      primary_template = target_template;
      primary_ready_in = 2;
    }
    int want =
        DesiredTargetReplicas(s, target_template, primary_replicas).value_or(target_replicas);
    if (want != target_replicas) {
      target_replicas = want;
      if (want > 0) target_ready_in = 2;
      target_replicas_seen.push_back(want);
    }
  }
};

CanaryPlan TargetPlanOf() {
  config::CanarySpec spec;
  spec.target_ref = config::CanaryTargetRef{"apps/v1", "Deployment", "web"};
  spec.service = config::CanaryService{};
  spec.service->port = 80;
  spec.analysis.interval = config::Duration{10 * 1'000'000'000LL, "10s"};
  spec.analysis.threshold = 2;
  spec.analysis.step_weight = 10;
  spec.analysis.max_weight = 20;
  return MakePlan(spec, "default", "web");
}

class TargetSim : public Sim {
 public:
  TargetSim() : Sim(TargetPlanOf()) {
    workload = [this] { return w.Observe(); };
    after = [this](const CanaryStatus& s) { w.Apply(s); };
    revision = "r-" + w.target_template;
  }
  Workloads w;
  void SetImage(const std::string& t) {
    w.target_template = t;
    revision = "r-" + t;
  }
  void RunUntil(Phase p, int max_seconds) {
    for (int i = 0; i < max_seconds && status.phase != p; ++i) {
      Tick();
      Advance(kSec);
    }
  }
};

TEST(DecideTarget, ThePlanNamesThePrimaryAndTheServices) {
  CanaryPlan plan = TargetPlanOf();
  ASSERT_TRUE(plan.target);
  EXPECT_EQ(plan.target->primary_deployment, "web-primary");
  EXPECT_EQ(plan.virtual_service, "web");
  EXPECT_EQ(plan.stable.host, "web-primary");
  EXPECT_EQ(plan.canary.host, "web-canary");
  ASSERT_TRUE(plan.canary.port);
  EXPECT_EQ(plan.canary.port->number, 80u);
}

TEST(DecideTarget, InitializationMakesThePrimaryAndScalesTheTargetToZeroWithoutAnalysis) {
  TargetSim sim;
  sim.Tick();
  EXPECT_EQ(sim.status.phase, Phase::kInitializing);
  EXPECT_EQ(sim.w.primary_template, "t1");  // made from the target
  EXPECT_EQ(sim.w.target_replicas, 2);      // the target serves until the primary is ready
  sim.RunUntil(Phase::kInitialized, 10);
  EXPECT_EQ(sim.status.phase, Phase::kInitialized);
  sim.Tick();
  EXPECT_EQ(sim.w.target_replicas, 0);  // the primary serves: the target is not needed
  EXPECT_EQ(sim.status.promoted_template, "t1");
  EXPECT_EQ(sim.canary_weight, 0);
  sim.Run(60);
  EXPECT_EQ(sim.status.phase, Phase::kInitialized);  // no analysis of the first template
  EXPECT_EQ(sim.checks_run, 0);
  EXPECT_EQ(sim.w.target_replicas, 0);
  EXPECT_NE(sim.status.message.find("initialization done"), std::string::npos);
}

TEST(DecideTarget, ANewTemplateWaitsForTheCanaryThenAnalysesAndPromotesThroughThePrimary) {
  TargetSim sim;
  sim.RunUntil(Phase::kInitialized, 10);
  sim.SetImage("t2");
  sim.Tick();
  sim.Advance(kSec);
  EXPECT_EQ(sim.w.target_replicas, 2);  // scaled up as the primary's replicas
  sim.Tick();
  sim.Advance(kSec);
  EXPECT_EQ(sim.status.reason, "WaitingCanary");
  EXPECT_EQ(sim.canary_weight, 0);  // no weight before the canary is ready
  std::vector<int> weights;
  std::vector<Phase> phases;
  for (int i = 0; i < 120 && sim.status.phase != Phase::kSucceeded; ++i) {
    sim.Tick();
    if (weights.empty() || weights.back() != sim.canary_weight)
      weights.push_back(sim.canary_weight);
    if (phases.empty() || phases.back() != sim.status.phase) phases.push_back(sim.status.phase);
    if (sim.status.phase == Phase::kPromoting && sim.w.primary_template != "t2") {
      ADD_FAILURE() << "promoting without the primary being given the canary's template";
    }
    sim.Advance(kSec);
  }
  ASSERT_EQ(sim.status.phase, Phase::kSucceeded) << sim.status.message;
  // The weight comes back to the primary only once it runs the canary's template.
  EXPECT_EQ(weights, (std::vector<int>{0, 10, 20, 0}));
  EXPECT_EQ(phases.front(), Phase::kInitialized);
  EXPECT_NE(std::find(phases.begin(), phases.end(), Phase::kPromoting), phases.end());
  EXPECT_EQ(sim.w.primary_template, "t2");
  EXPECT_EQ(sim.status.promoted_template, "t2");
  EXPECT_EQ(sim.w.target_replicas, 0);
  EXPECT_TRUE(sim.HasEvent("WaitingPrimary"));
  EXPECT_TRUE(sim.HasEvent("NewRevision"));
  EXPECT_FALSE(sim.HasEvent("RestartAnalysis"));
  EXPECT_NE(sim.status.message.find("web-primary runs the canary's template"), std::string::npos)
      << sim.status.message;
}

TEST(DecideTarget, AFailingCanaryIsRolledBackScaledToZeroAndThePrimaryKeepsItsTemplate) {
  TargetSim sim;
  sim.RunUntil(Phase::kInitialized, 10);
  sim.SetImage("t2");
  sim.checks = [] { return std::vector{Fail()}; };
  sim.RunUntil(Phase::kFailed, 120);
  ASSERT_EQ(sim.status.phase, Phase::kFailed);
  EXPECT_EQ(sim.canary_weight, 0);
  EXPECT_EQ(sim.w.primary_template, "t1");
  EXPECT_EQ(sim.status.promoted_template, "t1");
  sim.Tick();
  EXPECT_EQ(sim.w.target_replicas, 0);
  EXPECT_EQ(sim.w.target_replicas_seen, (std::vector<int>{0, 2, 0}));  // after init, up, down
}

TEST(DecideTarget, ACanaryThatNeverBecomesReadyFailsAtTheDeadline) {
  TargetSim sim;
  sim.plan.progress_deadline_ms = 30 * kSec;
  sim.RunUntil(Phase::kInitialized, 10);
  sim.w.target_crashes = true;
  sim.SetImage("t2");
  sim.RunUntil(Phase::kFailed, 60);
  ASSERT_EQ(sim.status.phase, Phase::kFailed);
  EXPECT_EQ(sim.status.reason, "ProgressDeadlineExceeded");
  EXPECT_NE(sim.status.message.find("the canary web (Deployment) is not ready"), std::string::npos)
      << sim.status.message;
  EXPECT_EQ(sim.checks_run, 0);
  EXPECT_EQ(sim.w.primary_template, "t1");
}

TEST(DecideTarget, UndoingToThePromotedTemplateReleasesNothing) {
  TargetSim sim;
  sim.RunUntil(Phase::kInitialized, 10);
  sim.SetImage("t2");
  sim.checks = [] { return std::vector{Fail()}; };
  sim.RunUntil(Phase::kFailed, 120);
  sim.SetImage("t1");  // kubectl rollout undo
  sim.Run(30);
  EXPECT_EQ(sim.status.phase, Phase::kInitialized);
  EXPECT_NE(sim.status.message.find("nothing to release"), std::string::npos);
  EXPECT_EQ(sim.w.target_replicas, 0);
  EXPECT_EQ(sim.canary_weight, 0);
}

TEST(DecideTarget, ANewTemplateDuringTheAnalysisRestartsIt) {
  TargetSim sim;
  sim.RunUntil(Phase::kInitialized, 10);
  sim.SetImage("t2");
  sim.RunUntil(Phase::kProgressing, 20);
  ASSERT_EQ(sim.status.phase, Phase::kProgressing);
  sim.SetImage("t3");
  sim.Tick();
  EXPECT_TRUE(sim.HasEvent("RestartAnalysis"));
  EXPECT_EQ(sim.canary_weight, 0);
  sim.RunUntil(Phase::kSucceeded, 120);
  EXPECT_EQ(sim.w.primary_template, "t3");
}

TEST(DecideTarget, AMissingTargetHolds) {
  TargetSim sim;
  sim.workload = [] {
    WorkloadObservation w;
    w.error = "no Deployment web in namespace default";
    return w;
  };
  sim.Run(5);
  EXPECT_EQ(sim.status.reason, "TargetNotReady");
  EXPECT_NE(sim.status.message.find("no Deployment web"), std::string::npos);
  EXPECT_EQ(sim.status.phase, Phase::kInitializing);
}

TEST(DecideTarget, WithoutAnObservationOfTheTargetItHolds) {
  TargetSim sim;
  sim.workload = nullptr;
  sim.Run(3);
  EXPECT_EQ(sim.status.reason, "TargetNotReady");
  EXPECT_FALSE(sim.last.write_weight);
}

TEST(DecideTarget, StatusKeepsThePromotedTemplateThroughJson) {
  CanaryStatus s;
  s.revision = "r1";
  s.phase = Phase::kSucceeded;
  s.promoted_template = "abc";
  EXPECT_EQ(StatusToJson(s)["lastPromotedSpec"], "abc");
  EXPECT_EQ(StatusFromJson(StatusToJson(s)).promoted_template, "abc");
}

}  // namespace
}  // namespace canaryd::rollout

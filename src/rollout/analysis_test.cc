#include "rollout/analysis.h"

#include <gtest/gtest.h>

#include "rollout/sequential_update.h"

namespace canaryd::rollout {
namespace {

WindowStats Stats(uint64_t requests, uint64_t errors, double latency_ms = 10) {
  WindowStats w;
  w.requests = requests;
  w.errors = errors;
  for (uint64_t i = 0; i < requests; ++i) w.latency.Record(latency_ms);
  return w;
}

MetricPlan SuccessRate(double min) {
  MetricPlan m;
  m.name = "request-success-rate";
  m.kind = MetricKind::kSuccessRate;
  m.window_ms = 30'000;
  m.min = min;
  return m;
}

MetricPlan Duration(double max) {
  MetricPlan m;
  m.name = "request-duration";
  m.kind = MetricKind::kDuration;
  m.window_ms = 30'000;
  m.max = max;
  return m;
}

TEST(Analysis, SuccessRateBelowItsMinimumFails) {
  CheckRecord r = EvaluateBuiltIn(SuccessRate(99), Stats(812, 23), Stats(5000, 5), 100);
  EXPECT_EQ(r.result, CheckResult::kFail);
  ASSERT_TRUE(r.canary);
  EXPECT_NEAR(*r.canary, 97.17, 0.01);
  EXPECT_EQ(r.message,
            "request-success-rate 97.17% < 99% (canary, 30s, 812 requests; stable 99.9%, 5000 "
            "requests)");
}

TEST(Analysis, SuccessRateAtItsMinimumPasses) {
  CheckRecord r = EvaluateBuiltIn(SuccessRate(99), Stats(100, 1), Stats(100, 0), 100);
  EXPECT_EQ(r.result, CheckResult::kPass);
}

TEST(Analysis, TooFewCanaryRequestsHold) {
  CheckRecord r = EvaluateBuiltIn(SuccessRate(99), Stats(12, 6), Stats(1000, 0), 100);
  EXPECT_EQ(r.result, CheckResult::kHold);
  EXPECT_EQ(r.message, "request-success-rate: holding: 12 of 100 canary requests in 30s");
}

TEST(Analysis, NoCanaryRequestAtAllHoldsEvenWithoutAMinimum) {
  CheckRecord r = EvaluateBuiltIn(SuccessRate(99), Stats(0, 0), Stats(1000, 0), 0);
  EXPECT_EQ(r.result, CheckResult::kHold);
}

TEST(Analysis, LatencyQuantileAboveItsMaximumFails) {
  CheckRecord r = EvaluateBuiltIn(Duration(500), Stats(200, 0, 900), Stats(200, 0, 20), 100);
  EXPECT_EQ(r.result, CheckResult::kFail);
  ASSERT_TRUE(r.canary);
  EXPECT_GT(*r.canary, 800);
  EXPECT_LT(*r.canary, 1000);
}

TEST(Analysis, RelativeBoundPassesWhenBothAreEquallyBad) {
  MetricPlan m = SuccessRate(90);
  m.relative = config::CanaryRelativeBound{.min_difference = -1};
  CheckRecord r = EvaluateBuiltIn(m, Stats(1000, 50), Stats(1000, 52), 100);
  EXPECT_EQ(r.result, CheckResult::kPass) << r.message;
}

TEST(Analysis, RelativeBoundFailsWhenTheCanaryIsWorseThanStable) {
  MetricPlan m;
  m.name = "request-success-rate";
  m.kind = MetricKind::kSuccessRate;
  m.window_ms = 30'000;
  m.relative = config::CanaryRelativeBound{.min_difference = -1};
  CheckRecord r = EvaluateBuiltIn(m, Stats(1000, 30), Stats(1000, 5), 100);
  EXPECT_EQ(r.result, CheckResult::kFail);
  EXPECT_NE(r.message.find("canary - stable = -2.5 < -1"), std::string::npos) << r.message;
}

TEST(Analysis, RatioBoundOnLatency) {
  MetricPlan m;
  m.name = "request-duration";
  m.kind = MetricKind::kDuration;
  m.window_ms = 30'000;
  m.relative = config::CanaryRelativeBound{.max_ratio = 1.2};
  EXPECT_EQ(EvaluateBuiltIn(m, Stats(500, 0, 110), Stats(500, 0, 100), 100).result,
            CheckResult::kPass);
  EXPECT_EQ(EvaluateBuiltIn(m, Stats(500, 0, 200), Stats(500, 0, 100), 100).result,
            CheckResult::kFail);
}

TEST(Analysis, RelativeBoundNeedsEnoughStableRequests) {
  MetricPlan m = SuccessRate(50);
  m.relative = config::CanaryRelativeBound{.min_difference = -1};
  CheckRecord r = EvaluateBuiltIn(m, Stats(1000, 30), Stats(5, 0), 100);
  EXPECT_EQ(r.result, CheckResult::kPass);
  EXPECT_NE(r.message.find("relative bound not checked: 5 of 100 stable requests"),
            std::string::npos);
}

TEST(Analysis, CustomMetricResults) {
  MetricPlan m;
  m.name = "error-ratio";
  m.kind = MetricKind::kCustom;
  m.max = 0.05;
  m.provider_type = "prometheus";
  m.window_ms = 60'000;
  EXPECT_EQ(EvaluateCustom(m, {ProviderValue::Kind::kValue, 0.01, ""}).result, CheckResult::kPass);
  EXPECT_EQ(EvaluateCustom(m, {ProviderValue::Kind::kValue, 0.2, ""}).result, CheckResult::kFail);
  CheckRecord none = EvaluateCustom(m, {ProviderValue::Kind::kNoData, 0, ""});
  EXPECT_EQ(none.result, CheckResult::kHold);
  CheckRecord err = EvaluateCustom(m, {ProviderValue::Kind::kError, 0, "connection refused"});
  EXPECT_EQ(err.result, CheckResult::kError);
  EXPECT_EQ(err.message, "error-ratio: provider error: connection refused");
}

TEST(SequentialUpdate, ErrorsOfTheCanaryRaiseTheEvidence) {
  std::vector<SequentialState> tests = {SequentialState{.name = "5xx"}};
  std::vector<SecondPair> seconds;
  for (int s = 0; s < 30; ++s) {
    SecondPair p;
    p.second = s;
    p.canary.requests = 20;
    p.canary.successes = 18;  // 10%
    p.stable.requests = 180;
    p.stable.successes = 180;
    seconds.push_back(p);
  }
  FoldSeconds(tests, seconds);
  EXPECT_EQ(tests[0].canary_events, 60u);
  EXPECT_EQ(tests[0].stable_events, 0u);
  EXPECT_EQ(tests[0].canary_requests, 600u);
  EXPECT_GT(tests[0].log_e, std::log(100.0));
}

TEST(SequentialUpdate, LatencyEventsAreTheSlowResponses) {
  std::vector<SequentialState> tests = {SequentialState{.name = "latency", .threshold_ms = 500}};
  SecondPair p;
  p.canary.requests = 10;
  p.canary.successes = 10;
  for (int i = 0; i < 9; ++i) p.canary.latency.Record(20);
  p.canary.latency.Record(900);
  p.stable.requests = 10;
  p.stable.successes = 10;
  for (int i = 0; i < 10; ++i) p.stable.latency.Record(20);
  FoldSeconds(tests, {p});
  EXPECT_EQ(tests[0].canary_events, 1u);
  EXPECT_EQ(tests[0].stable_events, 0u);
}

TEST(SequentialUpdate, FoldingInPiecesEqualsFoldingAtOnce) {
  std::vector<SecondPair> seconds;
  for (int s = 0; s < 20; ++s) {
    SecondPair p;
    p.second = s;
    p.canary.requests = 10 + s;
    p.canary.successes = 10 + s - (s % 3);
    p.stable.requests = 90;
    p.stable.successes = 90 - (s % 2);
    seconds.push_back(p);
  }
  std::vector<SequentialState> once = {SequentialState{.name = "5xx"}};
  FoldSeconds(once, seconds);
  std::vector<SequentialState> pieces = {SequentialState{.name = "5xx"}};
  FoldSeconds(pieces, {seconds.begin(), seconds.begin() + 7});
  CanaryStatus s;
  s.revision = "r";
  s.sequential = pieces;
  pieces = StatusFromJson(StatusToJson(s)).sequential;  // through the stored form
  FoldSeconds(pieces, {seconds.begin() + 7, seconds.end()});
  EXPECT_NEAR(once[0].log_e, pieces[0].log_e, 1e-9);
  EXPECT_EQ(once[0].canary_events, pieces[0].canary_events);
}

TEST(CanaryStatusJson, TimesRoundTripWithMilliseconds) {
  EXPECT_EQ(FormatTimeMillis(1'800'000'000'123), "2027-01-15T08:00:00.123Z");
  EXPECT_EQ(ParseTimeMillis("2027-01-15T08:00:00.123Z"), 1'800'000'000'123);
  EXPECT_EQ(ParseTimeMillis("2027-01-15T08:00:00Z"), 1'800'000'000'000);
  EXPECT_FALSE(ParseTimeMillis("2027-01-15T08:00:00+01:00"));
}

TEST(CanaryStatusJson, AStatusNotWrittenByTheControllerIsFresh) {
  CanaryStatus s = StatusFromJson(nlohmann::json{{"phase", "Succeeded"}});  // no revision
  EXPECT_EQ(s.phase, Phase::kInitializing);
  EXPECT_TRUE(s.revision.empty());
}

}  // namespace
}  // namespace canaryd::rollout

namespace canaryd::rollout {
namespace {

// A destination at `per_second` requests each second from second 0, no errors.
WindowSum Steady(double canary_per_second) {
  return [canary_per_second](bool canary, int64_t from, int64_t to) {
    WindowStats w;
    double rate = canary ? canary_per_second : 100;
    w.requests = static_cast<uint64_t>(rate * static_cast<double>(to - from + 1));
    for (uint64_t i = 0; i < w.requests; ++i) w.latency.Record(10);
    return w;
  };
}

CanaryPlan LowTrafficPlan() {
  config::CanarySpec spec;
  spec.virtual_service = "web";
  spec.stable.emplace().host = "a";
  spec.canary.emplace().host = "b";
  spec.analysis.min_requests = 50;
  return MakePlan(spec, "default", "web");  // interval 1m
}

TEST(BuiltInChecks, EnoughRequestsInTheIntervalEvaluateEveryMetric) {
  CanaryStatus s;
  s.step_start_ms = 1'000'000;
  std::vector<CheckRecord> r = BuiltInChecks(LowTrafficPlan(), s, 2000, Steady(5));
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].result, CheckResult::kPass);
  EXPECT_EQ(r[0].window_ms, 60'000);
}

TEST(BuiltInChecks, TooFewInTheIntervalCountTheRequestsSinceTheStepBegan) {
  CanaryStatus s;
  s.step_start_ms = 1000 * 1000;  // second 1000
  // 0.2 canary requests a second: 12 in the interval, 60 after 300 s at this step.
  std::vector<CheckRecord> early = BuiltInChecks(LowTrafficPlan(), s, 1100, Steady(0.2));
  ASSERT_EQ(early.size(), 1u);
  EXPECT_EQ(early[0].result, CheckResult::kHold);
  EXPECT_EQ(early[0].message, "holding: 20 of 50 canary requests in 1m41s");
  std::vector<CheckRecord> later = BuiltInChecks(LowTrafficPlan(), s, 1299, Steady(0.2));
  ASSERT_EQ(later.size(), 2u);
  EXPECT_EQ(later[0].result, CheckResult::kPass) << later[0].message;
  EXPECT_EQ(later[0].window_ms, 300'000);
  EXPECT_EQ(later[0].canary_requests, 60u);
}

TEST(BuiltInChecks, TheWideningStopsAtTheLastEvaluatedCheck) {
  CanaryStatus s;
  s.step_start_ms = 1000 * 1000;
  s.last_evaluated_ms = 1200 * 1000;  // a check judged the requests before second 1200
  std::vector<CheckRecord> r = BuiltInChecks(LowTrafficPlan(), s, 1299, Steady(0.2));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].result, CheckResult::kHold);
  EXPECT_EQ(r[0].message, "holding: 20 of 50 canary requests in 1m40s");
}

TEST(BuiltInChecks, TheWideningStopsAtTenMinutes) {
  CanaryStatus s;
  s.step_start_ms = 1000;
  std::vector<CheckRecord> r = BuiltInChecks(LowTrafficPlan(), s, 5000, Steady(0.05));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].window_ms, 600'000);
  EXPECT_EQ(r[0].message, "holding: 30 of 50 canary requests in 10m0s");
}

}  // namespace
}  // namespace canaryd::rollout

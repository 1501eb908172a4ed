#include "demo/progress_view.h"

#include <gtest/gtest.h>

namespace canaryd::demo {
namespace {

using nlohmann::json;

TEST(SplitLine, SharesFailuresAndTotal) {
  AnswerCounts c;
  c["v1"] = {90, 0};
  c["v2"] = {8, 2};
  EXPECT_EQ(SplitLine(c), "v1 90.0% · v2 10.0% (2 failed) of 100 requests");
  EXPECT_EQ(FailedRequests(c), 2);
  EXPECT_EQ(SplitLine({}), "no requests");
  c["-"] = {0, 5};
  EXPECT_EQ(SplitLine(c),
            "no answer 4.8% (5 failed) · v1 85.7% · v2 9.5% (2 failed) of 105 requests");
}

TEST(Difference, KeepsOnlyWhatChanged) {
  AnswerCounts before, after;
  before["v1"] = {10, 1};
  after["v1"] = {10, 1};
  after["v2"] = {3, 0};
  AnswerCounts d = Difference(after, before);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d["v2"].ok, 3);
}

TEST(ProgressLine, ShowsPhaseStepWeightVersionsChecksAndEvidence) {
  json canary = json::parse(R"({
    "spec": {"stable": {"host": "web-v1-service"}, "canary": {"host": "web-v2-service"},
             "analysis": {"threshold": 2, "sequential": {"alpha": 0.01}}},
    "status": {"phase": "Progressing", "step": 1, "stepWeights": [10, 25, 50],
               "canaryWeight": 25, "failedChecks": 1,
               "sequential": {"tests": [{"eValue": 1.5}, {"eValue": 3.25}]}}})");
  json stats = json::parse(R"({"destinations": [
    {"serviceName": "web-v1-service", "version": "v1", "requests": 300, "requestsPerSecond": 30.0,
     "successRate": 1.0, "latencyMs": {"p99": 1.25}},
    {"serviceName": "web-v2-service", "requests": 100, "requestsPerSecond": 10.0,
     "successRate": 0.95, "latencyMs": {"p99": 2.5}}]})");
  EXPECT_EQ(
      ProgressLine(canary, stats),
      "Progressing step 2/3 weight 25% | v1 30.0 rps 100.0% p99 1.2 ms | web-v2 10.0 rps 95.0% "
      "p99 2.5 ms | failed checks 1/2 | sequential e=3.2 (rollback at 200)");
}

TEST(ProgressLine, ABrandNewCanaryWithoutStatusOrTraffic) {
  json canary = json::parse(R"({"spec": {"stable": {"host": "a"}, "canary": {"host": "b"}}})");
  EXPECT_EQ(ProgressLine(canary, json()),
            "Pending weight 0% | a no requests | b no requests | failed checks 0/0");
}

TEST(DecisionLine, ReasonAndMessage) {
  EXPECT_EQ(
      DecisionLine(json::parse(R"({"status": {"reason": "Advance", "message": "weight 25"}})")),
      "Advance: weight 25");
  EXPECT_EQ(DecisionLine(json::parse(R"({"status": {"reason": "Advance"}})")), "Advance");
  EXPECT_EQ(DecisionLine(json()), "");
}

}  // namespace
}  // namespace canaryd::demo

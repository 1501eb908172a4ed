#include "upstream/load_balancer.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "config/loader.h"
#include "router/compiler.h"

namespace canaryd::upstream {
namespace {

TEST(SmoothWeightedRoundRobin, SpreadsPicksEvenly) {
  std::vector<router::WeightedCluster> items = {{0, 5}, {1, 1}, {2, 1}};
  SmoothWeightedRoundRobin wrr;
  std::string order;
  for (int i = 0; i < 14; ++i) order += static_cast<char>('a' + wrr.Pick(items, 7));
  EXPECT_EQ(order, "aabacaaaabacaa");  // nginx's documented sequence for 5/1/1, twice
}

// A table with one route to a cluster of three endpoints under the given LB policy, with the
// given endpoint weights (none: unweighted).
std::shared_ptr<const router::RouteTable> TableWithPolicy(const std::string& policy,
                                                          std::vector<int> weights = {}) {
  std::string yaml = R"(
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {ports: [{port: 80}], selector: {app: web}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: web}
spec:
  host: web
  trafficPolicy: {loadBalancer: {simple: )" +
                     policy + R"(}}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs}
spec:
  hosts: ["*"]
  gateways: [gw]
  http: [{route: [{destination: {host: web}}]}]
)";
  for (int i = 1; i <= 3; ++i) {
    yaml += "---\napiVersion: networking.istio.io/v1\nkind: WorkloadEntry\nmetadata: {name: e" +
            std::to_string(i) + "}\nspec: {address: 127.0.0." + std::to_string(i) +
            ", labels: {app: web}" +
            (weights.empty() ? "" : ", weight: " + std::to_string(weights[i - 1])) + "}\n";
  }
  config::LoadResult loaded;
  config::LoadText(yaml, "lb.yaml", {}, loaded);
  EXPECT_FALSE(loaded.diagnostics.has_errors()) << loaded.diagnostics.ToString();
  auto compiled = router::Compiler::Compile(loaded.resources, {});
  EXPECT_TRUE(compiled.ok());
  return compiled->table;
}

TEST(LoadBalancer, RoundRobinCyclesAndAvoidsAFailedEndpoint) {
  auto table = TableWithPolicy("ROUND_ROBIN");
  const router::Cluster& c = table->clusters()[0];
  ASSERT_EQ(c.endpoints.size(), 3u);
  LoadBalancer lb(7);
  lb.Reset(*table);
  std::vector<int> picks;
  for (int i = 0; i < 6; ++i) picks.push_back(lb.PickEndpoint(c));
  EXPECT_EQ(picks, (std::vector<int>{0, 1, 2, 0, 1, 2}));
  EXPECT_NE(lb.PickEndpoint(c, /*avoid=*/0), 0);
}

TEST(LoadBalancer, LeastRequestPrefersTheIdleEndpoint) {
  auto table = TableWithPolicy("LEAST_REQUEST");
  const router::Cluster& c = table->clusters()[0];
  LoadBalancer lb(11);
  lb.Reset(*table);
  for (int i = 0; i < 50; ++i) lb.Started(0, 0);
  for (int i = 0; i < 50; ++i) lb.Started(0, 1);
  std::map<int, int> counts;
  for (int i = 0; i < 3000; ++i) ++counts[lb.PickEndpoint(c)];
  // Endpoint 2 is idle: every pair of choices that includes it picks it (2 pairs in 3).
  EXPECT_GT(counts[2], 1800);
  lb.Finished(0, 0);
  EXPECT_EQ(lb.active(0, 0), 49u);
  for (int i = 0; i < 300; ++i) EXPECT_NE(lb.PickEndpoint(c, /*avoid=*/2), 2);
}

TEST(LoadBalancer, RandomIsDeterministicForASeedAndCoversEveryEndpoint) {
  auto table = TableWithPolicy("RANDOM");
  const router::Cluster& c = table->clusters()[0];
  LoadBalancer a(3), b(3);
  a.Reset(*table);
  b.Reset(*table);
  std::map<int, int> counts;
  for (int i = 0; i < 3000; ++i) {
    int pa = a.PickEndpoint(c);
    EXPECT_EQ(pa, b.PickEndpoint(c));
    ++counts[pa];
  }
  for (int e = 0; e < 3; ++e) {
    EXPECT_GT(counts[e], 850);
    EXPECT_LT(counts[e], 1150);
  }
}

TEST(Random, IsUniformEnough) {
  Random r(5);
  std::map<uint64_t, int> counts;
  for (int i = 0; i < 10000; ++i) ++counts[r.Below(4)];
  for (uint64_t k = 0; k < 4; ++k) {
    EXPECT_GT(counts[k], 2200);
    EXPECT_LT(counts[k], 2800);
  }
}

}  // namespace
}  // namespace canaryd::upstream

namespace canaryd::upstream {
namespace {

// Endpoint weights 1:3:6 in every policy: round-robin exactly, random and least-request (with
// nothing in flight) in proportion; an endpoint to avoid is never picked.
TEST(LoadBalancer, EndpointWeightsCountInEveryPolicy) {
  auto rr = TableWithPolicy("ROUND_ROBIN", {1, 3, 6});
  const router::Cluster& c = rr->clusters()[0];
  ASSERT_EQ(c.endpoints.size(), 3u);
  LoadBalancer lb(5);
  lb.Reset(*rr);
  std::vector<int> counts(3, 0);
  for (int i = 0; i < 10; ++i) ++counts[lb.PickEndpoint(c)];
  EXPECT_EQ(counts, (std::vector<int>{1, 3, 6})) << "every window of 10 picks";
  for (int i = 0; i < 30; ++i) EXPECT_NE(lb.PickEndpoint(c, 2), 2);

  for (const char* policy : {"RANDOM", "LEAST_REQUEST"}) {
    auto t = TableWithPolicy(policy, {1, 3, 6});
    LoadBalancer l(9);
    l.Reset(*t);
    std::vector<int> n(3, 0);
    for (int i = 0; i < 10000; ++i) ++n[l.PickEndpoint(t->clusters()[0])];
    if (std::string(policy) == "RANDOM") {
      EXPECT_NEAR(n[0], 1000, 150) << policy;
      EXPECT_NEAR(n[1], 3000, 250) << policy;
      EXPECT_NEAR(n[2], 6000, 250) << policy;
    } else {
      // The heavier of two candidates wins a tie: the heaviest endpoint gets the most.
      EXPECT_LT(n[0], n[1]) << policy;
      EXPECT_LT(n[1], n[2]) << policy;
    }
    for (int i = 0; i < 100; ++i) EXPECT_NE(l.PickEndpoint(t->clusters()[0], 0), 0) << policy;
  }

  // Least request per unit of weight: 3 in flight on the weight-6 endpoint and 1 on the weight-1
  // one make the weight-6 endpoint the lighter (4/6 < 2/1).
  auto lr = TableWithPolicy("LEAST_REQUEST", {1, 1, 6});
  LoadBalancer l(13);
  l.Reset(*lr);
  l.Started(0, 0);
  for (int i = 0; i < 3; ++i) l.Started(0, 2);
  for (int i = 0; i < 50; ++i) EXPECT_NE(l.PickEndpoint(lr->clusters()[0], 1), 0);
}

// Envoy's default retry budget: 20% of the requests in flight on the cluster, at least 3.
TEST(LoadBalancer, MaxRetriesBoundsTheRetriesInFlightBelowTheBudget) {
  auto table = TableWithPolicy("ROUND_ROBIN");
  LoadBalancer lb(7);
  lb.Reset(*table);
  EXPECT_TRUE(lb.TryStartRetry(0, 2));
  EXPECT_TRUE(lb.TryStartRetry(0, 2));
  EXPECT_FALSE(lb.TryStartRetry(0, 2)) << "connectionPool.http.maxRetries: 2";
  lb.RetryFinished(0);
  EXPECT_TRUE(lb.TryStartRetry(0, 2));
  EXPECT_TRUE(lb.TryStartRetry(0)) << "without it, the budget's minimum of 3 applies";
  EXPECT_FALSE(lb.TryStartRetry(0));
}

TEST(LoadBalancer, TheRetryBudgetIsTwentyPercentOfTheRequestsInFlightAndAtLeastThree) {
  auto table = TableWithPolicy("ROUND_ROBIN");
  LoadBalancer lb(7);
  lb.Reset(*table);
  for (int i = 0; i < 3; ++i)
    EXPECT_TRUE(lb.TryStartRetry(0)) << "the minimum, with none in flight";
  EXPECT_FALSE(lb.TryStartRetry(0));
  for (int i = 0; i < 25; ++i) lb.Started(0, i % 3);
  EXPECT_TRUE(lb.TryStartRetry(0)) << "25 in flight: 5 retries";
  EXPECT_TRUE(lb.TryStartRetry(0));
  EXPECT_FALSE(lb.TryStartRetry(0)) << "the sixth";
  lb.RetryFinished(0);
  EXPECT_TRUE(lb.TryStartRetry(0)) << "a finished retry gives its place back";
  EXPECT_FALSE(lb.TryStartRetry(99)) << "no such cluster";
  lb.Reset(*table);
  EXPECT_TRUE(lb.TryStartRetry(0)) << "a new table starts with an empty budget";
}

}  // namespace
}  // namespace canaryd::upstream

namespace canaryd::upstream {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

std::shared_ptr<const router::RouteTable> TableWithOutlier(const std::string& detection,
                                                           const std::string& lb = "ROUND_ROBIN") {
  return TableWithPolicy(lb + "}, outlierDetection: {" + detection);
}

// Envoy's consecutive-5xx ejection with the clock passed in: ejected after the third 5xx in a
// row (a success in between breaks the run), out for baseEjectionTime, then back; ejected again
// it stays out twice as long, and the multiplier decays by one per interval it stays in.
TEST(OutlierDetection, ConsecutiveErrorsEjectForBaseTimesEjections) {
  auto table = TableWithOutlier(
      "consecutive5xxErrors: 3, baseEjectionTime: 1s, interval: 10s, maxEjectionPercent: 50");
  const router::Cluster& c = table->clusters()[0];
  ASSERT_TRUE(c.outlier.enabled);
  LoadBalancer lb(7);
  lb.Reset(*table);
  int64_t now = 100 * kSecond;
  lb.ReportStatus(c, 1, 503, now);
  lb.ReportStatus(c, 1, 500, now);
  lb.ReportStatus(c, 1, 200, now);  // breaks the run
  lb.ReportStatus(c, 1, 503, now);
  lb.ReportStatus(c, 1, 503, now);
  EXPECT_TRUE(lb.Ejections(now).empty());
  lb.ReportStatus(c, 1, 502, now);
  ASSERT_EQ(lb.Ejections(now).size(), 1u);
  EXPECT_EQ(lb.Ejections(now)[0].endpoint, 1);
  for (int i = 0; i < 30; ++i) {
    lb.ReturnEjected(c, now);
    EXPECT_NE(lb.PickEndpoint(c), 1);
  }
  now += kSecond - 1;
  lb.ReturnEjected(c, now);
  EXPECT_EQ(lb.Ejections(now).size(), 1u) << "still out just before baseEjectionTime";
  now += 1;
  lb.ReturnEjected(c, now);
  EXPECT_TRUE(lb.Ejections(now).empty());
  std::set<int> picked;
  for (int i = 0; i < 3; ++i) picked.insert(lb.PickEndpoint(c));
  EXPECT_EQ(picked.size(), 3u) << "back in the picks";
  // Failing again at once: two base times.
  for (int i = 0; i < 3; ++i) lb.ReportLocalFailure(c, 1, now);  // connect failures count too
  ASSERT_EQ(lb.Ejections(now).size(), 1u);
  EXPECT_EQ(lb.Ejections(now)[0].times, 2u);
  EXPECT_EQ(lb.Ejections(now)[0].until_nanos, now + 2 * kSecond);
  now += 2 * kSecond;
  lb.ReturnEjected(c, now);
  // 25 s in (two intervals): the multiplier has decayed from 2 to 0, so the next is 1x.
  now += 25 * kSecond;
  for (int i = 0; i < 3; ++i) lb.ReportStatus(c, 1, 500, now);
  ASSERT_EQ(lb.Ejections(now).size(), 1u);
  EXPECT_EQ(lb.Ejections(now)[0].times, 1u);
  EXPECT_EQ(lb.outlier_counters().ejections_enforced, 3u);
}

TEST(OutlierDetection, MaxEjectionPercentAllowsAtLeastOneAndGatewayErrorsCountApart) {
  // Default maxEjectionPercent 10% of 3 endpoints: still one may go.
  auto table = TableWithOutlier("consecutive5xxErrors: 0, consecutiveGatewayErrors: 2");
  const router::Cluster& c = table->clusters()[0];
  LoadBalancer lb(7);
  lb.Reset(*table);
  int64_t now = kSecond;
  lb.ReportStatus(c, 0, 500, now);  // not a gateway error: breaks nothing, counts nothing
  lb.ReportStatus(c, 0, 500, now);
  EXPECT_TRUE(lb.Ejections(now).empty());
  lb.ReportStatus(c, 0, 504, now);
  lb.ReportStatus(c, 0, 503, now);
  ASSERT_EQ(lb.Ejections(now).size(), 1u);
  lb.ReportStatus(c, 2, 502, now);
  lb.ReportStatus(c, 2, 502, now);
  EXPECT_EQ(lb.Ejections(now).size(), 1u) << "a second would pass 10%";
  EXPECT_EQ(lb.outlier_counters().ejections_overflow, 1u);
}

TEST(OutlierDetection, EjectionsSurviveANewTable) {
  auto hashed = TableWithOutlier("consecutive5xxErrors: 1, baseEjectionTime: 30s", "ROUND_ROBIN");
  const router::Cluster& c = hashed->clusters()[0];
  LoadBalancer lb(7);
  lb.Reset(*hashed);
  int64_t now = kSecond;
  lb.ReportStatus(c, 2, 500, now);
  ASSERT_EQ(lb.Ejections(now).size(), 1u);
  // A weight step of a rollout publishes a new table: the endpoint stays out.
  auto next = TableWithOutlier("consecutive5xxErrors: 1, baseEjectionTime: 30s", "ROUND_ROBIN");
  lb.Reset(*next);
  const router::Cluster& c2 = next->clusters()[0];
  ASSERT_EQ(lb.Ejections(now).size(), 1u);
  EXPECT_EQ(lb.Ejections(now)[0].endpoint, 2);
  for (int i = 0; i < 9; ++i) EXPECT_NE(lb.PickEndpoint(c2), 2);
}

}  // namespace
}  // namespace canaryd::upstream

#include "rollout/route_weights.h"

#include <gtest/gtest.h>

namespace canaryd::rollout {
namespace {

using nlohmann::json;

// The walkthrough's VirtualService, as the API stores it.
json WalkthroughVs() {
  return json::parse(R"({
    "apiVersion": "networking.istio.io/v1alpha3", "kind": "VirtualService",
    "metadata": {"name": "web", "namespace": "default", "resourceVersion": "42"},
    "spec": {"hosts": ["*"], "gateways": ["web-gateway"],
      "http": [{"route": [
        {"destination": {"host": "web-v1-service"}, "weight": 90},
        {"destination": {"host": "web-v2-service"}, "weight": 10}]}]}})");
}

CanaryPlan Plan() {
  config::CanarySpec spec;
  spec.virtual_service = "web";
  spec.stable.emplace().host = "web-v1-service";
  spec.canary.emplace().host = "web-v2-service";
  return MakePlan(spec, "default", "web");
}

TEST(RouteWeights, TheWalkthroughsRouteIsFound) {
  RouteObservation o = ObserveRoute(WalkthroughVs(), Plan(), "r1");
  ASSERT_TRUE(o.ok) << o.error;
  EXPECT_EQ(o.stable_weight, 90);
  EXPECT_EQ(o.canary_weight, 10);
  EXPECT_EQ(o.resource_version, "42");
  EXPECT_EQ(o.applied_seq, 0);
}

TEST(RouteWeights, WeightsAndMarkAreWrittenAndReadBack) {
  std::string error;
  json next = WithWeights(WalkthroughVs(), Plan(), "r1", 30, 7, &error);
  ASSERT_FALSE(next.is_null()) << error;
  RouteObservation o = ObserveRoute(next, Plan(), "r1");
  EXPECT_EQ(o.canary_weight, 30);
  EXPECT_EQ(o.stable_weight, 70);
  EXPECT_EQ(o.applied_seq, 7);
  EXPECT_EQ(next["metadata"]["annotations"]["web.rollout.canaryd.io/seq"], "r1:7");
  EXPECT_EQ(ObserveRoute(next, Plan(), "r2").applied_seq, 0);  // another revision's mark
  // Everything else as read.
  json a = next, b = WalkthroughVs();
  a["spec"]["http"][0]["route"] = nullptr;
  b["spec"]["http"][0]["route"] = nullptr;
  a["metadata"].erase("annotations");
  EXPECT_EQ(a, b);
}

// analysis.sessionAffinity: the annotation the gateway reads, and the canary after the stable
// (the sticky canary's buckets go to the route's last destination first), whatever order the
// route had; without it, neither.
TEST(RouteWeights, SessionAffinitySetsTheStickyAnnotationAndPutsTheCanaryLast) {
  config::CanarySpec spec;
  spec.virtual_service = "web";
  spec.stable.emplace().host = "web-v1-service";
  spec.canary.emplace().host = "web-v2-service";
  spec.analysis.session_affinity.emplace().cookie_name = "canary-user";
  CanaryPlan plan = MakePlan(spec, "default", "web");
  json vs = WalkthroughVs();
  json& dests = vs["spec"]["http"][0]["route"];
  std::swap(dests[0], dests[1]);  // the canary first
  ASSERT_EQ(dests[0]["destination"]["host"], "web-v2-service");
  std::string error;
  json next = WithWeights(vs, plan, "r1", 25, 3, &error);
  ASSERT_FALSE(next.is_null()) << error;
  EXPECT_EQ(next["metadata"]["annotations"]["canaryd.io/sticky-canary"], "cookie=canary-user");
  const json& out = next["spec"]["http"][0]["route"];
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0]["destination"]["host"], "web-v1-service");
  EXPECT_EQ(out[0]["weight"], 75);
  EXPECT_EQ(out[1]["destination"]["host"], "web-v2-service");
  EXPECT_EQ(out[1]["weight"], 25);
  RouteObservation o = ObserveRoute(next, plan, "r1");
  EXPECT_EQ(o.canary_weight, 25);
  EXPECT_EQ(o.stable_weight, 75);

  json plain = WithWeights(vs, Plan(), "r1", 25, 3, &error);
  EXPECT_FALSE(plain["metadata"]["annotations"].contains("canaryd.io/sticky-canary"));
  EXPECT_EQ(plain["spec"]["http"][0]["route"][0]["destination"]["host"], "web-v2-service");
}

TEST(RouteWeights, FullyQualifiedHostsAreTheSameDestination) {
  json vs = WalkthroughVs();
  vs["spec"]["http"][0]["route"][0]["destination"]["host"] =
      "web-v1-service.default.svc.cluster.local";
  RouteObservation o = ObserveRoute(vs, Plan(), "r1");
  ASSERT_TRUE(o.ok) << o.error;
  EXPECT_EQ(o.stable_weight, 90);
}

TEST(RouteWeights, AnAbsentCanaryIsAddedAtWeightZero) {
  json vs = WalkthroughVs();
  vs["spec"]["http"][0]["route"] = json::array({{{"destination", {{"host", "web-v1-service"}}}}});
  RouteObservation o = ObserveRoute(vs, Plan(), "r1");
  ASSERT_TRUE(o.ok);
  EXPECT_EQ(o.stable_weight, 100);  // a lone destination takes everything
  EXPECT_EQ(o.canary_weight, 0);
  std::string error;
  json next = WithWeights(vs, Plan(), "r1", 0, 1, &error);
  ASSERT_EQ(next["spec"]["http"][0]["route"].size(), 2u);
  EXPECT_EQ(next["spec"]["http"][0]["route"][1]["destination"]["host"], "web-v2-service");
  EXPECT_EQ(next["spec"]["http"][0]["route"][1]["weight"], 0);
  EXPECT_EQ(next["spec"]["http"][0]["route"][0]["weight"], 100);
}

TEST(RouteWeights, OtherDestinationsOfTheRouteGetZero) {
  json vs = WalkthroughVs();
  vs["spec"]["http"][0]["route"].push_back(
      {{"destination", {{"host", "web-v0-service"}}}, {"weight", 5}});
  std::string error;
  json next = WithWeights(vs, Plan(), "r1", 20, 1, &error);
  EXPECT_EQ(next["spec"]["http"][0]["route"][2]["weight"], 0);
  EXPECT_EQ(next["spec"]["http"][0]["route"][0]["weight"], 80);
}

TEST(RouteWeights, TwoRoutesToTheStableNeedANamedRoute) {
  json vs = WalkthroughVs();
  vs["spec"]["http"].push_back(vs["spec"]["http"][0]);
  vs["spec"]["http"][1]["name"] = "second";
  RouteObservation o = ObserveRoute(vs, Plan(), "r1");
  EXPECT_FALSE(o.ok);
  EXPECT_NE(o.error.find("more than one http route"), std::string::npos);
  CanaryPlan named = Plan();
  named.route = "second";
  std::string error;
  json next = WithWeights(vs, named, "r1", 40, 1, &error);
  EXPECT_EQ(next["spec"]["http"][1]["route"][1]["weight"], 40);
  EXPECT_EQ(next["spec"]["http"][0]["route"][1]["weight"], 10);  // untouched
}

TEST(RouteWeights, SubsetsTellDestinationsApart) {
  json vs = json::parse(R"({"metadata": {"name": "web", "namespace": "default"},
    "spec": {"http": [{"route": [
      {"destination": {"host": "web", "subset": "v1"}, "weight": 100},
      {"destination": {"host": "web", "subset": "v2"}, "weight": 0}]}]}})");
  config::CanarySpec spec;
  spec.virtual_service = "web";
  spec.stable.emplace().host = "web";
  spec.stable->subset = "v1";
  spec.canary.emplace().host = "web";
  spec.canary->subset = "v2";
  CanaryPlan plan = MakePlan(spec, "default", "web");
  std::string error;
  json next = WithWeights(vs, plan, "r", 25, 1, &error);
  EXPECT_EQ(next["spec"]["http"][0]["route"][0]["weight"], 75);
  EXPECT_EQ(next["spec"]["http"][0]["route"][1]["weight"], 25);
}

TEST(RouteWeights, RoutesWithoutTheStableAreRefusedWithTheReason) {
  json vs = WalkthroughVs();
  vs["spec"]["http"][0]["route"][0]["destination"]["host"] = "other";
  RouteObservation o = ObserveRoute(vs, Plan(), "r1");
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.error, "VirtualService web has no http route to web-v1-service");
}

TEST(CanaryPlan, DefaultsAreFlaggersWhereFlaggerHasThem) {
  config::CanarySpec spec;
  spec.virtual_service = "web";
  spec.stable.emplace().host = "a";
  spec.canary.emplace().host = "b";
  CanaryPlan p = MakePlan(spec, "default", "web");
  EXPECT_EQ(p.interval_ms, 60'000);
  EXPECT_EQ(p.threshold, 5);
  EXPECT_EQ(p.step_weights, (std::vector<int>{10, 20, 30, 40, 50}));
  EXPECT_EQ(p.metrics.size(), 2u);
  EXPECT_EQ(p.LatencyBoundMs(), 500);
  EXPECT_EQ(p.min_requests, 10);
  EXPECT_EQ(p.provider_error_limit, 4);
  EXPECT_DOUBLE_EQ(p.alpha, 0.01);
}

TEST(CanaryPlan, TheRevisionChangesWithTheCanaryNotWithTheAnalysis) {
  config::CanarySpec spec;
  spec.virtual_service = "web";
  spec.stable.emplace().host = "a";
  spec.canary.emplace().host = "b";
  std::string r = RevisionOf(spec);
  spec.analysis.threshold = 9;
  EXPECT_EQ(RevisionOf(spec), r);
  spec.canary.emplace().host = "c";
  EXPECT_NE(RevisionOf(spec), r);
  spec.canary.emplace().host = "b";
  spec.revision = "v2.1";
  EXPECT_NE(RevisionOf(spec), r);
}

}  // namespace
}  // namespace canaryd::rollout

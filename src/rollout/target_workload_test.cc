// What canaryd makes for a Canary with targetRef (primary, Services, VirtualService) and how it
// reads the Deployments' readiness.
#include "rollout/target_workload.h"

#include <gtest/gtest.h>

namespace canaryd::rollout {
namespace {

using nlohmann::json;

json Target() {
  return json::parse(R"({
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "default", "generation": 3,
                 "labels": {"app": "web", "team": "a"}},
    "spec": {"replicas": 2,
             "selector": {"matchLabels": {"app": "web"}},
             "template": {"metadata": {"labels": {"app": "web", "version": "v1"}},
                          "spec": {"containers": [{"name": "web",
                                                   "image": "gardnera/canarytester:v1"}]}}},
    "status": {"observedGeneration": 3, "replicas": 2, "updatedReplicas": 2,
               "readyReplicas": 2, "availableReplicas": 2}})");
}

CanaryPlan Plan() {
  config::CanarySpec spec;
  spec.target_ref = config::CanaryTargetRef{"apps/v1", "Deployment", "web"};
  spec.service = config::CanaryService{};
  spec.service->port = 80;
  spec.service->target_port = config::IntOrString{false, 0, "http"};
  spec.service->gateways = {"web-gateway"};
  spec.service->hosts = {"*"};
  return MakePlan(spec, "default", "web");
}

TEST(TargetWorkload, ThePrimaryIsTheTargetWithItsSelectorLabelSuffixed) {
  json p = NewPrimary(Target(), Plan(), "app");
  EXPECT_EQ(p["metadata"]["name"], "web-primary");
  EXPECT_EQ(p["metadata"]["labels"]["app"], "web-primary");
  EXPECT_EQ(p["metadata"]["labels"]["team"], "a");
  EXPECT_EQ(p["spec"]["selector"]["matchLabels"]["app"], "web-primary");
  EXPECT_EQ(p["spec"]["template"]["metadata"]["labels"]["app"], "web-primary");
  EXPECT_EQ(p["spec"]["template"]["metadata"]["labels"]["version"], "v1");
  EXPECT_EQ(p["spec"]["replicas"], 2);
  EXPECT_EQ(p["metadata"]["annotations"][kPrimaryTemplateAnnotation], TemplateHash(Target()));
  EXPECT_FALSE(p.contains("status"));
  // A target scaled to zero still makes a primary that serves.
  json zero = Target();
  zero["spec"]["replicas"] = 0;
  EXPECT_EQ(NewPrimary(zero, Plan(), "app")["spec"]["replicas"], 1);
}

TEST(TargetWorkload, PromotionCopiesTheTemplateAndKeepsThePrimarysReplicas) {
  json primary = NewPrimary(Target(), Plan(), "app");
  primary["spec"]["replicas"] = 3;
  json target = Target();
  target["spec"]["template"]["spec"]["containers"][0]["image"] = "gardnera/canarytester:v2";
  json next = PrimaryWithTemplateOf(primary, target, "app");
  EXPECT_EQ(next["spec"]["template"]["spec"]["containers"][0]["image"], "gardnera/canarytester:v2");
  EXPECT_EQ(next["spec"]["template"]["metadata"]["labels"]["app"], "web-primary");
  EXPECT_EQ(next["spec"]["replicas"], 3);
  EXPECT_EQ(next["metadata"]["annotations"][kPrimaryTemplateAnnotation], TemplateHash(target));
  EXPECT_NE(TemplateHash(target), TemplateHash(Target()));
  // The replica count is not part of the template.
  json scaled = Target();
  scaled["spec"]["replicas"] = 0;
  EXPECT_EQ(TemplateHash(scaled), TemplateHash(Target()));
}

TEST(TargetWorkload, TheSelectorLabelIsAppNameOrAppKubernetesIoName) {
  std::string error;
  EXPECT_EQ(SelectorLabel(Target(), &error), "app");
  json t = Target();
  t["spec"]["selector"]["matchLabels"] = {{"app.kubernetes.io/name", "web"}};
  EXPECT_EQ(SelectorLabel(t, &error), "app.kubernetes.io/name");
  t["spec"]["selector"]["matchLabels"] = {{"tier", "web"}};
  EXPECT_FALSE(SelectorLabel(t, &error));
  EXPECT_NE(error.find("none of the labels app, name or app.kubernetes.io/name"),
            std::string::npos);
  EXPECT_NE(ObserveWorkload(Plan(), t, nullptr).error.find("none of the labels"),
            std::string::npos);
}

TEST(TargetWorkload, ServicesSelectThePrimaryOrTheCanaryAndAreUpdatedOnlyWhenTheyDiffer) {
  std::vector<ServiceShape> shapes = TargetServices(Plan(), "web");
  ASSERT_EQ(shapes.size(), 3u);
  EXPECT_EQ(shapes[0].name, "web");
  EXPECT_EQ(shapes[0].selects, "web-primary");
  EXPECT_EQ(shapes[1].name, "web-primary");
  EXPECT_EQ(shapes[1].selects, "web-primary");
  EXPECT_EQ(shapes[2].name, "web-canary");
  EXPECT_EQ(shapes[2].selects, "web");
  json made = DesiredService(Plan(), shapes[2], "app", nullptr);
  EXPECT_EQ(made["spec"]["selector"], json({{"app", "web"}}));
  EXPECT_EQ(made["spec"]["ports"][0]["port"], 80);
  EXPECT_EQ(made["spec"]["ports"][0]["targetPort"], "http");
  EXPECT_EQ(made["spec"]["ports"][0]["name"], "http");
  EXPECT_EQ(made["metadata"]["annotations"][kTargetCanaryAnnotation], "web");
  json stored = made;
  stored["spec"]["ports"][0]["protocol"] = "TCP";
  stored["spec"]["type"] = "ClusterIP";
  stored["metadata"]["resourceVersion"] = "7";
  EXPECT_TRUE(DesiredService(Plan(), shapes[2], "app", &stored).is_null());
  // A person's Service of that name is taken over, as Flagger does: selector, ports, annotation.
  json theirs = {{"metadata", {{"name", "web"}, {"resourceVersion", "3"}}},
                 {"spec", {{"selector", {{"app", "web"}}}, {"ports", {{{"port", 8080}}}}}}};
  json over = DesiredService(Plan(), shapes[0], "app", &theirs);
  EXPECT_EQ(over["spec"]["selector"], json({{"app", "web-primary"}}));
  EXPECT_EQ(over["metadata"]["resourceVersion"], "3");
  EXPECT_EQ(over["metadata"]["annotations"][kTargetCanaryAnnotation], "web");
}

TEST(TargetWorkload, TheVirtualServiceRoutesToThePrimaryAndKeepsTheControllersWeights) {
  json vs = DesiredVirtualService(Plan(), nullptr);
  EXPECT_EQ(vs["metadata"]["name"], "web");
  EXPECT_EQ(vs["spec"]["hosts"], json({"web", "*"}));
  EXPECT_EQ(vs["spec"]["gateways"], json({"web-gateway"}));
  const json& route = vs["spec"]["http"][0]["route"];
  EXPECT_EQ(route[0]["destination"]["host"], "web-primary");
  EXPECT_EQ(route[0]["weight"], 100);
  EXPECT_EQ(route[1]["destination"]["host"], "web-canary");
  EXPECT_EQ(route[1]["weight"], 0);
  json stored = vs;
  stored["spec"]["http"][0]["route"][0]["weight"] = 80;
  stored["spec"]["http"][0]["route"][1]["weight"] = 20;
  EXPECT_TRUE(DesiredVirtualService(Plan(), &stored).is_null());
  stored["spec"]["hosts"] = {"web"};
  json fixed = DesiredVirtualService(Plan(), &stored);
  EXPECT_EQ(fixed["spec"]["hosts"], json({"web", "*"}));
  EXPECT_EQ(fixed["spec"]["http"][0]["route"][1]["weight"], 20);
}

TEST(TargetWorkload, ReadinessIsTheRolloutCompleteOnEveryReplica) {
  std::string why;
  EXPECT_TRUE(DeploymentReady(Target(), &why)) << why;
  json t = Target();
  t["metadata"]["generation"] = 4;
  EXPECT_FALSE(DeploymentReady(t, &why));
  EXPECT_NE(why.find("generation 4"), std::string::npos);
  t = Target();
  t["status"]["updatedReplicas"] = 1;
  EXPECT_FALSE(DeploymentReady(t, &why));
  EXPECT_EQ(why, "1 of 2 replicas run the current template");
  t = Target();
  t["status"]["replicas"] = 3;
  EXPECT_FALSE(DeploymentReady(t, &why));
  EXPECT_NE(why.find("old replicas"), std::string::npos);
  t = Target();
  t["status"]["availableReplicas"] = 1;
  EXPECT_FALSE(DeploymentReady(t, &why));
  t = Target();
  t["spec"]["replicas"] = 0;
  EXPECT_FALSE(DeploymentReady(t, &why));
}

TEST(TargetWorkload, TheObservationReadsThePrimarysTemplateAnnotation) {
  WorkloadObservation w = ObserveWorkload(Plan(), Target(), nullptr);
  EXPECT_TRUE(w.error.empty());
  EXPECT_TRUE(w.canary_ready);
  EXPECT_EQ(w.primary_template, "");
  EXPECT_FALSE(w.primary_ready);
  json primary = NewPrimary(Target(), Plan(), "app");
  primary["metadata"]["generation"] = 1;
  primary["status"] = Target()["status"];
  primary["status"]["observedGeneration"] = 1;
  w = ObserveWorkload(Plan(), Target(), primary);
  EXPECT_EQ(w.primary_template, TemplateHash(Target()));
  EXPECT_TRUE(w.primary_ready) << w.primary_message;
  EXPECT_NE(ObserveWorkload(Plan(), nullptr, nullptr).error.find("no Deployment web"),
            std::string::npos);
}

TEST(TargetWorkload, TheTargetRunsOnlyWhileANewTemplateIsReleased) {
  CanaryStatus s;
  EXPECT_EQ(DesiredTargetReplicas(s, "t1", 3), std::nullopt);  // initializing: as it is
  EXPECT_TRUE(PrimaryFollowsTarget(s));
  WorkloadObservation w;
  w.target_template = "t1";
  EXPECT_FALSE(RoutesToPrimary(s, w));  // no primary yet
  w.primary_template = "t1";
  EXPECT_FALSE(RoutesToPrimary(s, w));  // not ready
  w.primary_ready = true;
  EXPECT_TRUE(RoutesToPrimary(s, w));
  s.promoted_template = "t1";
  s.phase = Phase::kInitialized;
  EXPECT_TRUE(RoutesToPrimary(s, WorkloadObservation{}));  // from then on, ready or not
  EXPECT_EQ(DesiredTargetReplicas(s, "t1", 3), 0);         // idle
  EXPECT_EQ(DesiredTargetReplicas(s, "t2", 3), 3);         // a new template: the canary runs
  EXPECT_FALSE(PrimaryFollowsTarget(s));
  s.phase = Phase::kProgressing;
  EXPECT_EQ(DesiredTargetReplicas(s, "t2", 0), 1);
  EXPECT_FALSE(PrimaryFollowsTarget(s));
  s.phase = Phase::kPromoting;
  EXPECT_TRUE(PrimaryFollowsTarget(s));
  EXPECT_EQ(DesiredTargetReplicas(s, "t2", 3), 3);
  for (Phase p : {Phase::kSucceeded, Phase::kFailed}) {
    s.phase = p;
    EXPECT_EQ(DesiredTargetReplicas(s, "t2", 3), 0);
    EXPECT_FALSE(PrimaryFollowsTarget(s));
  }
}

}  // namespace
}  // namespace canaryd::rollout

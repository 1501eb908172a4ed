// flagger.app/v1beta1 Canary to the stored canaryd.io shape: Flagger's own file converts
// unchanged; each Flagger field canaryd does not serve is refused with its path and reason.
#include "api/flagger_canary.h"

#include <gtest/gtest.h>

namespace canaryd::api {
namespace {

using nlohmann::json;

// Flagger's Istio tutorial Canary (podinfo), in Flagger's own words.
json Podinfo() {
  return json::parse(R"({
    "apiVersion": "flagger.app/v1beta1", "kind": "Canary",
    "metadata": {"name": "podinfo", "namespace": "test"},
    "spec": {
      "provider": "istio",
      "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"},
      "progressDeadlineSeconds": 60,
      "service": {"port": 80, "targetPort": 9898, "gateways": ["public-gateway"],
                  "hosts": ["app.example.com"]},
      "analysis": {
        "interval": "1m", "threshold": 5, "maxWeight": 50, "stepWeight": 10,
        "metrics": [
          {"name": "request-success-rate", "thresholdRange": {"min": 99}, "interval": "1m"},
          {"name": "request-duration", "thresholdRange": {"max": 500}, "interval": "30s"}],
        "webhooks": [
          {"name": "acceptance-test", "type": "pre-rollout",
           "url": "http://flagger-loadtester.test/", "timeout": "30s",
           "metadata": {"type": "bash", "cmd": "curl -s http://podinfo-canary.test"}}]}}})");
}

TEST(FlaggerCanary, FlaggersTutorialConvertsToTheStoredShape) {
  ApiCause refused;
  std::optional<json> stored = CanaryFromFlagger(Podinfo(), &refused);
  ASSERT_TRUE(stored) << refused.field << ": " << refused.message;
  EXPECT_EQ((*stored)["apiVersion"], "canaryd.io/v1alpha1");
  EXPECT_FALSE((*stored)["spec"].contains("provider"));  // istio: what canaryd is
  json want = Podinfo()["spec"];
  want.erase("provider");
  EXPECT_EQ((*stored)["spec"], want);
}

TEST(FlaggerCanary, UnservedFieldsAreRefusedWithTheirPathAndReason) {
  struct Case {
    json patch;
    std::string field, reason;
  };
  const Case cases[] = {
      {{{"spec", {{"autoscalerRef", {{"name", "podinfo"}}}}}},
       "spec.autoscalerRef",
       "HorizontalPodAutoscaler"},
      {{{"spec", {{"provider", "linkerd"}}}}, "spec.provider", "only \"istio\""},
      {{{"spec", {{"analysis", {{"match", json::array()}}}}}}, "spec.analysis.match", "A/B"},
      {{{"spec", {{"analysis", {{"mirror", true}}}}}}, "spec.analysis.mirror", "mirroring"},
      {{{"spec", {{"analysis", {{"alerts", json::array()}}}}}}, "spec.analysis.alerts", "event"},
      {{{"spec", {{"service", {{"retries", {{"attempts", 3}}}}}}}},
       "spec.service.retries",
       "spec.virtualService"},
      {{{"spec", {{"stable", {{"host", "a"}}}}}}, "spec.stable", "canaryd.io/v1alpha1"},
  };
  for (const Case& c : cases) {
    json doc = Podinfo();
    doc.merge_patch(c.patch);
    ApiCause refused;
    EXPECT_FALSE(CanaryFromFlagger(doc, &refused)) << c.field;
    EXPECT_EQ(refused.field, c.field);
    EXPECT_EQ(refused.reason, "FieldValueNotSupported");
    EXPECT_NE(refused.message.find(c.reason), std::string::npos) << refused.message;
  }
  json templated = Podinfo();
  templated["spec"]["analysis"]["metrics"][1] = {{"name", "latency"},
                                                 {"templateRef", {{"name", "latency"}}}};
  ApiCause refused;
  EXPECT_FALSE(CanaryFromFlagger(templated, &refused));
  EXPECT_EQ(refused.field, "spec.analysis.metrics[1].templateRef");
  EXPECT_NE(refused.message.find("MetricTemplate"), std::string::npos);
}

TEST(FlaggerCanary, BlueGreenAndAMissingTargetAreRefused) {
  json bg = Podinfo();  // with weights too: Flagger still runs Blue/Green
  bg["spec"]["analysis"]["iterations"] = 10;
  ApiCause refused;
  EXPECT_FALSE(CanaryFromFlagger(bg, &refused));
  EXPECT_EQ(refused.field, "spec.analysis.iterations");
  EXPECT_NE(refused.message.find("Blue/Green"), std::string::npos);
  json none = Podinfo();
  none["spec"].erase("targetRef");
  EXPECT_FALSE(CanaryFromFlagger(none, &refused));
  EXPECT_EQ(refused.field, "spec.targetRef");
  EXPECT_EQ(refused.reason, "FieldValueRequired");
}

}  // namespace
}  // namespace canaryd::api

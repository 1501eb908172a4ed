// Flagger's model through the real kubectl: a flagger.app/v1beta1 Canary that targets a
// Deployment run as local processes. canaryd makes the primary, the Services and the
// VirtualService; `kubectl set image` to a healthy version is analysed and promoted through the
// primary; to a version that fails 20% of its requests it is rolled back, its Pods gone and the
// primary untouched, with traffic running all along and every failed request the canary's.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

#include <re2/re2.h>

#include "integration/kubectl_fixture.h"
#include "integration/traffic.h"

namespace canaryd::testing {
namespace {

using namespace std::chrono_literals;

// "200 f2": the status and the x-version header of the demo app that answered ("0 " for none).
std::string StatusAndVersion(const Response& r) {
  return r.ok ? std::to_string(r.status) + " " + r.Header("x-version") : "0 ";
}

constexpr const char* kManifests = R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 5
      containers:
      - name: web
        image: gardnera/canarytester:f1
        ports: [{name: http, containerPort: 80}]
        readinessProbe: {httpGet: {path: /healthz, port: 80}, periodSeconds: 1}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: public-gateway}
spec:
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
---
# Flagger's own Canary, as its Istio tutorial writes it (interval shortened for the test).
apiVersion: flagger.app/v1beta1
kind: Canary
metadata: {name: web}
spec:
  provider: istio
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  progressDeadlineSeconds: 60
  service:
    port: 80
    targetPort: 80
    gateways: [public-gateway]
    hosts: ["*"]
  analysis:
    interval: 1s
    threshold: 2
    maxWeight: 50
    stepWeight: 25
    metrics:
    - name: request-success-rate
      thresholdRange: {min: 99}
      interval: 30s
    - name: request-duration
      thresholdRange: {max: 500}
      interval: 30s
)";

class FlaggerCanaryTest : public KubectlTest {
 protected:
  void SetUp() override {
    KubectlTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    // An operator's catalog entry: the demo app failing a fifth of its requests.
    std::string demoapp = (BinaryDir() / "bin" / "canary-demoapp").string();
    std::string catalog = Write("catalog.yaml", R"y(images:
- image: "faulty:*"
  argv: [")y" + demoapp + R"y(", "--version", "$(IMAGE_TAG)", "--port", "$(PORT)",
         "--listen-host", "$(POD_IP)", "--error-rate", "0.2"]
)y");
    canaryd_.Stop();
    canaryd_.options().extra_args = {"--image-catalog", catalog};
    std::string error;
    ASSERT_TRUE(canaryd_.Start(&error)) << error;
  }

  std::string Get(const std::string& what, const std::string& jsonpath) {
    CommandResult r = canaryd_.Kubectl({"get", what, "-o", "jsonpath={" + jsonpath + "}"});
    return r.exit_code == 0 ? r.out : "";
  }
  std::string Phase() { return Get("canaries.flagger.app/web", ".status.phase"); }
  bool WaitPhase(const std::string& phase, std::chrono::seconds limit) {
    return Eventually([&] { return Phase() == phase; }, limit);
  }
  std::string Image(const std::string& deployment) {
    return Get("deployment/" + deployment, ".spec.template.spec.containers[0].image");
  }
  std::string Events() {
    return canaryd_
        .Kubectl({"get", "events", "--field-selector", "involvedObject.name=web", "-o",
                  "custom-columns=REASON:.reason,MESSAGE:.message"})
        .out;
  }
  // The gateway's answers to `n` requests, as Traffic counts them.
  std::map<std::string, int> Answers(int n) {
    std::map<std::string, int> out;
    for (int i = 0; i < n; ++i) {
      HttpReply r = Http(canaryd_.gateway_port(), "GET", "/");
      std::string version;
      RE2::PartialMatch(r.headers, RE2("(?i)x-version: *([^\r\n]*)"), &version);
      out[std::to_string(r.status) + " " + version]++;
    }
    return out;
  }
};

TEST_F(FlaggerCanaryTest, AHealthyVersionIsPromotedThroughThePrimaryAndAFaultyOneRolledBack) {
  Ok({"apply", "-f", Write("web.yaml", kManifests)});
  ASSERT_TRUE(WaitPhase("Initialized", 60s))
      << Phase() << "\n"
      << Events() << Ok({"get", "deploy,pods"}) << canaryd_.Log();
  // What canaryd made: the primary of the target's template, the Services, the VirtualService.
  EXPECT_EQ(Image("web-primary"), "gardnera/canarytester:f1");
  EXPECT_EQ(Get("deployment/web-primary", ".spec.replicas"), "2");
  EXPECT_EQ(Get("service/web", ".spec.selector.app"), "web-primary");
  EXPECT_EQ(Get("service/web-primary", ".spec.selector.app"), "web-primary");
  EXPECT_EQ(Get("service/web-canary", ".spec.selector.app"), "web");
  EXPECT_EQ(Get("virtualservice/web", ".spec.http[0].route[0].destination.host"), "web-primary");
  EXPECT_EQ(Get("virtualservice/web", ".spec.gateways[0]"), "public-gateway");
  // The target is scaled to zero: the primary serves.
  EXPECT_TRUE(Eventually([&] { return Get("deployment/web", ".spec.replicas") == "0"; }, 10s));
  EXPECT_TRUE(Eventually(
      [&] {
        return Ok({"get", "pods", "-l", "app=web", "-o", "name"}) == "";
      },
      30s))
      << Ok({"get", "pods"});
  EXPECT_EQ(Answers(10), (std::map<std::string, int>{{"200 f1", 10}}));
  // Both shapes show the same object; the table has Flagger's columns.
  std::string table = Ok({"get", "canaries.flagger.app"});
  EXPECT_TRUE(RE2::PartialMatch(table, RE2("NAME +STATUS +WEIGHT +FAILEDCHECKS"))) << table;
  EXPECT_TRUE(RE2::PartialMatch(table, RE2("\nweb +Initialized +0 +0 "))) << table;
  EXPECT_EQ(Get("canaries.canaryd.io/web", ".spec.targetRef.name"), "web");
  // canaryd's defaults are written in, but not iterations, which in Flagger means Blue/Green.
  EXPECT_EQ(Get("canaries.flagger.app/web", ".spec.analysis.providerErrorLimit"), "4");
  EXPECT_EQ(Get("canaries.flagger.app/web", ".spec.analysis.iterations"), "");

  Traffic traffic(canaryd_.gateway_port(), 60, StatusAndVersion);
  Ok({"set", "image", "deployment/web", "web=gardnera/canarytester:f2"});
  ASSERT_TRUE(WaitPhase("Succeeded", 120s)) << Phase() << "\n" << Events() << canaryd_.Log();
  EXPECT_EQ(Image("web-primary"), "gardnera/canarytester:f2");
  EXPECT_EQ(Get("deployment/web", ".spec.replicas"), "0");
  EXPECT_TRUE(Eventually(
      [&] {
        return Ok({"get", "pods", "-l", "app=web", "-o", "name"}) == "";
      },
      30s));
  std::string events = Events();
  for (const char* reason :
       {"NewRevision", "Progressing", "Advance", "Promoting", "Finalising", "Succeeded"}) {
    EXPECT_NE(events.find(reason), std::string::npos) << reason << "\n" << events;
  }
  EXPECT_EQ(Answers(10), (std::map<std::string, int>{{"200 f2", 10}}));
  std::this_thread::sleep_for(1s);
  std::map<std::string, int> healthy = traffic.Counts();
  traffic.Reset();
  int served = 0;
  for (const auto& [key, n] : healthy) {
    EXPECT_TRUE(key == "200 f1" || key == "200 f2") << key << " x" << n;
    served += n;
  }
  std::cout << "healthy release, answers by status and version: "
            << ::testing::PrintToString(healthy) << "\n";
  EXPECT_GT(healthy["200 f2"], 0);
  EXPECT_GT(served, 300);

  Ok({"set", "image", "deployment/web", "web=faulty:f3"});
  ASSERT_TRUE(WaitPhase("Failed", 120s)) << Phase() << "\n" << Events() << canaryd_.Log();
  EXPECT_EQ(Image("web-primary"), "gardnera/canarytester:f2");  // untouched
  EXPECT_TRUE(Eventually(
      [&] {
        return Ok({"get", "pods", "-l", "app=web", "-o", "name"}) == "";
      },
      30s))
      << Ok({"get", "pods"});
  EXPECT_EQ(Get("deployment/web", ".spec.replicas"), "0");
  std::this_thread::sleep_for(1s);
  traffic.Stop();
  std::map<std::string, int> faulty = traffic.Counts();
  int canary_errors = 0;
  for (const auto& [key, n] : faulty) {
    // Every request is answered; the only failures are the canary's own.
    bool ok = key == "200 f2" || key == "200 f3" || key == "503 f3";
    EXPECT_TRUE(ok) << key << " x" << n;
    if (key == "503 f3") canary_errors += n;
  }
  std::cout << "faulty release, answers by status and version: " << ::testing::PrintToString(faulty)
            << "\n";
  EXPECT_GT(canary_errors, 0) << ::testing::PrintToString(faulty);
  EXPECT_EQ(Answers(10), (std::map<std::string, int>{{"200 f2", 10}}));
  EXPECT_NE(Get("canaries.flagger.app/web", ".status.message").find("rolled back"),
            std::string::npos)
      << Get("canaries.flagger.app/web", ".status.message");
}

TEST_F(FlaggerCanaryTest, FlaggerFieldsCanarydDoesNotServeAreRefusedWithTheReason) {
  std::string file = Write("hpa.yaml", R"(apiVersion: flagger.app/v1beta1
kind: Canary
metadata: {name: web}
spec:
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  autoscalerRef: {apiVersion: autoscaling/v2, kind: HorizontalPodAutoscaler, name: web}
  service: {port: 80}
  analysis: {interval: 1m, threshold: 5, maxWeight: 50, stepWeight: 10}
)");
  CommandResult r = Fails({"apply", "-f", file});
  EXPECT_NE(r.err.find("spec.autoscalerRef"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("HorizontalPodAutoscaler"), std::string::npos) << r.err;
  std::string ab = Write("ab.yaml", R"(apiVersion: flagger.app/v1beta1
kind: Canary
metadata: {name: web}
spec:
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  service: {port: 80}
  analysis:
    interval: 1m
    threshold: 5
    iterations: 10
    match: [{headers: {x-canary: {exact: insider}}}]
)");
  CommandResult m = Fails({"apply", "-f", ab});
  EXPECT_NE(m.err.find("spec.analysis.match"), std::string::npos) << m.err;
  EXPECT_NE(m.err.find("A/B"), std::string::npos) << m.err;
  EXPECT_EQ(canaryd_.Kubectl({"get", "canaries", "-o", "name"}).out, "");
}

}  // namespace
}  // namespace canaryd::testing

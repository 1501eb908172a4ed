// Fields canaryd accepts but does not serve yet, through its three outlets with real processes:
// the Warning lines the real kubectl prints at apply, `canaryctl validate`, and /stats/config;
// with Istio's fault-injection and mirroring tasks, and a served-only document that gets no
// warning. Also `kubectl explain`, which shows every field's description from the same
// definition.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "integration/canaryd_instance.h"
#include "testing/paths.h"

namespace canaryd::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kIgnored = " is not served yet; the field is accepted and ignored";

// Everything here is served: no warning at apply, in validate or in /stats/config.
constexpr const char* kServedOnly = R"(apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: web-gateway}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {ports: [{name: http, port: 80}], selector: {app: web}}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: web-v1}
spec: {address: 127.0.0.1, ports: {http: 9}, labels: {app: web, version: v1}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: web}
spec:
  host: web
  trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}, connectionPool: {tcp: {connectTimeout: 1s}}}
  subsets: [{name: v1, labels: {version: v1}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: ["*"]
  gateways: [web-gateway]
  http:
  - match: [{uri: {prefix: /api}}]
    timeout: 5s
    route: [{destination: {host: web, subset: v1, port: {number: 80}}, weight: 100}]
  - redirect: {uri: /api}
)";

// A VirtualService with a field canaryd does not serve (retry back-off).
constexpr const char* kBackoff = R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: backoff}
spec:
  hosts: [backoff.example]
  http:
  - retries: {attempts: 2, backoff: 25ms}
    route: [{destination: {host: web}}]
)";
constexpr const char* kBackoffWarning =
    "spec.http[0].retries.backoff: retry back-off (retries.backoff): retries go out at once";

class NotServedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (CanarydInstance::KubectlPath().empty()) {
      GTEST_SKIP() << "kubectl is not installed (scripts/setup.sh installs it)";
    }
    std::string error;
    ASSERT_TRUE(canaryd_.Start(&error)) << error;
  }

  // The Istio task file, or "" (and the test skips) when ../shared is not beside the checkout.
  static std::string TaskFile(const std::string& rel) {
    std::string shared = SharedDir();
    if (shared.empty()) return "";
    fs::path p = fs::path(shared) / "corpus" / "istio" / rel;
    return fs::exists(p) ? p.string() : "";
  }

  std::string Write(const std::string& name, const std::string& text) {
    std::string path = canaryd_.dir().File(name);
    WriteFile(path, text);
    return path;
  }

  // /stats/config's warnings once they include `want`, or the last ones seen after 10 s.
  std::string StatsWarnings(const std::string& want) {
    std::string body;
    for (int i = 0; i < 100; ++i) {
      HttpReply r = Http(canaryd_.port(), "GET", "/stats/config");
      body = r.body;
      if (r.status == 200 && body.find(want) != std::string::npos) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return body;
  }

  CanarydInstance canaryd_;
};

TEST_F(NotServedTest, KubectlApplyPrintsAWarningPerUnservedFieldAndStatsConfigListsIt) {
  std::string delay =
      TaskFile("istio-samples/samples_bookinfo_networking_virtual-service-ratings-test-delay.yaml");
  std::string mirror = TaskFile("istio-io-docs/mirroring-httpbin.yaml");
  if (delay.empty() || mirror.empty()) {
    GTEST_SKIP() << "../shared/corpus/istio (Istio's fault-injection and mirroring tasks) is not "
                    "beside this checkout; set CANARYD_SHARED_DIR to run this test";
  }
  // Fault injection is served: its task applies without a warning about it.
  CommandResult fault = canaryd_.Kubectl({"apply", "-f", delay});
  ASSERT_EQ(fault.exit_code, 0) << fault.err;
  EXPECT_EQ(fault.err.find(".fault"), std::string::npos) << fault.err;
  // Mirroring is served too.
  CommandResult mirrored = canaryd_.Kubectl({"apply", "-f", mirror});
  ASSERT_EQ(mirrored.exit_code, 0) << mirrored.err;
  EXPECT_EQ(mirrored.err.find("mirroring"), std::string::npos) << mirrored.err;
  // Retry back-off is not: a warning at apply and in /stats/config.
  CommandResult backoff = canaryd_.Kubectl({"apply", "-f", Write("backoff.yaml", kBackoff)});
  ASSERT_EQ(backoff.exit_code, 0) << backoff.err;
  EXPECT_NE(backoff.err.find(std::string("Warning: ") + kBackoffWarning + kIgnored),
            std::string::npos)
      << backoff.err;

  std::string want = std::string("virtualservice default/backoff: ") + kBackoffWarning + kIgnored;
  std::string stats = StatsWarnings(want);
  EXPECT_NE(stats.find(want), std::string::npos) << stats;
  EXPECT_EQ(stats.find(".fault"), std::string::npos) << stats;
  EXPECT_EQ(stats.find("mirroring"), std::string::npos) << stats;
}

TEST_F(NotServedTest, ServedFieldsOnlyGetNoWarningAnywhere) {
  std::string file = Write("served.yaml", kServedOnly);
  CommandResult apply = canaryd_.Kubectl({"apply", "-f", file});
  ASSERT_EQ(apply.exit_code, 0) << apply.err;
  EXPECT_EQ(apply.err.find("Warning"), std::string::npos) << apply.err;
  CommandResult validate = canaryd_.Canaryctl({"validate", "-f", file});
  EXPECT_EQ(validate.exit_code, 0) << validate.out << validate.err;
  EXPECT_NE(validate.out.find("5 resources valid in 5 documents of 1 files; 0 errors, 0 warnings"),
            std::string::npos)
      << validate.out;
  std::string stats = StatsWarnings("\"resources\":5");
  EXPECT_NE(stats.find("\"warnings\":[]"), std::string::npos) << stats;
}

TEST_F(NotServedTest, CanaryctlValidateWarnsWithFileLineAndPath) {
  std::string file = Write("backoff.yaml", kBackoff);
  CommandResult r = canaryd_.Canaryctl({"validate", "-f", file});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find(file + ":7:37: warning: " + kBackoffWarning + kIgnored), std::string::npos)
      << r.out;
}

TEST_F(NotServedTest, KubectlExplainShowsEveryFieldsDescription) {
  CommandResult http = canaryd_.Kubectl({"explain", "virtualservice.spec.http"});
  ASSERT_EQ(http.exit_code, 0) << http.out << http.err;
  EXPECT_EQ(http.out.find("<no description>"), std::string::npos) << http.out;
  EXPECT_NE(http.out.find("Injects delays or errors"), std::string::npos) << http.out;
  EXPECT_NE(http.out.find("Not served by canaryd yet"), std::string::npos) << http.out;
  CommandResult kind = canaryd_.Kubectl({"explain", "destinationrules"});
  ASSERT_EQ(kind.exit_code, 0) << kind.out << kind.err;
  EXPECT_NE(kind.out.find("Policies for traffic to one service"), std::string::npos) << kind.out;
  EXPECT_EQ(kind.out.find("<no description>"), std::string::npos) << kind.out;
  CommandResult service = canaryd_.Kubectl({"explain", "service.spec.selector"});
  ASSERT_EQ(service.exit_code, 0) << service.out << service.err;
  EXPECT_NE(service.out.find("WorkloadEntries"), std::string::npos) << service.out;
}

}  // namespace
}  // namespace canaryd::testing

// Progressive delivery with real processes on loopback: canaryd, two canary-demoapp versions
// (the canary made slow or failing with --error-rate and --latency), traffic through the gateway
// from a thread of the test, a webhook receiver, the real kubectl to apply the Canary and read
// its status, and canaryctl for `rollout status --wait`. Intervals of 1 s keep the suite fast.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "integration/canaryd_instance.h"
#include "integration/harness.h"
#include "integration/prometheus_server.h"
#include "integration/traffic.h"
#include "testing/net.h"
#include "testing/piece_backend.h"
#include "testing/walkthrough_yaml.h"

namespace canaryd::testing {
namespace {

using nlohmann::json;

std::string BinPath(const std::string& name) {
  return (std::filesystem::path(CanarydInstance::CanarydPath()).parent_path() / name).string();
}

struct Backend {
  std::unique_ptr<Process> process;
  uint16_t port = 0;
  static Backend Start(const std::string& version, std::vector<std::string> extra = {}) {
    Backend b;
    b.port = FreePort();
    SpawnOptions s;
    s.argv = {BinPath("canary-demoapp"), "--version", version, "--port", std::to_string(b.port)};
    if (std::find(extra.begin(), extra.end(), "--seed") == extra.end()) {
      extra.insert(extra.end(), {"--seed", "7"});
    }
    s.argv.insert(s.argv.end(), extra.begin(), extra.end());
    std::string error;
    b.process = Process::Spawn(s, &error);
    EXPECT_TRUE(b.process) << error;
    EXPECT_TRUE(WaitForPort("127.0.0.1", b.port, 10s));
    return b;
  }
};

// The walkthrough's VirtualService before any canary: everything to v1.
constexpr const char* kVirtualService = R"(---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: web}
spec:
  hosts: ["*"]
  gateways: [web-gateway]
  http:
  - route:
    - destination: {host: web-v1-service}
)";

std::string CanaryYaml(const std::string& analysis, const std::string& extra_spec = "") {
  return "apiVersion: canaryd.io/v1alpha1\nkind: Canary\nmetadata: {name: web}\nspec:\n"
         "  virtualService: web\n  stable: {host: web-v1-service}\n"
         "  canary: {host: web-v2-service}\n" +
         extra_spec + "  analysis:\n" + analysis;
}

class RolloutTest : public ::testing::Test {
 protected:
  void Setup(std::vector<std::string> v2_args) {
    if (CanarydInstance::KubectlPath().empty()) GTEST_SKIP() << "kubectl not found";
    v1_ = Backend::Start("v1");
    v2_ = Backend::Start("v2", std::move(v2_args));
    std::string error;
    ASSERT_TRUE(canaryd_.Start(&error)) << error;
    Apply("base.yaml", WalkthroughYaml(v1_.port, v2_.port) + kVirtualService);
  }

  void Apply(const std::string& name, const std::string& yaml) {
    WriteFile(canaryd_.dir().File(name), yaml);
    CommandResult r = canaryd_.Kubectl({"apply", "-f", canaryd_.dir().File(name)});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }

  json Canary() {
    CommandResult r = canaryd_.Kubectl({"get", "canary", "web", "-o", "json"});
    if (r.exit_code != 0) return json();
    return json::parse(r.out, nullptr, false);
  }
  std::string Phase() {
    json c = Canary();
    if (!c.is_object() || !c.contains("status")) return "";
    return c["status"].value("phase", "");
  }
  int CanaryWeightInVs() {
    CommandResult r = canaryd_.Kubectl({"get", "vs", "web", "-o", "json"});
    json vs = json::parse(r.out, nullptr, false);
    if (!vs.is_object()) return -1;
    for (const json& d : vs["spec"]["http"][0]["route"]) {
      if (d["destination"]["host"] == "web-v2-service") return d.value("weight", 0);
    }
    return -1;
  }
  // Waits (bounded) for the phase; the phases seen on the way, in order.
  std::vector<std::string> WaitForPhase(const std::string& phase, std::chrono::seconds limit) {
    std::vector<std::string> seen;
    auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      std::string p = Phase();
      if (seen.empty() || seen.back() != p) seen.push_back(p);
      if (p == phase) break;
      std::this_thread::sleep_for(200ms);
    }
    return seen;
  }
  std::string Events() {
    return canaryd_
        .Kubectl({"get", "events", "--field-selector", "involvedObject.name=web", "-o",
                  "custom-columns=REASON:.reason,MESSAGE:.message"})
        .out;
  }

  Backend v1_, v2_;
  CanarydInstance canaryd_;
};

constexpr const char* kFastAnalysis =
    "    interval: 1s\n    threshold: 2\n    stepWeights: [20, 50]\n    minRequests: 5\n";

TEST_F(RolloutTest, AHealthyCanaryIsPromotedThroughEveryStep) {
  Setup({});
  Traffic traffic(canaryd_.gateway_port(), 100);
  Apply("canary.yaml", CanaryYaml(kFastAnalysis));
  std::vector<std::string> seen = WaitForPhase("Succeeded", 60s);
  ASSERT_EQ(seen.back(), "Succeeded")
      << ::testing::PrintToString(seen) << Events() << canaryd_.Log();
  EXPECT_EQ(CanaryWeightInVs(), 100);
  std::string events = Events();
  EXPECT_NE(events.find("advance canary weight 50"), std::string::npos) << events;
  EXPECT_NE(events.find("promotion completed"), std::string::npos) << events;
  // kubectl get canaries prints Flagger's columns.
  CommandResult table = canaryd_.Kubectl({"get", "canaries"});
  EXPECT_NE(table.out.find("STATUS"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("FAILEDCHECKS"), std::string::npos);
  EXPECT_NE(table.out.find("Succeeded"), std::string::npos);
  // The defaults are visible, and describe shows the decisions.
  json c = Canary();
  EXPECT_EQ(c["spec"]["analysis"]["providerErrorLimit"], 4);
  EXPECT_EQ(c["spec"]["progressDeadlineSeconds"], 600);
  CommandResult explain = canaryd_.Kubectl({"explain", "canary.spec.analysis"});
  EXPECT_EQ(explain.exit_code, 0) << explain.err;
  EXPECT_NE(explain.out.find("stepWeights"), std::string::npos) << explain.out;
  EXPECT_NE(explain.out.find("minRequests"), std::string::npos) << explain.out;
  CommandResult for_canary = canaryd_.Kubectl({"events", "--for", "canary/web"});
  EXPECT_EQ(for_canary.exit_code, 0) << for_canary.err;
  EXPECT_NE(for_canary.out.find("Advance"), std::string::npos) << for_canary.out;
  CommandResult describe = canaryd_.Kubectl({"describe", "canary", "web"});
  EXPECT_NE(describe.out.find("Advance"), std::string::npos) << describe.out;
  HttpReply metrics = Http(canaryd_.port(), "GET", "/stats/prometheus");
  EXPECT_NE(metrics.body.find("flagger_canary_status{name=\"web\",namespace=\"default\"} 1"),
            std::string::npos);
  EXPECT_NE(metrics.body.find("flagger_canary_weight{workload=\"web\",namespace=\"default\"} 100"),
            std::string::npos);
}

TEST_F(RolloutTest, TenPercentErrorsAreRolledBack) {
  Setup({"--error-rate", "0.1"});
  Traffic traffic(canaryd_.gateway_port(), 100);
  Apply("canary.yaml", CanaryYaml("    interval: 2s\n    threshold: 3\n    stepWeights: [20, 50]\n"
                                  "    minRequests: 5\n"));
  std::vector<std::string> seen = WaitForPhase("Failed", 60s);
  ASSERT_EQ(seen.back(), "Failed") << ::testing::PrintToString(seen) << Events();
  EXPECT_EQ(CanaryWeightInVs(), 0);
  json c = Canary();
  std::string message = c["status"].value("message", "");
  // Caught by the sequential test or by the success-rate checks, and it says which.
  EXPECT_TRUE(message.find("sequential test") != std::string::npos ||
              message.find("request-success-rate") != std::string::npos)
      << message;
}

TEST_F(RolloutTest, ASlowCanaryIsRolledBack) {
  Setup({"--latency", "800ms"});
  Traffic traffic(canaryd_.gateway_port(), 40);
  Apply("canary.yaml", CanaryYaml("    interval: 2s\n    threshold: 2\n    stepWeights: [20, 50]\n"
                                  "    minRequests: 3\n    metrics:\n    - name: request-duration\n"
                                  "      thresholdRange: {max: 500}\n"));
  std::vector<std::string> seen = WaitForPhase("Failed", 60s);
  ASSERT_EQ(seen.back(), "Failed") << ::testing::PrintToString(seen) << Events();
  EXPECT_EQ(CanaryWeightInVs(), 0);
}

TEST_F(RolloutTest, LowTrafficHoldsAndTheDeadlineFailsItWithTheReason) {
  Setup({});
  Traffic traffic(canaryd_.gateway_port(), 2);
  Apply("canary.yaml", CanaryYaml("    interval: 1s\n    threshold: 1\n    stepWeights: [20, 50]\n"
                                  "    minRequests: 50\n",
                                  "  progressDeadlineSeconds: 6\n"));
  std::this_thread::sleep_for(4s);
  json c = Canary();
  EXPECT_EQ(c["status"]["phase"], "Progressing");
  EXPECT_EQ(c["status"]["failedChecks"], 0) << "too little data never fails a check";
  EXPECT_NE(c["status"].value("message", "").find("holding:"), std::string::npos)
      << c["status"].dump();
  std::vector<std::string> seen = WaitForPhase("Failed", 30s);
  ASSERT_EQ(seen.back(), "Failed") << ::testing::PrintToString(seen);
  c = Canary();
  EXPECT_EQ(c["status"]["reason"], "ProgressDeadlineExceeded");
  EXPECT_NE(c["status"].value("message", "").find("of 50 canary requests"), std::string::npos)
      << c["status"].dump();
  EXPECT_EQ(c["status"]["failedChecks"], 0);
}

TEST_F(RolloutTest, ConfirmPromotionHoldsUntilTheWebhookAnswers200) {
  std::atomic<bool> open{false};
  PieceBackend hook([&](const std::string&) {
    PieceBackend::Reply r;
    r.bytes = open ? "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
                   : "HTTP/1.1 403 Forbidden\r\nContent-Length: 6\r\n\r\nclosed";
    return r;
  });
  Setup({});
  Traffic traffic(canaryd_.gateway_port(), 100);
  Apply("canary.yaml", CanaryYaml(std::string(kFastAnalysis) +
                                  "    webhooks:\n    - name: gate\n      type: confirm-promotion\n"
                                  "      url: http://127.0.0.1:" +
                                  std::to_string(hook.port()) + "/gate\n"));
  std::vector<std::string> seen = WaitForPhase("WaitingPromotion", 40s);
  ASSERT_EQ(seen.back(), "WaitingPromotion") << ::testing::PrintToString(seen) << Events();
  std::this_thread::sleep_for(3s);
  EXPECT_EQ(Phase(), "WaitingPromotion");
  EXPECT_EQ(CanaryWeightInVs(), 50);
  ASSERT_FALSE(hook.requests().empty());
  EXPECT_NE(hook.requests().back().find("\"phase\":\"WaitingPromotion\""), std::string::npos)
      << hook.requests().back();
  open = true;
  seen = WaitForPhase("Succeeded", 30s);
  EXPECT_EQ(seen.back(), "Succeeded");
}

TEST_F(RolloutTest, AfterKill9ItResumesAtTheSameStep) {
  Setup({});
  Traffic traffic(canaryd_.gateway_port(), 100);
  Apply("canary.yaml",
        CanaryYaml("    interval: 3s\n    threshold: 2\n    stepWeights: [10, 20, 30, 40, 50]\n"
                   "    minRequests: 5\n"));
  // Wait for the second step, then kill -9.
  int weight = 0;
  for (int i = 0; i < 200 && weight < 20; ++i) {
    weight = Canary().value("status", json::object()).value("canaryWeight", 0);
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_GE(weight, 20);
  json before = Canary();
  kill(canaryd_.process()->pid(), SIGKILL);
  canaryd_.process()->Wait(10s);
  int step_before = before["status"]["step"];
  std::string error;
  ASSERT_TRUE(canaryd_.Start(&error)) << error;
  json after = Canary();
  EXPECT_EQ(after["status"]["step"], step_before);
  EXPECT_EQ(after["status"]["canaryWeight"], before["status"]["canaryWeight"]);
  EXPECT_EQ(CanaryWeightInVs(), before["status"]["canaryWeight"].get<int>());
  // From there it goes on, one step at a time, to the end.
  std::vector<int> weights;
  auto end = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < end) {
    json c = Canary();
    if (!c.is_object()) continue;
    int w = c["status"].value("canaryWeight", -1);
    if (weights.empty() || weights.back() != w) weights.push_back(w);
    if (c["status"].value("phase", "") == "Succeeded") break;
    std::this_thread::sleep_for(200ms);
  }
  ASSERT_FALSE(weights.empty());
  for (size_t i = 1; i < weights.size(); ++i) {
    EXPECT_GT(weights[i], weights[i - 1]) << ::testing::PrintToString(weights);
    if (weights[i] < 100) {
      EXPECT_EQ(weights[i] - weights[i - 1], 10) << "no step doubled";
    }
  }
  EXPECT_EQ(weights.back(), 100) << ::testing::PrintToString(weights);
}

TEST_F(RolloutTest, RolloutStatusWaitExitCodes) {
  Setup({"--error-rate", "0.5"});
  Traffic traffic(canaryd_.gateway_port(), 100);
  // Timeout: nothing happens while suspended.
  Apply("canary.yaml", CanaryYaml(kFastAnalysis, "  suspend: true\n"));
  CommandResult timeout =
      canaryd_.Canaryctl({"rollout", "status", "web", "--wait", "--timeout", "2s"});
  EXPECT_EQ(timeout.exit_code, 2) << timeout.out << timeout.err;
  // Failed: resumed, the failing canary is rolled back.
  CommandResult resume = canaryd_.Canaryctl({"rollout", "resume", "web"});
  EXPECT_EQ(resume.exit_code, 0) << resume.err;
  CommandResult failed =
      canaryd_.Canaryctl({"rollout", "status", "web", "--wait", "--timeout", "60s"});
  EXPECT_EQ(failed.exit_code, 1) << failed.out << failed.err;
  EXPECT_EQ(Phase(), "Failed");
  // kubectl wait on the phase works too.
  CommandResult wait = canaryd_.Kubectl(
      {"wait", "--for=jsonpath={.status.phase}=Failed", "canary/web", "--timeout=10s"});
  EXPECT_EQ(wait.exit_code, 0) << wait.out << wait.err;
}

TEST_F(RolloutTest, RolloutStatusWaitSucceedsAndPromoteAndAbortWork) {
  Setup({});
  Traffic traffic(canaryd_.gateway_port(), 100);
  Apply("canary.yaml", CanaryYaml("    interval: 30s\n    threshold: 2\n    stepWeights: [10, 50]\n"
                                  "    minRequests: 5\n"));
  // With 30 s intervals it would take a minute; promote skips the steps.
  for (int i = 0; i < 100 && Phase() != "Progressing"; ++i) std::this_thread::sleep_for(100ms);
  CommandResult promote = canaryd_.Canaryctl({"rollout", "promote", "web"});
  EXPECT_EQ(promote.exit_code, 0) << promote.err;
  CommandResult ok = canaryd_.Canaryctl({"rollout", "status", "web", "--wait", "--timeout", "30s"});
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_EQ(CanaryWeightInVs(), 100);
  json c = Canary();
  EXPECT_FALSE(c["metadata"].contains("annotations") &&
               c["metadata"]["annotations"].contains("canaryd.io/promote"))
      << "the request is consumed";

  // A new revision (the annotation kubectl would change), then abort.
  Apply("canary2.yaml",
        CanaryYaml("    interval: 30s\n    threshold: 2\n    stepWeights: [10, 50]\n"
                   "    minRequests: 5\n",
                   "  revision: \"2\"\n"));
  for (int i = 0; i < 100 && Phase() != "Progressing"; ++i) std::this_thread::sleep_for(100ms);
  ASSERT_EQ(Phase(), "Progressing");
  CommandResult abort = canaryd_.Canaryctl({"rollout", "abort", "web"});
  EXPECT_EQ(abort.exit_code, 0) << abort.err;
  CommandResult failed =
      canaryd_.Canaryctl({"rollout", "status", "web", "--wait", "--timeout", "30s"});
  EXPECT_EQ(failed.exit_code, 1) << failed.out;
  EXPECT_EQ(CanaryWeightInVs(), 0);
  EXPECT_EQ(Canary()["status"]["reason"], "Aborted");
}

TEST_F(RolloutTest, EquallyBadVersionsWithARelativeBoundAreNotRolledBack) {
  // The stable is as bad as the canary: 5% errors on both sides. An absolute 99% would fail
  // the canary for the stable's own bad hour; relative to the stable, it passes.
  if (CanarydInstance::KubectlPath().empty()) GTEST_SKIP() << "kubectl not found";
  v1_ = Backend::Start("v1", {"--error-rate", "0.05"});
  v2_ = Backend::Start("v2", {"--error-rate", "0.05", "--seed", "11"});
  std::string error;
  ASSERT_TRUE(canaryd_.Start(&error)) << error;
  Apply("base.yaml", WalkthroughYaml(v1_.port, v2_.port) + kVirtualService);
  Traffic traffic(canaryd_.gateway_port(), 150);
  Apply("canary.yaml",
        CanaryYaml("    interval: 2s\n    threshold: 2\n    stepWeights: [20, 50]\n"
                   "    minRequests: 20\n    metrics:\n    - name: request-success-rate\n"
                   "      interval: 4s\n      relativeToStable: {minDifference: -5}\n"));
  std::vector<std::string> seen = WaitForPhase("Succeeded", 60s);
  EXPECT_EQ(seen.back(), "Succeeded") << ::testing::PrintToString(seen) << Events();
}

TEST_F(RolloutTest, APrometheusOutageHoldsThenCountsAsOneFailedCheck) {
  std::string prometheus = PrometheusPath();
  if (prometheus.empty()) GTEST_SKIP() << "prometheus not found (scripts/setup.sh installs it)";
  Setup({});
  TempDir pdir("canaryd-prom");
  PrometheusServer server =
      StartPrometheus(prometheus, pdir,
                      "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
                      "scrape_configs:\n- job_name: canaryd\n  metrics_path: /stats/prometheus\n"
                      "  static_configs: [{targets: ['127.0.0.1:" +
                          std::to_string(canaryd_.port()) + "']}]\n");
  ASSERT_TRUE(server.process) << server.error;
  Traffic traffic(canaryd_.gateway_port(), 100);
  // The canary's 5xx per second from the gateway's own istio_requests_total, as scraped.
  Apply("canary.yaml",
        CanaryYaml("    interval: 2s\n    threshold: 5\n    stepWeights: [10, 20, 30, 40, 50]\n"
                   "    minRequests: 5\n    providerErrorLimit: 2\n    metrics:\n"
                   "    - name: canary-5xx-rate\n      interval: 10s\n"
                   "      provider: {type: prometheus, address: \"" +
                   server.address() +
                   "\"}\n"
                   "      query: sum(rate(istio_requests_total{destination_service_name=\"{{ "
                   "canary }}\",response_code=~\"5..\"}[{{ interval }}])) or vector(0)\n"
                   "      thresholdRange: {max: 1}\n"));
  int weight = 0;
  for (int i = 0; i < 300 && weight < 20; ++i) {
    weight = Canary().value("status", json::object()).value("canaryWeight", 0);
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_GE(weight, 20) << "the query passes while Prometheus runs\n" << Events();
  server.process->Stop(SIGTERM);
  // Holds (the weight stays) while the errors are counted; the limit makes one failed check.
  json c;
  bool counted = false;
  for (int i = 0; i < 150 && !counted; ++i) {
    c = Canary();
    counted = c["status"].value("failedChecks", 0) >= 1;
    if (!counted) std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(counted) << c.dump() << Events();
  EXPECT_EQ(c["status"]["phase"], "Progressing");
  EXPECT_LE(c["status"]["canaryWeight"].get<int>(), weight + 10)
      << "no step while the provider is down (at most the one decided before the stop)";
  std::string events = Events();
  EXPECT_NE(events.find("provider error 1 of 2"), std::string::npos) << events;
  EXPECT_NE(events.find("consecutive provider errors count as one failed check"), std::string::npos)
      << events;
}

}  // namespace
}  // namespace canaryd::testing

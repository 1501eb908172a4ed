// The data plane with real processes on loopback: canaryd, two canary-demoapp backends, the real
// kubectl (the seed's own YAML), wrk for load, curl for streaming.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "integration/canaryd_instance.h"
#include "integration/harness.h"
#include "testing/net.h"
#include "testing/paths.h"

namespace canaryd::testing {
namespace {

std::string BinPath(const std::string& name) {
  return (std::filesystem::path(CanarydInstance::CanarydPath()).parent_path() / name).string();
}

// A canary-demoapp process for one version.
struct Backend {
  std::unique_ptr<Process> process;
  uint16_t port = 0;

  static Backend Start(const std::string& version, std::vector<std::string> extra = {}) {
    Backend b;
    b.port = FreePort();
    SpawnOptions s;
    s.argv = {BinPath("canary-demoapp"), "--version", version, "--port", std::to_string(b.port)};
    s.argv.insert(s.argv.end(), extra.begin(), extra.end());
    std::string error;
    b.process = Process::Spawn(s, &error);
    EXPECT_TRUE(b.process) << error;
    EXPECT_TRUE(WaitForPort("127.0.0.1", b.port, 10s));
    return b;
  }
};

std::string Workloads(uint16_t v1, uint16_t v2) {
  return "apiVersion: networking.istio.io/v1\nkind: WorkloadEntry\nmetadata: {name: web-v1}\n"
         "spec: {address: 127.0.0.1, ports: {\"80\": " +
         std::to_string(v1) +
         "}, labels: {app: web, version: v1}}\n---\n"
         "apiVersion: networking.istio.io/v1\nkind: WorkloadEntry\nmetadata: {name: web-v2}\n"
         "spec: {address: 127.0.0.1, ports: {\"80\": " +
         std::to_string(v2) + "}, labels: {app: web, version: v2}}\n";
}

// The walkthrough's files: the seed's own when ../shared is here, else the project's copy.
std::string WalkthroughFile(const std::string& name) {
  std::string shared = SharedDir();
  if (!shared.empty()) return shared + "/seed/" + name;
  std::filesystem::path ours = SourceDir() / "examples" / "walkthrough";
  if (std::filesystem::exists(ours / name)) return (ours / name).string();
  return (ours / "steps" / name).string();
}

class GatewayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (CanarydInstance::KubectlPath().empty()) GTEST_SKIP() << "kubectl not found";
    v1_ = Backend::Start("v1");
    v2_ = Backend::Start("v2");
    WriteFile(canaryd_.dir().File("workloads.yaml"), Workloads(v1_.port, v2_.port));
    std::string error;
    ASSERT_TRUE(canaryd_.Start(&error)) << error;
    Apply(canaryd_.dir().File("workloads.yaml"));
  }

  std::string Apply(const std::string& file) {
    CommandResult r = canaryd_.Kubectl({"apply", "-f", file});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    return r.out;
  }

  // Waits until GET / answers `body` (the gateway picked up a change), bounded.
  bool WaitForBody(const std::string& body) {
    for (int i = 0; i < 200; ++i) {
      Client c(canaryd_.gateway_port(), 1000);
      if (c.connected()) {
        Response r = c.Request("GET / HTTP/1.1\r\nHost: web\r\n\r\n");
        if (r.ok && r.body == body) return true;
      }
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

  Backend v1_, v2_;
  CanarydInstance canaryd_;
};

TEST_F(GatewayTest, TheSeedRoutesSplitsAndShiftsTraffic) {
  EXPECT_EQ(Apply(WalkthroughFile("web-v1-service.yaml")), "service/web-v1-service created\n");
  Apply(WalkthroughFile("web-v2-service.yaml"));
  Apply(WalkthroughFile("web-gateway-virtualservice.yaml"));
  ASSERT_TRUE(WaitForBody("v1")) << canaryd_.Log();

  Client c(canaryd_.gateway_port());
  Response other = c.Request("GET /other HTTP/1.1\r\nHost: web\r\n\r\n");
  EXPECT_EQ(other.status, 404);
  HttpReply metrics = Http(canaryd_.port(), "GET", "/stats/prometheus");
  EXPECT_NE(metrics.body.find("response_code=\"404\",grpc_response_status=\"\","
                              "response_flags=\"NR\""),
            std::string::npos)
      << "the 404 is recorded with response flag NR";

  Apply(WalkthroughFile("web-gateway-virtualservice-90-10.yaml"));
  // Under 100/0 no request reaches v2; under 90/10 one in every ten does. So a v2 answer says the
  // worker (there is one) serves the new table, and nothing else changes it after that.
  ASSERT_TRUE(WaitForBody("v2")) << "the 90/10 split never answered from v2\n" << canaryd_.Log();
  // One worker, one kept-alive connection: smooth weighted round-robin gives exactly 90/10 over
  // every full cycle of 100.
  Client split(canaryd_.gateway_port());
  std::map<std::string, int> counts;
  for (int i = 0; i < 10000; ++i) {
    Response r = split.Request("GET / HTTP/1.1\r\nHost: web\r\n\r\n");
    ASSERT_TRUE(r.ok) << i;
    counts[r.body]++;
  }
  EXPECT_EQ(counts["v1"], 9000);
  EXPECT_EQ(counts["v2"], 1000);

  std::filesystem::path all_v2 =
      SourceDir() / "examples" / "walkthrough" / "steps" / "web-gateway-virtualservice-0-100.yaml";
  Apply(all_v2.string());
  ASSERT_TRUE(WaitForBody("v2"));
  Client after(canaryd_.gateway_port());
  for (int i = 0; i < 500; ++i) {
    ASSERT_EQ(after.Request("GET / HTTP/1.1\r\nHost: web\r\n\r\n").body, "v2") << i;
  }
}

TEST_F(GatewayTest, HotWeightChangesUnderLoadDropNothing) {
  std::string wrk = FindExecutable("wrk");
  if (wrk.empty()) GTEST_SKIP() << "wrk not found (scripts/setup.sh installs it)";
  Apply((SourceDir() / "examples" / "walkthrough" / "web-v1-service.yaml").string());
  Apply((SourceDir() / "examples" / "walkthrough" / "web-v2-service.yaml").string());
  Apply((SourceDir() / "examples" / "walkthrough" / "web-gateway-virtualservice.yaml").string());
  ASSERT_TRUE(WaitForBody("v1"));

  // wrk runs until it is interrupted (it reports on SIGINT), so the changes land while it runs
  // however long they take (a sanitizer build's API is several times slower).
  SpawnOptions load;
  load.argv = {wrk, "-t1", "-c64", "-d300s",
               "http://127.0.0.1:" + std::to_string(canaryd_.gateway_port()) + "/"};
  std::string error;
  std::unique_ptr<Process> wrk_process = Process::Spawn(load, &error);
  ASSERT_TRUE(wrk_process) << error;

  // 200 weight changes through the API while wrk runs (merge patches, as `kubectl patch`).
  const std::string path =
      "/apis/networking.istio.io/v1/namespaces/default/virtualservices/web-virtualservice";
  int changes = 0;
  for (int i = 0; i < 200; ++i) {
    int w = (i * 37) % 101;
    nlohmann::json patch = {
        {"spec",
         {{"http",
           {{{"match", {{{"uri", {{"exact", "/"}}}}}},
             {"route",
              {{{"destination", {{"host", "web-v1-service"}, {"port", {{"number", 80}}}}},
                {"weight", w}},
               {{"destination", {{"host", "web-v2-service"}, {"port", {{"number", 80}}}}},
                {"weight", 100 - w}}}}}}}}}};
    HttpReply r = Http(canaryd_.port(), "PATCH", path, patch.dump(),
                       {"Content-Type: application/merge-patch+json"});
    if (r.status == 200) ++changes;
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(changes, 200);
  ASSERT_TRUE(wrk_process->Running()) << "the changes must land while wrk is still running";
  ASSERT_EQ(wrk_process->Stop(SIGINT, 30s), 0) << wrk_process->Stderr();
  std::string out = wrk_process->Stdout();
  EXPECT_EQ(out.find("Non-2xx"), std::string::npos) << out;
  EXPECT_EQ(out.find("Socket errors"), std::string::npos) << out;
  EXPECT_NE(out.find("Requests/sec"), std::string::npos) << out;
  HttpReply status = Http(canaryd_.port(), "GET", "/stats/config");
  nlohmann::json st = nlohmann::json::parse(status.body);
  EXPECT_GE(st["tablesPublished"].get<int>(), 2) << status.body;
}

int64_t PeakRssKiB(pid_t pid) {
  std::string status = ReadFile("/proc/" + std::to_string(pid) + "/status");
  size_t at = status.find("VmHWM:");
  return at == std::string::npos ? -1 : std::stoll(status.substr(at + 6));
}

int64_t RssKiB(pid_t pid) {
  std::string status = ReadFile("/proc/" + std::to_string(pid) + "/status");
  size_t at = status.find("VmRSS:");
  return at == std::string::npos ? -1 : std::stoll(status.substr(at + 6));
}

// The release build moves 1 GiB each way: that is what shows memory stays bounded (RSS is
// checked there only). Under AddressSanitizer or ThreadSanitizer the same streaming code runs on
// 64 MiB, thousands of buffer refills still, at a fraction of the time (under ASan, 22 s with
// 1 GiB, 3 s with 64 MiB; TSan is slower still).
#if defined(CANARYD_SANITIZE) || defined(CANARYD_TSAN)
constexpr int64_t kStreamBytes = int64_t{64} << 20;
#else
constexpr int64_t kStreamBytes = int64_t{1} << 30;
#endif

TEST_F(GatewayTest, OneGibibyteUpAndDownWithBoundedMemory) {
  std::string curl = FindExecutable("curl");
  if (curl.empty()) GTEST_SKIP() << "curl not found";
  std::string vs = R"(apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: web-gateway}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
---
apiVersion: v1
kind: Service
metadata: {name: web-v1-service}
spec: {ports: [{name: "80", port: 80}], selector: {app: web, version: v1}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: stream}
spec:
  hosts: ["*"]
  gateways: [web-gateway]
  http: [{route: [{destination: {host: web-v1-service}}]}]
)";
  WriteFile(canaryd_.dir().File("stream.yaml"), vs);
  Apply(canaryd_.dir().File("stream.yaml"));
  ASSERT_TRUE(WaitForBody("v1"));
  pid_t pid = canaryd_.process()->pid();
  int64_t before = RssKiB(pid);
  std::string base = "http://127.0.0.1:" + std::to_string(canaryd_.gateway_port());
  SpawnOptions up;
  up.argv = {"/bin/bash", "-c",
             "head -c " + std::to_string(kStreamBytes) + " /dev/zero | " + curl +
                 " -sS --max-time 120 -H 'Expect:' -X POST -T - " + base + "/upload"};
  CommandResult u = RunCommand(up, 150s);
  EXPECT_EQ(u.exit_code, 0) << u.err;
  EXPECT_EQ(u.out, "received " + std::to_string(kStreamBytes) + " bytes\n") << "chunked upload";
  {
    // The same with Content-Length, streamed from here 1 MiB at a time.
    Client c(canaryd_.gateway_port(), 60000);
    ASSERT_TRUE(c.Send("POST /upload HTTP/1.1\r\nHost: web\r\nContent-Length: " +
                       std::to_string(kStreamBytes) + "\r\n\r\n"));
    std::string mib(1 << 20, 'x');
    for (int64_t i = 0; i < kStreamBytes >> 20; ++i) ASSERT_TRUE(c.Send(mib)) << i;
    Response r = c.Read();
    EXPECT_EQ(r.body, "received " + std::to_string(kStreamBytes) + " bytes\n")
        << "Content-Length upload";
  }
  SpawnOptions down;
  down.argv = {curl,
               "-sS",
               "--max-time",
               "120",
               "-o",
               "/dev/null",
               "-w",
               "%{size_download}",
               base + "/bytes/" + std::to_string(kStreamBytes)};
  CommandResult d = RunCommand(down, 150s);
  EXPECT_EQ(d.exit_code, 0) << d.err;
  EXPECT_EQ(d.out, std::to_string(kStreamBytes));
  int64_t peak = PeakRssKiB(pid);
  std::printf("canaryd RSS before %lld KiB, peak %lld KiB\n", static_cast<long long>(before),
              static_cast<long long>(peak));
#ifdef CANARYD_SANITIZE
  // AddressSanitizer keeps freed memory in quarantine (hundreds of MiB): the bound is checked in
  // the release build only.
  (void)before, (void)peak;
#else
  EXPECT_LT(peak - before, 64 * 1024) << "RSS grew by more than 64 MiB";
#endif
}

TEST_F(GatewayTest, SigtermFinishesRequestsInFlightThenExitsZero) {
  Backend slow = Backend::Start("v9", {"--latency", "700ms"});
  std::string yaml = R"(apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: web-gateway}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
---
apiVersion: v1
kind: Service
metadata: {name: slow}
spec: {ports: [{name: http, port: 80}], selector: {app: slow}}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: slow}
spec: {address: 127.0.0.1, ports: {http: )" +
                     std::to_string(slow.port) + R"(}, labels: {app: slow}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: slow}
spec:
  hosts: ["*"]
  gateways: [web-gateway]
  http: [{route: [{destination: {host: slow}}]}]
)";
  WriteFile(canaryd_.dir().File("slow.yaml"), yaml);
  Apply(canaryd_.dir().File("slow.yaml"));
  ASSERT_TRUE(WaitForBody("v9"));
  Client c(canaryd_.gateway_port(), 5000);
  ASSERT_TRUE(c.Send("GET / HTTP/1.1\r\nHost: web\r\n\r\n"));
  // The gateway's own gauge says when the request is in flight (the backend takes 700 ms).
  bool in_flight = false;
  for (auto deadline = std::chrono::steady_clock::now() + 5s;
       !in_flight && std::chrono::steady_clock::now() < deadline;) {
    in_flight = Http(canaryd_.port(), "GET", "/stats/prometheus")
                    .body.find("\ncanaryd_requests_active 1\n") != std::string::npos;
  }
  ASSERT_TRUE(in_flight) << "the request never reached the gateway";
  kill(canaryd_.process()->pid(), SIGTERM);
  Response r = c.Read();
  EXPECT_EQ(r.status, 200) << "the request in flight is answered";
  EXPECT_EQ(r.body, "v9");
  EXPECT_EQ(r.Header("connection"), "close");
  std::optional<int> code = canaryd_.process()->Wait(10s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0);
  EXPECT_FALSE(WaitForPort("127.0.0.1", canaryd_.gateway_port(), 200ms)) << "no longer accepting";
}

// Istio's fault-injection task, through kubectl and the real gateway: for user jason, a delay of
// fixedDelay before forwarding (flag DI) and an abort with the status (FI); others pass. The
// flags reach the metrics and the access log, and kubectl applies it without a not-served warning.
TEST_F(GatewayTest, FaultInjectionDelaysAndAbortsWithTheirResponseFlags) {
  canaryd_.Stop();
  canaryd_.options().extra_args = {"--access-log", canaryd_.dir().File("access.log"),
                                   "--access-log-format", "json"};
  std::string error;
  ASSERT_TRUE(canaryd_.Start(&error)) << error;
  Apply(WalkthroughFile("web-v1-service.yaml"));
  WriteFile(canaryd_.dir().File("fault.yaml"), R"(apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: web-gateway}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: ["*"]
  gateways: [web-gateway]
  http:
  - match: [{headers: {end-user: {exact: jason}}, uri: {prefix: /slow}}]
    fault: {delay: {fixedDelay: 1s, percentage: {value: 100}}}
    route: [{destination: {host: web-v1-service}}]
  - match: [{headers: {end-user: {exact: jason}}}]
    fault: {abort: {httpStatus: 500, percentage: {value: 100}}}
    route: [{destination: {host: web-v1-service}}]
  - route: [{destination: {host: web-v1-service}}]
)");
  CommandResult applied = canaryd_.Kubectl({"apply", "-f", canaryd_.dir().File("fault.yaml")});
  ASSERT_EQ(applied.exit_code, 0) << applied.err;
  EXPECT_EQ(applied.err.find("Warning"), std::string::npos) << applied.err;
  ASSERT_TRUE(WaitForBody("v1")) << canaryd_.Log();

  Client c(canaryd_.gateway_port(), 10000);
  Response r = c.Request("GET / HTTP/1.1\r\nHost: web\r\nend-user: jason\r\n\r\n");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body, "fault filter abort");
  auto start = std::chrono::steady_clock::now();
  r = c.Request("GET /slow HTTP/1.1\r\nHost: web\r\nend-user: jason\r\n\r\n");
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "v1");
  EXPECT_GE(took, 1s) << "the delay holds the request for fixedDelay";
  r = c.Request("GET / HTTP/1.1\r\nHost: web\r\nend-user: mary\r\n\r\n");
  EXPECT_EQ(r.status, 200);

  HttpReply metrics = Http(canaryd_.port(), "GET", "/stats/prometheus");
  EXPECT_NE(metrics.body.find("response_code=\"500\",grpc_response_status=\"\","
                              "response_flags=\"FI\""),
            std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("response_code=\"200\",grpc_response_status=\"\","
                              "response_flags=\"DI\""),
            std::string::npos);
  std::string log;
  for (int i = 0; i < 100; ++i) {
    log = ReadFile(canaryd_.dir().File("access.log"));
    if (log.find("\"response_flags\":\"DI\"") != std::string::npos &&
        log.find("\"response_flags\":\"FI\"") != std::string::npos) {
      break;
    }
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_NE(log.find("\"response_flags\":\"FI\""), std::string::npos) << log;
  EXPECT_NE(log.find("\"response_flags\":\"DI\""), std::string::npos) << log;
}

// Istio's circuit-breaking task's ejection half and its mirroring task, through kubectl against
// a canaryd process and canary-demoapp processes: a backend answering 503 is ejected, and the
// ejection shows in /stats/config and the metrics; every request is mirrored to v2 and the copies
// are counted apart.
TEST_F(GatewayTest, OutlierEjectionAndMirroringThroughKubectl) {
  Backend bad = Backend::Start("bad", {"--error-rate", "1"});
  Apply(WalkthroughFile("web-v1-service.yaml"));
  Apply(WalkthroughFile("web-v2-service.yaml"));
  WriteFile(canaryd_.dir().File("features.yaml"), R"(apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: web-gateway}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: web-bad}
spec: {address: 127.0.0.1, ports: {"80": )" + std::to_string(bad.port) +
                                                      R"(}, labels: {app: web, version: v1}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: web-v1}
spec:
  host: web-v1-service
  trafficPolicy:
    loadBalancer: {simple: ROUND_ROBIN}
    outlierDetection: {consecutive5xxErrors: 2, baseEjectionTime: 60s, maxEjectionPercent: 50}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: ["*"]
  gateways: [web-gateway]
  http:
  - retries: {attempts: 0}
    mirror: {host: web-v2-service}
    route: [{destination: {host: web-v1-service}}]
)");
  CommandResult applied = canaryd_.Kubectl({"apply", "-f", canaryd_.dir().File("features.yaml")});
  ASSERT_EQ(applied.exit_code, 0) << applied.err;
  EXPECT_EQ(applied.err.find("not served"), std::string::npos) << applied.err;
  ASSERT_TRUE(WaitForBody("v1")) << canaryd_.Log();
  int failed = 0;
  for (int i = 0; i < 8; ++i) {
    Client c(canaryd_.gateway_port(), 5000);
    failed += c.Request("GET / HTTP/1.1\r\nHost: web\r\n\r\n").status == 503;
  }
  EXPECT_LE(failed, 2) << "ejected after its second 503 in a row";
  for (int i = 0; i < 10; ++i) {
    Client c(canaryd_.gateway_port(), 5000);
    Response r = c.Request("GET / HTTP/1.1\r\nHost: web\r\n\r\n");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "v1");
  }
  std::string bad_address = "127.0.0.1:" + std::to_string(bad.port);
  HttpReply config = Http(canaryd_.port(), "GET", "/stats/config");
  EXPECT_NE(config.body.find("\"endpoint\":\"" + bad_address + "\""), std::string::npos)
      << config.body;
  EXPECT_NE(config.body.find("outbound|80||web-v1-service.default.svc.cluster.local"),
            std::string::npos)
      << config.body;
  HttpReply metrics = Http(canaryd_.port(), "GET", "/stats/prometheus");
  EXPECT_NE(metrics.body.find("canaryd_outlier_ejections_active{cluster_name=\"outbound|80||"
                              "web-v1-service.default.svc.cluster.local\",endpoint=\"" +
                              bad_address + "\"} 1"),
            std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("canaryd_outlier_ejections_enforced_total 1"), std::string::npos);
  // Every request was copied to v2 (the copies answer 200 there).
  std::string sent;
  for (int i = 0; i < 100; ++i) {
    metrics = Http(canaryd_.port(), "GET", "/stats/prometheus");
    if (metrics.body.find("canaryd_mirror_requests_total{outcome=\"succeeded\"} 0") ==
        std::string::npos) {
      break;
    }
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(metrics.body.find("canaryd_mirror_requests_total{outcome=\"sent\"} 0"),
            std::string::npos)
      << metrics.body;
  EXPECT_EQ(metrics.body.find("canaryd_mirror_requests_total{outcome=\"succeeded\"} 0"),
            std::string::npos)
      << metrics.body;
}

// The sticky canary through kubectl: the annotation survives the API, each user keeps a version,
// and the users on v2 at 50 are still there at 75; at 0 everyone is back on v1.
TEST_F(GatewayTest, StickyCanaryThroughKubectl) {
  Apply(WalkthroughFile("web-v1-service.yaml"));
  Apply(WalkthroughFile("web-v2-service.yaml"));
  auto apply_weight = [&](int canary) {
    WriteFile(canaryd_.dir().File("sticky.yaml"),
              R"(apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: web-gateway}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: web
  annotations: {canaryd.io/sticky-canary: "header=x-user"}
spec:
  hosts: ["*"]
  gateways: [web-gateway]
  http:
  - route:
    - {destination: {host: web-v1-service}, weight: )" +
                  std::to_string(100 - canary) + R"(}
    - {destination: {host: web-v2-service}, weight: )" +
                  std::to_string(canary) + "}\n");
    CommandResult r = canaryd_.Kubectl({"apply", "-f", canaryd_.dir().File("sticky.yaml")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  };
  // Each user's version; with `strict`, a user whose three answers differ fails the test (not
  // while a new table is being picked up).
  auto versions = [&](bool strict) {
    std::vector<std::string> out;
    for (int u = 0; u < 30; ++u) {
      std::string seen;
      for (int i = 0; i < 3; ++i) {
        Client c(canaryd_.gateway_port(), 5000);
        Response r =
            c.Request("GET / HTTP/1.1\r\nHost: web\r\nx-user: u" + std::to_string(u) + "\r\n\r\n");
        if (strict) {
          EXPECT_TRUE(seen.empty() || seen == r.body) << "user u" << u << " flipped";
        }
        seen = r.body;
      }
      out.push_back(seen);
    }
    return out;
  };
  apply_weight(100);
  ASSERT_TRUE(WaitForBody("v2")) << canaryd_.Log();
  apply_weight(50);
  // The gateway has the new table once a user without the header can get v1 again.
  ASSERT_TRUE(WaitForBody("v1")) << canaryd_.Log();
  std::vector<std::string> at50 = versions(true);
  int on_v2 = static_cast<int>(std::count(at50.begin(), at50.end(), "v2"));
  EXPECT_GT(on_v2, 3);
  EXPECT_LT(on_v2, 27);
  CommandResult got = canaryd_.Kubectl({"get", "virtualservice", "web", "-o", "yaml"});
  EXPECT_NE(got.out.find("canaryd.io/sticky-canary: header=x-user"), std::string::npos) << got.out;
  apply_weight(75);
  std::vector<std::string> at75;
  for (int i = 0; i < 100; ++i) {
    at75 = versions(false);
    if (std::count(at75.begin(), at75.end(), "v2") > on_v2) break;
    std::this_thread::sleep_for(20ms);
  }
  at75 = versions(true);
  for (size_t u = 0; u < at50.size(); ++u) {
    if (at50[u] == "v2") {
      EXPECT_EQ(at75[u], "v2") << "user u" << u << " left the canary";
    }
  }
  EXPECT_GT(std::count(at75.begin(), at75.end(), "v2"), on_v2);
  apply_weight(0);
  ASSERT_TRUE(WaitForBody("v1"));
  for (int i = 0; i < 100; ++i) {
    std::vector<std::string> back = versions(false);
    if (std::count(back.begin(), back.end(), "v1") == 30) break;
    ASSERT_LT(i, 99) << "a rollback returns everyone";
    std::this_thread::sleep_for(20ms);
  }
}

}  // namespace
}  // namespace canaryd::testing

// Telemetry with the real consumers: Debian's Prometheus server scrapes canaryd every second
// while traffic with a known split and a known error rate flows; the PromQL operators already
// use for Istio must give the expected answers, promtool must accept the exposition, and the
// live JSON statistics must agree with Prometheus.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <iterator>
#include <nlohmann/json.hpp>
#include <thread>

#include "integration/canaryd_instance.h"
#include "integration/harness.h"
#include "integration/prometheus_server.h"
#include "testing/net.h"
#include "testing/paths.h"
#include "testing/walkthrough_yaml.h"

namespace canaryd::testing {
namespace {

std::string UrlEncode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

// The value of an instant PromQL query with one result, or NaN.
double Query(uint16_t prometheus_port, const std::string& promql) {
  HttpReply r = Http(prometheus_port, "GET", "/api/v1/query?query=" + UrlEncode(promql));
  if (r.status != 200) return NAN;
  nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_discarded() || j["data"]["result"].empty()) return NAN;
  return std::stod(j["data"]["result"][0]["value"][1].get<std::string>());
}

// Whether two latencies fall in the same bucket of Istio's default histogram. The live view
// is exact and Prometheus interpolates inside a bucket, so they agree on the bucket, not the
// figure; a live figure within 10% of a bound may sit on either side of it, since Prometheus's
// first scrape misses the first few requests.
bool SameIstioBucket(double live_ms, double prometheus_ms) {
  static constexpr double kBounds[] = {0.5, 1,   5,    10,   25,   50,    100,
                                       250, 500, 1000, 2500, 5000, 10000, 30000};
  auto index = [](double v) {
    size_t i = 0;
    while (i < std::size(kBounds) && v > kBounds[i]) ++i;
    return i;
  };
  size_t live = index(live_ms), prom = index(prometheus_ms);
  if (live == prom) return true;
  size_t lower = std::min(live, prom);
  if (lower + 1 != std::max(live, prom) || lower >= std::size(kBounds)) return false;
  return std::abs(live_ms - kBounds[lower]) <= 0.1 * kBounds[lower];
}

std::string BinPath(const std::string& name) {
  return (std::filesystem::path(CanarydInstance::CanarydPath()).parent_path() / name).string();
}

TEST(TelemetryIntegration, PrometheusAnswersIstioQueriesAndAgreesWithTheLiveStats) {
  std::string prometheus = FindExecutable("prometheus");
  std::string promtool = FindExecutable("promtool");
  if (prometheus.empty() || promtool.empty()) {
    GTEST_SKIP() << "prometheus/promtool not found (scripts/setup.sh installs Debian's prometheus)";
  }
  if (CanarydInstance::KubectlPath().empty()) GTEST_SKIP() << "kubectl not found";

  // v1 is healthy; v2 fails 20% of its requests and takes 20 ms.
  uint16_t v1_port = FreePort(), v2_port = FreePort();
  std::string error;
  SpawnOptions v1s, v2s;
  v1s.argv = {BinPath("canary-demoapp"), "--version", "v1", "--port", std::to_string(v1_port)};
  v2s.argv = {BinPath("canary-demoapp"),
              "--version",
              "v2",
              "--port",
              std::to_string(v2_port),
              "--error-rate",
              "0.2",
              "--latency",
              "20ms",
              "--seed",
              "7"};
  auto v1 = Process::Spawn(v1s, &error);
  auto v2 = Process::Spawn(v2s, &error);
  ASSERT_TRUE(v1 && v2) << error;
  ASSERT_TRUE(WaitForPort("127.0.0.1", v1_port, 10s));
  ASSERT_TRUE(WaitForPort("127.0.0.1", v2_port, 10s));

  TempDir logs;
  CanarydOptions options;
  options.extra_args = {"--access-log", logs.File("access.log"), "--access-log-format", "json"};
  CanarydInstance canaryd(options);
  ASSERT_TRUE(canaryd.Start(&error)) << error;
  std::string config = WalkthroughYaml(v1_port, v2_port) + R"(
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web-virtualservice}
spec:
  hosts: ["*"]
  gateways: [web-gateway]
  http:
  - route:
    - destination: {host: web-v1-service}
      weight: 50
    - destination: {host: web-v2-service}
      weight: 50
)";
  WriteFile(canaryd.dir().File("config.yaml"), config);
  CommandResult applied = canaryd.Kubectl({"apply", "-f", canaryd.dir().File("config.yaml")});
  ASSERT_EQ(applied.exit_code, 0) << applied.err;

  // Prometheus scrapes canaryd's Envoy-compatible path every second.
  PrometheusServer prom = StartPrometheus(prometheus, canaryd.dir(),
                                          "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
                                          "scrape_configs:\n"
                                          "- job_name: canaryd\n"
                                          "  metrics_path: /stats/prometheus\n"
                                          "  static_configs: [{targets: ['127.0.0.1:" +
                                              std::to_string(canaryd.port()) + "']}]\n");
  ASSERT_TRUE(prom.process) << prom.error;
  uint16_t prom_port = prom.port;

  // 16 s of traffic from four keep-alive clients.
  std::atomic<bool> stop{false};
  std::atomic<int> sent{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < 4; ++i) {
    clients.emplace_back([&] {
      auto c = std::make_unique<Client>(canaryd.gateway_port(), 2000);
      while (!stop) {
        Response r = c->Request("GET / HTTP/1.1\r\nHost: web\r\n\r\n");
        if (!r.ok) {
          c = std::make_unique<Client>(canaryd.gateway_port(), 2000);
          continue;
        }
        ++sent;
      }
    });
  }
  std::this_thread::sleep_for(16s);
  stop = true;
  for (auto& t : clients) t.join();
  ASSERT_GT(sent.load(), 1000);
  // Both windows below end now. Wait (bounded) until Prometheus has scraped the last request
  // and the live view has closed the last second of traffic (it counts whole seconds).
  auto live_requests = [&] {
    HttpReply live = Http(canaryd.port(), "GET", "/stats/destinations?window=60s");
    nlohmann::json j = nlohmann::json::parse(live.body, nullptr, false);
    double n = 0;
    if (j.is_object() && j["destinations"].is_array()) {
      for (const auto& d : j["destinations"]) n += d.value("requests", 0.0);
    }
    return n;
  };
  auto counted_all = [&] {
    double prometheus = Query(prom_port,
                              "sum(istio_requests_total{destination_service_name=~"
                              "\"web-v[12]-service\"})");
    return std::abs(prometheus - sent.load()) <= 2 && std::abs(live_requests() - sent.load()) <= 2;
  };
  for (auto deadline = std::chrono::steady_clock::now() + 20s;
       !counted_all() && std::chrono::steady_clock::now() < deadline;) {
    std::this_thread::sleep_for(100ms);
  }

  double v2_success =
      Query(prom_port,
            "sum(rate(istio_requests_total{reporter=\"source\",destination_service_name=\"web-v2-"
            "service\","
            "response_code!~\"5.*\"}[30s])) / sum(rate(istio_requests_total{reporter=\"source\","
            "destination_service_name=\"web-v2-service\"}[30s]))");
  EXPECT_NEAR(v2_success, 0.8, 0.05) << "--error-rate 0.2 on v2";
  double v1_success =
      Query(prom_port,
            "sum(rate(istio_requests_total{reporter=\"source\",destination_service_name=\"web-v1-"
            "service\","
            "response_code!~\"5.*\"}[30s])) / sum(rate(istio_requests_total{reporter=\"source\","
            "destination_service_name=\"web-v1-service\"}[30s]))");
  EXPECT_NEAR(v1_success, 1.0, 0.001);
  double p99 = Query(prom_port,
                     "histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{"
                     "reporter=\"source\",destination_version=\"v2\"}[30s])) by (le))");
  // Every v2 request takes at least 20 ms, so its p99 lies above the 10 ms bucket. How far above
  // depends on the machine's load (a sanitizer build beside other tests adds milliseconds), so the
  // upper side is checked against the live view below rather than against a fixed figure.
  EXPECT_GT(p99, 10);
  double p50 = Query(prom_port,
                     "histogram_quantile(0.5, sum(rate(istio_request_duration_milliseconds_bucket{"
                     "reporter=\"source\",destination_version=\"v2\"}[30s])) by (le))");
  EXPECT_GT(p50, 10);
  EXPECT_LE(p50, 50) << "most 20 ms requests must land in the (10, 25] bucket or the next";
  double v2_total =
      Query(prom_port, "sum(istio_requests_total{destination_service_name=\"web-v2-service\"})");
  double v1_total =
      Query(prom_port, "sum(istio_requests_total{destination_service_name=\"web-v1-service\"})");
  EXPECT_NEAR(v1_total + v2_total, sent.load(), 2);

  // The exposition itself passes promtool.
  HttpReply metrics = Http(canaryd.port(), "GET", "/stats/prometheus");
  ASSERT_EQ(metrics.status, 200);
  SpawnOptions check;
  check.argv = {promtool, "check", "metrics"};
  check.stdin_data = metrics.body;
  CommandResult checked = RunCommand(check, 60s);
  // The exposition parses (exit code 1 would say otherwise). promtool's lint has exactly one
  // remark, on a name canaryd must keep: Istio's own istio_request_duration_milliseconds is
  // not in base units, and an Istio gateway's /stats/prometheus gets the same remark.
  EXPECT_NE(checked.exit_code, 1) << checked.out << checked.err;
  EXPECT_EQ(checked.out + checked.err,
            "istio_request_duration_milliseconds use base unit \"seconds\" instead of "
            "\"milliseconds\"\n")
      << "promtool reports problems";

  // The live statistics over the whole run agree with Prometheus's counts and rates.
  HttpReply live = Http(canaryd.port(), "GET", "/stats/destinations?window=60s");
  ASSERT_EQ(live.status, 200) << live.body;
  nlohmann::json j = nlohmann::json::parse(live.body);
  double live_v1 = 0, live_v2 = 0, live_v2_success = -1, live_v2_p99 = 0;
  for (const auto& d : j["destinations"]) {
    if (d["serviceName"] == "web-v1-service") live_v1 = d["requests"].get<double>();
    if (d["serviceName"] == "web-v2-service") {
      live_v2 = d["requests"].get<double>();
      live_v2_success = d["successRate"].get<double>();
      live_v2_p99 = d["latencyMs"]["p99"].get<double>();
    }
  }
  EXPECT_NEAR(live_v1, v1_total, 2);
  EXPECT_NEAR(live_v2, v2_total, 2);
  EXPECT_NEAR(live_v2_success, v2_success, 0.03);
  EXPECT_GT(live_v2_p99, 19);
  EXPECT_TRUE(SameIstioBucket(live_v2_p99, p99))
      << "the live p99 (" << live_v2_p99 << " ms) and Prometheus's (" << p99
      << " ms) must fall in the same histogram bucket";

  // The Grafana dashboard's queries are valid PromQL and give one series per version.
  std::string dashboard =
      ReadFile((SourceDir() / "examples" / "grafana" / "canaryd-dashboard.json").string());
  nlohmann::json dash = nlohmann::json::parse(dashboard);
  for (const auto& panel : dash["panels"]) {
    std::string expr = panel["targets"][0]["expr"];
    for (size_t at = expr.find("$service"); at != std::string::npos; at = expr.find("$service")) {
      expr.replace(at, 8, ".*");
    }
    HttpReply r = Http(prom_port, "GET", "/api/v1/query?query=" + UrlEncode(expr));
    EXPECT_EQ(r.status, 200) << panel["title"] << ": " << r.body;
    nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
    ASSERT_FALSE(j.is_discarded());
    EXPECT_EQ(j["status"], "success") << expr;
    EXPECT_EQ(j["data"]["result"].size(), 2u) << panel["title"] << ": " << r.body;
  }

  prom.process->Stop(SIGTERM, 10s);
  canaryd.Stop();
  // The JSON access log has one line per request, each a JSON object with Envoy's fields.
  std::string log = ReadFile(logs.File("access.log"));
  size_t lines = static_cast<size_t>(std::count(log.begin(), log.end(), '\n'));
  EXPECT_GE(lines, static_cast<size_t>(sent.load()));
  std::string first = log.substr(0, log.find('\n'));
  nlohmann::json line = nlohmann::json::parse(first, nullptr, false);
  ASSERT_FALSE(line.is_discarded()) << first;
  for (const char* key :
       {"start_time", "method", "path", "protocol", "response_code", "response_flags",
        "bytes_received", "bytes_sent", "duration", "upstream_service_time", "x_forwarded_for",
        "user_agent", "request_id", "authority", "upstream_host", "upstream_cluster", "route_name",
        "destination_service", "destination_version"}) {
    EXPECT_TRUE(line.contains(key)) << key << " in " << first;
  }
  // The client's address appended, as the gateway sent x-forwarded-for upstream.
  EXPECT_EQ(line["x_forwarded_for"], "127.0.0.1") << first;
  v1->Stop(SIGTERM);
  v2->Stop(SIGTERM);
}

}  // namespace
}  // namespace canaryd::testing

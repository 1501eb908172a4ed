// Routing by a hash of the request, through a real gateway to real backends (demo apps that
// answer with their version in x-version): the sticky canary (canaryd.io/sticky-canary) over the
// weights of a rollout, and DestinationRule consistentHash on a header, a cookie the gateway
// makes, a query parameter and the client's address.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "demoapp/demo_app.h"
#include "proxy/gateway_server.h"
#include "router/hash_key.h"
#include "testing/gateway_test_support.h"
#include "testing/net.h"
#include "testing/publish_yaml.h"

namespace canaryd::proxy {
namespace {

using testing::Client;
using testing::Response;

constexpr const char* kGatewayYaml = R"(
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {ports: [{name: http, port: 80}], selector: {app: web}}
)";

std::string Entry(const std::string& name, uint16_t port, const std::string& version) {
  return "---\napiVersion: networking.istio.io/v1\nkind: WorkloadEntry\nmetadata: {name: " + name +
         "}\nspec: {address: 127.0.0.1, ports: {http: " + std::to_string(port) +
         "}, labels: {app: web, version: " + version + "}}\n";
}

class HashRoutingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* v : {"v1", "v2", "v3", "v4"}) {
      demoapp::Options d;
      d.version = v;
      d.port = 0;
      backends_.push_back(std::make_unique<demoapp::DemoApp>(d));
      ASSERT_TRUE(backends_.back()->Start().ok());
    }
    gateway_port_ = testing::PickFreePort();
    server_ = std::make_unique<GatewayServer>(testing::OneWorkerOptions(gateway_port_, 7), nullptr);
    ASSERT_TRUE(server_->Start().ok());
  }
  void TearDown() override {
    server_->Stop();
    for (auto& b : backends_) b->Stop();
  }

  void Apply(const std::string& yaml) {
    std::string all = kGatewayYaml + yaml;
    for (size_t i = 0; i < backends_.size(); ++i) {
      all += Entry("e" + std::to_string(i), backends_[i]->port(), "v" + std::to_string(i + 1));
    }
    ASSERT_TRUE(testing::PublishYaml(*server_, all, ++generation_));
  }

  // The stable v1 and canary v2 subsets, the canary at `weight`, with `annotation` on the
  // VirtualService.
  void ApplyRollout(int weight, const std::string& annotation) {
    Apply(R"(---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: web}
spec:
  host: web
  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: vs
  annotations: {canaryd.io/sticky-canary: ")" +
          annotation + R"("}
spec:
  hosts: ["*"]
  gateways: [gw]
  http:
  - route:
    - {destination: {host: web, subset: v1}, weight: )" +
          std::to_string(100 - weight) + R"(}
    - {destination: {host: web, subset: v2}, weight: )" +
          std::to_string(weight) + "}\n");
  }

  Response Get(const std::string& target, const std::string& headers = "") {
    Client c(gateway_port_);
    return c.Request("GET " + target + " HTTP/1.1\r\nHost: h.example\r\n" + headers + "\r\n");
  }

  std::vector<std::unique_ptr<demoapp::DemoApp>> backends_;
  std::unique_ptr<GatewayServer> server_;
  uint16_t gateway_port_ = 0;
  uint64_t generation_ = 0;
};

// The issue's test: users named by a header, over a rollout's weights. At every weight the
// canary's users are exactly those whose bucket is below weight x 100 (computed here from the
// user's name), none of them goes back to v1 as the weight grows, and a rollback returns all.
TEST_F(HashRoutingTest, StickyCanaryByHeaderOnlyGainsUsersAsTheWeightGrows) {
  const int kUsers = 300;
  std::set<int> canary_users;
  for (int weight : {1, 5, 10, 25, 50, 100, 0}) {
    ApplyRollout(weight, "header=x-user");
    std::set<int> now;
    for (int u = 0; u < kUsers; ++u) {
      std::string user = "user-" + std::to_string(u);
      Response r = Get("/", "x-user: " + user + "\r\n");
      ASSERT_EQ(r.status, 200) << r.head;
      bool canary = r.Header("x-version") == "v2";
      bool expected =
          router::StickyBucket(router::HashBytes(user)) < static_cast<uint32_t>(weight) * 100;
      ASSERT_EQ(canary, expected) << user << " at weight " << weight;
      if (canary) now.insert(u);
      EXPECT_EQ(r.Header("set-cookie"), "") << "a header key makes no cookie";
    }
    if (weight > 0) {
      for (int u : canary_users) EXPECT_TRUE(now.count(u)) << "user-" << u << " flipped back";
    } else {
      EXPECT_TRUE(now.empty()) << "a rollback returns everyone";
    }
    canary_users = now;
  }
  // Without the header, the weighted pick: at 50% both versions answer.
  ApplyRollout(50, "header=x-user");
  std::set<std::string> versions;
  for (int i = 0; i < 10; ++i) versions.insert(Get("/").Header("x-version"));
  EXPECT_EQ(versions.size(), 2u);
}

// With a cookie, the gateway names a first-time visitor and sets the cookie; the same visitor
// then stays on their side while the weight grows from 5 to 50.
TEST_F(HashRoutingTest, StickyCanaryCookieIsMadeOnTheFirstVisitAndKeepsTheVisitor) {
  ApplyRollout(5, "cookie=canary-user; max-age=600");
  std::vector<std::pair<std::string, std::string>> visitors;  // cookie value, version
  for (int i = 0; i < 200; ++i) {
    Response r = Get("/");
    ASSERT_EQ(r.status, 200);
    std::string sc = r.Header("set-cookie");
    ASSERT_EQ(sc.rfind("canary-user=", 0), 0u) << r.head;
    EXPECT_NE(sc.find("; Max-Age=600; Path=/; HttpOnly; SameSite=Lax"), std::string::npos) << sc;
    std::string value = sc.substr(12, sc.find(';') - 12);
    ASSERT_EQ(value.size(), 32u);
    bool canary = router::StickyBucket(router::HashBytes(value)) < 500;
    EXPECT_EQ(r.Header("x-version"), canary ? "v2" : "v1") << "the first answer is the user's";
    visitors.emplace_back(value, r.Header("x-version"));
  }
  int stayed_canary = 0, moved = 0;
  ApplyRollout(50, "cookie=canary-user; max-age=600");
  for (const auto& [value, version] : visitors) {
    Response r = Get("/", "Cookie: other=1; canary-user=" + value + "\r\n");
    EXPECT_EQ(r.Header("set-cookie"), "") << "a known visitor gets no new cookie";
    if (version == "v2") {
      EXPECT_EQ(r.Header("x-version"), "v2") << value;
      ++stayed_canary;
    } else if (r.Header("x-version") == "v2") {
      ++moved;
    }
  }
  EXPECT_GT(stayed_canary, 0);
  EXPECT_GT(moved, 50) << "about half of the v1 visitors join the canary at 50";
}

TEST_F(HashRoutingTest, InvalidStickyAnnotationIsRefused) {
  ApplyRollout(10, "header=x-user");
  std::string bad = std::string(kGatewayYaml) + R"(---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: vs
  annotations: {canaryd.io/sticky-canary: "session=x"}
spec:
  hosts: ["*"]
  gateways: [gw]
  http: [{route: [{destination: {host: web}}]}]
)";
  EXPECT_FALSE(testing::PublishYaml(*server_, bad, ++generation_));
  // The old configuration keeps serving.
  EXPECT_EQ(Get("/", "x-user: user-1\r\n").status, 200);
}

std::string HashRule(const std::string& consistent_hash) {
  return R"(---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: web}
spec:
  host: web
  trafficPolicy: {loadBalancer: {consistentHash: )" +
         consistent_hash + R"(}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs}
spec:
  hosts: ["*"]
  gateways: [gw]
  http: [{route: [{destination: {host: web}}]}]
)";
}

// Each key's requests all reach one endpoint, and different keys reach different ones.
void ExpectOneEndpointPerKey(HashRoutingTest* t, const std::function<Response(int key)>& send) {
  std::set<std::string> used;
  for (int k = 0; k < 12; ++k) {
    std::set<std::string> seen;
    for (int i = 0; i < 4; ++i) {
      Response r = send(k);
      ASSERT_EQ(r.status, 200) << r.head;
      seen.insert(r.Header("x-version"));
    }
    EXPECT_EQ(seen.size(), 1u) << "key " << k;
    used.insert(*seen.begin());
  }
  EXPECT_GE(used.size(), 2u) << "keys spread over the endpoints";
  (void)t;
}

TEST_F(HashRoutingTest, ConsistentHashOnAHeaderAQueryParameterAndMaglev) {
  Apply(HashRule("{httpHeaderName: X-Session}"));
  ExpectOneEndpointPerKey(
      this, [&](int k) { return Get("/", "x-session: s" + std::to_string(k) + "\r\n"); });
  Apply(HashRule("{httpQueryParameterName: sid}"));
  ExpectOneEndpointPerKey(this, [&](int k) { return Get("/?a=1&sid=q" + std::to_string(k)); });
  Apply(HashRule("{httpHeaderName: x-session, maglev: {tableSize: 251}}"));
  ExpectOneEndpointPerKey(
      this, [&](int k) { return Get("/", "x-session: m" + std::to_string(k) + "\r\n"); });
  // Without the key, requests are spread (ROUND_ROBIN's fallback: Envoy picks at random).
  std::set<std::string> versions;
  for (int i = 0; i < 40; ++i) versions.insert(Get("/").Header("x-version"));
  EXPECT_GE(versions.size(), 2u);
}

TEST_F(HashRoutingTest, ConsistentHashOnTheSourceAddress) {
  Apply(HashRule("{useSourceIp: true}"));
  std::set<std::string> versions;
  for (int i = 0; i < 20; ++i) versions.insert(Get("/").Header("x-version"));
  EXPECT_EQ(versions.size(), 1u) << "every request comes from 127.0.0.1";
}

TEST_F(HashRoutingTest, ConsistentHashCookieIsMadeWhenATtlIsSet) {
  Apply(
      HashRule("{httpCookie: {name: lb, ttl: 30s, path: /app, attributes: [{name: SameSite, value: "
               "Strict}]}}"));
  Response first = Get("/");
  std::string sc = first.Header("set-cookie");
  ASSERT_EQ(sc.rfind("lb=", 0), 0u) << first.head;
  EXPECT_NE(sc.find("; Max-Age=30; Path=/app; HttpOnly; SameSite=Strict"), std::string::npos) << sc;
  std::string value = sc.substr(3, sc.find(';') - 3);
  for (int i = 0; i < 8; ++i) {
    Response r = Get("/", "Cookie: lb=" + value + "\r\n");
    EXPECT_EQ(r.Header("x-version"), first.Header("x-version")) << "the cookie keeps the endpoint";
    EXPECT_EQ(r.Header("set-cookie"), "");
  }
  // Without a ttl, Envoy makes no cookie: a request without one is not hashed.
  Apply(HashRule("{httpCookie: {name: lb}}"));
  EXPECT_EQ(Get("/").Header("set-cookie"), "");
  ExpectOneEndpointPerKey(
      this, [&](int k) { return Get("/", "Cookie: lb=c" + std::to_string(k) + "\r\n"); });
}

// Istio's circuit-breaking task, the ejection half: an endpoint answering 503 is ejected after
// consecutive5xxErrors, every request then reaches the healthy one, the ejection shows in the
// workers' state (what /stats/config and the metrics show), and after baseEjectionTime the
// endpoint is back in the picks.
TEST_F(HashRoutingTest, OutlierDetectionEjectsAFailingEndpointAndReturnsIt) {
  demoapp::Options o;
  o.version = "bad";
  o.port = 0;
  o.error_rate = 1;
  demoapp::DemoApp bad(o);
  ASSERT_TRUE(bad.Start().ok());
  Apply(R"(---
apiVersion: v1
kind: Service
metadata: {name: flaky}
spec: {ports: [{name: http, port: 80}], selector: {app: flaky}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: flaky}
spec:
  host: flaky
  trafficPolicy:
    loadBalancer: {simple: ROUND_ROBIN}
    outlierDetection: {consecutive5xxErrors: 2, interval: 1s, baseEjectionTime: 400ms,
                       maxEjectionPercent: 50}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs}
spec:
  hosts: ["*"]
  gateways: [gw]
  http: [{retries: {attempts: 0}, route: [{destination: {host: flaky}}]}]
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: good}
spec: {address: 127.0.0.1, ports: {http: )" +
        std::to_string(backends_[0]->port()) + R"(}, labels: {app: flaky}}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: bad}
spec: {address: 127.0.0.1, ports: {http: )" +
        std::to_string(bad.port()) + "}, labels: {app: flaky}}\n");
  int failures = 0;
  for (int i = 0; i < 4; ++i) failures += Get("/").status == 503;
  EXPECT_EQ(failures, 2) << "round-robin: the bad endpoint answers twice, then is ejected";
  for (int i = 0; i < 10; ++i) EXPECT_EQ(Get("/").status, 200) << "request " << i;
  std::vector<WorkerCounters> counters = server_->ReadCounters();
  ASSERT_EQ(counters.size(), 1u);
  EXPECT_EQ(counters[0].outlier_ejections_enforced, 1u);
  ASSERT_EQ(counters[0].ejected.size(), 1u);
  EXPECT_EQ(counters[0].ejected[0].cluster, "outbound|80||flaky.default.svc.cluster.local");
  EXPECT_EQ(counters[0].ejected[0].address, "127.0.0.1:" + std::to_string(bad.port()));
  EXPECT_GT(counters[0].ejected[0].seconds_left, 0);
  EXPECT_LE(counters[0].ejected[0].seconds_left, 0.4);
  // Back after baseEjectionTime: within a bounded wait, a request reaches it again.
  std::this_thread::sleep_for(std::chrono::milliseconds(450));
  failures = 0;
  for (int i = 0; i < 4; ++i) failures += Get("/").status == 503;
  EXPECT_GE(failures, 1) << "the endpoint is back in the picks";
  bad.Stop();
}

}  // namespace
}  // namespace canaryd::proxy

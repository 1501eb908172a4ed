// DestinationRule connectionPool through a real gateway, as Istio's circuit-breaking task sets
// it (maxConnections 1, http1MaxPendingRequests 1, maxRequestsPerConnection 1): of three
// requests at once to a slow backend one is served, one waits for it and is served after, and
// one is refused 503 with flag UO; each request gets a connection of its own.
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "demoapp/demo_app.h"
#include "proxy/gateway_server.h"
#include "testing/gateway_test_support.h"
#include "testing/net.h"
#include "testing/one_service_yaml.h"
#include "testing/publish_yaml.h"

namespace canaryd::proxy {
namespace {

using testing::Client;
using testing::Response;

class CircuitBreakingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    demoapp::Options d;
    d.port = 0;
    d.latency_nanos = 400'000'000;
    backend_ = std::make_unique<demoapp::DemoApp>(d);
    ASSERT_TRUE(backend_->Start().ok());
    gateway_port_ = testing::PickFreePort();
    server_ = std::make_unique<GatewayServer>(testing::OneWorkerOptions(gateway_port_, 7), &flags_);
    ASSERT_TRUE(server_->Start().ok());
  }
  void TearDown() override {
    server_->Stop();
    backend_->Stop();
  }

  // Three requests at once; their statuses, sorted, and the bodies of the 503s.
  std::vector<int> ThreeAtOnce(std::string* refused_body) {
    std::vector<Response> out(3);
    std::vector<std::thread> threads;
    for (int i = 0; i < 3; ++i) {
      threads.emplace_back([&, i] {
        Client c(gateway_port_);
        out[i] = c.Request("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
      });
    }
    for (std::thread& t : threads) t.join();
    std::vector<int> statuses;
    for (const Response& r : out) {
      statuses.push_back(r.status);
      if (r.status == 503) *refused_body = r.body;
    }
    std::sort(statuses.begin(), statuses.end());
    return statuses;
  }

  testing::FlagsObserver flags_;
  std::unique_ptr<demoapp::DemoApp> backend_;
  std::unique_ptr<GatewayServer> server_;
  uint16_t gateway_port_ = 0;
};

TEST_F(CircuitBreakingTest, OneServedOneWaitingOneRefusedWithUO) {
  ASSERT_TRUE(testing::PublishYaml(
      *server_,
      testing::OneServiceYaml({backend_->port()},
                              "{connectionPool: {tcp: {maxConnections: 1}, http: "
                              "{http1MaxPendingRequests: 1, maxRequestsPerConnection: 1}}}"),
      1));
  std::string refused;
  EXPECT_EQ(ThreeAtOnce(&refused), (std::vector<int>{200, 200, 503}));
  EXPECT_NE(refused.find("reset reason: overflow"), std::string::npos) << refused;
  std::vector<std::string> f = flags_.flags();
  EXPECT_EQ(std::count(f.begin(), f.end(), "UO"), 1) << ::testing::PrintToString(f);
  WorkerCounters c = server_->ReadCounters().at(0);
  EXPECT_EQ(c.pool_overflow, 1u);
  EXPECT_EQ(c.upstream_connections_total, 2u);
  EXPECT_EQ(c.upstream_reused, 0u) << "maxRequestsPerConnection 1: no connection is reused";
  // Sequentially, nothing is refused, and still no connection carries two requests.
  for (int i = 0; i < 3; ++i) {
    Client cl(gateway_port_);
    EXPECT_EQ(cl.Request("GET / HTTP/1.1\r\nHost: h\r\n\r\n").status, 200);
  }
  c = server_->ReadCounters().at(0);
  EXPECT_EQ(c.upstream_connections_total, 5u);
  EXPECT_EQ(c.upstream_reused, 0u);
}

TEST_F(CircuitBreakingTest, WithoutLimitsAllAreServedAndHttp2MaxRequestsBoundsRequestsInFlight) {
  ASSERT_TRUE(testing::PublishYaml(
      *server_, testing::OneServiceYaml({backend_->port()}, "{loadBalancer: {simple: RANDOM}}"),
      1));
  std::string refused;
  EXPECT_EQ(ThreeAtOnce(&refused), (std::vector<int>{200, 200, 200}));
  // http2MaxRequests bounds the requests in flight as maxConnections does.
  ASSERT_TRUE(
      testing::PublishYaml(*server_,
                           testing::OneServiceYaml({backend_->port()},
                                                   "{connectionPool: {http: {http2MaxRequests: 1, "
                                                   "http1MaxPendingRequests: 1}}}"),
                           2));
  EXPECT_EQ(ThreeAtOnce(&refused), (std::vector<int>{200, 200, 503}));
}

// A request waiting for the pool is still under its route's timeout: it gets 504 UT at the
// deadline while the request ahead of it is still served, leaves the queue (nothing resumes it
// later), and the pool serves the next request.
TEST_F(CircuitBreakingTest, ARequestWaitingForThePoolTimesOutWith504AndLeavesTheQueue) {
  // Requests with x-hold have 2 s (the backend takes 400 ms); the others 250 ms.
  ASSERT_TRUE(testing::PublishYaml(
      *server_,
      testing::OneServiceYaml({backend_->port()},
                              "{connectionPool: {tcp: {maxConnections: 1}, http: "
                              "{http1MaxPendingRequests: 5}}}",
                              ", match: [{headers: {x-hold: {exact: \"1\"}}}], timeout: 2s}, "
                              "{route: [{destination: {host: web}}], timeout: 0.25s"),
      1));
  std::vector<Response> out(2);
  std::vector<std::thread> threads;
  threads.emplace_back([&] {
    Client c(gateway_port_);
    out[0] = c.Request("GET / HTTP/1.1\r\nHost: h\r\nx-hold: 1\r\n\r\n");
  });
  threads.emplace_back([&] {
    // Behind the first: once it holds the pool's one connection (bounded wait).
    for (int i = 0; i < 200 && server_->ReadCounters().at(0).upstream_connections_total == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    Client c(gateway_port_);
    out[1] = c.Request("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  });
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(out[0].status, 200);
  EXPECT_EQ(out[1].status, 504);
  std::vector<std::string> f = flags_.flags();
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0], "UT") << "the waiting request ended first, at its deadline";
  EXPECT_NE(f[1], "UT");
  WorkerCounters c = server_->ReadCounters().at(0);
  EXPECT_EQ(c.pool_overflow, 0u);
  EXPECT_EQ(c.upstream_connections_total, 1u) << "the waiting request never had a connection";
  Client later(gateway_port_);
  EXPECT_EQ(later.Request("GET / HTTP/1.1\r\nHost: h\r\nx-hold: 1\r\n\r\n").status, 200);
  EXPECT_EQ(server_->ReadCounters().at(0).requests_active, 0u);
}

}  // namespace
}  // namespace canaryd::proxy

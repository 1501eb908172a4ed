// The gateway's timeouts on a ManualClock: the request-header timeout (408), the route timeout
// (504 UT) and the connect timeout with Istio's default retries (503 UF), each firing when the
// clock reaches its deadline and not a nanosecond before. Real sockets; only time is injected.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "demoapp/demo_app.h"
#include "event/socket.h"
#include "proxy/gateway_server.h"
#include "testing/black_hole_listener.h"
#include "testing/gateway_test_support.h"
#include "testing/net.h"
#include "testing/one_service_yaml.h"
#include "testing/publish_yaml.h"

namespace canaryd::proxy {
namespace {

using namespace std::chrono_literals;
using testing::BlackHoleListener;
using testing::Client;
using testing::Response;

// A listening socket nobody accepts from: connects complete (the kernel queues them) and the
// request is taken into the socket buffer, but no answer ever comes.
class SilentBackend {
 public:
  SilentBackend() {
    auto addr = event::SocketAddress::Parse("127.0.0.1", 0);
    fd_ = *event::Listen(*addr, false);
    port_ = event::LocalAddress(fd_)->port();
  }
  ~SilentBackend() { close(fd_); }
  uint16_t port() const { return port_; }

 private:
  int fd_;
  uint16_t port_;
};

class ProxyTimeoutsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    gateway_port_ = testing::PickFreePort();
    ProxyOptions o = testing::OneWorkerOptions(gateway_port_, 7);
    o.request_header_timeout_nanos = 10'000'000'000;
    o.clock = &clock_;
    server_ = std::make_unique<GatewayServer>(o, &observer_);
    ASSERT_TRUE(server_->Start().ok());
  }
  void TearDown() override { server_->Stop(); }

  void Apply(const std::string& yaml) {
    ASSERT_TRUE(testing::PublishYaml(*server_, yaml, ++generation_));
  }

  // Moves the workers' clock on, on the worker's own thread (ManualClock is not shared), then
  // makes the loop run one more iteration, which reads the new time and fires what is due.
  void Advance(std::chrono::nanoseconds d) {
    ASSERT_TRUE(server_->RunOnEachWorker([this, d](int) { clock_.Advance(d); }));
    ASSERT_TRUE(server_->RunOnEachWorker([](int) {}));
  }

  // The answer to what `c` sent, which must come when the manual clock has moved `deadline` on
  // and not a nanosecond before: no answer within 300 ms of real time at deadline - 1 ns (nothing
  // is due), then one. Status 0 when it came early or not at all.
  Response AnsweredExactlyAfter(Client& c, std::chrono::nanoseconds deadline) {
    EXPECT_TRUE(server_->RunOnEachWorker([](int) {}));  // what was sent is read, timers armed
    Advance(deadline - 1ns);
    c.set_timeout_ms(300);
    Response early = c.Read();
    EXPECT_FALSE(early.ok) << "answered before the deadline: " << early.status;
    if (early.ok) return Response();
    Advance(1ns);
    c.set_timeout_ms(5000);
    Response r = c.Read();
    EXPECT_TRUE(r.ok) << "no answer at the deadline";
    return r;
  }

  ManualClock clock_;
  testing::FlagsObserver observer_;
  uint16_t gateway_port_ = 0;
  uint64_t generation_ = 0;
  std::unique_ptr<GatewayServer> server_;
};

TEST_F(ProxyTimeoutsTest, TheHeaderTimeoutAnswers408AtItsDeadlineAndNotBefore) {
  SilentBackend backend;
  Apply(testing::OneServiceYaml({backend.port()}));
  Client c(gateway_port_);
  ASSERT_TRUE(c.Send("GET / HTTP/1.1\r\nHost: w"));
  Response r = AnsweredExactlyAfter(c, 10s);
  EXPECT_EQ(r.status, 408);
  EXPECT_TRUE(c.ClosedByPeer());
}

TEST_F(ProxyTimeoutsTest, TheRouteTimeoutAnswers504AtItsDeadline) {
  SilentBackend backend;
  Apply(testing::OneServiceYaml({backend.port()}, "{loadBalancer: {simple: ROUND_ROBIN}}",
                                ", timeout: 2s"));
  Client c(gateway_port_);
  ASSERT_TRUE(c.Send("GET / HTTP/1.1\r\nHost: web\r\n\r\n"));
  Response r = AnsweredExactlyAfter(c, 2s);
  EXPECT_EQ(r.status, 504);
  EXPECT_EQ(r.body, "upstream request timeout\n");
}

TEST_F(ProxyTimeoutsTest, AHangingConnectIsRetriedTwiceThenAnswered503UF) {
  // Istio's default retry policy: 2 retries on connect-failure, each attempt bounded by the
  // DestinationRule's connectTimeout. With one endpoint, each retry tries it again.
  BlackHoleListener hole;
  Apply(testing::OneServiceYaml({hole.port()}, "{connectionPool: {tcp: {connectTimeout: 300ms}}}"));
  Client c(gateway_port_);
  ASSERT_TRUE(c.Send("GET / HTTP/1.1\r\nHost: web\r\n\r\n"));
  // Each attempt's connect timer starts when the attempt does, so the clock moves in steps: the
  // first attempt times out at 300 ms, the first retry at 600 ms, the second at 900 ms.
  ASSERT_TRUE(server_->RunOnEachWorker([](int) {}));
  Advance(300ms);
  Advance(300ms);
  Response r = AnsweredExactlyAfter(c, 300ms);
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("connection failure"), std::string::npos) << r.body;
}

// Istio's fault-injection task (bookinfo's ratings-test-delay and ratings-test-abort), on a
// header match as the task routes user jason: the delay holds the request for exactly
// fixedDelay, then forwards it (flag DI); the abort answers at once (FI). Other users pass.
class FaultTest : public ProxyTimeoutsTest {
 protected:
  void SetUp() override {
    ProxyTimeoutsTest::SetUp();
    demoapp::Options o;
    o.version = "v1";
    o.port = 0;
    demo_ = std::make_unique<demoapp::DemoApp>(o);
    ASSERT_TRUE(demo_->Start().ok());
  }
  void TearDown() override {
    ProxyTimeoutsTest::TearDown();
    demo_->Stop();
  }
  // The route for jason gets `fault`; everyone else has the plain route after it.
  void ApplyFault(const std::string& fault) {
    std::string yaml = testing::OneServiceYaml({demo_->port()});
    std::string plain = "  http: [{route: [{destination: {host: web}}]}]\n";
    size_t at = yaml.find(plain);
    ASSERT_NE(at, std::string::npos);
    yaml.replace(
        at, plain.size(),
        "  http:\n  - match: [{headers: {end-user: {exact: jason}}}]\n    fault: " + fault +
            "\n    route: [{destination: {host: web}}]\n  - route: [{destination: "
            "{host: web}}]\n");
    Apply(yaml);
  }
  std::unique_ptr<demoapp::DemoApp> demo_;
};

TEST_F(FaultTest, ADelayHoldsTheRequestForExactlyFixedDelayThenForwardsIt) {
  ApplyFault("{delay: {fixedDelay: 7s, percentage: {value: 100}}}");
  Client other(gateway_port_);
  Response r = other.Request("GET / HTTP/1.1\r\nHost: web\r\nend-user: mary\r\n\r\n");
  EXPECT_EQ(r.status, 200) << "no delay for others, without the clock moving";
  Client c(gateway_port_);
  ASSERT_TRUE(c.Send("GET / HTTP/1.1\r\nHost: web\r\nend-user: jason\r\n\r\n"));
  r = AnsweredExactlyAfter(c, 7s);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "v1");
  EXPECT_EQ(observer_.flags(), (std::vector<std::string>{"-", "DI"}));
}

TEST_F(FaultTest, ADelayedRequestsBodyWaitsAndArrivesWhole) {
  ApplyFault("{delay: {fixedDelay: 1s, percent: 100}}");
  Client c(gateway_port_);
  ASSERT_TRUE(
      c.Send("POST /upload HTTP/1.1\r\nHost: web\r\nend-user: jason\r\n"
             "content-length: 11\r\n\r\nhello world"));
  Response r = AnsweredExactlyAfter(c, 1s);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "received 11 bytes\n");
}

TEST_F(FaultTest, AnAbortAnswersTheStatusAtOnceAndOthersPass) {
  ApplyFault("{abort: {httpStatus: 500, percentage: {value: 100}}}");
  Client c(gateway_port_);
  for (int i = 0; i < 3; ++i) {
    Response r = c.Request("GET / HTTP/1.1\r\nHost: web\r\nend-user: jason\r\n\r\n");
    EXPECT_EQ(r.status, 500);
    EXPECT_EQ(r.body, "fault filter abort");
  }
  Response r = c.Request("GET / HTTP/1.1\r\nHost: web\r\nend-user: mary\r\n\r\n");
  EXPECT_EQ(r.status, 200) << "the connection stays usable after an abort";
  EXPECT_EQ(observer_.flags(), (std::vector<std::string>{"FI", "FI", "FI", "-"}));
}

TEST_F(FaultTest, APercentageAbortsThatShareOfRequests) {
  // The draws come from the worker's seeded random: the count is the same every run, and a
  // share far from 25% (a draw that ignores the percentage) fails.
  ApplyFault("{abort: {httpStatus: 503, percentage: {value: 25}}}");
  Client c(gateway_port_);
  int aborted = 0;
  constexpr int kRequests = 2000;
  for (int i = 0; i < kRequests; ++i) {
    Response r = c.Request("GET / HTTP/1.1\r\nHost: web\r\nend-user: jason\r\n\r\n");
    ASSERT_TRUE(r.status == 503 || r.status == 200) << r.status;
    aborted += r.status == 503;
  }
  // 25% of 2000 is 500; five standard deviations (5 * 19.4) either side.
  EXPECT_GT(aborted, 403);
  EXPECT_LT(aborted, 597);
}

}  // namespace
}  // namespace canaryd::proxy

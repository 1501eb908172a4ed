// The VirtualService's `retries` through a real gateway, against backends that fail on purpose
// (a scripted answer per attempt: a status, a reset, or no answer at all): which failures are
// retried under which retryOn, to which endpoint, with the request's body sent again and
// x-envoy-attempt-count, what a per-try timeout does, what happens when the attempts run out
// (URX) or the body is too large to keep, and the retry counters.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "event/socket.h"
#include "proxy/gateway_server.h"
#include "testing/gateway_test_support.h"
#include "testing/net.h"
#include "testing/one_service_yaml.h"
#include "testing/publish_yaml.h"

namespace canaryd::proxy {
namespace {

using testing::Client;
using testing::Response;

// Answers its n-th request with script[n] (the last entry once the script is used up): a status
// code ("503"), "reset" (closes without answering) or "hang" (answers nothing until the gateway
// gives up). One request per connection; each connection on its own thread.
class AttemptBackend {
 public:
  explicit AttemptBackend(std::vector<std::string> script) : script_(std::move(script)) {
    auto addr = event::SocketAddress::Parse("127.0.0.1", 0);
    fd_ = *event::Listen(*addr, false);
    port_ = event::LocalAddress(fd_)->port();
    acceptor_ = std::thread([this] {
      while (!stop_) {
        pollfd p{fd_, POLLIN, 0};
        if (poll(&p, 1, 20) <= 0) continue;
        int c = accept4(fd_, nullptr, nullptr, 0);
        if (c < 0) continue;
        std::lock_guard<std::mutex> lock(mu_);
        handlers_.emplace_back([this, c] { Serve(c); });
      }
    });
  }
  ~AttemptBackend() {
    stop_ = true;
    acceptor_.join();
    for (std::thread& t : handlers_) t.join();
    close(fd_);
  }
  uint16_t port() const { return port_; }
  std::vector<std::string> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  void Serve(int c) {
    std::string in;
    char buf[65536];
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    // Reads a head and a Content-Length or chunked body.
    while (!stop_ && std::chrono::steady_clock::now() < deadline && !Complete(in)) {
      pollfd q{c, POLLIN, 0};
      if (poll(&q, 1, 20) <= 0) continue;
      ssize_t n = recv(c, buf, sizeof buf, 0);
      if (n <= 0) break;
      in.append(buf, static_cast<size_t>(n));
    }
    std::string action;
    {
      std::lock_guard<std::mutex> lock(mu_);
      action = script_[std::min(requests_.size(), script_.size() - 1)];
      requests_.push_back(in);
    }
    if (action == "hang") {
      while (!stop_) {
        pollfd q{c, POLLIN, 0};
        if (poll(&q, 1, 20) > 0 && recv(c, buf, sizeof buf, 0) <= 0) break;
      }
    } else if (action != "reset") {
      std::string body = action + " from " + std::to_string(port_);
      std::string reply = "HTTP/1.1 " + action +
                          " X\r\ncontent-length: " + std::to_string(body.size()) +
                          "\r\nconnection: close\r\n\r\n" + body;
      send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
    }
    close(c);
  }
  static bool Complete(const std::string& in) {
    size_t end = in.find("\r\n\r\n");
    if (end == std::string::npos) return false;
    std::string head = in.substr(0, end);
    for (char& ch : head) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (head.find("transfer-encoding: chunked") != std::string::npos) {
      return in.size() >= 5 && in.compare(in.size() - 5, 5, "0\r\n\r\n") == 0;
    }
    size_t cl = head.find("content-length: ");
    size_t length = cl == std::string::npos ? 0 : std::stoul(head.substr(cl + 16));
    return in.size() >= end + 4 + length;
  }

  std::vector<std::string> script_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<std::string> requests_;
  std::vector<std::thread> handlers_;
  std::thread acceptor_;
};

class RetriesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    gateway_port_ = testing::PickFreePort();
    server_ =
        std::make_unique<GatewayServer>(testing::OneWorkerOptions(gateway_port_, 3), &observer_);
    ASSERT_TRUE(server_->Start().ok());
  }
  void TearDown() override { server_->Stop(); }

  void Apply(const std::vector<uint16_t>& ports, const std::string& retries) {
    ASSERT_TRUE(testing::PublishYaml(
        *server_,
        testing::OneServiceYaml(ports, "{loadBalancer: {simple: ROUND_ROBIN}}",
                                retries.empty() ? "" : ", retries: " + retries),
        ++generation_));
  }
  Response Send(const std::string& request) {
    Client c(gateway_port_);
    return c.Request(request);
  }
  WorkerCounters Counters() {
    WorkerCounters total;
    for (const WorkerCounters& w : server_->ReadCounters()) {
      total.retries_total += w.retries_total;
      total.retries_succeeded += w.retries_succeeded;
      total.retries_limit_exceeded += w.retries_limit_exceeded;
      total.retries_overflow += w.retries_overflow;
    }
    return total;
  }

  testing::FlagsObserver observer_;
  std::unique_ptr<GatewayServer> server_;
  uint16_t gateway_port_ = 0;
  uint64_t generation_ = 0;
};

std::string AttemptCount(const std::string& request) {
  size_t at = request.find("x-envoy-attempt-count: ");
  return at == std::string::npos ? "none"
                                 : request.substr(at + 23, request.find('\r', at) - at - 23);
}

TEST_F(RetriesTest, A5xxIsRetriedWithTheBodySentAgainUntilAnAttemptSucceeds) {
  AttemptBackend b({"503", "500", "200"});
  Apply({b.port()}, "{attempts: 3, retryOn: 5xx}");
  Response r = Send(
      "POST /p HTTP/1.1\r\nHost: web\r\nContent-Length: 5\r\nX-Envoy-Attempt-Count: 9\r\n\r\n"
      "hello");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 200) << r.body;
  std::vector<std::string> seen = b.requests();
  ASSERT_EQ(seen.size(), 3u);
  for (size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(AttemptCount(seen[i]), std::to_string(i + 1)) << seen[i];
    EXPECT_EQ(seen[i].substr(seen[i].size() - 5), "hello") << "the body, again: " << seen[i];
    EXPECT_EQ(seen[i].find(": 9"), std::string::npos) << "the client's count is replaced";
  }
  EXPECT_EQ(observer_.last_attempts(), 3u);
  EXPECT_EQ(observer_.last_flags(), "-");
  WorkerCounters c = Counters();
  EXPECT_EQ(c.retries_total, 2u);
  EXPECT_EQ(c.retries_succeeded, 1u);

  // A chunked body is kept as it was framed.
  AttemptBackend chunked({"502", "200"});
  Apply({chunked.port()}, "{attempts: 1, retryOn: gateway-error}");
  Response ch = Send(
      "POST /c HTTP/1.1\r\nHost: web\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
  EXPECT_EQ(ch.status, 200);
  ASSERT_EQ(chunked.requests().size(), 2u);
  EXPECT_NE(chunked.requests()[1].find("\r\n\r\n3\r\nabc\r\n0\r\n\r\n"), std::string::npos)
      << chunked.requests()[1];
}

TEST_F(RetriesTest, OnlyTheConditionsOfRetryOnAreRetried) {
  struct Case {
    std::string retry_on;
    std::vector<std::string> script;
    int status;
    size_t attempts;
  };
  for (const Case& k : std::vector<Case>{
           {"gateway-error", {"500", "200"}, 500, 1},  // 500 is not a gateway error
           {"gateway-error", {"504", "200"}, 200, 2},
           {"retriable-4xx", {"409", "200"}, 200, 2},
           {"retriable-4xx", {"404", "200"}, 404, 1},
           {"503,connect-failure", {"503", "200"}, 200, 2},  // a status code of its own
           {"503", {"502", "200"}, 502, 1},
           {"reset", {"reset", "200"}, 200, 2},
           {"connect-failure", {"reset", "200"}, 503, 1},  // a reset is not a connect failure
           {"5xx", {"reset", "200"}, 200, 2},              // 5xx covers resets
       }) {
    AttemptBackend b(k.script);
    Apply({b.port()}, "{attempts: 2, retryOn: \"" + k.retry_on + "\"}");
    Response r = Send("GET / HTTP/1.1\r\nHost: web\r\n\r\n");
    EXPECT_EQ(r.status, k.status) << k.retry_on << " " << k.script[0];
    EXPECT_EQ(b.requests().size(), k.attempts) << k.retry_on << " " << k.script[0];
  }
}

TEST_F(RetriesTest, ARetryGoesToAnotherEndpoint) {
  AttemptBackend failing({"503"});
  AttemptBackend healthy({"200"});
  Apply({failing.port(), healthy.port()}, "{attempts: 1, retryOn: 5xx}");
  for (int i = 0; i < 6; ++i) {
    Response r = Send("GET / HTTP/1.1\r\nHost: web\r\n\r\n");
    EXPECT_EQ(r.status, 200) << i << " " << r.body;
  }
  EXPECT_EQ(healthy.requests().size(), 6u);
  EXPECT_GE(failing.requests().size(), 1u);
  for (const std::string& q : healthy.requests()) {
    EXPECT_TRUE(AttemptCount(q) == "1" || AttemptCount(q) == "2") << q;
  }
}

TEST_F(RetriesTest, WhenTheAttemptsRunOutTheLastResponseIsPassedOnWithURX) {
  AttemptBackend b({"503"});
  Apply({b.port()}, "{attempts: 2, retryOn: 5xx}");
  Response r = Send("GET / HTTP/1.1\r\nHost: web\r\n\r\n");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "503 from " + std::to_string(b.port())) << "the upstream's own answer";
  EXPECT_EQ(b.requests().size(), 3u);
  EXPECT_EQ(observer_.last_flags(), "URX");
  EXPECT_EQ(Counters().retries_limit_exceeded, 1u);
  EXPECT_EQ(Counters().retries_succeeded, 0u);

  // attempts: 0 turns retries off, as in Istio: not even a connect failure is retried.
  AttemptBackend once({"503"});
  Apply({once.port()}, "{attempts: 0, retryOn: 5xx}");
  EXPECT_EQ(Send("GET / HTTP/1.1\r\nHost: web\r\n\r\n").status, 503);
  EXPECT_EQ(once.requests().size(), 1u);
  EXPECT_EQ(observer_.last_flags(), "-");
}

TEST_F(RetriesTest, APerTryTimeoutIsRetriedAsA504OrAnsweredWithUT) {
  AttemptBackend b({"hang", "200"});
  Apply({b.port()}, "{attempts: 2, perTryTimeout: 200ms, retryOn: gateway-error}");
  auto start = std::chrono::steady_clock::now();
  Response r = Send("GET / HTTP/1.1\r\nHost: web\r\n\r\n");
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.status, 200);
  EXPECT_GE(took, std::chrono::milliseconds(200));
  EXPECT_EQ(b.requests().size(), 2u);

  AttemptBackend hangs({"hang"});
  Apply({hangs.port()}, "{attempts: 2, perTryTimeout: 100ms, retryOn: connect-failure}");
  Response t = Send("GET / HTTP/1.1\r\nHost: web\r\n\r\n");
  EXPECT_EQ(t.status, 504);
  EXPECT_EQ(observer_.last_flags(), "UT");
  EXPECT_EQ(hangs.requests().size(), 1u) << "connect-failure does not cover a timeout";
}

TEST_F(RetriesTest, ABodyLargerThanTheRetryBufferIsNotRetried) {
  AttemptBackend b({"503", "200"});
  Apply({b.port()}, "{attempts: 2, retryOn: 5xx}");
  std::string body(100 * 1024, 'x');
  Response r =
      Send("POST / HTTP/1.1\r\nHost: web\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\n\r\n" + body);
  EXPECT_EQ(r.status, 503);
  ASSERT_EQ(b.requests().size(), 1u);
  EXPECT_EQ(b.requests()[0].size() - b.requests()[0].find("\r\n\r\n") - 4, body.size());
}

}  // namespace
}  // namespace canaryd::proxy

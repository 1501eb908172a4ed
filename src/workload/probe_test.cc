#include "workload/probe.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace canaryd::workload {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

int ListenLoopback(int backlog, int* port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  EXPECT_EQ(listen(fd, backlog), 0);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  *port = ntohs(addr.sin_port);
  return fd;
}

// A one-thread server on 127.0.0.1: each accepted connection is handed to `handler`.
class TinyServer {
 public:
  explicit TinyServer(std::function<void(int fd, TinyServer& self)> handler)
      : handler_(std::move(handler)) {
    listen_fd_ = ListenLoopback(16, &port_);
    thread_ = std::thread([this] { Run(); });
  }
  ~TinyServer() {
    stop_ = true;
    thread_.join();
    close(listen_fd_);
  }
  int port() const { return port_; }
  bool stopping() const { return stop_; }
  std::string request() {
    std::lock_guard<std::mutex> lock(mu_);
    return request_;
  }
  // Reads the request head (bounded) and remembers it.
  void ReadRequest(int fd) {
    std::string got;
    char buf[1024];
    while (got.find("\r\n\r\n") == std::string::npos && got.size() < 65536) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 2000) <= 0) break;
      ssize_t n = read(fd, buf, sizeof(buf));
      if (n <= 0) break;
      got.append(buf, static_cast<size_t>(n));
    }
    std::lock_guard<std::mutex> lock(mu_);
    request_ = got;
  }

 private:
  void Run() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (poll(&p, 1, 20) <= 0) continue;
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      handler_(fd, *this);
      close(fd);
    }
  }

  std::function<void(int, TinyServer&)> handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::string request_;
};

// MSG_NOSIGNAL: the probe closes early on purpose, and SIGPIPE would end the test binary.
void Send(int fd, const std::string& s) {
  ssize_t n = send(fd, s.data(), s.size(), MSG_NOSIGNAL);
  (void)n;
}

TinyServer Responding(std::string response) {
  return TinyServer([response](int fd, TinyServer& self) {
    self.ReadRequest(fd);
    Send(fd, response);
  });
}

TEST(HttpGet, SuccessAndTheRequestItSends) {
  TinyServer server([](int fd, TinyServer& self) {
    self.ReadRequest(fd);
    Send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  });
  ProbeOutcome r =
      HttpGet("127.0.0.1", server.port(), "/healthz?full=1", {{"X-Probe", "yes"}}, seconds(5));
  EXPECT_TRUE(r.success) << r.message;
  EXPECT_EQ(r.message, "");
  std::string req = server.request();
  std::string hostport = "127.0.0.1:" + std::to_string(server.port());
  EXPECT_EQ(req, "GET /healthz?full=1 HTTP/1.1\r\nHost: " + hostport +
                     "\r\nUser-Agent: kube-probe/1.30\r\nAccept: */*\r\nConnection: close\r\n"
                     "X-Probe: yes\r\n\r\n");
  // A given Host replaces the default; an empty path is "/".
  r = HttpGet("127.0.0.1", server.port(), "", {{"host", "example.com"}}, seconds(5));
  EXPECT_TRUE(r.success) << r.message;
  EXPECT_NE(server.request().find("GET / HTTP/1.1\r\nHost: example.com\r\n"), std::string::npos);
}

TEST(HttpGet, StatusLineSplitOverTwoWrites) {
  TinyServer server([](int fd, TinyServer& self) {
    self.ReadRequest(fd);
    Send(fd, "HTTP/1.1 2");
    std::this_thread::sleep_for(milliseconds(50));
    Send(fd, "04 No Content\r\n\r\n");
  });
  ProbeOutcome r = HttpGet("127.0.0.1", server.port(), "/", {}, seconds(5));
  EXPECT_TRUE(r.success) << r.message;
}

TEST(HttpGet, StatusCodes) {
  for (auto [line, success] :
       {std::pair{"HTTP/1.1 503 Service Unavailable", false}, std::pair{"HTTP/1.0 302 Found", true},
        std::pair{"HTTP/1.1 399", true}, std::pair{"HTTP/1.1 400 Bad", false},
        std::pair{"HTTP/1.1 199 Odd", false}}) {
    TinyServer server = Responding(std::string(line) + "\r\n\r\n");
    ProbeOutcome r = HttpGet("127.0.0.1", server.port(), "/healthz", {}, seconds(5));
    EXPECT_EQ(r.success, success) << line << ": " << r.message;
    if (std::string(line).find("503") != std::string::npos) {
      EXPECT_EQ(r.message, "HTTP probe failed with statuscode: 503");
    }
  }
}

TEST(HttpGet, ServerThatNeverAnswersTimesOut) {
  TinyServer server([](int fd, TinyServer& self) {
    self.ReadRequest(fd);
    while (!self.stopping()) std::this_thread::sleep_for(milliseconds(10));
  });
  auto start = std::chrono::steady_clock::now();
  ProbeOutcome r = HttpGet("127.0.0.1", server.port(), "/healthz", {}, milliseconds(200));
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.message, "Get \"http://127.0.0.1:" + std::to_string(server.port()) +
                           "/healthz\": context deadline exceeded (Client.Timeout exceeded while "
                           "awaiting headers)");
  EXPECT_GE(took, milliseconds(190));
  EXPECT_LT(took, seconds(3));
}

TEST(HttpGet, ConnectionRefused) {
  int port = 0;
  int fd = ListenLoopback(1, &port);
  close(fd);  // nothing listens there now
  ProbeOutcome r = HttpGet("127.0.0.1", port, "/healthz", {}, seconds(2));
  EXPECT_FALSE(r.success);
  std::string hp = "127.0.0.1:" + std::to_string(port);
  EXPECT_EQ(r.message,
            "Get \"http://" + hp + "/healthz\": dial tcp " + hp + ": connect: connection refused");
  r = TcpSocket("127.0.0.1", port, seconds(2));
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.message, "dial tcp " + hp + ": connect: connection refused");
}

TEST(HttpGet, MaliciousResponsesAreBounded) {
  // An endless status line: refused after 4 KiB, without waiting for the timeout.
  TinyServer endless([](int fd, TinyServer& self) {
    self.ReadRequest(fd);
    std::string junk(1024, 'A');
    for (int i = 0; i < 64 && !self.stopping(); ++i) Send(fd, junk);
  });
  auto start = std::chrono::steady_clock::now();
  ProbeOutcome r = HttpGet("127.0.0.1", endless.port(), "/", {}, seconds(5));
  EXPECT_FALSE(r.success);
  EXPECT_NE(r.message.find("longer than 4096 bytes"), std::string::npos) << r.message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(3));

  TinyServer garbage = Responding("SSH-2.0-OpenSSH\r\n");
  r = HttpGet("127.0.0.1", garbage.port(), "/", {}, seconds(5));
  EXPECT_FALSE(r.success);
  EXPECT_NE(r.message.find("malformed HTTP response \"SSH-2.0-OpenSSH\""), std::string::npos)
      << r.message;

  TinyServer silent_close([](int fd, TinyServer& self) { self.ReadRequest(fd); });
  r = HttpGet("127.0.0.1", silent_close.port(), "/", {}, seconds(5));
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.message.substr(r.message.size() - 5), ": EOF");

  TinyServer bad_digits = Responding("HTTP/1.1 2x0 OK\r\n\r\n");
  EXPECT_FALSE(HttpGet("127.0.0.1", bad_digits.port(), "/", {}, seconds(5)).success);
}

TEST(HttpGet, HeaderInjectionRefused) {
  TinyServer server = Responding("HTTP/1.1 200 OK\r\n\r\n");
  ProbeOutcome r =
      HttpGet("127.0.0.1", server.port(), "/", {{"X-A", "1\r\nX-Injected: 1"}}, seconds(2));
  EXPECT_FALSE(r.success);
  EXPECT_NE(r.message.find("invalid header"), std::string::npos);
  EXPECT_FALSE(HttpGet("127.0.0.1", server.port(), "/a b", {}, seconds(2)).success);
}

TEST(TcpSocket, ConnectsAndTimesOut) {
  TinyServer server([](int, TinyServer&) {});
  EXPECT_TRUE(TcpSocket("127.0.0.1", server.port(), seconds(2)).success);

  // A listener whose accept queue is full drops further SYNs: the connect hangs.
  int port = 0;
  int full = ListenLoopback(0, &port);
  std::vector<int> fillers;
  for (int i = 0; i < 3; ++i) {
    int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    fillers.push_back(c);
  }
  std::this_thread::sleep_for(milliseconds(50));
  auto start = std::chrono::steady_clock::now();
  ProbeOutcome r = TcpSocket("127.0.0.1", port, milliseconds(200));
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.message, "dial tcp 127.0.0.1:" + std::to_string(port) + ": i/o timeout");
  EXPECT_LT(took, seconds(3));
  for (int c : fillers) close(c);
  close(full);
}

TEST(ExecProbe, ExitCodeOutputAndTimeout) {
  auto sup = ProcessSupervisor::Create();
  ASSERT_TRUE(sup.ok());
  ExecProbeSpec spec;
  spec.argv = {"/bin/true"};
  EXPECT_TRUE(Exec(**sup, spec, seconds(5)).success);
  spec.argv = {"/bin/sh", "-c", "echo not healthy; exit 2"};
  ProbeOutcome r = Exec(**sup, spec, seconds(5));
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.message, "command \"/bin/sh\" failed: exit code 2: not healthy\n");
  spec.argv = {"/bin/sleep", "30"};
  auto start = std::chrono::steady_clock::now();
  r = Exec(**sup, spec, milliseconds(200));
  EXPECT_FALSE(r.success);
  EXPECT_NE(r.message.find("timed out"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(5));
  EXPECT_EQ((*sup)->running(), 0u);
  spec.argv = {"/no/such/probe"};
  r = Exec(**sup, spec, seconds(5));
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.message, "exec /no/such/probe: No such file or directory");
}

constexpr int64_t kSec = 1'000'000'000;

TEST(ProbeTracker, DefaultsForZeroFields) {
  ManualClock clock;
  ProbeTracker t(ProbeKind::kReadiness, ProbeTiming{0, 0, 0, 0, 0}, clock);
  EXPECT_EQ(t.timing().period_seconds, 10);
  EXPECT_EQ(t.timing().timeout_seconds, 1);
  EXPECT_EQ(t.timing().success_threshold, 1);
  EXPECT_EQ(t.timing().failure_threshold, 3);
  EXPECT_EQ(t.timeout(), seconds(1));
  ProbeTracker l(ProbeKind::kLiveness, ProbeTiming{0, 5, 2, 4, 2}, clock);
  EXPECT_EQ(l.timing().success_threshold, 1);  // must be 1 for liveness
}

TEST(ProbeTracker, ScheduleFollowsInitialDelayAndPeriod) {
  ManualClock clock;
  ProbeTracker t(ProbeKind::kReadiness, ProbeTiming{5, 10, 1, 1, 3}, clock);
  int64_t start = clock.MonotonicNanos();
  EXPECT_EQ(t.next_due(), start + 5 * kSec);
  clock.Advance(milliseconds(4999));
  EXPECT_FALSE(t.Due());
  clock.Advance(milliseconds(1));
  EXPECT_TRUE(t.Due());
  clock.Advance(milliseconds(300));  // the probe took 300 ms
  t.Record(true);
  EXPECT_EQ(t.next_due(), clock.MonotonicNanos() + 10 * kSec);
  EXPECT_FALSE(t.Due());
  clock.Advance(seconds(10));
  EXPECT_TRUE(t.Due());
}

TEST(ProbeTracker, ReadinessThresholds) {
  ManualClock clock;
  ProbeTracker t(ProbeKind::kReadiness, ProbeTiming{0, 10, 1, 2, 3}, clock);
  EXPECT_FALSE(t.ready());
  EXPECT_EQ(t.state(), ProbeState::kFailure);
  t.Record(true);
  EXPECT_FALSE(t.ready());  // successThreshold 2
  t.Record(true);
  EXPECT_TRUE(t.ready());
  t.Record(false);
  t.Record(false);
  EXPECT_TRUE(t.ready());
  t.Record(true);  // breaks the run of failures
  t.Record(false);
  t.Record(false);
  EXPECT_TRUE(t.ready());
  t.Record(false);
  EXPECT_FALSE(t.ready());
  EXPECT_FALSE(t.kill_required());  // readiness never kills
  EXPECT_TRUE(t.active());
  t.Record(true);
  EXPECT_FALSE(t.ready());
  t.Record(true);
  EXPECT_TRUE(t.ready());
}

TEST(ProbeTracker, LivenessFailureRequiresKillThenHolds) {
  ManualClock clock;
  ProbeTracker t(ProbeKind::kLiveness, ProbeTiming{}, clock);
  EXPECT_EQ(t.state(), ProbeState::kSuccess);
  t.Record(false);
  t.Record(false);
  EXPECT_FALSE(t.kill_required());
  t.Record(false);
  EXPECT_TRUE(t.kill_required());
  EXPECT_FALSE(t.active());
  EXPECT_FALSE(t.Due());
  t.Record(true);  // a late result while on hold changes nothing
  EXPECT_TRUE(t.kill_required());
  clock.Advance(seconds(1));
  t.ContainerStarted();
  EXPECT_FALSE(t.kill_required());
  EXPECT_EQ(t.state(), ProbeState::kSuccess);
  EXPECT_TRUE(t.Due());
}

TEST(ProbeTracker, StartupStopsOnceStarted) {
  ManualClock clock;
  ProbeTracker t(ProbeKind::kStartup, ProbeTiming{0, 1, 1, 1, 2}, clock);
  EXPECT_EQ(t.state(), ProbeState::kUnknown);
  EXPECT_FALSE(t.started());
  t.Record(false);
  EXPECT_FALSE(t.started());
  t.Record(true);
  EXPECT_TRUE(t.started());
  EXPECT_FALSE(t.active());
  ProbeTracker f(ProbeKind::kStartup, ProbeTiming{0, 1, 1, 1, 2}, clock);
  f.Record(false);
  f.Record(false);
  EXPECT_TRUE(f.kill_required());
  EXPECT_FALSE(f.started());
}

}  // namespace
}  // namespace canaryd::workload

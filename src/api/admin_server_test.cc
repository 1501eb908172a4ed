#include "api/admin_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

namespace canaryd::api {
namespace {

int Connect(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

void SendAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

// Reads until the peer closes, `until` appears, or the timeout passes.
std::string Read(int fd, const std::string& until = "", int timeout_ms = 3000) {
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  char buf[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (!until.empty() && out.find(until) != std::string::npos) break;
  }
  return out;
}

bool PeerClosed(int fd, int timeout_ms = 3000) {
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, timeout_ms) <= 0) return false;
  char c;
  return recv(fd, &c, 1, MSG_PEEK) <= 0;  // EOF, or a reset
}

class AdminServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.Handle("/echo", [](const HttpRequest& r) {
      return HttpResponse::Text(
          200, r.method + " " + r.path + " q=" + r.QueryOr("q", "") + " body=" + r.body);
    });
    router_.Handle(
        "/healthz", [](const HttpRequest&) { return HttpResponse::Text(200, "ok"); },
        RouteOptions{.public_access = true, .exact = true});
    router_.Handle("/throw",
                   [](const HttpRequest&) -> HttpResponse { throw std::runtime_error("boom"); });
  }

  std::unique_ptr<AdminServer> Start(AdminServerOptions o = {}) {
    o.address = o.address == AdminServerOptions().address ? "127.0.0.1:0" : o.address;
    auto s = AdminServer::Start(o, router_);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    if (s.ok()) host_ = "Host: 127.0.0.1:" + std::to_string((*s)->port()) + "\r\n";
    return s.ok() ? std::move(*s) : nullptr;
  }

  Router router_;
  std::string host_;  // the Host header line that names the last server started
};

TEST_F(AdminServerTest, ServesKeepAliveAndPipelinedRequests) {
  auto server = Start();
  ASSERT_NE(server->port(), 0);
  int fd = Connect(server->port());
  SendAll(fd, "GET /echo?q=a%20b HTTP/1.1\r\n" + host_ + "\r\n");
  std::string r1 = Read(fd, "q=a b body=");
  EXPECT_NE(r1.find("HTTP/1.1 200 OK"), std::string::npos) << r1;
  EXPECT_NE(r1.find("GET /echo q=a b body="), std::string::npos) << r1;
  // Two pipelined requests on the same connection.
  SendAll(fd, "POST /echo HTTP/1.1\r\n" + host_ +
                  "Content-Type: application/octet-stream\r\nContent-Length: 5\r\n\r\nhello"
                  "GET /echo/sub HTTP/1.1\r\n" +
                  host_ + "\r\n");
  std::string r2 = Read(fd, "GET /echo/sub");
  EXPECT_NE(r2.find("POST /echo q= body=hello"), std::string::npos) << r2;
  EXPECT_NE(r2.find("GET /echo/sub"), std::string::npos) << r2;
  close(fd);
}

TEST_F(AdminServerTest, ChunkedRequestBody) {
  auto server = Start();
  int fd = Connect(server->port());
  SendAll(fd, "PUT /echo HTTP/1.1\r\n" + host_ +
                  "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  std::string r = Read(fd, "body=abcde");
  EXPECT_NE(r.find("PUT /echo q= body=abcde"), std::string::npos) << r;
  close(fd);
}

TEST_F(AdminServerTest, MalformedRequestGets400AndClose) {
  auto server = Start();
  for (std::string bad : {std::string("GARBAGE\r\n\r\n"), std::string("GET / HTTP/9.9\r\n\r\n"),
                          std::string("GET /echo HTTP/1.1\r\nBad Header\r\n\r\n"),
                          std::string("GET no-slash HTTP/1.1\r\n\r\n"),
                          std::string("\x01\x02\x03\x04 / HTTP/1.1\r\n\r\n"),
                          std::string("POST /echo HTTP/1.1\r\nContent-Length: zz\r\n\r\n")}) {
    int fd = Connect(server->port());
    SendAll(fd, bad);
    std::string r = Read(fd);
    EXPECT_NE(r.find("HTTP/1.1 400"), std::string::npos) << bad << " -> " << r;
    EXPECT_NE(r.find("\"reason\":\"BadRequest\""), std::string::npos) << r;
    close(fd);
  }
  // The server still serves.
  int fd = Connect(server->port());
  SendAll(fd, "GET /healthz HTTP/1.1\r\n\r\n");
  EXPECT_NE(Read(fd, "ok").find("200 OK"), std::string::npos);
  close(fd);
}

TEST_F(AdminServerTest, BodyAndHeaderLimits) {
  AdminServerOptions o;
  o.max_body_bytes = 1000;
  o.max_header_bytes = 2000;
  auto server = Start(o);
  {
    int fd = Connect(server->port());
    SendAll(fd, "POST /echo HTTP/1.1\r\nContent-Length: 5000\r\n\r\n");
    std::string r = Read(fd);
    EXPECT_NE(r.find("HTTP/1.1 413"), std::string::npos) << r;
    EXPECT_TRUE(r.find("Connection: close") != std::string::npos) << r;
    close(fd);
  }
  {
    int fd = Connect(server->port());
    SendAll(fd, "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" +
                    std::string("7d0\r\n") + std::string(2000, 'x') + "\r\n0\r\n\r\n");
    EXPECT_NE(Read(fd).find("HTTP/1.1 413"), std::string::npos);
    close(fd);
  }
  {
    int fd = Connect(server->port());
    SendAll(fd, "GET /echo HTTP/1.1\r\nX-Big: " + std::string(3000, 'a') + "\r\n\r\n");
    EXPECT_NE(Read(fd).find("HTTP/1.1 431"), std::string::npos);
    close(fd);
  }
}

TEST_F(AdminServerTest, HandlerExceptionIs500AndUnknownPath404) {
  auto server = Start();
  int fd = Connect(server->port());
  SendAll(fd, "GET /throw HTTP/1.1\r\n" + host_ + "\r\n");
  EXPECT_NE(Read(fd, "}").find("HTTP/1.1 500"), std::string::npos);
  SendAll(fd, "GET /nowhere HTTP/1.1\r\n" + host_ + "\r\n");
  EXPECT_NE(Read(fd, "}").find("HTTP/1.1 404"), std::string::npos);
  close(fd);
}

TEST_F(AdminServerTest, TokenRequiredOnlyWhereAsked) {
  AdminServerOptions o;
  o.token = "s3cret";
  o.require_token = true;
  auto server = Start(o);
  ASSERT_TRUE(server->token_required());
  auto get = [&](const std::string& path, const std::string& auth) {
    int fd = Connect(server->port());
    SendAll(fd, "GET " + path + " HTTP/1.1\r\n" + host_ + auth + "Connection: close\r\n\r\n");
    std::string r = Read(fd);
    close(fd);
    return r;
  };
  EXPECT_NE(get("/echo", "").find("HTTP/1.1 401"), std::string::npos);
  EXPECT_NE(get("/echo", "Authorization: Bearer wrong\r\n").find("HTTP/1.1 401"),
            std::string::npos);
  EXPECT_NE(get("/echo", "Authorization: Bearer s3cret-and-more\r\n").find("HTTP/1.1 401"),
            std::string::npos);
  EXPECT_NE(get("/echo", "Authorization: Basic czNjcmV0\r\n").find("HTTP/1.1 401"),
            std::string::npos);
  EXPECT_NE(get("/echo", "Authorization: Bearer s3cret\r\n").find("HTTP/1.1 200"),
            std::string::npos);
  EXPECT_NE(get("/healthz", "").find("HTTP/1.1 200"), std::string::npos);
}

TEST_F(AdminServerTest, NonLoopbackNeedsToken) {
  AdminServerOptions o;
  o.address = "0.0.0.0:0";
  auto refused = AdminServer::Start(o, router_);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  o.token = "t";
  auto ok = AdminServer::Start(o, router_);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_TRUE((*ok)->token_required());
}

TEST(AdminAddress, Parsing) {
  std::string host;
  uint16_t port = 0;
  EXPECT_TRUE(SplitHostPort("127.0.0.1:15000", &host, &port));
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 15000);
  EXPECT_TRUE(SplitHostPort("[::1]:80", &host, &port));
  EXPECT_EQ(host, "::1");
  EXPECT_TRUE(SplitHostPort(":0", &host, &port));
  EXPECT_EQ(host, "");
  EXPECT_FALSE(SplitHostPort("localhost", &host, &port));
  EXPECT_FALSE(SplitHostPort("a:99999", &host, &port));
  EXPECT_FALSE(SplitHostPort("::1:80", &host, &port));
  EXPECT_TRUE(IsLoopbackHost("127.0.0.2"));
  EXPECT_TRUE(IsLoopbackHost("::1"));
  EXPECT_TRUE(IsLoopbackHost("localhost"));
  EXPECT_FALSE(IsLoopbackHost("0.0.0.0"));
  EXPECT_FALSE(IsLoopbackHost("10.1.2.3"));
}

TEST_F(AdminServerTest, StreamsFromOtherThreadsAndSeesClientLeave) {
  std::atomic<bool> ended{false};
  std::shared_ptr<ResponseStream> stream;
  std::mutex mu;
  router_.Handle("/stream", [&](const HttpRequest&) {
    HttpResponse r;
    r.stream = std::make_shared<ResponseStream>();
    r.stream->Send("first\n");
    r.stream->OnEnd([&] { ended = true; });
    std::lock_guard<std::mutex> lock(mu);
    stream = r.stream;
    return r;
  });
  auto server = Start();
  int fd = Connect(server->port());
  SendAll(fd, "GET /stream HTTP/1.1\r\n" + host_ + "\r\n");
  std::string r = Read(fd, "first\n");
  EXPECT_NE(r.find("Transfer-Encoding: chunked"), std::string::npos) << r;
  EXPECT_NE(r.find("6\r\nfirst\n\r\n"), std::string::npos) << r;
  std::thread other([&] {
    std::lock_guard<std::mutex> lock(mu);
    stream->Send("second\n");
  });
  other.join();
  EXPECT_NE(Read(fd, "second\n").find("7\r\nsecond\n\r\n"), std::string::npos);
  EXPECT_FALSE(ended);
  close(fd);  // the client goes away: the stream ends without any further write
  for (int i = 0; i < 100 && !ended; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_TRUE(ended);
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_FALSE(stream->Send("late"));
}

TEST_F(AdminServerTest, ClosedStreamEndsWithTerminatingChunk) {
  router_.Handle("/short", [](const HttpRequest&) {
    HttpResponse r;
    r.stream = std::make_shared<ResponseStream>();
    r.stream->Send("only\n");
    r.stream->CloseAfter(100);
    return r;
  });
  auto server = Start();
  int fd = Connect(server->port());
  SendAll(fd, "GET /short HTTP/1.1\r\n" + host_ + "\r\n");
  std::string r = Read(fd, "0\r\n\r\n");
  EXPECT_NE(r.find("5\r\nonly\n\r\n0\r\n\r\n"), std::string::npos) << r;
  close(fd);
}

TEST_F(AdminServerTest, StopEndsStreamsAndConnections) {
  std::atomic<bool> ended{false};
  router_.Handle("/forever", [&](const HttpRequest&) {
    HttpResponse r;
    r.stream = std::make_shared<ResponseStream>();
    r.stream->OnEnd([&] { ended = true; });
    return r;
  });
  auto server = Start();
  int streaming = Connect(server->port());
  SendAll(streaming, "GET /forever HTTP/1.1\r\n" + host_ + "\r\n");
  Read(streaming, "chunked");
  int idle = Connect(server->port());
  for (int i = 0; i < 100 && server->active_connections() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  server->Stop();
  EXPECT_TRUE(ended);
  EXPECT_TRUE(PeerClosed(idle));
  EXPECT_EQ(server->active_connections(), 0u);
  close(streaming);
  close(idle);
}

// Waits (bounded) until `f` holds.
template <class F>
bool WaitFor(F f, int timeout_ms = 5000) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!f()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

TEST_F(AdminServerTest, NewConnectionsMustSendAByteWithinTheFirstByteTimeout) {
  AdminServerOptions o;
  o.first_byte_timeout_ms = 200;
  o.idle_timeout_ms = 60'000;
  o.read_timeout_ms = 300;
  auto server = Start(o);
  auto start = std::chrono::steady_clock::now();
  int silent = Connect(server->port());
  EXPECT_TRUE(PeerClosed(silent, 3000));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(150));
  // A started request has read_timeout_ms to complete.
  int partial = Connect(server->port());
  SendAll(partial, "GET /echo HTTP/1.1\r\nHost");
  EXPECT_NE(Read(partial).find("HTTP/1.1 408"), std::string::npos);
  // Between requests the (longer) idle timeout applies.
  int kept = Connect(server->port());
  SendAll(kept, "GET /echo HTTP/1.1\r\n" + host_ + "\r\n");
  EXPECT_NE(Read(kept, "body=").find("200 OK"), std::string::npos);
  EXPECT_FALSE(PeerClosed(kept, 600));
  SendAll(kept, "GET /echo HTTP/1.1\r\n" + host_ + "\r\n");
  EXPECT_NE(Read(kept, "body=").find("200 OK"), std::string::npos);
  close(silent);
  close(partial);
  close(kept);
}

TEST_F(AdminServerTest, ATlsHandshakeHasTheFirstByteTimeoutInAll) {
  char dir_template[] = "/tmp/canaryd-tls-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::string dir = dir_template;
  ASSERT_TRUE(
      GenerateSelfSignedCertificate(dir + "/c.pem", dir + "/k.pem", {"localhost"}, {"127.0.0.1"})
          .ok());
  auto tls = TlsContext::FromFiles(dir + "/c.pem", dir + "/k.pem");
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(tls.ok()) << tls.status().ToString();
  AdminServerOptions o;
  o.tls = *tls;
  o.first_byte_timeout_ms = 300;
  auto server = Start(o);
  // A client hello trickled a byte at a time: each byte comes well within any socket timeout,
  // the whole never.
  int fd = Connect(server->port());
  auto start = std::chrono::steady_clock::now();
  bool closed = false;
  for (int i = 0; i < 40 && !closed; ++i) {
    SendAll(fd, i == 0 ? std::string("\x16") : std::string(1, '\x03'));
    closed = PeerClosed(fd, 100);
  }
  EXPECT_TRUE(closed);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  close(fd);
}

TEST_F(AdminServerTest, WhenFullACompleteRequestTakesTheSlotOfTheLongestWaiting) {
  AdminServerOptions o;
  o.max_connections = 4;
  o.reserved_connections = 2;
  auto server = Start(o);
  std::vector<int> waiting;
  // The slots: two that send nothing, one part-way through a request, one idle after a request.
  waiting.push_back(Connect(server->port()));
  ASSERT_TRUE(WaitFor([&] { return server->active_connections() == 1; }));
  waiting.push_back(Connect(server->port()));
  waiting.push_back(Connect(server->port()));
  SendAll(waiting.back(), "GET /echo HTTP/1.1\r\nHo");
  waiting.push_back(Connect(server->port()));
  SendAll(waiting.back(), "GET /echo HTTP/1.1\r\n" + host_ + "\r\n");
  EXPECT_NE(Read(waiting.back(), "body=").find("200 OK"), std::string::npos);
  ASSERT_TRUE(WaitFor([&] { return server->active_connections() == 4; }));
  // Two more fill the places on probation, a third takes the place of the first of them.
  for (int i = 0; i < 3; ++i) waiting.push_back(Connect(server->port()));
  EXPECT_TRUE(PeerClosed(waiting[4]));
  EXPECT_EQ(server->evicted_connections(), 1u);
  // A client that sends its request at once is served, each time at the expense of the
  // connection that has waited longest (and one on probation, while they are full), never
  // refused. Kept alive, the clients then wait too, and the fifth and sixth take their slots.
  std::vector<int> clients;
  for (int i = 0; i < 6; ++i) {
    clients.push_back(Connect(server->port()));
    SendAll(clients.back(), "GET /echo?q=" + std::to_string(i) + " HTTP/1.1\r\n" + host_ + "\r\n");
    std::string r = Read(clients.back(), "q=" + std::to_string(i));
    EXPECT_NE(r.find("200 OK"), std::string::npos) << i << ": " << r;
  }
  for (int i = 0; i < 6; ++i) EXPECT_TRUE(PeerClosed(waiting[i])) << i;
  EXPECT_TRUE(PeerClosed(clients[0]));
  EXPECT_TRUE(PeerClosed(clients[1]));
  EXPECT_EQ(server->evicted_connections(), 8u);
  // Four clients and one on probation.
  EXPECT_TRUE(WaitFor([&] { return server->active_connections() == 5u; }));
  for (int fd : waiting) close(fd);
  for (int fd : clients) close(fd);
}

TEST_F(AdminServerTest, SlotsDoingWorkAreNotTakenAndStreamsKeepAShareFree) {
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  std::atomic<int> blocked{0};
  router_.Handle("/block", [&](const HttpRequest&) {
    ++blocked;
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return release; });
    return HttpResponse::Text(200, "released");
  });
  router_.Handle("/stream", [](const HttpRequest&) {
    HttpResponse r;
    r.stream = std::make_shared<ResponseStream>();
    r.stream->Send("open\n");
    return r;
  });
  AdminServerOptions o;
  o.max_connections = 3;
  o.reserved_connections = 1;
  o.max_streams = 1;
  auto server = Start(o);
  int stream = Connect(server->port());
  SendAll(stream, "GET /stream HTTP/1.1\r\n" + host_ + "\r\n");
  EXPECT_NE(Read(stream, "open\n").find("chunked"), std::string::npos);
  int second = Connect(server->port());
  SendAll(second, "GET /stream HTTP/1.1\r\n" + host_ + "\r\n");
  std::string refused = Read(second, "}");
  EXPECT_NE(refused.find("HTTP/1.1 429"), std::string::npos) << refused;
  EXPECT_NE(refused.find("Retry-After: 1"), std::string::npos) << refused;
  close(second);
  ASSERT_TRUE(WaitFor([&] { return server->active_connections() == 1; }));
  int busy[2];
  for (int& fd : busy) {
    fd = Connect(server->port());
    SendAll(fd, "GET /block HTTP/1.1\r\n" + host_ + "\r\n");
  }
  ASSERT_TRUE(WaitFor([&] { return blocked == 2; }));
  int late = Connect(server->port());
  SendAll(late, "GET /echo HTTP/1.1\r\n" + host_ + "\r\n");
  std::string r = Read(late);
  EXPECT_NE(r.find("HTTP/1.1 503"), std::string::npos) << r;
  EXPECT_EQ(server->evicted_connections(), 0u);
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
  for (int fd : busy) {
    EXPECT_NE(Read(fd, "released").find("200 OK"), std::string::npos);
    close(fd);
  }
  close(late);
  close(stream);
}

TEST_F(AdminServerTest, AClientThatDoesNotReadItsResponseCanBeEvicted) {
  router_.Handle("/big", [](const HttpRequest&) {
    return HttpResponse::Text(200, std::string(32 << 20, 'x'));
  });
  AdminServerOptions o;
  o.max_connections = 1;
  o.reserved_connections = 1;
  auto server = Start(o);
  int reader = socket(AF_INET, SOCK_STREAM, 0);
  int small = 4096;
  setsockopt(reader, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(server->port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(reader, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  SendAll(reader, "GET /big HTTP/1.1\r\n" + host_ + "\r\n");
  // Once the server's write waits on the client, a complete request takes the slot. Until then
  // the slot is working, and the newcomer gets 503; try until served (bounded).
  std::string r;
  EXPECT_TRUE(WaitFor(
      [&] {
        int fd = Connect(server->port());
        SendAll(fd, "GET /echo HTTP/1.1\r\n" + host_ + "Connection: close\r\n\r\n");
        r = Read(fd);
        close(fd);
        return r.find("200 OK") != std::string::npos;
      },
      10'000))
      << r;
  EXPECT_EQ(server->evicted_connections(), 1u);
  close(reader);
}

TEST_F(AdminServerTest, RefusesForeignHostsOriginsAndPreflightsAndNeverGrantsCors) {
  router_.Handle("/cors", [](const HttpRequest&) {
    return HttpResponse::Text(200, "cors")
        .SetHeader("Access-Control-Allow-Origin", "*")
        .SetHeader("access-control-allow-credentials", "true");
  });
  AdminServerOptions o;
  o.allowed_hosts = {"canaryd.test"};
  auto server = Start(o);
  auto call = [&](const std::string& request) {
    int fd = Connect(server->port());
    SendAll(fd, request);
    std::string r = Read(fd);
    close(fd);
    return r;
  };
  const std::string port = std::to_string(server->port());
  std::string rebound =
      call("GET /echo HTTP/1.1\r\nHost: evil.example:" + port + "\r\nConnection: close\r\n\r\n");
  EXPECT_NE(rebound.find("HTTP/1.1 421 Misdirected Request"), std::string::npos) << rebound;
  EXPECT_NE(rebound.find("\"reason\":\"MisdirectedRequest\""), std::string::npos) << rebound;
  EXPECT_NE(
      call("GET /echo HTTP/1.1\r\nHost: canaryd.test:" + port + "\r\nConnection: close\r\n\r\n")
          .find("200 OK"),
      std::string::npos);
  EXPECT_NE(call("GET /echo HTTP/1.1\r\nHost: localhost:" + port + "\r\nConnection: close\r\n\r\n")
                .find("200 OK"),
            std::string::npos);
  // Health checks answer whatever the Host.
  EXPECT_NE(
      call("GET /healthz HTTP/1.1\r\nHost: lb.example\r\nConnection: close\r\n\r\n").find("200 OK"),
      std::string::npos);
  std::string preflight = call("OPTIONS /echo HTTP/1.1\r\n" + host_ +
                               "Origin: https://evil.example\r\n"
                               "Access-Control-Request-Method: PUT\r\nConnection: close\r\n\r\n");
  EXPECT_NE(preflight.find("HTTP/1.1 403"), std::string::npos) << preflight;
  EXPECT_EQ(preflight.find("Access-Control"), std::string::npos) << preflight;
  std::string cors = call("GET /cors HTTP/1.1\r\n" + host_ + "Connection: close\r\n\r\n");
  EXPECT_NE(cors.find("200 OK"), std::string::npos) << cors;
  for (const char* h : {"Access-Control", "access-control"}) {
    EXPECT_EQ(cors.find(h), std::string::npos) << cors;
  }
  std::string cross = call("POST /echo HTTP/1.1\r\n" + host_ +
                           "Origin: https://evil.example\r\nContent-Type: application/json\r\n"
                           "Content-Length: 2\r\nConnection: close\r\n\r\n{}");
  EXPECT_NE(cross.find("HTTP/1.1 403"), std::string::npos) << cross;
  std::string same = call("POST /echo HTTP/1.1\r\n" + host_ + "Origin: http://127.0.0.1:" + port +
                          "\r\nContent-Type: application/json\r\n"
                          "Content-Length: 2\r\nConnection: close\r\n\r\n{}");
  EXPECT_NE(same.find("200 OK"), std::string::npos) << same;
  std::string form = call("POST /echo HTTP/1.1\r\n" + host_ +
                          "Content-Type: text/plain\r\nContent-Length: 2\r\n"
                          "Connection: close\r\n\r\n{}");
  EXPECT_NE(form.find("HTTP/1.1 415"), std::string::npos) << form;
  EXPECT_NE(form.find("\"reason\":\"UnsupportedMediaType\""), std::string::npos) << form;
  EXPECT_FALSE(
      AdminServer::Start(
          AdminServerOptions{.address = "127.0.0.1:0", .allowed_hosts = {"not a name"}}, router_)
          .ok());
}

}  // namespace
}  // namespace canaryd::api

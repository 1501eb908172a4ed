#include "api/admin_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

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
    return s.ok() ? std::move(*s) : nullptr;
  }

  Router router_;
};

TEST_F(AdminServerTest, ServesKeepAliveAndPipelinedRequests) {
  auto server = Start();
  ASSERT_NE(server->port(), 0);
  int fd = Connect(server->port());
  SendAll(fd, "GET /echo?q=a%20b HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string r1 = Read(fd, "q=a b body=");
  EXPECT_NE(r1.find("HTTP/1.1 200 OK"), std::string::npos) << r1;
  EXPECT_NE(r1.find("GET /echo q=a b body="), std::string::npos) << r1;
  // Two pipelined requests on the same connection.
  SendAll(fd,
          "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
          "GET /echo/sub HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string r2 = Read(fd, "GET /echo/sub");
  EXPECT_NE(r2.find("POST /echo q= body=hello"), std::string::npos) << r2;
  EXPECT_NE(r2.find("GET /echo/sub"), std::string::npos) << r2;
  close(fd);
}

TEST_F(AdminServerTest, ChunkedRequestBody) {
  auto server = Start();
  int fd = Connect(server->port());
  SendAll(fd,
          "PUT /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
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
  SendAll(fd, "GET /throw HTTP/1.1\r\n\r\n");
  EXPECT_NE(Read(fd, "}").find("HTTP/1.1 500"), std::string::npos);
  SendAll(fd, "GET /nowhere HTTP/1.1\r\n\r\n");
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
    SendAll(fd, "GET " + path + " HTTP/1.1\r\n" + auth + "Connection: close\r\n\r\n");
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
  SendAll(fd, "GET /stream HTTP/1.1\r\n\r\n");
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
  SendAll(fd, "GET /short HTTP/1.1\r\n\r\n");
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
  SendAll(streaming, "GET /forever HTTP/1.1\r\n\r\n");
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

TEST_F(AdminServerTest, ConnectionLimit) {
  AdminServerOptions o;
  o.max_connections = 2;
  auto server = Start(o);
  int a = Connect(server->port());
  int b = Connect(server->port());
  for (int i = 0; i < 100 && server->active_connections() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  int c = Connect(server->port());
  EXPECT_NE(Read(c).find("HTTP/1.1 503"), std::string::npos);
  close(a);
  close(b);
  close(c);
}

TEST_F(AdminServerTest, IdleConnectionsAreClosed) {
  AdminServerOptions o;
  o.idle_timeout_ms = 200;
  o.read_timeout_ms = 200;
  auto server = Start(o);
  int idle = Connect(server->port());
  EXPECT_TRUE(PeerClosed(idle, 3000));
  int partial = Connect(server->port());
  SendAll(partial, "GET /echo HTTP/1.1\r\nHost");
  EXPECT_NE(Read(partial).find("HTTP/1.1 408"), std::string::npos);
  close(idle);
  close(partial);
}

}  // namespace
}  // namespace canaryd::api

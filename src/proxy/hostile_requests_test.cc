// A battery of malformed and hostile requests sent over a raw socket to the gateway (real
// sockets, in process) in front of a recording backend. Each must get the right status and a
// closed connection, and the backend must not receive anything the client smuggled.
#include <gtest/gtest.h>

#include <sys/ioctl.h>

#include <atomic>
#include <cerrno>
#include <mutex>
#include <set>
#include <thread>

#include "config/loader.h"
#include "event/socket.h"
#include "http/parser.h"
#include "proxy/gateway_server.h"
#include "router/compiler.h"
#include "testing/gateway_test_support.h"
#include "testing/net.h"

namespace canaryd::proxy {
namespace {

// Accepts connections, answers every complete request with 200 "ok", and records every byte.
// One thread accepts and one serves each connection; the destructor shuts every socket down and
// joins them all, so none outlives the backend. A connection's bytes are taken from its socket
// and recorded under one lock, which is what lets Settle() tell when nothing is left unrecorded.
class RecordingBackend {
 public:
  RecordingBackend() {
    auto addr = event::SocketAddress::Parse("127.0.0.1", 0);
    listen_fd_ = *event::Listen(*addr, false);
    port_ = event::LocalAddress(listen_fd_)->port();
    thread_ = std::thread([this] { Run(); });
  }
  ~RecordingBackend() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
      for (int fd : open_) shutdown(fd, SHUT_RDWR);  // their threads see EOF at once
    }
    thread_.join();  // starts no thread after seeing stop_ (under the lock)
    for (std::thread& t : serving_) t.join();
    close(listen_fd_);
  }
  RecordingBackend(const RecordingBackend&) = delete;
  RecordingBackend& operator=(const RecordingBackend&) = delete;

  uint16_t port() const { return port_; }
  std::string received() {
    std::lock_guard<std::mutex> lock(mu_);
    return received_;
  }
  int requests() const { return requests_.load(); }
  void Clear() {
    std::lock_guard<std::mutex> lock(mu_);
    received_.clear();
    requests_ = 0;
  }
  // Waits (bounded) until every byte that has reached the backend is in received(): no
  // connection waits to be accepted and no open connection has unread bytes. Bytes on loopback
  // are in the receiving socket when send() returns, so after a request that the backend
  // answered, whatever the gateway sent before it is recorded once this returns true.
  bool Settle(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        pollfd l{listen_fd_, POLLIN, 0};
        bool settled = poll(&l, 1, 0) == 0;
        for (int fd : open_) {
          int unread = 0;
          settled = settled && ioctl(fd, FIONREAD, &unread) == 0 && unread == 0;
        }
        if (settled) return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return false;
  }

 private:
  void Run() {
    while (true) {
      pollfd p{listen_fd_, POLLIN, 0};
      poll(&p, 1, 20);
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
      // Accepted and registered under the lock: Settle() sees a connection either queued or open.
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      open_.insert(fd);
      serving_.emplace_back([this, fd] { Serve(fd); });
    }
  }
  void Serve(int fd) {
    http::Parser parser(http::Parser::Kind::kRequest);
    parser.Reset();
    std::string buf;
    size_t parsed = 0;
    char tmp[65536];
    while (true) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 1000) <= 0) continue;
      ssize_t n;
      {
        std::lock_guard<std::mutex> lock(mu_);
        n = recv(fd, tmp, sizeof tmp, MSG_DONTWAIT);
        if (n > 0) received_.append(tmp, static_cast<size_t>(n));
      }
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (n <= 0) break;
      buf.append(tmp, static_cast<size_t>(n));
      bool error = false;
      while (parsed < buf.size() || parser.completion_pending()) {
        size_t used = 0;
        auto s = parser.Feed(buf.data(), buf.data() + parsed, buf.size() - parsed, &used);
        parsed += used;
        if (s == http::Parser::State::kHeadComplete) {
          parser.Resume();
          continue;
        }
        if (s == http::Parser::State::kMessageComplete) {
          ++requests_;
          static const char kOk[] = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
          send(fd, kOk, sizeof kOk - 1, MSG_NOSIGNAL);
          buf.erase(0, parsed);
          parsed = 0;
          parser.Reset();
          continue;
        }
        error = s == http::Parser::State::kError;
        break;
      }
      if (error) break;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      open_.erase(fd);  // before close(): the destructor never shuts down a reused descriptor
    }
    close(fd);
  }

  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<int> requests_{0};
  std::mutex mu_;
  bool stop_ = false;                 // guarded by mu_
  std::set<int> open_;                // connections being served; guarded by mu_
  std::string received_;              // guarded by mu_
  std::vector<std::thread> serving_;  // the Run thread's, then the destructor's
  std::thread thread_;
};

struct Hostile {
  const char* name;
  std::string request;
  int status;  // expected status
  // The head is valid and only the body is broken: the head may already be on its way to the
  // backend (requests stream), which then sees an incomplete request and a closed connection,
  // never a complete or smuggled one.
  bool body_error = false;
};

// A literal with NUL bytes in it, whole.
template <size_t N>
std::string Bytes(const char (&s)[N]) {
  return std::string(s, N - 1);
}

std::vector<Hostile> Battery() {
  std::string big_header =
      "GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + std::string(61 * 1024, 'a') + "\r\n\r\n";
  std::string many_headers = "GET / HTTP/1.1\r\nHost: a\r\n";
  for (int i = 0; i < 101; ++i) many_headers += "X-H" + std::to_string(i) + ": v\r\n";
  many_headers += "\r\n";
  std::string long_target = "GET /" + std::string(61 * 1024, 'p') + " HTTP/1.1\r\nHost: a\r\n\r\n";
  std::string long_name =
      "GET / HTTP/1.1\r\nHost: a\r\n" + std::string(61 * 1024, 'n') + ": v\r\n\r\n";
  std::string smuggle = "GET /admin HTTP/1.1\r\nHost: a\r\n\r\n";
  return {
      {"cl_and_te",
       "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: "
       "chunked\r\n\r\n0\r\n\r\n" +
           smuggle,
       400},
      {"te_and_cl",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: "
       "4\r\n\r\n0\r\n\r\n" +
           smuggle,
       400},
      {"two_content_lengths",
       "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 40\r\n\r\nhello" +
           smuggle,
       400},
      {"negative_content_length",
       "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n" + smuggle, 400},
      {"alpha_content_length",
       "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n" + smuggle, 400},
      {"plus_content_length", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello", 400},
      {"content_length_list", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\nhello",
       400},
      {"chunked_not_last",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n" + smuggle,
       400},
      {"te_unknown_coding",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n" + smuggle, 400},
      {"te_obs_fold",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n" + smuggle,
       400},
      {"obs_fold", "GET / HTTP/1.1\r\nHost: a\r\nX-A: one\r\n two\r\n\r\n", 400},
      {"space_before_colon", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length : 5\r\n\r\nhello", 400},
      {"space_in_header_name", "GET / HTTP/1.1\r\nHost: a\r\nX Bad: v\r\n\r\n", 400},
      {"nul_in_header_value", Bytes("GET / HTTP/1.1\r\nHost: a\r\nX-A: a\0b\r\n\r\n"), 400},
      {"cr_in_header_value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: a\rb\r\n\r\n", 400},
      {"header_without_colon", "GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", 400},
      {"empty_header_name", "GET / HTTP/1.1\r\nHost: a\r\n: value\r\n\r\n", 400},
      {"method_with_space", "G ET / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"method_invalid_char", "G@T / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"lowercase_method", "get / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"http09", "GET /\r\n\r\n", 400},
      {"bad_version", "GET / HTTP/1.x\r\nHost: a\r\n\r\n", 400},
      {"version_2", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 400},
      {"lowercase_http", "GET / http/1.1\r\nHost: a\r\n\r\n", 400},
      {"ctl_in_target", "GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"nul_in_target", Bytes("GET /a\0b HTTP/1.1\r\nHost: a\r\n\r\n"), 400},
      {"cr_in_target", "GET /a\rb HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"target_not_origin_form", "GET foo HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"missing_host_http11", "GET / HTTP/1.1\r\nX-A: b\r\n\r\n", 400},
      {"two_hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
      {"connect_method", "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", 405},
      {"invalid_chunk_size",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
       400, true},
      {"chunk_size_overflow",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
       "chunked\r\n\r\nfffffffffffffffffff\r\nhello\r\n0\r\n\r\n",
       400, true},
      {"chunk_data_no_crlf",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloX0\r\n\r\n" +
           smuggle,
       400, true},
      {"chunk_negative",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n",
       400, true},
      {"chunk_ext_bad",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
       "chunked\r\n\r\n5;\x01\r\nhello\r\n0\r\n\r\n",
       400, true},
      {"te_in_http10",
       "POST / HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggle, 400},
      {"header_block_too_large", big_header, 431},
      {"too_many_headers", many_headers, 431},
      {"request_line_too_long", long_target, 431},
      {"header_name_too_long", long_name, 431},
      {"bare_cr_line_end", "GET / HTTP/1.1\rHost: a\r\r", 400},
      {"connection_names_content_length",
       "GET /public HTTP/1.1\r\nHost: a\r\nConnection: Content-Length\r\nContent-Length: " +
           std::to_string(smuggle.size()) + "\r\n\r\n" + smuggle,
       400},
      {"second_connection_names_content_length",
       "GET /public HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\nConnection: x-a, "
       "content-length\r\nContent-Length: " +
           std::to_string(smuggle.size()) + "\r\n\r\n" + smuggle,
       400},
      {"connection_names_transfer_encoding",
       "POST / HTTP/1.1\r\nHost: a\r\nConnection: Transfer-Encoding\r\nTransfer-Encoding: "
       "chunked\r\n\r\n0\r\n\r\n" +
           smuggle,
       400},
      {"connection_names_host", "GET / HTTP/1.1\r\nHost: a\r\nConnection: close, Host\r\n\r\n",
       400},
      {"too_many_connection_headers",
       "GET / HTTP/1.1\r\nHost: a\r\n" +
           [] {
             std::string h;
             for (int i = 0; i < 9; ++i) h += "Connection: x-" + std::to_string(i) + "\r\n";
             return h;
           }() +
           "\r\n",
       400},
      {"chunk_data_two_bytes_instead_of_crlf",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n" +
           smuggle,
       400, true},
      {"bare_lf_line_ends", "GET / HTTP/1.1\nHost: a\n\n", 400},
      {"two_transfer_encodings",
       "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: "
       "chunked\r\n\r\n0\r\n\r\n" +
           smuggle,
       400},
  };
}

class HostileRequests : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = testing::PickFreePort();
    server_ = std::make_unique<GatewayServer>(testing::OneWorkerOptions(port_), nullptr);
    ASSERT_TRUE(server_->Start().ok());
    std::string yaml = R"(
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {ports: [{port: 80, targetPort: )" +
                       std::to_string(backend_.port()) + R"(}], selector: {app: web}}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: web}
spec: {address: 127.0.0.1, labels: {app: web}}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs}
spec:
  hosts: ["*"]
  gateways: [gw]
  http: [{route: [{destination: {host: web}}]}]
)";
    config::LoadResult loaded;
    config::LoadText(yaml, "t.yaml", {}, loaded);
    ASSERT_FALSE(loaded.diagnostics.has_errors()) << loaded.diagnostics.ToString();
    auto recompiled = router::Compiler::Compile(loaded.resources, {});
    ASSERT_TRUE(recompiled.ok());
    server_->Publish(recompiled->table, recompiled->ports);
    for (int i = 0; i < 100; ++i) {
      testing::Client c(port_, 200);
      if (c.connected() && c.Request("GET / HTTP/1.1\r\nHost: a\r\n\r\n").status == 200) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  void TearDown() override { server_->Stop(); }

  RecordingBackend backend_;
  uint16_t port_ = 0;
  std::unique_ptr<GatewayServer> server_;
};

TEST_F(HostileRequests, EachGetsItsStatusAClosedConnectionAndReachesNoBackend) {
  std::vector<Hostile> battery = Battery();
  ASSERT_GE(battery.size(), 40u);
  for (const Hostile& h : battery) {
    SCOPED_TRACE(h.name);
    backend_.Clear();
    testing::Client c(port_);
    ASSERT_TRUE(c.connected());
    c.Send(h.request);
    testing::Response r = c.Read();
    EXPECT_TRUE(r.ok) << "no complete response";
    EXPECT_EQ(r.status, h.status);
    EXPECT_TRUE(c.ClosedByPeer()) << "the connection must be closed";
    // A valid request after it: once the backend has answered that one and holds every byte
    // that reached it, whatever the hostile request let through is in received().
    testing::Client next(port_);
    ASSERT_EQ(next.Request("GET /next HTTP/1.1\r\nHost: a\r\n\r\n").status, 200);
    ASSERT_TRUE(backend_.Settle());
    std::string received = backend_.received();
    EXPECT_EQ(backend_.requests(), 1) << "the backend got a complete request besides the next one";
    EXPECT_EQ(received.find("/admin"), std::string::npos);
    if (!h.body_error) {
      EXPECT_EQ(received.rfind("GET /next HTTP/1.1\r\n", 0), 0u) << "the backend saw bytes";
    }
  }
}

TEST_F(HostileRequests, AValidRequestBeforeAnInvalidOneIsServedAndTheRestIsNot) {
  backend_.Clear();
  testing::Client c(port_);
  ASSERT_TRUE(
      c.Send("GET /first HTTP/1.1\r\nHost: a\r\n\r\n"
             "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
             "0\r\n\r\nGET /admin HTTP/1.1\r\nHost: a\r\n\r\n"));
  EXPECT_EQ(c.Read().status, 200);
  EXPECT_EQ(c.Read().status, 400);
  EXPECT_TRUE(c.ClosedByPeer());
  testing::Client next(port_);
  ASSERT_EQ(next.Request("GET /next HTTP/1.1\r\nHost: a\r\n\r\n").status, 200);
  ASSERT_TRUE(backend_.Settle());
  EXPECT_EQ(backend_.requests(), 2) << "/first and /next only";
  EXPECT_EQ(backend_.received().find("/admin"), std::string::npos);
}

}  // namespace
}  // namespace canaryd::proxy

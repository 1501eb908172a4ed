// A backend is as untrusted as a client: malformed and hostile responses, whole and in one-byte
// writes, from a scripted backend on loopback. A response whose head cannot be passed on gets a
// 502 and the client's connection stays usable; one that breaks after its head has gone out
// ends the client's connection (its framing is lost); nothing a backend sends beyond its
// response reaches the next request.
#include <gtest/gtest.h>

#include "config/loader.h"
#include "proxy/gateway_server.h"
#include "router/compiler.h"
#include "testing/net.h"
#include "testing/piece_backend.h"

namespace canaryd::proxy {
namespace {

using testing::Client;
using testing::PieceBackend;
using testing::Response;
using namespace std::string_literals;

struct HostileResponse {
  const char* name;
  std::string bytes;
  // 502: refused before anything reached the client. 0: the head went out and the body broke,
  // so the client sees an incomplete response and a closed connection.
  int status;
};

std::vector<HostileResponse> Battery() {
  return {
      {"connection_names_content_length",
       "HTTP/1.1 200 OK\r\nConnection: Content-Length\r\nContent-Length: 5\r\n\r\nhello", 502},
      {"second_connection_names_transfer_encoding",
       "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nConnection: transfer-encoding\r\n"
       "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
       502},
      {"two_content_lengths",
       "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 5\r\n\r\nhello", 502},
      {"content_length_and_chunked",
       "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 502},
      {"obs_fold", "HTTP/1.1 200 OK\r\nX-A: one\r\n two\r\nContent-Length: 2\r\n\r\nok", 502},
      {"nul_in_header_value", "HTTP/1.1 200 OK\r\nX-A: a\0b\r\nContent-Length: 2\r\n\r\nok"s, 502},
      {"space_before_colon", "HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok", 502},
      {"bad_status_code", "HTTP/1.1 2OO OK\r\nContent-Length: 2\r\n\r\nok", 502},
      {"bare_lf_line_ends", "HTTP/1.1 200 OK\nContent-Length: 2\n\nok", 502},
      {"head_too_large",
       "HTTP/1.1 200 OK\r\nX-Big: " + std::string(61 * 1024, 'a') +
           "\r\nContent-Length: 2\r\n\r\nok",
       502},
      {"chunk_data_without_crlf",
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n", 0},
      {"bad_chunk_size",
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", 0},
  };
}

class HostileResponses : public ::testing::Test {
 protected:
  void SetUp() override {
    backend_ = std::make_unique<PieceBackend>([this](const std::string& request) {
      PieceBackend::Reply r;
      unsigned index = 0, mode = 0;
      if (std::sscanf(request.c_str(), "GET /r/%u/%u ", &index, &mode) == 2 &&
          index < replies_.size()) {
        r.bytes = replies_[index];
        r.one_byte_per_write = mode == 1;
        r.pause = std::chrono::milliseconds(1);
        r.close_after = true;  // whatever the gateway makes of it, this connection is done
        return r;
      }
      r.bytes = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nfine";
      return r;
    });
    port_ = testing::PickFreePort();
    ProxyOptions o;
    o.workers = 1;
    o.listen_host = "127.0.0.1";
    o.port_map[80] = port_;
    server_ = std::make_unique<GatewayServer>(o, nullptr);
    ASSERT_TRUE(server_->Start().ok());
    std::string yaml = R"(
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {ports: [{port: 80, targetPort: )" +
                       std::to_string(backend_->port()) + R"(}], selector: {app: web}}
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
    auto compiled = router::Compiler::Compile(loaded.resources, {});
    ASSERT_TRUE(compiled.ok());
    server_->Publish(compiled->table, compiled->ports);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
      Client c(port_, 500);
      if (c.connected() && c.Request("GET / HTTP/1.1\r\nHost: a\r\n\r\n").body == "fine") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  void TearDown() override { server_->Stop(); }

  // The reply for "GET /r/<i>/<mode>"; set before the request.
  std::vector<std::string> replies_;
  std::unique_ptr<PieceBackend> backend_;
  uint16_t port_ = 0;
  std::unique_ptr<GatewayServer> server_;
};

TEST_F(HostileResponses, EachIsRefusedOrCutAndTheClientsNextRequestIsUnharmed) {
  std::vector<HostileResponse> battery = Battery();
  for (const HostileResponse& h : battery) replies_.push_back(h.bytes);
  for (size_t i = 0; i < battery.size(); ++i) {
    for (int mode : {0, 1}) {
      const HostileResponse& h = battery[i];
      if (mode == 1 && h.bytes.size() > 1024) continue;  // a millisecond a byte
      SCOPED_TRACE(std::string(h.name) + (mode == 1 ? ", one byte per write" : ", whole"));
      Client c(port_);
      ASSERT_TRUE(c.connected());
      Response r = c.Request("GET /r/" + std::to_string(i) + "/" + std::to_string(mode) +
                             " HTTP/1.1\r\nHost: a\r\n\r\n");
      if (h.status == 502) {
        ASSERT_TRUE(r.ok);
        EXPECT_EQ(r.status, 502);
        EXPECT_EQ(r.body, "upstream sent a malformed response\n");
        EXPECT_EQ(c.Request("GET / HTTP/1.1\r\nHost: a\r\n\r\n").body, "fine")
            << "the client's connection stays usable";
      } else {
        EXPECT_FALSE(r.ok) << "a response whose body broke cannot complete";
        EXPECT_TRUE(c.ClosedByPeer());
      }
      Client next(port_);
      EXPECT_EQ(next.Request("GET / HTTP/1.1\r\nHost: a\r\n\r\n").body, "fine");
    }
  }
}

TEST_F(HostileResponses, BytesBeyondAResponseNeverReachTheNextRequest) {
  // A backend that sends more than its Content-Length, the rest shaped like a response, and
  // keeps the connection open: the gateway must not pool that connection and read the extra
  // bytes as the answer to someone else's request.
  replies_.push_back(
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
      "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\npoisoned");
  Client c(port_);
  Response first = c.Request("GET /r/0/0 HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_TRUE(first.ok);
  EXPECT_EQ(first.body, "ok");
  for (int i = 0; i < 5; ++i) {
    Client other(port_);
    EXPECT_EQ(other.Request("GET / HTTP/1.1\r\nHost: a\r\n\r\n").body, "fine") << i;
    EXPECT_EQ(c.Request("GET / HTTP/1.1\r\nHost: a\r\n\r\n").body, "fine") << i;
  }
}

TEST_F(HostileResponses, TransferCodingsBesideChunkedReachTheClient) {
  // A close-delimited body with a coding: the gateway frames it as chunked for the client and
  // keeps the coding in front of it; an HTTP/1.0 client, which has no transfer codings, gets a
  // 502 rather than coded bytes labelled as plain.
  replies_.push_back("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nnot really gzip");
  replies_.push_back(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n");
  Client c(port_);
  Response close_delimited = c.Request("GET /r/0/0 HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_TRUE(close_delimited.ok);
  EXPECT_EQ(close_delimited.Header("transfer-encoding"), "gzip, chunked");
  EXPECT_EQ(close_delimited.body, "not really gzip");
  Client d(port_);
  Response chunked = d.Request("GET /r/1/1 HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_TRUE(chunked.ok);
  EXPECT_EQ(chunked.Header("transfer-encoding"), "gzip, chunked");
  EXPECT_EQ(chunked.body, "abcd");
  Client old(port_);
  Response http10 = old.Request("GET /r/1/0 HTTP/1.0\r\nHost: a\r\n\r\n");
  ASSERT_TRUE(http10.ok);
  EXPECT_EQ(http10.status, 502);
}

}  // namespace
}  // namespace canaryd::proxy

// Messages that arrive in pieces, on both sides of the gateway: every response a backend sends
// split at every byte (two writes, a pause between them) and in one-byte writes, and every
// request a client sends split the same way. What comes out must be exactly what went in. A
// response head split across two reads once reached the client mangled, and with other
// clients' bytes in it: these tests run a second client with a secret alongside and assert it
// never shows up where it does not belong.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

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

constexpr const char kSecret[] = "Bearer SECRET-of-another-client";

std::string Config(uint16_t backend_port,
                   const std::string& route = "{route: [{destination: {host: web}}]}") {
  return R"(
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {ports: [{name: http, port: 80}], selector: {app: web}}
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
  http: [)" +
         route + R"(]
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: backend}
spec: {address: 127.0.0.1, ports: {http: )" +
         std::to_string(backend_port) + R"(}, labels: {app: web}}
)";
}

// A response a backend sends, and what the client must receive for it.
struct ResponseCase {
  const char* name;
  std::string sent;
  std::string head_received;  // the head the gateway writes (it re-frames chunked bodies)
  std::string body_received;  // de-chunked
};

std::vector<ResponseCase> ResponseCases() {
  return {
      {"content-length", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Foo: bar\r\n\r\nok",
       "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Foo: bar\r\n\r\n", "ok"},
      {"long status line",
       "HTTP/1.1 200 A-Reason-Phrase-Long-Enough-To-Span-Many-Split-Points\r\n"
       "Content-Length: 5\r\nX-A: 1\r\nX-Bbbbbbbbbbbbbbbbbbb: 22222222222222222222222\r\n\r\nhello",
       "HTTP/1.1 200 A-Reason-Phrase-Long-Enough-To-Span-Many-Split-Points\r\n"
       "Content-Length: 5\r\nX-A: 1\r\nX-Bbbbbbbbbbbbbbbbbbb: 22222222222222222222222\r\n\r\n",
       "hello"},
      {"chunked",
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Foo: bar\r\n\r\n"
       "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
       "HTTP/1.1 200 OK\r\nX-Foo: bar\r\ntransfer-encoding: chunked\r\n\r\n", "hello world"},
      {"chunked with trailers",  // the trailer fields are dropped
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Foo: bar\r\n\r\n"
       "5\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: 1\r\nX-Secret: trailer\r\n\r\n",
       "HTTP/1.1 200 OK\r\nX-Foo: bar\r\ntransfer-encoding: chunked\r\n\r\n", "hello world"},
      {"interim then final",
       "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
       "HTTP/1.1 201 Created\r\nContent-Length: 3\r\nLocation: /x\r\n\r\nnew",
       "HTTP/1.1 201 Created\r\nContent-Length: 3\r\nLocation: /x\r\n\r\n", "new"},
  };
}

class SplitMessagesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    backend_ = std::make_unique<PieceBackend>(
        [this](const std::string& request) { return ReplyTo(request); });
    gateway_port_ = testing::PickFreePort();
    ProxyOptions o;
    o.workers = 1;  // the noise client and the test's client share the worker's buffers
    o.listen_host = "127.0.0.1";
    o.port_map[80] = gateway_port_;
    server_ = std::make_unique<GatewayServer>(o, nullptr);
    ASSERT_TRUE(server_->Start().ok());
    Publish(Config(backend_->port()), 1);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
      Client c(gateway_port_, 1000);
      if (c.connected() && c.Request("GET /plain HTTP/1.1\r\nHost: web\r\n\r\n").status == 200) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    backend_->Clear();
  }
  void TearDown() override {
    StopNoise();
    server_->Stop();
  }

  void Publish(const std::string& yaml, uint64_t generation) {
    config::LoadResult loaded;
    config::LoadText(yaml, "test.yaml", {}, loaded);
    ASSERT_FALSE(loaded.diagnostics.has_errors()) << loaded.diagnostics.ToString();
    router::CompileOptions co;
    co.generation = generation;
    auto compiled = router::Compiler::Compile(loaded.resources, co);
    ASSERT_TRUE(compiled.ok());
    server_->Publish(compiled->table, compiled->ports);
  }

  // "GET /case/<i>/<cut>": response case i cut at byte <cut>; <cut> 0 is one byte per write.
  // Anything else gets a plain "ok" in one write.
  PieceBackend::Reply ReplyTo(const std::string& request) {
    PieceBackend::Reply r;
    unsigned index = 0;
    size_t cut = 0;
    if (std::sscanf(request.c_str(), "GET /case/%u/%zu ", &index, &cut) == 2 &&
        index < cases_.size()) {
      r.bytes = cases_[index].sent;
      if (cut == 0) {
        r.one_byte_per_write = true;
        r.pause = std::chrono::milliseconds(2);
      } else {
        r.cuts = {cut};
      }
      return r;
    }
    // A retry route's first attempt at /retry fails, so that the request is sent again.
    if (request.rfind("POST /retry ", 0) == 0 &&
        request.find("\r\nx-envoy-attempt-count: 1\r\n") != std::string::npos) {
      r.bytes = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n";
      return r;
    }
    r.bytes = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    return r;
  }

  // Another client on the same worker, sending a secret in every request and getting "ok".
  void StartNoise() {
    noise_ = std::thread([this] {
      Client c(gateway_port_);
      std::string request =
          "GET /noise HTTP/1.1\r\nHost: web\r\nAuthorization: " + std::string(kSecret) + "\r\n\r\n";
      while (!stop_noise_) {
        Response r = c.Request(request);
        if (!r.ok || r.body != "ok") noise_failures_++;
      }
    });
  }
  void StopNoise() {
    stop_noise_ = true;
    if (noise_.joinable()) noise_.join();
  }

  std::vector<ResponseCase> cases_ = ResponseCases();
  std::unique_ptr<PieceBackend> backend_;
  uint16_t gateway_port_ = 0;
  std::unique_ptr<GatewayServer> server_;
  std::thread noise_;
  std::atomic<bool> stop_noise_{false};
  std::atomic<int> noise_failures_{0};
};

TEST_F(SplitMessagesTest, AResponseSplitAtEveryByteReachesTheClientIntact) {
  StartNoise();
  Client c(gateway_port_);
  for (size_t i = 0; i < cases_.size(); ++i) {
    const ResponseCase& rc = cases_[i];
    for (size_t cut = 1; cut < rc.sent.size(); ++cut) {
      std::string path = "/case/" + std::to_string(i) + "/" + std::to_string(cut);
      Response r = c.Request("GET " + path + " HTTP/1.1\r\nHost: web\r\n\r\n");
      ASSERT_TRUE(r.ok) << rc.name << ", cut at " << cut;
      ASSERT_EQ(r.head, rc.head_received) << rc.name << ", cut at " << cut;
      ASSERT_EQ(r.body, rc.body_received) << rc.name << ", cut at " << cut;
    }
  }
  StopNoise();
  EXPECT_EQ(noise_failures_, 0) << "the other client's responses are intact too";
}

TEST_F(SplitMessagesTest, AResponseInOneByteWritesReachesTheClientIntact) {
  StartNoise();
  Client c(gateway_port_);
  for (size_t i = 0; i < cases_.size(); ++i) {
    Response r = c.Request("GET /case/" + std::to_string(i) + "/0 HTTP/1.1\r\nHost: web\r\n\r\n");
    ASSERT_TRUE(r.ok) << cases_[i].name;
    EXPECT_EQ(r.head, cases_[i].head_received) << cases_[i].name;
    EXPECT_EQ(r.body, cases_[i].body_received) << cases_[i].name;
  }
  StopNoise();
  EXPECT_EQ(noise_failures_, 0);
}

// The request as the backend received it, without the generated x-request-id (random) and with
// the body de-chunked (the gateway re-frames chunked bodies as the pieces arrive).
struct Received {
  std::string head;
  std::string body;
};

Received Parse(const std::string& raw) {
  Received out;
  http::Parser p(http::Parser::Kind::kRequest);
  p.Reset();
  size_t parsed = 0;
  while (parsed < raw.size() || p.completion_pending()) {
    size_t used = 0;
    auto s = p.Feed(raw.data(), raw.data() + parsed, raw.size() - parsed, &used);
    for (const auto& piece : p.body()) out.body.append(piece.data, piece.length);
    parsed += used;
    if (s == http::Parser::State::kHeadComplete) {
      out.head = raw.substr(0, parsed);
      p.Resume();
      continue;
    }
    if (s != http::Parser::State::kNeedMore || used == 0) break;
  }
  for (const char* varying : {"x-request-id: ", "x-envoy-attempt-count: "}) {
    size_t at = out.head.find(varying);
    if (at != std::string::npos) out.head.erase(at, out.head.find("\r\n", at) + 2 - at);
  }
  return out;
}

struct RequestCase {
  const char* name;
  std::string sent;
  std::vector<Received> received;  // what the backend gets, request by request
};

std::vector<RequestCase> RequestCases() {
  const std::string fwd = "x-forwarded-for: 127.0.0.1\r\nx-forwarded-proto: http\r\n";
  return {
      {"headers",
       "GET /headers HTTP/1.1\r\nHost: web\r\nX-Long-Header: 0123456789abcdefghijklmnop\r\n"
       "Authorization: Bearer mine\r\n\r\n",
       {{"GET /headers HTTP/1.1\r\nHost: web\r\nX-Long-Header: 0123456789abcdefghijklmnop\r\n"
         "Authorization: Bearer mine\r\n" +
             fwd + "\r\n",
         ""}}},
      {"content-length body",
       "POST /upload HTTP/1.1\r\nHost: web\r\nContent-Length: 11\r\nX-A: b\r\n\r\nhello world",
       {{"POST /upload HTTP/1.1\r\nHost: web\r\nContent-Length: 11\r\nX-A: b\r\n" + fwd + "\r\n",
         "hello world"}}},
      {"chunked body",
       "POST /upload HTTP/1.1\r\nHost: web\r\nTransfer-Encoding: chunked\r\nX-A: b\r\n\r\n"
       "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n",
       {{"POST /upload HTTP/1.1\r\nHost: web\r\nX-A: b\r\n" + fwd +
             "transfer-encoding: chunked\r\n\r\n",
         "hello world"}}},
      {"two pipelined",
       "GET /one HTTP/1.1\r\nHost: web\r\nX-N: 1\r\n\r\nGET /two HTTP/1.1\r\nHost: web\r\n"
       "X-N: 2\r\n\r\n",
       {{"GET /one HTTP/1.1\r\nHost: web\r\nX-N: 1\r\n" + fwd + "\r\n", ""},
        {"GET /two HTTP/1.1\r\nHost: web\r\nX-N: 2\r\n" + fwd + "\r\n", ""}}},
  };
}

// Sends `pieces` with a pause between them.
void SendInPieces(Client& c, const std::vector<std::string>& pieces,
                  std::chrono::milliseconds pause) {
  for (size_t i = 0; i < pieces.size(); ++i) {
    if (i > 0) std::this_thread::sleep_for(pause);
    ASSERT_TRUE(c.Send(pieces[i]));
  }
}

// Checks what the backend received, leaving out the noise client's requests.
void ExpectReceived(PieceBackend& backend, const RequestCase& rc, const std::string& where) {
  std::vector<std::string> got;
  for (std::string& r : backend.requests()) {
    if (r.rfind("GET /noise ", 0) != 0) got.push_back(std::move(r));
  }
  ASSERT_EQ(got.size(), rc.received.size()) << rc.name << ", " << where;
  for (size_t k = 0; k < got.size(); ++k) {
    Received r = Parse(got[k]);
    EXPECT_EQ(r.head, rc.received[k].head) << rc.name << ", " << where << ", request " << k;
    EXPECT_EQ(r.body, rc.received[k].body) << rc.name << ", " << where << ", request " << k;
  }
  backend.Clear();
}

TEST_F(SplitMessagesTest, ARequestSplitAtEveryByteReachesTheBackendIntact) {
  StartNoise();
  for (const RequestCase& rc : RequestCases()) {
    // Odd cuts on one kept-alive connection (the head follows a finished request in the
    // buffer), even cuts each on a new connection (the head starts a fresh buffer).
    Client kept(gateway_port_);
    for (size_t cut = 1; cut < rc.sent.size(); ++cut) {
      std::unique_ptr<Client> fresh;
      Client* c = &kept;
      if (cut % 2 == 0) {
        fresh = std::make_unique<Client>(gateway_port_);
        c = fresh.get();
      }
      SendInPieces(*c, {rc.sent.substr(0, cut), rc.sent.substr(cut)},
                   std::chrono::milliseconds(15));
      for (size_t k = 0; k < rc.received.size(); ++k) {
        Response r = c->Read();
        ASSERT_TRUE(r.ok) << rc.name << ", cut at " << cut << ", response " << k;
        ASSERT_EQ(r.body, "ok") << rc.name << ", cut at " << cut;
      }
      ExpectReceived(*backend_, rc, "cut at " + std::to_string(cut));
      if (::testing::Test::HasFailure()) return;
    }
  }
  StopNoise();
  EXPECT_EQ(noise_failures_, 0);
}

TEST_F(SplitMessagesTest, ARequestInOneByteWritesReachesTheBackendIntact) {
  StartNoise();
  for (const RequestCase& rc : RequestCases()) {
    Client c(gateway_port_);
    std::vector<std::string> bytes;
    for (char ch : rc.sent) bytes.emplace_back(1, ch);
    SendInPieces(c, bytes, std::chrono::milliseconds(1));
    for (size_t k = 0; k < rc.received.size(); ++k) {
      Response r = c.Read();
      ASSERT_TRUE(r.ok) << rc.name << ", response " << k;
      EXPECT_EQ(r.body, "ok") << rc.name;
    }
    ExpectReceived(*backend_, rc, "one byte per write");
  }
  StopNoise();
  EXPECT_EQ(noise_failures_, 0);
}

// A request the route retries is sent again from its head and the body kept for the retry: both
// attempts must carry the whole request, however the client's writes split it (the head apart
// from its body, the body mid-chunk).
TEST_F(SplitMessagesTest, ARetriedRequestSplitAtEveryByteIsSentWholeBothTimes) {
  Publish(Config(backend_->port(),
                 "{route: [{destination: {host: web}}], retries: {attempts: 1, retryOn: 5xx}}"),
          2);
  for (int i = 0; i < 100; ++i) {  // the new table reaches the worker
    Client c(gateway_port_, 1000);
    std::string probe =
        c.Request("POST /retry HTTP/1.1\r\nHost: web\r\nContent-Length: 0\r\n\r\n").head;
    if (probe.find(" 200 ") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  backend_->Clear();
  StartNoise();
  for (RequestCase rc : RequestCases()) {
    if (rc.sent.rfind("POST /upload ", 0) != 0) continue;  // the cases with a body
    rc.sent.replace(0, 12, "POST /retry");
    std::string head = rc.received[0].head;
    head.replace(0, 12, "POST /retry");
    rc.received = {{head, rc.received[0].body}, {head, rc.received[0].body}};
    for (size_t cut = 1; cut < rc.sent.size(); ++cut) {
      Client c(gateway_port_);
      SendInPieces(c, {rc.sent.substr(0, cut), rc.sent.substr(cut)}, std::chrono::milliseconds(5));
      Response r = c.Read();
      ASSERT_EQ(r.status, 200) << rc.name << ", cut at " << cut;
      ExpectReceived(*backend_, rc, "retried, cut at " + std::to_string(cut));
      if (::testing::Test::HasFailure()) return;
    }
  }
  StopNoise();
  EXPECT_EQ(noise_failures_, 0);
}

}  // namespace
}  // namespace canaryd::proxy

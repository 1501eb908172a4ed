// VirtualService mirroring through a real gateway: every request (or a share) is copied to the
// mirror's endpoint with "-shadow" after its Host, body and all, once it is complete; the copy
// never holds up or fails the original, even when the mirror never answers or is down; copies
// are counted apart from the traffic.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "demoapp/demo_app.h"
#include "proxy/gateway_server.h"
#include "testing/gateway_test_support.h"
#include "testing/net.h"
#include "testing/piece_backend.h"
#include "testing/publish_yaml.h"

namespace canaryd::proxy {
namespace {

using testing::Client;
using testing::Response;

std::string MirrorYaml(uint16_t web_port, uint16_t shadow_port, const std::string& mirror) {
  return R"(
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
---
apiVersion: v1
kind: Service
metadata: {name: shadow}
spec: {ports: [{name: http, port: 80}], selector: {app: shadow}}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: web}
spec: {address: 127.0.0.1, ports: {http: )" +
         std::to_string(web_port) + R"(}, labels: {app: web}}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: shadow}
spec: {address: 127.0.0.1, ports: {http: )" +
         std::to_string(shadow_port) + R"(}, labels: {app: shadow}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs}
spec:
  hosts: ["*"]
  gateways: [gw]
  http:
  - route: [{destination: {host: web}}]
)" + mirror;
}

class MirrorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    demoapp::Options d;
    d.port = 0;
    web_ = std::make_unique<demoapp::DemoApp>(d);
    ASSERT_TRUE(web_->Start().ok());
    // The mirror holds every copy without answering until the test lets go (bounded).
    shadow_ = std::make_unique<testing::PieceBackend>([this](const std::string&) {
      for (int i = 0; i < 500 && !release_; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      return testing::PieceBackend::Reply{
          "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n"};
    });
    gateway_port_ = testing::PickFreePort();
    server_ = std::make_unique<GatewayServer>(testing::OneWorkerOptions(gateway_port_, 7), nullptr);
    ASSERT_TRUE(server_->Start().ok());
  }
  void TearDown() override {
    release_ = true;
    server_->Stop();
    shadow_.reset();
    web_->Stop();
  }

  WorkerCounters Counters() { return server_->ReadCounters().at(0); }

  // Waits (bounded) until the mirror has `n` requests.
  std::vector<std::string> MirroredWhenThereAre(size_t n) {
    for (int i = 0; i < 300 && shadow_->requests().size() < n; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return shadow_->requests();
  }

  std::unique_ptr<demoapp::DemoApp> web_;
  std::unique_ptr<testing::PieceBackend> shadow_;
  std::atomic<bool> release_{false};
  std::unique_ptr<GatewayServer> server_;
  uint16_t gateway_port_ = 0;
};

TEST_F(MirrorTest, EveryRequestIsCopiedWithItsBodyAndAShadowHostWithoutWaitingForTheMirror) {
  ASSERT_TRUE(testing::PublishYaml(
      *server_, MirrorYaml(web_->port(), shadow_->port(), "    mirror: {host: shadow}\n"), 1));
  for (int i = 0; i < 6; ++i) {
    Client c(gateway_port_);
    std::string body = "payload-" + std::to_string(i);
    Response r = c.Request("POST /orders HTTP/1.1\r\nHost: shop.example:8080\r\ncontent-length: " +
                           std::to_string(body.size()) + "\r\n\r\n" + body);
    // The mirror has not answered any copy: the original does not wait for it.
    ASSERT_EQ(r.status, 200) << r.head;
  }
  Client chunked(gateway_port_);
  Response r = chunked.Request(
      "POST /chunked HTTP/1.1\r\nHost: shop.example\r\ntransfer-encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  ASSERT_EQ(r.status, 200);
  std::vector<std::string> copies = MirroredWhenThereAre(7);
  ASSERT_EQ(copies.size(), 7u);
  int seen_bodies = 0;
  for (const std::string& copy : copies) {
    if (copy.rfind("POST /orders ", 0) == 0) {
      EXPECT_NE(copy.find("\r\nhost: shop.example-shadow:8080\r\n"), std::string::npos) << copy;
      size_t at = copy.find("\r\n\r\npayload-");
      EXPECT_NE(at, std::string::npos) << copy;
      seen_bodies += at != std::string::npos;
    } else {
      EXPECT_EQ(copy.rfind("POST /chunked ", 0), 0u) << copy;
      EXPECT_NE(copy.find("\r\nhost: shop.example-shadow\r\n"), std::string::npos) << copy;
      EXPECT_NE(copy.find("3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"), std::string::npos) << copy;
    }
  }
  EXPECT_EQ(seen_bodies, 6);
  WorkerCounters c = Counters();
  EXPECT_EQ(c.mirror_total, 7u);
  EXPECT_EQ(c.requests_total, 7u) << "copies are not counted as requests";
  // The mirror's 503s, once it answers, are counted as failed copies; the originals had 200.
  release_ = true;
  for (int i = 0; i < 300 && Counters().mirror_failed < 7; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(Counters().mirror_failed, 7u);
}

// A mirror's copy is written from the request's head once the request is complete, so after
// any trailer. Trailer fields once joined that head with offsets into other memory; the copy's
// head must be the request's own, wherever the client's writes split the trailer.
TEST_F(MirrorTest, TheTrailersOfAChunkedRequestStayOutOfTheCopysHead) {
  release_ = true;
  ASSERT_TRUE(testing::PublishYaml(
      *server_, MirrorYaml(web_->port(), shadow_->port(), "    mirror: {host: shadow}\n"), 1));
  const std::string head =
      "POST /t HTTP/1.1\r\nHost: shop\r\ntransfer-encoding: chunked\r\nx-tag: kept\r\n\r\n";
  const std::string body = "4\r\nbody\r\n0\r\nx-checksum: 99\r\nx-more: trailer\r\n\r\n";
  size_t sent = 0;
  for (size_t cut = 0; cut < body.size(); cut += 5) {
    Client c(gateway_port_);
    ASSERT_TRUE(c.Send(head + body.substr(0, cut)));
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    ASSERT_TRUE(c.Send(body.substr(cut)));
    ASSERT_EQ(c.Read().status, 200) << "cut at " << cut;
    ++sent;
  }
  std::vector<std::string> copies = MirroredWhenThereAre(sent);
  ASSERT_EQ(copies.size(), sent);
  for (const std::string& copy : copies) {
    std::string copy_head = copy.substr(0, copy.find("\r\n\r\n") + 4);
    EXPECT_EQ(copy_head.find("x-checksum"), std::string::npos) << copy;
    EXPECT_EQ(copy_head.find("x-more"), std::string::npos) << copy;
    EXPECT_NE(copy_head.find("\r\nx-tag: kept\r\n"), std::string::npos) << copy;
    // The body, re-chunked as it arrived, then the last chunk without the trailer.
    std::string decoded;
    size_t at = copy_head.size();
    for (size_t size = 1; size > 0 && at < copy.size();) {
      size_t line_end = copy.find("\r\n", at);
      ASSERT_NE(line_end, std::string::npos) << copy;
      size = std::stoul(copy.substr(at, line_end - at), nullptr, 16);
      decoded += copy.substr(line_end + 2, size);
      at = line_end + 2 + size + 2;
    }
    EXPECT_EQ(decoded, "body") << copy;
    EXPECT_EQ(at, copy.size()) << copy;
  }
}

TEST_F(MirrorTest, APercentageCopiesAShareAndADownMirrorFailsNothing) {
  release_ = true;
  ASSERT_TRUE(testing::PublishYaml(*server_,
                                   MirrorYaml(web_->port(), shadow_->port(),
                                              "    mirrors:\n    - destination: {host: shadow}\n"
                                              "      percentage: {value: 25}\n"),
                                   1));
  const int kRequests = 200;
  for (int i = 0; i < kRequests; ++i) {
    Client c(gateway_port_);
    ASSERT_EQ(c.Request("GET / HTTP/1.1\r\nHost: h\r\n\r\n").status, 200);
  }
  WorkerCounters c = Counters();
  EXPECT_GT(c.mirror_total, 25u);
  EXPECT_LT(c.mirror_total, 80u) << "about a quarter of 200";
  EXPECT_EQ(MirroredWhenThereAre(c.mirror_total).size(), c.mirror_total);

  // A mirror with nothing listening: every original still succeeds.
  uint16_t closed = testing::PickFreePort();
  ASSERT_TRUE(testing::PublishYaml(
      *server_, MirrorYaml(web_->port(), closed, "    mirror: {host: shadow}\n"), 2));
  for (int i = 0; i < 10; ++i) {
    Client cl(gateway_port_);
    ASSERT_EQ(cl.Request("GET / HTTP/1.1\r\nHost: h\r\n\r\n").status, 200);
  }
  for (int i = 0; i < 300 && Counters().mirror_failed < c.mirror_failed + 10; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_GE(Counters().mirror_failed, c.mirror_failed + 10);
}

}  // namespace
}  // namespace canaryd::proxy

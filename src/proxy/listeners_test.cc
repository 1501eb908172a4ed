// Gateway ports that cannot be bound: held by another process, or by a second gateway that
// would share them through SO_REUSEPORT. Publish() must report them down with the error, bind
// nothing beside the holder, and bind them at a later publish once they are free.
#include <gtest/gtest.h>

#include "config/loader.h"
#include "proxy/gateway_server.h"
#include "router/compiler.h"
#include "testing/net.h"

namespace canaryd::proxy {
namespace {

// A listening socket on 127.0.0.1:port, optionally with SO_REUSEPORT (as another canaryd's
// workers hold theirs).
class PortHolder {
 public:
  PortHolder(uint16_t port, bool reuse_port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (reuse_port) setsockopt(fd_, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok_ = bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && listen(fd_, 16) == 0;
  }
  ~PortHolder() { Release(); }
  bool ok() const { return ok_; }
  void Release() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
  bool ok_ = false;
};

std::shared_ptr<const router::RouteTable> Table(std::vector<uint32_t>* ports) {
  config::LoadResult loaded;
  config::LoadText(R"(
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
  http: [{directResponse: {status: 200, body: {string: "served"}}}]
)",
                   "t.yaml", {}, loaded);
  EXPECT_FALSE(loaded.diagnostics.has_errors()) << loaded.diagnostics.ToString();
  auto compiled = router::Compiler::Compile(loaded.resources, {});
  EXPECT_TRUE(compiled.ok());
  *ports = compiled->ports;
  return compiled->table;
}

class ListenersTest : public ::testing::Test {
 protected:
  void StartServer(int workers) {
    port_ = testing::PickFreePort();
    ProxyOptions o;
    o.workers = workers;
    o.listen_host = "127.0.0.1";
    o.port_map[80] = port_;
    server_ = std::make_unique<GatewayServer>(o, nullptr);
    ASSERT_TRUE(server_->Start().ok());
    table_ = Table(&ports_);
    ASSERT_EQ(ports_, std::vector<uint32_t>{80});
  }
  bool Serves() {
    testing::Client c(port_, 1000);
    return c.connected() && c.Request("GET / HTTP/1.1\r\nHost: a\r\n\r\n").body == "served";
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }

  uint16_t port_ = 0;
  std::unique_ptr<GatewayServer> server_;
  std::shared_ptr<const router::RouteTable> table_;
  std::vector<uint32_t> ports_;
};

TEST_F(ListenersTest, APortHeldByAnotherProcessIsReportedDownAndBoundOnceFree) {
  StartServer(2);
  PortHolder holder(port_, /*reuse_port=*/false);
  ASSERT_TRUE(holder.ok());
  std::vector<ListenerState> st = server_->Publish(table_, ports_);
  ASSERT_EQ(st.size(), 1u);
  EXPECT_FALSE(st[0].up);
  EXPECT_EQ(st[0].gateway_port, 80u);
  EXPECT_EQ(st[0].address, "127.0.0.1:" + std::to_string(port_));
  EXPECT_NE(st[0].error.find("Address already in use"), std::string::npos) << st[0].error;
  EXPECT_EQ(server_->bind_failures(), 1u);
  holder.Release();
  st = server_->Publish(table_, ports_);
  ASSERT_EQ(st.size(), 1u);
  EXPECT_TRUE(st[0].up) << st[0].error;
  EXPECT_TRUE(server_->listeners()[0].up);
  EXPECT_TRUE(Serves());
}

TEST_F(ListenersTest, APortASecondGatewayHoldsWithReusePortIsNotShared) {
  // Without the probe, the workers' SO_REUSEPORT binds would succeed beside the other
  // gateway's and take a share of its connections.
  StartServer(1);
  PortHolder other_gateway(port_, /*reuse_port=*/true);
  ASSERT_TRUE(other_gateway.ok());
  std::vector<ListenerState> st = server_->Publish(table_, ports_);
  ASSERT_EQ(st.size(), 1u);
  EXPECT_FALSE(st[0].up);
  EXPECT_NE(st[0].error.find("another process holds it"), std::string::npos) << st[0].error;
}

TEST_F(ListenersTest, APortDroppedAndAddedAgainIsBoundAgain) {
  // The probe must not mistake the gateway's own listeners, still closing, for another holder.
  StartServer(2);
  ASSERT_TRUE(server_->Publish(table_, ports_)[0].up);
  for (int i = 0; i < 20; ++i) {
    EXPECT_TRUE(server_->Publish(table_, {}).empty());
    std::vector<ListenerState> st = server_->Publish(table_, ports_);
    ASSERT_EQ(st.size(), 1u);
    ASSERT_TRUE(st[0].up) << i << ": " << st[0].error;
  }
  EXPECT_TRUE(Serves());
  EXPECT_EQ(server_->bind_failures(), 0u);
}

}  // namespace
}  // namespace canaryd::proxy

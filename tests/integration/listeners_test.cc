// The canaryd binary and Gateway ports it cannot bind: at start-up it refuses to run (unless
// told otherwise), a second canaryd never shares a first one's port through SO_REUSEPORT, and
// while a port is down /readyz, /stats/config and the metrics say so.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "integration/canaryd_instance.h"
#include "integration/harness.h"
#include "testing/net.h"
#include "testing/paths.h"

namespace canaryd::testing {
namespace {

// Another program listening on 127.0.0.1:port.
class PortHolder {
 public:
  explicit PortHolder(uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);  // not inherited by canaryd
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
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

std::string Walkthrough() {
  return (SourceDir() / "examples" / "walkthrough").string();
}

TEST(Listeners, CanarydRefusesToStartWhenAGatewayPortIsTaken) {
  uint16_t port = FreePort();
  PortHolder holder(port);
  ASSERT_TRUE(holder.ok());
  CanarydOptions o;
  o.gateway_port = port;
  o.extra_args = {"-f", Walkthrough()};
  CanarydInstance canaryd(o);
  std::string error;
  EXPECT_FALSE(canaryd.Start(&error));
  EXPECT_EQ(canaryd.process()->Wait(10s), 1);
  std::string log = canaryd.Log();
  EXPECT_NE(log.find("gateway port 80: cannot listen on 127.0.0.1:" + std::to_string(port)),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("refusing to start"), std::string::npos) << log;
}

TEST(Listeners, ASecondCanarydWithTheSamePortMapRefusesToStart) {
  CanarydOptions o;
  o.extra_args = {"-f", Walkthrough()};
  CanarydInstance first(o);
  std::string error;
  ASSERT_TRUE(first.Start(&error)) << error;
  o.gateway_port = first.gateway_port();
  CanarydInstance second(o);
  EXPECT_FALSE(second.Start(&error));
  EXPECT_EQ(second.process()->Wait(10s), 1);
  EXPECT_NE(second.Log().find("another process holds it"), std::string::npos) << second.Log();
  EXPECT_EQ(Http(first.port(), "GET", "/readyz").status, 200) << "the first one is unharmed";
}

TEST(Listeners, WhileAPortIsDownReadinessConfigAndMetricsSaySoUntilItIsBound) {
  uint16_t port = FreePort();
  PortHolder holder(port);
  ASSERT_TRUE(holder.ok());
  CanarydOptions o;
  o.gateway_port = port;
  o.extra_args = {"-f", Walkthrough(), "--allow-unbound-ports"};
  CanarydInstance canaryd(o);
  std::string error;
  ASSERT_TRUE(canaryd.Start(&error)) << error;

  HttpReply ready = Http(canaryd.port(), "GET", "/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_NE(ready.body.find("gateway port 80 is not listening"), std::string::npos) << ready.body;
  nlohmann::json config = nlohmann::json::parse(Http(canaryd.port(), "GET", "/stats/config").body);
  ASSERT_EQ(config["listeners"].size(), 1u) << config.dump();
  EXPECT_EQ(config["listeners"][0]["gatewayPort"], 80);
  EXPECT_EQ(config["listeners"][0]["up"], false);
  EXPECT_NE(config["listeners"][0]["error"].get<std::string>().find("in use"), std::string::npos);
  std::string metrics = Http(canaryd.port(), "GET", "/stats/prometheus").body;
  std::string up_series =
      "canaryd_listener_up{gateway_port=\"80\",address=\"127.0.0.1:" + std::to_string(port) + "\"}";
  EXPECT_NE(metrics.find(up_series + " 0\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("canaryd_listener_bind_failures_total 1\n"), std::string::npos);

  // Freed, the port is bound at the next configuration change.
  holder.Release();
  WriteFile(canaryd.dir().File("vs.yaml"), R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: extra}
spec:
  hosts: [extra.example.com]
  gateways: [web-gateway]
  http: [{directResponse: {status: 204}}]
)");
  CommandResult applied = canaryd.Canaryctl({"apply", "-f", canaryd.dir().File("vs.yaml")});
  ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (Http(canaryd.port(), "GET", "/readyz").status != 200 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(Http(canaryd.port(), "GET", "/readyz").status, 200);
  Client client(port);
  EXPECT_EQ(client.Request("GET / HTTP/1.1\r\nHost: extra.example.com\r\n\r\n").status, 204);
  EXPECT_NE(Http(canaryd.port(), "GET", "/stats/prometheus").body.find(up_series + " 1\n"),
            std::string::npos);
  EXPECT_NE(canaryd.Log().find("gateway port 80: listening on 127.0.0.1:" + std::to_string(port)),
            std::string::npos)
      << canaryd.Log();
}

}  // namespace
}  // namespace canaryd::testing

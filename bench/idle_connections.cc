// idle_connections: the memory canaryd needs to hold many idle kept-alive client connections.
// Opens N connections to the gateway, makes one request on each (so each is a kept-alive
// connection that has served), leaves them idle, and reads canaryd's resident memory.
//
// Usage: idle_connections GATEWAY_PORT CANARYD_PID [N=10000]
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "testing/net.h"

namespace {
long RssKiB(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s GATEWAY_PORT CANARYD_PID [N]\n", argv[0]);
    return 2;
  }
  uint16_t port = static_cast<uint16_t>(std::atoi(argv[1]));
  int pid = std::atoi(argv[2]);
  int n = argc > 3 ? std::atoi(argv[3]) : 10000;
  rlimit lim;
  getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = lim.rlim_max;
  setrlimit(RLIMIT_NOFILE, &lim);

  long before = RssKiB(pid);
  std::vector<std::unique_ptr<canaryd::testing::Client>> clients;
  for (int i = 0; i < n; ++i) {
    auto c = std::make_unique<canaryd::testing::Client>(port, 5000);
    if (!c->connected()) {
      std::fprintf(stderr, "connection %d failed\n", i);
      return 1;
    }
    canaryd::testing::Response r = c->Request("GET / HTTP/1.1\r\nHost: web\r\n\r\n");
    if (!r.ok || r.status != 200) {
      std::fprintf(stderr, "request on connection %d failed (%d)\n", i, r.status);
      return 1;
    }
    clients.push_back(std::move(c));
  }
  long after = RssKiB(pid);
  std::printf(
      "canaryd RSS: %ld KiB before, %ld KiB with %d idle kept-alive connections "
      "(%.0f bytes per connection)\n",
      before, after, n, 1024.0 * static_cast<double>(after - before) / n);
  return 0;
}

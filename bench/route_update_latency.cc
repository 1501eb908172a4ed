// route_update_latency: the time from an API write of new weights to the first request that
// follows them, with many VirtualServices stored (each write makes canaryd recompile and
// publish a route table). It flips the walkthrough's VirtualService between all-v1 and all-v2
// with merge patches and, after each acknowledged write, sends requests on one kept-alive
// connection until one is answered by the new version.
//
// Usage: route_update_latency ADMIN_PORT GATEWAY_PORT [STORED=10000] [FLIPS=200]
// (bench/route_update_latency.sh starts canaryd and the backends and runs it).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "testing/net.h"

namespace {

using Clock = std::chrono::steady_clock;
using canaryd::testing::Client;
using canaryd::testing::Response;

// `port` is the admin listener's: its Host must name it.
Response Send(Client& c, uint16_t port, const std::string& method, const std::string& path,
              const std::string& body, const std::string& type) {
  std::string req =
      method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\n";
  if (!body.empty()) {
    req += "Content-Type: " + type + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  return c.Request(req + "\r\n" + body);
}

std::string VirtualService(int i) {
  std::string n = std::to_string(i);
  return R"({"apiVersion":"networking.istio.io/v1","kind":"VirtualService","metadata":{"name":"filler-)" +
         n + R"("},"spec":{"hosts":["filler-)" + n +
         R"(.example.com"],"gateways":["web-gateway"],"http":[{"match":[{"uri":{"prefix":"/api/)" +
         n +
         R"("}}],"route":[{"destination":{"host":"web-v1-service","port":{"number":80}},"weight":90},{"destination":{"host":"web-v2-service","port":{"number":80}},"weight":10}]}]}})";
}

std::string Weights(int v1, int v2) {
  return R"({"spec":{"http":[{"match":[{"uri":{"exact":"/"}}],"route":[{"destination":{"host":"web-v1-service","port":{"number":80}},"weight":)" +
         std::to_string(v1) +
         R"(},{"destination":{"host":"web-v2-service","port":{"number":80}},"weight":)" +
         std::to_string(v2) + "}]}]}}";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s ADMIN_PORT GATEWAY_PORT [STORED] [FLIPS]\n", argv[0]);
    return 2;
  }
  uint16_t admin = static_cast<uint16_t>(std::atoi(argv[1]));
  uint16_t gateway = static_cast<uint16_t>(std::atoi(argv[2]));
  int stored = argc > 3 ? std::atoi(argv[3]) : 10000;
  int flips = argc > 4 ? std::atoi(argv[4]) : 200;

  Client api(admin, 30000);
  const std::string base = "/apis/networking.istio.io/v1/namespaces/default/virtualservices";
  auto t0 = Clock::now();
  for (int i = 0; i < stored; ++i) {
    Response r = Send(api, admin, "POST", base, VirtualService(i), "application/json");
    if (r.status != 201 && r.status != 409) {
      std::fprintf(stderr, "create %d: %d %s\n", i, r.status, r.body.c_str());
      return 1;
    }
  }
  std::printf("stored %d more VirtualServices in %.1f s\n", stored,
              std::chrono::duration<double>(Clock::now() - t0).count());

  Client traffic(gateway, 5000);
  std::vector<double> ms;
  for (int f = 0; f < flips; ++f) {
    bool to_v2 = f % 2 == 0;
    std::string want = to_v2 ? "v2" : "v1";
    Response w = Send(api, admin, "PATCH", base + "/web-virtualservice",
                      Weights(to_v2 ? 0 : 100, to_v2 ? 100 : 0), "application/merge-patch+json");
    auto acked = Clock::now();
    if (w.status != 200) {
      std::fprintf(stderr, "patch: %d %s\n", w.status, w.body.c_str());
      return 1;
    }
    int tries = 0;
    while (true) {
      Response r = traffic.Request("GET / HTTP/1.1\r\nHost: web\r\n\r\n");
      if (!r.ok) {
        std::fprintf(stderr, "request failed\n");
        return 1;
      }
      if (r.body == want) break;
      if (++tries > 1'000'000 || Clock::now() - acked > std::chrono::seconds(10)) {
        std::fprintf(stderr, "flip %d: never saw %s\n", f, want.c_str());
        return 1;
      }
    }
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - acked).count());
  }
  std::sort(ms.begin(), ms.end());
  auto pct = [&](double p) {
    return ms[std::min(ms.size() - 1, static_cast<size_t>(p * ms.size()))];
  };
  std::printf(
      "write acknowledged -> first request on the new weights, %zu flips: p50 %.2f ms, "
      "p90 %.2f ms, p99 %.2f ms, max %.2f ms\n",
      ms.size(), pct(0.5), pct(0.9), pct(0.99), ms.back());
  return 0;
}

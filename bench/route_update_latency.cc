// route_update_latency: the time from the decision to change weights (the moment the API write
// is sent) to the first request answered on the new weights, with many VirtualServices and
// Services stored, and what each write costs through the API. It flips the walkthrough's
// VirtualService between all-v1 and all-v2, the way a canary controller steps weights: merge
// patches, replaces with compare-and-set on resourceVersion (a controller that holds the object
// from its watch) and JSON patches.
//
// How it measures: a poller thread, on its own kept-alive connection to the gateway, starts
// sending requests at the decision and stops at the first response from the new version; the
// write goes out on the API connection at the same time. "Seen" is that response's arrival,
// minus the decision. The table changed between the sending of the last request answered by
// the old version and that arrival: the spread of that bracket (its median is printed) is the
// measurement's resolution, one round trip through the gateway. "Acked" is the write's own
// round trip (the per-apply cost through the HTTP API).
//
// Usage: route_update_latency ADMIN_PORT GATEWAY_PORT [STORED=10000] [FLIPS=200] [SERVICES=0]
//                             [WRITES=patch] [V1_PORT V2_PORT]
// STORED filler VirtualServices and SERVICES Services are created first (existing ones are
// kept), then FLIPS flips per write kind; WRITES is a comma-separated list of patch, put,
// json-patch and pod-ready. pod-ready measures an endpoint change instead of a weight change:
// the route goes to a Service selecting two Pods (their ports the backends at V1_PORT and
// V2_PORT, as the kubelet records them), and each flip makes one Pod not ready (not timed,
// until the gateway has no endpoint left) and then the other ready: the decision is that status
// write, "seen" the first request the newly ready Pod answers (run canaryd with --no-workloads:
// the benchmark plays the kubelet). bench/route_update_latency.sh starts canaryd and the
// backends and runs it.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
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

std::string Service(int i) {
  std::string n = std::to_string(i);
  return R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"filler-svc-)" + n +
         R"("},"spec":{"selector":{"app":"filler-)" + n +
         R"("},"ports":[{"name":"http","port":80,"targetPort":8080}]}})";
}

std::string Http(int v1, int v2) {
  return R"([{"match":[{"uri":{"exact":"/"}}],"route":[{"destination":{"host":"web-v1-service","port":{"number":80}},"weight":)" +
         std::to_string(v1) +
         R"(},{"destination":{"host":"web-v2-service","port":{"number":80}},"weight":)" +
         std::to_string(v2) + "}]}]";
}

// The whole object, for a replace conditional on `resource_version`.
std::string Whole(int v1, int v2, const std::string& resource_version) {
  return R"({"apiVersion":"networking.istio.io/v1","kind":"VirtualService","metadata":{"name":"web-virtualservice","namespace":"default","resourceVersion":")" +
         resource_version + R"("},"spec":{"hosts":["*"],"gateways":["web-gateway"],"http":)" +
         Http(v1, v2) + "}}";
}

std::string ResourceVersion(const std::string& body) {
  const std::string tag = "\"resourceVersion\":\"";
  size_t at = body.find(tag);
  if (at == std::string::npos) return "";
  at += tag.size();
  return body.substr(at, body.find('"', at) - at);
}

double Ms(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

// Sends requests from Arm() until one is answered by `want`.
class Poller {
 public:
  explicit Poller(uint16_t port) : port_(port), thread_([this] { Run(); }) {}
  ~Poller() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  void Arm(const std::string& want, Clock::time_point decision) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      want_ = want;
      decision_ = decision;
      armed_ = true;
      done_ = false;
    }
    cv_.notify_all();
  }

  struct Seen {
    bool ok = false;
    Clock::time_point seen;      // the first response from `want` arrived
    Clock::time_point last_old;  // the last request answered by the old version was sent
  };
  Seen Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return done_; });
    return seen_;
  }

 private:
  void Run() {
    Client c(port_, 5000);
    while (true) {
      std::string want;
      Clock::time_point decision;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return stop_ || armed_; });
        if (stop_) return;
        armed_ = false;
        want = want_;
        decision = decision_;
      }
      Seen s;
      s.last_old = decision;
      while (true) {
        Clock::time_point sent = Clock::now();
        Response r = c.Request("GET / HTTP/1.1\r\nHost: web\r\n\r\n");
        if (!r.ok) break;
        if (r.body == want) {
          s.ok = true;
          s.seen = Clock::now();
          break;
        }
        s.last_old = sent;
        if (Clock::now() - decision > std::chrono::seconds(10)) break;
      }
      std::lock_guard<std::mutex> lock(mu_);
      seen_ = s;
      done_ = true;
      cv_.notify_all();
    }
  }

  uint16_t port_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false, armed_ = false, done_ = false;
  std::string want_;
  Clock::time_point decision_;
  Seen seen_;
  std::thread thread_;
};

struct Figures {
  std::vector<double> seen, acked, bracket;
};

void Print(const char* what, const std::string& kind, std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  auto pct = [&](double p) {
    return ms[std::min(ms.size() - 1, static_cast<size_t>(p * ms.size()))];
  };
  std::printf("  %-10s %-34s n=%zu p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n",
              kind.c_str(), what, ms.size(), pct(0.5), pct(0.9), pct(0.99), ms.back());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s ADMIN_PORT GATEWAY_PORT [STORED] [FLIPS] [SERVICES] [WRITES]\n",
                 argv[0]);
    return 2;
  }
  uint16_t admin = static_cast<uint16_t>(std::atoi(argv[1]));
  uint16_t gateway = static_cast<uint16_t>(std::atoi(argv[2]));
  int stored = argc > 3 ? std::atoi(argv[3]) : 10000;
  int flips = argc > 4 ? std::atoi(argv[4]) : 200;
  int services = argc > 5 ? std::atoi(argv[5]) : 0;
  std::vector<std::string> writes;
  {
    std::stringstream list(argc > 6 ? argv[6] : "patch");
    for (std::string w; std::getline(list, w, ',');) writes.push_back(w);
  }

  Client api(admin, 60000);
  const std::string vs_base = "/apis/networking.istio.io/v1/namespaces/default/virtualservices";
  const std::string vs_path = vs_base + "/web-virtualservice";
  // The VirtualServices first: before this change, each one's analysis read every stored
  // Service, and the point is to measure the flips, not to wait for the set-up.
  auto t0 = Clock::now();
  for (int i = 0; i < stored; ++i) {
    Response r = Send(api, admin, "POST", vs_base, VirtualService(i), "application/json");
    if (r.status != 201 && r.status != 409) {
      std::fprintf(stderr, "create %d: %d %s\n", i, r.status, r.body.c_str());
      return 1;
    }
  }
  for (int i = 0; i < services; ++i) {
    Response r = Send(api, admin, "POST", "/api/v1/namespaces/default/services", Service(i),
                      "application/json");
    if (r.status != 201 && r.status != 409) {
      std::fprintf(stderr, "create service %d: %d %s\n", i, r.status, r.body.c_str());
      return 1;
    }
  }
  std::printf("stored %d VirtualServices and %d Services in %.1f s\n", stored, services,
              std::chrono::duration<double>(Clock::now() - t0).count());

  const bool pods = std::find(writes.begin(), writes.end(), "pod-ready") != writes.end();
  if (pods && writes.back() != "pod-ready") {
    std::fprintf(stderr, "pod-ready must come last: it moves the route to the Pods' Service\n");
    return 2;
  }
  if (pods) {
    if (argc < 9) {
      std::fprintf(stderr, "pod-ready needs V1_PORT and V2_PORT\n");
      return 2;
    }
    Response svc = Send(api, admin, "POST", "/api/v1/namespaces/default/services",
                        R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"podweb"},)"
                        R"("spec":{"selector":{"app":"podweb"},"ports":[{"port":80}]}})",
                        "application/json");
    if (svc.status != 201 && svc.status != 409) {
      std::fprintf(stderr, "service podweb: %d %s\n", svc.status, svc.body.c_str());
      return 1;
    }
    for (int v = 1; v <= 2; ++v) {
      std::string port = argv[6 + v];
      Response pod = Send(
          api, admin, "POST", "/api/v1/namespaces/default/pods",
          R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"pv)" + std::to_string(v) +
              R"(","labels":{"app":"podweb"},"annotations":{"canaryd.io/ports":"80=)" + port +
              R"("}},"spec":{"containers":[{"name":"c","image":"bench","ports":[{"containerPort":80}]}]}})",
          "application/json");
      if (pod.status != 201 && pod.status != 409) {
        std::fprintf(stderr, "pod pv%d: %d %s\n", v, pod.status, pod.body.c_str());
        return 1;
      }
    }
  }

  Poller poller(gateway);
  std::string resource_version;
  // A Pod's readiness through its status subresource, as the kubelet writes it.
  auto set_ready = [&](int v, bool ready) {
    return Send(
        api, admin, "PATCH", "/api/v1/namespaces/default/pods/pv" + std::to_string(v) + "/status",
        std::string(R"({"status":{"podIP":"127.0.0.1","conditions":[{"type":"Ready","status":")") +
            (ready ? "True" : "False") + R"("}]}})",
        "application/merge-patch+json");
  };
  int flip = 0;
  // One flip: the decision, the write of `kind`, and the first request on the new weights.
  auto one = [&](const std::string& kind, Figures* out) -> bool {
    bool to_v2 = flip++ % 2 == 0;
    int v1 = to_v2 ? 0 : 100, v2 = to_v2 ? 100 : 0;
    std::string want = to_v2 ? "v2" : "v1";
    std::string method = "PATCH", body, type;
    if (kind == "pod-ready") {
      // Not timed: the other Pod leaves, until the gateway has no endpoint.
      if (set_ready(to_v2 ? 1 : 2, false).status != 200) return false;
      auto until = Clock::now() + std::chrono::seconds(10);
      Client probe(gateway, 5000);  // fresh: an idle one may have been closed by the gateway
      while (true) {
        Response r = probe.Request("GET / HTTP/1.1\r\nHost: web\r\n\r\n");
        if (r.status == 503) break;
        if (Clock::now() > until) {
          std::fprintf(stderr, "pod flip %d: the unready Pod stays an endpoint (%d %s)\n", flip,
                       r.status, r.body.c_str());
          return false;
        }
      }
      Clock::time_point decision = Clock::now();
      poller.Arm(want, decision);
      Response w = set_ready(to_v2 ? 2 : 1, true);
      Clock::time_point acked = Clock::now();
      Poller::Seen s = poller.Wait();
      if (w.status != 200 || !s.ok) {
        std::fprintf(stderr, "pod flip %d: %d %s\n", flip, w.status, w.body.c_str());
        return false;
      }
      if (out != nullptr) {
        out->seen.push_back(Ms(s.seen - decision));
        out->acked.push_back(Ms(acked - decision));
        out->bracket.push_back(Ms(s.seen - s.last_old));
      }
      return true;
    }
    if (kind == "patch") {
      body = R"({"spec":{"http":)" + Http(v1, v2) + "}}";
      type = "application/merge-patch+json";
    } else if (kind == "json-patch") {
      body = R"([{"op":"replace","path":"/spec/http/0/route/0/weight","value":)" +
             std::to_string(v1) +
             R"(},{"op":"replace","path":"/spec/http/0/route/1/weight","value":)" +
             std::to_string(v2) + "}]";
      type = "application/json-patch+json";
    } else {
      method = "PUT";
      body = Whole(v1, v2, resource_version);
      type = "application/json";
    }
    Clock::time_point decision = Clock::now();
    poller.Arm(want, decision);
    Response w = Send(api, admin, method, vs_path, body, type);
    Clock::time_point acked = Clock::now();
    Poller::Seen s = poller.Wait();
    if (w.status != 200) {
      std::fprintf(stderr, "%s: %d %s\n", kind.c_str(), w.status, w.body.c_str());
      return false;
    }
    resource_version = ResourceVersion(w.body);
    if (!s.ok) {
      std::fprintf(stderr, "flip %d (%s): never saw %s\n", flip, kind.c_str(), want.c_str());
      return false;
    }
    if (out != nullptr) {
      out->seen.push_back(Ms(s.seen - decision));
      out->acked.push_back(Ms(acked - decision));
      out->bracket.push_back(Ms(s.seen - s.last_old));
    }
    // A controller steps every few seconds; a short pause keeps flips from queueing behind
    // one another's work.
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return true;
  };
  // The first write gives the VirtualService the flips' shape (a full compile), the second
  // picks up its resourceVersion; neither is counted.
  if (!one("patch", nullptr) || !one("patch", nullptr)) return 1;
  std::printf(
      "decision -> first request on the new weights (seen), and the write's round trip "
      "(acked), %d flips each:\n",
      flips);
  for (const std::string& kind : writes) {
    if (kind == "pod-ready") {
      // The walkthrough's route goes to the Pods' Service from now on (a full compile, once).
      Response w = Send(api, admin, "PATCH", vs_path,
                        R"({"spec":{"http":[{"route":[{"destination":{"host":"podweb"}}]}]}})",
                        "application/merge-patch+json");
      if (w.status != 200) {
        std::fprintf(stderr, "route to podweb: %d %s\n", w.status, w.body.c_str());
        return 1;
      }
      if (!one("pod-ready", nullptr) || !one("pod-ready", nullptr)) return 1;
    }
    Figures f;
    for (int i = 0; i < flips; ++i) {
      if (!one(kind, &f)) return 1;
    }
    Print("seen", kind, f.seen);
    Print("acked", kind, f.acked);
    std::sort(f.bracket.begin(), f.bracket.end());
    std::printf("  %-10s resolution (last old request sent -> first new seen): median %.3f ms\n",
                kind.c_str(), f.bracket[f.bracket.size() / 2]);
  }
  return 0;
}

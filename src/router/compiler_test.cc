// RouteTables compiled from real YAML, exercised with requests and injected randomness: match
// kinds, host selection order, rule order, merged VirtualServices, subsets, weights, missing
// destinations.
#include "router/compiler.h"

#include <gtest/gtest.h>

#include <map>

#include "config/loader.h"
#include "upstream/load_balancer.h"

namespace canaryd::router {
namespace {

constexpr const char* kBase = R"(
apiVersion: v1
kind: Service
metadata: {name: web-v1-service}
spec:
  ports: [{name: "80", port: 80}]
  selector: {app: web, version: v1}
---
apiVersion: v1
kind: Service
metadata: {name: web-v2-service}
spec:
  ports: [{name: "80", port: 80}]
  selector: {app: web, version: v2}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  ports: [{name: http, port: 80, targetPort: 9000}]
  selector: {app: web}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: web-v1}
spec:
  address: 127.0.0.1
  ports: {"80": 8081}
  labels: {app: web, version: v1}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: web-v2}
spec:
  address: 127.0.0.2
  ports: {"80": 8082}
  labels: {app: web, version: v2}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: web}
spec:
  host: web
  trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: web-gateway}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: ["*"]
    tls: {mode: SIMPLE, credentialName: web-cert}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: other-gateway}
spec:
  selector: {istio: egressgateway}
  servers:
  - port: {number: 8080, name: http, protocol: HTTP}
    hosts: ["*"]
---
)";

struct Fixture {
  CompileResult result;
  std::map<std::string, std::string> headers;

  const RouteTable& table() const { return *result.table; }

  RequestView Request(std::string_view method, std::string_view path, std::string_view host,
                      uint32_t port = 80) const {
    RequestView r;
    r.method = method;
    size_t q = path.find('?');
    r.path = path.substr(0, q);
    r.query = q == std::string_view::npos ? std::string_view() : path.substr(q + 1);
    r.authority = host;
    r.scheme = "http";
    r.port = port;
    r.header_ctx = &headers;
    r.find_header = [](const void* ctx, std::string_view name, std::string_view* value) {
      const auto* h = static_cast<const std::map<std::string, std::string>*>(ctx);
      auto it = h->find(std::string(name));
      if (it == h->end()) return false;
      *value = it->second;
      return true;
    };
    return r;
  }

  // The route a request takes, by name, or "NR" when no vhost or rule matches.
  std::string RouteOf(std::string_view method, std::string_view path, std::string_view host,
                      uint32_t port = 80) const {
    const VirtualHost* vh = table().FindVirtualHost(port, host);
    if (vh == nullptr) return "NR";
    const Route* r = table().Match(*vh, Request(method, path, host, port));
    return r ? r->name : "NR";
  }
};

Fixture CompileYaml(const std::string& extra) {
  config::LoadResult loaded;
  config::LoadText(std::string(kBase) + extra, "test.yaml", {}, loaded);
  EXPECT_FALSE(loaded.diagnostics.has_errors()) << loaded.diagnostics.ToString();
  Result<CompileResult> r = Compiler::Compile(loaded.resources, {});
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return Fixture{std::move(*r), {}};
}

TEST(Compiler, TheSeedRoutesSlashToV1AndNothingElse) {
  Fixture f = CompileYaml(R"(
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: web-virtualservice}
spec:
  hosts: ["*"]
  gateways: [web-gateway]
  http:
  - match:
    - uri: {exact: /}
    route:
    - destination: {host: web-v1-service, port: {number: 80}}
)");
  EXPECT_EQ(f.result.ports, std::vector<uint32_t>{80}) << "HTTPS is not served until TLS lands";
  ASSERT_FALSE(f.result.warnings.empty());
  EXPECT_NE(f.result.warnings[0].find("spec.servers[1].port.protocol: a server with this protocol "
                                      "(\"HTTPS\") is not served yet"),
            std::string::npos)
      << f.result.warnings[0];
  EXPECT_EQ(f.RouteOf("GET", "/", "anything.example.com"), "default/web-virtualservice#0");
  EXPECT_EQ(f.RouteOf("GET", "/?x=1", "localhost:8080"), "default/web-virtualservice#0");
  EXPECT_EQ(f.RouteOf("GET", "/other", "localhost"), "NR");
  EXPECT_EQ(f.RouteOf("GET", "/", "localhost", 8080), "NR") << "other-gateway is not ours";
  const Route& r = f.table().route(0);
  ASSERT_EQ(r.clusters.size(), 1u);
  const Cluster& c = f.table().clusters()[r.clusters[0].cluster];
  EXPECT_EQ(c.name, "outbound|80||web-v1-service.default.svc.cluster.local");
  ASSERT_EQ(c.endpoints.size(), 1u);
  EXPECT_EQ(c.endpoints[0].address_text, "127.0.0.1:8081");
  EXPECT_EQ(c.endpoints[0].version, "v1");
  EXPECT_EQ(c.endpoints[0].workload, "web-v1");
}

TEST(Compiler, WeightsSplitExactlyWithSmoothRoundRobin) {
  Fixture f = CompileYaml(R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs}
spec:
  hosts: ["*"]
  gateways: [web-gateway]
  http:
  - route:
    - destination: {host: web-v1-service}
      weight: 90
    - destination: {host: web-v2-service}
      weight: 10
)");
  const Route& r = f.table().route(0);
  upstream::LoadBalancer lb(1);
  lb.Reset(f.table());
  std::map<std::string, int> counts;
  for (int window = 0; window < 100; ++window) {
    int v2 = 0;
    for (int i = 0; i < 100; ++i) {
      const Cluster& c = f.table().clusters()[lb.PickCluster(r).cluster];
      ++counts[c.service_name];
      v2 += c.service_name == "web-v2-service";
    }
    EXPECT_EQ(v2, 10) << "window " << window;
  }
  EXPECT_EQ(counts["web-v1-service"], 9000);
  EXPECT_EQ(counts["web-v2-service"], 1000);
}

TEST(Compiler, AnySlidingWindowOfOneHundredIsWithinOneOfTheShare) {
  Fixture f = CompileYaml(R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs}
spec:
  hosts: ["*"]
  gateways: [web-gateway]
  http:
  - route:
    - destination: {host: web-v1-service}
      weight: 7
    - destination: {host: web-v2-service}
      weight: 3
)");
  const Route& r = f.table().route(0);
  upstream::LoadBalancer lb(1);
  lb.Reset(f.table());
  std::vector<int> picks;
  for (int i = 0; i < 2000; ++i) picks.push_back(lb.PickCluster(r).cluster);
  uint32_t v2 = f.table().route(0).clusters[1].cluster;
  for (size_t start = 0; start + 100 <= picks.size(); ++start) {
    int n = 0;
    for (size_t i = start; i < start + 100; ++i) n += picks[i] == static_cast<int>(v2);
    EXPECT_LE(std::abs(n - 30), 1) << "window at " << start;
  }
}

TEST(Compiler, ZeroWeightGetsNothingAndSingleDestinationGetsAll) {
  Fixture f = CompileYaml(R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs}
spec:
  hosts: ["*"]
  gateways: [web-gateway]
  http:
  - match: [{uri: {prefix: /zero}}]
    route:
    - destination: {host: web-v1-service}
      weight: 0
    - destination: {host: web-v2-service}
      weight: 100
  - route:
    - destination: {host: web-v1-service}
      weight: 5
)");
  const Route& zero = f.table().route(0);
  ASSERT_EQ(zero.clusters.size(), 1u);
  EXPECT_EQ(f.table().clusters()[zero.clusters[0].cluster].service_name, "web-v2-service");
  const Route& single = f.table().route(1);
  ASSERT_EQ(single.clusters.size(), 1u);
  EXPECT_EQ(single.total_weight, 1u);
}

TEST(Compiler, MatchKinds) {
  Fixture f = CompileYaml(R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs}
spec:
  hosts: ["*"]
  gateways: [web-gateway]
  http:
  - name: exact
    match: [{uri: {exact: /exact}}]
    route: [{destination: {host: web-v1-service}}]
  - name: prefix-icase
    match: [{uri: {prefix: /API/}, ignoreUriCase: true}]
    route: [{destination: {host: web-v1-service}}]
  - name: regex
    match: [{uri: {regex: "/items/[0-9]+"}}]
    route: [{destination: {host: web-v1-service}}]
  - name: header-and-method
    match: [{headers: {end-user: {exact: jason}}, method: {exact: POST}}]
    route: [{destination: {host: web-v2-service}}]
  - name: header-presence
    match: [{headers: {x-canary: {}}}]
    route: [{destination: {host: web-v2-service}}]
  - name: query
    match: [{queryParams: {version: {exact: v2}}}]
    route: [{destination: {host: web-v2-service}}]
  - name: without
    match: [{uri: {prefix: /w}, withoutHeaders: {x-debug: {exact: "1"}}}]
    route: [{destination: {host: web-v1-service}}]
  - name: authority-or-scheme
    match: [{authority: {prefix: admin.}}, {scheme: {exact: https}}]
    route: [{destination: {host: web-v1-service}}]
  - name: port
    match: [{port: 8443}]
    route: [{destination: {host: web-v1-service}}]
  - name: fallback
    route: [{destination: {host: web-v1-service}}]
)");
  auto name = [&](std::string_view method, std::string_view path, std::string_view host = "h") {
    std::string n = f.RouteOf(method, path, host);
    return n.substr(n.find('#') + 1);
  };
  EXPECT_EQ(name("GET", "/exact"), "exact");
  EXPECT_EQ(name("GET", "/exact?q=1"), "exact") << "uri matches the path without the query";
  EXPECT_EQ(name("GET", "/exactly"), "fallback");
  EXPECT_EQ(name("GET", "/api/users"), "prefix-icase");
  EXPECT_EQ(name("GET", "/Api/users"), "prefix-icase");
  EXPECT_EQ(name("GET", "/items/42"), "regex");
  EXPECT_EQ(name("GET", "/items/42/x"), "fallback") << "regex is a whole-string match";
  f.headers["end-user"] = "jason";
  EXPECT_EQ(name("POST", "/"), "header-and-method");
  EXPECT_EQ(name("GET", "/"), "fallback") << "conditions of one block AND";
  f.headers.clear();
  f.headers["x-canary"] = "";
  EXPECT_EQ(name("GET", "/"), "header-presence");
  f.headers.clear();
  EXPECT_EQ(name("GET", "/?a=b&version=v2"), "query");
  EXPECT_EQ(name("GET", "/?version=v3"), "fallback");
  EXPECT_EQ(name("GET", "/w"), "without");
  f.headers["x-debug"] = "1";
  EXPECT_EQ(name("GET", "/w"), "fallback");
  f.headers.clear();
  EXPECT_EQ(name("GET", "/", "admin.example.com"), "authority-or-scheme") << "blocks OR";
  EXPECT_EQ(name("GET", "/"), "fallback") << "port 8443 is not this port";
}

TEST(Compiler, HostSelectionPrefersExactThenLongestWildcardThenStar) {
  Fixture f = CompileYaml(R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: star}
spec:
  hosts: ["*"]
  gateways: [web-gateway]
  http: [{route: [{destination: {host: web-v1-service}}]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: wide}
spec:
  hosts: ["*.example.com"]
  gateways: [web-gateway]
  http: [{route: [{destination: {host: web-v1-service}}]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: narrow}
spec:
  hosts: ["*.api.example.com"]
  gateways: [web-gateway]
  http: [{route: [{destination: {host: web-v1-service}}]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: exact}
spec:
  hosts: [shop.api.example.com]
  gateways: [default/web-gateway]
  http: [{route: [{destination: {host: web-v1-service}}]}]
)");
  EXPECT_EQ(f.RouteOf("GET", "/", "shop.api.example.com"), "default/exact#0");
  EXPECT_EQ(f.RouteOf("GET", "/", "SHOP.api.example.com:80"), "default/exact#0");
  EXPECT_EQ(f.RouteOf("GET", "/", "cart.api.example.com"), "default/narrow#0");
  EXPECT_EQ(f.RouteOf("GET", "/", "www.example.com"), "default/wide#0");
  EXPECT_EQ(f.RouteOf("GET", "/", "example.com"), "default/star#0");
  EXPECT_EQ(f.RouteOf("GET", "/", "other.org"), "default/star#0");
}

TEST(Compiler, VirtualServicesForOneHostMergeInCreationOrderWithCatchAllsLast) {
  Fixture f = CompileYaml(R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: first}
spec:
  hosts: [web.example.com]
  gateways: [web-gateway]
  http:
  - match: [{uri: {prefix: /a}}]
    route: [{destination: {host: web-v1-service}}]
  - route: [{destination: {host: web-v1-service}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: second}
spec:
  hosts: [web.example.com]
  gateways: [web-gateway]
  http:
  - match: [{uri: {prefix: /}}]
    route: [{destination: {host: web-v2-service}}]
)");
  EXPECT_EQ(f.RouteOf("GET", "/a", "web.example.com"), "default/first#0");
  EXPECT_EQ(f.RouteOf("GET", "/b", "web.example.com"), "default/second#0")
      << "the first VirtualService's catch-all must not hide the second's rules";
}

TEST(Compiler, SubsetsSelectEndpointsByLabelsAndTakeTheirPolicy) {
  Fixture f = CompileYaml(R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs}
spec:
  hosts: ["*"]
  gateways: [web-gateway]
  http:
  - route:
    - destination: {host: web, subset: v2}
      weight: 1
    - destination: {host: web.default.svc.cluster.local, subset: v1}
      weight: 1
    - destination: {host: web, subset: v3}
      weight: 1
)");
  const Route& r = f.table().route(0);
  ASSERT_EQ(r.clusters.size(), 3u);
  const Cluster& v2 = f.table().clusters()[r.clusters[0].cluster];
  EXPECT_EQ(v2.name, "outbound|80|v2|web.default.svc.cluster.local");
  ASSERT_EQ(v2.endpoints.size(), 1u);
  EXPECT_EQ(v2.endpoints[0].address_text, "127.0.0.2:9000") << "targetPort of the Service";
  EXPECT_EQ(v2.lb, LbPolicy::kRoundRobin);
  const Cluster& v1 = f.table().clusters()[r.clusters[1].cluster];
  EXPECT_EQ(v1.endpoints[0].address_text, "127.0.0.1:9000");
  const Cluster& v3 = f.table().clusters()[r.clusters[2].cluster];
  EXPECT_TRUE(v3.missing) << "a subset no DestinationRule defines is never routed silently";
  EXPECT_NE(v3.problem.find("subset \"v3\""), std::string::npos);
  bool warned = false;
  for (const std::string& w : f.result.warnings) warned |= w.find("subset \"v3\"") != w.npos;
  EXPECT_TRUE(warned);
}

TEST(Compiler, UnknownHostIsAMissingCluster) {
  Fixture f = CompileYaml(R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs}
spec:
  hosts: ["*"]
  gateways: [web-gateway]
  http:
  - route: [{destination: {host: nowhere}}]
)");
  const Cluster& c = f.table().clusters()[f.table().route(0).clusters[0].cluster];
  EXPECT_TRUE(c.missing);
  EXPECT_EQ(c.problem, "destination host \"nowhere\" matches no Service or ServiceEntry");
}

TEST(Compiler, ServiceEntryEndpointsAndVirtualServicesWithoutGateways) {
  Fixture f = CompileYaml(R"(
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: api}
spec:
  hosts: [api.internal]
  ports: [{number: 80, name: http, targetPort: 8000}]
  resolution: STATIC
  endpoints:
  - {address: 10.1.0.1, labels: {version: v1}}
  - {address: 10.1.0.2, ports: {http: 9999}, labels: {version: v2}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: mesh-only}
spec:
  hosts: [mesh.example.com]
  http: [{route: [{destination: {host: api.internal}}]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api}
spec:
  hosts: [api.example.com]
  gateways: [web-gateway]
  http: [{route: [{destination: {host: api.internal, port: {number: 80}}}]}]
)");
  EXPECT_EQ(f.RouteOf("GET", "/", "mesh.example.com"), "NR")
      << "a VirtualService without gateways applies to the mesh, not to this gateway";
  EXPECT_EQ(f.RouteOf("GET", "/", "api.example.com"), "default/api#0");
  ASSERT_EQ(f.table().route_count(), 1u) << "only gateway-bound VirtualServices compile";
  const Route& r = f.table().route(0);
  const Cluster& c = f.table().clusters()[r.clusters[0].cluster];
  ASSERT_EQ(c.endpoints.size(), 2u);
  EXPECT_EQ(c.endpoints[0].address_text, "10.1.0.1:8000");
  EXPECT_EQ(c.endpoints[1].address_text, "10.1.0.2:9999");
  EXPECT_EQ(c.endpoints[1].version, "v2");
}

TEST(Compiler, RedirectsDirectResponsesAndTimeouts) {
  Fixture f = CompileYaml(R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs}
spec:
  hosts: ["*"]
  gateways: [web-gateway]
  http:
  - match: [{uri: {exact: /old}}]
    redirect: {uri: /new, redirectCode: 308}
  - match: [{uri: {exact: /health}}]
    directResponse: {status: 200, body: {string: ok}}
  - route: [{destination: {host: web-v1-service}}]
    timeout: 250ms
)");
  auto routes = [&](uint32_t id) -> const Route& { return f.table().route(id); };
  EXPECT_EQ(routes(0).action, Route::Action::kRedirect);
  EXPECT_EQ(routes(0).redirect_uri, "/new");
  EXPECT_EQ(routes(0).redirect_code, 308u);
  EXPECT_EQ(routes(1).action, Route::Action::kDirectResponse);
  EXPECT_EQ(routes(1).direct_body, "ok");
  EXPECT_EQ(routes(2).timeout_nanos, 250'000'000);
}

}  // namespace
}  // namespace canaryd::router

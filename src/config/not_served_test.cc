// The warnings for fields canaryd accepts but does not serve yet: every field flagged not_served
// in a kind's Describe() warns with its path and position wherever a document sets it (the Istio
// fault-injection and mirroring tasks among them), and a document of served fields only gets no
// warning.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "config/loader.h"
#include "testing/paths.h"

namespace canaryd::config {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> WarningsOf(const std::string& text, size_t* loaded = nullptr) {
  LoadResult result;
  LoadText(text, "t.yaml", LoadOptions{}, result);
  EXPECT_FALSE(result.diagnostics.has_errors()) << result.diagnostics.ToString();
  if (loaded != nullptr) *loaded = result.resources.size();
  std::vector<std::string> out;
  for (const Diagnostic& d : result.diagnostics.items()) out.push_back(d.ToString());
  return out;
}

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

TEST(NotServed, EachUnservedFieldWarnsWithPathAndPosition) {
  std::vector<std::string> w = WarningsOf(R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs}
spec:
  hosts: [web]
  gateways: [gw]
  http:
  - fault: {abort: {httpStatus: 500, percentage: {value: 10}}}
    mirror: {host: web-shadow}
    mirrorPercentage: {value: 50}
    retries: {attempts: 3, backoff: 25ms}
    rewrite: {uri: /v2}
    corsPolicy: {allowOrigins: [{exact: https://a.example}]}
    headers: {request: {set: {x-a: b}}}
    route:
    - destination: {host: web}
      headers: {response: {remove: [x-b]}}
  - delegate: {name: other}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: dr}
spec:
  host: web
  trafficPolicy:
    loadBalancer: {consistentHash: {useSourceIp: true}}
    outlierDetection: {consecutive5xxErrors: 5}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: we}
spec: {address: 10.0.0.1, weight: 3}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  servers:
  - port: {number: 443, name: https, protocol: https}
    hosts: ["*"]
    tls: {mode: SIMPLE, credentialName: cert}
)");
  const std::string ignored = " is not served yet; the field is accepted and ignored";
  // Warnings come in the order of each type's fields: compare them as sets.
  EXPECT_EQ(Sorted(w),
            Sorted({
                "t.yaml:11:37: warning: spec.http[0].retries.backoff: retry back-off "
                "(retries.backoff): retries go out at once" +
                    ignored,
                "t.yaml:18:15: warning: spec.http[1].delegate: delegation (delegate)" + ignored,
                "t.yaml:39:48: warning: spec.servers[0].port.protocol: a server with this "
                "protocol (\"https\") is not served yet; it is accepted and ignored",
            }));
}

TEST(NotServed, PodFieldsWithoutAContainerRuntimeWarn) {
  std::vector<std::string> w = WarningsOf(R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      imagePullSecrets: [{name: registry}]
      priorityClassName: high
      containers: [{name: web, image: "gardnera/canarytester:v1"}]
)");
  const std::string ignored = " is not served yet; the field is accepted and ignored";
  EXPECT_EQ(Sorted(w),
            Sorted({"t.yaml:9:25: warning: spec.template.spec.imagePullSecrets: image pull "
                    "secrets" +
                        ignored,
                    "t.yaml:10:26: warning: spec.template.spec.priorityClassName: priority "
                    "classes" +
                        ignored}));
}

TEST(NotServed, ServedFieldsOnlyGetNoWarning) {
  size_t loaded = 0;
  std::vector<std::string> w = WarningsOf(R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs}
spec:
  hosts: [web.example.com]
  gateways: [gw]
  http:
  - name: canary
    match: [{uri: {prefix: /api}, headers: {x-user: {exact: a}}, queryParams: {v: {}}}]
    timeout: 2s
    rewrite: {uri: /v2, authority: web.internal}
    headers: {request: {set: {x-a: b}, add: {x-b: c}, remove: [x-c]}, response: {set: {x-d: e}}}
    route:
    - destination: {host: web, subset: v1, port: {number: 80}}
      weight: 90
      headers: {response: {remove: [server]}}
    - destination: {host: web, subset: v2, port: {number: 80}}
      weight: 10
  - redirect: {uri: /new, redirectCode: 302}
  - directResponse: {status: 503, body: {string: down}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: dr}
spec:
  host: web
  trafficPolicy:
    loadBalancer: {simple: ROUND_ROBIN}
    connectionPool: {tcp: {connectTimeout: 1s}}
  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: we}
spec: {address: 127.0.0.1, ports: {http: 8081}, labels: {app: web, version: v1}}
)",
                                          &loaded);
  EXPECT_EQ(loaded, 4u);
  EXPECT_TRUE(w.empty()) << ::testing::PrintToString(w);
}

// Header operations the gateway cannot honour are named at apply; a value that would split the
// head is refused, as is a regex rewrite that names a group its regex lacks.
TEST(NotServed, HeaderOperationsOnGatewayManagedHeadersWarnAndUnsafeOnesAreRefused) {
  std::vector<std::string> w = WarningsOf(R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs}
spec:
  hosts: [web]
  http:
  - headers:
      request:
        set: {Transfer-Encoding: gzip, x-time: "%START_TIME%"}
        remove: [host]
    route: [{destination: {host: web}}]
)");
  EXPECT_EQ(
      Sorted(w),
      Sorted({"t.yaml:9:15: warning: spec.http[0].headers.request.set[Transfer-Encoding]: "
              "\"Transfer-Encoding\" is written by the gateway itself (framing or hop-by-hop): "
              "this set is ignored",
              "t.yaml:9:40: warning: spec.http[0].headers.request.set[x-time]: the value is sent "
              "as written: Envoy's %VARIABLE% substitution in header values is not served",
              "t.yaml:10:18: warning: spec.http[0].headers.request.remove[0]: the Host header can "
              "only be set (or rewritten with rewrite.authority): this remove is ignored"}));

  for (const char* bad : {R"y(headers: {request: {set: {x-a: "b\r\nx-injected: 1"}}})y",
                          R"y(rewrite: {uriRegexRewrite: {match: "^/a/(.*)", rewrite: "/\2"}})y",
                          R"y(rewrite: {uri: "/x HTTP/1.1\r\nx-injected: 1"})y"}) {
    LoadResult result;
    LoadText(std::string("apiVersion: networking.istio.io/v1\nkind: VirtualService\n"
                         "metadata: {name: vs}\nspec:\n  hosts: [web]\n  http:\n  - ") +
                 bad + "\n    route: [{destination: {host: web}}]\n",
             "t.yaml", LoadOptions{}, result);
    EXPECT_TRUE(result.diagnostics.has_errors()) << bad;
    EXPECT_TRUE(result.resources.empty()) << bad;
  }
}

// The Istio tasks that apply cleanly and did nothing: now they say what is ignored.
TEST(NotServed, IstioFaultInjectionAndMirroringTasksWarn) {
  CANARYD_REQUIRE_SHARED(shared);
  fs::path corpus = fs::path(shared) / "corpus" / "istio";
  struct Task {
    const char* file;
    std::string warning;
  };
  const std::string ignored = " is not served yet; the field is accepted and ignored";
  for (const Task& t : {
           // Fault injection is served: its tasks load without a warning.
           Task{"istio-samples/samples_bookinfo_networking_virtual-service-ratings-test-delay.yaml",
                ""},
           Task{"istio-samples/samples_bookinfo_networking_virtual-service-ratings-test-abort.yaml",
                ""},
           // So is mirroring.
           Task{"istio-io-docs/mirroring-httpbin.yaml", ""},
       }) {
    SCOPED_TRACE(t.file);
    if (!fs::exists(corpus / t.file)) {
      GTEST_SKIP() << (corpus / t.file) << " is not in ../shared/corpus/istio";
    }
    LoadResult result;
    LoadPath((corpus / t.file).string(), {}, result);
    EXPECT_FALSE(result.diagnostics.has_errors()) << result.diagnostics.ToString();
    bool found = t.warning.empty();
    for (const Diagnostic& d : result.diagnostics.items()) {
      if (d.severity != Severity::kWarning) continue;
      EXPECT_FALSE(t.warning.empty()) << d.ToString();
      EXPECT_TRUE(d.mark.known()) << d.ToString();
      found |= d.path + ": " + d.message == t.warning;
    }
    EXPECT_TRUE(found) << result.diagnostics.ToString();
  }
}

}  // namespace
}  // namespace canaryd::config

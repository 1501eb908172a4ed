#include "config/analyze.h"

#include <gtest/gtest.h>

#include "config/loader.h"

namespace canaryd::config {
namespace {

Diagnostics Analyze(const std::string& text) {
  LoadResult result;
  LoadText(text, "a.yaml", {}, result);
  EXPECT_FALSE(result.diagnostics.has_errors()) << result.diagnostics.ToString();
  Diagnostics diags;
  AnalyzeReferences(result.resources, diags);
  return diags;
}

constexpr const char* kServices = R"(apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  ports: [{name: http, port: 80}, {name: admin, port: 9000}]
  selector: {app: web}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: web}
spec:
  host: web.default.svc.cluster.local
  subsets:
  - {name: v1, labels: {version: v1}}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ext}
spec:
  hosts: ["*.example.com"]
  ports: [{number: 443, name: https}]
  resolution: NONE
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
---
)";

TEST(Analyze, ResolvedReferencesAreQuiet) {
  Diagnostics d = Analyze(std::string(kServices) + R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs}
spec:
  hosts: [web.example.com]
  gateways: [gw, default/gw, mesh]
  http:
  - route:
    - destination: {host: web, subset: v1, port: {number: 80}}
      weight: 1
    - destination: {host: web.default, port: {number: 9000}}
    - destination: {host: api.example.com, port: {number: 443}}
)");
  EXPECT_TRUE(d.empty()) << d.ToString();
}

TEST(Analyze, UnresolvedReferencesAreWarningsWithPaths) {
  Diagnostics d = Analyze(std::string(kServices) + R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs}
spec:
  hosts: ["*"]
  gateways: [other-gateway]
  http:
  - route:
    - destination: {host: web, subset: v2, port: {number: 80}}
      weight: 1
    - destination: {host: web, port: {number: 8080}}
    - destination: {host: web}
    - destination: {host: missing}
)");
  EXPECT_EQ(d.error_count(), 0u);
  EXPECT_EQ(d.ToString(),
            "a.yaml:35:14: warning: spec.gateways[0]: gateway \"default/other-gateway\" does not "
            "exist\n"
            "a.yaml:38:40: warning: spec.http[0].route[0].destination.subset: subset \"v2\" is not "
            "defined by any DestinationRule for web.default.svc.cluster.local; requests routed "
            "here get 503 (response flag NC)\n"
            "a.yaml:40:47: warning: spec.http[0].route[1].destination.port.number: port 8080 is "
            "not a port of web.default.svc.cluster.local; requests routed here get 503 (NC)\n"
            "a.yaml:41:20: warning: spec.http[0].route[2].destination.port: "
            "web.default.svc.cluster.local has more than one port: name one with port.number\n"
            "a.yaml:42:27: warning: spec.http[0].route[3].destination.host: host \"missing\" "
            "matches no Service or ServiceEntry; requests routed here get 503 (response flag "
            "NC)\n");
}

}  // namespace
}  // namespace canaryd::config

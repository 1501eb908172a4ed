// Test configurations with one Service "web" behind Gateway "gw" on port 80 for every host: its
// endpoints are WorkloadEntries on 127.0.0.1 at the given ports, a DestinationRule gives its
// trafficPolicy, and VirtualService "vs" has one route to it (with `route_extra` appended to the
// route's fields, e.g. ", timeout: 2s"). Test-only; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace canaryd::testing {

inline std::string OneServiceYaml(
    const std::vector<uint16_t>& ports,
    const std::string& traffic_policy = "{loadBalancer: {simple: ROUND_ROBIN}}",
    const std::string& route_extra = "") {
  std::string s = R"(
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
kind: DestinationRule
metadata: {name: web}
spec:
  host: web
  trafficPolicy: )" +
                  traffic_policy + R"(
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs}
spec:
  hosts: ["*"]
  gateways: [gw]
  http: [{route: [{destination: {host: web}}])" +
                  route_extra + R"(}]
)";
  for (size_t i = 0; i < ports.size(); ++i) {
    s += "---\napiVersion: networking.istio.io/v1\nkind: WorkloadEntry\nmetadata: {name: e" +
         std::to_string(i) +
         "}\nspec: {address: 127.0.0.1, ports: {http: " + std::to_string(ports[i]) +
         "}, labels: {app: web}}\n";
  }
  return s;
}

}  // namespace canaryd::testing

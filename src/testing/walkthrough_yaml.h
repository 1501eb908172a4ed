// The walkthrough's fixed resources as YAML for tests and benchmarks: the two versioned
// Services, one WorkloadEntry per version on the given loopback ports, and web-gateway on port
// 80 for every host. Callers append their own VirtualService ("---\n" + ...). Test-only; any
// thread.
#pragma once

#include <cstdint>
#include <string>

namespace canaryd::testing {

struct WalkthroughEndpoints {
  uint16_t v1_port = 8081;
  uint16_t v2_port = 8082;
  std::string v1_address = "127.0.0.1";
  std::string v2_address = "127.0.0.1";
};

// Services web-v1-service and web-v2-service (selecting app=web and their version), the
// WorkloadEntries web-v1 and web-v2, and Gateway web-gateway. Ends with a newline, no "---".
inline std::string WalkthroughYaml(const WalkthroughEndpoints& e = {}) {
  std::string out;
  for (const char* v : {"v1", "v2"}) {
    out +=
        std::string("apiVersion: v1\nkind: Service\nmetadata: {name: web-") + v +
        "-service}\nspec: {ports: [{name: \"80\", port: 80}], selector: {app: web, version: " + v +
        "}}\n---\n";
  }
  for (const char* v : {"v1", "v2"}) {
    bool one = v[1] == '1';
    out += std::string(
               "apiVersion: networking.istio.io/v1\nkind: WorkloadEntry\nmetadata: {name: web-") +
           v + "}\nspec: {address: " + (one ? e.v1_address : e.v2_address) +
           ", ports: {\"80\": " + std::to_string(one ? e.v1_port : e.v2_port) +
           "}, labels: {app: web, version: " + v + "}}\n---\n";
  }
  out +=
      "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: web-gateway}\nspec:\n"
      "  selector: {istio: ingressgateway}\n"
      "  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: [\"*\"]}]\n";
  return out;
}

// The same for two ports on 127.0.0.1.
inline std::string WalkthroughYaml(uint16_t v1_port, uint16_t v2_port) {
  WalkthroughEndpoints e;
  e.v1_port = v1_port;
  e.v2_port = v2_port;
  return WalkthroughYaml(e);
}

}  // namespace canaryd::testing

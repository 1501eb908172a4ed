// The Service by which Istio shows its ingress gateway (istio-system/istio-ingressgateway, type
// LoadBalancer, labels and selector istio=ingressgateway), built from canaryd's own flags: the
// listen address is the EXTERNAL-IP, each --port-map entry a port (Gateway port -> local port,
// as port -> targetPort and nodePort, so PORT(S) reads 80:8080/TCP). Pure function: any thread.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace canaryd::api {

struct GatewayServiceOptions {
  std::string listen_host;                    // --listen-host
  std::map<uint32_t, uint16_t> port_map;      // --port-map: Gateway port -> local port
  std::map<std::string, std::string> labels;  // --gateway-labels
  int64_t created_wall_nanos = 0;             // when the process started
};

inline constexpr const char* kGatewayServiceName = "istio-ingressgateway";
inline constexpr const char* kGatewayServiceNamespace = "istio-system";

nlohmann::json GatewayService(const GatewayServiceOptions& options);

// Why the Service cannot be written, for the Forbidden answer.
std::string GatewayServiceReadOnlyReason();

}  // namespace canaryd::api

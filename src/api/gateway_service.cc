#include "api/gateway_service.h"

#include "api/object_util.h"

namespace canaryd::api {
namespace {

// Istio's names for its gateway's ports; any other port is named after its number.
std::string PortName(uint32_t port) {
  if (port == 80) return "http2";
  if (port == 443) return "https";
  return "http-" + std::to_string(port);
}

bool IsWildcard(const std::string& host) {
  return host.empty() || host == "0.0.0.0" || host == "::" || host == "[::]";
}

}  // namespace

nlohmann::json GatewayService(const GatewayServiceOptions& o) {
  using nlohmann::json;
  json labels = json::object();
  for (const auto& [k, v] : o.labels) labels[k] = v;
  json ports = json::array();
  for (const auto& [gateway_port, local_port] : o.port_map) {
    json p = {{"name", PortName(gateway_port)},
              {"protocol", "TCP"},
              {"port", gateway_port},
              {"targetPort", local_port}};
    // The local port is where clients connect, as to a LoadBalancer Service's node port. 0
    // (the system picks one per listener) has no single number to show.
    if (local_port != 0) p["nodePort"] = local_port;
    ports.push_back(std::move(p));
  }
  // A wildcard listen address is reachable on every local address: Docker Desktop's Istio
  // shows that as "localhost", as the walkthrough does.
  json ingress =
      IsWildcard(o.listen_host) ? json{{"hostname", "localhost"}} : json{{"ip", o.listen_host}};
  return {{"apiVersion", "v1"},
          {"kind", "Service"},
          {"metadata",
           {{"name", kGatewayServiceName},
            {"namespace", kGatewayServiceNamespace},
            {"uid", NewUid()},
            {"creationTimestamp", FormatTimestamp(o.created_wall_nanos)},
            {"labels", labels},
            {"annotations",
             {{"canaryd.io/source",
               "canaryd's own gateway, from its --listen-host, --port-map and "
               "--gateway-labels"}}}}},
          {"spec",
           {{"type", "LoadBalancer"},
            {"selector", labels},
            {"ports", std::move(ports)},
            {"sessionAffinity", "None"},
            {"externalTrafficPolicy", "Cluster"}}},
          {"status", {{"loadBalancer", {{"ingress", json::array({std::move(ingress)})}}}}}};
}

std::string GatewayServiceReadOnlyReason() {
  return "it is canaryd's own gateway, shown from the flags it runs with (--listen-host, "
         "--port-map, --gateway-labels); restart canaryd with other flags to change it";
}

}  // namespace canaryd::api

#include "config/pod_endpoint.h"

#include <charconv>

namespace canaryd::config {

PodEndpoint PodEndpointOf(const Resource& pod) {
  PodEndpoint e;
  if (auto it = pod.metadata.annotations.find(kPodPortsAnnotation);
      it != pod.metadata.annotations.end()) {
    e.ports = ParsePodPorts(it->second);
  }
  for (const Container& c : pod.As<PodSpec>().containers) {
    for (const ContainerPort& p : c.ports) {
      if (p.name) e.port_names[*p.name] = p.container_port;
    }
  }
  if (!pod.status) return e;
  if (const Node* ip = pod.status->Find("podIP"); ip != nullptr && ip->is_string()) {
    e.ip = ip->as_string();
  }
  if (const Node* conds = pod.status->Find("conditions"); conds != nullptr) {
    for (const Node& c : conds->items()) {
      const Node* type = c.Find("type");
      const Node* status = c.Find("status");
      if (type && status && type->is_string() && status->is_string() &&
          type->as_string() == "Ready") {
        e.ready = status->as_string() == "True";
      }
    }
  }
  if (pod.metadata.deletion_timestamp) {
    e.ready = false;
    e.terminating = true;
  }
  return e;
}

std::optional<uint32_t> PodTargetPort(const PodEndpoint& pod, const ServicePortSpec* service_port,
                                      uint32_t port) {
  int64_t container_port = port;
  if (service_port && service_port->target_port) {
    if (service_port->target_port->is_int) {
      container_port = service_port->target_port->int_value;
    } else {
      auto it = pod.port_names.find(service_port->target_port->string_value);
      if (it == pod.port_names.end()) return std::nullopt;
      container_port = it->second;
    }
  }
  auto it = pod.ports.find(container_port);
  if (it == pod.ports.end()) return std::nullopt;
  return it->second;
}

std::string FormatPodPorts(const std::map<int64_t, uint32_t>& ports) {
  std::string out;
  for (const auto& [container, given] : ports) {
    if (!out.empty()) out += ',';
    out += std::to_string(container) + "=" + std::to_string(given);
  }
  return out;
}

std::map<int64_t, uint32_t> ParsePodPorts(const std::string& text) {
  std::map<int64_t, uint32_t> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find(',', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view item(text.data() + pos, end - pos);
    size_t eq = item.find('=');
    int64_t container = 0;
    uint32_t given = 0;
    if (eq != std::string_view::npos &&
        std::from_chars(item.data(), item.data() + eq, container).ec == std::errc() &&
        std::from_chars(item.data() + eq + 1, item.data() + item.size(), given).ec == std::errc() &&
        given > 0 && given <= 65535) {
      out[container] = given;
    }
    pos = end + 1;
  }
  return out;
}

}  // namespace canaryd::config

// PodEndpoint: what routing needs of a Pod canaryd runs: whether it is ready, its loopback
// address and the port each containerPort was given. The kubelet (src/workload) records the
// ports in the annotation kPodPortsAnnotation ("80=41234,8080=41235": containerPort=port) with
// the Pod's status; the router and the endpoints controller read them through PodEndpointOf,
// so both agree on what a Pod serves. Pure functions: any thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "config/resource.h"

namespace canaryd::config {

inline constexpr const char* kPodPortsAnnotation = "canaryd.io/ports";

struct PodEndpoint {
  bool ready = false;                 // condition Ready is True, and the Pod is not being deleted
  bool terminating = false;           // being deleted (deletionTimestamp set)
  std::string ip;                     // status.podIP; "" before the Pod runs
  std::map<int64_t, uint32_t> ports;  // containerPort -> the port it listens on
  std::map<std::string, int64_t> port_names;  // containerPort name -> containerPort
};

PodEndpoint PodEndpointOf(const Resource& pod);

// The port a Service port reaches on the Pod: targetPort (a number or a containerPort name;
// the Service port when unset) mapped to the port the Pod was given; nullopt when the Pod has
// no such port.
std::optional<uint32_t> PodTargetPort(const PodEndpoint& pod, const ServicePortSpec* service_port,
                                      uint32_t port);

// "80=41234,8080=41235", and back (entries that do not parse are skipped).
std::string FormatPodPorts(const std::map<int64_t, uint32_t>& ports);
std::map<int64_t, uint32_t> ParsePodPorts(const std::string& text);

}  // namespace canaryd::config

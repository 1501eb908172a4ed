// ServiceEntry and WorkloadEntry (networking.istio.io), every field of Istio's API reference, with
// Describe() (see reflect.h): JSON names, documentation, and what canaryd accepts but does not
// serve yet (unix-socket endpoints). A WorkloadEntry's spec is also the type
// of a ServiceEntry's endpoints. Plain data: build on one thread, share read-only.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/istio_common_types.h"
#include "config/reflect.h"

namespace canaryd::config {

// Addresses canaryd does not connect to yet: unix domain sockets (unix:///path, unix://@name).
inline constexpr std::string_view kNotServedAddresses[] = {"unix://*"};

struct WorkloadEntrySpec {
  std::optional<std::string> address;
  std::map<std::string, uint32_t> ports;
  StringMap labels;
  std::optional<std::string> network;
  std::optional<std::string> locality;
  std::optional<uint32_t> weight;
  std::optional<std::string> service_account;
};
template <class V>
void Describe(V& v, WorkloadEntrySpec& t) {
  v("address", t.address,
    {.doc = "Where the workload listens: an IP address, a host name (resolved when the route "
            "table is built), or a unix domain socket (unix:///path or unix://@abstract). "
            "Required unless network is set.",
     .not_served = "a unix domain socket endpoint",
     .not_served_values = kNotServedAddresses});
  v("ports", t.ports,
    {.doc = "The workload's ports by the service's port names; a port not listed is the "
            "service's target port."});
  v("labels", t.labels,
    {.doc = "The workload's labels, which Service selectors, ServiceEntry workloadSelectors "
            "and DestinationRule subsets select by (app and version, typically)."});
  v("network", t.network,
    {.doc = "The network the workload is on, for multi-network meshes; canaryd routes to the "
            "address directly."});
  v("locality", t.locality,
    {.doc = "The workload's locality, region/zone/sub-zone, for locality-aware load "
            "balancing."});
  v("weight", t.weight,
    {.doc = "The workload's share of the traffic relative to the other endpoints of the same "
            "service (and subset), in every load-balancing policy."});
  v("serviceAccount", t.service_account,
    {.doc = "The service account of the workload, for its mesh identity."});
}

struct ServicePort {
  uint32_t number = 0;
  std::optional<std::string> protocol;
  std::string name;
  std::optional<uint32_t> target_port;
};
template <class V>
void Describe(V& v, ServicePort& t) {
  v("number", t.number, {.doc = "The port number of the service (1-65535).", .required = true});
  v("protocol", t.protocol,
    {.doc = "HTTP, HTTPS, HTTP2, GRPC, TCP, TLS, ...; canaryd speaks HTTP/1.1 to every port."});
  v("name", t.name,
    {.doc = "The port's name, unique in the ServiceEntry; endpoints name their ports by it.",
     .required = true});
  v("targetPort", t.target_port,
    {.doc = "The port on the endpoints when they do not name one; the port number when unset."});
}

struct EntryWorkloadSelector {
  StringMap labels;
};
template <class V>
void Describe(V& v, EntryWorkloadSelector& t) {
  v("labels", t.labels, {.doc = "The labels of the WorkloadEntries that serve these hosts."});
}

inline constexpr std::string_view kServiceEntryLocations[] = {"MESH_EXTERNAL", "MESH_INTERNAL"};
inline constexpr std::string_view kServiceEntryResolutions[] = {"NONE", "STATIC", "DNS",
                                                                "DNS_ROUND_ROBIN"};
struct ServiceEntrySpec {
  std::vector<std::string> hosts;
  std::vector<std::string> addresses;
  std::vector<ServicePort> ports;
  std::optional<std::string> location;
  std::optional<std::string> resolution;
  std::vector<WorkloadEntrySpec> endpoints;
  std::optional<EntryWorkloadSelector> workload_selector;
  std::vector<std::string> export_to;
  std::vector<std::string> subject_alt_names;
};
template <class V>
void Describe(V& v, ServiceEntrySpec& t) {
  v("hosts", t.hosts,
    {.doc = "The names of the service, which routes' destination hosts refer to; a leading "
            "wildcard (\"*.example.com\") is allowed, \"*\" alone is not.",
     .required = true});
  v("addresses", t.addresses,
    {.doc = "Virtual IP addresses or CIDR blocks of the service, for sidecars that route by "
            "address; CIDR blocks only with resolution NONE or STATIC. canaryd routes by host."});
  v("ports", t.ports, {.doc = "The ports of the service."});
  v("location", t.location,
    {.doc = "MESH_EXTERNAL (outside the mesh, the default) or MESH_INTERNAL; it changes "
            "Istio's mTLS and telemetry, not canaryd's routing.",
     .enum_values = kServiceEntryLocations});
  v("resolution", t.resolution,
    {.doc = "How endpoints are found: NONE (the default: the address the client asked for), "
            "STATIC (the endpoints' IP addresses), DNS or DNS_ROUND_ROBIN (the endpoints' host "
            "names or, without endpoints, the hosts themselves; DNS_ROUND_ROBIN allows at most "
            "one endpoint).",
     .enum_values = kServiceEntryResolutions});
  v("endpoints", t.endpoints,
    {.doc = "The service's endpoints, written in place; not with workloadSelector."});
  v("workloadSelector", t.workload_selector,
    {.doc = "Selects WorkloadEntries in this namespace as the endpoints; not with endpoints."});
  v("exportTo", t.export_to,
    {.doc = "The namespaces this entry is visible to (\".\" its own, \"*\" all); all when unset.",
     .not_served = "exportTo (visibility across namespaces)"});
  v("subjectAltNames", t.subject_alt_names,
    {.doc = "Names the endpoints' certificates must carry when Istio connects with mutual TLS."});
}

}  // namespace canaryd::config

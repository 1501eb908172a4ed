// Typed structs for the Kubernetes parts canaryd serves: ObjectMeta, core/v1 Service and
// Namespace. Fields Kubernetes defines but canaryd has no use for are still decoded (and kept),
// so a manifest written for a cluster is accepted as written. Plain data, see reflect.h.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/reflect.h"

namespace canaryd::config {

struct OwnerReference {
  std::string api_version;
  std::string kind;
  std::string name;
  std::string uid;
  std::optional<bool> controller;
  std::optional<bool> block_owner_deletion;
};
template <class V>
void Describe(V& v, OwnerReference& t) {
  v("apiVersion", t.api_version, {.doc = "The API version of the owner.", .required = true});
  v("kind", t.kind, {.doc = "The kind of the owner.", .required = true});
  v("name", t.name, {.doc = "The name of the owner.", .required = true});
  v("uid", t.uid, {.doc = "The uid of the owner.", .required = true});
  v("controller", t.controller, {.doc = "Whether the owner is the managing controller."});
  v("blockOwnerDeletion", t.block_owner_deletion,
    {.doc = "Whether the owner's deletion waits for this object's (foreground deletion); canaryd "
            "does not collect garbage."});
}

struct ObjectMeta {
  std::string name;
  std::optional<std::string> generate_name;
  std::string namespace_;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::optional<std::string> uid;
  std::optional<std::string> resource_version;
  std::optional<int64_t> generation;
  std::optional<std::string> creation_timestamp;
  std::optional<std::string> deletion_timestamp;
  std::optional<int64_t> deletion_grace_period_seconds;
  std::vector<std::string> finalizers;
  std::vector<OwnerReference> owner_references;
  std::vector<AnyValue> managed_fields;
  std::optional<std::string> self_link;
};
template <class V>
void Describe(V& v, ObjectMeta& t) {
  v("name", t.name,
    {.doc = "The object's name, unique per kind and namespace; a DNS-1123 subdomain (a DNS-1035 "
            "label for Services)."});
  v("generateName", t.generate_name,
    {.doc = "A prefix from which a unique name is made when name is empty."});
  v("namespace", t.namespace_,
    {.doc = "The namespace of the object; \"default\" when unset. Namespaces need not exist in "
            "canaryd."});
  v("labels", t.labels, {.doc = "Key-value pairs for selecting and organising objects."});
  v("annotations", t.annotations,
    {.doc = "Key-value pairs of non-identifying information for tools."});
  v("uid", t.uid, {.doc = "A unique id the server sets when the object is created."});
  v("resourceVersion", t.resource_version,
    {.doc = "The store's revision of the object, for optimistic concurrency and watches; set by "
            "the server."});
  v("generation", t.generation, {.doc = "How many times the spec has changed; set by the server."});
  v("creationTimestamp", t.creation_timestamp,
    {.doc = "When the object was created (RFC 3339); set by the server."});
  v("deletionTimestamp", t.deletion_timestamp,
    {.doc = "When the object is to be deleted; set by the server."});
  v("deletionGracePeriodSeconds", t.deletion_grace_period_seconds,
    {.doc = "Seconds allowed for graceful deletion; set by the server."});
  v("finalizers", t.finalizers,
    {.doc = "Names of controllers that must act before the object is deleted."});
  v("ownerReferences", t.owner_references, {.doc = "The objects this object depends on."});
  v("managedFields", t.managed_fields,
    {.doc = "Which field manager set which fields (server-side apply); kept by the server."});
  v("selfLink", t.self_link,
    {.doc = "Deprecated and unused; kept as written.", .deprecated = true});
}

inline constexpr std::string_view kServicePortProtocols[] = {"TCP", "UDP", "SCTP"};
struct ServicePortSpec {
  std::optional<std::string> name;
  std::optional<std::string> protocol;
  std::optional<std::string> app_protocol;
  int64_t port = 0;
  std::optional<IntOrString> target_port;
  std::optional<int64_t> node_port;
};
template <class V>
void Describe(V& v, ServicePortSpec& t) {
  v("name", t.name,
    {.doc = "The port's name, unique in the Service; a WorkloadEntry's ports and a Service's "
            "targetPort refer to it."});
  v("protocol", t.protocol,
    {.doc = "TCP (the default), UDP or SCTP; canaryd speaks HTTP/1.1 to every port.",
     .enum_values = kServicePortProtocols});
  v("appProtocol", t.app_protocol,
    {.doc = "The application protocol (such as http), which Istio uses to pick a protocol."});
  v("port", t.port,
    {.doc = "The port number of the Service, which routes' destination.port refers to.",
     .required = true});
  v("targetPort", t.target_port,
    {.doc = "The workload's port: a number, or the name of a port in its WorkloadEntry's ports; "
            "the port number when unset."});
  v("nodePort", t.node_port,
    {.doc = "The node port of a NodePort or LoadBalancer Service; canaryd ignores it."});
}

inline constexpr std::string_view kServiceTypes[] = {"ClusterIP", "NodePort", "LoadBalancer",
                                                     "ExternalName"};
struct ServiceSpec {
  std::vector<ServicePortSpec> ports;
  std::map<std::string, std::string> selector;
  std::optional<std::string> cluster_ip;
  std::vector<std::string> cluster_ips;
  std::optional<std::string> type;
  std::vector<std::string> external_ips;
  std::optional<std::string> session_affinity;
  std::optional<std::string> load_balancer_ip;
  std::vector<std::string> load_balancer_source_ranges;
  std::optional<std::string> external_name;
  std::optional<std::string> external_traffic_policy;
  std::optional<int64_t> health_check_node_port;
  std::optional<bool> publish_not_ready_addresses;
  std::optional<AnyValue> session_affinity_config;
  std::vector<std::string> ip_families;
  std::optional<std::string> ip_family_policy;
  std::optional<bool> allocate_load_balancer_node_ports;
  std::optional<std::string> load_balancer_class;
  std::optional<std::string> internal_traffic_policy;
  std::optional<std::string> traffic_distribution;
};
template <class V>
void Describe(V& v, ServiceSpec& t) {
  v("ports", t.ports, {.doc = "The Service's ports."});
  v("selector", t.selector,
    {.doc = "The labels of the workloads (WorkloadEntries in the same namespace) that are the "
            "Service's endpoints; no selector: no endpoints."});
  v("clusterIP", t.cluster_ip,
    {.doc = "The virtual IP address of the Service in a cluster; canaryd routes by name and "
            "ignores it."});
  v("clusterIPs", t.cluster_ips,
    {.doc = "The virtual IP addresses of the Service (one per IP family); ignored by canaryd."});
  v("type", t.type,
    {.doc = "ClusterIP, NodePort, LoadBalancer or ExternalName: how a cluster exposes the Service; "
            "canaryd routes the same way for all.",
     .enum_values = kServiceTypes});
  v("externalIPs", t.external_ips,
    {.doc = "Addresses on which a cluster's nodes accept traffic for the Service; ignored by "
            "canaryd."});
  v("sessionAffinity", t.session_affinity,
    {.doc = "ClientIP or None: kube-proxy's client affinity; ignored by canaryd."});
  v("loadBalancerIP", t.load_balancer_ip,
    {.doc = "A requested load-balancer address (deprecated in Kubernetes); ignored by canaryd."});
  v("loadBalancerSourceRanges", t.load_balancer_source_ranges,
    {.doc = "Client ranges a cloud load balancer admits; ignored by canaryd."});
  v("externalName", t.external_name,
    {.doc =
         "The DNS name an ExternalName Service aliases; ignored by canaryd (use a ServiceEntry)."});
  v("externalTrafficPolicy", t.external_traffic_policy,
    {.doc = "Cluster or Local: how node traffic is routed; ignored by canaryd."});
  v("healthCheckNodePort", t.health_check_node_port,
    {.doc = "The node port of the health check for Local traffic policy; ignored by canaryd."});
  v("publishNotReadyAddresses", t.publish_not_ready_addresses,
    {.doc = "Whether the Pods the selector matches are endpoints (routed to, and listed as "
            "addresses) before they are ready; canaryd never routes to a terminating Pod, so "
            "that its graceful stop cuts no request."});
  v("sessionAffinityConfig", t.session_affinity_config,
    {.doc = "Settings of sessionAffinity; kept as written and ignored."});
  v("ipFamilies", t.ip_families,
    {.doc = "The IP families (IPv4, IPv6) of the Service's cluster IPs; ignored by canaryd."});
  v("ipFamilyPolicy", t.ip_family_policy,
    {.doc = "SingleStack, PreferDualStack or RequireDualStack; ignored by canaryd."});
  v("allocateLoadBalancerNodePorts", t.allocate_load_balancer_node_ports,
    {.doc = "Whether a LoadBalancer Service gets node ports; ignored by canaryd."});
  v("loadBalancerClass", t.load_balancer_class,
    {.doc = "The load-balancer implementation a cluster uses; ignored by canaryd."});
  v("internalTrafficPolicy", t.internal_traffic_policy,
    {.doc = "Cluster or Local for traffic from inside a cluster; ignored by canaryd."});
  v("trafficDistribution", t.traffic_distribution,
    {.doc = "A preference for topologically close endpoints; ignored by canaryd."});
}

struct NamespaceSpec {
  std::vector<std::string> finalizers;
};
template <class V>
void Describe(V& v, NamespaceSpec& t) {
  v("finalizers", t.finalizers,
    {.doc = "Names of controllers that must act before the namespace is deleted."});
}

}  // namespace canaryd::config

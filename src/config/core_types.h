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
  v("apiVersion", t.api_version, kRequired);
  v("kind", t.kind, kRequired);
  v("name", t.name, kRequired);
  v("uid", t.uid, kRequired);
  v("controller", t.controller);
  v("blockOwnerDeletion", t.block_owner_deletion);
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
  v("name", t.name);
  v("generateName", t.generate_name);
  v("namespace", t.namespace_);
  v("labels", t.labels);
  v("annotations", t.annotations);
  v("uid", t.uid);
  v("resourceVersion", t.resource_version);
  v("generation", t.generation);
  v("creationTimestamp", t.creation_timestamp);
  v("deletionTimestamp", t.deletion_timestamp);
  v("deletionGracePeriodSeconds", t.deletion_grace_period_seconds);
  v("finalizers", t.finalizers);
  v("ownerReferences", t.owner_references);
  v("managedFields", t.managed_fields);
  v("selfLink", t.self_link);
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
  v("name", t.name);
  v("protocol", t.protocol, FieldOptions{.enum_values = kServicePortProtocols});
  v("appProtocol", t.app_protocol);
  v("port", t.port, kRequired);
  v("targetPort", t.target_port);
  v("nodePort", t.node_port);
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
  v("ports", t.ports);
  v("selector", t.selector);
  v("clusterIP", t.cluster_ip);
  v("clusterIPs", t.cluster_ips);
  v("type", t.type, FieldOptions{.enum_values = kServiceTypes});
  v("externalIPs", t.external_ips);
  v("sessionAffinity", t.session_affinity);
  v("loadBalancerIP", t.load_balancer_ip);
  v("loadBalancerSourceRanges", t.load_balancer_source_ranges);
  v("externalName", t.external_name);
  v("externalTrafficPolicy", t.external_traffic_policy);
  v("healthCheckNodePort", t.health_check_node_port);
  v("publishNotReadyAddresses", t.publish_not_ready_addresses);
  v("sessionAffinityConfig", t.session_affinity_config);
  v("ipFamilies", t.ip_families);
  v("ipFamilyPolicy", t.ip_family_policy);
  v("allocateLoadBalancerNodePorts", t.allocate_load_balancer_node_ports);
  v("loadBalancerClass", t.load_balancer_class);
  v("internalTrafficPolicy", t.internal_traffic_policy);
  v("trafficDistribution", t.traffic_distribution);
}

struct NamespaceSpec {
  std::vector<std::string> finalizers;
};
template <class V>
void Describe(V& v, NamespaceSpec& t) {
  v("finalizers", t.finalizers);
}

}  // namespace canaryd::config

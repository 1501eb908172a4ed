// Typed structs for the workload kinds canaryd runs itself: apps/v1 Deployment and ReplicaSet,
// core/v1 Pod (their containers run as local processes, see src/workload/) and core/v1
// Endpoints (written by canaryd from ready Pods; read by the router for Services without a
// selector). Fields Kubernetes defines that canaryd cannot honour without a container runtime
// are decoded and marked not served, so a manifest written for a cluster is accepted with a
// warning rather than silently. Plain data, see reflect.h.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/core_types.h"
#include "config/reflect.h"

namespace canaryd::config {

inline constexpr std::string_view kSelectorOperators[] = {"In", "NotIn", "Exists", "DoesNotExist"};
struct LabelSelectorRequirement {
  std::string key;
  std::string operator_;
  std::vector<std::string> values;
};
template <class V>
void Describe(V& v, LabelSelectorRequirement& t) {
  v("key", t.key, {.doc = "The label key the requirement applies to.", .required = true});
  v("operator", t.operator_,
    {.doc = "In, NotIn, Exists or DoesNotExist.",
     .required = true,
     .enum_values = kSelectorOperators});
  v("values", t.values,
    {.doc = "The values for In and NotIn (non-empty); empty for Exists and DoesNotExist."});
}

struct LabelSelectorSpec {
  std::map<std::string, std::string> match_labels;
  std::vector<LabelSelectorRequirement> match_expressions;
};
template <class V>
void Describe(V& v, LabelSelectorSpec& t) {
  v("matchLabels", t.match_labels, {.doc = "Labels a Pod must have, each with this value."});
  v("matchExpressions", t.match_expressions,
    {.doc = "Requirements a Pod's labels must meet, all of them."});
}

struct ObjectFieldSelector {
  std::optional<std::string> api_version;
  std::string field_path;
};
inline constexpr std::string_view kDownwardFields[] = {
    "metadata.name", "metadata.namespace", "metadata.uid",           "status.podIP",
    "status.hostIP", "spec.nodeName",      "spec.serviceAccountName"};
template <class V>
void Describe(V& v, ObjectFieldSelector& t) {
  v("apiVersion", t.api_version, {.doc = "The version of fieldPath's schema; v1."});
  v("fieldPath", t.field_path,
    {.doc = "The Pod field whose value the variable gets: metadata.name, metadata.namespace, "
            "metadata.uid, status.podIP, status.hostIP, spec.nodeName or "
            "spec.serviceAccountName.",
     .required = true,
     .enum_values = kDownwardFields});
}

struct EnvVarSource {
  std::optional<ObjectFieldSelector> field_ref;
  std::optional<AnyValue> config_map_key_ref;
  std::optional<AnyValue> secret_key_ref;
  std::optional<AnyValue> resource_field_ref;
};
template <class V>
void Describe(V& v, EnvVarSource& t) {
  v("fieldRef", t.field_ref, {.doc = "A field of the Pod (the downward API)."});
  v("configMapKeyRef", t.config_map_key_ref,
    {.doc = "A key of a ConfigMap.", .not_served = "env from a ConfigMap key"});
  v("secretKeyRef", t.secret_key_ref,
    {.doc = "A key of a Secret.", .not_served = "env from a Secret key"});
  v("resourceFieldRef", t.resource_field_ref,
    {.doc = "A container's resource limit or request.", .not_served = "env from resource limits"});
}

struct EnvVar {
  std::string name;
  std::optional<std::string> value;
  std::optional<EnvVarSource> value_from;
};
template <class V>
void Describe(V& v, EnvVar& t) {
  v("name", t.name, {.doc = "The variable's name.", .required = true});
  v("value", t.value,
    {.doc = "The value; $(VAR) refers to a variable defined earlier ($$ for a literal $)."});
  v("valueFrom", t.value_from, {.doc = "Where the value comes from, instead of value."});
}

inline constexpr std::string_view kPortProtocols[] = {"TCP", "UDP", "SCTP"};
inline constexpr std::string_view kUdpSctp[] = {"UDP", "SCTP"};
struct ContainerPort {
  std::optional<std::string> name;
  int64_t container_port = 0;
  std::optional<std::string> protocol;
  std::optional<int64_t> host_port;
  std::optional<std::string> host_ip;
};
template <class V>
void Describe(V& v, ContainerPort& t) {
  v("name", t.name, {.doc = "The port's name, which a Service's targetPort may refer to."});
  v("containerPort", t.container_port,
    {.doc = "The port the container serves. canaryd gives every Pod its own loopback address "
            "and a free port for each containerPort (env PORT for the first, PORT_<NAME> for a "
            "named one); the Pod's endpoints are that address and port.",
     .required = true});
  v("protocol", t.protocol,
    {.doc = "TCP (the default), UDP or SCTP.",
     .enum_values = kPortProtocols,
     .not_served = "a protocol other than TCP",
     .not_served_values = kUdpSctp});
  v("hostPort", t.host_port, {.doc = "A port of the node.", .not_served = "hostPort"});
  v("hostIP", t.host_ip, {.doc = "The node address of hostPort.", .not_served = "hostIP"});
}

struct HttpHeader {
  std::string name;
  std::string value;
};
template <class V>
void Describe(V& v, HttpHeader& t) {
  v("name", t.name, {.doc = "The header name.", .required = true});
  v("value", t.value, {.doc = "The header value.", .required = true});
}

inline constexpr std::string_view kProbeSchemes[] = {"HTTP", "HTTPS"};
inline constexpr std::string_view kHttpsOnly[] = {"HTTPS"};
struct HttpGetAction {
  std::optional<std::string> path;
  IntOrString port;
  std::optional<std::string> host;
  std::optional<std::string> scheme;
  std::vector<HttpHeader> http_headers;
};
template <class V>
void Describe(V& v, HttpGetAction& t) {
  v("path", t.path, {.doc = "The path to GET; \"/\" when unset."});
  v("port", t.port,
    {.doc = "A containerPort number or name; the probe goes to the port canaryd gave it.",
     .required = true});
  v("host", t.host, {.doc = "The host to connect to; the Pod's address when unset."});
  v("scheme", t.scheme,
    {.doc = "HTTP (the default) or HTTPS.",
     .enum_values = kProbeSchemes,
     .not_served = "HTTPS probes",
     .not_served_values = kHttpsOnly});
  v("httpHeaders", t.http_headers, {.doc = "Headers to send."});
}

struct TcpSocketAction {
  IntOrString port;
  std::optional<std::string> host;
};
template <class V>
void Describe(V& v, TcpSocketAction& t) {
  v("port", t.port, {.doc = "A containerPort number or name.", .required = true});
  v("host", t.host, {.doc = "The host to connect to; the Pod's address when unset."});
}

struct ExecAction {
  std::vector<std::string> command;
};
template <class V>
void Describe(V& v, ExecAction& t) {
  v("command", t.command,
    {.doc = "The command to run, as the container's user, without a shell; exit 0 is success. "
            "Allowed only where the image catalog entry allows a command.",
     .required = true});
}

struct Probe {
  std::optional<ExecAction> exec;
  std::optional<HttpGetAction> http_get;
  std::optional<TcpSocketAction> tcp_socket;
  std::optional<AnyValue> grpc;
  std::optional<int64_t> initial_delay_seconds;
  std::optional<int64_t> timeout_seconds;
  std::optional<int64_t> period_seconds;
  std::optional<int64_t> success_threshold;
  std::optional<int64_t> failure_threshold;
  std::optional<int64_t> termination_grace_period_seconds;
};
template <class V>
void Describe(V& v, Probe& t) {
  v("exec", t.exec, {.doc = "Run a command."});
  v("httpGet", t.http_get, {.doc = "GET a path: 200-399 is success."});
  v("tcpSocket", t.tcp_socket, {.doc = "Connect to a port."});
  v("grpc", t.grpc, {.doc = "A gRPC health check.", .not_served = "gRPC probes"});
  v("initialDelaySeconds", t.initial_delay_seconds,
    {.doc = "Seconds after the container started before the first probe; 0 by default."});
  v("timeoutSeconds", t.timeout_seconds, {.doc = "Seconds a probe may take; 1 by default."});
  v("periodSeconds", t.period_seconds, {.doc = "Seconds between probes; 10 by default."});
  v("successThreshold", t.success_threshold,
    {.doc = "Consecutive successes after a failure to count as success; 1 by default (and 1 for "
            "liveness and startup probes)."});
  v("failureThreshold", t.failure_threshold,
    {.doc = "Consecutive failures to count as failure; 3 by default."});
  v("terminationGracePeriodSeconds", t.termination_grace_period_seconds,
    {.doc = "The grace period when this probe's failure kills the container; the Pod's when "
            "unset."});
}

struct SecurityContext {
  std::optional<int64_t> run_as_user;
  std::optional<int64_t> run_as_group;
  std::optional<bool> run_as_non_root;
  std::optional<bool> privileged;
  std::optional<bool> allow_privilege_escalation;
  std::optional<bool> read_only_root_filesystem;
  std::optional<AnyValue> capabilities;
  std::optional<AnyValue> seccomp_profile;
};
template <class V>
void Describe(V& v, SecurityContext& t) {
  v("runAsUser", t.run_as_user,
    {.doc = "The uid the process runs as; may only lower privileges (never 0 unless the image "
            "catalog's entry runs as root)."});
  v("runAsGroup", t.run_as_group, {.doc = "The gid the process runs as."});
  v("runAsNonRoot", t.run_as_non_root,
    {.doc = "Refuse to start the container if it would run as root."});
  v("privileged", t.privileged, {.doc = "Privileged mode.", .not_served = "privileged containers"});
  v("allowPrivilegeEscalation", t.allow_privilege_escalation,
    {.doc = "no_new_privs; canaryd always sets it for the processes it starts."});
  v("readOnlyRootFilesystem", t.read_only_root_filesystem,
    {.doc = "A read-only root file system.", .not_served = "readOnlyRootFilesystem"});
  v("capabilities", t.capabilities,
    {.doc = "Capabilities to add or drop.", .not_served = "capabilities"});
  v("seccompProfile", t.seccomp_profile,
    {.doc = "A seccomp profile.", .not_served = "seccomp profiles"});
}

inline constexpr std::string_view kPullPolicies[] = {"Always", "IfNotPresent", "Never"};
struct Container {
  std::string name;
  std::optional<std::string> image;
  std::optional<std::vector<std::string>> command;
  std::optional<std::vector<std::string>> args;
  std::optional<std::string> working_dir;
  std::vector<ContainerPort> ports;
  std::vector<EnvVar> env;
  std::optional<AnyValue> env_from;
  std::optional<AnyValue> resources;
  std::optional<AnyValue> volume_mounts;
  std::optional<Probe> liveness_probe;
  std::optional<Probe> readiness_probe;
  std::optional<Probe> startup_probe;
  std::optional<AnyValue> lifecycle;
  std::optional<std::string> termination_message_path;
  std::optional<std::string> termination_message_policy;
  std::optional<std::string> image_pull_policy;
  std::optional<SecurityContext> security_context;
  std::optional<bool> stdin;
  std::optional<bool> tty;
};
template <class V>
void Describe(V& v, Container& t) {
  v("name", t.name, {.doc = "The container's name, unique in the Pod.", .required = true});
  v("image", t.image,
    {.doc = "The image, resolved to a local command by the image catalog (--image-catalog; "
            "gardnera/canarytester:<tag> is built in and runs the demo app as version <tag>).",
     .required = true});
  v("command", t.command,
    {.doc = "Replaces the catalog's command, where the catalog entry allows it; $(VAR) expands."});
  v("args", t.args,
    {.doc = "Replaces the catalog's arguments, where the catalog entry allows it; $(VAR) "
            "expands."});
  v("workingDir", t.working_dir, {.doc = "The working directory; the catalog's when unset."});
  v("ports", t.ports, {.doc = "The ports the container serves."});
  v("env", t.env,
    {.doc = "Environment variables, in order; the process gets nothing else but "
            "the catalog's, PATH, HOME, PORT*, POD_NAME, POD_NAMESPACE, POD_IP."});
  v("envFrom", t.env_from,
    {.doc = "Variables from ConfigMaps or Secrets.", .not_served = "envFrom"});
  v("resources", t.resources,
    {.doc = "CPU and memory requests and limits.", .not_served = "resource requests and limits"});
  v("volumeMounts", t.volume_mounts, {.doc = "Volumes to mount.", .not_served = "volume mounts"});
  v("livenessProbe", t.liveness_probe,
    {.doc = "When it fails failureThreshold times, the container is killed and restarted as "
            "restartPolicy says."});
  v("readinessProbe", t.readiness_probe,
    {.doc = "While it fails the Pod is not ready and no endpoint. Without one, a container is "
            "ready once its first port accepts a connection."});
  v("startupProbe", t.startup_probe,
    {.doc = "Liveness and readiness probes wait until it succeeds once."});
  v("lifecycle", t.lifecycle,
    {.doc = "postStart and preStop hooks.", .not_served = "lifecycle hooks"});
  v("terminationMessagePath", t.termination_message_path,
    {.doc = "A file for the termination message.", .not_served = "termination messages"});
  v("terminationMessagePolicy", t.termination_message_policy,
    {.doc = "File or FallbackToLogsOnError.", .not_served = "termination messages"});
  v("imagePullPolicy", t.image_pull_policy,
    {.doc = "Always, IfNotPresent or Never; there is nothing to pull, the catalog is consulted at "
            "every start whatever it says.",
     .enum_values = kPullPolicies});
  v("securityContext", t.security_context, {.doc = "The container's security settings."});
  v("stdin", t.stdin, {.doc = "Keep stdin open.", .not_served = "stdin"});
  v("tty", t.tty, {.doc = "Allocate a terminal.", .not_served = "tty"});
}

struct PodSecurityContext {
  std::optional<int64_t> run_as_user;
  std::optional<int64_t> run_as_group;
  std::optional<bool> run_as_non_root;
  std::optional<int64_t> fs_group;
  std::optional<AnyValue> supplemental_groups;
  std::optional<AnyValue> seccomp_profile;
};
template <class V>
void Describe(V& v, PodSecurityContext& t) {
  v("runAsUser", t.run_as_user,
    {.doc = "The uid of every container unless its own securityContext says; may only lower "
            "privileges."});
  v("runAsGroup", t.run_as_group, {.doc = "The gid of every container."});
  v("runAsNonRoot", t.run_as_non_root, {.doc = "Refuse to run containers as root."});
  v("fsGroup", t.fs_group, {.doc = "The group of volumes.", .not_served = "fsGroup"});
  v("supplementalGroups", t.supplemental_groups,
    {.doc = "Extra groups.", .not_served = "supplementalGroups"});
  v("seccompProfile", t.seccomp_profile,
    {.doc = "A seccomp profile.", .not_served = "seccomp profiles"});
}

inline constexpr std::string_view kRestartPolicies[] = {"Always", "OnFailure", "Never"};
struct PodSpec {
  std::vector<Container> containers;
  std::optional<AnyValue> init_containers;
  std::optional<std::string> restart_policy;
  std::optional<int64_t> termination_grace_period_seconds;
  std::optional<PodSecurityContext> security_context;
  std::optional<AnyValue> volumes;
  std::optional<std::string> node_name;
  std::optional<AnyValue> node_selector;
  std::optional<AnyValue> affinity;
  std::optional<AnyValue> tolerations;
  std::optional<std::string> service_account_name;
  std::optional<std::string> service_account;
  std::optional<bool> automount_service_account_token;
  std::optional<AnyValue> image_pull_secrets;
  std::optional<std::string> dns_policy;
  std::optional<std::string> scheduler_name;
  std::optional<std::string> hostname;
  std::optional<std::string> subdomain;
  std::optional<bool> host_network;
  std::optional<bool> enable_service_links;
  std::optional<int64_t> active_deadline_seconds;
  std::optional<std::string> priority_class_name;
  std::optional<AnyValue> topology_spread_constraints;
};
template <class V>
void Describe(V& v, PodSpec& t) {
  v("containers", t.containers,
    {.doc = "The containers, each run as a local process.", .required = true});
  v("initContainers", t.init_containers,
    {.doc = "Containers run to completion first.", .not_served = "init containers"});
  v("restartPolicy", t.restart_policy,
    {.doc = "Always (the default), OnFailure or Never: whether an exited container is started "
            "again, after a back-off of 10 s doubling to 5 min.",
     .enum_values = kRestartPolicies});
  v("terminationGracePeriodSeconds", t.termination_grace_period_seconds,
    {.doc = "Seconds between SIGTERM and SIGKILL when the Pod stops; 30 by default."});
  v("securityContext", t.security_context, {.doc = "Security settings of every container."});
  v("volumes", t.volumes, {.doc = "Volumes.", .not_served = "volumes"});
  v("nodeName", t.node_name, {.doc = "The node the Pod runs on; canaryd's own."});
  v("nodeSelector", t.node_selector,
    {.doc = "Labels a node must have.", .not_served = "node selection"});
  v("affinity", t.affinity, {.doc = "Scheduling affinity.", .not_served = "affinity"});
  v("tolerations", t.tolerations, {.doc = "Taints tolerated.", .not_served = "tolerations"});
  v("serviceAccountName", t.service_account_name,
    {.doc = "The service account; shown, no token is mounted."});
  v("serviceAccount", t.service_account,
    {.doc = "Deprecated alias of serviceAccountName.", .deprecated = true});
  v("automountServiceAccountToken", t.automount_service_account_token,
    {.doc = "Whether a token is mounted; canaryd mounts none."});
  v("imagePullSecrets", t.image_pull_secrets,
    {.doc = "Registry credentials; there is no registry.", .not_served = "image pull secrets"});
  v("dnsPolicy", t.dns_policy, {.doc = "DNS settings; processes use the host's resolver."});
  v("schedulerName", t.scheduler_name, {.doc = "The scheduler; canaryd places every Pod itself."});
  v("hostname", t.hostname, {.doc = "The Pod's host name.", .not_served = "hostname"});
  v("subdomain", t.subdomain, {.doc = "The Pod's subdomain.", .not_served = "subdomain"});
  v("hostNetwork", t.host_network,
    {.doc = "Use the node's network; every Pod is on the host's loopback anyway."});
  v("enableServiceLinks", t.enable_service_links,
    {.doc = "Service environment variables.", .not_served = "service links"});
  v("activeDeadlineSeconds", t.active_deadline_seconds,
    {.doc = "A deadline for the Pod.", .not_served = "activeDeadlineSeconds"});
  v("priorityClassName", t.priority_class_name,
    {.doc = "Scheduling priority; every Pod is placed at once.", .not_served = "priority classes"});
  v("topologySpreadConstraints", t.topology_spread_constraints,
    {.doc = "Spreading over nodes.", .not_served = "topology spread"});
}

struct PodTemplateSpec {
  ObjectMeta metadata;
  PodSpec spec;
};
template <class V>
void Describe(V& v, PodTemplateSpec& t) {
  v("metadata", t.metadata, {.doc = "The Pods' labels and annotations."});
  v("spec", t.spec, {.doc = "The Pods' spec.", .required = true});
}

struct RollingUpdateDeployment {
  std::optional<IntOrString> max_surge;
  std::optional<IntOrString> max_unavailable;
};
template <class V>
void Describe(V& v, RollingUpdateDeployment& t) {
  v("maxSurge", t.max_surge,
    {.doc = "Pods above replicas during an update: a number or a percentage (rounded up); 25% by "
            "default."});
  v("maxUnavailable", t.max_unavailable,
    {.doc = "Pods below replicas during an update: a number or a percentage (rounded down); 25% "
            "by default."});
}

inline constexpr std::string_view kDeploymentStrategies[] = {"RollingUpdate", "Recreate"};
struct DeploymentStrategy {
  std::optional<std::string> type;
  std::optional<RollingUpdateDeployment> rolling_update;
};
template <class V>
void Describe(V& v, DeploymentStrategy& t) {
  v("type", t.type,
    {.doc = "RollingUpdate (the default) or Recreate.", .enum_values = kDeploymentStrategies});
  v("rollingUpdate", t.rolling_update, {.doc = "The rolling update's bounds."});
}

struct DeploymentSpec {
  std::optional<int64_t> replicas;
  LabelSelectorSpec selector;
  PodTemplateSpec template_;
  std::optional<DeploymentStrategy> strategy;
  std::optional<int64_t> min_ready_seconds;
  std::optional<int64_t> revision_history_limit;
  std::optional<bool> paused;
  std::optional<int64_t> progress_deadline_seconds;
};
template <class V>
void Describe(V& v, DeploymentSpec& t) {
  v("replicas", t.replicas, {.doc = "How many Pods; 1 by default."});
  v("selector", t.selector,
    {.doc = "The Pods the Deployment owns; must match the template's labels.", .required = true});
  v("template", t.template_, {.doc = "The Pods to run.", .required = true});
  v("strategy", t.strategy, {.doc = "How a template change replaces Pods."});
  v("minReadySeconds", t.min_ready_seconds,
    {.doc = "Seconds a Pod must be ready before it counts as available; 0 by default."});
  v("revisionHistoryLimit", t.revision_history_limit,
    {.doc = "Old ReplicaSets kept for rollback; 10 by default."});
  v("paused", t.paused, {.doc = "While true, a template change starts no rollout."});
  v("progressDeadlineSeconds", t.progress_deadline_seconds,
    {.doc = "Seconds without progress before the rollout is reported failed "
            "(ProgressDeadlineExceeded); 600 by default."});
}

struct ReplicaSetSpec {
  std::optional<int64_t> replicas;
  LabelSelectorSpec selector;
  std::optional<PodTemplateSpec> template_;
  std::optional<int64_t> min_ready_seconds;
};
template <class V>
void Describe(V& v, ReplicaSetSpec& t) {
  v("replicas", t.replicas, {.doc = "How many Pods; 1 by default."});
  v("selector", t.selector,
    {.doc = "The Pods the ReplicaSet owns; must match the template's labels.", .required = true});
  v("template", t.template_, {.doc = "The Pods to run."});
  v("minReadySeconds", t.min_ready_seconds,
    {.doc = "Seconds a Pod must be ready before it counts as available; 0 by default."});
}

// core/v1 Endpoints (no spec: subsets beside metadata).
struct EndpointAddress {
  std::string ip;
  std::optional<std::string> hostname;
  std::optional<std::string> node_name;
  std::optional<AnyValue> target_ref;
};
template <class V>
void Describe(V& v, EndpointAddress& t) {
  v("ip", t.ip, {.doc = "The endpoint's IP address.", .required = true});
  v("hostname", t.hostname, {.doc = "The endpoint's host name."});
  v("nodeName", t.node_name, {.doc = "The node of the endpoint."});
  v("targetRef", t.target_ref, {.doc = "The object (a Pod) behind the endpoint."});
}
struct EndpointPort {
  std::optional<std::string> name;
  int64_t port = 0;
  std::optional<std::string> protocol;
  std::optional<std::string> app_protocol;
};
template <class V>
void Describe(V& v, EndpointPort& t) {
  v("name", t.name, {.doc = "The Service port's name."});
  v("port", t.port, {.doc = "The port number.", .required = true});
  v("protocol", t.protocol, {.doc = "TCP, UDP or SCTP.", .enum_values = kPortProtocols});
  v("appProtocol", t.app_protocol, {.doc = "The application protocol."});
}
struct EndpointSubset {
  std::vector<EndpointAddress> addresses;
  std::vector<EndpointAddress> not_ready_addresses;
  std::vector<EndpointPort> ports;
};
template <class V>
void Describe(V& v, EndpointSubset& t) {
  v("addresses", t.addresses, {.doc = "Ready endpoints."});
  v("notReadyAddresses", t.not_ready_addresses, {.doc = "Endpoints that are not ready."});
  v("ports", t.ports, {.doc = "The ports of every address of the subset."});
}
struct EndpointsBody {
  std::vector<EndpointSubset> subsets;
};
template <class V>
void Describe(V& v, EndpointsBody& t) {
  v("subsets", t.subsets,
    {.doc = "Addresses and ports. canaryd writes them for every Service with a selector (from "
            "ready Pods and WorkloadEntries); for a Service without one, the router sends to "
            "the ready addresses written here."});
}

}  // namespace canaryd::config

#include "api/protobuf_body.h"

#include <span>
#include <string_view>

#include "api/object_util.h"
#include "api/protobuf_wire.h"
#include "common/base64.h"

namespace canaryd::api {
namespace {

using nlohmann::json;

// How a field's value is encoded and shown in JSON.
enum class T {
  kString,
  kBytes,  // base64 in JSON
  kBool,
  kInt32,
  kInt64,
  kMessage,
  kStringMap,    // map<string, string>
  kBytesMap,     // map<string, bytes>
  kQuantity,     // k8s.io.apimachinery.pkg.api.resource.Quantity, a string in JSON
  kQuantityMap,  // map<string, Quantity>
  kIntOrString,  // k8s.io.apimachinery.pkg.util.intstr.IntOrString
  kTime,         // k8s.io.apimachinery.pkg.apis.meta.v1.Time, RFC 3339 in JSON
  kUnsupported,  // known, but not read: an error when present
};

struct Message;
struct Field {
  uint32_t number;
  const char* json;
  T type;
  const Message* message = nullptr;
  bool repeated = false;
  // A Go pointer field: present means set, even to its zero value (Secret immutable: false).
  bool pointer = false;
};
struct Message {
  const char* name;
  std::span<const Field> fields;
};

constexpr Field Str(uint32_t n, const char* j) {
  return {n, j, T::kString};
}
constexpr Field StrPtr(uint32_t n, const char* j) {
  return {n, j, T::kString, nullptr, false, true};
}
constexpr Field Strs(uint32_t n, const char* j) {
  return {n, j, T::kString, nullptr, true};
}
constexpr Field Msg(uint32_t n, const char* j, const Message& m, bool pointer = false) {
  return {n, j, T::kMessage, &m, false, pointer};
}
constexpr Field Msgs(uint32_t n, const char* j, const Message& m) {
  return {n, j, T::kMessage, &m, true};
}
constexpr Field Of(uint32_t n, const char* j, T t, bool pointer = false) {
  return {n, j, t, nullptr, false, pointer};
}
constexpr Field Ptr(uint32_t n, const char* j, T t) {
  return {n, j, t, nullptr, false, true};
}
constexpr Field Ints(uint32_t n, const char* j) {  // repeated int64, packed or not
  return {n, j, T::kInt64, nullptr, true};
}
// A Go struct embedded with `json:",inline"`: its fields are the enclosing object's in JSON.
constexpr Field Inline(uint32_t n, const Message& m) {
  return {n, "", T::kMessage, &m};
}

// k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto
constexpr Field kOwnerReferenceFields[] = {Str(5, "apiVersion"),
                                           Str(1, "kind"),
                                           Str(3, "name"),
                                           Str(4, "uid"),
                                           Of(6, "controller", T::kBool, true),
                                           Of(7, "blockOwnerDeletion", T::kBool, true)};
constexpr Message kOwnerReference{"k8s.io.apimachinery.pkg.apis.meta.v1.OwnerReference",
                                  kOwnerReferenceFields};
constexpr Field kObjectMetaFields[] = {
    Str(1, "name"),
    Str(2, "generateName"),
    Str(3, "namespace"),
    Str(4, "selfLink"),
    Str(5, "uid"),
    Str(6, "resourceVersion"),
    Of(7, "generation", T::kInt64),
    Of(8, "creationTimestamp", T::kTime),
    Of(9, "deletionTimestamp", T::kTime, true),
    Of(10, "deletionGracePeriodSeconds", T::kInt64, true),
    Of(11, "labels", T::kStringMap),
    Of(12, "annotations", T::kStringMap),
    Msgs(13, "ownerReferences", kOwnerReference),
    Strs(14, "finalizers"),
    Of(17, "managedFields", T::kUnsupported),
};
constexpr Message kObjectMeta{"k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta", kObjectMetaFields};
constexpr Field kConditionFields[] = {Str(1, "type"),
                                      Str(2, "status"),
                                      Of(3, "observedGeneration", T::kInt64),
                                      Of(4, "lastTransitionTime", T::kTime),
                                      Str(5, "reason"),
                                      Str(6, "message")};
constexpr Message kCondition{"k8s.io.apimachinery.pkg.apis.meta.v1.Condition", kConditionFields};
constexpr Field kSelectorRequirementFields[] = {Str(1, "key"), Str(2, "operator"),
                                                Strs(3, "values")};
constexpr Message kSelectorRequirement{"k8s.io.apimachinery.pkg.apis.meta.v1.SelectorRequirement",
                                       kSelectorRequirementFields};
constexpr Field kLabelSelectorRequirementFields[] = {Str(1, "key"), Str(2, "operator"),
                                                     Strs(3, "values")};
constexpr Message kLabelSelectorRequirement{
    "k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement",
    kLabelSelectorRequirementFields};
constexpr Field kLabelSelectorFields[] = {Of(1, "matchLabels", T::kStringMap),
                                          Msgs(2, "matchExpressions", kLabelSelectorRequirement)};
constexpr Message kLabelSelector{"k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector",
                                 kLabelSelectorFields};

// k8s.io/api/core/v1/generated.proto
constexpr Field kServicePortFields[] = {Str(1, "name"),
                                        StrPtr(6, "appProtocol"),
                                        Str(2, "protocol"),
                                        Of(3, "port", T::kInt32),
                                        Of(4, "targetPort", T::kIntOrString),
                                        Of(5, "nodePort", T::kInt32)};
constexpr Message kServicePort{"k8s.io.api.core.v1.ServicePort", kServicePortFields};
constexpr Field kClientIpConfigFields[] = {Of(1, "timeoutSeconds", T::kInt32, true)};
constexpr Message kClientIpConfig{"k8s.io.api.core.v1.ClientIPConfig", kClientIpConfigFields};
constexpr Field kSessionAffinityConfigFields[] = {Msg(1, "clientIP", kClientIpConfig, true)};
constexpr Message kSessionAffinityConfig{"k8s.io.api.core.v1.SessionAffinityConfig",
                                         kSessionAffinityConfigFields};
constexpr Field kServiceSpecFields[] = {
    Msgs(1, "ports", kServicePort),
    Of(2, "selector", T::kStringMap),
    Str(3, "clusterIP"),
    Strs(18, "clusterIPs"),
    Str(4, "type"),
    Strs(5, "externalIPs"),
    Str(7, "sessionAffinity"),
    Str(8, "loadBalancerIP"),
    Strs(9, "loadBalancerSourceRanges"),
    Str(10, "externalName"),
    Str(11, "externalTrafficPolicy"),
    Of(12, "healthCheckNodePort", T::kInt32),
    Of(13, "publishNotReadyAddresses", T::kBool),
    Msg(14, "sessionAffinityConfig", kSessionAffinityConfig, true),
    Strs(19, "ipFamilies"),
    StrPtr(17, "ipFamilyPolicy"),
    Of(20, "allocateLoadBalancerNodePorts", T::kBool, true),
    StrPtr(21, "loadBalancerClass"),
    StrPtr(22, "internalTrafficPolicy"),
    StrPtr(23, "trafficDistribution"),
};
constexpr Message kServiceSpec{"k8s.io.api.core.v1.ServiceSpec", kServiceSpecFields};
constexpr Field kPortStatusFields[] = {Of(1, "port", T::kInt32), Str(2, "protocol"),
                                       StrPtr(3, "error")};
constexpr Message kPortStatus{"k8s.io.api.core.v1.PortStatus", kPortStatusFields};
constexpr Field kLoadBalancerIngressFields[] = {Str(1, "ip"), Str(2, "hostname"),
                                                StrPtr(3, "ipMode"), Msgs(4, "ports", kPortStatus)};
constexpr Message kLoadBalancerIngress{"k8s.io.api.core.v1.LoadBalancerIngress",
                                       kLoadBalancerIngressFields};
constexpr Field kLoadBalancerStatusFields[] = {Msgs(1, "ingress", kLoadBalancerIngress)};
constexpr Message kLoadBalancerStatus{"k8s.io.api.core.v1.LoadBalancerStatus",
                                      kLoadBalancerStatusFields};
constexpr Field kServiceStatusFields[] = {Msg(1, "loadBalancer", kLoadBalancerStatus),
                                          Msgs(2, "conditions", kCondition)};
constexpr Message kServiceStatus{"k8s.io.api.core.v1.ServiceStatus", kServiceStatusFields};
constexpr Field kServiceFields[] = {Msg(1, "metadata", kObjectMeta), Msg(2, "spec", kServiceSpec),
                                    Msg(3, "status", kServiceStatus)};
constexpr Message kService{"k8s.io.api.core.v1.Service", kServiceFields};

constexpr Field kNamespaceSpecFields[] = {Strs(1, "finalizers")};
constexpr Message kNamespaceSpec{"k8s.io.api.core.v1.NamespaceSpec", kNamespaceSpecFields};
constexpr Field kNamespaceConditionFields[] = {Str(1, "type"), Str(2, "status"),
                                               Of(4, "lastTransitionTime", T::kTime),
                                               Str(5, "reason"), Str(6, "message")};
constexpr Message kNamespaceCondition{"k8s.io.api.core.v1.NamespaceCondition",
                                      kNamespaceConditionFields};
constexpr Field kNamespaceStatusFields[] = {Str(1, "phase"),
                                            Msgs(2, "conditions", kNamespaceCondition)};
constexpr Message kNamespaceStatus{"k8s.io.api.core.v1.NamespaceStatus", kNamespaceStatusFields};
constexpr Field kNamespaceFields[] = {Msg(1, "metadata", kObjectMeta),
                                      Msg(2, "spec", kNamespaceSpec),
                                      Msg(3, "status", kNamespaceStatus)};
constexpr Message kNamespace{"k8s.io.api.core.v1.Namespace", kNamespaceFields};

constexpr Field kConfigMapFields[] = {
    Msg(1, "metadata", kObjectMeta), Of(4, "immutable", T::kBool, true),
    Of(2, "data", T::kStringMap), Of(3, "binaryData", T::kBytesMap)};
constexpr Message kConfigMap{"k8s.io.api.core.v1.ConfigMap", kConfigMapFields};
constexpr Field kSecretFields[] = {Msg(1, "metadata", kObjectMeta),
                                   Of(5, "immutable", T::kBool, true), Of(2, "data", T::kBytesMap),
                                   Of(4, "stringData", T::kStringMap), Str(3, "type")};
constexpr Message kSecret{"k8s.io.api.core.v1.Secret", kSecretFields};

// Pods and their templates (k8s.io/api/core/v1/generated.proto). Fields that are Go pointers
// are Ptr/StrPtr; the larger messages kubectl's generators never write are kUnsupported.
constexpr Field kLocalObjectReferenceFields[] = {Str(1, "name")};
constexpr Message kLocalObjectReference{"k8s.io.api.core.v1.LocalObjectReference",
                                        kLocalObjectReferenceFields};
constexpr Field kObjectFieldSelectorFields[] = {Str(1, "apiVersion"), Str(2, "fieldPath")};
constexpr Message kObjectFieldSelector{"k8s.io.api.core.v1.ObjectFieldSelector",
                                       kObjectFieldSelectorFields};
constexpr Field kResourceFieldSelectorFields[] = {Str(1, "containerName"), Str(2, "resource"),
                                                  Of(3, "divisor", T::kQuantity)};
constexpr Message kResourceFieldSelector{"k8s.io.api.core.v1.ResourceFieldSelector",
                                         kResourceFieldSelectorFields};
constexpr Field kConfigMapKeySelectorFields[] = {Inline(1, kLocalObjectReference), Str(2, "key"),
                                                 Ptr(3, "optional", T::kBool)};
constexpr Message kConfigMapKeySelector{"k8s.io.api.core.v1.ConfigMapKeySelector",
                                        kConfigMapKeySelectorFields};
constexpr Field kSecretKeySelectorFields[] = {Inline(1, kLocalObjectReference), Str(2, "key"),
                                              Ptr(3, "optional", T::kBool)};
constexpr Message kSecretKeySelector{"k8s.io.api.core.v1.SecretKeySelector",
                                     kSecretKeySelectorFields};
constexpr Field kFileKeySelectorFields[] = {Str(1, "volumeName"), Str(2, "path"), Str(3, "key"),
                                            Ptr(4, "optional", T::kBool)};
constexpr Message kFileKeySelector{"k8s.io.api.core.v1.FileKeySelector", kFileKeySelectorFields};
constexpr Field kEnvVarSourceFields[] = {Msg(1, "fieldRef", kObjectFieldSelector, true),
                                         Msg(2, "resourceFieldRef", kResourceFieldSelector, true),
                                         Msg(3, "configMapKeyRef", kConfigMapKeySelector, true),
                                         Msg(4, "secretKeyRef", kSecretKeySelector, true),
                                         Msg(5, "fileKeyRef", kFileKeySelector, true)};
constexpr Message kEnvVarSource{"k8s.io.api.core.v1.EnvVarSource", kEnvVarSourceFields};
constexpr Field kEnvVarFields[] = {Str(1, "name"), Str(2, "value"),
                                   Msg(3, "valueFrom", kEnvVarSource, true)};
constexpr Message kEnvVar{"k8s.io.api.core.v1.EnvVar", kEnvVarFields};
constexpr Field kConfigMapEnvSourceFields[] = {Inline(1, kLocalObjectReference),
                                               Ptr(2, "optional", T::kBool)};
constexpr Message kConfigMapEnvSource{"k8s.io.api.core.v1.ConfigMapEnvSource",
                                      kConfigMapEnvSourceFields};
constexpr Field kSecretEnvSourceFields[] = {Inline(1, kLocalObjectReference),
                                            Ptr(2, "optional", T::kBool)};
constexpr Message kSecretEnvSource{"k8s.io.api.core.v1.SecretEnvSource", kSecretEnvSourceFields};
constexpr Field kEnvFromSourceFields[] = {Str(1, "prefix"),
                                          Msg(2, "configMapRef", kConfigMapEnvSource, true),
                                          Msg(3, "secretRef", kSecretEnvSource, true)};
constexpr Message kEnvFromSource{"k8s.io.api.core.v1.EnvFromSource", kEnvFromSourceFields};
constexpr Field kContainerPortFields[] = {Str(1, "name"), Of(2, "hostPort", T::kInt32),
                                          Of(3, "containerPort", T::kInt32), Str(4, "protocol"),
                                          Str(5, "hostIP")};
constexpr Message kContainerPort{"k8s.io.api.core.v1.ContainerPort", kContainerPortFields};
constexpr Field kResourceClaimFields[] = {Str(1, "name"), Str(2, "request")};
constexpr Message kResourceClaim{"k8s.io.api.core.v1.ResourceClaim", kResourceClaimFields};
constexpr Field kResourceRequirementsFields[] = {Of(1, "limits", T::kQuantityMap),
                                                 Of(2, "requests", T::kQuantityMap),
                                                 Msgs(3, "claims", kResourceClaim)};
constexpr Message kResourceRequirements{"k8s.io.api.core.v1.ResourceRequirements",
                                        kResourceRequirementsFields};
constexpr Field kContainerResizePolicyFields[] = {Str(1, "resourceName"), Str(2, "restartPolicy")};
constexpr Message kContainerResizePolicy{"k8s.io.api.core.v1.ContainerResizePolicy",
                                         kContainerResizePolicyFields};
constexpr Field kVolumeMountFields[] = {
    Str(1, "name"),        Of(2, "readOnly", T::kBool), StrPtr(7, "recursiveReadOnly"),
    Str(3, "mountPath"),   Str(4, "subPath"),           StrPtr(5, "mountPropagation"),
    Str(6, "subPathExpr"), Strs(8, "bindMountOptions")};
constexpr Message kVolumeMount{"k8s.io.api.core.v1.VolumeMount", kVolumeMountFields};
constexpr Field kVolumeDeviceFields[] = {Str(1, "name"), Str(2, "devicePath")};
constexpr Message kVolumeDevice{"k8s.io.api.core.v1.VolumeDevice", kVolumeDeviceFields};
constexpr Field kExecActionFields[] = {Strs(1, "command")};
constexpr Message kExecAction{"k8s.io.api.core.v1.ExecAction", kExecActionFields};
constexpr Field kHttpHeaderFields[] = {Str(1, "name"), Str(2, "value")};
constexpr Message kHttpHeader{"k8s.io.api.core.v1.HTTPHeader", kHttpHeaderFields};
constexpr Field kHttpGetActionFields[] = {
    Str(1, "path"),   Of(2, "port", T::kIntOrString),      Str(3, "host"),
    Str(4, "scheme"), Msgs(5, "httpHeaders", kHttpHeader), StrPtr(6, "protocol")};
constexpr Message kHttpGetAction{"k8s.io.api.core.v1.HTTPGetAction", kHttpGetActionFields};
constexpr Field kTcpSocketActionFields[] = {Of(1, "port", T::kIntOrString), Str(2, "host")};
constexpr Message kTcpSocketAction{"k8s.io.api.core.v1.TCPSocketAction", kTcpSocketActionFields};
constexpr Field kGrpcActionFields[] = {Of(1, "port", T::kInt32), StrPtr(2, "service"),
                                       StrPtr(3, "mode")};
constexpr Message kGrpcAction{"k8s.io.api.core.v1.GRPCAction", kGrpcActionFields};
constexpr Field kSleepActionFields[] = {Of(1, "seconds", T::kInt64)};
constexpr Message kSleepAction{"k8s.io.api.core.v1.SleepAction", kSleepActionFields};
constexpr Field kProbeHandlerFields[] = {
    Msg(1, "exec", kExecAction, true), Msg(2, "httpGet", kHttpGetAction, true),
    Msg(3, "tcpSocket", kTcpSocketAction, true), Msg(4, "grpc", kGrpcAction, true)};
constexpr Message kProbeHandler{"k8s.io.api.core.v1.ProbeHandler", kProbeHandlerFields};
constexpr Field kProbeFields[] = {Inline(1, kProbeHandler),
                                  Of(2, "initialDelaySeconds", T::kInt32),
                                  Of(3, "timeoutSeconds", T::kInt32),
                                  Of(4, "periodSeconds", T::kInt32),
                                  Of(5, "successThreshold", T::kInt32),
                                  Of(6, "failureThreshold", T::kInt32),
                                  Ptr(7, "terminationGracePeriodSeconds", T::kInt64)};
constexpr Message kProbe{"k8s.io.api.core.v1.Probe", kProbeFields};
constexpr Field kLifecycleHandlerFields[] = {
    Msg(1, "exec", kExecAction, true), Msg(2, "httpGet", kHttpGetAction, true),
    Msg(3, "tcpSocket", kTcpSocketAction, true), Msg(4, "sleep", kSleepAction, true)};
constexpr Message kLifecycleHandler{"k8s.io.api.core.v1.LifecycleHandler", kLifecycleHandlerFields};
constexpr Field kLifecycleFields[] = {Msg(1, "postStart", kLifecycleHandler, true),
                                      Msg(2, "preStop", kLifecycleHandler, true),
                                      StrPtr(3, "stopSignal")};
constexpr Message kLifecycle{"k8s.io.api.core.v1.Lifecycle", kLifecycleFields};
constexpr Field kCapabilitiesFields[] = {Strs(1, "add"), Strs(2, "drop")};
constexpr Message kCapabilities{"k8s.io.api.core.v1.Capabilities", kCapabilitiesFields};
constexpr Field kSeLinuxOptionsFields[] = {Str(1, "user"), Str(2, "role"), Str(3, "type"),
                                           Str(4, "level")};
constexpr Message kSeLinuxOptions{"k8s.io.api.core.v1.SELinuxOptions", kSeLinuxOptionsFields};
constexpr Field kWindowsOptionsFields[] = {
    StrPtr(1, "gmsaCredentialSpecName"), StrPtr(2, "gmsaCredentialSpec"),
    StrPtr(3, "runAsUserName"), Ptr(4, "hostProcess", T::kBool)};
constexpr Message kWindowsOptions{"k8s.io.api.core.v1.WindowsSecurityContextOptions",
                                  kWindowsOptionsFields};
constexpr Field kSeccompProfileFields[] = {Str(1, "type"), StrPtr(2, "localhostProfile")};
constexpr Message kSeccompProfile{"k8s.io.api.core.v1.SeccompProfile", kSeccompProfileFields};
constexpr Field kAppArmorProfileFields[] = {Str(1, "type"), StrPtr(2, "localhostProfile")};
constexpr Message kAppArmorProfile{"k8s.io.api.core.v1.AppArmorProfile", kAppArmorProfileFields};
constexpr Field kSecurityContextFields[] = {Msg(1, "capabilities", kCapabilities, true),
                                            Ptr(2, "privileged", T::kBool),
                                            Msg(3, "seLinuxOptions", kSeLinuxOptions, true),
                                            Msg(10, "windowsOptions", kWindowsOptions, true),
                                            Ptr(4, "runAsUser", T::kInt64),
                                            Ptr(8, "runAsGroup", T::kInt64),
                                            Ptr(5, "runAsNonRoot", T::kBool),
                                            Ptr(6, "readOnlyRootFilesystem", T::kBool),
                                            Ptr(7, "allowPrivilegeEscalation", T::kBool),
                                            StrPtr(9, "procMount"),
                                            Msg(11, "seccompProfile", kSeccompProfile, true),
                                            Msg(12, "appArmorProfile", kAppArmorProfile, true)};
constexpr Message kSecurityContext{"k8s.io.api.core.v1.SecurityContext", kSecurityContextFields};
constexpr Field kContainerFields[] = {
    Str(1, "name"),
    Str(2, "image"),
    Strs(3, "command"),
    Strs(4, "args"),
    Str(5, "workingDir"),
    Msgs(6, "ports", kContainerPort),
    Msgs(19, "envFrom", kEnvFromSource),
    Msgs(7, "env", kEnvVar),
    Msg(8, "resources", kResourceRequirements),
    Msgs(23, "resizePolicy", kContainerResizePolicy),
    StrPtr(24, "restartPolicy"),
    Of(25, "restartPolicyRules", T::kUnsupported),
    Msgs(9, "volumeMounts", kVolumeMount),
    Msgs(21, "volumeDevices", kVolumeDevice),
    Msg(10, "livenessProbe", kProbe, true),
    Msg(11, "readinessProbe", kProbe, true),
    Msg(22, "startupProbe", kProbe, true),
    Msg(12, "lifecycle", kLifecycle, true),
    Str(13, "terminationMessagePath"),
    Str(20, "terminationMessagePolicy"),
    Str(14, "imagePullPolicy"),
    Msg(15, "securityContext", kSecurityContext, true),
    Of(16, "stdin", T::kBool),
    Of(17, "stdinOnce", T::kBool),
    Of(18, "tty", T::kBool),
};
constexpr Message kContainer{"k8s.io.api.core.v1.Container", kContainerFields};
constexpr Field kSysctlFields[] = {Str(1, "name"), Str(2, "value")};
constexpr Message kSysctl{"k8s.io.api.core.v1.Sysctl", kSysctlFields};
constexpr Field kPodSecurityContextFields[] = {
    Msg(1, "seLinuxOptions", kSeLinuxOptions, true),
    Msg(8, "windowsOptions", kWindowsOptions, true),
    Ptr(2, "runAsUser", T::kInt64),
    Ptr(6, "runAsGroup", T::kInt64),
    Ptr(3, "runAsNonRoot", T::kBool),
    Ints(4, "supplementalGroups"),
    StrPtr(12, "supplementalGroupsPolicy"),
    Ptr(5, "fsGroup", T::kInt64),
    Msgs(7, "sysctls", kSysctl),
    StrPtr(9, "fsGroupChangePolicy"),
    Msg(10, "seccompProfile", kSeccompProfile, true),
    Msg(11, "appArmorProfile", kAppArmorProfile, true),
    StrPtr(13, "seLinuxChangePolicy"),
};
constexpr Message kPodSecurityContext{"k8s.io.api.core.v1.PodSecurityContext",
                                      kPodSecurityContextFields};
constexpr Field kTolerationFields[] = {Str(1, "key"), Str(2, "operator"), Str(3, "value"),
                                       Str(4, "effect"), Ptr(5, "tolerationSeconds", T::kInt64)};
constexpr Message kToleration{"k8s.io.api.core.v1.Toleration", kTolerationFields};
constexpr Field kHostAliasFields[] = {Str(1, "ip"), Strs(2, "hostnames")};
constexpr Message kHostAlias{"k8s.io.api.core.v1.HostAlias", kHostAliasFields};
constexpr Field kPodDnsConfigOptionFields[] = {Str(1, "name"), StrPtr(2, "value")};
constexpr Message kPodDnsConfigOption{"k8s.io.api.core.v1.PodDNSConfigOption",
                                      kPodDnsConfigOptionFields};
constexpr Field kPodDnsConfigFields[] = {Strs(1, "nameservers"), Strs(2, "searches"),
                                         Msgs(3, "options", kPodDnsConfigOption)};
constexpr Message kPodDnsConfig{"k8s.io.api.core.v1.PodDNSConfig", kPodDnsConfigFields};
constexpr Field kPodReadinessGateFields[] = {Str(1, "conditionType")};
constexpr Message kPodReadinessGate{"k8s.io.api.core.v1.PodReadinessGate", kPodReadinessGateFields};
constexpr Field kPodOsFields[] = {Str(1, "name")};
constexpr Message kPodOs{"k8s.io.api.core.v1.PodOS", kPodOsFields};
constexpr Field kPodSchedulingGateFields[] = {Str(1, "name")};
constexpr Message kPodSchedulingGate{"k8s.io.api.core.v1.PodSchedulingGate",
                                     kPodSchedulingGateFields};
constexpr Field kPodSpecFields[] = {
    Of(1, "volumes", T::kUnsupported),
    Msgs(20, "initContainers", kContainer),
    Msgs(2, "containers", kContainer),
    Of(34, "ephemeralContainers", T::kUnsupported),
    Str(3, "restartPolicy"),
    Ptr(4, "terminationGracePeriodSeconds", T::kInt64),
    Ptr(5, "activeDeadlineSeconds", T::kInt64),
    Str(6, "dnsPolicy"),
    Of(7, "nodeSelector", T::kStringMap),
    Str(8, "serviceAccountName"),
    Str(9, "serviceAccount"),
    Ptr(21, "automountServiceAccountToken", T::kBool),
    Str(10, "nodeName"),
    Of(11, "hostNetwork", T::kBool),
    Of(12, "hostPID", T::kBool),
    Of(13, "hostIPC", T::kBool),
    Ptr(27, "shareProcessNamespace", T::kBool),
    Msg(14, "securityContext", kPodSecurityContext, true),
    Msgs(15, "imagePullSecrets", kLocalObjectReference),
    Str(16, "hostname"),
    Str(17, "subdomain"),
    Of(18, "affinity", T::kUnsupported),
    Str(19, "schedulerName"),
    Msgs(22, "tolerations", kToleration),
    Msgs(23, "hostAliases", kHostAlias),
    Str(24, "priorityClassName"),
    Ptr(25, "priority", T::kInt32),
    Msg(26, "dnsConfig", kPodDnsConfig, true),
    Msgs(28, "readinessGates", kPodReadinessGate),
    StrPtr(29, "runtimeClassName"),
    Ptr(30, "enableServiceLinks", T::kBool),
    StrPtr(31, "preemptionPolicy"),
    Of(32, "overhead", T::kQuantityMap),
    Of(33, "topologySpreadConstraints", T::kUnsupported),
    Ptr(35, "setHostnameAsFQDN", T::kBool),
    Msg(36, "os", kPodOs, true),
    Ptr(37, "hostUsers", T::kBool),
    Msgs(38, "schedulingGates", kPodSchedulingGate),
    Of(39, "resourceClaims", T::kUnsupported),
    Msg(40, "resources", kResourceRequirements, true),
    StrPtr(41, "hostnameOverride"),
    Of(43, "schedulingGroup", T::kUnsupported),
    Of(44, "evictionResponders", T::kUnsupported),
};
constexpr Message kPodSpec{"k8s.io.api.core.v1.PodSpec", kPodSpecFields};
constexpr Field kPodConditionFields[] = {Str(1, "type"),
                                         Of(7, "observedGeneration", T::kInt64),
                                         Str(2, "status"),
                                         Of(3, "lastProbeTime", T::kTime),
                                         Of(4, "lastTransitionTime", T::kTime),
                                         Str(5, "reason"),
                                         Str(6, "message")};
constexpr Message kPodCondition{"k8s.io.api.core.v1.PodCondition", kPodConditionFields};
constexpr Field kIpFields[] = {Str(1, "ip")};
constexpr Message kHostIp{"k8s.io.api.core.v1.HostIP", kIpFields};
constexpr Message kPodIp{"k8s.io.api.core.v1.PodIP", kIpFields};
// What kubectl sends is an empty PodStatus; the containers' statuses are the kubelet's.
constexpr Field kPodStatusFields[] = {
    Of(17, "observedGeneration", T::kInt64),
    Str(1, "phase"),
    Msgs(2, "conditions", kPodCondition),
    Str(3, "message"),
    Str(4, "reason"),
    Str(11, "nominatedNodeName"),
    Str(5, "hostIP"),
    Msgs(16, "hostIPs", kHostIp),
    Str(6, "podIP"),
    Msgs(12, "podIPs", kPodIp),
    Of(7, "startTime", T::kTime, true),
    Of(10, "initContainerStatuses", T::kUnsupported),
    Of(8, "containerStatuses", T::kUnsupported),
    Str(9, "qosClass"),
    Of(13, "ephemeralContainerStatuses", T::kUnsupported),
    Str(14, "resize"),
    Of(15, "resourceClaimStatuses", T::kUnsupported),
    Of(18, "extendedResourceClaimStatus", T::kUnsupported),
    Of(19, "allocatedResources", T::kQuantityMap),
    Msg(20, "resources", kResourceRequirements, true),
    Of(21, "nodeAllocatableResourceClaimStatuses", T::kUnsupported),
    Of(22, "volumeHealth", T::kUnsupported),
};
constexpr Message kPodStatus{"k8s.io.api.core.v1.PodStatus", kPodStatusFields};
constexpr Field kPodFields[] = {Msg(1, "metadata", kObjectMeta), Msg(2, "spec", kPodSpec),
                                Msg(3, "status", kPodStatus)};
constexpr Message kPod{"k8s.io.api.core.v1.Pod", kPodFields};
constexpr Field kPodTemplateSpecFields[] = {Msg(1, "metadata", kObjectMeta),
                                            Msg(2, "spec", kPodSpec)};
constexpr Message kPodTemplateSpec{"k8s.io.api.core.v1.PodTemplateSpec", kPodTemplateSpecFields};

// k8s.io/api/apps/v1/generated.proto
constexpr Field kRollingUpdateDeploymentFields[] = {Ptr(1, "maxUnavailable", T::kIntOrString),
                                                    Ptr(2, "maxSurge", T::kIntOrString)};
constexpr Message kRollingUpdateDeployment{"k8s.io.api.apps.v1.RollingUpdateDeployment",
                                           kRollingUpdateDeploymentFields};
constexpr Field kDeploymentStrategyFields[] = {
    Str(1, "type"), Msg(2, "rollingUpdate", kRollingUpdateDeployment, true)};
constexpr Message kDeploymentStrategy{"k8s.io.api.apps.v1.DeploymentStrategy",
                                      kDeploymentStrategyFields};
constexpr Field kDeploymentSpecFields[] = {Ptr(1, "replicas", T::kInt32),
                                           Msg(2, "selector", kLabelSelector, true),
                                           Msg(3, "template", kPodTemplateSpec),
                                           Msg(4, "strategy", kDeploymentStrategy),
                                           Of(5, "minReadySeconds", T::kInt32),
                                           Ptr(6, "revisionHistoryLimit", T::kInt32),
                                           Of(7, "paused", T::kBool),
                                           Ptr(9, "progressDeadlineSeconds", T::kInt32)};
constexpr Message kDeploymentSpec{"k8s.io.api.apps.v1.DeploymentSpec", kDeploymentSpecFields};
constexpr Field kDeploymentConditionFields[] = {Str(1, "type"),
                                                Str(2, "status"),
                                                Of(6, "lastUpdateTime", T::kTime),
                                                Of(7, "lastTransitionTime", T::kTime),
                                                Str(4, "reason"),
                                                Str(5, "message")};
constexpr Message kDeploymentCondition{"k8s.io.api.apps.v1.DeploymentCondition",
                                       kDeploymentConditionFields};
constexpr Field kDeploymentStatusFields[] = {
    Of(1, "observedGeneration", T::kInt64),   Of(2, "replicas", T::kInt32),
    Of(3, "updatedReplicas", T::kInt32),      Of(7, "readyReplicas", T::kInt32),
    Of(4, "availableReplicas", T::kInt32),    Of(5, "unavailableReplicas", T::kInt32),
    Ptr(9, "terminatingReplicas", T::kInt32), Msgs(6, "conditions", kDeploymentCondition),
    Ptr(8, "collisionCount", T::kInt32)};
constexpr Message kDeploymentStatus{"k8s.io.api.apps.v1.DeploymentStatus", kDeploymentStatusFields};
constexpr Field kDeploymentFields[] = {Msg(1, "metadata", kObjectMeta),
                                       Msg(2, "spec", kDeploymentSpec),
                                       Msg(3, "status", kDeploymentStatus)};
constexpr Message kDeployment{"k8s.io.api.apps.v1.Deployment", kDeploymentFields};

// k8s.io/api/authorization/v1/generated.proto
constexpr Field kSelectorAttributesFields[] = {Str(1, "rawSelector"),
                                               Msgs(2, "requirements", kSelectorRequirement)};
constexpr Message kSelectorAttributes{"k8s.io.api.authorization.v1.SelectorAttributes",
                                      kSelectorAttributesFields};
constexpr Field kResourceAttributesFields[] = {Str(1, "namespace"),
                                               Str(2, "verb"),
                                               Str(3, "group"),
                                               Str(4, "version"),
                                               Str(5, "resource"),
                                               Str(6, "subresource"),
                                               Str(7, "name"),
                                               Msg(8, "fieldSelector", kSelectorAttributes, true),
                                               Msg(9, "labelSelector", kSelectorAttributes, true)};
constexpr Message kResourceAttributes{"k8s.io.api.authorization.v1.ResourceAttributes",
                                      kResourceAttributesFields};
constexpr Field kNonResourceAttributesFields[] = {Str(1, "path"), Str(2, "verb")};
constexpr Message kNonResourceAttributes{"k8s.io.api.authorization.v1.NonResourceAttributes",
                                         kNonResourceAttributesFields};
constexpr Field kAccessReviewSpecFields[] = {
    Msg(1, "resourceAttributes", kResourceAttributes, true),
    Msg(2, "nonResourceAttributes", kNonResourceAttributes, true)};
constexpr Message kAccessReviewSpec{"k8s.io.api.authorization.v1.SelfSubjectAccessReviewSpec",
                                    kAccessReviewSpecFields};
constexpr Field kAccessReviewStatusFields[] = {Of(1, "allowed", T::kBool),
                                               Of(4, "denied", T::kBool), Str(2, "reason"),
                                               Str(3, "evaluationError")};
constexpr Message kAccessReviewStatus{"k8s.io.api.authorization.v1.SubjectAccessReviewStatus",
                                      kAccessReviewStatusFields};
constexpr Field kAccessReviewFields[] = {Msg(1, "metadata", kObjectMeta),
                                         Msg(2, "spec", kAccessReviewSpec),
                                         Msg(3, "status", kAccessReviewStatus)};
constexpr Message kAccessReview{"k8s.io.api.authorization.v1.SelfSubjectAccessReview",
                                kAccessReviewFields};
constexpr Field kResourceRuleFields[] = {Strs(1, "verbs"), Strs(2, "apiGroups"),
                                         Strs(3, "resources"), Strs(4, "resourceNames")};
constexpr Message kResourceRule{"k8s.io.api.authorization.v1.ResourceRule", kResourceRuleFields};
constexpr Field kNonResourceRuleFields[] = {Strs(1, "verbs"), Strs(2, "nonResourceURLs")};
constexpr Message kNonResourceRule{"k8s.io.api.authorization.v1.NonResourceRule",
                                   kNonResourceRuleFields};
constexpr Field kRulesReviewSpecFields[] = {Str(1, "namespace")};
constexpr Message kRulesReviewSpec{"k8s.io.api.authorization.v1.SelfSubjectRulesReviewSpec",
                                   kRulesReviewSpecFields};
constexpr Field kRulesReviewStatusFields[] = {
    Msgs(1, "resourceRules", kResourceRule), Msgs(2, "nonResourceRules", kNonResourceRule),
    Of(3, "incomplete", T::kBool), Str(4, "evaluationError")};
constexpr Message kRulesReviewStatus{"k8s.io.api.authorization.v1.SubjectRulesReviewStatus",
                                     kRulesReviewStatusFields};
constexpr Field kRulesReviewFields[] = {Msg(1, "metadata", kObjectMeta),
                                        Msg(2, "spec", kRulesReviewSpec),
                                        Msg(3, "status", kRulesReviewStatus)};
constexpr Message kRulesReview{"k8s.io.api.authorization.v1.SelfSubjectRulesReview",
                               kRulesReviewFields};

struct TopLevel {
  std::string_view api_version;
  std::string_view kind;
  const Message* message;
};
constexpr TopLevel kTopLevel[] = {
    {"v1", "Namespace", &kNamespace},
    {"v1", "Service", &kService},
    {"v1", "ConfigMap", &kConfigMap},
    {"v1", "Secret", &kSecret},
    {"v1", "Pod", &kPod},
    {"apps/v1", "Deployment", &kDeployment},
    {"authorization.k8s.io/v1", "SelfSubjectAccessReview", &kAccessReview},
    {"authorization.k8s.io/v1", "SelfSubjectRulesReview", &kRulesReview},
};

bool IsZero(const json& v) {
  if (v.is_null()) return true;
  if (v.is_string()) return v.get_ref<const std::string&>().empty();
  if (v.is_boolean()) return !v.get<bool>();
  if (v.is_number()) return v.get<double>() == 0;
  return v.empty();  // objects and arrays
}

Status Bad(const std::string& where, const std::string& what) {
  return InvalidArgument("the protobuf body's " + where + " " + what +
                         "; send the object as JSON or YAML instead (kubectl create -f)");
}

Result<json> Decode(std::string_view bytes, const Message& m, const std::string& path);

// A map entry: key (1) and value (2), both length-delimited.
bool MapEntry(std::string_view entry, std::string* key, std::string* value) {
  WireReader r(entry);
  WireField f;
  while (r.Next(&f)) {
    if (f.type != WireType::kLength || (f.number != 1 && f.number != 2)) return false;
    (f.number == 1 ? *key : *value) = std::string(f.bytes);
  }
  return r.ok();
}

// A Quantity: its canonical string (1), which is what it is in JSON; Go writes "0" for zero.
bool Quantity(std::string_view bytes, std::string* out) {
  WireReader r(bytes);
  WireField f;
  out->clear();
  while (r.Next(&f)) {
    if (f.type != WireType::kLength || f.number != 1) return false;
    *out = std::string(f.bytes);
  }
  return r.ok() && !out->empty();
}

// Varints back to back, appended to *list as int64.
bool PackedVarints(std::string_view bytes, json* list) {
  size_t i = 0;
  while (i < bytes.size()) {
    uint64_t v = 0;
    for (int shift = 0;; shift += 7) {
      if (i >= bytes.size() || shift >= 64) return false;
      uint8_t b = static_cast<uint8_t>(bytes[i++]);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) break;
    }
    list->push_back(static_cast<int64_t>(v));
  }
  return true;
}

Result<json> Value(const WireField& w, const Field& f, const std::string& path) {
  auto wire = [&](WireType t) { return w.type == t; };
  switch (f.type) {
    case T::kString:
      if (!wire(WireType::kLength)) break;
      return json(std::string(w.bytes));
    case T::kBytes:
      if (!wire(WireType::kLength)) break;
      return json(Base64Encode(w.bytes));
    case T::kBool:
      if (!wire(WireType::kVarint)) break;
      return json(w.varint != 0);
    case T::kInt32:
      if (!wire(WireType::kVarint)) break;
      return json(static_cast<int32_t>(static_cast<int64_t>(w.varint)));
    case T::kInt64:
      if (!wire(WireType::kVarint)) break;
      return json(static_cast<int64_t>(w.varint));
    case T::kMessage:
      if (!wire(WireType::kLength)) break;
      return Decode(w.bytes, *f.message, path);
    case T::kIntOrString: {
      if (!wire(WireType::kLength)) break;
      WireReader r(w.bytes);
      WireField g;
      int64_t type = 0, int_value = 0;
      std::string str_value;
      while (r.Next(&g)) {
        if (g.number == 1 && g.type == WireType::kVarint) {
          type = static_cast<int64_t>(g.varint);
        } else if (g.number == 2 && g.type == WireType::kVarint) {
          int_value = static_cast<int32_t>(static_cast<int64_t>(g.varint));
        } else if (g.number == 3 && g.type == WireType::kLength) {
          str_value = std::string(g.bytes);
        } else {
          return Bad(path, "has a field IntOrString does not have");
        }
      }
      if (!r.ok() || type < 0 || type > 1) return Bad(path, "is not an IntOrString");
      return type == 1 ? json(str_value) : json(int_value);
    }
    case T::kQuantity: {
      if (!wire(WireType::kLength)) break;
      std::string q;
      if (!Quantity(w.bytes, &q)) return Bad(path, "is not a Quantity");
      return json(q);
    }
    case T::kTime: {
      if (!wire(WireType::kLength)) break;
      WireReader r(w.bytes);
      WireField g;
      int64_t seconds = 0, nanos = 0;
      while (r.Next(&g)) {
        if (g.type != WireType::kVarint || (g.number != 1 && g.number != 2)) {
          return Bad(path, "is not a Time");
        }
        (g.number == 1 ? seconds : nanos) = static_cast<int64_t>(g.varint);
      }
      if (!r.ok()) return Bad(path, "is not a Time");
      if (seconds == 0 && nanos == 0) return json();  // Go's zero Time is null in JSON
      // Timestamps are kept in int64 nanoseconds: years 1678 to 2262.
      if (seconds < -9'223'372'035 || seconds > 9'223'372'035) return Bad(path, "is out of range");
      return json(FormatTimestamp(seconds * 1'000'000'000));
    }
    case T::kStringMap:
    case T::kBytesMap:
    case T::kQuantityMap:
    case T::kUnsupported:
      break;  // handled by the caller
  }
  return Bad(path, "has the wrong wire type");
}

Result<json> Decode(std::string_view bytes, const Message& m, const std::string& path) {
  json out = json::object();
  WireReader r(bytes);
  WireField w;
  while (r.Next(&w)) {
    const Field* f = nullptr;
    for (const Field& candidate : m.fields) {
      if (candidate.number == w.number) f = &candidate;
    }
    if (f == nullptr) {
      return Bad(path.empty() ? std::string(m.name) : path,
                 "has field " + std::to_string(w.number) + " of " + m.name +
                     ", which canaryd does not know");
    }
    const bool inline_struct = f->json[0] == '\0';
    const std::string here = inline_struct || path.empty() ? path + f->json : path + "." + f->json;
    if (f->type == T::kUnsupported) return Bad(here, "is not read from protobuf bodies");
    if (f->type == T::kStringMap || f->type == T::kBytesMap || f->type == T::kQuantityMap) {
      std::string key, value;
      if (w.type != WireType::kLength || !MapEntry(w.bytes, &key, &value)) {
        return Bad(here, "is not a map entry");
      }
      if (f->type == T::kQuantityMap) {
        std::string q;
        if (!Quantity(value, &q)) return Bad(here + "." + key, "is not a Quantity");
        value = std::move(q);
      }
      out[f->json][key] = f->type == T::kBytesMap ? Base64Encode(value) : value;
      continue;
    }
    if (f->repeated && f->type == T::kInt64 && w.type == WireType::kLength) {
      // [packed=true]'s encoding of the same list, which protobuf parsers accept as well.
      if (!PackedVarints(w.bytes, &out[f->json])) return Bad(here, "is malformed");
      continue;
    }
    Result<json> v = Value(w, *f, here);
    if (!v.ok()) return v.status();
    if (inline_struct) {
      for (auto& [key, value] : v->items()) out[key] = std::move(value);
      continue;
    }
    if (f->repeated) {
      out[f->json].push_back(std::move(*v));
    } else {
      out[f->json] = std::move(*v);
    }
  }
  if (!r.ok()) return Bad(path.empty() ? std::string(m.name) : path, "is malformed");
  // Go leaves plain fields at their zero value out of JSON (omitempty); a pointer field that is
  // present was set, whatever its value. A struct is never left out, empty or not (`resources:
  // {}`, `status: {}`), and Go writes every struct field in protobuf too, so a message that is
  // present stays, as do a Quantity ("0" at zero) and a Time (null at zero: `creationTimestamp:
  // null`, which a Deployment's template hash reads as it reads the same template in JSON).
  for (const Field& f : m.fields) {
    if (f.type == T::kMessage || f.type == T::kQuantity || f.type == T::kTime) continue;
    auto it = out.find(f.json);
    if (it != out.end() && !f.pointer && IsZero(*it)) out.erase(it);
  }
  return out;
}

}  // namespace

Result<json> DecodeProtobufBody(const std::string& body) {
  if (body.size() < 4 || body.compare(0, 4, std::string("k8s\0", 4)) != 0) {
    return NotFound("not Kubernetes' protobuf encoding (it starts with \"k8s\\0\")");
  }
  WireReader unknown(std::string_view(body).substr(4));
  WireField w;
  std::string api_version, kind;
  std::string_view raw;
  while (unknown.Next(&w)) {
    if (w.type != WireType::kLength || w.number < 1 || w.number > 4) {
      return InvalidArgument("the protobuf body is not a runtime.Unknown");
    }
    if (w.number == 1) {  // TypeMeta
      WireReader tm(w.bytes);
      WireField t;
      while (tm.Next(&t)) {
        if (t.type != WireType::kLength || (t.number != 1 && t.number != 2)) {
          return InvalidArgument("the protobuf body's typeMeta is malformed");
        }
        (t.number == 1 ? api_version : kind) = std::string(t.bytes);
      }
      if (!tm.ok()) return InvalidArgument("the protobuf body's typeMeta is malformed");
    } else if (w.number == 2) {
      raw = w.bytes;
    } else if (!w.bytes.empty()) {  // contentEncoding, contentType: none is defined
      return InvalidArgument(
          "the protobuf body has a content encoding or type canaryd does not "
          "read");
    }
  }
  if (!unknown.ok()) return InvalidArgument("the protobuf body is malformed");
  for (const TopLevel& t : kTopLevel) {
    if (t.api_version != api_version || t.kind != kind) continue;
    Result<json> obj = Decode(raw, *t.message, "");
    if (!obj.ok()) return obj.status();
    json out = {{"apiVersion", api_version}, {"kind", kind}};
    out.update(*obj);
    return out;
  }
  return NotFound("canaryd does not read " + api_version + " " + kind + " in protobuf");
}

}  // namespace canaryd::api

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
    const std::string here = path.empty() ? f->json : path + "." + f->json;
    if (f->type == T::kUnsupported) return Bad(here, "is not read from protobuf bodies");
    if (f->type == T::kStringMap || f->type == T::kBytesMap) {
      std::string key, value;
      if (w.type != WireType::kLength || !MapEntry(w.bytes, &key, &value)) {
        return Bad(here, "is not a map entry");
      }
      out[f->json][key] = f->type == T::kBytesMap ? Base64Encode(value) : value;
      continue;
    }
    Result<json> v = Value(w, *f, here);
    if (!v.ok()) return v.status();
    if (f->repeated) {
      out[f->json].push_back(std::move(*v));
    } else {
      out[f->json] = std::move(*v);
    }
  }
  if (!r.ok()) return Bad(path.empty() ? std::string(m.name) : path, "is malformed");
  // Go leaves plain fields at their zero value out of JSON (omitempty); a pointer field that is
  // present was set, whatever its value.
  for (const Field& f : m.fields) {
    auto it = out.find(f.json);
    if (it != out.end() && (it->is_null() || (!f.pointer && IsZero(*it)))) out.erase(it);
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

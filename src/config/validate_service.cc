// core/v1 Service, Namespace and ObjectMeta rules, after Kubernetes' apis/core/validation.
#include <set>

#include "config/validate_kinds.h"

namespace canaryd::config {

void ValidateService(Checker& c, const ServiceSpec& svc) {
  auto spec = c.path().Field("spec");
  std::string type = svc.type.value_or("ClusterIP");
  if (type == "ExternalName") {
    if (!svc.external_name || svc.external_name->empty()) {
      c.ErrorAt("externalName", "required for type ExternalName");
    }
  } else if (svc.ports.empty() && svc.cluster_ip.value_or("") != "None") {
    c.ErrorAt("ports", "a Service needs at least one port");  // a headless one may have none
  }
  auto scope = c.path().Field("ports");
  std::set<std::string> names;
  std::set<std::pair<int64_t, std::string>> ports;
  for (size_t i = 0; i < svc.ports.size(); ++i) {
    auto idx = c.path().Index(i);
    const ServicePortSpec& p = svc.ports[i];
    if (svc.ports.size() > 1 && (!p.name || p.name->empty())) {
      c.ErrorAt("name", "required when a Service has more than one port");
    }
    if (p.name && !p.name->empty()) {
      if (std::string why = CheckDns1123Label(*p.name); !why.empty()) {
        c.ErrorAt("name", why);
      } else if (!names.insert(*p.name).second) {
        c.ErrorAt("name", "duplicate port name \"" + *p.name + "\"");
      }
    }
    CheckPortNumber(c, "port", p.port);
    if (!ports.insert({p.port, p.protocol.value_or("TCP")}).second) {
      c.ErrorAt("port", "duplicate port " + std::to_string(p.port));
    }
    if (p.target_port) {
      if (p.target_port->is_int) {
        CheckPortNumber(c, "targetPort", p.target_port->int_value);
      } else if (std::string why = CheckPortName(p.target_port->string_value); !why.empty()) {
        c.ErrorAt("targetPort", why);
      }
    }
    if (p.node_port && (*p.node_port < 0 || *p.node_port > 65535)) {
      c.ErrorAt("nodePort", "must be between 0 and 65535");
    }
  }
}

void ValidateMetadata(Checker& c, const Resource& r) {
  auto scope = c.path().Field("metadata");
  const ObjectMeta& m = r.metadata;
  if (m.name.empty()) {
    if (!m.generate_name) c.ErrorAt("name", "required field is missing");
  } else {
    std::string why;
    switch (r.kind) {
      case Kind::kService:
        why = CheckDns1035Label(m.name);
        break;
      case Kind::kNamespace:
        why = CheckDns1123Label(m.name);
        break;
      default:
        why = CheckDns1123Subdomain(m.name);
        break;
    }
    if (!why.empty()) c.ErrorAt("name", why);
  }
  if (r.info().namespaced) {
    if (std::string why = CheckDns1123Label(m.namespace_); !why.empty()) {
      c.ErrorAt("namespace", why);
    }
  } else if (!m.namespace_.empty()) {
    c.ErrorAt("namespace", std::string(r.info().name) + " is not namespaced");
  }
  CheckLabels(c, "labels", m.labels);
  auto annotations = c.path().Field("annotations");
  size_t total = 0;
  for (const auto& [k, v] : m.annotations) {
    auto key = c.path().Key(k);
    if (std::string why = CheckLabelKey(k); !why.empty()) c.Error(why);
    total += k.size() + v.size();
  }
  if (total > 256 * 1024) c.Error("annotations are larger than 256 KiB in total");
}

}  // namespace canaryd::config

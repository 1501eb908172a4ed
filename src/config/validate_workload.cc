// apps/v1 Deployment and ReplicaSet, core/v1 Pod and Endpoints rules, after Kubernetes'
// apis/apps/validation and apis/core/validation (the parts canaryd serves). Whether the image
// catalog lets a container run is the API's check at write time (workload admission), not here:
// the catalog is the operator's, not part of the object.
#include <algorithm>
#include <set>

#include "config/validate_kinds.h"

namespace canaryd::config {
namespace {

void CheckSelector(Checker& c, const LabelSelectorSpec& s) {
  auto scope = c.path().Field("selector");
  CheckLabels(c, "matchLabels", s.match_labels);
  auto exprs = c.path().Field("matchExpressions");
  for (size_t i = 0; i < s.match_expressions.size(); ++i) {
    auto idx = c.path().Index(i);
    const LabelSelectorRequirement& r = s.match_expressions[i];
    if (std::string why = CheckLabelKey(r.key); !why.empty()) c.ErrorAt("key", why);
    bool set_op = r.operator_ == "In" || r.operator_ == "NotIn";
    if (set_op && r.values.empty()) {
      c.ErrorAt("values", "must be specified when `operator` is 'In' or 'NotIn'");
    }
    if (!set_op && !r.values.empty()) {
      c.ErrorAt("values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
    }
  }
  if (s.match_labels.empty() && s.match_expressions.empty()) {
    c.Error("empty selector is invalid for deployment");
  }
}

bool Matches(const LabelSelectorSpec& s, const std::map<std::string, std::string>& labels) {
  for (const auto& [k, v] : s.match_labels) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  for (const LabelSelectorRequirement& r : s.match_expressions) {
    auto it = labels.find(r.key);
    bool in = it != labels.end() &&
              std::find(r.values.begin(), r.values.end(), it->second) != r.values.end();
    if (r.operator_ == "In" && !in) return false;
    if (r.operator_ == "NotIn" && in) return false;
    if (r.operator_ == "Exists" && it == labels.end()) return false;
    if (r.operator_ == "DoesNotExist" && it != labels.end()) return false;
  }
  return true;
}

void CheckNonNegative(Checker& c, std::string_view field, const std::optional<int64_t>& v) {
  if (v && *v < 0) c.ErrorAt(field, "must be greater than or equal to 0");
}

void CheckPortRef(Checker& c, std::string_view field, const IntOrString& port,
                  const std::set<std::string>& names) {
  if (port.is_int) {
    CheckPortNumber(c, field, port.int_value);
  } else if (names.count(port.string_value) == 0) {
    c.ErrorAt(field, "must be a port number or the name of one of the container's ports (\"" +
                         port.string_value + "\" is none)");
  }
}

void CheckProbe(Checker& c, std::string_view field, const std::optional<Probe>& p,
                const std::set<std::string>& port_names, bool single_success) {
  if (!p) return;
  auto scope = c.path().Field(field);
  int handlers =
      (p->exec ? 1 : 0) + (p->http_get ? 1 : 0) + (p->tcp_socket ? 1 : 0) + (p->grpc ? 1 : 0);
  if (handlers == 0) c.Error("must specify a handler type (exec, httpGet, tcpSocket or grpc)");
  if (handlers > 1) c.Error("may not specify more than 1 handler type");
  if (p->exec && p->exec->command.empty()) c.ErrorAt("exec.command", "required field is missing");
  if (p->http_get) {
    auto g = c.path().Field("httpGet");
    CheckPortRef(c, "port", p->http_get->port, port_names);
    if (p->http_get->path && !p->http_get->path->empty() && (*p->http_get->path)[0] != '/') {
      c.ErrorAt("path", "must start with '/'");
    }
    for (size_t i = 0; i < p->http_get->http_headers.size(); ++i) {
      auto h = c.path().Field("httpHeaders");
      auto idx = c.path().Index(i);
      if (std::string why = CheckHeaderName(p->http_get->http_headers[i].name); !why.empty()) {
        c.ErrorAt("name", why);
      }
    }
  }
  if (p->tcp_socket) {
    auto t = c.path().Field("tcpSocket");
    CheckPortRef(c, "port", p->tcp_socket->port, port_names);
  }
  CheckNonNegative(c, "initialDelaySeconds", p->initial_delay_seconds);
  for (const auto& [name, v] : {std::pair{"timeoutSeconds", p->timeout_seconds},
                                {"periodSeconds", p->period_seconds},
                                {"successThreshold", p->success_threshold},
                                {"failureThreshold", p->failure_threshold}}) {
    if (v && *v < 1) c.ErrorAt(name, "must be greater than or equal to 1");
  }
  if (single_success && p->success_threshold && *p->success_threshold != 1) {
    c.ErrorAt("successThreshold", "must be 1");
  }
  if (p->termination_grace_period_seconds && *p->termination_grace_period_seconds < 1) {
    c.ErrorAt("terminationGracePeriodSeconds", "must be greater than 0");
  }
}

void CheckRunAs(Checker& c, const std::optional<int64_t>& user,
                const std::optional<int64_t>& group) {
  if (user && (*user < 0 || *user > 2147483647)) {
    c.ErrorAt("runAsUser", "must be between 0 and 2147483647, inclusive");
  }
  if (group && (*group < 0 || *group > 2147483647)) {
    c.ErrorAt("runAsGroup", "must be between 0 and 2147483647, inclusive");
  }
}

void CheckPodSpec(Checker& c, const PodSpec& pod) {
  if (pod.containers.empty()) c.ErrorAt("containers", "Required value");
  std::set<std::string> names;
  std::set<int64_t> all_ports;
  auto scope = c.path().Field("containers");
  for (size_t i = 0; i < pod.containers.size(); ++i) {
    auto idx = c.path().Index(i);
    const Container& ct = pod.containers[i];
    if (std::string why = CheckDns1123Label(ct.name); !why.empty()) {
      c.ErrorAt("name", why);
    } else if (!names.insert(ct.name).second) {
      c.ErrorAt("name", "Duplicate value: \"" + ct.name + "\"");
    }
    if (!ct.image || ct.image->empty()) c.ErrorAt("image", "Required value");
    std::set<std::string> port_names;
    {
      auto ports = c.path().Field("ports");
      for (size_t j = 0; j < ct.ports.size(); ++j) {
        auto pidx = c.path().Index(j);
        const ContainerPort& p = ct.ports[j];
        CheckPortNumber(c, "containerPort", p.container_port);
        if (p.name) {
          if (std::string why = CheckPortName(*p.name); !why.empty()) {
            c.ErrorAt("name", why);
          } else if (!port_names.insert(*p.name).second) {
            c.ErrorAt("name", "Duplicate value: \"" + *p.name + "\"");
          }
        }
      }
    }
    {
      auto env = c.path().Field("env");
      for (size_t j = 0; j < ct.env.size(); ++j) {
        auto eidx = c.path().Index(j);
        const EnvVar& e = ct.env[j];
        if (e.name.empty()) c.ErrorAt("name", "Required value");
        if (e.value && e.value_from) {
          c.ErrorAt("valueFrom", "may not be specified when `value` is not empty");
        }
        if (e.value_from) {
          int sources =
              (e.value_from->field_ref ? 1 : 0) + (e.value_from->config_map_key_ref ? 1 : 0) +
              (e.value_from->secret_key_ref ? 1 : 0) + (e.value_from->resource_field_ref ? 1 : 0);
          if (sources != 1) c.ErrorAt("valueFrom", "must specify exactly one source");
        }
      }
    }
    CheckProbe(c, "readinessProbe", ct.readiness_probe, port_names, false);
    CheckProbe(c, "livenessProbe", ct.liveness_probe, port_names, true);
    CheckProbe(c, "startupProbe", ct.startup_probe, port_names, true);
    if (ct.readiness_probe && ct.readiness_probe->termination_grace_period_seconds) {
      c.ErrorAt("readinessProbe.terminationGracePeriodSeconds",
                "must not be set for readinessProbes");
    }
    if (ct.security_context) {
      auto sc = c.path().Field("securityContext");
      CheckRunAs(c, ct.security_context->run_as_user, ct.security_context->run_as_group);
      if (ct.security_context->run_as_non_root.value_or(false) &&
          ct.security_context->run_as_user.value_or(-1) == 0) {
        c.ErrorAt("runAsNonRoot", "runAsUser 0 contradicts runAsNonRoot");
      }
    }
  }
  if (pod.security_context) {
    auto sc = c.path().Field("securityContext");
    CheckRunAs(c, pod.security_context->run_as_user, pod.security_context->run_as_group);
  }
  if (pod.termination_grace_period_seconds) {
    CheckNonNegative(c, "terminationGracePeriodSeconds", pod.termination_grace_period_seconds);
  }
}

void CheckTemplate(Checker& c, const LabelSelectorSpec& selector, const PodTemplateSpec& t,
                   bool always_restart) {
  auto scope = c.path().Field("template");
  {
    auto meta = c.path().Field("metadata");
    CheckLabels(c, "labels", t.metadata.labels);
  }
  if (!Matches(selector, t.metadata.labels)) {
    auto meta = c.path().Field("metadata");
    c.ErrorAt("labels", "`selector` does not match template `labels`");
  }
  auto spec = c.path().Field("spec");
  CheckPodSpec(c, t.spec);
  if (always_restart && t.spec.restart_policy && *t.spec.restart_policy != "Always") {
    c.ErrorAt("restartPolicy", "Unsupported value: \"" + *t.spec.restart_policy +
                                   "\": supported values: \"Always\"");
  }
}

}  // namespace

void ValidateDeployment(Checker& c, const DeploymentSpec& d) {
  auto spec = c.path().Field("spec");
  CheckNonNegative(c, "replicas", d.replicas);
  CheckNonNegative(c, "minReadySeconds", d.min_ready_seconds);
  CheckNonNegative(c, "revisionHistoryLimit", d.revision_history_limit);
  if (d.progress_deadline_seconds) {
    if (*d.progress_deadline_seconds < 1) {
      c.ErrorAt("progressDeadlineSeconds", "must be greater than 0");
    } else if (*d.progress_deadline_seconds <= d.min_ready_seconds.value_or(0)) {
      c.ErrorAt("progressDeadlineSeconds", "must be greater than minReadySeconds");
    }
  }
  CheckSelector(c, d.selector);
  CheckTemplate(c, d.selector, d.template_, true);
  if (d.strategy) {
    auto st = c.path().Field("strategy");
    if (d.strategy->type.value_or("RollingUpdate") == "Recreate" && d.strategy->rolling_update) {
      c.ErrorAt("rollingUpdate", "may not be specified when strategy `type` is 'Recreate'");
    }
    if (d.strategy->rolling_update) {
      auto ru = c.path().Field("rollingUpdate");
      auto check = [&](std::string_view field, const std::optional<IntOrString>& v) -> int64_t {
        if (!v) return -1;
        if (v->is_int) {
          if (v->int_value < 0) c.ErrorAt(field, "must be greater than or equal to 0");
          return v->int_value;
        }
        const std::string& s = v->string_value;
        bool ok =
            s.size() >= 2 && s.back() == '%' && s.find_first_not_of("0123456789") == s.size() - 1;
        if (!ok) {
          c.ErrorAt(field,
                    "a valid percent string must be a numeric string followed by an "
                    "ending '%' (e.g. '1%',  or '93%')");
          return -1;
        }
        int64_t pct = std::stoll(s.substr(0, s.size() - 1));
        if (field == "maxUnavailable" && pct > 100) {
          c.ErrorAt(field, "must not be greater than 100%");
        }
        return pct;
      };
      int64_t surge = check("maxSurge", d.strategy->rolling_update->max_surge);
      int64_t unavailable = check("maxUnavailable", d.strategy->rolling_update->max_unavailable);
      if (surge == 0 && unavailable == 0) {
        c.ErrorAt("maxUnavailable", "may not be 0 when `maxSurge` is 0");
      }
    }
  }
}

void ValidateReplicaSet(Checker& c, const ReplicaSetSpec& rs) {
  auto spec = c.path().Field("spec");
  CheckNonNegative(c, "replicas", rs.replicas);
  CheckNonNegative(c, "minReadySeconds", rs.min_ready_seconds);
  CheckSelector(c, rs.selector);
  if (rs.template_) {
    CheckTemplate(c, rs.selector, *rs.template_, true);
  } else if (rs.replicas.value_or(1) > 0) {
    c.ErrorAt("template", "Required value: a ReplicaSet with replicas needs a template");
  }
}

void ValidatePod(Checker& c, const PodSpec& pod) {
  auto spec = c.path().Field("spec");
  CheckPodSpec(c, pod);
}

void ValidateEndpoints(Checker& c, const EndpointsBody& ep) {
  auto scope = c.path().Field("subsets");
  for (size_t i = 0; i < ep.subsets.size(); ++i) {
    auto idx = c.path().Index(i);
    const EndpointSubset& s = ep.subsets[i];
    for (const auto& [field, list] :
         {std::pair{"addresses", &s.addresses}, {"notReadyAddresses", &s.not_ready_addresses}}) {
      auto f = c.path().Field(field);
      for (size_t j = 0; j < list->size(); ++j) {
        auto a = c.path().Index(j);
        if (!IsIpAddress((*list)[j].ip)) c.ErrorAt("ip", "must be a valid IP address");
      }
    }
    auto ports = c.path().Field("ports");
    for (size_t j = 0; j < s.ports.size(); ++j) {
      auto p = c.path().Index(j);
      CheckPortNumber(c, "port", s.ports[j].port);
    }
  }
}

}  // namespace canaryd::config

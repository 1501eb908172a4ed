#include "workload/workload_admission.h"

#include "api/object_util.h"

namespace canaryd::workload {
namespace {

using api::JsonMember;

std::optional<std::vector<std::string>> Strings(const api::json& v) {
  if (!v.is_array()) return std::nullopt;
  std::vector<std::string> out;
  for (const api::json& s : v) out.push_back(s.is_string() ? s.get<std::string>() : "");
  return out;
}

}  // namespace

std::optional<api::ApiError> AdmitWorkload(const ImageCatalog& catalog, const Identity& identity,
                                           const config::KindInfo& kind, const api::json& obj) {
  const api::json* pod_spec = nullptr;
  std::string base;
  if (kind.kind == config::Kind::kPod) {
    pod_spec = &JsonMember(obj, "spec");
    base = "spec";
  } else if (kind.kind == config::Kind::kDeployment || kind.kind == config::Kind::kReplicaSet) {
    pod_spec = &JsonMember(JsonMember(JsonMember(obj, "spec"), "template"), "spec");
    base = "spec.template.spec";
  } else {
    return std::nullopt;
  }
  const std::string name = JsonMember(JsonMember(obj, "metadata"), "name").is_string()
                               ? obj["metadata"]["name"].get<std::string>()
                               : "";
  const api::json& containers = JsonMember(*pod_spec, "containers");
  if (!containers.is_array()) return std::nullopt;
  const api::json& psc = JsonMember(*pod_spec, "securityContext");
  std::vector<api::ApiCause> causes;
  for (size_t i = 0; i < containers.size(); ++i) {
    const api::json& c = containers[i];
    const std::string path = base + ".containers[" + std::to_string(i) + "]";
    ContainerRequest req;
    req.image = JsonMember(c, "image").is_string() ? c["image"].get<std::string>() : "";
    req.command = Strings(JsonMember(c, "command"));
    req.args = Strings(JsonMember(c, "args"));
    bool non_root = false;
    for (const api::json* sc : {&psc, &JsonMember(c, "securityContext")}) {
      if (JsonMember(*sc, "runAsUser").is_number_integer()) req.run_as_user = (*sc)["runAsUser"];
      if (JsonMember(*sc, "runAsGroup").is_number_integer()) req.run_as_group = (*sc)["runAsGroup"];
      if (JsonMember(*sc, "runAsNonRoot").is_boolean()) non_root = (*sc)["runAsNonRoot"];
    }
    Result<ResolvedProcess> r = Resolve(catalog, req, identity);
    if (!r.ok()) {
      causes.push_back({"FieldValueForbidden", "Forbidden: " + r.status().message(),
                        path + (req.command ? ".command"
                                : req.args  ? ".args"
                                            : ".image")});
      continue;
    }
    bool root = r->uid ? *r->uid == 0 : identity.canaryd_uid == 0;
    if (non_root && root) {
      causes.push_back({"FieldValueForbidden",
                        "Forbidden: runAsNonRoot is set but the container would run as root",
                        path + ".securityContext.runAsNonRoot"});
    }
    for (const char* probe : {"readinessProbe", "livenessProbe", "startupProbe"}) {
      const api::json& exec = JsonMember(JsonMember(c, probe), "exec");
      if (!exec.is_object()) continue;
      ContainerRequest probe_req = req;
      probe_req.command = Strings(JsonMember(exec, "command"));
      probe_req.args = std::nullopt;
      if (Result<ResolvedProcess> pr = Resolve(catalog, probe_req, identity); !pr.ok()) {
        causes.push_back({"FieldValueForbidden", "Forbidden: " + pr.status().message(),
                          path + "." + probe + ".exec.command"});
      }
    }
  }
  if (causes.empty()) return std::nullopt;
  return api::InvalidError(kind, name, std::move(causes));
}

}  // namespace canaryd::workload

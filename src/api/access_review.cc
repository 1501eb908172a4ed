#include "api/access_review.h"

#include <algorithm>
#include <map>

#include "api/discovery.h"
#include "api/object_util.h"

namespace canaryd::api {
namespace {

using nlohmann::json;

constexpr const char* kWriteVerbs[] = {"create", "update", "patch", "delete"};
constexpr const char* kSystemNamespaces[] = {"default", "istio-system"};

std::string Who(const AccessPolicy& p) {
  return p.token_required
             ? "canaryd: the admin bearer token grants everything canaryd serves"
             : "canaryd: the admin API listens on loopback without a token, so every local "
               "caller may do everything canaryd serves";
}

const json& Member(const json& obj, const char* key) {
  static const json kNull;
  if (!obj.is_object()) return kNull;
  auto it = obj.find(key);
  return it == obj.end() ? kNull : *it;
}

std::string Str(const json& obj, const char* key) {
  const json& v = Member(obj, key);
  return v.is_string() ? v.get<std::string>() : "";
}

bool Serves(const config::KindInfo& k, const std::string& verb) {
  json verbs = VerbsOf(k);
  return std::find(verbs.begin(), verbs.end(), verb) != verbs.end();
}

// Why `verb` on `k` (named `name` in `ns`, either may be "") is refused whoever asks, or "".
std::string Refusal(const config::KindInfo& k, const std::string& verb, const std::string& ns,
                    const std::string& name, ObjectService& service) {
  const std::string resource = QualifiedResource(k);
  const bool write =
      std::find(std::begin(kWriteVerbs), std::end(kWriteVerbs), verb) != std::end(kWriteVerbs);
  if (k.serving == config::Serving::kRefused && (write || verb == "deletecollection")) {
    return resource + " are not served: " + config::UnservedReason(k);
  }
  if (!Serves(k, verb)) return "canaryd does not serve " + verb + " on " + resource;
  if (k.kind == config::Kind::kNamespace && verb == "delete" &&
      std::find(std::begin(kSystemNamespaces), std::end(kSystemNamespaces), name) !=
          std::end(kSystemNamespaces)) {
    return "namespaces \"" + name + "\" may not be deleted: canaryd keeps it";
  }
  if (write && !name.empty()) {
    Target t{&k, std::string(config::GroupVersions(k.group)[0]), ns, name};
    if (const SystemObject* o = service.SystemObjectAt(t.Key())) {
      return resource + " \"" + name + "\" may not be written: " + o->why_read_only;
    }
  }
  return "";
}

json Status(bool allowed, const std::string& reason) {
  json s = {{"allowed", allowed}};
  if (!reason.empty()) s["reason"] = reason;
  return s;
}

json ResourceStatus(const json& attrs, const AccessPolicy& policy, ObjectService& service) {
  const std::string verb = Str(attrs, "verb"), group = Str(attrs, "group");
  const std::string resource = Str(attrs, "resource"), sub = Str(attrs, "subresource");
  const std::string ns = Str(attrs, "namespace"), name = Str(attrs, "name");
  std::vector<const config::KindInfo*> kinds;
  for (const config::KindInfo& k : config::AllKinds()) {
    if ((resource == "*" || k.plural == resource) && (group == "*" || k.group == group)) {
      kinds.push_back(&k);
    }
  }
  if (kinds.empty()) {
    return Status(false, "canaryd does not serve " + resource + (group.empty() ? "" : "." + group));
  }
  const bool status_verb = verb == "get" || verb == "update" || verb == "patch" || verb == "*";
  if (!sub.empty() && !(sub == "status" && status_verb)) {
    return Status(false, "canaryd does not serve " + verb + " on the " + sub + " subresource");
  }
  std::vector<std::string> verbs;
  if (verb == "*" && !sub.empty()) {
    verbs = {"get", "update", "patch"};
  } else if (verb == "*") {
    for (const char* v :
         {"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"}) {
      verbs.push_back(v);
    }
  } else {
    verbs.push_back(verb);
  }
  for (const config::KindInfo* k : kinds) {
    if (!sub.empty() && verb != "get" && k->serving == config::Serving::kStored &&
        !config::HasStatusSubresource(*k)) {
      return Status(false, QualifiedResource(*k) + " have no status subresource");
    }
    for (const std::string& v : verbs) {
      std::string why = Refusal(*k, v, ns, name, service);
      if (!why.empty()) return Status(false, why);
    }
  }
  return Status(true, Who(policy));
}

json NonResourceStatus(const json& attrs, const AccessPolicy& policy) {
  const std::string verb = Str(attrs, "verb");
  if (verb != "get" && verb != "head") {
    return Status(false, "canaryd serves its non-resource paths (" + Str(attrs, "path") +
                             ") for reading only");
  }
  return Status(true, Who(policy));
}

ApiResult<json> Checked(const json& review, const char* kind) {
  if (!review.is_object()) return BadRequestError(std::string("a ") + kind + " must be an object");
  json out = review;
  out["apiVersion"] = "authorization.k8s.io/v1";
  out["kind"] = kind;
  if (!out.contains("metadata") || !out["metadata"].is_object()) out["metadata"] = json::object();
  out["metadata"].erase("resourceVersion");
  out["metadata"]["creationTimestamp"] = nullptr;
  return out;
}

json Rule(std::vector<std::string> verbs, const std::string& group,
          std::vector<std::string> resources, std::vector<std::string> names = {}) {
  json r = {{"verbs", verbs}, {"apiGroups", json::array({group})}, {"resources", resources}};
  if (!names.empty()) r["resourceNames"] = names;
  return r;
}

}  // namespace

ApiResult<json> ReviewAccess(const json& review, const AccessPolicy& policy,
                             ObjectService& service) {
  ApiResult<json> out = Checked(review, "SelfSubjectAccessReview");
  if (!out.ok()) return out;
  const json& spec = Member(review, "spec");
  const json& resource = Member(spec, "resourceAttributes");
  const json& non_resource = Member(spec, "nonResourceAttributes");
  if (resource.is_object() == non_resource.is_object()) {
    ApiError e = InvalidError(config::InfoOf(config::Kind::kSelfSubjectAccessReview), "",
                              {{"FieldValueRequired",
                                "Required value: exactly one of nonResourceAttributes or "
                                "resourceAttributes must be specified",
                                "spec.resourceAttributes"}});
    return e;
  }
  (*out)["status"] = resource.is_object() ? ResourceStatus(resource, policy, service)
                                          : NonResourceStatus(non_resource, policy);
  return out;
}

ApiResult<json> ReviewRules(const json& review, const AccessPolicy& policy,
                            ObjectService& service) {
  ApiResult<json> out = Checked(review, "SelfSubjectRulesReview");
  if (!out.ok()) return out;
  (void)policy;  // one kind of caller: the rules are what canaryd serves
  const std::string ns = Str(Member(review, "spec"), "namespace");
  json rules = json::array();
  // Kinds grouped by API group and verbs, as RBAC roles list them.
  std::map<std::pair<std::string, std::vector<std::string>>, std::vector<std::string>> grouped;
  std::vector<std::string> namespaces_deletable;
  for (const config::KindInfo& k : config::AllKinds()) {
    std::vector<std::string> verbs;
    for (const json& v : VerbsOf(k)) verbs.push_back(v.get<std::string>());
    if (k.kind == config::Kind::kNamespace) {
      // delete is granted by name: default and istio-system are refused to everyone.
      verbs.erase(std::remove(verbs.begin(), verbs.end(), "delete"), verbs.end());
      Target t{&k, "v1", "", ""};
      ApiResult<ListOutcome> all = service.List(t, LabelSelector(), FieldSelector());
      if (all.ok()) {
        for (const json& n : all->items) {
          std::string name = MetaString(n, "name");
          if (Refusal(k, "delete", "", name, service).empty()) namespaces_deletable.push_back(name);
        }
      }
    }
    Target in_ns{&k, "v1", k.namespaced ? ns : "", ""};
    if (!service.SystemObjectsOf(in_ns).empty() && k.namespaced && !ns.empty()) {
      // Writes by name, so that a system object's name is not among them.
      std::vector<std::string> by_name = {"update", "patch", "delete"};
      for (const std::string& v : by_name) {
        verbs.erase(std::remove(verbs.begin(), verbs.end(), v), verbs.end());
      }
      Target t{&k, std::string(config::GroupVersions(k.group)[0]), ns, ""};
      ApiResult<ListOutcome> items = service.List(t, LabelSelector(), FieldSelector());
      std::vector<std::string> names;
      if (items.ok()) {
        for (const json& o : items->items) {
          t.name = MetaString(o, "name");
          if (service.SystemObjectAt(t.Key()) == nullptr) names.push_back(t.name);
        }
      }
      if (!names.empty())
        rules.push_back(Rule(by_name, std::string(k.group), {std::string(k.plural)}, names));
    }
    grouped[{std::string(k.group), verbs}].push_back(std::string(k.plural));
  }
  for (auto& [key, resources] : grouped) {
    std::sort(resources.begin(), resources.end());
    resources.erase(std::unique(resources.begin(), resources.end()), resources.end());
    rules.push_back(Rule(key.second, key.first, resources));
  }
  if (!namespaces_deletable.empty()) {
    rules.push_back(Rule({"delete"}, "", {"namespaces"}, namespaces_deletable));
  }
  (*out)["status"] = {
      {"resourceRules", std::move(rules)},
      {"nonResourceRules",
       json::array({{{"verbs", json::array({"get"})}, {"nonResourceURLs", json::array({"*"})}}})},
      {"incomplete", false}};
  return out;
}

}  // namespace canaryd::api

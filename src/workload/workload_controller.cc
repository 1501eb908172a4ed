#include "workload/workload_controller.h"

#include <arpa/inet.h>

#include <map>
#include <set>

#include "api/object_util.h"
#include "config/pod_endpoint.h"
#include "workload/deployment_plan.h"
#include "workload/deployment_status.h"
#include "workload/replica_set_plan.h"

namespace canaryd::workload {
namespace {

using api::JsonInt;
using api::JsonMember;
using api::JsonString;

using api::json;

constexpr const char* kManager = "canaryd-controller-manager";
constexpr const char* kHashLabel = "pod-template-hash";
constexpr const char* kRevision = "deployment.kubernetes.io/revision";
constexpr const char* kRevisionHistory = "deployment.kubernetes.io/revision-history";
constexpr const char* kDesired = "deployment.kubernetes.io/desired-replicas";
constexpr const char* kMax = "deployment.kubernetes.io/max-replicas";
constexpr const char* kManagedBy = "endpoints.kubernetes.io/managed-by";

std::string Annotation(const json& o, const char* key) {
  return JsonString(JsonMember(JsonMember(o, "metadata"), "annotations"), key);
}
std::optional<int> AnnotationInt(const json& o, const char* key) {
  std::string v = Annotation(o, key);
  if (v.empty()) return std::nullopt;
  char* end = nullptr;
  long n = std::strtol(v.c_str(), &end, 10);
  if (*end != '\0') return std::nullopt;
  return static_cast<int>(n);
}
int64_t TimeMs(const std::string& t) {
  std::optional<int64_t> n = api::ParseTimestamp(t);
  return n ? *n / 1'000'000 : 0;
}
std::string FormatMs(int64_t ms) {
  return api::FormatTimestamp(ms * 1'000'000);
}

api::Target TargetOf(config::Kind kind, const std::string& ns, const std::string& name) {
  const config::KindInfo& k = config::InfoOf(kind);
  return api::Target{&k, k.group.empty() ? "v1" : "v1", ns, name};
}

api::WriteOptions Options() {
  api::WriteOptions o;
  o.field_manager = kManager;
  return o;
}

// The controller owner's uid, or "".
std::string ControllerUid(const json& o) {
  const json& refs = JsonMember(JsonMember(o, "metadata"), "ownerReferences");
  if (!refs.is_array()) return "";
  for (const json& r : refs) {
    if (JsonMember(r, "controller").is_boolean() && r["controller"].get<bool>())
      return JsonString(r, "uid");
  }
  return "";
}

json OwnerRef(const json& owner, const char* api_version, const char* kind) {
  return {{"apiVersion", api_version},
          {"kind", kind},
          {"name", api::MetaString(owner, "name")},
          {"uid", api::MetaString(owner, "uid")},
          {"controller", true},
          {"blockOwnerDeletion", true}};
}

// The template without the hash label, dumped with sorted keys: what the hash and the
// comparison of templates read.
std::string CanonicalTemplate(json t) {
  if (t.is_object() && t.contains("metadata") && t["metadata"].is_object()) {
    if (auto l = t["metadata"].find("labels"); l != t["metadata"].end() && l->is_object()) {
      l->erase(kHashLabel);
    }
  }
  return t.dump();
}

IntOrPercent ParseIntOrPercent(const json& v, IntOrPercent fallback) {
  if (v.is_number_integer()) return IntOrPercent::Int(v.get<int>());
  if (v.is_string()) {
    if (Result<IntOrPercent> p = IntOrPercent::Parse(v.get<std::string>()); p.ok()) return *p;
  }
  return fallback;
}

PodView PodViewOf(const json& pod) {
  PodView v;
  v.name = api::MetaString(pod, "name");
  const json& st = JsonMember(pod, "status");
  std::string phase = JsonString(st, "phase");
  v.phase = phase == "Running"     ? PodPhase::kRunning
            : phase == "Succeeded" ? PodPhase::kSucceeded
            : phase == "Failed"    ? PodPhase::kFailed
            : phase == "Unknown"   ? PodPhase::kUnknown
                                   : PodPhase::kPending;
  const json& conds = JsonMember(st, "conditions");
  if (conds.is_array()) {
    for (const json& c : conds) {
      if (JsonString(c, "type") == "Ready" && JsonString(c, "status") == "True") {
        v.ready = true;
        v.ready_since_ms = TimeMs(JsonString(c, "lastTransitionTime"));
      }
    }
  }
  v.terminating = !api::MetaString(pod, "deletionTimestamp").empty();
  const json& cs = JsonMember(st, "containerStatuses");
  if (cs.is_array()) {
    for (const json& c : cs) v.restarts = std::max<int>(v.restarts, JsonInt(c, "restartCount", 0));
  }
  v.created_ms = TimeMs(api::MetaString(pod, "creationTimestamp"));
  return v;
}

DeploymentStatus StatusFromJson(const json& st) {
  DeploymentStatus s;
  s.observed_generation = JsonInt(st, "observedGeneration", 0);
  s.replicas = JsonInt(st, "replicas", 0);
  s.updated_replicas = JsonInt(st, "updatedReplicas", 0);
  s.ready_replicas = JsonInt(st, "readyReplicas", 0);
  s.available_replicas = JsonInt(st, "availableReplicas", 0);
  s.unavailable_replicas = JsonInt(st, "unavailableReplicas", 0);
  if (JsonMember(st, "collisionCount").is_number_integer()) {
    s.collision_count = JsonInt(st, "collisionCount", 0);
  }
  if (const json& conds = JsonMember(st, "conditions"); conds.is_array()) {
    for (const json& c : conds) {
      s.conditions.push_back({JsonString(c, "type"), JsonString(c, "status"),
                              JsonString(c, "reason"), JsonString(c, "message"),
                              TimeMs(JsonString(c, "lastUpdateTime")),
                              TimeMs(JsonString(c, "lastTransitionTime"))});
    }
  }
  return s;
}

json StatusToJson(const DeploymentStatus& s) {
  json out = {{"observedGeneration", s.observed_generation},
              {"replicas", s.replicas},
              {"updatedReplicas", s.updated_replicas},
              {"readyReplicas", s.ready_replicas},
              {"availableReplicas", s.available_replicas},
              {"unavailableReplicas", s.unavailable_replicas}};
  if (s.collision_count) out["collisionCount"] = *s.collision_count;
  json conds = json::array();
  for (const DeploymentCondition& c : s.conditions) {
    conds.push_back({{"type", c.type},
                     {"status", c.status},
                     {"reason", c.reason},
                     {"message", c.message},
                     {"lastUpdateTime", FormatMs(c.last_update_ms)},
                     {"lastTransitionTime", FormatMs(c.last_transition_ms)}});
  }
  out["conditions"] = std::move(conds);
  return out;
}

}  // namespace

WorkloadController::WorkloadController(api::ObjectService& objects, const Clock& clock,
                                       WorkloadControllerOptions options)
    : objects_(objects),
      clock_(clock),
      options_(std::move(options)),
      random_(SeededRandom(options_.seed != 0 ? options_.seed
                                              : static_cast<uint64_t>(clock.WallNanos()))) {}

WorkloadController::~WorkloadController() {
  Stop();
}

void WorkloadController::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void WorkloadController::Stop() {
  {
    std::lock_guard<std::mutex> lock(loop_mu_);
    stopping_ = true;
    loop_cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void WorkloadController::Loop() {
  std::unique_lock<std::mutex> lock(loop_mu_);
  while (!stopping_) {
    lock.unlock();
    Tick();
    lock.lock();
    loop_cv_.wait_for(lock, std::chrono::milliseconds(options_.tick_ms), [&] { return stopping_; });
  }
}

void WorkloadController::Tick() {
  auto list = [&](config::Kind kind) -> std::vector<json> {
    api::ApiResult<api::ListOutcome> l =
        objects_.List(TargetOf(kind, "", ""), api::LabelSelector(), api::FieldSelector());
    return l.ok() ? std::move(l->items) : std::vector<json>{};
  };
  std::vector<json> deployments = list(config::Kind::kDeployment);
  std::vector<json> rss = list(config::Kind::kReplicaSet);
  std::vector<json> pods = list(config::Kind::kPod);
  std::map<std::string, std::vector<const json*>> rs_by_owner, pods_by_owner;
  std::set<std::string> uids;
  for (const json& d : deployments) uids.insert(api::MetaString(d, "uid"));
  for (const json& rs : rss) {
    uids.insert(api::MetaString(rs, "uid"));
    if (std::string o = ControllerUid(rs); !o.empty()) rs_by_owner[o].push_back(&rs);
  }
  for (const json& p : pods) {
    if (std::string o = ControllerUid(p); !o.empty()) pods_by_owner[o].push_back(&p);
  }
  // Garbage collection: what lost its controller goes (background propagation).
  for (const std::vector<json>* objs : {&rss, &pods}) {
    for (const json& o : *objs) {
      std::string owner = ControllerUid(o);
      if (owner.empty() || uids.count(owner)) continue;
      config::Kind kind = objs == &rss ? config::Kind::kReplicaSet : config::Kind::kPod;
      api::DeleteOptions del;
      del.uid = api::MetaString(o, "uid");
      (void)objects_.Delete(
          TargetOf(kind, api::MetaString(o, "namespace"), api::MetaString(o, "name")), del);
    }
  }
  for (const json& d : deployments) SyncDeployment(d, rs_by_owner[api::MetaString(d, "uid")], pods);
  for (const json& rs : rss) SyncReplicaSet(rs, pods_by_owner[api::MetaString(rs, "uid")]);
  std::vector<json> services = list(config::Kind::kService);
  std::vector<json> endpoints = list(config::Kind::kEndpoints);
  std::vector<json> workload_entries = list(config::Kind::kWorkloadEntry);
  for (const json& svc : services) SyncEndpoints(svc, pods, workload_entries, endpoints);
  // Endpoints this controller wrote for a Service that is gone or lost its selector.
  for (const json& ep : endpoints) {
    if (Annotation(ep, kManagedBy) != kManager) continue;
    bool keep = false;
    for (const json& svc : services) {
      keep |= api::MetaString(svc, "namespace") == api::MetaString(ep, "namespace") &&
              api::MetaString(svc, "name") == api::MetaString(ep, "name") &&
              JsonMember(JsonMember(svc, "spec"), "selector").is_object() &&
              !svc["spec"]["selector"].empty();
    }
    if (!keep) {
      (void)objects_.Delete(TargetOf(config::Kind::kEndpoints, api::MetaString(ep, "namespace"),
                                     api::MetaString(ep, "name")),
                            {});
    }
  }
}

void WorkloadController::SyncDeployment(const json& d, const std::vector<const json*>& owned,
                                        const std::vector<json>& pods) {
  const std::string ns = api::MetaString(d, "namespace");
  const std::string name = api::MetaString(d, "name");
  const json& spec = JsonMember(d, "spec");
  const json& template_ = JsonMember(spec, "template");
  DeploymentStatus previous = StatusFromJson(JsonMember(d, "status"));
  int64_t now_ms = clock_.WallNanos() / 1'000'000;

  DeploymentView view;
  view.name = name;
  view.generation = JsonInt(JsonMember(d, "metadata"), "generation", 1);
  view.replicas = static_cast<int>(JsonInt(spec, "replicas", 1));
  const json& strategy = JsonMember(spec, "strategy");
  view.strategy = JsonString(strategy, "type") == "Recreate" ? DeploymentStrategy::kRecreate
                                                             : DeploymentStrategy::kRollingUpdate;
  const json& ru = JsonMember(strategy, "rollingUpdate");
  view.max_surge = ParseIntOrPercent(JsonMember(ru, "maxSurge"), IntOrPercent::Percent(25));
  view.max_unavailable =
      ParseIntOrPercent(JsonMember(ru, "maxUnavailable"), IntOrPercent::Percent(25));
  view.min_ready_seconds = static_cast<int>(JsonInt(spec, "minReadySeconds", 0));
  view.revision_history_limit = static_cast<int>(JsonInt(spec, "revisionHistoryLimit", 10));
  view.paused = JsonMember(spec, "paused").is_boolean() && spec["paused"].get<bool>();
  view.progress_deadline_seconds = JsonInt(spec, "progressDeadlineSeconds", 600);
  std::string canonical = CanonicalTemplate(template_);
  view.template_hash = ComputeTemplateHash(canonical, previous.collision_count);

  std::vector<ReplicaSetView> views;
  std::map<std::string, const json*> by_name;
  for (const json* rs : owned) {
    ReplicaSetView v;
    v.name = api::MetaString(*rs, "name");
    by_name[v.name] = rs;
    v.template_hash = JsonString(JsonMember(JsonMember(*rs, "metadata"), "labels"), kHashLabel);
    v.revision = AnnotationInt(*rs, kRevision).value_or(0);
    v.replicas = static_cast<int>(JsonInt(JsonMember(*rs, "spec"), "replicas", 1));
    const json& st = JsonMember(*rs, "status");
    v.status_replicas = static_cast<int>(JsonInt(st, "replicas", 0));
    v.ready = static_cast<int>(JsonInt(st, "readyReplicas", 0));
    v.available = static_cast<int>(JsonInt(st, "availableReplicas", 0));
    std::string rs_uid = api::MetaString(*rs, "uid");
    for (const json& p : pods) {
      if (ControllerUid(p) != rs_uid) continue;
      std::string phase = JsonString(JsonMember(p, "status"), "phase");
      if (phase != "Succeeded" && phase != "Failed") ++v.live_pods;
    }
    v.created_ms = TimeMs(api::MetaString(*rs, "creationTimestamp"));
    v.matches_template =
        CanonicalTemplate(JsonMember(JsonMember(*rs, "spec"), "template")) == canonical;
    v.desired_replicas_annotation = AnnotationInt(*rs, kDesired);
    v.max_replicas_annotation = AnnotationInt(*rs, kMax);
    v.min_ready_seconds = static_cast<int>(JsonInt(JsonMember(*rs, "spec"), "minReadySeconds", 0));
    v.status_observed = JsonInt(JsonMember(*rs, "metadata"), "generation", 1) <=
                        JsonInt(st, "observedGeneration", 0);
    views.push_back(std::move(v));
  }

  DeploymentPlan plan = PlanDeployment(view, views);
  if (plan.create) {
    const CreateReplicaSetAction& c = *plan.create;
    json rs_template = template_;
    rs_template["metadata"]["labels"][kHashLabel] = c.template_hash;
    json selector = JsonMember(spec, "selector");
    selector["matchLabels"][kHashLabel] = c.template_hash;
    json labels = JsonMember(JsonMember(template_, "metadata"), "labels");
    if (!labels.is_object()) labels = json::object();
    labels[kHashLabel] = c.template_hash;
    json rs = {{"apiVersion", "apps/v1"},
               {"kind", "ReplicaSet"},
               {"metadata",
                {{"name", c.name},
                 {"namespace", ns},
                 {"labels", labels},
                 {"annotations",
                  {{kRevision, std::to_string(c.revision)},
                   {kDesired, std::to_string(c.desired_replicas_annotation)},
                   {kMax, std::to_string(c.max_replicas_annotation)}}},
                 {"ownerReferences", json::array({OwnerRef(d, "apps/v1", "Deployment")})}}},
               {"spec",
                {{"replicas", c.replicas},
                 {"minReadySeconds", c.min_ready_seconds},
                 {"selector", selector},
                 {"template", rs_template}}}};
    (void)objects_.Create(TargetOf(config::Kind::kReplicaSet, ns, ""), rs, Options());
  }
  if (plan.update_new) {
    json history = "";
    std::string h;
    for (int64_t r : plan.update_new->revision_history)
      h += (h.empty() ? "" : ",") + std::to_string(r);
    json annotations = {{kRevision, std::to_string(plan.update_new->revision)}};
    annotations[kRevisionHistory] = h.empty() ? json() : json(h);
    json patch = {{"metadata", {{"annotations", annotations}}},
                  {"spec", {{"minReadySeconds", plan.update_new->min_ready_seconds}}}};
    (void)objects_.Patch(TargetOf(config::Kind::kReplicaSet, ns, plan.update_new->rs_name),
                         api::PatchType::kMerge, patch.dump(), Options());
  }
  for (const ScaleAction& s : plan.scales) {
    json patch = {{"metadata",
                   {{"annotations",
                     {{kDesired, std::to_string(s.desired_replicas_annotation)},
                      {kMax, std::to_string(s.max_replicas_annotation)}}}}},
                  {"spec", {{"replicas", s.replicas}}}};
    (void)objects_.Patch(TargetOf(config::Kind::kReplicaSet, ns, s.rs_name), api::PatchType::kMerge,
                         patch.dump(), Options());
  }
  for (const std::string& del : plan.deletes) {
    (void)objects_.Delete(TargetOf(config::Kind::kReplicaSet, ns, del), {});
  }
  if (plan.revision > 0 && Annotation(d, kRevision) != std::to_string(plan.revision)) {
    json patch = {{"metadata", {{"annotations", {{kRevision, std::to_string(plan.revision)}}}}}};
    (void)objects_.Patch(TargetOf(config::Kind::kDeployment, ns, name), api::PatchType::kMerge,
                         patch.dump(), Options());
  }
  std::vector<ReplicaSetView> after = ApplyDeploymentPlan(views, plan, now_ms);
  DeploymentStatusResult status = ComputeDeploymentStatus(view, previous, after, plan, now_ms);
  json next = StatusToJson(status.status);
  if (next != JsonMember(d, "status")) {
    (void)objects_.ReplaceStatus(TargetOf(config::Kind::kDeployment, ns, name), next, "",
                                 Options());
  }
}

void WorkloadController::SyncReplicaSet(const json& rs, const std::vector<const json*>& owned) {
  const std::string ns = api::MetaString(rs, "namespace");
  const std::string name = api::MetaString(rs, "name");
  const json& spec = JsonMember(rs, "spec");
  int desired = static_cast<int>(JsonInt(spec, "replicas", 1));
  int min_ready = static_cast<int>(JsonInt(spec, "minReadySeconds", 0));
  std::vector<PodView> views;
  for (const json* p : owned) views.push_back(PodViewOf(*p));
  ReplicaSetPlan plan = PlanReplicaSet(desired, views);
  const json& template_ = JsonMember(spec, "template");
  for (int i = 0; i < plan.create && template_.is_object(); ++i) {
    json pod_spec = JsonMember(template_, "spec");
    pod_spec["nodeName"] = options_.node_name;
    json meta = JsonMember(template_, "metadata");
    if (!meta.is_object()) meta = json::object();
    meta.erase("creationTimestamp");
    meta["name"] = PodName(name, random_);
    meta["namespace"] = ns;
    meta["ownerReferences"] = json::array({OwnerRef(rs, "apps/v1", "ReplicaSet")});
    json pod = {{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", meta}, {"spec", pod_spec}};
    (void)objects_.Create(TargetOf(config::Kind::kPod, ns, ""), pod, Options());
  }
  for (const std::string& p : plan.delete_pods) {
    (void)objects_.Delete(TargetOf(config::Kind::kPod, ns, p), {});
  }
  int64_t now_ms = clock_.WallNanos() / 1'000'000;
  ReplicaSetStatus st = ComputeReplicaSetStatus(views, min_ready, now_ms);
  json next = {{"replicas", st.replicas},
               {"fullyLabeledReplicas", st.fully_labeled_replicas},
               {"readyReplicas", st.ready_replicas},
               {"availableReplicas", st.available_replicas},
               {"observedGeneration", JsonInt(JsonMember(rs, "metadata"), "generation", 1)}};
  if (next != JsonMember(rs, "status")) {
    (void)objects_.ReplaceStatus(TargetOf(config::Kind::kReplicaSet, ns, name), next, "",
                                 Options());
  }
}

void WorkloadController::SyncEndpoints(const json& svc, const std::vector<json>& pods,
                                       const std::vector<json>& workload_entries,
                                       const std::vector<json>& endpoints) {
  const json& spec = JsonMember(svc, "spec");
  const json& selector = JsonMember(spec, "selector");
  if (!selector.is_object() || selector.empty()) return;  // a person's Endpoints, if any
  const bool publish_not_ready = JsonMember(spec, "publishNotReadyAddresses") == true;
  const std::string ns = api::MetaString(svc, "namespace");
  const std::string name = api::MetaString(svc, "name");
  // One subset per set of ports: Pods are given ports of their own, so usually one per Pod.
  std::map<json, json> subsets;  // ports -> subset
  for (const json& p : pods) {
    if (api::MetaString(p, "namespace") != ns) continue;
    const json& labels = JsonMember(JsonMember(p, "metadata"), "labels");
    bool match = labels.is_object();
    for (auto it = selector.begin(); match && it != selector.end(); ++it) {
      match = labels.contains(it.key()) && labels[it.key()] == *it;
    }
    if (!match) continue;
    std::string ip = JsonString(JsonMember(p, "status"), "podIP");
    if (ip.empty()) continue;
    std::map<int64_t, uint32_t> given =
        config::ParsePodPorts(Annotation(p, config::kPodPortsAnnotation));
    std::map<std::string, int64_t> names;
    if (const json& cs = JsonMember(JsonMember(p, "spec"), "containers"); cs.is_array()) {
      for (const json& c : cs) {
        for (const json& port : JsonMember(c, "ports")) {
          if (!JsonString(port, "name").empty())
            names[JsonString(port, "name")] = JsonInt(port, "containerPort", 0);
        }
      }
    }
    json ports = json::array();
    for (const json& sp : JsonMember(spec, "ports")) {
      const json& target = JsonMember(sp, "targetPort");
      int64_t cp = target.is_number_integer() ? target.get<int64_t>() : JsonInt(sp, "port", 0);
      if (target.is_string()) {
        auto it = names.find(target.get<std::string>());
        if (it == names.end()) continue;
        cp = it->second;
      }
      auto g = given.find(cp);
      if (g == given.end()) continue;
      json port = {
          {"port", g->second},
          {"protocol", JsonString(sp, "protocol").empty() ? "TCP" : JsonString(sp, "protocol")}};
      if (!JsonString(sp, "name").empty()) port["name"] = JsonString(sp, "name");
      ports.push_back(std::move(port));
    }
    if (ports.empty()) continue;
    bool ready = (PodViewOf(p).ready || publish_not_ready) &&
                 api::MetaString(p, "deletionTimestamp").empty();
    json address = {{"ip", ip},
                    {"nodeName", options_.node_name},
                    {"targetRef",
                     {{"kind", "Pod"},
                      {"namespace", ns},
                      {"name", api::MetaString(p, "name")},
                      {"uid", api::MetaString(p, "uid")}}}};
    json& subset = subsets[ports];
    if (subset.is_null()) subset = {{"ports", ports}};
    subset[ready ? "addresses" : "notReadyAddresses"].push_back(std::move(address));
  }
  // WorkloadEntries the selector matches, on their port for each Service port (by the port's
  // name in the entry's ports, else the target port number), as the router sends to them.
  for (const json& we : workload_entries) {
    if (api::MetaString(we, "namespace") != ns) continue;
    const json& we_spec = JsonMember(we, "spec");
    const json& labels = JsonMember(we_spec, "labels");
    bool match = labels.is_object();
    for (auto it = selector.begin(); match && it != selector.end(); ++it) {
      match = labels.contains(it.key()) && labels[it.key()] == *it;
    }
    std::string address = JsonString(we_spec, "address");
    in6_addr scratch;
    bool ip = inet_pton(AF_INET, address.c_str(), &scratch) == 1 ||
              inet_pton(AF_INET6, address.c_str(), &scratch) == 1;
    if (!match || !ip) continue;  // an Endpoints address is an IP; a host name has none to show
    const json& named = JsonMember(we_spec, "ports");
    json ports = json::array();
    for (const json& sp : JsonMember(spec, "ports")) {
      const json& target = JsonMember(sp, "targetPort");
      int64_t port = target.is_number_integer() ? target.get<int64_t>() : JsonInt(sp, "port", 0);
      if (target.is_string() && JsonMember(named, target.get<std::string>().c_str()).is_number()) {
        port = named[target.get<std::string>()].get<int64_t>();
      }
      if (!JsonString(sp, "name").empty() &&
          JsonMember(named, JsonString(sp, "name").c_str()).is_number()) {
        port = named[JsonString(sp, "name")].get<int64_t>();
      }
      json p = {
          {"port", port},
          {"protocol", JsonString(sp, "protocol").empty() ? "TCP" : JsonString(sp, "protocol")}};
      if (!JsonString(sp, "name").empty()) p["name"] = JsonString(sp, "name");
      ports.push_back(std::move(p));
    }
    json& subset = subsets[ports];
    if (subset.is_null()) subset = {{"ports", ports}};
    subset["addresses"].push_back({{"ip", address},
                                   {"targetRef",
                                    {{"kind", "WorkloadEntry"},
                                     {"apiVersion", "networking.istio.io/v1"},
                                     {"namespace", ns},
                                     {"name", api::MetaString(we, "name")},
                                     {"uid", api::MetaString(we, "uid")}}}});
  }
  json list = json::array();
  for (auto& [ports, subset] : subsets) list.push_back(std::move(subset));
  const json* existing = nullptr;
  for (const json& ep : endpoints) {
    if (api::MetaString(ep, "namespace") == ns && api::MetaString(ep, "name") == name)
      existing = &ep;
  }
  json want_subsets = list.empty() ? json() : list;
  if (existing != nullptr && Annotation(*existing, kManagedBy) == kManager &&
      JsonMember(*existing, "subsets") == want_subsets) {
    return;
  }
  json ep = {{"apiVersion", "v1"},
             {"kind", "Endpoints"},
             {"metadata",
              {{"name", name},
               {"namespace", ns},
               {"labels", JsonMember(JsonMember(svc, "metadata"), "labels").is_object()
                              ? svc["metadata"]["labels"]
                              : json::object()},
               {"annotations", {{kManagedBy, kManager}}}}}};
  if (!list.empty()) ep["subsets"] = list;
  api::Target t = TargetOf(config::Kind::kEndpoints, ns, name);
  if (existing == nullptr) {
    (void)objects_.Create(TargetOf(config::Kind::kEndpoints, ns, ""), ep, Options());
  } else {
    ep["metadata"]["resourceVersion"] = api::MetaString(*existing, "resourceVersion");
    (void)objects_.Replace(t, ep, Options());
  }
}

}  // namespace canaryd::workload

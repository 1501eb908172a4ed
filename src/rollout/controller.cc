#include "rollout/controller.h"

#include <cmath>
#include <cstdio>

#include "api/json_node.h"
#include "api/object_util.h"
#include "config/hosts.h"
#include "config/query_template.h"
#include "config/resource.h"
#include "rollout/route_weights.h"
#include "rollout/sequential_update.h"
#include "rollout/target_workload.h"
#include "store/store.h"

namespace canaryd::rollout {
namespace {

using api::json;

constexpr int kMaxNeedsPerTick = 8;           // gates and checks one tick may ask for
constexpr int64_t kForcePersistSeconds = 60;  // persist the tests' evidence at least this often

api::Target CanaryTarget(const std::string& ns, const std::string& name) {
  return {&config::InfoOf(config::Kind::kCanary), "v1alpha1", ns, name};
}

std::string Meta(const json& obj, const char* key) {
  if (!obj.contains("metadata") || !obj["metadata"].is_object()) return "";
  const json& v = obj["metadata"].value(key, json());
  return v.is_string() ? v.get<std::string>() : "";
}

bool HasAnnotation(const json& obj, const char* key) {
  if (!obj.contains("metadata")) return false;
  const json& meta = obj["metadata"];
  auto a = meta.find("annotations");
  if (a == meta.end() || !a->is_object()) return false;
  auto v = a->find(key);
  return v != a->end() && v->is_string() && !v->get<std::string>().empty() &&
         v->get<std::string>() != "false";
}

// The service FQDN the gateway's statistics name a destination host by.
std::string StatsService(const config::Destination& d, const std::string& ns) {
  std::vector<std::string> c = config::HostCandidates(d.host, ns);
  return c.empty() ? d.host : c.back();
}

WindowStats Sum(const std::vector<telemetry::SecondBucket>& seconds) {
  WindowStats w;
  for (const telemetry::SecondBucket& b : seconds) {
    w.requests += b.requests;
    w.errors += b.requests - b.successes;
    w.latency.Merge(b.latency);
  }
  return w;
}

}  // namespace

RolloutController::RolloutController(api::ObjectService& objects, const Clock& clock,
                                     const TrafficSource& traffic, Outbound& outbound,
                                     ControllerOptions options)
    : objects_(objects),
      clock_(clock),
      traffic_(traffic),
      outbound_(outbound),
      options_(std::move(options)) {}

RolloutController::~RolloutController() {
  Stop();
}

void RolloutController::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void RolloutController::Stop() {
  {
    std::lock_guard<std::mutex> lock(loop_mu_);
    stopping_ = true;
  }
  loop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void RolloutController::Loop() {
  std::unique_lock<std::mutex> lock(loop_mu_);
  while (!stopping_) {
    lock.unlock();
    Tick();
    lock.lock();
    loop_cv_.wait_for(lock, std::chrono::milliseconds(options_.tick_ms),
                      [this] { return stopping_; });
  }
}

void RolloutController::Tick() {
  api::ApiResult<api::ListOutcome> list =
      objects_.List(CanaryTarget("", ""), api::LabelSelector(), api::FieldSelector());
  if (!list.ok()) return;
  std::map<std::string, bool> seen;
  for (const json& canary : list->items) {
    seen[Meta(canary, "namespace") + "/" + Meta(canary, "name")] = true;
    TickOne(canary);
  }
  std::lock_guard<std::mutex> lock(shown_mu_);
  for (auto it = shown_.begin(); it != shown_.end();) {
    it = seen.count(it->first) ? std::next(it) : shown_.erase(it);
  }
}

void RolloutController::TickOne(const json& canary) {
  const std::string ns = Meta(canary, "namespace"), name = Meta(canary, "name");
  if (!Meta(canary, "deletionTimestamp").empty()) return;
  config::Diagnostics diags;
  std::optional<config::Resource> r = config::DecodeResource(api::JsonToNode(canary), diags, ns);
  if (!r || diags.has_errors()) return;  // the API validated it; a stored object can only be ours
  const config::CanarySpec& spec = r->As<config::CanarySpec>();
  CanaryPlan plan = MakePlan(spec, ns, name);
  int64_t now = clock_.WallNanos() / 1'000'000;

  TickInput in;
  in.now_ms = now;
  const CanaryStatus stored = StatusFromJson(canary.value("status", json()));
  std::optional<TargetObjects> target;
  if (plan.target) {
    target = ReconcileTarget(plan, stored);
    in.workload = target->observation;
    in.revision = RevisionOf(spec, target->observation.target_template);
  } else {
    in.revision = RevisionOf(spec);
  }
  in.generation = r->metadata.generation.value_or(0);
  in.abort_requested = HasAnnotation(canary, kAbortAnnotation);
  in.promote_requested = HasAnnotation(canary, kPromoteAnnotation);

  api::Target vs_target{&config::InfoOf(config::Kind::kVirtualService), "v1", ns,
                        plan.virtual_service};
  api::ApiResult<json> vs = objects_.Get(vs_target);
  if (vs.ok()) {
    in.route = ObserveRoute(*vs, plan, in.revision);
  } else {
    in.route.error = "no VirtualService \"" + plan.virtual_service + "\" in namespace " + ns +
                     (vs.error().code == 404 ? "" : ": " + vs.error().message);
  }

  CanaryStatus status = stored;
  if (status.revision == in.revision) FoldSequential(plan, status, now);

  Decision d = Decide(plan, status, in);
  for (int i = 0; i < kMaxNeedsPerTick && d.need != Decision::Need::kNothing; ++i) {
    if (d.need == Decision::Need::kChecks) {
      std::optional<std::string> rollback;
      in.checks = RunChecks(plan, status, &rollback);
      in.rollback_requested = rollback;
    } else {
      in.gates[d.gate] = CallGate(plan, status, d.gate);
    }
    d = Decide(plan, status, in);
  }
  bool evidence_old =
      status.sequential_through_second - stored.sequential_through_second >= kForcePersistSeconds;
  if (d.persist || evidence_old) {
    if (!WriteStatus(canary, d.status)) return;  // moved meanwhile: the next tick re-reads
  }
  if (d.write_weight && vs.ok()) WriteWeights(*vs, plan, d.status);
  if (target) ApplyTarget(plan, d.status, *target);
  for (const EventRecord& e : d.events) RecordEvent(canary, plan, d.status, e);
  for (const std::string& type : d.notify) Notify(plan, d.status, type);
  if (d.consume_requests) ClearRequests(canary);

  Shown shown{ns,
              name,
              d.status.phase,
              d.status.canary_weight,
              d.status.last_checks,
              d.status.sequential,
              d.status.analysis_start_ms,
              d.status.last_transition_ms};
  std::lock_guard<std::mutex> lock(shown_mu_);
  shown_[ns + "/" + name] = std::move(shown);
}

void RolloutController::FoldSequential(const CanaryPlan& plan, CanaryStatus& status,
                                       int64_t now_ms) {
  int64_t through = now_ms / 1000 - options_.settle_seconds;
  int64_t from = status.sequential_through_second + 1;
  if (through < from) return;
  bool analysing = status.phase == Phase::kProgressing ||
                   status.phase == Phase::kWaitingPromotion || status.phase == Phase::kPromoting;
  if (analysing && !status.sequential.empty() && !plan.suspend) {
    from = std::max(from, through - telemetry::LiveStats::kMaxWindowSeconds + 1);
    std::string canary = StatsService(plan.canary, plan.ns);
    std::string stable = StatsService(plan.stable, plan.ns);
    std::vector<telemetry::SecondBucket> c =
        traffic_.Seconds(canary, plan.canary.subset.value_or(""), from, through);
    std::vector<telemetry::SecondBucket> s =
        traffic_.Seconds(stable, plan.stable.subset.value_or(""), from, through);
    std::map<int64_t, SecondPair> pairs;
    for (const auto& b : c) {
      pairs[b.second].second = b.second;
      pairs[b.second].canary = b;
    }
    for (const auto& b : s) {
      pairs[b.second].second = b.second;
      pairs[b.second].stable = b;
    }
    std::vector<SecondPair> seconds;
    for (auto& [sec, p] : pairs) seconds.push_back(p);
    FoldSeconds(status.sequential, seconds);
  }
  status.sequential_through_second = through;
}

namespace {

api::Target DeploymentTarget(const std::string& ns, const std::string& name) {
  return {&config::InfoOf(config::Kind::kDeployment), "v1", ns, name};
}

std::string WriteError(const char* verb, const std::string& what, const api::ApiError& e) {
  return std::string("cannot ") + verb + " " + what + ": " + e.message;
}

}  // namespace

RolloutController::TargetObjects RolloutController::ReconcileTarget(const CanaryPlan& plan,
                                                                    const CanaryStatus& stored) {
  const TargetPlan& tp = *plan.target;
  TargetObjects out;
  api::ApiResult<json> target = objects_.Get(DeploymentTarget(plan.ns, tp.deployment));
  if (target.ok()) out.target = *target;
  api::ApiResult<json> primary = objects_.Get(DeploymentTarget(plan.ns, tp.primary_deployment));
  if (primary.ok()) out.primary = *primary;
  out.observation = ObserveWorkload(plan, out.target, out.primary);
  if (!out.observation.error.empty()) return out;
  std::string error;
  out.label = *SelectorLabel(out.target, &error);
  const std::string value = out.target["spec"]["selector"]["matchLabels"][out.label];
  api::WriteOptions options;
  options.field_manager = options_.component;
  auto fail = [&](std::string why) {
    out.observation.error = std::move(why);
    return out;
  };
  if (!out.primary.is_object()) {
    api::ApiResult<api::WriteOutcome> w =
        objects_.Create(DeploymentTarget(plan.ns, tp.primary_deployment),
                        NewPrimary(out.target, plan, out.label), options);
    if (!w.ok()) {
      return fail(WriteError("create", "Deployment " + tp.primary_deployment, w.error()));
    }
    out.primary = w->object;
    out.observation = ObserveWorkload(plan, out.target, out.primary);
  }
  if (!RoutesToPrimary(stored, out.observation)) return out;
  for (const ServiceShape& shape : TargetServices(plan, value)) {
    api::Target t{&config::InfoOf(config::Kind::kService), "v1", plan.ns, shape.name};
    api::ApiResult<json> have = objects_.Get(t);
    if (!have.ok() && have.error().code != 404) {
      return fail(WriteError("read", "Service " + shape.name, have.error()));
    }
    json want = DesiredService(plan, shape, out.label, have.ok() ? &*have : nullptr);
    if (want.is_null()) continue;
    api::ApiResult<api::WriteOutcome> w = have.ok() ? objects_.Replace(t, std::move(want), options)
                                                    : objects_.Create(t, std::move(want), options);
    if (!w.ok()) return fail(WriteError("write", "Service " + shape.name, w.error()));
  }
  if (tp.own_virtual_service) {
    api::Target t{&config::InfoOf(config::Kind::kVirtualService), "v1", plan.ns,
                  plan.virtual_service};
    api::ApiResult<json> have = objects_.Get(t);
    if (!have.ok() && have.error().code != 404) {
      return fail(WriteError("read", "VirtualService " + plan.virtual_service, have.error()));
    }
    json want = DesiredVirtualService(plan, have.ok() ? &*have : nullptr);
    if (!want.is_null()) {
      api::ApiResult<api::WriteOutcome> w = have.ok()
                                                ? objects_.Replace(t, std::move(want), options)
                                                : objects_.Create(t, std::move(want), options);
      if (!w.ok()) {
        return fail(WriteError("write", "VirtualService " + plan.virtual_service, w.error()));
      }
    }
  }
  return out;
}

void RolloutController::ApplyTarget(const CanaryPlan& plan, const CanaryStatus& status,
                                    const TargetObjects& objects) {
  if (!objects.observation.error.empty() || !objects.target.is_object()) return;
  const TargetPlan& tp = *plan.target;
  api::WriteOptions options;
  options.field_manager = options_.component;
  if (objects.primary.is_object() && PrimaryFollowsTarget(status) &&
      objects.observation.primary_template != objects.observation.target_template) {
    // Replace carries the resourceVersion read: a concurrent edit fails it, the next tick
    // re-reads.
    (void)objects_.Replace(DeploymentTarget(plan.ns, tp.primary_deployment),
                           PrimaryWithTemplateOf(objects.primary, objects.target, objects.label),
                           options);
  }
  int primary_replicas =
      static_cast<int>(api::JsonInt(api::JsonMember(objects.primary, "spec"), "replicas", 1));
  std::optional<int> want =
      DesiredTargetReplicas(status, objects.observation.target_template, primary_replicas);
  if (want && api::JsonInt(api::JsonMember(objects.target, "spec"), "replicas", 1) != *want) {
    json patch = {{"spec", {{"replicas", *want}}}};
    (void)objects_.Patch(DeploymentTarget(plan.ns, tp.deployment), api::PatchType::kMerge,
                         patch.dump(), options);
  }
}

std::vector<CheckRecord> RolloutController::RunChecks(const CanaryPlan& plan,
                                                      const CanaryStatus& status,
                                                      std::optional<std::string>* rollback) {
  int64_t now_s = clock_.WallNanos() / 1'000'000'000 - options_.settle_seconds;
  std::string canary = StatsService(plan.canary, plan.ns);
  std::string stable = StatsService(plan.stable, plan.ns);
  std::string canary_subset = plan.canary.subset.value_or("");
  std::string stable_subset = plan.stable.subset.value_or("");
  std::vector<CheckRecord> out =
      BuiltInChecks(plan, status, now_s, [&](bool is_canary, int64_t from, int64_t to) {
        return Sum(is_canary ? traffic_.Seconds(canary, canary_subset, from, to)
                             : traffic_.Seconds(stable, stable_subset, from, to));
      });
  for (const MetricPlan& m : plan.metrics) {
    if (m.kind != MetricKind::kCustom) continue;
    std::map<std::string, std::string> vars = {{"interval", WindowText(m.window_ms)},
                                               {"namespace", plan.ns},
                                               {"canary", plan.canary.host},
                                               {"stable", plan.stable.host}};
    std::string error;
    std::optional<std::string> query = config::RenderQueryTemplate(m.query, vars, &error);
    ProviderValue v;
    if (!query) {
      v.kind = ProviderValue::Kind::kError;
      v.error = error;
    } else {
      v = outbound_.QueryMetric(m, *query);
    }
    out.push_back(EvaluateCustom(m, v));
  }
  for (const WebhookPlan* hook : plan.WebhooksOf("rollout")) {
    WebhookAnswer a = outbound_.CallWebhook(*hook, Payload(plan, status, hook->metadata));
    CheckRecord r;
    r.name = hook->name;
    r.result = a.ok ? CheckResult::kPass : a.unreachable ? CheckResult::kError : CheckResult::kFail;
    r.message = "rollout webhook " + hook->name + (a.ok ? " passed" : ": " + a.error);
    out.push_back(r);
  }
  for (const WebhookPlan* hook : plan.WebhooksOf("rollback")) {
    WebhookAnswer a = outbound_.CallWebhook(*hook, Payload(plan, status, hook->metadata));
    if (a.ok && !*rollback) *rollback = hook->name;
  }
  return out;
}

GateOutcome RolloutController::CallGate(const CanaryPlan& plan, const CanaryStatus& status,
                                        const std::string& type) {
  for (const WebhookPlan* hook : plan.WebhooksOf(type)) {
    WebhookAnswer a = outbound_.CallWebhook(*hook, Payload(plan, status, hook->metadata));
    if (!a.ok) return {false, a.unreachable, hook->name + ": " + a.error};
  }
  return {true, false, ""};
}

void RolloutController::Notify(const CanaryPlan& plan, const CanaryStatus& status,
                               const std::string& type) {
  for (const WebhookPlan* hook : plan.WebhooksOf(type)) {
    (void)outbound_.CallWebhook(*hook, Payload(plan, status, hook->metadata));
  }
}

std::string RolloutController::Payload(const CanaryPlan& plan, const CanaryStatus& status,
                                       const std::map<std::string, std::string>& metadata) const {
  json meta = json::object();
  for (const auto& [k, v] : metadata) meta[k] = v;
  return json{{"name", plan.name},
              {"namespace", plan.ns},
              {"phase", std::string(PhaseName(status.phase))},
              {"checksum", status.revision},
              {"metadata", meta}}
      .dump();
}

bool RolloutController::WriteStatus(const json& canary, const CanaryStatus& status) {
  api::WriteOptions options;
  options.field_manager = options_.component;
  // Through the status subresource, compare-and-set on the resourceVersion read: a person's
  // concurrent edit (409) makes this tick's decision void; the next tick re-reads.
  api::ApiResult<api::WriteOutcome> w =
      objects_.ReplaceStatus(CanaryTarget(Meta(canary, "namespace"), Meta(canary, "name")),
                             StatusToJson(status), Meta(canary, "resourceVersion"), options);
  return w.ok();
}

bool RolloutController::WriteWeights(const json& vs, const CanaryPlan& plan,
                                     const CanaryStatus& status) {
  std::string error;
  json next =
      WithWeights(vs, plan, status.revision, status.canary_weight, status.write_seq, &error);
  if (next.is_null()) return false;
  api::Target t{&config::InfoOf(config::Kind::kVirtualService), "v1", plan.ns,
                plan.virtual_service};
  api::WriteOptions options;
  options.field_manager = options_.component;
  // Replace carries the resourceVersion read: a concurrent edit is a Conflict, never
  // overwritten; the next tick re-reads and re-applies the stored intent.
  api::ApiResult<api::WriteOutcome> w = objects_.Replace(t, std::move(next), options);
  return w.ok();
}

void RolloutController::RecordEvent(const json& canary, const CanaryPlan& plan,
                                    const CanaryStatus& status, const EventRecord& e) {
  int64_t wall = clock_.WallNanos();
  char suffix[40];
  std::snprintf(suffix, sizeof suffix, "%llx%04llx", static_cast<unsigned long long>(wall),
                static_cast<unsigned long long>(event_counter_++ & 0xffff));
  std::string when = FormatTimeMillis(wall / 1'000'000);
  std::string when_seconds = when.substr(0, 19) + "Z";
  json ev = {
      {"apiVersion", "v1"},
      {"kind", "Event"},
      {"metadata", {{"name", plan.name + "." + suffix}, {"namespace", plan.ns}}},
      {"involvedObject",
       {{"apiVersion", "canaryd.io/v1alpha1"},
        {"kind", "Canary"},
        {"name", plan.name},
        {"namespace", plan.ns},
        {"uid", Meta(canary, "uid")}}},
      {"reason", e.reason},
      {"message", e.message},
      {"type", e.warning ? "Warning" : "Normal"},
      {"source", {{"component", options_.component}}},
      {"reportingComponent", options_.component},
      {"reportingInstance", options_.component},
      {"firstTimestamp", when_seconds},
      {"lastTimestamp", when_seconds},
      {"count", 1},
  };
  api::WriteOptions options;
  options.field_manager = options_.component;
  (void)objects_.Create({&config::InfoOf(config::Kind::kEvent), "v1", plan.ns, ""}, std::move(ev),
                        options);
  for (const WebhookPlan* hook : plan.WebhooksOf("event")) {
    std::map<std::string, std::string> meta = hook->metadata;
    meta["eventMessage"] = e.message;
    meta["eventType"] = e.warning ? "Warning" : "Normal";
    (void)outbound_.CallWebhook(*hook, Payload(plan, status, meta));
  }
}

void RolloutController::ClearRequests(const json& canary) {
  json patch = {{"metadata",
                 {{"annotations", {{kAbortAnnotation, nullptr}, {kPromoteAnnotation, nullptr}}}}}};
  api::WriteOptions options;
  options.field_manager = options_.component;
  (void)objects_.Patch(CanaryTarget(Meta(canary, "namespace"), Meta(canary, "name")),
                       api::PatchType::kMerge, patch.dump(), options);
}

std::string RolloutController::RenderPrometheus() const {
  std::string out;
  auto line = [&](const std::string& s) { out += s + "\n"; };
  std::lock_guard<std::mutex> lock(shown_mu_);
  line(
      "# HELP flagger_canary_status Last canary analysis result (0 running, 1 successful, 2 "
      "failed).");
  line("# TYPE flagger_canary_status gauge");
  for (const auto& [key, s] : shown_) {
    int v = s.phase == Phase::kSucceeded ? 1 : s.phase == Phase::kFailed ? 2 : 0;
    line("flagger_canary_status{name=\"" + s.name + "\",namespace=\"" + s.ns + "\"} " +
         std::to_string(v));
  }
  line("# HELP flagger_canary_weight The canary's weight (percent of the shifted route).");
  line("# TYPE flagger_canary_weight gauge");
  for (const auto& [key, s] : shown_) {
    line("flagger_canary_weight{workload=\"" + s.name + "\",namespace=\"" + s.ns + "\"} " +
         std::to_string(s.weight));
  }
  line("# HELP flagger_canary_total The number of canaries.");
  line("# TYPE flagger_canary_total gauge");
  std::map<std::string, int> per_ns;
  for (const auto& [key, s] : shown_) per_ns[s.ns]++;
  for (const auto& [ns, n] : per_ns) {
    line("flagger_canary_total{namespace=\"" + ns + "\"} " + std::to_string(n));
  }
  line(
      "# HELP flagger_canary_metric_analysis The canary's value of each metric at the last "
      "check.");
  line("# TYPE flagger_canary_metric_analysis gauge");
  for (const auto& [key, s] : shown_) {
    for (const CheckRecord& c : s.checks) {
      if (!c.canary) continue;
      char v[64];
      std::snprintf(v, sizeof v, "%.17g", *c.canary);
      line("flagger_canary_metric_analysis{metric=\"" + c.name + "\",name=\"" + s.name +
           "\",namespace=\"" + s.ns + "\"} " + v);
    }
  }
  line(
      "# HELP flagger_canary_duration_seconds Seconds since the analysis started (running) or "
      "that it took (finished).");
  line("# TYPE flagger_canary_duration_seconds gauge");
  int64_t now = clock_.WallNanos() / 1'000'000;
  for (const auto& [key, s] : shown_) {
    if (s.analysis_start_ms == 0) continue;
    int64_t end = IsTerminal(s.phase) ? s.last_transition_ms : now;
    char v[64];
    std::snprintf(v, sizeof v, "%.3f", static_cast<double>(end - s.analysis_start_ms) / 1000.0);
    line("flagger_canary_duration_seconds{name=\"" + s.name + "\",namespace=\"" + s.ns + "\"} " +
         v);
  }
  line(
      "# HELP canaryd_canary_sequential_log_e The natural log of each sequential test's "
      "e-value.");
  line("# TYPE canaryd_canary_sequential_log_e gauge");
  for (const auto& [key, s] : shown_) {
    for (const SequentialState& t : s.sequential) {
      char v[64];
      std::snprintf(v, sizeof v, "%.6g", t.log_e);
      line("canaryd_canary_sequential_log_e{name=\"" + s.name + "\",namespace=\"" + s.ns +
           "\",test=\"" + t.name + "\"} " + v);
    }
  }
  return out;
}

}  // namespace canaryd::rollout

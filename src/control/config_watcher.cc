#include "control/config_watcher.h"

#include <algorithm>
#include <set>

#include "api/json_node.h"
#include "config/pod_endpoint.h"
#include "config/validate.h"

namespace canaryd::control {
namespace {

// The kinds the router reads. Namespaces are not needed to route.
constexpr const char* kRoutingKinds[] = {"Gateway",      "VirtualService", "DestinationRule",
                                         "ServiceEntry", "WorkloadEntry",  "Service",
                                         "Pod",          "Endpoints"};

// The mark of the Endpoints canaryd's endpoints controller writes (its managed-by annotation).
constexpr std::string_view kManagedEndpoints =
    R"("endpoints.kubernetes.io/managed-by":"canaryd-controller-manager")";

// Whether a Pod's change leaves what routing reads of it as it was (most of a Pod's status
// writes: restarts, probe times), so no table needs compiling.
bool SameForRouting(const config::Resource& a, const config::Resource& b) {
  if (a.metadata.labels != b.metadata.labels) return false;
  config::PodEndpoint x = config::PodEndpointOf(a), y = config::PodEndpointOf(b);
  return x.ready == y.ready && x.ip == y.ip && x.ports == y.ports && x.port_names == y.port_names;
}

}  // namespace

ConfigWatcher::ConfigWatcher(store::Store& store, router::CompileOptions options, PublishFn publish,
                             const Clock& clock)
    : store_(store), options_(std::move(options)), publish_(std::move(publish)), clock_(clock) {}

ConfigWatcher::~ConfigWatcher() {
  Stop();
}

Status ConfigWatcher::Start() {
  int64_t max_revision = 0;
  for (const char* kind : kRoutingKinds) {
    Result<store::ListResult> list = store_.List(store::Selector{kind, ""});
    if (!list.ok()) return list.status();
    for (const store::StoredObject& o : list->items) {
      if (o.key.kind == "Endpoints" && o.value.find(kManagedEndpoints) != std::string::npos) {
        continue;
      }
      if (std::optional<config::Resource> r = Decode(o)) {
        cache_[o.key] = Cached{std::move(*r), o.create_revision};
      }
    }
    max_revision = std::max(max_revision, list->revision);
    auto watch =
        store_.Watch(store::Selector{kind, ""}, list->revision, [this](const store::WatchEvent& e) {
          std::lock_guard<std::mutex> lock(mu_);
          queue_.push_back(e);
          cv_.notify_all();
        });
    if (!watch.ok()) return watch.status();
    watches_.push_back(std::move(*watch));
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    applied_revision_ = max_revision;
  }
  Compile();
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void ConfigWatcher::Stop() {
  for (auto& w : watches_) w->Cancel();
  watches_.clear();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

WatcherStatus ConfigWatcher::status() const {
  std::lock_guard<std::mutex> lock(mu_);
  return status_;
}

bool ConfigWatcher::WaitForRevision(int64_t revision, int64_t timeout_nanos) const {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, std::chrono::nanoseconds(timeout_nanos),
                      [&] { return applied_revision_ >= revision; });
}

void ConfigWatcher::Run() {
  while (true) {
    std::deque<store::WatchEvent> batch;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      batch.swap(queue_);
    }
    // Every change that arrived meanwhile goes into one compile.
    int64_t revision = 0;
    bool only_virtual_services = true;
    std::vector<store::ObjectKey> changed;
    bool routing_changed = false;
    bool only_pods = true;
    std::set<store::ObjectKey> pod_keys;
    for (const store::WatchEvent& e : batch) {
      // The Endpoints canaryd writes for Services with a selector are for people to read: the
      // router takes those Services' Pods themselves.
      if (e.object.key.kind == "Endpoints" && cache_.count(e.object.key) == 0 &&
          e.object.value.find(kManagedEndpoints) != std::string::npos) {
        revision = std::max(revision, e.revision);
        continue;
      }
      if (e.type == store::EventType::kModified && e.object.key.kind == "Pod") {
        auto old = cache_.find(e.object.key);
        std::optional<config::Resource> now = Decode(e.object);
        if (old != cache_.end() && now && SameForRouting(old->second.resource, *now)) {
          // The cached copy stays: the last table points into it, and what it routes by is
          // the same.
          revision = std::max(revision, e.revision);
          continue;
        }
      }
      routing_changed = true;
      Apply(e);
      only_pods &= e.object.key.kind == "Pod";
      if (e.object.key.kind == "Pod") pod_keys.insert(e.object.key);
      revision = std::max(revision, e.revision);
      only_virtual_services &= e.type == store::EventType::kModified &&
                               e.object.key.kind == "VirtualService" &&
                               cache_.count(e.object.key) > 0;
      changed.push_back(e.object.key);
    }
    if (routing_changed) {
      if (only_pods && !pod_keys.empty() && last_) {
        // Each Pod as it is after the whole batch (nullptr: gone).
        std::vector<std::pair<std::pair<std::string, std::string>, const config::Resource*>> pods;
        for (const store::ObjectKey& key : pod_keys) {
          auto it = cache_.find(key);
          pods.emplace_back(std::make_pair(key.namespace_, key.name),
                            it == cache_.end() ? nullptr : &it->second.resource);
        }
        CompilePods(pods);
      } else {
        Compile(only_virtual_services ? &changed : nullptr);
      }
    }
    std::lock_guard<std::mutex> lock(mu_);
    applied_revision_ = std::max(applied_revision_, revision);
    cv_.notify_all();
  }
}

std::optional<config::Resource> ConfigWatcher::Decode(const store::StoredObject& o) {
  std::string error;
  std::optional<nlohmann::json> json = api::ParseJson(o.value, &error);
  if (!json) {
    std::lock_guard<std::mutex> lock(mu_);
    status_.last_error = o.key.kind + " " + o.key.namespace_ + "/" + o.key.name + ": " + error;
    return std::nullopt;
  }
  config::Diagnostics diags;
  std::optional<config::Resource> r =
      config::DecodeResource(api::JsonToNode(*json), diags, o.key.namespace_);
  if (r) config::ValidateResource(*r, diags);
  if (!r || diags.has_errors()) {
    // The API refuses invalid objects, so this means a store written by something else.
    std::lock_guard<std::mutex> lock(mu_);
    status_.last_error = o.key.kind + " " + o.key.namespace_ + "/" + o.key.name +
                         " is invalid and is ignored: " + diags.ToString();
    return std::nullopt;
  }
  return r;
}

void ConfigWatcher::Apply(const store::WatchEvent& e) {
  if (e.type == store::EventType::kDeleted) {
    cache_.erase(e.object.key);
    return;
  }
  if (std::optional<config::Resource> r = Decode(e.object)) {
    cache_[e.object.key] = Cached{std::move(*r), e.object.create_revision};
  } else {
    cache_.erase(e.object.key);
  }
}

void ConfigWatcher::CompilePods(
    const std::vector<std::pair<std::pair<std::string, std::string>, const config::Resource*>>&
        pods) {
  int64_t start = clock_.MonotonicNanos();
  uint64_t generation;
  {
    std::lock_guard<std::mutex> lock(mu_);
    generation = status_.generation + 1;
  }
  std::optional<router::CompileResult> patched =
      router::Compiler::PatchPods(*last_, pods, generation);
  if (!patched) {
    Compile();
    return;
  }
  PublishPatched(std::move(*patched), generation, clock_.MonotonicNanos() - start);
}

void ConfigWatcher::PublishPatched(router::CompileResult patched, uint64_t generation,
                                   int64_t took) {
  std::lock_guard<std::mutex> lock(mu_);
  publish_(patched.table, patched.ports);
  status_.generation = generation;
  status_.tables_published++;
  status_.tables_patched++;
  status_.last_compile_nanos = took;
  status_.last_publish_wall_nanos = clock_.WallNanos();
  status_.warnings = patched.warnings;
  status_.synced = true;
  last_ = std::move(patched);
}

void ConfigWatcher::Compile(const std::vector<store::ObjectKey>* patchable) {
  int64_t start = clock_.MonotonicNanos();
  uint64_t generation;
  {
    std::lock_guard<std::mutex> lock(mu_);
    generation = status_.generation + 1;
  }
  if (patchable != nullptr && last_) {
    std::vector<const config::Resource*> changed;
    for (const store::ObjectKey& key : *patchable) changed.push_back(&cache_.at(key).resource);
    if (std::optional<router::CompileResult> patched =
            router::Compiler::Patch(*last_, changed, generation)) {
      PublishPatched(std::move(*patched), generation, clock_.MonotonicNanos() - start);
      return;
    }
  }
  last_.reset();  // points into resources that may be gone
  // Creation order decides how VirtualServices for one host merge.
  std::vector<const Cached*> ordered;
  ordered.reserve(cache_.size());
  for (const auto& [key, c] : cache_) ordered.push_back(&c);
  std::stable_sort(ordered.begin(), ordered.end(), [](const Cached* a, const Cached* b) {
    return a->create_revision < b->create_revision;
  });
  std::vector<const config::Resource*> resources;
  resources.reserve(ordered.size());
  for (const Cached* c : ordered) resources.push_back(&c->resource);
  router::CompileOptions options = options_;
  options.generation = generation;
  Result<router::CompileResult> compiled = router::Compiler::Compile(resources, options);
  int64_t took = clock_.MonotonicNanos() - start;
  std::lock_guard<std::mutex> lock(mu_);
  if (!compiled.ok()) {
    status_.last_error =
        "route table not published, the previous one keeps serving: " + compiled.status().message();
    return;
  }
  publish_(compiled->table, compiled->ports);
  last_ = *compiled;
  status_.generation = options.generation;
  status_.tables_published++;
  status_.last_compile_nanos = took;
  status_.last_publish_wall_nanos = clock_.WallNanos();
  status_.resources = resources.size();
  status_.warnings = std::move(compiled->warnings);
  status_.synced = true;
}

}  // namespace canaryd::control

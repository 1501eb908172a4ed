#include "api/namespace_controller.h"

#include <spdlog/spdlog.h>

namespace canaryd::api {
namespace {

bool BeingDeleted(const std::string& text) {
  nlohmann::json obj = nlohmann::json::parse(text, nullptr, false);
  if (!obj.is_object() || !obj.contains("metadata") || !obj["metadata"].is_object()) return false;
  const nlohmann::json& t = obj["metadata"].value("deletionTimestamp", nlohmann::json());
  return t.is_string() && !t.get<std::string>().empty();
}

}  // namespace

NamespaceController::NamespaceController(ObjectService& service, NamespaceControllerOptions options)
    : service_(service), options_(options) {}

NamespaceController::~NamespaceController() {
  Stop();
}

Status NamespaceController::Start() {
  store::Store& store = service_.store();
  Result<store::ListResult> list = store.List({"Namespace", ""});
  if (!list.ok()) return list.status();
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const store::StoredObject& o : list->items) {
      if (BeingDeleted(o.value)) due_[o.key.name] = std::chrono::steady_clock::now();
    }
  }
  auto ns_watch = store.Watch({"Namespace", ""}, list->revision,
                              [this](const store::WatchEvent& e) { OnNamespace(e); });
  if (!ns_watch.ok()) return ns_watch.status();
  watches_.push_back(std::move(*ns_watch));
  for (const config::KindInfo& k : config::AllKinds()) {
    if (!k.namespaced || k.serving != config::Serving::kStored || k.stored_as != k.kind) continue;
    auto w = store.Watch({std::string(k.name), ""}, list->revision,
                         [this](const store::WatchEvent& e) { OnContent(e); });
    if (!w.ok()) return w.status();
    watches_.push_back(std::move(*w));
  }
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void NamespaceController::Stop() {
  for (auto& w : watches_) w->Cancel();
  watches_.clear();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void NamespaceController::OnNamespace(const store::WatchEvent& e) {
  std::lock_guard<std::mutex> lock(mu_);
  if (e.type == store::EventType::kDeleted || !BeingDeleted(e.object.value)) {
    due_.erase(e.object.key.name);
    return;
  }
  due_[e.object.key.name] = std::chrono::steady_clock::now() + options_.quiet;
  cv_.notify_all();
}

void NamespaceController::OnContent(const store::WatchEvent& e) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = due_.find(e.object.key.namespace_);
  if (it == due_.end()) return;
  // Something in the terminating namespace changed (a client deleting its objects, a finalizer
  // removed): sweep once it is quiet again.
  it->second = std::chrono::steady_clock::now() + options_.quiet;
  cv_.notify_all();
}

void NamespaceController::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    const TimePoint now = std::chrono::steady_clock::now();
    std::vector<std::string> ready;
    TimePoint next = TimePoint::max();
    for (const auto& [ns, due] : due_) {
      if (due <= now) {
        ready.push_back(ns);
      } else {
        next = std::min(next, due);
      }
    }
    if (ready.empty()) {
      if (next == TimePoint::max()) {
        cv_.wait(lock);
      } else {
        cv_.wait_until(lock, next);
      }
      continue;
    }
    for (const std::string& ns : ready) {
      due_[ns] = now + options_.retry;  // unless it finishes, or something changes first
      lock.unlock();
      ApiResult<bool> done = service_.FinishNamespaceDeletion(ns);
      if (!done.ok())
        spdlog::warn("namespace {}: deleting its contents: {}", ns, done.error().message);
      lock.lock();
      if (done.ok() && *done) due_.erase(ns);
    }
  }
}

}  // namespace canaryd::api

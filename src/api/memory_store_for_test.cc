#include "api/memory_store_for_test.h"

namespace canaryd::api::testing {
namespace {

bool Matches(const store::Selector& s, const store::ObjectKey& k) {
  return s.kind == k.kind && (s.namespace_.empty() || s.namespace_ == k.namespace_);
}

}  // namespace

class MemoryStore::Handle final : public store::WatchHandle {
 public:
  Handle(MemoryStore* store, int64_t id) : store_(store), id_(id) {}
  ~Handle() override { Cancel(); }
  void Cancel() override {
    std::lock_guard<std::mutex> lock(store_->mu_);
    store_->watchers_.erase(id_);
  }

 private:
  MemoryStore* store_;
  int64_t id_;
};

Result<store::StoredObject> MemoryStore::Get(const store::ObjectKey& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return NotFound(key.kind + " " + key.name);
  return it->second;
}

Result<store::ListResult> MemoryStore::List(const store::Selector& selector) {
  std::lock_guard<std::mutex> lock(mu_);
  store::ListResult out;
  out.revision = revision_;
  for (const auto& [k, v] : objects_) {
    if (Matches(selector, k)) out.items.push_back(v);
  }
  std::sort(out.items.begin(), out.items.end(), [](const auto& a, const auto& b) {
    return std::tie(a.key.namespace_, a.key.name) < std::tie(b.key.namespace_, b.key.name);
  });
  return out;
}

void MemoryStore::Dispatch(const store::WatchEvent& e) {
  history_.push_back(e);
  while (history_.size() > history_limit_) {
    compacted_ = history_.front().revision;
    history_.pop_front();
  }
  for (auto& [id, w] : watchers_) {
    if (Matches(w->selector, e.object.key)) w->callback(e);
  }
}

Result<store::StoredObject> MemoryStore::Create(const store::ObjectKey& key,
                                                const std::string& value) {
  std::lock_guard<std::mutex> lock(mu_);
  if (objects_.count(key)) return AlreadyExists(key.name);
  store::StoredObject o{key, value, ++revision_, revision_};
  o.mod_revision = o.create_revision = revision_;
  objects_[key] = o;
  Dispatch({store::EventType::kAdded, o, revision_});
  return o;
}

Result<store::StoredObject> MemoryStore::Update(const store::ObjectKey& key,
                                                const std::string& value,
                                                int64_t expected_mod_revision) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return NotFound(key.name);
  if (expected_mod_revision != 0 && it->second.mod_revision != expected_mod_revision) {
    return Conflict(key.name);
  }
  it->second.value = value;
  it->second.mod_revision = ++revision_;
  Dispatch({store::EventType::kModified, it->second, revision_});
  return it->second;
}

Result<store::StoredObject> MemoryStore::Delete(const store::ObjectKey& key,
                                                int64_t expected_mod_revision) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return NotFound(key.name);
  if (expected_mod_revision != 0 && it->second.mod_revision != expected_mod_revision) {
    return Conflict(key.name);
  }
  store::StoredObject o = it->second;
  objects_.erase(it);
  o.mod_revision = ++revision_;
  Dispatch({store::EventType::kDeleted, o, revision_});
  return o;
}

int64_t MemoryStore::CurrentRevision() {
  std::lock_guard<std::mutex> lock(mu_);
  return revision_;
}

int64_t MemoryStore::CompactedRevision() {
  std::lock_guard<std::mutex> lock(mu_);
  return compacted_;
}

Result<std::unique_ptr<store::WatchHandle>> MemoryStore::Watch(const store::Selector& selector,
                                                               int64_t after_revision,
                                                               store::WatchCallback callback) {
  std::lock_guard<std::mutex> lock(mu_);
  if (after_revision < compacted_) return Gone("compacted");
  for (const store::WatchEvent& e : history_) {
    if (e.revision > after_revision && Matches(selector, e.object.key)) callback(e);
  }
  int64_t id = ++next_watcher_;
  watchers_[id] = std::make_shared<Watcher>(Watcher{selector, std::move(callback)});
  return std::unique_ptr<store::WatchHandle>(new Handle(this, id));
}

}  // namespace canaryd::api::testing

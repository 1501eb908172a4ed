// MemoryStore: an in-memory Store for the API's unit tests (test-only; canaryd uses SqliteStore).
// It follows store.h's contract: one global revision, compare-and-set, a bounded history that
// watches replay, Gone below the compacted revision. Thread-safe: one mutex, held while
// callbacks run, which delivers events one at a time in revision order.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <mutex>

#include "store/store.h"

namespace canaryd::api::testing {

class MemoryStore final : public store::Store {
 public:
  explicit MemoryStore(size_t history_limit = 1000) : history_limit_(history_limit) {}

  Result<store::StoredObject> Get(const store::ObjectKey& key) override;
  Result<store::ListResult> List(const store::Selector& selector) override;
  Result<store::StoredObject> Create(const store::ObjectKey& key,
                                     const std::string& value) override;
  Result<store::StoredObject> Update(const store::ObjectKey& key, const std::string& value,
                                     int64_t expected_mod_revision) override;
  Result<store::StoredObject> Delete(const store::ObjectKey& key,
                                     int64_t expected_mod_revision) override;
  int64_t CurrentRevision() override;
  int64_t CompactedRevision() override;
  Result<std::unique_ptr<store::WatchHandle>> Watch(const store::Selector& selector,
                                                    int64_t after_revision,
                                                    store::WatchCallback callback) override;

 private:
  struct Watcher {
    store::Selector selector;
    store::WatchCallback callback;
  };
  class Handle;
  void Dispatch(const store::WatchEvent& e);  // with mu_ held

  const size_t history_limit_;
  std::mutex mu_;
  std::map<store::ObjectKey, store::StoredObject> objects_;
  std::deque<store::WatchEvent> history_;
  int64_t revision_ = 0;
  int64_t compacted_ = 0;
  int64_t next_watcher_ = 0;
  std::map<int64_t, std::shared_ptr<Watcher>> watchers_;
};

}  // namespace canaryd::api::testing

// Store: the durable home of every resource, and the one path for every change (a person's
// apply, a controller step, a rollback). Objects are opaque JSON texts addressed by kind,
// namespace and name; every write gets the next value of one global, monotonically increasing
// revision (as in etcd), which the API shows as metadata.resourceVersion. Watches deliver every
// change after a given revision, in revision order.
//
// Implementations are thread-safe: any method may be called from any thread. Watch callbacks run
// on the thread that made the write (or, for the replay of history, on the thread that called
// Watch), after the write is durable, one at a time and in revision order; they must not block
// and must not call back into the Store (post the event to your own thread instead).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace canaryd::store {

struct ObjectKey {
  std::string kind;        // the Kind's name, e.g. "VirtualService", "Service", "Namespace"
  std::string namespace_;  // "" for cluster-scoped kinds (Namespace)
  std::string name;

  friend bool operator==(const ObjectKey&, const ObjectKey&) = default;
  friend auto operator<=>(const ObjectKey&, const ObjectKey&) = default;
};

struct StoredObject {
  ObjectKey key;
  std::string value;            // the object as JSON text, exactly as last written
  int64_t create_revision = 0;  // revision of the write that created it
  int64_t mod_revision = 0;     // revision of the last write (the resourceVersion)
};

struct ListResult {
  std::vector<StoredObject> items;  // sorted by (namespace, name)
  int64_t revision = 0;             // the store's revision when the list was taken
};

enum class EventType { kAdded, kModified, kDeleted };

struct WatchEvent {
  EventType type;
  StoredObject object;  // for kDeleted: the last value, with mod_revision = the deletion's revision
  int64_t revision = 0;
};

// What a list or a watch covers: one kind, and one namespace or all ("").
struct Selector {
  std::string kind;
  std::string namespace_;  // "" = every namespace
};

// Cancels its watch when destroyed (or when Cancel() is called). After Cancel returns, the
// callback is not running and will not run again.
class WatchHandle {
 public:
  virtual ~WatchHandle() = default;
  virtual void Cancel() = 0;
};

using WatchCallback = std::function<void(const WatchEvent&)>;

class Store {
 public:
  virtual ~Store() = default;

  // NotFound when absent.
  virtual Result<StoredObject> Get(const ObjectKey& key) = 0;
  virtual Result<ListResult> List(const Selector& selector) = 0;
  // AlreadyExists when present.
  virtual Result<StoredObject> Create(const ObjectKey& key, const std::string& value) = 0;
  // Compare-and-set: `expected_mod_revision` 0 means unconditional; otherwise Conflict unless it
  // equals the object's mod_revision. NotFound when absent.
  virtual Result<StoredObject> Update(const ObjectKey& key, const std::string& value,
                                      int64_t expected_mod_revision) = 0;
  // Returns the deleted object (with the deletion's revision as mod_revision). Same
  // compare-and-set rule as Update.
  virtual Result<StoredObject> Delete(const ObjectKey& key, int64_t expected_mod_revision) = 0;

  // The revision of the last write (0 for an empty store).
  virtual int64_t CurrentRevision() = 0;
  // The oldest revision a watch can still start after; older ones were compacted away.
  virtual int64_t CompactedRevision() = 0;

  // Delivers every change to objects matching `selector` with revision > after_revision: first
  // the history, then live changes. Gone when after_revision < CompactedRevision() (the client
  // must list again, as with Kubernetes' 410). after_revision = CurrentRevision() watches only
  // what comes next.
  virtual Result<std::unique_ptr<WatchHandle>> Watch(const Selector& selector,
                                                     int64_t after_revision,
                                                     WatchCallback callback) = 0;
};

}  // namespace canaryd::store

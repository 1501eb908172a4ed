// Watcher and WatchHub: the fan-out of committed changes to watch callbacks, and the Cancel
// protocol, apart from any backend so every Store implementation delivers the same way.
//
// Thread-safety: the store serializes Deliver/Dispatch and Add (it calls them under its write
// lock), which is what makes delivery one-at-a-time and in revision order. Cancel (through the
// WatchHandle) may be called from any thread at any time, including from inside the callback:
//  - from another thread while the callback runs: Cancel waits for the callback to return;
//  - from inside the callback itself (on the delivering thread): Cancel returns at once without
//    waiting (waiting would deadlock); the running call finishes normally and no later event is
//    delivered. Destroying the handle from inside the callback is equally safe: the hub keeps
//    the watcher (and so the running std::function) alive until the call returns.
// The callback, and what it captured, is destroyed by the time Cancel returns; when Cancel is
// called from inside the callback, right after the callback returns, on the delivering thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "store/store.h"

namespace canaryd::store {

class Watcher {
 public:
  // Delivers the events for objects `selector` covers with a revision after `after_revision`.
  Watcher(Selector selector, int64_t after_revision, WatchCallback callback)
      : selector_(std::move(selector)),
        after_revision_(after_revision),
        callback_(std::move(callback)) {}

  bool Matches(const WatchEvent& event) const {
    const ObjectKey& key = event.object.key;
    return event.revision > after_revision_ && key.kind == selector_.kind &&
           (selector_.namespace_.empty() || key.namespace_ == selector_.namespace_);
  }
  bool canceled() const { return canceled_.load(std::memory_order_acquire); }

  // Runs the callback with `event` unless the watcher is canceled (whether it Matches is the
  // caller's check). Callers serialize Deliver.
  void Deliver(const WatchEvent& event);
  // See the header comment. Idempotent.
  void Cancel();

 private:
  const Selector selector_;
  // Events up to here are not delivered (a watch may start after a revision not yet written).
  const int64_t after_revision_;
  std::atomic<bool> canceled_{false};
  std::mutex mu_;
  std::condition_variable idle_;
  // The thread running the callback, or the default id when none is. Guarded by mu_.
  std::thread::id delivering_on_;
  // Invoked without mu_ held (by the one delivering thread); reset only while no delivery runs.
  WatchCallback callback_;
};

// The WatchHandle given to the caller of Store::Watch: cancels on Cancel() and on destruction.
// It holds only the watcher, so it may outlive the store.
class WatcherHandle final : public WatchHandle {
 public:
  explicit WatcherHandle(std::shared_ptr<Watcher> watcher) : watcher_(std::move(watcher)) {}
  ~WatcherHandle() override { watcher_->Cancel(); }
  void Cancel() override { watcher_->Cancel(); }

 private:
  std::shared_ptr<Watcher> watcher_;
};

class WatchHub {
 public:
  // Registers a watcher for the events dispatched from now on.
  void Add(std::shared_ptr<Watcher> watcher);
  // Delivers `event` to every matching, live watcher, and forgets the canceled ones (Cancel does
  // not touch the hub, so that it can be called under any lock, or with the store gone).
  void Dispatch(const WatchEvent& event);
  // Watchers still registered (canceled ones linger until the next Dispatch).
  size_t size() const { return watchers_.size(); }

 private:
  std::vector<std::shared_ptr<Watcher>> watchers_;
};

}  // namespace canaryd::store

#include "store/watch_hub.h"

#include <algorithm>
#include <utility>

namespace canaryd::store {

void Watcher::Deliver(const WatchEvent& event) {
  {
    std::lock_guard lock(mu_);
    if (canceled_.load(std::memory_order_relaxed)) return;
    delivering_on_ = std::this_thread::get_id();
  }
  // Runs on every path out of the callback (a callback must not throw, but if one does, a later
  // Cancel must not wait forever). If the watcher was canceled meanwhile, the callback and what
  // it captured are destroyed first, while this thread is still marked as delivering: a Cancel
  // waiting on another thread returns only after that, and a Cancel made by a captured
  // destructor (the handle itself, say) returns at once. Then the mark is cleared and waiters
  // are woken.
  struct Done {
    Watcher& w;
    ~Done() {
      WatchCallback dead;
      {
        std::lock_guard lock(w.mu_);
        if (w.canceled_.load(std::memory_order_relaxed)) dead = std::move(w.callback_);
      }
      dead = nullptr;
      {
        std::lock_guard lock(w.mu_);
        w.delivering_on_ = std::thread::id();
      }
      w.idle_.notify_all();
    }
  } done{*this};
  callback_(event);
}

void Watcher::Cancel() {
  WatchCallback dead;
  {
    std::unique_lock lock(mu_);
    canceled_.store(true, std::memory_order_release);
    if (delivering_on_ == std::this_thread::get_id()) {
      return;  // from inside the callback: Deliver's Done destroys it once the call returns
    }
    idle_.wait(lock, [this] { return delivering_on_ == std::thread::id(); });
    dead = std::move(callback_);
  }
  // `dead` is destroyed here, without mu_.
}

void WatchHub::Add(std::shared_ptr<Watcher> watcher) {
  watchers_.push_back(std::move(watcher));
}

void WatchHub::Dispatch(const WatchEvent& event) {
  std::erase_if(watchers_, [](const std::shared_ptr<Watcher>& w) { return w->canceled(); });
  for (const std::shared_ptr<Watcher>& w : watchers_) {
    // watchers_ holds a reference, so the watcher outlives its handle being destroyed from
    // inside the callback.
    if (w->Matches(event)) w->Deliver(event);
  }
}

}  // namespace canaryd::store

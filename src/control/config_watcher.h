// ConfigWatcher: keeps the data plane in step with the store. It lists the routing kinds once,
// then watches them; every change is decoded (only the changed object), the route table is
// recompiled from the cached resources on the watcher's own thread, and published to the
// workers. A table that fails to compile is not published: the previous one keeps serving and
// the error is reported through status(). Start/Stop/status from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "config/resource.h"
#include "router/compiler.h"
#include "store/store.h"

namespace canaryd::control {

struct WatcherStatus {
  uint64_t generation = 0;  // of the last table published
  uint64_t tables_published = 0;
  uint64_t tables_patched = 0;     // of those, patched rather than compiled in full
  int64_t last_compile_nanos = 0;  // time to compile the last table
  int64_t last_publish_wall_nanos = 0;
  uint64_t resources = 0;
  std::vector<std::string> warnings;  // of the last compile
  std::string last_error;             // of the last failed compile or decode, "" when none
  bool synced = false;                // the first table is out
};

class ConfigWatcher {
 public:
  using PublishFn =
      std::function<void(std::shared_ptr<const router::RouteTable>, std::vector<uint32_t> ports)>;

  ConfigWatcher(store::Store& store, router::CompileOptions options, PublishFn publish,
                const Clock& clock = SystemClock::Instance());
  ~ConfigWatcher();

  Status Start();
  void Stop();
  WatcherStatus status() const;
  // Waits until the table compiled from at least `revision` of the store is published (for
  // tests and for the latency measurement). False on timeout.
  bool WaitForRevision(int64_t revision, int64_t timeout_nanos) const;

 private:
  struct Cached {
    config::Resource resource;
    int64_t create_revision = 0;
  };
  void Run();
  void Apply(const store::WatchEvent& e);
  // Recompiles and publishes. `patchable`: only VirtualServices changed, these (in the cache);
  // then a patch of the last table is tried first.
  void Compile(const std::vector<store::ObjectKey>* patchable = nullptr);
  // Only Pods changed: their Services' clusters get new endpoints, the routes stay (a full
  // compile when the last table cannot be patched).
  // Publishes a patched table and records it (config thread).
  void PublishPatched(router::CompileResult patched, uint64_t generation, int64_t took);
  void CompilePods(
      const std::vector<std::pair<std::pair<std::string, std::string>, const config::Resource*>>&
          pods);
  std::optional<config::Resource> Decode(const store::StoredObject& o);

  store::Store& store_;
  router::CompileOptions options_;
  PublishFn publish_;
  const Clock& clock_;

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::deque<store::WatchEvent> queue_;
  bool stop_ = false;
  int64_t applied_revision_ = 0;  // highest store revision folded into the published table
  WatcherStatus status_;

  std::map<store::ObjectKey, Cached> cache_;  // config thread only
  // The last compile, for patches (config thread only). Points into cache_.
  std::optional<router::CompileResult> last_;
  std::vector<std::unique_ptr<store::WatchHandle>> watches_;
  std::thread thread_;
};

}  // namespace canaryd::control

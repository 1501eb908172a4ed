// NamespaceController: finishes deleting namespaces, as Kubernetes' namespace controller does.
// A deleted namespace is Terminating (deletionTimestamp, status.phase Terminating; see
// ObjectService) and refuses new content; this controller then deletes what it holds and,
// once nothing is left (objects with finalizers stay until those are removed), the namespace.
//
// It waits until nothing in the namespace has changed for a quiet period before it sweeps: a
// client that deletes a namespace and then its objects (kubectl delete -k of an overlay that
// holds its Namespace) finds them still there, as on a real cluster, where the controller is
// seconds behind. Level-triggered: at start it picks up namespaces left Terminating, and it
// retries those it could not finish.
//
// Thread-safety: Start and Stop from one thread; the store's watch callbacks only record what
// changed; the sweeping runs on the controller's own thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/object_service.h"

namespace canaryd::api {

struct NamespaceControllerOptions {
  std::chrono::milliseconds quiet{1000};   // no change in the namespace for this long
  std::chrono::milliseconds retry{10000};  // after a sweep that could not finish
};

class NamespaceController {
 public:
  // `service` must outlive the controller.
  NamespaceController(ObjectService& service, NamespaceControllerOptions options = {});
  ~NamespaceController();
  NamespaceController(const NamespaceController&) = delete;
  NamespaceController& operator=(const NamespaceController&) = delete;

  Status Start();
  // Stops watching and joins the thread. Idempotent.
  void Stop();

 private:
  using TimePoint = std::chrono::steady_clock::time_point;
  void Run();
  void OnNamespace(const store::WatchEvent& e);
  void OnContent(const store::WatchEvent& e);

  ObjectService& service_;
  const NamespaceControllerOptions options_;
  std::vector<std::unique_ptr<store::WatchHandle>> watches_;
  std::thread thread_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, TimePoint> due_;  // Terminating namespace -> when to sweep; guarded
  bool stop_ = false;                     // guarded by mu_
};

}  // namespace canaryd::api

// WorkloadController: Kubernetes' Deployment, ReplicaSet, endpoints and garbage-collection
// controllers for one canaryd, level-triggered. Each tick it lists Deployments, ReplicaSets,
// Pods and Services, and for each object asks the pure planners (deployment_plan.h,
// replica_set_plan.h) what to do, writes specs through the API and status through the status
// subresource: Deployments own ReplicaSets (named <deployment>-<pod-template-hash>), which own
// Pods (named <replicaset>-<5 characters>); a Service with a selector gets an Endpoints object of
// its ready and not-ready Pods; what lost its owner is deleted (background propagation).
//
// Start() ticks on the controller's own thread; Tick() runs one pass on the caller's thread.
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/object_service.h"
#include "common/clock.h"
#include "workload/template_hash.h"

namespace canaryd::workload {

struct WorkloadControllerOptions {
  int64_t tick_ms = 250;
  std::string node_name = "canaryd";
  uint64_t seed = 0;  // Pod name suffixes; 0: from the clock
};

class WorkloadController {
 public:
  WorkloadController(api::ObjectService& objects, const Clock& clock,
                     WorkloadControllerOptions options = {});
  ~WorkloadController();

  void Start();
  void Stop();
  void Tick();

 private:
  void SyncDeployment(const api::json& d, const std::vector<const api::json*>& rss,
                      const std::vector<api::json>& pods);
  void SyncReplicaSet(const api::json& rs, const std::vector<const api::json*>& pods);
  void SyncEndpoints(const api::json& svc, const std::vector<api::json>& pods,
                     const std::vector<api::json>& workload_entries,
                     const std::vector<api::json>& endpoints);
  void Loop();

  api::ObjectService& objects_;
  const Clock& clock_;
  WorkloadControllerOptions options_;
  RandomSource random_;

  std::mutex loop_mu_;
  std::condition_variable loop_cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace canaryd::workload

// Kubelet: runs the Pods in the store as supervised local processes, as the kubelet runs a
// node's Pods. Each tick it lists the Pods, starts what is missing (command from the image
// catalog, its own loopback address, a free port per containerPort), restarts exited containers
// with the kubelet's back-off, probes them, writes each Pod's status through the status
// subresource when it changed, and stops the processes of Pods that are gone: once the data plane
// no longer routes to them (`wait_routed`), SIGTERM, the grace period, then SIGKILL. Logs go to
// files under the state directory, which Logs() serves to the API (kubectl logs).
//
// Start() runs the ticks on the kubelet's own thread; Tick() runs one pass on the caller's thread
// (tests). Logs() is called on admin threads.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "api/object_service.h"
#include "api/pod_logs.h"
#include "common/clock.h"
#include "workload/backoff.h"
#include "workload/container_log.h"
#include "workload/image_catalog.h"
#include "workload/probe.h"
#include "workload/process_supervisor.h"

namespace canaryd::workload {

struct KubeletOptions {
  std::string node_name = "canaryd";
  std::string state_dir;  // logs under <state_dir>/logs; must exist or be creatable
  int64_t tick_ms = 250;
  LogLimits log_limits;
  BackoffPolicy backoff;
  // Waits (bounded) until the data plane's route table is built from at least this store
  // revision, so that a Pod leaves the endpoints before its process is told to stop.
  std::function<void(int64_t revision)> wait_routed;
};

class Kubelet final : public api::PodLogSource {
 public:
  Kubelet(api::ObjectService& objects, ImageCatalog catalog, ProcessSupervisor& supervisor,
          const Clock& clock, KubeletOptions options);
  ~Kubelet() override;

  void Start();
  // Stops every Pod's processes (SIGTERM, then SIGKILL after the longest grace period, at most
  // `grace`), leaving the Pods in the store for the next run.
  void Stop(std::chrono::milliseconds grace = std::chrono::seconds(10));
  void Tick();

  api::ApiResult<api::HttpResponse> Logs(const api::PodLogRequest& request) override;

 private:
  struct ContainerRun;
  struct PodRun;

  void SyncPod(const api::json& pod, PodRun& run);
  void StartContainer(const api::json& pod, PodRun& run, ContainerRun& c);
  void ProbeContainer(PodRun& run, ContainerRun& c);
  std::unique_ptr<PodRun> NewRun(const api::json& pod);
  void BeginStopping(PodRun& run, int64_t revision, int64_t grace_s);
  // Deletes a marked Pod for good, once nothing of it runs (grace 0, uid precondition).
  void FinishDeletion(const api::json& pod);
  bool FinishStopping(PodRun& run);  // true once every process has exited
  api::json StatusOf(const api::json& pod, const PodRun& run) const;
  std::string AllocateIp();
  void Loop();
  std::string LogPath(const std::string& uid, const std::string& container, int restart) const;

  api::ObjectService& objects_;
  const ImageCatalog catalog_;
  ProcessSupervisor& supervisor_;
  const Clock& clock_;
  KubeletOptions options_;
  const Identity identity_;

  // Kubelet thread only, but for what Logs() reads under log_mu_.
  std::map<std::string, std::unique_ptr<PodRun>> pods_;  // by uid
  std::set<std::string> used_ips_;
  uint32_t next_ip_ = 0;

  // What Logs() needs: per "ns/pod" the container -> (current log path, previous log path).
  // Shared with the threads that follow a log, which may outlive a request but not the files.
  struct LogIndex {
    std::mutex mu;
    std::map<std::string, std::map<std::string, std::pair<std::string, std::string>>> paths;
    bool closed = false;
  };
  std::shared_ptr<LogIndex> logs_ = std::make_shared<LogIndex>();

  std::mutex loop_mu_;
  std::condition_variable loop_cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace canaryd::workload

// RolloutController: runs every Canary. Each tick (once a second) it re-reads each Canary, the
// VirtualService it shifts and the statistics, folds the new seconds into the sequential tests,
// asks Decide (rollout/decide.h) what to do, gathers what the decision needs (interval checks,
// webhook gates), and carries the decision out through the API: the status first (the intent,
// compare-and-set on the Canary's resourceVersion), then the VirtualService's weights
// (compare-and-set on its resourceVersion: a person's concurrent edit makes the write fail and
// the next tick re-read), then the Events and notifications. Everything it knows is in the
// store, so a restarted controller resumes at the same step.
//
// Start() runs the ticks on the controller's own thread; Tick() runs one pass on the caller's
// thread (tests, with a manual clock). RenderPrometheus() may be called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "api/object_service.h"
#include "common/clock.h"
#include "rollout/decide.h"
#include "rollout/outbound.h"

namespace canaryd::rollout {

struct ControllerOptions {
  int64_t tick_ms = 1000;
  // Seconds of statistics still being filled by the workers: the sequential tests and checks
  // see seconds up to now - settle_seconds.
  int64_t settle_seconds = 2;
  std::string component = "canaryd-rollout";
};

class RolloutController {
 public:
  RolloutController(api::ObjectService& objects, const Clock& clock, const TrafficSource& traffic,
                    Outbound& outbound, ControllerOptions options = {});
  ~RolloutController();

  void Start();
  void Stop();
  // One pass over every Canary.
  void Tick();

  // flagger_canary_* metrics of the last pass, Prometheus text.
  std::string RenderPrometheus() const;

 private:
  struct Shown {  // what the metrics show of one Canary
    std::string ns, name;
    Phase phase = Phase::kInitializing;
    int weight = 0;
    std::vector<CheckRecord> checks;
    std::vector<SequentialState> sequential;
    int64_t analysis_start_ms = 0, last_transition_ms = 0;
  };

  // With spec.targetRef: the target and its primary as read, and the selector label.
  struct TargetObjects {
    api::json target, primary;  // null when absent
    std::string label;
    WorkloadObservation observation;
  };

  void TickOne(const api::json& canary);
  // Makes what is missing of the primary, its Services and the VirtualService (those once the
  // primary has been ready: RoutesToPrimary), and reads them.
  TargetObjects ReconcileTarget(const CanaryPlan& plan, const CanaryStatus& stored);
  // Carries out what the stored status implies: the primary's template, the target's replicas.
  void ApplyTarget(const CanaryPlan& plan, const CanaryStatus& status,
                   const TargetObjects& objects);
  std::vector<CheckRecord> RunChecks(const CanaryPlan& plan, const CanaryStatus& status,
                                     std::optional<std::string>* rollback);
  GateOutcome CallGate(const CanaryPlan& plan, const CanaryStatus& status, const std::string& type);
  void Notify(const CanaryPlan& plan, const CanaryStatus& status, const std::string& type);
  std::string Payload(const CanaryPlan& plan, const CanaryStatus& status,
                      const std::map<std::string, std::string>& metadata) const;
  void FoldSequential(const CanaryPlan& plan, CanaryStatus& status, int64_t now_ms);
  bool WriteStatus(const api::json& canary, const CanaryStatus& status);
  bool WriteWeights(const api::json& vs, const CanaryPlan& plan, const CanaryStatus& status);
  void RecordEvent(const api::json& canary, const CanaryPlan& plan, const CanaryStatus& status,
                   const EventRecord& e);
  void ClearRequests(const api::json& canary);
  void Loop();

  api::ObjectService& objects_;
  const Clock& clock_;
  const TrafficSource& traffic_;
  Outbound& outbound_;
  ControllerOptions options_;
  uint64_t event_counter_ = 0;

  mutable std::mutex shown_mu_;
  std::map<std::string, Shown> shown_;  // by "ns/name"

  std::mutex loop_mu_;
  std::condition_variable loop_cv_;
  bool stopping_ = false;
  std::thread thread_;
};

// The annotations that ask the controller to act once (canaryctl rollout abort|promote sets
// them; the controller removes them when done).
inline constexpr const char* kAbortAnnotation = "canaryd.io/abort";
inline constexpr const char* kPromoteAnnotation = "canaryd.io/promote";

}  // namespace canaryd::rollout

// RestartBackoff: the kubelet's restart decision and CrashLoopBackOff delay for one container.
// Whether to restart at all follows the Pod's restartPolicy (Always: every exit; OnFailure: a
// non-zero exit or a kill by a signal; Never: none). The delay before the next start is 10 s
// after the first exit that restarts, doubling at each further one up to 300 s, and back to 10 s
// when the container had run 10 minutes without exiting. The kubelet applies the delay to every
// restart, a clean exit under Always included, and so does this. Pure state over an injected
// clock: one owner thread (the Pod's worker) at a time.
#pragma once

#include <cstdint>
#include <optional>

#include "common/clock.h"

namespace canaryd::workload {

enum class RestartPolicy { kAlways, kOnFailure, kNever };

// Whether a container that exited (exit_code, or killed by a signal) should start again.
bool ShouldRestart(RestartPolicy policy, int exit_code, bool signaled);

struct BackoffPolicy {
  int64_t initial_nanos = 10'000'000'000;       // 10 s
  int64_t max_nanos = 300'000'000'000;          // 5 min
  int64_t reset_after_nanos = 600'000'000'000;  // 10 min running without exiting
};

struct BackoffState {
  int restart_count = 0;              // starts after the first (Pod status restartCount)
  int64_t current_delay_nanos = 0;    // the delay applied after the last exit; 0 before any
  int64_t next_start_allowed_at = 0;  // monotonic nanos; 0: now
  int64_t last_started_at = 0;        // monotonic nanos of the last start
  bool running = false;
};

struct RestartDecision {
  bool restart = false;
  int64_t not_before = 0;  // monotonic nanos when restart
  int64_t delay_nanos = 0;
};

class RestartBackoff {
 public:
  explicit RestartBackoff(const Clock& clock, BackoffPolicy policy = {})
      : clock_(clock), policy_(policy) {}

  // The container started now (the first start, or a restart: counted from the second on).
  void OnStarted();
  // The container exited now: whether and when it may start again.
  RestartDecision OnExited(RestartPolicy policy, int exit_code, bool signaled);
  // Whether the back-off has expired (a start is allowed now).
  bool CanStart() const;
  // How long until a start is allowed (0 when it is).
  int64_t RemainingNanos() const;
  const BackoffState& state() const { return state_; }

 private:
  const Clock& clock_;
  BackoffPolicy policy_;
  BackoffState state_;
  bool started_once_ = false;
};

}  // namespace canaryd::workload

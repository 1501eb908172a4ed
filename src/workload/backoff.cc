#include "workload/backoff.h"

#include <algorithm>

namespace canaryd::workload {

bool ShouldRestart(RestartPolicy policy, int exit_code, bool signaled) {
  switch (policy) {
    case RestartPolicy::kAlways:
      return true;
    case RestartPolicy::kOnFailure:
      return signaled || exit_code != 0;
    case RestartPolicy::kNever:
      return false;
  }
  return false;
}

void RestartBackoff::OnStarted() {
  if (started_once_) ++state_.restart_count;
  started_once_ = true;
  state_.running = true;
  state_.last_started_at = clock_.MonotonicNanos();
}

RestartDecision RestartBackoff::OnExited(RestartPolicy policy, int exit_code, bool signaled) {
  int64_t now = clock_.MonotonicNanos();
  bool ran_long = state_.running && now - state_.last_started_at >= policy_.reset_after_nanos;
  state_.running = false;
  RestartDecision d;
  if (!ShouldRestart(policy, exit_code, signaled)) return d;
  if (state_.current_delay_nanos == 0 || ran_long) {
    state_.current_delay_nanos = policy_.initial_nanos;
  } else {
    state_.current_delay_nanos = std::min(state_.current_delay_nanos * 2, policy_.max_nanos);
  }
  state_.next_start_allowed_at = now + state_.current_delay_nanos;
  d.restart = true;
  d.delay_nanos = state_.current_delay_nanos;
  d.not_before = state_.next_start_allowed_at;
  return d;
}

bool RestartBackoff::CanStart() const {
  return RemainingNanos() == 0;
}

int64_t RestartBackoff::RemainingNanos() const {
  return std::max<int64_t>(0, state_.next_start_allowed_at - clock_.MonotonicNanos());
}

}  // namespace canaryd::workload

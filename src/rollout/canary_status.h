// CanaryStatus: what the rollout controller knows of one Canary, all of it stored in the
// Canary's status (so a restarted controller resumes where it was): the phase, the step and
// weight it intends, the failed checks, the timers as absolute wall-clock times, the sequential
// tests' accumulators, and the last analysis with every metric's values for people to read.
// Converted to and from the status JSON. Plain data: one thread at a time.
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace canaryd::rollout {

enum class Phase {
  kInitializing,
  kInitialized,
  kWaiting,
  kProgressing,
  kWaitingPromotion,
  kPromoting,
  kFinalising,
  kSucceeded,
  kFailed,
};
std::string_view PhaseName(Phase p);
std::optional<Phase> ParsePhase(std::string_view s);
bool IsTerminal(Phase p);

// One sequential test's state: the e-process's log-accumulators and its counts.
struct SequentialState {
  std::string name;         // "5xx" or "latency"
  double threshold_ms = 0;  // latency: responses slower than this are the events
  std::array<double, 7> log_likelihood{};
  uint64_t canary_events = 0, stable_events = 0;
  uint64_t canary_requests = 0, stable_requests = 0;
  double log_e = 0;  // ln of the e-value
};

enum class CheckResult { kPass, kFail, kHold, kError };
std::string_view CheckResultName(CheckResult r);

// One metric or webhook of the last interval check, as people read it.
struct CheckRecord {
  std::string name;
  CheckResult result = CheckResult::kPass;
  std::optional<double> canary, stable;
  std::string threshold;  // "min 99", "max 500", "canary - stable >= -1"
  int64_t window_ms = 0;
  uint64_t canary_requests = 0, stable_requests = 0;
  std::string message;
};

struct CanaryStatus {
  Phase phase = Phase::kInitializing;
  std::string revision;  // RevisionOf the spec being released
  int64_t observed_generation = 0;
  int canary_weight = 0;  // what the controller intends (and writes) for the canary
  int step = -1;          // index into plan.step_weights; -1 before the first step
  int64_t failed_checks = 0;
  int64_t iterations = 0;       // passing intervals at the last step weight
  int64_t provider_errors = 0;  // consecutive
  int64_t write_seq = 0;        // the number of the last weight decision (see the VS annotation)
  std::vector<int> step_weights;
  // Absolute wall-clock times in milliseconds since the epoch; 0 when unset.
  int64_t last_transition_ms = 0;
  int64_t analysis_start_ms = 0;
  int64_t step_start_ms = 0;
  int64_t next_check_ms = 0;
  int64_t last_progress_ms = 0;   // for progressDeadlineSeconds
  int64_t last_evaluated_ms = 0;  // the last check that passed or failed (not a hold)
  int64_t suspended_since_ms = 0;
  int64_t sequential_through_second = 0;  // the last whole second the tests have seen
  std::string reason;                     // of the last transition or hold, CamelCase
  std::string message;                    // the reason of the last decision, in words
  std::vector<SequentialState> sequential;
  int64_t last_check_ms = 0;
  std::vector<CheckRecord> last_checks;
  // With targetRef, Flagger's lastPromotedSpec: the hash of the template the primary was last
  // given (at initialization or promotion); "" before the first.
  std::string promoted_template;
  // The VirtualService resourceVersion whose outside change of the weights was reported, so it
  // is reported once.
  std::string reported_outside_edit;
};

nlohmann::json StatusToJson(const CanaryStatus& s);
// Reads what StatusToJson wrote; a missing or malformed status is a fresh one (phase
// Initializing, no revision), which starts an analysis.
CanaryStatus StatusFromJson(const nlohmann::json& j);

// RFC 3339 with milliseconds, UTC: "2026-12-02T01:02:03.456Z".
std::string FormatTimeMillis(int64_t ms);
std::optional<int64_t> ParseTimeMillis(std::string_view text);

}  // namespace canaryd::rollout

#include "rollout/decide.h"

#include <cmath>
#include <cstdio>

#include "rollout/analysis.h"

namespace canaryd::rollout {
namespace {

std::string Num(double v) {
  char buf[32];
  if (std::fabs(v) >= 1e4 || (v != 0 && std::fabs(v) < 1e-2)) {
    std::snprintf(buf, sizeof buf, "%.1e", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.3g", v);
  }
  return buf;
}

std::string Percent(uint64_t part, uint64_t whole) {
  if (whole == 0) return "0%";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%",
                100.0 * static_cast<double>(part) / static_cast<double>(whole));
  return buf;
}

class Machine {
 public:
  Machine(const CanaryPlan& plan, const CanaryStatus& status, const TickInput& in)
      : plan_(plan), in_(in), now_(in.now_ms) {
    d_.status = status;
  }

  Decision Run() {
    CanaryStatus& s = d_.status;
    if (plan_.target) {
      if (!in_.workload) {  // the caller did not read the target: decide nothing
        Hold("TargetNotReady", "holding: the target Deployment was not read", true);
        return Finish();
      }
      if (std::optional<Decision> d = TargetPreamble()) return std::move(*d);
    }
    if (s.revision != in_.revision) return Start();
    if (s.observed_generation != in_.generation) {
      s.observed_generation = in_.generation;
      d_.persist = true;
    }
    if (s.step_weights != plan_.step_weights && !IsTerminal(s.phase)) {
      // The steps were edited mid-rollout: keep the weight, go on from the step at or below it.
      s.step_weights = plan_.step_weights;
      if (s.phase == Phase::kProgressing) {
        int step = 0;
        for (size_t i = 0; i < s.step_weights.size(); ++i) {
          if (s.step_weights[i] <= s.canary_weight) step = static_cast<int>(i);
        }
        s.step = step;
      }
      d_.persist = true;
    }
    if (!in_.route.ok) return RouteProblem();
    if (s.write_seq > in_.route.applied_seq) {
      // The last decision is stored but its weights never reached the VirtualService (the
      // write failed or canaryd stopped in between): apply them, nothing else this tick.
      d_.write_weight = s.canary_weight;
      return Finish();
    }
    NoticeOutsideEdit();
    if (IsTerminal(s.phase)) {
      if (in_.abort_requested || in_.promote_requested) d_.consume_requests = true;
      return Finish();
    }
    if (in_.abort_requested) {
      d_.consume_requests = true;
      return Rollback("Aborted", "aborted by request (canaryctl rollout abort)");
    }
    if (plan_.suspend) return Suspend();
    if (s.suspended_since_ms != 0) Resume();
    // With targetRef, promotion gives the primary the canary's template: both sides run it, so
    // there is nothing left to compare.
    if (s.phase == Phase::kProgressing || s.phase == Phase::kWaitingPromotion ||
        (s.phase == Phase::kPromoting && !plan_.target)) {
      if (std::optional<std::string> why = SequentialRejection()) {
        return Rollback("SequentialTestRejected", *why);
      }
    }
    if (in_.promote_requested) {
      d_.consume_requests = true;
      if (s.phase != Phase::kPromoting && s.phase != Phase::kFinalising) {
        return StartPromotion("promoted by request (canaryctl rollout promote)");
      }
    }
    switch (s.phase) {
      case Phase::kInitializing:
        Transition(Phase::kInitialized, "Initialized",
                   "initialized: stable " + DestinationText(plan_.stable) + " 100%, canary " +
                       DestinationText(plan_.canary) + " 0%");
        SetWeight(0);
        return Finish();
      case Phase::kInitialized:
        if (plan_.target && in_.workload->target_template == s.promoted_template) {
          return Finish();  // the primary runs the target's template: nothing to release
        }
        return BeforeFirstStep();
      case Phase::kWaiting:
        return BeforeFirstStep();
      case Phase::kProgressing:
      case Phase::kPromoting:
        return Analyse();
      case Phase::kWaitingPromotion:
        return WaitForPromotion();
      case Phase::kFinalising:
        if (plan_.target) {
          s.promoted_template = in_.workload->target_template;
          Transition(Phase::kSucceeded, "Succeeded",
                     "promotion completed: the primary " + plan_.target->primary_deployment +
                         " runs the canary's template and serves 100%; " +
                         plan_.target->deployment + " is scaled to 0");
          d_.notify.push_back("post-rollout");
          return Finish();
        }
        Transition(Phase::kSucceeded, "Succeeded",
                   "promotion completed: canary " + DestinationText(plan_.canary) + " serves 100%");
        d_.notify.push_back("post-rollout");
        return Finish();
      case Phase::kSucceeded:
      case Phase::kFailed:
        break;
    }
    return Finish();
  }

 private:
  Decision Finish() { return std::move(d_); }

  void Event(bool warning, std::string reason, std::string message) {
    d_.events.push_back({warning, std::move(reason), std::move(message)});
  }

  void Transition(Phase to, std::string reason, std::string message) {
    CanaryStatus& s = d_.status;
    if (s.phase != to) s.last_transition_ms = now_;
    s.phase = to;
    s.reason = reason;
    s.message = message;
    d_.persist = true;
    Event(to == Phase::kFailed, std::move(reason), std::move(message));
  }

  // A hold: status says why. An event when the reason is new (or, with `each_message`, when the
  // message is), so that holding for many intervals is one event, not one per interval.
  void Hold(const std::string& reason, const std::string& message, bool warning = false,
            bool each_message = false) {
    CanaryStatus& s = d_.status;
    if (s.reason != reason || (each_message && s.message != message)) {
      Event(warning, reason, message);
    }
    if (s.message != message || s.reason != reason) d_.persist = true;
    s.reason = reason;
    s.message = message;
  }

  void SetWeight(int w) {
    CanaryStatus& s = d_.status;
    s.canary_weight = w;
    s.write_seq += 1;
    d_.write_weight = w;
    d_.persist = true;
  }

  Decision Start() {
    const CanaryStatus old = d_.status;
    CanaryStatus s;
    s.revision = in_.revision;
    s.observed_generation = in_.generation;
    s.write_seq = old.write_seq;  // the VirtualService's annotation keeps counting
    s.promoted_template = old.promoted_template;
    s.step_weights = plan_.step_weights;
    s.analysis_start_ms = now_;
    s.last_progress_ms = now_;
    s.last_transition_ms = now_;
    s.sequential_through_second = now_ / 1000 - 1;
    if (plan_.sequential) {
      s.sequential.push_back(SequentialState{.name = "5xx"});
      if (double bound = plan_.LatencyBoundMs(); bound > 0) {
        s.sequential.push_back(SequentialState{.name = "latency", .threshold_ms = bound});
      }
    }
    d_.status = std::move(s);
    d_.persist = true;
    // With targetRef, Initialized is the idle state between releases (the primary runs the
    // promoted template): a new template there is a new revision, not a restart.
    bool idle = plan_.target && old.phase == Phase::kInitialized;
    bool restart = !old.revision.empty() && !IsTerminal(old.phase) && !idle;
    std::string message = (restart ? "new revision detected, restarting analysis: canary "
                                   : "new revision, starting analysis: canary ") +
                          DestinationText(plan_.canary) + " against stable " +
                          DestinationText(plan_.stable);
    Event(false, restart ? "RestartAnalysis" : "NewRevision", message);
    d_.status.reason = "Initializing";
    d_.status.message = message;
    if (!in_.route.ok) return RouteProblem();
    Transition(Phase::kInitialized, "Initialized",
               "initialized: stable " + DestinationText(plan_.stable) + " 100%, canary " +
                   DestinationText(plan_.canary) + " 0%");
    SetWeight(0);
    return Finish();
  }

  Decision RouteProblem() {
    CanaryStatus& s = d_.status;
    if (!IsTerminal(s.phase)) {
      if (DeadlinePassed()) {
        return Rollback(
            "ProgressDeadlineExceeded",
            "no progress for " + WindowText(plan_.progress_deadline_ms) + ": " + in_.route.error);
      }
      Hold("RouteNotReady", "holding: " + in_.route.error, true);
    }
    return Finish();
  }

  void NoticeOutsideEdit() {
    CanaryStatus& s = d_.status;
    const RouteObservation& r = in_.route;
    if (r.canary_weight == s.canary_weight && r.stable_weight == 100 - s.canary_weight) return;
    if (s.reported_outside_edit == r.resource_version) return;
    s.reported_outside_edit = r.resource_version;
    d_.persist = true;
    Event(true, "OutsideEdit",
          "the route's weights were changed outside the controller: canary " +
              std::to_string(r.canary_weight) + ", stable " + std::to_string(r.stable_weight) +
              " (the controller set " + std::to_string(s.canary_weight) +
              "); kept until the controller's next step");
  }

  bool DeadlinePassed() const {
    const CanaryStatus& s = d_.status;
    return s.last_progress_ms != 0 && now_ - s.last_progress_ms > plan_.progress_deadline_ms;
  }

  Decision Suspend() {
    CanaryStatus& s = d_.status;
    if (s.suspended_since_ms == 0) {
      s.suspended_since_ms = now_;
      s.reason = "Suspended";
      s.message = "suspended (spec.suspend): no step and no check until resumed";
      d_.persist = true;
      Event(false, "Suspended", s.message);
    }
    return Finish();
  }

  void Resume() {
    CanaryStatus& s = d_.status;
    s.suspended_since_ms = 0;
    s.last_progress_ms = now_;
    if (s.next_check_ms != 0) s.next_check_ms = now_ + plan_.interval_ms;
    s.message = "resumed";
    d_.persist = true;
    Event(false, "Resumed", "resumed: the next check is in " + WindowText(plan_.interval_ms));
  }

  std::optional<std::string> SequentialRejection() const {
    const CanaryStatus& s = d_.status;
    if (s.sequential.empty()) return std::nullopt;
    double bound = SequentialRejectLogBound(plan_, s.sequential.size());
    for (const SequentialState& t : s.sequential) {
      if (t.log_e < bound) continue;
      std::string what =
          t.name == "5xx" ? "5xx" : "responses slower than " + Num(t.threshold_ms) + "ms";
      return "sequential test: canary " + what + " " + Percent(t.canary_events, t.canary_requests) +
             " vs stable " + Percent(t.stable_events, t.stable_requests) + " (" +
             std::to_string(t.canary_events) + " vs " + std::to_string(t.stable_events) +
             " events, " + std::to_string(t.canary_requests) + " canary requests), e-value " +
             Num(std::exp(std::min(t.log_e, 700.0))) + " >= " + Num(std::exp(bound)) +
             ": rolled back";
    }
    return std::nullopt;
  }

  Decision Rollback(const std::string& reason, const std::string& why) {
    Transition(Phase::kFailed, reason, why);
    SetWeight(0);
    d_.notify.push_back("post-rollout");
    return Finish();
  }

  // Asks for a gate; nullopt until its answer is in the input.
  std::optional<GateOutcome> Gate(const std::string& type) {
    if (plan_.WebhooksOf(type).empty()) return GateOutcome{.ok = true};
    auto it = in_.gates.find(type);
    if (it == in_.gates.end()) {
      d_.need = Decision::Need::kGate;
      d_.gate = type;
      return std::nullopt;
    }
    return it->second;
  }

  Decision BeforeFirstStep() {
    CanaryStatus& s = d_.status;
    if (plan_.skip_analysis) return StartPromotion("analysis skipped (spec.skipAnalysis)");
    if (plan_.target && !in_.workload->canary_ready) {
      const std::string what = "the canary " + plan_.target->deployment +
                               " (Deployment) is not ready: " + in_.workload->canary_message;
      if (DeadlinePassed()) {
        return Rollback("ProgressDeadlineExceeded",
                        "no progress for " + WindowText(plan_.progress_deadline_ms) + ": " + what);
      }
      Hold("WaitingCanary", "waiting: " + what);
      return Finish();
    }
    if (s.next_check_ms != 0 && now_ < s.next_check_ms) return Finish();
    std::optional<GateOutcome> confirm = Gate("confirm-rollout");
    if (!confirm) return Finish();
    if (!confirm->ok) {
      s.last_progress_ms = now_;  // waiting for a person is not a lack of progress
      s.next_check_ms = now_ + plan_.interval_ms;
      if (s.phase != Phase::kWaiting) {
        Transition(Phase::kWaiting, "Waiting", "waiting for confirm-rollout: " + confirm->message);
      } else {
        Hold("Waiting", "waiting for confirm-rollout: " + confirm->message);
      }
      return Finish();
    }
    std::optional<GateOutcome> pre = Gate("pre-rollout");
    if (!pre) return Finish();
    if (!pre->ok) {
      s.next_check_ms = now_ + plan_.interval_ms;
      std::string what = "pre-rollout " + pre->message;
      if (pre->unreachable) return ProviderError(what);
      return FailedCheck(what);
    }
    s.provider_errors = 0;
    s.step = 0;
    s.step_start_ms = now_;
    s.next_check_ms = now_ + plan_.interval_ms;
    s.last_progress_ms = now_;
    s.iterations = 0;
    Transition(
        Phase::kProgressing, "Progressing",
        "starting canary analysis: canary weight " + std::to_string(plan_.step_weights.front()));
    SetWeight(plan_.step_weights.front());
    return Finish();
  }

  Decision StartPromotion(const std::string& why) {
    CanaryStatus& s = d_.status;
    if (plan_.target) {
      // Flagger's order: the primary gets the canary's template first, and the weight returns
      // to it only once it runs that template.
      s.next_check_ms = now_;
      s.last_progress_ms = now_;
      Transition(Phase::kPromoting, "Promoting",
                 why + ": promoting, copying the template of " + plan_.target->deployment +
                     " to the primary " + plan_.target->primary_deployment);
      return Finish();
    }
    int w = std::min(100, std::max(s.canary_weight, 0) + plan_.step_weight_promotion);
    if (plan_.skip_analysis || in_.promote_requested) w = std::max(w, 100);
    s.next_check_ms = now_ + plan_.interval_ms;
    s.last_progress_ms = now_;
    Transition(Phase::kPromoting, "Promoting",
               why + ": promoting, canary weight " + std::to_string(w));
    SetWeight(w);
    return Finish();
  }

  Decision ProviderError(const std::string& what) {
    CanaryStatus& s = d_.status;
    s.provider_errors += 1;
    if (s.provider_errors >= plan_.provider_error_limit) {
      s.provider_errors = 0;
      return FailedCheck(what + " (" + std::to_string(plan_.provider_error_limit) +
                         " consecutive provider errors count as one failed check)");
    }
    Hold("ProviderError",
         "holding: " + what + " (provider error " + std::to_string(s.provider_errors) + " of " +
             std::to_string(plan_.provider_error_limit) + ")",
         true, true);
    d_.persist = true;
    return Finish();
  }

  Decision FailedCheck(const std::string& what) {
    CanaryStatus& s = d_.status;
    s.failed_checks += 1;
    d_.persist = true;
    std::string message = what + ": failed check " + std::to_string(s.failed_checks) + "/" +
                          std::to_string(plan_.threshold);
    if (s.failed_checks >= plan_.threshold) {
      return Rollback("FailedChecks", message + ": rolled back");
    }
    s.reason = "FailedCheck";
    s.message = message;
    Event(true, "FailedCheck", message);
    return Finish();
  }

  Decision Analyse() {
    CanaryStatus& s = d_.status;
    if (plan_.target && s.phase == Phase::kPromoting) return PromoteTarget();
    if (s.phase == Phase::kPromoting && s.canary_weight >= 100) {
      Transition(Phase::kFinalising, "Finalising",
                 "finalising: canary " + DestinationText(plan_.canary) + " at 100%");
      return Finish();
    }
    if (DeadlinePassed()) {
      return Rollback(
          "ProgressDeadlineExceeded",
          "no progress for " + WindowText(plan_.progress_deadline_ms) + ": " + s.message);
    }
    if (now_ < s.next_check_ms) return Finish();
    if (!in_.checks) {
      d_.need = Decision::Need::kChecks;
      return Finish();
    }
    const std::vector<CheckRecord>& checks = *in_.checks;
    s.last_check_ms = now_;
    s.last_checks = checks;
    s.next_check_ms = now_ + plan_.interval_ms;
    d_.persist = true;
    if (in_.rollback_requested) {
      return Rollback("RollbackWebhook",
                      "rollback webhook answered 2xx: " + *in_.rollback_requested);
    }
    const CheckRecord* failed = nullptr;
    const CheckRecord* error = nullptr;
    const CheckRecord* hold = nullptr;
    for (const CheckRecord& c : checks) {
      if (c.result == CheckResult::kFail) {
        for (const MetricPlan& m : plan_.metrics) {
          if (m.name == c.name && m.critical) {
            return Rollback("CriticalMetricFailed", c.message + " (critical): rolled back");
          }
        }
        if (!failed) failed = &c;
      } else if (c.result == CheckResult::kError && !error) {
        error = &c;
      } else if (c.result == CheckResult::kHold && !hold) {
        hold = &c;
      }
    }
    if (failed || !hold) s.last_evaluated_ms = now_;  // later widened windows start here
    if (failed) {
      if (!error) s.provider_errors = 0;
      return FailedCheck(failed->message);
    }
    if (error) return ProviderError(error->message);
    s.provider_errors = 0;
    if (hold) {
      Hold("Holding", hold->message);
      return Finish();
    }
    s.last_progress_ms = now_;
    std::string passed;
    for (const CheckRecord& c : checks) passed += (passed.empty() ? "" : "; ") + c.message;
    if (passed.empty()) passed = "no checks";
    if (s.phase == Phase::kPromoting) {
      int w = std::min(100, s.canary_weight + plan_.step_weight_promotion);
      s.reason = "Promoting";
      s.message = "promoting, canary weight " + std::to_string(w) + ": " + passed;
      Event(false, "Promoting", s.message);
      SetWeight(w);
      return Finish();
    }
    size_t last = plan_.step_weights.size() - 1;
    if (s.step < 0) s.step = 0;
    if (static_cast<size_t>(s.step) < last) {
      std::optional<GateOutcome> gate = Gate("confirm-traffic-increase");
      if (!gate) return Finish();
      if (!gate->ok) {
        Hold("Waiting", "waiting for confirm-traffic-increase: " + gate->message);
        return Finish();
      }
      s.step += 1;
      s.step_start_ms = now_;
      int w = plan_.step_weights[static_cast<size_t>(s.step)];
      s.reason = "Advance";
      s.message = "advance canary weight " + std::to_string(w) + ": " + passed;
      Event(false, "Advance", s.message);
      SetWeight(w);
      return Finish();
    }
    s.iterations += 1;
    if (s.iterations < plan_.iterations) {
      Hold("Iterating", "iteration " + std::to_string(s.iterations) + " of " +
                            std::to_string(plan_.iterations) + " passed: " + passed);
      return Finish();
    }
    return WaitForPromotion();
  }

  // First-time initialization and a target back at the promoted template, before the generic
  // phases; nullopt when those apply.
  std::optional<Decision> TargetPreamble() {
    CanaryStatus& s = d_.status;
    const WorkloadObservation& w = *in_.workload;
    if (!w.error.empty()) {
      bool analysing = !s.promoted_template.empty() && !IsTerminal(s.phase) &&
                       s.phase != Phase::kInitialized && s.phase != Phase::kInitializing;
      if (analysing && DeadlinePassed()) {
        return Rollback(
            "ProgressDeadlineExceeded",
            "no progress for " + WindowText(plan_.progress_deadline_ms) + ": " + w.error);
      }
      Hold("TargetNotReady", "holding: " + w.error, true);
      return Finish();
    }
    if (s.promoted_template.empty()) {
      // Initialization: the primary is made from the target; no analysis for the first template.
      if (s.revision != in_.revision) {
        s.revision = in_.revision;
        s.observed_generation = in_.generation;
        s.phase = Phase::kInitializing;
        s.last_transition_ms = now_;
        d_.persist = true;
      }
      if (w.primary_template != w.target_template || !w.primary_ready) {
        Hold("Initializing", "initializing: waiting for the primary " +
                                 plan_.target->primary_deployment +
                                 " to be ready: " + w.primary_message);
        return Finish();
      }
      if (!in_.route.ok) return RouteProblem();
      s.promoted_template = w.target_template;
      Transition(Phase::kInitialized, "Initialized",
                 "initialization done: the primary " + plan_.target->primary_deployment +
                     " serves 100% with the template of " + plan_.target->deployment + ", " +
                     plan_.target->deployment + " is scaled to 0");
      SetWeight(0);
      return Finish();
    }
    if (s.revision != in_.revision && w.target_template == s.promoted_template) {
      // Back at what the primary runs (kubectl rollout undo, say): nothing to analyse.
      s.revision = in_.revision;
      s.observed_generation = in_.generation;
      if (!in_.route.ok) return RouteProblem();
      Transition(Phase::kInitialized, "Initialized",
                 "the template of " + plan_.target->deployment + " is the one the primary " +
                     plan_.target->primary_deployment + " runs: nothing to release");
      SetWeight(0);
      return Finish();
    }
    return std::nullopt;
  }

  // Promoting with targetRef: wait until the primary runs the canary's template, then move the
  // weight back to it, stepWeightPromotion per interval.
  Decision PromoteTarget() {
    CanaryStatus& s = d_.status;
    const WorkloadObservation& w = *in_.workload;
    const std::string& primary = plan_.target->primary_deployment;
    if (w.primary_template != w.target_template || !w.primary_ready) {
      if (DeadlinePassed()) {
        return Rollback("ProgressDeadlineExceeded", "no progress for " +
                                                        WindowText(plan_.progress_deadline_ms) +
                                                        ": the primary " + primary +
                                                        " did not become ready with the "
                                                        "canary's template: " +
                                                        w.primary_message);
      }
      Hold("WaitingPrimary", "promoting: waiting for the primary " + primary +
                                 " to run the canary's template: " + w.primary_message);
      return Finish();
    }
    if (now_ < s.next_check_ms) return Finish();
    s.last_progress_ms = now_;
    s.next_check_ms = now_ + plan_.interval_ms;
    int next = std::max(0, s.canary_weight - plan_.step_weight_promotion);
    if (plan_.skip_analysis) next = 0;
    if (next == 0) {
      Transition(Phase::kFinalising, "Finalising",
                 "finalising: the primary " + primary +
                     " runs the canary's template and serves "
                     "100%");
      SetWeight(0);
      return Finish();
    }
    s.reason = "Promoting";
    s.message = "promoting: the primary " + primary +
                " runs the canary's template, primary "
                "weight " +
                std::to_string(100 - next);
    Event(false, "Promoting", s.message);
    SetWeight(next);
    return Finish();
  }

  Decision WaitForPromotion() {
    CanaryStatus& s = d_.status;
    if (s.phase == Phase::kWaitingPromotion && now_ < s.next_check_ms) return Finish();
    std::optional<GateOutcome> gate = Gate("confirm-promotion");
    if (!gate) return Finish();
    if (!gate->ok) {
      s.next_check_ms = now_ + plan_.interval_ms;
      s.last_progress_ms = now_;
      std::string message = "waiting for confirm-promotion: " + gate->message;
      if (s.phase != Phase::kWaitingPromotion) {
        Transition(Phase::kWaitingPromotion, "WaitingPromotion", message);
      } else {
        Hold("WaitingPromotion", message);
      }
      return Finish();
    }
    return StartPromotion("analysis passed at canary weight " + std::to_string(s.canary_weight));
  }

  const CanaryPlan& plan_;
  const TickInput& in_;
  int64_t now_;
  Decision d_;
};

}  // namespace

double SequentialRejectLogBound(const CanaryPlan& plan, size_t tests) {
  return std::log(static_cast<double>(std::max<size_t>(tests, 1)) / plan.alpha);
}

Decision Decide(const CanaryPlan& plan, const CanaryStatus& status, const TickInput& in) {
  return Machine(plan, status, in).Run();
}

}  // namespace canaryd::rollout

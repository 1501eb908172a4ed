// release_safety: what a canary policy exists for, measured. A fake clock and seeded synthetic
// traffic (Poisson arrivals, per-request errors and latencies per version) drive canaryd's real
// analysis and phase machine (rollout::Decide, EvaluateBuiltIn, FoldSeconds, driven the way
// rollout/controller.cc drives them) and, on the same traffic, an independent implementation of
// Flagger's documented policy with its defaults. Per scenario and policy it prints how many
// failed requests a bad canary serves before it is rolled back (the blast radius), how long
// that takes, how long a healthy canary takes to be promoted, and how often a healthy one is
// rolled back (with a binomial 95% upper bound), as markdown tables, then the aims of the
// progressive-delivery issue side by side. bench/release_safety.sh runs it pinned to one core.
//
// Shared randomness. Each seed has three streams, each its own std::mt19937_64 (whose seeding
// and output the standard specifies bit for bit) seeded through splitmix64:
//   - arrivals: exponential gaps of a Poisson process of the scenario's rate, and one routing
//     draw u in (0,1) per request; a policy with canary weight w sends the request to the
//     canary when 100 u < w. Every policy sees the same requests at the same times with the
//     same u, so at equal weights the splits are identical, and a policy at a higher weight
//     sends the canary a superset of the requests (a monotone coupling).
//   - canary outcomes and stable outcomes: the n-th request a version serves takes the n-th
//     outcome (5xx or not, slowed or not, base latency) of that version's stream, and each
//     policy reads its own copy of the stream. Weights differ between policies (one stops or
//     steps earlier), so "the same second" would not mean the same canary requests; "the n-th
//     canary request" does: a policy that stops the canary after fewer canary requests served
//     exactly a prefix of the failures the other one served. Every outcome takes four draws
//     whatever the scenario, so the streams stay aligned.
// Uniforms, exponentials and normals (Box-Muller) are computed here from the raw 64-bit output,
// not with <random>'s distributions, whose algorithms the standard leaves to the library; only
// libm's log/cos/exp remain, which may differ in the last bit between C libraries.
//
// Simplifications, the same for both policies: the controller's tick runs at the start of each
// second and every earlier second is complete (--settle adds whole seconds of delay; the real
// controller's settle_seconds = 2 leaves its workers one second to flush, so it sees each second
// about one second later than --settle 0); weight writes land at once; pods are always ready;
// Flagger's metrics are the exact counts of the last minute (no Prometheus scrape interval,
// which only delays Flagger). Times are from the first second the canary gets traffic, so
// neither Flagger's extra interval to detect the revision and wait for the canary's pods nor
// canaryd's Initialized tick count.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <map>
#include <memory>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "config/canary_types.h"
#include "rollout/analysis.h"
#include "rollout/canary_plan.h"
#include "rollout/canary_status.h"
#include "rollout/decide.h"
#include "rollout/sequential_update.h"
#include "telemetry/histogram.h"
#include "telemetry/live_stats.h"

namespace {

using namespace canaryd;
using rollout::CanaryPlan;
using rollout::CanaryStatus;
using rollout::CheckRecord;
using rollout::CheckResult;
using rollout::Decision;
using rollout::Phase;
using telemetry::SecondBucket;

constexpr int64_t kStartSecond = 1'800'000'000;  // the fake clock's first second (2027)
constexpr double kInf = std::numeric_limits<double>::infinity();

// ---- Randomness ----------------------------------------------------------------------------

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

uint64_t Fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

class Stream {
 public:
  explicit Stream(uint64_t seed) : g_(seed) {}
  // In (0, 1), never 0 or 1: the top 53 bits, centred in their interval.
  double Uniform() { return (static_cast<double>(g_() >> 11) + 0.5) * 0x1p-53; }
  double Exponential(double rate) { return -std::log(Uniform()) / rate; }
  // Box-Muller, one normal from two uniforms (the second of the pair is dropped, so each normal
  // takes exactly two draws).
  double Normal() {
    double r = std::sqrt(-2.0 * std::log(Uniform()));
    return r * std::cos(2.0 * std::numbers::pi * Uniform());
  }

 private:
  std::mt19937_64 g_;
};

uint64_t StreamSeed(uint64_t scenario, uint64_t seed, uint64_t stream) {
  return SplitMix64(SplitMix64(scenario ^ SplitMix64(seed)) + stream);
}

// ---- Scenarios -----------------------------------------------------------------------------

struct Scenario {
  std::string name, title;
  double rate = 200;  // requests per second, both versions together
  double canary_error = 0.001, stable_error = 0.001;
  double slow_fraction = 0, slow_ms = 0;  // the canary's requests that take slow_ms more
  bool healthy = false;
  // What harms a user: a 5xx (false) or a slowed request (true).
  bool harm_is_slow = false;
};

struct Latency {
  double median_ms = 40, sigma = 0.5;  // lognormal base latency of both versions
};

struct Outcome {
  bool error = false, slowed = false;
  double ms = 0;
};

class VersionStream {
 public:
  VersionStream(uint64_t seed, double error, double slow_fraction, double slow_ms, Latency l)
      : s_(seed), error_(error), slow_fraction_(slow_fraction), slow_ms_(slow_ms), lat_(l) {}
  Outcome Next() {
    Outcome o;
    o.error = s_.Uniform() < error_;
    o.slowed = s_.Uniform() < slow_fraction_;
    o.ms = lat_.median_ms * std::exp(lat_.sigma * s_.Normal()) + (o.slowed ? slow_ms_ : 0);
    return o;
  }

 private:
  Stream s_;
  double error_, slow_fraction_, slow_ms_;
  Latency lat_;
};

// ---- Policies ------------------------------------------------------------------------------

enum class End { kRunning, kRolledBack, kPromoted };

// The canary's second as Flagger's Prometheus sees it.
struct Served {
  uint64_t requests = 0, errors = 0;
  telemetry::DurationHistogram istio;  // istio_request_duration_milliseconds
};

class Policy {
 public:
  virtual ~Policy() = default;
  virtual std::string Name() const = 0;
  // The tick at the start of second `t` (every earlier second is in the record).
  virtual void Tick(int64_t t) = 0;
  virtual int CanaryWeight() const = 0;

  // One whole second of what each version served under this policy's weights.
  void Record(const SecondBucket& canary, const SecondBucket& stable, const Served& canary_istio) {
    canary_.push_back(canary);
    stable_.push_back(stable);
    canary_istio_.push_back(canary_istio);
  }

  End end = End::kRunning;
  int64_t end_second = 0;      // when it rolled back or decided to promote
  int64_t promote_second = 0;  // canaryd: when it entered Promoting (it may still roll back)
  std::string reason;
  uint64_t harm = 0;  // failed (or slowed) requests the canary served so far
  std::unique_ptr<VersionStream> canary_stream, stable_stream;

 protected:
  // Seconds since kStartSecond.
  const SecondBucket* CanaryAt(int64_t s) const { return At(canary_, s); }
  const SecondBucket* StableAt(int64_t s) const { return At(stable_, s); }
  const Served* CanaryIstioAt(int64_t s) const {
    int64_t i = s - kStartSecond;
    return i >= 0 && i < static_cast<int64_t>(canary_istio_.size()) ? &canary_istio_[i] : nullptr;
  }

 private:
  static const SecondBucket* At(const std::vector<SecondBucket>& v, int64_t s) {
    int64_t i = s - kStartSecond;
    return i >= 0 && i < static_cast<int64_t>(v.size()) ? &v[i] : nullptr;
  }
  std::vector<SecondBucket> canary_, stable_;
  std::vector<Served> canary_istio_;
};

// canaryd: Decide driven as RolloutController::TickOne does: fold the sequential tests
// (FoldSequential), Decide, compute the checks when asked (RunChecks: BuiltInChecks, the
// controller's own function) and Decide again, then apply the weight write. The status stays in
// memory between ticks; the controller stores it (and re-folds unstored seconds from the stored
// accumulators), which gives the same accumulators because every second is folded exactly once
// either way.
class Canaryd : public Policy {
 public:
  Canaryd(std::string name, CanaryPlan plan, std::string revision, int64_t settle)
      : name_(std::move(name)),
        plan_(std::move(plan)),
        revision_(std::move(revision)),
        settle_(settle) {}

  std::string Name() const override { return name_; }
  int CanaryWeight() const override { return weight_; }

  void Tick(int64_t t) override {
    int64_t now_ms = t * 1000;
    // The last whole second the controller reads (controller.cc: now_s - settle_seconds).
    int64_t through = t - 1 - settle_;
    if (status_.revision == revision_) FoldSequential(through);
    rollout::TickInput in;
    in.now_ms = now_ms;
    in.revision = revision_;
    in.generation = 1;
    in.route.ok = true;
    in.route.resource_version = std::to_string(rv_);
    in.route.canary_weight = weight_;
    in.route.stable_weight = 100 - weight_;
    in.route.applied_seq = applied_seq_;
    Decision d = rollout::Decide(plan_, status_, in);
    for (int i = 0; i < 8 && d.need != Decision::Need::kNothing; ++i) {
      if (d.need == Decision::Need::kChecks) {
        in.checks = RunChecks(through);
      } else {
        in.gates[d.gate] = rollout::GateOutcome{.ok = true};  // no webhooks in the plan
      }
      d = rollout::Decide(plan_, status_, in);
    }
    status_ = std::move(d.status);
    if (d.write_weight) {
      weight_ = *d.write_weight;
      applied_seq_ = status_.write_seq;
      ++rv_;
    }
    if (status_.phase == Phase::kPromoting && promote_second == 0) promote_second = t;
    if (status_.phase == Phase::kFailed) {
      end = End::kRolledBack;
      end_second = t;
      reason = status_.reason;
    } else if (status_.phase == Phase::kSucceeded) {
      end = End::kPromoted;
      end_second = promote_second;
      reason = "Succeeded";
    }
  }

 private:
  static constexpr int64_t kMaxWindowSeconds = telemetry::LiveStats::kMaxWindowSeconds;

  void FoldSequential(int64_t through) {
    int64_t from = status_.sequential_through_second + 1;
    if (through < from) return;
    bool analysing = status_.phase == Phase::kProgressing ||
                     status_.phase == Phase::kWaitingPromotion ||
                     status_.phase == Phase::kPromoting;
    if (analysing && !status_.sequential.empty() && !plan_.suspend) {
      from = std::max(from, through - kMaxWindowSeconds + 1);
      std::vector<rollout::SecondPair> seconds;
      for (int64_t s = from; s <= through; ++s) {
        const SecondBucket* c = CanaryAt(s);
        const SecondBucket* st = StableAt(s);
        if (!c || !st || c->requests + st->requests == 0) continue;
        seconds.push_back({s, *c, *st});
      }
      rollout::FoldSeconds(status_.sequential, seconds);
    }
    status_.sequential_through_second = through;
  }

  rollout::WindowStats Sum(bool canary, int64_t from, int64_t to) const {
    rollout::WindowStats w;
    for (int64_t s = from; s <= to; ++s) {
      const SecondBucket* b = canary ? CanaryAt(s) : StableAt(s);
      if (!b) continue;
      w.requests += b->requests;
      w.errors += b->requests - b->successes;
      w.latency.Merge(b->latency);
    }
    return w;
  }

  // The controller's own definition of the built-in checks (RolloutController::RunChecks).
  std::vector<CheckRecord> RunChecks(int64_t now_s) const {
    return rollout::BuiltInChecks(
        plan_, status_, now_s,
        [this](bool canary, int64_t from, int64_t to) { return Sum(canary, from, to); });
  }

  std::string name_;
  CanaryPlan plan_;
  std::string revision_;
  int64_t settle_;
  CanaryStatus status_;
  int weight_ = 0;
  int64_t applied_seq_ = 0;
  int64_t rv_ = 1;
};

// Flagger's canary strategy with its defaults, after fluxcd/flagger pkg/controller/scheduler.go
// (advanceCanary, runCanary, runAnalysis) and scheduler_metrics.go (runBuiltinMetricChecks):
//   - one tick per analysis interval (a time.Ticker of `interval`, default 1m);
//   - the first tick of a revision runs the pre-rollout hooks at weight 0 and steps the canary
//     to stepWeight in the same tick ("canaryWeight == 0 && Iterations == 0");
//   - each later tick first checks "FailedChecks >= threshold" and rolls back (weights 100/0):
//     so the threshold-th failed check rolls back at the next tick, one interval later;
//   - then runAnalysis: request-success-rate (100 x non-5xx / all, over the metric's interval,
//     default the analysis interval) fails below min 99, request-duration
//     (histogram_quantile(0.99) over Istio's istio_request_duration_milliseconds buckets) fails
//     above max 500 ms; no values (no canary requests: ErrNoValuesFound, "Halt advancement no
//     values found") fails too. Any failure is FailedChecks+1 and no step that tick; the count
//     is cumulative, reset only by a new revision;
//   - a passing tick below maxWeight (50) adds stepWeight (10); at maxWeight it promotes
//     (Promote copies the spec to the primary, phase Promoting; the next ticks shift the
//     traffic back to the primary, now running the new version, and finish).
// progressDeadlineSeconds is about the canary's pods becoming ready (IsCanaryReady), which they
// always are here.
class Flagger : public Policy {
 public:
  Flagger(int64_t first_tick, int64_t interval_s, int threshold, int step, int max_weight)
      : next_tick_(first_tick),
        interval_s_(interval_s),
        threshold_(threshold),
        step_(step),
        max_weight_(max_weight) {}

  std::string Name() const override { return "Flagger defaults"; }
  int CanaryWeight() const override { return weight_; }

  void Tick(int64_t t) override {
    if (t < next_tick_) return;
    next_tick_ += interval_s_;
    if (failed_ >= threshold_) {
      weight_ = 0;
      end = End::kRolledBack;
      end_second = t;
      reason = "FailedChecks";
      return;
    }
    if (!started_) {
      started_ = true;
      weight_ = step_;
      return;
    }
    if (!Analysis(t)) {
      ++failed_;
      return;
    }
    if (weight_ < max_weight_) {
      weight_ = std::min(100, weight_ + step_);
      return;
    }
    end = End::kPromoted;
    end_second = t;
    promote_second = t;
    reason = "Promoting";
  }

 private:
  // Prometheus's histogram_quantile: linear within the bucket holding the rank; the lowest
  // bucket starts at 0; a rank in the +Inf bucket answers the last finite bound.
  static double HistogramQuantile(double q, const telemetry::DurationHistogram& h) {
    const auto& bounds = telemetry::kDurationBucketsMs;
    double rank = q * static_cast<double>(h.count);
    uint64_t cum = 0;
    for (size_t i = 0; i < bounds.size(); ++i) {
      uint64_t before = cum;
      cum += h.counts[i];
      if (static_cast<double>(cum) >= rank && h.counts[i] > 0) {
        double lo = i == 0 ? 0 : bounds[i - 1];
        return lo + (bounds[i] - lo) * (rank - static_cast<double>(before)) /
                        static_cast<double>(h.counts[i]);
      }
    }
    return bounds.back();
  }

  bool Analysis(int64_t t) const {
    Served w;
    for (int64_t s = t - interval_s_; s < t; ++s) {
      const Served* b = CanaryIstioAt(s);
      if (!b) continue;
      w.requests += b->requests;
      w.errors += b->errors;
      w.istio.Merge(b->istio);
    }
    if (w.requests == 0) return false;  // no values found
    double success =
        100.0 * static_cast<double>(w.requests - w.errors) / static_cast<double>(w.requests);
    if (success < 99) return false;
    return HistogramQuantile(0.99, w.istio) <= 500;
  }

  int64_t next_tick_;
  int64_t interval_s_;
  int threshold_, step_, max_weight_;
  int weight_ = 0;
  int failed_ = 0;
  bool started_ = false;
};

// ---- Runs ----------------------------------------------------------------------------------

config::CanarySpec DefaultSpec() {
  config::CanarySpec spec;
  spec.virtual_service = "web";
  spec.stable.emplace().host = "web-v1-service";
  spec.canary.emplace().host = "web-v2-service";
  return spec;
}

struct PolicyRun {
  End end = End::kRunning;
  double harm = kInf;  // infinite when the bad version was promoted or nothing was decided
  double end_s = kInf;
  std::string reason;
};

struct Options {
  int bad_seeds = 200, healthy_seeds = 1000;
  int64_t horizon_s = 3600;
  int64_t settle = 0;
  Latency latency;
  int64_t low_traffic_min_requests = 100;
  uint64_t seed_base = 1;
};

std::vector<std::unique_ptr<Policy>> MakePolicies(const Options& o) {
  std::vector<std::unique_ptr<Policy>> out;
  config::CanarySpec spec = DefaultSpec();
  out.push_back(std::make_unique<Canaryd>("canaryd defaults", rollout::MakePlan(spec, "ns", "web"),
                                          rollout::RevisionOf(spec), o.settle));
  config::CanarySpec low = DefaultSpec();
  low.analysis.min_requests = o.low_traffic_min_requests;
  out.push_back(std::make_unique<Canaryd>(
      "canaryd, minRequests " + std::to_string(o.low_traffic_min_requests),
      rollout::MakePlan(low, "ns", "web"), rollout::RevisionOf(low), o.settle));
  // Flagger's first tick is the second in which canaryd's second tick steps to the first
  // weight, so both send the canary its first requests in the same second.
  out.push_back(std::make_unique<Flagger>(kStartSecond + 1, 60, 5, 10, 50));
  return out;
}

std::vector<PolicyRun> RunSeed(const Scenario& sc, uint64_t seed, const Options& o) {
  uint64_t sc_key = Fnv1a(sc.name) ^ o.seed_base;
  std::vector<std::unique_ptr<Policy>> policies = MakePolicies(o);
  for (auto& p : policies) {
    p->canary_stream = std::make_unique<VersionStream>(StreamSeed(sc_key, seed, 1), sc.canary_error,
                                                       sc.slow_fraction, sc.slow_ms, o.latency);
    p->stable_stream = std::make_unique<VersionStream>(StreamSeed(sc_key, seed, 2), sc.stable_error,
                                                       0, 0, o.latency);
  }
  Stream arrivals(StreamSeed(sc_key, seed, 0));
  double next_arrival = arrivals.Exponential(sc.rate);  // seconds since kStartSecond
  std::vector<double> route;
  const int64_t first_traffic = kStartSecond + 1;
  for (int64_t t = kStartSecond; t < kStartSecond + o.horizon_s; ++t) {
    bool running = false;
    for (auto& p : policies) {
      if (p->end != End::kRunning) continue;
      p->Tick(t);
      running |= p->end == End::kRunning;
    }
    if (!running) break;
    route.clear();
    double second_end = static_cast<double>(t - kStartSecond + 1);
    while (next_arrival < second_end) {
      route.push_back(arrivals.Uniform());
      next_arrival += arrivals.Exponential(sc.rate);
    }
    for (auto& p : policies) {
      if (p->end != End::kRunning) continue;
      SecondBucket c, s;
      c.second = s.second = t;
      Served ci;
      double w = p->CanaryWeight() / 100.0;
      for (double u : route) {
        bool to_canary = u < w;
        Outcome out = to_canary ? p->canary_stream->Next() : p->stable_stream->Next();
        SecondBucket& b = to_canary ? c : s;
        b.requests += 1;
        b.successes += out.error ? 0 : 1;
        b.latency.Record(out.ms);
        if (to_canary) {
          ci.requests += 1;
          ci.errors += out.error;
          ci.istio.Record(out.ms, telemetry::kDurationBucketsMs);
          p->harm += sc.harm_is_slow ? out.slowed : out.error;
        }
      }
      p->Record(c, s, ci);
    }
  }
  std::vector<PolicyRun> out;
  for (auto& p : policies) {
    PolicyRun r;
    r.end = p->end;
    r.reason = p->end == End::kRunning ? "undecided" : p->reason;
    if (p->end == End::kRolledBack) {
      r.harm = static_cast<double>(p->harm);
      r.end_s = static_cast<double>(p->end_second - first_traffic);
    } else if (p->end == End::kPromoted) {
      r.end_s = static_cast<double>(p->end_second - first_traffic);
    }
    out.push_back(r);
  }
  return out;
}

// ---- Statistics and output -----------------------------------------------------------------

// Nearest-rank quantile; infinite values sort last.
double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size())));
  return v[std::min(v.size() - 1, i == 0 ? 0 : i - 1)];
}

double LogBinomPmf(int k, int n, double p) {
  return std::lgamma(n + 1.0) - std::lgamma(k + 1.0) - std::lgamma(n - k + 1.0) + k * std::log(p) +
         (n - k) * std::log1p(-p);
}
double BinomCdf(int k, int n, double p) {
  double s = 0;
  for (int i = 0; i <= k; ++i) s += std::exp(LogBinomPmf(i, n, p));
  return s;
}
// Clopper-Pearson: the upper end of the two-sided 95% interval for k successes in n.
double UpperBound95(int k, int n) {
  if (k >= n) return 1;
  double lo = static_cast<double>(k) / n, hi = 1;
  for (int i = 0; i < 100; ++i) {
    double mid = (lo + hi) / 2;
    (BinomCdf(k, n, mid) > 0.025 ? lo : hi) = mid;
  }
  return hi;
}

std::string Fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}
std::string Count(double v) {
  return std::isinf(v) ? "not stopped" : std::isnan(v) ? "—" : Fmt("%.0f", v);
}
std::string Seconds(double v) {
  if (std::isnan(v)) return "—";
  if (std::isinf(v)) return "never";
  return Fmt("%.0f s", v);
}
std::string Percent(int k, int n) {
  return n == 0 ? "—" : Fmt("%.1f%%", 100.0 * k / n);
}

struct Summary {
  std::string policy;
  int runs = 0, rolled_back = 0, promoted = 0, undecided = 0;
  double harm_median = kInf, harm_p90 = kInf;
  double rollback_median = std::nan(""), rollback_p90 = std::nan("");
  double promote_median = std::nan(""), promote_p90 = std::nan("");
  double false_rate = 0, false_upper = 0;
  std::map<std::string, int> reasons;
};

Summary Summarize(const std::string& policy, const std::vector<PolicyRun>& runs) {
  Summary s;
  s.policy = policy;
  s.runs = static_cast<int>(runs.size());
  std::vector<double> harm, rollback, promote;
  for (const PolicyRun& r : runs) {
    harm.push_back(r.harm);
    if (r.end == End::kRolledBack) {
      ++s.rolled_back;
      rollback.push_back(r.end_s);
      ++s.reasons[r.reason];
    } else if (r.end == End::kPromoted) {
      ++s.promoted;
      promote.push_back(r.end_s);
    } else {
      ++s.undecided;
    }
  }
  s.harm_median = Quantile(harm, 0.5);
  s.harm_p90 = Quantile(harm, 0.9);
  s.rollback_median = Quantile(rollback, 0.5);
  s.rollback_p90 = Quantile(rollback, 0.9);
  s.promote_median = Quantile(promote, 0.5);
  s.promote_p90 = Quantile(promote, 0.9);
  s.false_rate = s.runs ? static_cast<double>(s.rolled_back) / s.runs : 0;
  s.false_upper = UpperBound95(s.rolled_back, s.runs);
  return s;
}

std::string Reasons(const Summary& s) {
  std::string out;
  for (const auto& [reason, n] : s.reasons) {
    out += (out.empty() ? "" : ", ") + reason + " " + std::to_string(n);
  }
  return out.empty() ? "—" : out;
}

void PrintTable(const Scenario& sc, const std::vector<Summary>& rows) {
  std::printf("\n#### %s\n\n", sc.title.c_str());
  if (sc.healthy) {
    std::printf(
        "| policy | runs | rolled back (false) | 95%% upper bound | promoted | undecided | "
        "time to promote, median / p90 | time to rollback, median | rollbacks by reason |\n"
        "|---|---|---|---|---|---|---|---|---|\n");
    for (const Summary& s : rows) {
      std::printf("| %s | %d | %d (%s) | %s | %s | %d | %s / %s | %s | %s |\n", s.policy.c_str(),
                  s.runs, s.rolled_back, Percent(s.rolled_back, s.runs).c_str(),
                  Fmt("%.2f%%", 100 * s.false_upper).c_str(), Percent(s.promoted, s.runs).c_str(),
                  s.undecided, Seconds(s.promote_median).c_str(), Seconds(s.promote_p90).c_str(),
                  Seconds(s.rollback_median).c_str(), Reasons(s).c_str());
    }
    return;
  }
  const char* harm = sc.harm_is_slow ? "slowed" : "failed";
  std::printf(
      "| policy | runs | rolled back | promoted | %s canary requests before rollback, median / "
      "p90 | time to rollback, median / p90 | rollbacks by reason |\n"
      "|---|---|---|---|---|---|---|\n",
      harm);
  for (const Summary& s : rows) {
    std::printf("| %s | %d | %s | %s | %s / %s | %s / %s | %s |\n", s.policy.c_str(), s.runs,
                Percent(s.rolled_back, s.runs).c_str(), Percent(s.promoted, s.runs).c_str(),
                Count(s.harm_median).c_str(), Count(s.harm_p90).c_str(),
                Seconds(s.rollback_median).c_str(), Seconds(s.rollback_p90).c_str(),
                Reasons(s).c_str());
  }
}

std::string Ratio(double ours, double theirs) {
  if (std::isinf(ours)) return "ours not stopped";
  if (std::isinf(theirs)) return "0 (Flagger not stopped)";
  if (theirs == 0) return ours == 0 ? "0/0" : "inf";
  return Fmt("%.3f", ours / theirs) + " (1/" + Fmt("%.0f", theirs / std::max(ours, 1e-9)) + ")";
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  std::string only;
  CLI::App app{
      "Blast radius, time to rollback, time to promote and false rollbacks of canaryd's "
      "canary analysis against Flagger's defaults, on the same synthetic traffic"};
  app.add_option("--bad-seeds", o.bad_seeds, "seeds per bad-version scenario")
      ->check(CLI::PositiveNumber);
  app.add_option("--healthy-seeds", o.healthy_seeds, "seeds per healthy scenario")
      ->check(CLI::PositiveNumber);
  app.add_option("--horizon", o.horizon_s, "simulated seconds at most per run");
  app.add_option("--settle", o.settle, "extra seconds before the controller reads a second");
  app.add_option("--latency-median-ms", o.latency.median_ms, "base latency's median");
  app.add_option("--latency-sigma", o.latency.sigma, "base latency's log-normal sigma");
  app.add_option("--low-min-requests", o.low_traffic_min_requests,
                 "minRequests of the second canaryd configuration");
  app.add_option("--seed-base", o.seed_base, "mixed into every stream's seed");
  app.add_option("--only", only, "run only the scenarios whose names contain this");
  CLI11_PARSE(app, argc, argv);

  std::vector<Scenario> scenarios = {
      {"bad-10", "200 req/s, canary 10% errors, stable 0.1%", 200, 0.10, 0.001},
      {"bad-1", "200 req/s, canary 1% errors, stable 0.1%", 200, 0.01, 0.001},
      {"bad-0.2", "200 req/s, canary 0.2% errors, stable 0.1%", 200, 0.002, 0.001},
      {"slow", "200 req/s, +400 ms on 2% of canary requests (0.1% errors both)", 200, 0.001, 0.001,
       0.02, 400, false, true},
      {"healthy-200", "healthy canary at 200 req/s (0.1% errors both)", 200, 0.001, 0.001, 0, 0,
       true},
      {"healthy-2", "healthy canary at 2 req/s (0.1% errors both)", 2, 0.001, 0.001, 0, 0, true},
  };

  auto t0 = std::chrono::steady_clock::now();
  std::printf(
      "release_safety: base latency log-normal median %.0f ms sigma %.2f; controller tick 1 s, "
      "settle %lld s beyond a second's end; horizon %lld s; times from the canary's first "
      "request\n",
      o.latency.median_ms, o.latency.sigma, static_cast<long long>(o.settle),
      static_cast<long long>(o.horizon_s));
  std::map<std::string, std::vector<Summary>> all;
  std::map<std::string, std::vector<std::vector<PolicyRun>>> all_runs;
  for (const Scenario& sc : scenarios) {
    if (!only.empty() && sc.name.find(only) == std::string::npos) continue;
    int seeds = sc.healthy ? o.healthy_seeds : o.bad_seeds;
    std::vector<std::vector<PolicyRun>> per_policy;
    std::vector<std::string> names;
    for (auto& p : MakePolicies(o)) names.push_back(p->Name());
    per_policy.resize(names.size());
    for (int seed = 0; seed < seeds; ++seed) {
      std::vector<PolicyRun> runs = RunSeed(sc, static_cast<uint64_t>(seed), o);
      for (size_t i = 0; i < runs.size(); ++i) per_policy[i].push_back(runs[i]);
    }
    std::vector<Summary> rows;
    for (size_t i = 0; i < names.size(); ++i) rows.push_back(Summarize(names[i], per_policy[i]));
    PrintTable(sc, rows);
    all[sc.name] = rows;
    all_runs[sc.name] = std::move(per_policy);
    std::fflush(stdout);
  }

  // The aims, canaryd's defaults (row 0) against Flagger's (row 2).
  std::printf("\n#### Aims (canaryd defaults against Flagger defaults)\n\n");
  std::printf("| aim | figure | met |\n|---|---|---|\n");
  for (const char* name : {"bad-10", "bad-1"}) {
    auto it = all.find(name);
    if (it == all.end()) continue;
    const Summary& ours = it->second[0];
    const Summary& theirs = it->second[2];
    bool met = !std::isinf(ours.harm_median) &&
               (std::isinf(theirs.harm_median) || ours.harm_median * 10 <= theirs.harm_median);
    // The same seed is the same traffic for both: how often the aim holds run by run.
    const auto& runs = all_runs[name];
    int paired = 0;
    for (size_t i = 0; i < runs[0].size(); ++i) {
      double a = runs[0][i].harm, b = runs[2][i].harm;
      paired += !std::isinf(a) && (std::isinf(b) || a * 10 <= b);
    }
    std::printf(
        "| blast radius <= 1/10 of Flagger's, %s | median %s vs %s: ratio %s; p90 %s vs %s; "
        "run by run (same traffic) in %d of %zu | %s |\n",
        name, Count(ours.harm_median).c_str(), Count(theirs.harm_median).c_str(),
        Ratio(ours.harm_median, theirs.harm_median).c_str(), Count(ours.harm_p90).c_str(),
        Count(theirs.harm_p90).c_str(), paired, runs[0].size(), met ? "yes" : "no");
  }
  if (auto it = all.find("healthy-2"); it != all.end()) {
    const Summary& ours = it->second[0];
    std::printf("| no false rollback at 2 req/s | %d of %d (%s) | %s |\n", ours.rolled_back,
                ours.runs, Reasons(ours).c_str(), ours.rolled_back == 0 ? "yes" : "no");
  }
  for (const char* name : {"healthy-200", "healthy-2"}) {
    auto it = all.find(name);
    if (it == all.end()) continue;
    const Summary& ours = it->second[0];
    std::printf(
        "| false-rollback rate <= alpha 1%%, %s | %s, 95%% upper bound %s | %s |\n", name,
        Fmt("%.2f%%", 100 * ours.false_rate).c_str(), Fmt("%.2f%%", 100 * ours.false_upper).c_str(),
        ours.false_rate <= 0.01 ? (ours.false_upper <= 0.01 ? "yes" : "yes (bound above)") : "no");
  }
  for (const char* name : {"healthy-200", "healthy-2"}) {
    auto it = all.find(name);
    if (it == all.end()) continue;
    const Summary& ours = it->second[0];
    const Summary& theirs = it->second[2];
    bool met = !std::isnan(ours.promote_median) && !std::isnan(theirs.promote_median) &&
               ours.promote_median <= theirs.promote_median;
    std::printf(
        "| healthy promoted no later than Flagger, %s | median %s vs %s (promoted %s vs "
        "%s) | %s |\n",
        name, Seconds(ours.promote_median).c_str(), Seconds(theirs.promote_median).c_str(),
        Percent(ours.promoted, ours.runs).c_str(), Percent(theirs.promoted, theirs.runs).c_str(),
        met ? "yes" : "no");
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("\n(%d seeds per bad-version scenario, %d per healthy one; %.1f s)\n", o.bad_seeds,
              o.healthy_seeds, secs);
  return 0;
}

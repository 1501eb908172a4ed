// Live per-destination statistics over sliding windows (1 s to 10 min): requests, success rate
// (non-5xx), p50/p90/p99 latency, for the canary controller and the dashboard, with no
// Prometheus needed. Each worker accumulates the current second for each destination
// (service + version) on its own thread (WorkerWindow); once a second it hands the finished
// second to the LiveStats store, which is thread-safe (a mutex taken once per second per worker
// and by queries, never per request).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "proxy/request_info.h"
#include "telemetry/histogram.h"
#include "telemetry/slot_cache.h"

namespace canaryd::telemetry {

struct SecondBucket {
  int64_t second = 0;  // wall-clock second
  uint64_t requests = 0;
  uint64_t successes = 0;  // a response below 500
  LatencyHistogram latency;
  void Merge(const SecondBucket& o) {
    requests += o.requests;
    successes += o.successes;
    latency.Merge(o.latency);
  }
};

struct DestinationStats {
  std::string service;  // FQDN
  std::string service_name;
  std::string service_namespace;
  std::string version;
  uint64_t requests = 0;
  uint64_t successes = 0;
  double success_rate = 1;  // successes / requests; 1 when there were none
  double requests_per_second = 0;
  double p50_ms = 0, p90_ms = 0, p99_ms = 0;
};

class LiveStats {
 public:
  static constexpr int64_t kMaxWindowSeconds = 600;

  // Adds a worker's finished second for a destination.
  // `subset` is the route destination's subset ("" for none), `version` the endpoint's label.
  void Add(const std::string& service, const std::string& service_name,
           const std::string& service_namespace, const std::string& subset,
           const std::string& version, const SecondBucket& bucket);
  // Every destination seen in the window: the `window_seconds` whole seconds before `now_second`.
  std::vector<DestinationStats> Query(int64_t window_seconds, int64_t now_second) const;
  // One route destination (service FQDN and subset, "" for none; every version summed), one
  // bucket per second in [from_second, to_second] that saw requests, ascending. For the rollout
  // controller's checks and sequential tests.
  std::vector<SecondBucket> SecondsOf(const std::string& service, const std::string& subset,
                                      int64_t from_second, int64_t to_second) const;

 private:
  struct Series {
    std::string service, service_name, service_namespace, subset, version;
    std::deque<SecondBucket> seconds;  // ascending
  };
  mutable std::mutex mu_;
  std::map<std::string, Series> series_;  // by "service|subset|version"
};

// One worker's current second. Loop thread of its worker only.
class WorkerWindow {
 public:
  void Record(const proxy::RequestInfo& info, int64_t now_second);
  // Hands every bucket of seconds before `now_second` to the store.
  void Flush(int64_t now_second, LiveStats& store);

 private:
  struct Destination {
    std::string service, service_name, service_namespace, subset, version;
    SecondBucket current;
    std::vector<SecondBucket> finished;
  };
  Destination* Find(const proxy::RequestInfo& info);

  std::map<std::string, std::unique_ptr<Destination>> by_key_;  // "service|subset|version"
  // Endpoint (or cluster) of the current route table -> destination, so the per-request cost
  // is one hash lookup, mostly a slot's. Cleared when the table changes.
  SlotCache<const void*, Destination> slots_;  // in front of fast_
  std::unordered_map<const void*, Destination*> fast_;
  uint64_t generation_ = UINT64_MAX;
};

}  // namespace canaryd::telemetry

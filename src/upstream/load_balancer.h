// Per-worker picking state: which weighted destination of a route gets the next request
// (smooth weighted round-robin), and which endpoint of a cluster serves it (LEAST_REQUEST,
// ROUND_ROBIN or RANDOM, per DestinationRule, each in proportion to the endpoints' weights when
// those differ). The state lives in the worker, indexed by the
// ids of the current RouteTable, and is rebuilt when a new table arrives, so no lock or shared
// atomic is touched per request. Randomness comes from an injected seed. Loop thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "router/route_table.h"

namespace canaryd::upstream {

// nginx's smooth weighted round-robin: over any window of `total weight` consecutive picks each
// item gets exactly its weight, and the picks are spread out (90/10 gives one v2 per ten).
class SmoothWeightedRoundRobin {
 public:
  // Returns the index of the picked item. `items` must not change between calls, except by
  // Reset().
  size_t Pick(const std::vector<router::WeightedCluster>& items, uint64_t total);
  void Reset() { current_.clear(); }

 private:
  std::vector<int64_t> current_;
};

// A small, fast PRNG (xorshift64*); deterministic for a given seed.
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed == 0 ? 0x9E3779B97F4A7C15ULL : seed) {}
  uint64_t Next() {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return state_ * 2685821657736338717ULL;
  }
  // Uniform in [0, n).
  uint64_t Below(uint64_t n) { return n == 0 ? 0 : Next() % n; }

 private:
  uint64_t state_;
};

class LoadBalancer {
 public:
  explicit LoadBalancer(uint64_t seed) : random_(seed) {}

  // Re-sizes the state for a new table (its routes and clusters). Counts of requests still in
  // flight on the old table's clusters are dropped: those requests finish on their own.
  void Reset(const router::RouteTable& table);

  // The cluster for the next request on `route` (a kForward route with clusters).
  const router::WeightedCluster& PickCluster(const router::Route& route);
  // An endpoint index of the cluster, skipping `avoid` (an endpoint that just failed) when
  // there is another. With a `hash` (the request's consistent-hash key) on a cluster with a
  // hash ring, the ring's endpoint for it. -1 when the cluster has no endpoints.
  int PickEndpoint(const router::Cluster& cluster, int avoid = -1, const uint64_t* hash = nullptr);

  // LEAST_REQUEST bookkeeping: a request started / finished on an endpoint.
  void Started(uint32_t cluster, int endpoint);
  void Finished(uint32_t cluster, int endpoint);
  uint32_t active(uint32_t cluster, int endpoint) const;
  // Requests in flight on the cluster (Started and not Finished).
  uint32_t in_flight(uint32_t cluster) const {
    return cluster < clusters_.size() ? clusters_[cluster].in_flight : 0;
  }

  // Envoy's retry budget, per worker and cluster: a retry may start while the retries in flight
  // on the cluster are fewer than 20% of its requests in flight, or than 3, whichever is more, so
  // retries cannot multiply the load on a failing destination. TryStartRetry counts the retry in
  // when it returns true; RetryFinished counts it out when that attempt ends.
  static constexpr uint32_t kRetryBudgetPercent = 20;
  static constexpr uint32_t kMinRetryConcurrency = 3;
  // `max_retries`: the cluster's connectionPool.http.maxRetries, a bound of its own.
  bool TryStartRetry(uint32_t cluster, uint32_t max_retries = UINT32_MAX);
  void RetryFinished(uint32_t cluster);

  // Outlier detection (the cluster's OutlierPolicy), per worker: what an attempt on an endpoint
  // came to. `status` is the response's; a local-origin failure is a connect failure, a reset
  // or a timeout before the response head. `now` is the loop's clock.
  void ReportStatus(const router::Cluster& cluster, int endpoint, uint32_t status, int64_t now);
  void ReportLocalFailure(const router::Cluster& cluster, int endpoint, int64_t now);
  // Returns ejected endpoints whose time is up to the picks; call before PickEndpoint.
  void ReturnEjected(const router::Cluster& cluster, int64_t now);
  struct Ejection {
    uint32_t cluster = 0;
    int endpoint = 0;
    int64_t until_nanos = 0;
    uint32_t times = 0;  // the ejection's multiplier of baseEjectionTime
  };
  // The endpoints ejected at `now`, for /stats/config and the metrics.
  std::vector<Ejection> Ejections(int64_t now) const;
  struct OutlierCounters {
    uint64_t ejections_enforced = 0;  // Envoy's outlier_detection.ejections_enforced_total
    uint64_t ejections_overflow = 0;  // not ejected: maxEjectionPercent were out already
  };
  const OutlierCounters& outlier_counters() const { return outlier_counters_; }

  Random& random() { return random_; }
  // Changes with every Reset(): a request remembers it so that it does not touch the counts of
  // a newer table when it finishes.
  uint64_t generation() const { return generation_; }

 private:
  struct ClusterState {
    uint32_t next = 0;             // round-robin cursor
    std::vector<uint32_t> active;  // requests in flight per endpoint
    uint32_t in_flight = 0;        // their sum
    uint32_t retries = 0;          // retry attempts in flight
    // Endpoint weights (WorkloadEntry / ServiceEntry endpoint `weight`), when they differ.
    bool weighted = false;
    std::vector<uint32_t> weights;
    uint64_t total_weight = 0;
    std::vector<int64_t> current;  // smooth weighted round-robin state
    // Outlier detection, sized when the cluster has a policy.
    std::vector<uint32_t> consecutive_5xx, consecutive_gateway, consecutive_local;
    std::vector<uint32_t> ejections;     // the multiplier of the next ejection, before decay
    std::vector<int64_t> ejected_until;  // 0: not ejected
    std::vector<int64_t> returned_at;    // when it last came back
    std::vector<bool> ejected;
    uint32_t ejected_count = 0;
    std::string name;                    // the cluster's, to carry ejections over a new table
    std::vector<std::string> addresses;  // the endpoints'
  };
  void Eject(const router::Cluster& cluster, ClusterState& st, int endpoint, int64_t now);
  void CountError(const router::Cluster& cluster, ClusterState& st, int endpoint, bool is_5xx,
                  bool is_gateway, int64_t now);
  // A pick among the endpoints not ejected (and not `avoid`), in proportion to weight; -1 when
  // there is none.
  int PickUsable(const router::Cluster& cluster, ClusterState& st, int avoid);
  // The picks when the endpoints' weights differ.
  int PickWeighted(const router::Cluster& cluster, ClusterState& st, int avoid);
  // An endpoint drawn in proportion to its weight, never `skip` or `skip2` (-1: none); -1 when
  // no other is left.
  int DrawWeighted(const ClusterState& st, int skip, int skip2 = -1);
  Random random_;
  uint64_t generation_ = 0;
  std::vector<SmoothWeightedRoundRobin> routes_;
  std::vector<ClusterState> clusters_;
  OutlierCounters outlier_counters_;
};

}  // namespace canaryd::upstream

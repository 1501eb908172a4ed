#include "upstream/load_balancer.h"

#include <algorithm>

namespace canaryd::upstream {

size_t SmoothWeightedRoundRobin::Pick(const std::vector<router::WeightedCluster>& items,
                                      uint64_t total) {
  if (items.size() <= 1) return 0;
  if (current_.size() != items.size()) current_.assign(items.size(), 0);
  size_t best = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    current_[i] += items[i].weight;
    if (current_[i] > current_[best]) best = i;
  }
  current_[best] -= static_cast<int64_t>(total);
  return best;
}

void LoadBalancer::Reset(const router::RouteTable& table) {
  ++generation_;
  routes_.assign(table.route_count(), SmoothWeightedRoundRobin());
  clusters_.assign(table.clusters().size(), ClusterState());
  for (size_t i = 0; i < clusters_.size(); ++i) {
    const std::vector<router::Endpoint>& endpoints = table.clusters()[i].endpoints;
    ClusterState& st = clusters_[i];
    st.active.assign(endpoints.size(), 0);
    for (const router::Endpoint& e : endpoints) {
      uint32_t w = std::max<uint32_t>(1, e.weight);
      st.weights.push_back(w);
      st.total_weight += w;
      st.weighted |= w != st.weights.front();
    }
    if (st.weighted) st.current.assign(endpoints.size(), 0);
  }
}

const router::WeightedCluster& LoadBalancer::PickCluster(const router::Route& route) {
  size_t i = routes_[route.id].Pick(route.clusters, route.total_weight);
  return route.clusters[i];
}

int LoadBalancer::PickEndpoint(const router::Cluster& cluster, int avoid, const uint64_t* hash) {
  const size_t n = cluster.endpoints.size();
  if (n == 0) return -1;
  if (n == 1) return 0;
  if (hash != nullptr && cluster.endpoint_hash) {
    int pick = cluster.endpoint_hash->Pick(*hash, avoid);
    if (pick >= 0 && static_cast<size_t>(pick) < n) return pick;
  }
  ClusterState& st = clusters_[cluster.id];
  if (st.weighted && st.weights.size() == n) return PickWeighted(cluster, st, avoid);
  int pick = 0;
  switch (cluster.lb) {
    case router::LbPolicy::kRoundRobin:
      pick = static_cast<int>(st.next++ % n);
      if (pick == avoid) pick = static_cast<int>(st.next++ % n);
      break;
    case router::LbPolicy::kRandom:
      pick = static_cast<int>(random_.Below(n));
      if (pick == avoid) pick = static_cast<int>((pick + 1) % n);
      break;
    case router::LbPolicy::kLeastRequest: {
      // Envoy's choice of two: two random endpoints, the one with fewer requests in flight.
      int a = static_cast<int>(random_.Below(n));
      int b = static_cast<int>(random_.Below(n - 1));
      if (b >= a) ++b;
      if (a == avoid) {
        pick = b;
      } else if (b == avoid) {
        pick = a;
      } else {
        pick = st.active[b] < st.active[a] ? b : a;
      }
      break;
    }
  }
  return pick;
}

void LoadBalancer::Started(uint32_t cluster, int endpoint) {
  if (cluster < clusters_.size() && endpoint >= 0 &&
      static_cast<size_t>(endpoint) < clusters_[cluster].active.size()) {
    ++clusters_[cluster].active[endpoint];
  }
}

void LoadBalancer::Finished(uint32_t cluster, int endpoint) {
  if (cluster < clusters_.size() && endpoint >= 0 &&
      static_cast<size_t>(endpoint) < clusters_[cluster].active.size() &&
      clusters_[cluster].active[endpoint] > 0) {
    --clusters_[cluster].active[endpoint];
  }
}

int LoadBalancer::DrawWeighted(const ClusterState& st, int skip, int skip2) {
  if (skip2 == skip) skip2 = -1;
  uint64_t total =
      st.total_weight - (skip >= 0 ? st.weights[skip] : 0) - (skip2 >= 0 ? st.weights[skip2] : 0);
  uint64_t r = random_.Below(total);
  int last = -1;
  for (size_t i = 0; i < st.weights.size(); ++i) {
    int k = static_cast<int>(i);
    if (k == skip || k == skip2) continue;
    last = k;
    if (r < st.weights[i]) return k;
    r -= st.weights[i];
  }
  return last;  // -1 when every endpoint was skipped
}

int LoadBalancer::PickWeighted(const router::Cluster& cluster, ClusterState& st, int avoid) {
  const size_t n = st.weights.size();
  switch (cluster.lb) {
    case router::LbPolicy::kRoundRobin: {
      // nginx's smooth weighted round-robin over the endpoints. When its step lands on the
      // endpoint to avoid, the next best takes that pick instead (and its debt).
      int best = 0;
      for (size_t i = 0; i < n; ++i) {
        st.current[i] += st.weights[i];
        if (st.current[i] > st.current[best]) best = static_cast<int>(i);
      }
      if (best == avoid) {
        int other = avoid == 0 ? 1 : 0;
        for (size_t i = 0; i < n; ++i) {
          if (static_cast<int>(i) != avoid && st.current[i] > st.current[other]) {
            other = static_cast<int>(i);
          }
        }
        best = other;
      }
      st.current[best] -= static_cast<int64_t>(st.total_weight);
      return best;
    }
    case router::LbPolicy::kRandom:
      return DrawWeighted(st, avoid);
    case router::LbPolicy::kLeastRequest: {
      // Two candidates drawn in proportion to weight, the one with fewer requests in flight per
      // unit of weight: Envoy weighs least-request picks by weight too (it uses a schedule of
      // weight / (active + 1) instead of two draws).
      int a = DrawWeighted(st, avoid);
      int b = DrawWeighted(st, a, avoid);
      if (b < 0) return a;  // two endpoints, one to avoid
      uint64_t load_a = uint64_t{st.active[a] + 1} * st.weights[b];
      uint64_t load_b = uint64_t{st.active[b] + 1} * st.weights[a];
      return load_b < load_a ? b : a;
    }
  }
  return 0;
}

bool LoadBalancer::TryStartRetry(uint32_t cluster) {
  if (cluster >= clusters_.size()) return false;
  ClusterState& c = clusters_[cluster];
  uint64_t in_flight = 0;
  for (uint32_t a : c.active) in_flight += a;
  uint64_t budget = std::max<uint64_t>(kMinRetryConcurrency, in_flight * kRetryBudgetPercent / 100);
  if (c.retries >= budget) return false;
  ++c.retries;
  return true;
}

void LoadBalancer::RetryFinished(uint32_t cluster) {
  if (cluster < clusters_.size() && clusters_[cluster].retries > 0) --clusters_[cluster].retries;
}

uint32_t LoadBalancer::active(uint32_t cluster, int endpoint) const {
  return clusters_[cluster].active[endpoint];
}

}  // namespace canaryd::upstream

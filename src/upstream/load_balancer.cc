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
    clusters_[i].active.assign(table.clusters()[i].endpoints.size(), 0);
  }
}

const router::WeightedCluster& LoadBalancer::PickCluster(const router::Route& route) {
  size_t i = routes_[route.id].Pick(route.clusters, route.total_weight);
  return route.clusters[i];
}

int LoadBalancer::PickEndpoint(const router::Cluster& cluster, int avoid) {
  const size_t n = cluster.endpoints.size();
  if (n == 0) return -1;
  if (n == 1) return 0;
  ClusterState& st = clusters_[cluster.id];
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

#include "upstream/load_balancer.h"

#include <algorithm>
#include <map>
#include <string>

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
  // Ejections outlive a table change (a weight step of a rollout must not return a failing
  // endpoint): kept by cluster name and endpoint address.
  struct Kept {
    uint32_t ejections;
    int64_t until, returned_at;
  };
  std::map<std::pair<std::string, std::string>, Kept> kept;
  for (const ClusterState& st : clusters_) {
    for (size_t i = 0; i < st.addresses.size() && i < st.ejected.size(); ++i) {
      if (st.ejections[i] == 0) continue;
      kept[{st.name, st.addresses[i]}] =
          Kept{st.ejections[i], st.ejected[i] ? st.ejected_until[i] : 0, st.returned_at[i]};
    }
  }
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
    if (table.clusters()[i].outlier.enabled) {
      const size_t n = endpoints.size();
      st.consecutive_5xx.assign(n, 0);
      st.consecutive_gateway.assign(n, 0);
      st.consecutive_local.assign(n, 0);
      st.ejections.assign(n, 0);
      st.ejected_until.assign(n, 0);
      st.returned_at.assign(n, 0);
      st.ejected.assign(n, false);
      st.name = table.clusters()[i].name;
      for (size_t e = 0; e < n; ++e) {
        st.addresses.push_back(endpoints[e].address_text);
        auto it = kept.find({st.name, endpoints[e].address_text});
        if (it == kept.end()) continue;
        st.ejections[e] = it->second.ejections;
        st.returned_at[e] = it->second.returned_at;
        if (it->second.until > 0) {
          st.ejected[e] = true;
          st.ejected_until[e] = it->second.until;
          ++st.ejected_count;
        }
      }
    }
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
  if (cluster.id >= clusters_.size() || clusters_[cluster.id].active.size() != n) {
    // A cluster of an older table (a retry after a table change): no state of its own here.
    return static_cast<int>(random_.Below(n));
  }
  ClusterState& st = clusters_[cluster.id];
  // Below minHealthPercent of the endpoints in, ejections are ignored (Envoy's panic mode).
  bool ejections = st.ejected_count > 0 &&
                   (n - st.ejected_count) * 100 >= n * cluster.outlier.min_health_percent;
  if (hash != nullptr && cluster.endpoint_hash) {
    int pick = cluster.endpoint_hash->Pick(*hash, avoid, ejections ? &st.ejected : nullptr);
    if (pick >= 0 && static_cast<size_t>(pick) < n) return pick;
  }
  if (ejections) {
    int pick = PickUsable(cluster, st, avoid);
    if (pick >= 0) return pick;
  }
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
    ++clusters_[cluster].in_flight;
  }
}

void LoadBalancer::Finished(uint32_t cluster, int endpoint) {
  if (cluster < clusters_.size() && endpoint >= 0 &&
      static_cast<size_t>(endpoint) < clusters_[cluster].active.size() &&
      clusters_[cluster].active[endpoint] > 0) {
    --clusters_[cluster].active[endpoint];
    --clusters_[cluster].in_flight;
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

bool LoadBalancer::TryStartRetry(uint32_t cluster, uint32_t max_retries) {
  if (cluster >= clusters_.size()) return false;
  ClusterState& c = clusters_[cluster];
  if (c.retries >= max_retries) return false;
  uint64_t in_flight = c.in_flight;
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

int LoadBalancer::PickUsable(const router::Cluster& cluster, ClusterState& st, int avoid) {
  const size_t n = st.ejected.size();
  auto usable = [&](size_t i) { return !st.ejected[i] && static_cast<int>(i) != avoid; };
  if (cluster.lb == router::LbPolicy::kRoundRobin) {
    for (size_t k = 0; k < n; ++k) {
      size_t i = st.next++ % n;
      if (usable(i)) return static_cast<int>(i);
    }
    return -1;
  }
  uint64_t total = 0;
  for (size_t i = 0; i < n; ++i) total += usable(i) ? st.weights[i] : 0;
  if (total == 0) return -1;
  auto draw = [&]() {
    uint64_t r = random_.Below(total);
    for (size_t i = 0; i < n; ++i) {
      if (!usable(i)) continue;
      if (r < st.weights[i]) return static_cast<int>(i);
      r -= st.weights[i];
    }
    return -1;
  };
  int a = draw();
  if (cluster.lb == router::LbPolicy::kLeastRequest) {
    int b = draw();
    if (a >= 0 && b >= 0 && st.active[b] < st.active[a]) a = b;
  }
  return a;
}

void LoadBalancer::ReportStatus(const router::Cluster& cluster, int endpoint, uint32_t status,
                                int64_t now) {
  if (!cluster.outlier.enabled || cluster.id >= clusters_.size()) return;
  ClusterState& st = clusters_[cluster.id];
  if (endpoint < 0 || static_cast<size_t>(endpoint) >= st.ejected.size()) return;
  if (status >= 500 && status < 600) {
    return CountError(cluster, st, endpoint, true, status >= 502 && status <= 504, now);
  }
  // Any other answer breaks both runs, as in Envoy (and a local-origin run, when split).
  st.consecutive_5xx[endpoint] = 0;
  st.consecutive_gateway[endpoint] = 0;
  st.consecutive_local[endpoint] = 0;
}

void LoadBalancer::ReportLocalFailure(const router::Cluster& cluster, int endpoint, int64_t now) {
  if (!cluster.outlier.enabled || cluster.id >= clusters_.size()) return;
  ClusterState& st = clusters_[cluster.id];
  if (endpoint < 0 || static_cast<size_t>(endpoint) >= st.ejected.size()) return;
  if (!cluster.outlier.split_local_origin) {
    // Not split: Envoy counts it as a 503 from the endpoint.
    return CountError(cluster, st, endpoint, true, true, now);
  }
  if (++st.consecutive_local[endpoint] >= cluster.outlier.consecutive_local &&
      cluster.outlier.consecutive_local > 0) {
    Eject(cluster, st, endpoint, now);
  }
}

void LoadBalancer::CountError(const router::Cluster& cluster, ClusterState& st, int endpoint,
                              bool is_5xx, bool is_gateway, int64_t now) {
  const router::OutlierPolicy& p = cluster.outlier;
  bool eject = false;
  if (is_5xx && p.consecutive_5xx > 0 && ++st.consecutive_5xx[endpoint] >= p.consecutive_5xx) {
    eject = true;
  }
  if (is_gateway && p.consecutive_gateway > 0 &&
      ++st.consecutive_gateway[endpoint] >= p.consecutive_gateway) {
    eject = true;
  }
  if (!is_gateway) st.consecutive_gateway[endpoint] = 0;
  if (eject) Eject(cluster, st, endpoint, now);
}

void LoadBalancer::Eject(const router::Cluster& cluster, ClusterState& st, int endpoint,
                         int64_t now) {
  const router::OutlierPolicy& p = cluster.outlier;
  st.consecutive_5xx[endpoint] = 0;
  st.consecutive_gateway[endpoint] = 0;
  st.consecutive_local[endpoint] = 0;
  if (st.ejected[endpoint]) return;
  const size_t n = st.ejected.size();
  // Envoy ejects at least one endpoint whatever maxEjectionPercent says.
  if (st.ejected_count > 0 && (st.ejected_count + 1) * 100 > n * p.max_ejection_percent) {
    ++outlier_counters_.ejections_overflow;
    return;
  }
  uint32_t times = st.ejections[endpoint];
  if (st.returned_at[endpoint] > 0 && p.interval_nanos > 0) {
    // One less for every interval it stayed in since it last came back.
    int64_t quiet = (now - st.returned_at[endpoint]) / p.interval_nanos;
    times = quiet >= times ? 0 : times - static_cast<uint32_t>(quiet);
  }
  times = std::min<uint32_t>(times + 1, 1000);
  st.ejections[endpoint] = times;
  // Envoy's max_ejection_time (300 s by default) caps the growth, never below the base.
  const int64_t cap = std::max<int64_t>(300'000'000'000, p.base_ejection_nanos);
  int64_t duration = p.base_ejection_nanos > cap / times ? cap : p.base_ejection_nanos * times;
  st.ejected_until[endpoint] = now + duration;
  st.ejected[endpoint] = true;
  ++st.ejected_count;
  ++outlier_counters_.ejections_enforced;
}

void LoadBalancer::ReturnEjected(const router::Cluster& cluster, int64_t now) {
  if (cluster.id >= clusters_.size()) return;
  ClusterState& st = clusters_[cluster.id];
  if (st.ejected_count == 0) return;
  for (size_t i = 0; i < st.ejected.size(); ++i) {
    if (st.ejected[i] && now >= st.ejected_until[i]) {
      st.ejected[i] = false;
      st.ejected_until[i] = 0;
      st.returned_at[i] = now;
      --st.ejected_count;
    }
  }
}

std::vector<LoadBalancer::Ejection> LoadBalancer::Ejections(int64_t now) const {
  std::vector<Ejection> out;
  for (size_t c = 0; c < clusters_.size(); ++c) {
    const ClusterState& st = clusters_[c];
    if (st.ejected_count == 0) continue;
    for (size_t i = 0; i < st.ejected.size(); ++i) {
      if (st.ejected[i] && st.ejected_until[i] > now) {
        out.push_back(Ejection{static_cast<uint32_t>(c), static_cast<int>(i), st.ejected_until[i],
                               st.ejections[i]});
      }
    }
  }
  return out;
}

}  // namespace canaryd::upstream

#include "telemetry/live_stats.h"

namespace canaryd::telemetry {

void LiveStats::Add(const std::string& service, const std::string& service_name,
                    const std::string& service_namespace, const std::string& subset,
                    const std::string& version, const SecondBucket& bucket) {
  std::lock_guard<std::mutex> lock(mu_);
  Series& s = series_[service + "|" + subset + "|" + version];
  if (s.service.empty()) {
    s.service = service;
    s.service_name = service_name;
    s.service_namespace = service_namespace;
    s.subset = subset;
    s.version = version;
  }
  // Workers hand over the same second at slightly different times: merge into it.
  auto it = s.seconds.end();
  while (it != s.seconds.begin() && std::prev(it)->second > bucket.second) --it;
  if (it != s.seconds.begin() && std::prev(it)->second == bucket.second) {
    std::prev(it)->Merge(bucket);
  } else {
    s.seconds.insert(it, bucket);
  }
  while (!s.seconds.empty() && s.seconds.front().second <= bucket.second - kMaxWindowSeconds) {
    s.seconds.pop_front();
  }
}

std::vector<DestinationStats> LiveStats::Query(int64_t window_seconds, int64_t now_second) const {
  if (window_seconds < 1) window_seconds = 1;
  if (window_seconds > kMaxWindowSeconds) window_seconds = kMaxWindowSeconds;
  std::vector<DestinationStats> out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [key, s] : series_) {
    SecondBucket total;
    for (const SecondBucket& b : s.seconds) {
      if (b.second >= now_second - window_seconds && b.second < now_second) total.Merge(b);
    }
    if (total.requests == 0) continue;
    DestinationStats d;
    d.service = s.service;
    d.service_name = s.service_name;
    d.service_namespace = s.service_namespace;
    d.version = s.version;
    d.requests = total.requests;
    d.successes = total.successes;
    d.success_rate = static_cast<double>(total.successes) / static_cast<double>(total.requests);
    d.requests_per_second =
        static_cast<double>(total.requests) / static_cast<double>(window_seconds);
    d.p50_ms = total.latency.Quantile(0.50);
    d.p90_ms = total.latency.Quantile(0.90);
    d.p99_ms = total.latency.Quantile(0.99);
    out.push_back(std::move(d));
  }
  return out;
}

std::vector<SecondBucket> LiveStats::SecondsOf(const std::string& service,
                                               const std::string& subset, int64_t from_second,
                                               int64_t to_second) const {
  std::map<int64_t, SecondBucket> by_second;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [key, s] : series_) {
    if (s.service != service || s.subset != subset) continue;
    for (const SecondBucket& b : s.seconds) {
      if (b.second < from_second || b.second > to_second) continue;
      SecondBucket& into = by_second[b.second];
      into.second = b.second;
      into.Merge(b);
    }
  }
  std::vector<SecondBucket> out;
  out.reserve(by_second.size());
  for (auto& [second, b] : by_second) out.push_back(b);
  return out;
}

WorkerWindow::Destination* WorkerWindow::Find(const proxy::RequestInfo& info) {
  if (info.table_generation != generation_) {
    fast_.clear();
    slots_.Clear();
    generation_ = info.table_generation;
  }
  const void* fast_key = info.endpoint != nullptr ? static_cast<const void*>(info.endpoint)
                                                  : static_cast<const void*>(info.cluster);
  uint64_t bits = reinterpret_cast<uintptr_t>(fast_key);
  if (Destination* hit = slots_.Find(fast_key, bits)) return hit;
  if (auto it = fast_.find(fast_key); it != fast_.end()) {
    slots_.Put(fast_key, bits, it->second);
    return it->second;
  }
  const router::Cluster* c = info.cluster;
  std::string service = c ? c->service_fqdn : "unknown";
  std::string version = info.endpoint ? info.endpoint->version : (c ? c->subset : "");
  if (version.empty()) version = "unknown";
  std::string subset = c ? c->subset : "";
  std::unique_ptr<Destination>& d = by_key_[service + "|" + subset + "|" + version];
  if (!d) {
    d = std::make_unique<Destination>();
    d->service = service;
    d->subset = subset;
    d->service_name = c ? c->service_name : "unknown";
    d->service_namespace = c ? c->service_namespace : "unknown";
    d->version = version;
  }
  fast_.emplace(fast_key, d.get());
  slots_.Put(fast_key, bits, d.get());
  return d.get();
}

void WorkerWindow::Record(const proxy::RequestInfo& info, int64_t now_second) {
  Destination* d = Find(info);
  if (d->current.second != now_second) {
    if (d->current.requests > 0) d->finished.push_back(d->current);
    d->current = SecondBucket();
    d->current.second = now_second;
  }
  d->current.requests++;
  if (info.status > 0 && info.status < 500) d->current.successes++;
  d->current.latency.Record(static_cast<double>(info.end_nanos - info.start_nanos) / 1e6);
}

void WorkerWindow::Flush(int64_t now_second, LiveStats& store) {
  for (auto& [key, d] : by_key_) {
    if (d->current.requests > 0 && d->current.second < now_second) {
      d->finished.push_back(d->current);
      d->current = SecondBucket();
    }
    for (const SecondBucket& b : d->finished) {
      store.Add(d->service, d->service_name, d->service_namespace, d->subset, d->version, b);
    }
    d->finished.clear();
  }
}

}  // namespace canaryd::telemetry

// RequestMetrics: Istio's standard request metrics (istio_requests_total and the duration and
// size histograms) as one worker records them, one series per label set. A worker writes only
// its own RequestMetrics, with no lock; the scraper asks each worker for a copy (see
// Telemetry) and merges. Loop thread of its worker only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "proxy/request_info.h"
#include "telemetry/histogram.h"
#include "telemetry/slot_cache.h"

namespace canaryd::telemetry {

// Who this gateway is, for the source_* labels.
struct GatewayIdentity {
  std::string workload = "canaryd";
  std::string workload_namespace = "istio-system";
};

struct SeriesData {
  uint64_t requests = 0;
  DurationHistogram duration_ms;
  SizeHistogram request_bytes;
  SizeHistogram response_bytes;
  void Merge(const SeriesData& o) {
    requests += o.requests;
    duration_ms.Merge(o.duration_ms);
    request_bytes.Merge(o.request_bytes);
    response_bytes.Merge(o.response_bytes);
  }
};

class RequestMetrics {
 public:
  explicit RequestMetrics(const GatewayIdentity* identity) : identity_(identity) {}

  void Record(const proxy::RequestInfo& info);
  // Label text -> data, copied (on the worker's thread).
  std::vector<std::pair<std::string, SeriesData>> Snapshot() const;
  size_t series() const { return series_.size(); }

 private:
  // The series of a request is found through pointers into the current route table, so the
  // label text is built once per (destination, endpoint, status, flags) and table generation.
  struct FastKey {
    const void* cluster;
    const void* endpoint;
    int status;
    uint32_t flags;
    bool operator==(const FastKey&) const = default;
  };
  struct FastKeyHash {
    size_t operator()(const FastKey& k) const {
      size_t h = std::hash<const void*>{}(k.cluster);
      h = h * 31 + std::hash<const void*>{}(k.endpoint);
      h = h * 31 + static_cast<size_t>(k.status);
      return h * 31 + k.flags;
    }
  };
  std::string Labels(const proxy::RequestInfo& info) const;
  SeriesData* Find(const proxy::RequestInfo& info);

  const GatewayIdentity* identity_;
  uint64_t generation_ = UINT64_MAX;
  SlotCache<FastKey, SeriesData> slots_;  // in front of fast_
  std::unordered_map<FastKey, SeriesData*, FastKeyHash> fast_;
  std::unordered_map<std::string, std::unique_ptr<SeriesData>> series_;
};

// Prometheus label value escaping (backslash, double quote, newline).
void AppendEscaped(std::string& out, std::string_view value);

}  // namespace canaryd::telemetry

#include "telemetry/request_metrics.h"

namespace canaryd::telemetry {

void AppendEscaped(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

namespace {
// Istio writes "unknown" for a label it cannot fill, except where empty is meaningful.
void Label(std::string& out, const char* name, std::string_view value, bool empty_ok = false) {
  if (!out.empty()) out += ',';
  out += name;
  out += "=\"";
  AppendEscaped(out, value.empty() && !empty_ok ? std::string_view("unknown") : value);
  out += '"';
}
}  // namespace

std::string RequestMetrics::Labels(const proxy::RequestInfo& info) const {
  const router::Cluster* c = info.cluster;
  const router::Endpoint* e = info.endpoint;
  std::string out;
  out.reserve(640);
  Label(out, "reporter", "source");
  Label(out, "source_workload", identity_->workload);
  Label(out, "source_workload_namespace", identity_->workload_namespace);
  Label(out, "source_principal", "unknown");
  Label(out, "source_app", identity_->workload);
  Label(out, "source_version", "unknown");
  Label(out, "source_canonical_service", identity_->workload);
  Label(out, "source_canonical_revision", "latest");
  Label(out, "source_cluster", "Kubernetes");
  Label(out, "destination_workload", e ? e->workload : "");
  Label(out, "destination_workload_namespace", e ? e->workload_namespace : "");
  Label(out, "destination_principal", "unknown");
  Label(out, "destination_app", e ? e->app : "");
  Label(out, "destination_version", e ? e->version : (c ? c->subset : ""));
  Label(out, "destination_service", c ? c->service_fqdn : "");
  Label(out, "destination_service_name", c ? c->service_name : "");
  Label(out, "destination_service_namespace", c ? c->service_namespace : "");
  Label(out, "destination_canonical_service", e ? e->canonical_service : "");
  Label(out, "destination_canonical_revision", e ? e->canonical_revision : "latest");
  Label(out, "destination_cluster", "Kubernetes");
  Label(out, "request_protocol", "http");
  Label(out, "response_code", std::to_string(info.status));
  Label(out, "grpc_response_status", "", /*empty_ok=*/true);
  char flags[64];
  Label(out, "response_flags", proxy::ResponseFlagsString(info.flags, flags));
  Label(out, "connection_security_policy", "unknown");
  return out;
}

SeriesData* RequestMetrics::Find(const proxy::RequestInfo& info) {
  if (info.table_generation != generation_) {
    fast_.clear();
    slots_.Clear();
    generation_ = info.table_generation;
  }
  FastKey key{info.cluster, info.endpoint, info.status, info.flags};
  uint64_t bits = reinterpret_cast<uintptr_t>(key.endpoint) ^
                  reinterpret_cast<uintptr_t>(key.cluster) ^ static_cast<uint64_t>(key.status) ^
                  (static_cast<uint64_t>(key.flags) << 12);
  if (SeriesData* hit = slots_.Find(key, bits)) return hit;
  SeriesData* s;
  if (auto it = fast_.find(key); it != fast_.end()) {
    s = it->second;
  } else {
    std::unique_ptr<SeriesData>& owned = series_[Labels(info)];
    if (!owned) owned = std::make_unique<SeriesData>();
    s = owned.get();
    fast_.emplace(key, s);
  }
  slots_.Put(key, bits, s);
  return s;
}

void RequestMetrics::Record(const proxy::RequestInfo& info) {
  SeriesData* s = Find(info);
  ++s->requests;
  double ms = static_cast<double>(info.end_nanos - info.start_nanos) / 1e6;
  s->duration_ms.Record(ms, kDurationBucketsMs);
  s->request_bytes.Record(static_cast<double>(info.bytes_received), kSizeBuckets);
  s->response_bytes.Record(static_cast<double>(info.bytes_sent), kSizeBuckets);
}

std::vector<std::pair<std::string, SeriesData>> RequestMetrics::Snapshot() const {
  std::vector<std::pair<std::string, SeriesData>> out;
  out.reserve(series_.size());
  for (const auto& [labels, data] : series_) out.emplace_back(labels, *data);
  return out;
}

}  // namespace canaryd::telemetry

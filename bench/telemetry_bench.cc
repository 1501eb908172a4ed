// The costs of telemetry: recording one request on a worker, and rendering a scrape of about
// 10,000 time series (250 label sets x 42 lines: the counter and three histograms).
#include <benchmark/benchmark.h>

#include <deque>

#include "telemetry/access_log.h"
#include "telemetry/telemetry.h"

namespace {

using canaryd::proxy::RequestInfo;

struct Fixture {
  std::deque<canaryd::router::Cluster> clusters;
  std::deque<canaryd::router::Endpoint> endpoints;
  std::vector<RequestInfo> requests;

  explicit Fixture(int label_sets) {
    for (int i = 0; i < label_sets; ++i) {
      canaryd::router::Cluster& c = clusters.emplace_back();
      c.service_name = "service-" + std::to_string(i / 5);
      c.service_namespace = "default";
      c.service_fqdn = c.service_name + ".default.svc.cluster.local";
      canaryd::router::Endpoint& e = endpoints.emplace_back();
      e.version = "v" + std::to_string(i % 5);
      e.workload = c.service_name + "-" + e.version;
      e.workload_namespace = "default";
      e.app = c.service_name;
      e.canonical_service = c.service_name;
      e.canonical_revision = e.version;
      RequestInfo r;
      r.cluster = &c;
      r.endpoint = &e;
      r.status = 200;
      r.start_nanos = 1'000'000'000;
      r.end_nanos = r.start_nanos + 3'000'000 + i * 1000;
      r.start_wall_micros = 1'700'000'000'000'000;
      r.bytes_sent = 100;
      requests.push_back(r);
    }
  }
};

void BM_RecordRequest(benchmark::State& state) {
  Fixture f(16);
  canaryd::telemetry::Telemetry t({}, 1);
  size_t i = 0;
  for (auto _ : state) {
    t.OnRequestDone(0, f.requests[i++ & 15]);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RecordRequest);

RequestInfo LoggedRequest(const Fixture& f) {
  RequestInfo r = f.requests[0];
  r.method = "GET";
  r.path = "/api/v1/items?page=2";
  r.protocol = "HTTP/1.1";
  r.authority = "web.example.com";
  r.user_agent = "Mozilla/5.0 (X11; Linux x86_64) wrk/4.2";
  r.request_id = "4c5b4d6e-7f80-4a1b-9c2d-3e4f5a6b7c8d";
  r.client_address = "127.0.0.1";
  r.downstream_address = "127.0.0.1:54321";
  return r;
}

canaryd::telemetry::AccessLogFormat FormatArg(const benchmark::State& state) {
  return state.range(0) ? canaryd::telemetry::AccessLogFormat::kJson
                        : canaryd::telemetry::AccessLogFormat::kText;
}

// One line formatted from the request directly (tests, and what workers did before records).
void BM_FormatAccessLog(benchmark::State& state) {
  Fixture f(1);
  RequestInfo r = LoggedRequest(f);
  std::string out;
  for (auto _ : state) {
    out.clear();
    canaryd::telemetry::FormatAccessLog(r, FormatArg(state), out);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_FormatAccessLog)->Arg(0)->Arg(1);

// What a worker does per request when the access log is on.
void BM_AppendLogRecord(benchmark::State& state) {
  Fixture f(1);
  RequestInfo r = LoggedRequest(f);
  std::string records;
  records.reserve(1 << 20);
  for (auto _ : state) {
    if (records.size() > (1 << 20) - 4096) records.clear();
    canaryd::telemetry::AppendLogRecord(r, records);
    benchmark::DoNotOptimize(records);
  }
}
BENCHMARK(BM_AppendLogRecord);

// What the writer thread does per line: a batch of 200 records formatted.
void BM_FormatLogRecords(benchmark::State& state) {
  Fixture f(1);
  RequestInfo r = LoggedRequest(f);
  std::string records, out;
  for (int i = 0; i < 200; ++i) canaryd::telemetry::AppendLogRecord(r, records);
  for (auto _ : state) {
    out.clear();
    canaryd::telemetry::FormatLogRecords(records, FormatArg(state), out);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations() * 200);
}
BENCHMARK(BM_FormatLogRecords)->Arg(0)->Arg(1);

void BM_ScrapeTenThousandSeries(benchmark::State& state) {
  Fixture f(250);
  canaryd::telemetry::Telemetry t({}, 2);
  for (int round = 0; round < 4; ++round) {
    for (size_t i = 0; i < f.requests.size(); ++i) t.OnRequestDone(i % 2, f.requests[i]);
  }
  canaryd::telemetry::GatewayHealth health;
  health.workers.resize(2);
  size_t lines = 0;
  for (auto _ : state) {
    std::string text = t.RenderPrometheus(
        [](std::function<void(int)> fn) {
          fn(0);
          fn(1);
          return true;
        },
        health);
    lines = static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
    benchmark::DoNotOptimize(text);
  }
  state.counters["lines"] = static_cast<double>(lines);
}
BENCHMARK(BM_ScrapeTenThousandSeries)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();

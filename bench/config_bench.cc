// Decoding and validating VirtualServices: the cost of every apply and of every start-up with
// -f. Reports resources per second on one core (items_per_second).
#include <benchmark/benchmark.h>

#include <yaml.h>

#include <string>

#include "config/loader.h"
#include "config/yaml_reader.h"

namespace {

std::string VirtualServices(int n) {
  std::string text;
  for (int i = 0; i < n; ++i) {
    std::string id = std::to_string(i);
    text +=
        "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: vs-" + id +
        "\n  namespace: default\n  labels: {app: web-" + id + "}\nspec:\n  hosts:\n  - web-" + id +
        ".example.com\n  gateways:\n  - web-gateway\n"
        "  http:\n  - match:\n    - uri:\n        prefix: /api/" +
        id +
        "\n      headers:\n        x-canary:\n          exact: \"true\"\n"
        "    route:\n    - destination:\n        host: web-v2-service\n        port:\n"
        "          number: 80\n      weight: 100\n    timeout: 2s\n"
        "  - route:\n    - destination:\n        host: web-v1-service\n        subset: v1\n"
        "        port:\n          number: 80\n      weight: 90\n    - destination:\n"
        "        host: web-v2-service\n        subset: v2\n        port:\n          number: 80\n"
        "      weight: 10\n    retries:\n      attempts: 3\n      perTryTimeout: 500ms\n"
        "      retryOn: 5xx,connect-failure\n---\n";
  }
  return text;
}

void BM_DecodeAndValidateVirtualServices(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  std::string text = VirtualServices(n);
  for (auto _ : state) {
    canaryd::config::LoadResult result;
    canaryd::config::LoadText(text, "bench.yaml", {}, result);
    if (result.resources.size() != static_cast<size_t>(n)) {
      state.SkipWithError("not every VirtualService was valid");
      break;
    }
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations() * n);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(text.size()));
}
BENCHMARK(BM_DecodeAndValidateVirtualServices)->Arg(10000)->Unit(benchmark::kMillisecond);

// The parse alone (libyaml events built into Nodes), to show where the time goes.
void BM_ParseVirtualServices(benchmark::State& state) {
  std::string text = VirtualServices(10000);
  for (auto _ : state) {
    size_t fields = 0;
    canaryd::config::ParseResult r = canaryd::config::ParseDocuments(
        text, {}, [&](canaryd::config::Document&& d) { fields += d.root.entries().size(); });
    benchmark::DoNotOptimize(fields);
    if (!r.ok) state.SkipWithError(r.error.message.c_str());
  }
  state.SetItemsProcessed(state.iterations() * 10000);
}
BENCHMARK(BM_ParseVirtualServices)->Unit(benchmark::kMillisecond);

// libyaml's event parser with nothing built: the floor under the two above.
void BM_LibyamlEventsOnly(benchmark::State& state) {
  std::string text = VirtualServices(10000);
  for (auto _ : state) {
    yaml_parser_t parser;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text.data()),
                                 text.size());
    size_t events = 0;
    while (true) {
      yaml_event_t event;
      if (!yaml_parser_parse(&parser, &event)) break;
      bool done = event.type == YAML_STREAM_END_EVENT;
      ++events;
      yaml_event_delete(&event);
      if (done) break;
    }
    yaml_parser_delete(&parser);
    benchmark::DoNotOptimize(events);
  }
  state.SetItemsProcessed(state.iterations() * 10000);
}
BENCHMARK(BM_LibyamlEventsOnly)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();

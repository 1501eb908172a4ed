// Compiling the route table from 10,000 VirtualServices (what every configuration change costs
// the configuration thread), and matching a request against it (what every request costs).
#include <benchmark/benchmark.h>

#include "config/loader.h"
#include "router/compiler.h"
#include "testing/walkthrough_yaml.h"

namespace {

std::vector<canaryd::config::Resource> Resources(int n) {
  std::string text = canaryd::testing::WalkthroughYaml();
  for (int i = 0; i < n; ++i) {
    std::string id = std::to_string(i);
    text += "---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: vs-" +
            id + "}\nspec:\n  hosts: [vs-" + id +
            ".example.com]\n  gateways: [web-gateway]\n  http:\n  - match: [{uri: {prefix: /api/" +
            id +
            "}}]\n    route:\n    - destination: {host: web-v1-service, port: {number: 80}}\n"
            "      weight: 90\n    - destination: {host: web-v2-service, port: {number: 80}}\n"
            "      weight: 10\n";
  }
  canaryd::config::LoadResult loaded;
  canaryd::config::LoadText(text, "bench.yaml", {}, loaded);
  return std::move(loaded.resources);
}

void BM_CompileTenThousandVirtualServices(benchmark::State& state) {
  std::vector<canaryd::config::Resource> resources = Resources(10000);
  for (auto _ : state) {
    auto result = canaryd::router::Compiler::Compile(resources, {});
    if (!result.ok()) state.SkipWithError(result.status().message().c_str());
    benchmark::DoNotOptimize(result);
  }
}
BENCHMARK(BM_CompileTenThousandVirtualServices)->Unit(benchmark::kMillisecond);

void BM_MatchAmongTenThousandHosts(benchmark::State& state) {
  std::vector<canaryd::config::Resource> resources = Resources(10000);
  auto result = canaryd::router::Compiler::Compile(resources, {});
  const canaryd::router::RouteTable& table = *result->table;
  canaryd::router::RequestView view;
  view.method = "GET";
  view.path = "/api/5000/items";
  view.authority = "vs-5000.example.com";
  view.scheme = "http";
  view.port = 80;
  for (auto _ : state) {
    const canaryd::router::VirtualHost* vh = table.FindVirtualHost(80, view.authority);
    const canaryd::router::Route* r = vh ? table.Match(*vh, view) : nullptr;
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_MatchAmongTenThousandHosts);

}  // namespace

BENCHMARK_MAIN();

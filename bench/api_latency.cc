// api_latency: latency of canaryd's resource API at the HTTP level, against a running canaryd
// (bench/api_latency.sh starts one). Measures sequential server-side applies (each one a real,
// durable write), no-op applies, creates, and list latency with many VirtualServices stored,
// as JSON and as the Table kubectl asks for. Prints percentiles.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "client/http_client.h"

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

const char* kCollection = "/apis/networking.istio.io/v1/namespaces/default/virtualservices";

json VirtualService(const std::string& name, int weight) {
  return {{"apiVersion", "networking.istio.io/v1"},
          {"kind", "VirtualService"},
          {"metadata", {{"name", name}, {"namespace", "default"}}},
          {"spec",
           {{"hosts", {name + ".example.com"}},
            {"gateways", {"web-gateway"}},
            {"http",
             {{{"match", {{{"uri", {{"prefix", "/"}}}}}},
               {"route",
                {{{"destination", {{"host", "web-v1-service"}, {"port", {{"number", 80}}}}},
                  {"weight", weight}},
                 {{"destination", {{"host", "web-v2-service"}, {"port", {{"number", 80}}}}},
                  {"weight", 100 - weight}}}}}}}}}};
}

struct Stats {
  std::vector<double> ms;
  void Add(Clock::duration d) {
    ms.push_back(std::chrono::duration<double, std::milli>(d).count());
  }
  double Percentile(double p) {
    std::sort(ms.begin(), ms.end());
    if (ms.empty()) return 0;
    size_t i = static_cast<size_t>(p / 100.0 * static_cast<double>(ms.size() - 1) + 0.5);
    return ms[std::min(i, ms.size() - 1)];
  }
  void Print(const char* what) {
    std::printf("| %-44s | %6zu | %8.2f | %8.2f | %8.2f | %8.2f |\n", what, ms.size(),
                Percentile(50), Percentile(90), Percentile(99), Percentile(100));
  }
};

bool Check(const canaryd::Result<canaryd::client::HttpResult>& r, long want1, long want2 = 0) {
  if (!r.ok()) {
    std::fprintf(stderr, "request failed: %s\n", r.status().ToString().c_str());
    return false;
  }
  if (r->status != want1 && r->status != want2) {
    std::fprintf(stderr, "unexpected status %ld: %s\n", r->status, r->body.substr(0, 300).c_str());
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"api_latency: HTTP-level latency of canaryd's resource API"};
  std::string server = "http://127.0.0.1:15000";
  int applies = 1000;
  int objects = 10000;
  int lists = 20;
  app.add_option("--server", server)->capture_default_str();
  app.add_option("--applies", applies, "Sequential applies to time")->capture_default_str();
  app.add_option("--objects", objects, "VirtualServices stored for the list test")
      ->capture_default_str();
  app.add_option("--lists", lists, "Lists to time")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  canaryd::client::ClientOptions options;
  options.server = server;
  options.timeout_ms = 120'000;
  canaryd::client::HttpClient client(options);

  std::printf("| %-44s | %6s | %8s | %8s | %8s | %8s |\n", "operation", "n", "p50 ms", "p90 ms",
              "p99 ms", "max ms");
  std::printf("|%s|%s|%s|%s|%s|%s|\n", std::string(46, '-').c_str(), std::string(8, '-').c_str(),
              std::string(10, '-').c_str(), std::string(10, '-').c_str(),
              std::string(10, '-').c_str(), std::string(10, '-').c_str());

  // Server-side apply of one VirtualService, the weight changing every time: a real write.
  const std::string item = std::string(kCollection) + "/bench-apply";
  const std::string apply = item + "?fieldManager=bench&force=true";
  Stats changed, unchanged;
  for (int i = 0; i < applies; ++i) {
    std::string body = VirtualService("bench-apply", i % 2 == 0 ? 90 : 80).dump();
    auto start = Clock::now();
    auto r = client.Request("PATCH", apply, body, "application/apply-patch+yaml");
    changed.Add(Clock::now() - start);
    if (!Check(r, 200, 201)) return 1;
  }
  changed.Print("apply (server-side, changed, durable write)");
  std::string same = VirtualService("bench-apply", 80).dump();
  for (int i = 0; i < applies; ++i) {
    auto start = Clock::now();
    auto r = client.Request("PATCH", apply, same, "application/apply-patch+yaml");
    unchanged.Add(Clock::now() - start);
    if (!Check(r, 200)) return 1;
  }
  unchanged.Print("apply (server-side, unchanged: no write)");
  Stats merge;
  for (int i = 0; i < applies; ++i) {
    std::string patch = R"({"spec":{"http":[{"route":[{"destination":{"host":"web-v1-service"},)"
                        R"("weight":)" +
                        std::to_string(i % 2 ? 70 : 60) + "}]}]}}";
    auto start = Clock::now();
    auto r = client.Request("PATCH", item, patch, "application/merge-patch+json");
    merge.Add(Clock::now() - start);
    if (!Check(r, 200)) return 1;
  }
  merge.Print("merge patch (kubectl apply's request)");

  // Fill the store, then list.
  Stats create;
  auto fill_start = Clock::now();
  for (int i = 0; i < objects; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "vs-%05d", i);
    std::string body = VirtualService(name, 50).dump();
    auto start = Clock::now();
    auto r = client.Request("POST", kCollection, body);
    create.Add(Clock::now() - start);
    if (!Check(r, 201, 409)) return 1;
  }
  double fill_s = std::chrono::duration<double>(Clock::now() - fill_start).count();
  create.Print("create (POST)");
  Stats list_json, list_table, get_one;
  size_t json_bytes = 0, table_bytes = 0;
  for (int i = 0; i < lists; ++i) {
    auto start = Clock::now();
    auto r = client.Request("GET", kCollection);
    list_json.Add(Clock::now() - start);
    if (!Check(r, 200)) return 1;
    json_bytes = r->body.size();
    start = Clock::now();
    r = client.Request("GET", kCollection, "", "application/json",
                       "application/json;as=Table;v=v1;g=meta.k8s.io,application/json");
    list_table.Add(Clock::now() - start);
    if (!Check(r, 200)) return 1;
    table_bytes = r->body.size();
  }
  for (int i = 0; i < 1000; ++i) {
    char path[96];
    std::snprintf(path, sizeof path, "%s/vs-%05d", kCollection, (i * 7919) % objects);
    auto start = Clock::now();
    auto r = client.Request("GET", path);
    get_one.Add(Clock::now() - start);
    if (!Check(r, 200)) return 1;
  }
  char what[96];
  std::snprintf(what, sizeof what, "list %d VirtualServices, JSON (%.1f MB)", objects + 1,
                static_cast<double>(json_bytes) / 1e6);
  list_json.Print(what);
  std::snprintf(what, sizeof what, "list %d VirtualServices, Table (%.1f MB)", objects + 1,
                static_cast<double>(table_bytes) / 1e6);
  list_table.Print(what);
  std::snprintf(what, sizeof what, "get one, %d stored", objects + 1);
  get_one.Print(what);
  std::printf("\nfilled %d VirtualServices in %.1f s (%.0f creates/s)\n", objects, fill_s,
              objects / fill_s);
  return 0;
}

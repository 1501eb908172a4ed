// Compiler::PatchPods: a Pod becoming ready, leaving, or changing labels patches the endpoints
// of the clusters whose Service selects it (before or after), to what a full compile gives, and
// shares the routes.
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "config/loader.h"
#include "router/compiler.h"

namespace canaryd::router {
namespace {

constexpr const char* kRouting = R"(
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {ports: [{port: 80}], selector: {app: web}}
---
apiVersion: v1
kind: Service
metadata: {name: api}
spec: {ports: [{port: 80, targetPort: 8080}], selector: {app: api}}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec: {servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: ["*"]
  gateways: [gw]
  http:
  - match: [{uri: {prefix: /api}}]
    route: [{destination: {host: api}}]
  - route: [{destination: {host: web}}]
)";

std::string Pod(const std::string& name, const std::string& app, const std::string& ip,
                int container_port, int port, bool ready) {
  return "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: " + name + "\n  labels: {app: " + app +
         "}\n  annotations: {canaryd.io/ports: \"" + std::to_string(container_port) + "=" +
         std::to_string(port) + "\"}\nspec:\n  containers: [{name: c, image: x, ports: " +
         "[{containerPort: " + std::to_string(container_port) + "}]}]\nstatus:\n  podIP: " + ip +
         "\n  conditions: [{type: Ready, status: \"" + (ready ? "True" : "False") + "\"}]\n";
}

class PodPatchTest : public ::testing::Test {
 protected:
  // Resources kept alive as the watcher's cache keeps them.
  std::vector<const config::Resource*> Load(const std::string& pods) {
    config::LoadResult loaded;
    config::LoadText(std::string(kRouting) + pods, "test.yaml", {}, loaded);
    EXPECT_FALSE(loaded.diagnostics.has_errors()) << loaded.diagnostics.ToString();
    sets_.push_back(std::make_unique<std::vector<config::Resource>>(std::move(loaded.resources)));
    std::vector<const config::Resource*> out;
    for (const config::Resource& r : *sets_.back()) out.push_back(&r);
    return out;
  }
  CompileResult Full(const std::vector<const config::Resource*>& resources) {
    Result<CompileResult> r = Compiler::Compile(resources, {});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return *r;
  }
  // The first set's Pod `name`, replaced in place by the same Pod from `yaml`.
  const config::Resource* Replace(const std::string& name, const std::string& yaml) {
    std::vector<const config::Resource*> fresh = Load(yaml);
    for (config::Resource& r : *sets_.front()) {
      if (r.kind != config::Kind::kPod || r.name() != name) continue;
      for (const config::Resource* f : fresh) {
        if (f->kind == config::Kind::kPod && f->name() == name) r = *f;
      }
      return &r;
    }
    return nullptr;
  }
  std::vector<std::unique_ptr<std::vector<config::Resource>>> sets_;
};

// "ip:port" of every endpoint, per cluster name.
std::map<std::string, std::set<std::string>> Endpoints(const RouteTable& t) {
  std::map<std::string, std::set<std::string>> out;
  for (const Cluster& c : t.clusters()) {
    auto& set = out[c.name];
    for (const Endpoint& e : c.endpoints) set.insert(e.address_text);
  }
  return out;
}

TEST_F(PodPatchTest, ReadyLeavingAndRelabelledPodsPatchToWhatAFullCompileGives) {
  const std::string p1 = Pod("p1", "web", "127.1.0.1", 80, 40001, true);
  const std::string p2 = Pod("p2", "web", "127.1.0.2", 80, 40002, false);
  const std::string a1 = Pod("a1", "api", "127.1.0.3", 8080, 40003, true);
  CompileResult first = Full(Load(p1 + p2 + a1));
  auto web = "outbound|80||web.default.svc.cluster.local";
  auto api = "outbound|80||api.default.svc.cluster.local";
  EXPECT_EQ(Endpoints(*first.table)[web], (std::set<std::string>{"127.1.0.1:40001"}));
  EXPECT_EQ(Endpoints(*first.table)[api], (std::set<std::string>{"127.1.0.3:40003"}));

  // p2 becomes ready.
  const config::Resource* ready = Replace("p2", Pod("p2", "web", "127.1.0.2", 80, 40002, true));
  std::optional<CompileResult> patched =
      Compiler::PatchPods(first, {{{"default", "p2"}, ready}}, 2);
  ASSERT_TRUE(patched.has_value());
  EXPECT_EQ(patched->table->generation(), 2u);
  EXPECT_EQ(Endpoints(*patched->table),
            Endpoints(*Full(Load(p1 + Pod("p2", "web", "127.1.0.2", 80, 40002, true) + a1)).table));
  EXPECT_EQ(Endpoints(*patched->table)[web].size(), 2u);
  // The routes are the same objects: only the clusters were rebuilt.
  ASSERT_EQ(patched->table->route_count(), first.table->route_count());
  for (size_t i = 0; i < first.table->route_count(); ++i) {
    EXPECT_EQ(&patched->table->route(i), &first.table->route(i));
  }

  // p1 is deleted (its cache entry goes before the patch, as in the watcher).
  std::optional<CompileResult> gone =
      Compiler::PatchPods(*patched, {{{"default", "p1"}, nullptr}}, 3);
  ASSERT_TRUE(gone.has_value());
  EXPECT_EQ(Endpoints(*gone->table)[web], (std::set<std::string>{"127.1.0.2:40002"}));
  EXPECT_EQ(Endpoints(*gone->table)[api], (std::set<std::string>{"127.1.0.3:40003"}));

  // a1 is relabelled from api to web: it leaves one cluster and joins the other.
  const config::Resource* moved = Replace("a1", Pod("a1", "web", "127.1.0.3", 80, 40003, true));
  std::optional<CompileResult> relabelled =
      Compiler::PatchPods(*gone, {{{"default", "a1"}, moved}}, 4);
  ASSERT_TRUE(relabelled.has_value());
  EXPECT_EQ(Endpoints(*relabelled->table)[api], std::set<std::string>{});
  EXPECT_EQ(Endpoints(*relabelled->table)[web],
            (std::set<std::string>{"127.1.0.2:40002", "127.1.0.3:40003"}));
}

TEST_F(PodPatchTest, PublishNotReadyAddressesRoutesToPodsNotYetReadyButNotToTerminatingOnes) {
  const std::string publish = R"(
---
apiVersion: v1
kind: Service
metadata: {name: peers}
spec: {ports: [{port: 80}], selector: {app: web}, publishNotReadyAddresses: true}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: peers}
spec:
  hosts: [peers.example]
  gateways: [gw]
  http: [{route: [{destination: {host: peers}}]}]
)";
  const std::string p1 = Pod("p1", "web", "127.1.0.1", 80, 40001, true);
  const std::string p2 = Pod("p2", "web", "127.1.0.2", 80, 40002, false);
  std::string p3 = Pod("p3", "web", "127.1.0.4", 80, 40004, true);
  p3.replace(p3.find("  labels:"), 0, "  deletionTimestamp: \"2026-12-02T00:00:00Z\"\n");
  CompileResult first = Full(Load(publish + p1 + p2 + p3));
  EXPECT_EQ(Endpoints(*first.table)["outbound|80||peers.default.svc.cluster.local"],
            (std::set<std::string>{"127.1.0.1:40001", "127.1.0.2:40002"}));
  EXPECT_EQ(Endpoints(*first.table)["outbound|80||web.default.svc.cluster.local"],
            (std::set<std::string>{"127.1.0.1:40001"}));
}

}  // namespace
}  // namespace canaryd::router

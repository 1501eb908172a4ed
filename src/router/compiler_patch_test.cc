// Compiler::Patch: a table patched for changed VirtualServices must equal, rule for rule, the
// table a full compile gives for the same resources, share what did not change, and decline
// (so that the caller compiles in full) whenever the change reaches beyond the rules.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <sstream>

#include "config/loader.h"
#include "router/compiler.h"
#include "testing/walkthrough_yaml.h"

namespace canaryd::router {
namespace {

// The walkthrough's resources (v2 on its own address), a third Service and another host.
std::string SharedYaml() {
  testing::WalkthroughEndpoints e;
  e.v2_address = "127.0.0.2";
  return testing::WalkthroughYaml(e) + R"(---
apiVersion: v1
kind: Service
metadata: {name: web-v3-service}
spec: {ports: [{name: "80", port: 80}], selector: {app: web, version: v3}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: other}
spec:
  hosts: [other.example.com]
  gateways: [web-gateway]
  http:
  - match: [{uri: {prefix: /a}}]
    route: [{destination: {host: web-v2-service}}]
  - route: [{destination: {host: web-v1-service}}]
)";
}

// The walkthrough's VirtualService with weights, an extra rule set and hosts as given.
std::string WebVs(int w1, int w2, const std::string& hosts = "[\"*\"]",
                  const std::string& second_match = "[{uri: {prefix: /app/}}]",
                  const std::string& second_host = "web-v1-service",
                  const std::string& extra_rule = "") {
  return R"(
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web-virtualservice}
spec:
  hosts: )" +
         hosts + R"(
  gateways: [web-gateway]
  http:
  - match: [{uri: {exact: /}}]
    route:
    - destination: {host: web-v1-service, port: {number: 80}}
      weight: )" +
         std::to_string(w1) + R"(
    - destination: {host: web-v2-service, port: {number: 80}}
      weight: )" +
         std::to_string(w2) + R"(
  - match: )" +
         second_match + R"(
    route: [{destination: {host: )" +
         second_host + R"(}}]
    timeout: 2s
)" + extra_rule;
}

// Everything a request can observe of a table, walked through its ports and virtual hosts.
std::string Dump(const RouteTable& t) {
  std::ostringstream out;
  for (const PortRoutes& p : t.ports()) {
    out << "port " << p.port << " catch_all " << p.catch_all << "\n";
    std::map<std::string, uint32_t> exact(p.exact.begin(), p.exact.end());
    for (const auto& [host, vh] : exact) out << " exact " << host << " -> " << vh << "\n";
    for (const auto& [suffix, vh] : p.wildcards) out << " wild " << suffix << " -> " << vh << "\n";
  }
  for (const VirtualHost& vh : t.virtual_hosts()) {
    out << "vhost " << vh.port << " " << vh.domain << " " << vh.gateway << "\n";
    for (uint32_t id : vh.routes) {
      const Route& r = t.route(id);
      out << "  route " << r.id << " " << r.name << " matches " << r.matches.size() << " action "
          << static_cast<int>(r.action) << " timeout " << r.timeout_nanos << " total "
          << r.total_weight << ":";
      for (const WeightedCluster& wc : r.clusters) {
        out << " " << t.clusters()[wc.cluster].name << "=" << wc.weight;
      }
      out << "\n";
    }
  }
  for (const Cluster& c : t.clusters()) {
    out << "cluster " << c.id << " " << c.name << " endpoints " << c.endpoints.size() << "\n";
  }
  return out.str();
}

class PatchTest : public ::testing::Test {
 protected:
  // Loads the shared resources plus `vs`; keeps them alive as the watcher's cache would.
  std::vector<const config::Resource*> Load(const std::string& vs) {
    config::LoadResult loaded;
    config::LoadText(SharedYaml() + "---\n" + vs, "test.yaml", {}, loaded);
    EXPECT_FALSE(loaded.diagnostics.has_errors()) << loaded.diagnostics.ToString();
    sets_.push_back(std::make_unique<std::vector<config::Resource>>(std::move(loaded.resources)));
    std::vector<const config::Resource*> out;
    for (const config::Resource& r : *sets_.back()) out.push_back(&r);
    return out;
  }
  // The resources of the first load, with the web VirtualService replaced in place (the
  // watcher's cache replaces a changed object in its map node).
  const config::Resource* Replace(const std::string& vs) {
    std::vector<const config::Resource*> fresh = Load(vs);
    for (config::Resource& r : *sets_.front()) {
      if (r.kind == config::Kind::kVirtualService && r.name() == "web-virtualservice") {
        for (const config::Resource* f : fresh) {
          if (f->kind == config::Kind::kVirtualService && f->name() == "web-virtualservice") {
            r = *f;
          }
        }
        return &r;
      }
    }
    return nullptr;
  }
  CompileResult Full(const std::vector<const config::Resource*>& resources, uint64_t gen) {
    CompileOptions o;
    o.generation = gen;
    Result<CompileResult> r = Compiler::Compile(resources, o);
    EXPECT_TRUE(r.ok());
    return *r;
  }
  std::string FullDump(const std::string& vs) { return Dump(*Full(Load(vs), 99).table); }

  std::vector<std::unique_ptr<std::vector<config::Resource>>> sets_;
};

TEST_F(PatchTest, AWeightShiftPatchesToWhatAFullCompileGivesAndSharesTheRest) {
  CompileResult first = Full(Load(WebVs(100, 0)), 1);
  const config::Resource* changed = Replace(WebVs(90, 10));
  std::optional<CompileResult> patched = Compiler::Patch(first, {changed}, 2);
  ASSERT_TRUE(patched.has_value());
  EXPECT_EQ(patched->table->generation(), 2u);
  EXPECT_EQ(Dump(*patched->table), FullDump(WebVs(90, 10)));
  EXPECT_NE(Dump(*patched->table), Dump(*first.table)) << "the weights did change";
  EXPECT_EQ(&patched->table->clusters(), &first.table->clusters()) << "clusters shared";
  EXPECT_EQ(&patched->table->virtual_hosts(), &first.table->virtual_hosts());
  EXPECT_EQ(&patched->table->route(0), &first.table->route(0)) << "other VirtualService shared";
  EXPECT_NE(&patched->table->route(2), &first.table->route(2)) << "the changed one is new";
  EXPECT_EQ(Dump(*first.table), FullDump(WebVs(100, 0))) << "the old table is untouched";

  // A patch of a patch, and back.
  changed = Replace(WebVs(0, 100, "[\"*\"]", "[{uri: {prefix: /b/}}]", "web-v2-service"));
  std::optional<CompileResult> again = Compiler::Patch(*patched, {changed}, 3);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(Dump(*again->table),
            FullDump(WebVs(0, 100, "[\"*\"]", "[{uri: {prefix: /b/}}]", "web-v2-service")));
  EXPECT_EQ(Dump(*patched->table), FullDump(WebVs(90, 10)));
}

TEST_F(PatchTest, DeclinesWhatOnlyAFullCompileCanGetRight) {
  struct Case {
    const char* why;
    std::string vs;
  };
  const std::vector<Case> cases = {
      {"other hosts", WebVs(90, 10, "[web.example.com]")},
      {"one more rule", WebVs(90, 10, "[\"*\"]", "[{uri: {prefix: /app/}}]", "web-v1-service",
                              "  - route: [{destination: {host: web-v2-service}}]\n")},
      {"a rule now matches everything", WebVs(90, 10, "[\"*\"]", "[]")},
      {"a destination with no cluster yet",
       WebVs(90, 10, "[\"*\"]", "[{uri: {prefix: /app/}}]", "web-v3-service")},
  };
  for (const Case& c : cases) {
    sets_.clear();
    CompileResult first = Full(Load(WebVs(100, 0)), 1);
    const config::Resource* changed = Replace(c.vs);
    EXPECT_FALSE(Compiler::Patch(first, {changed}, 2).has_value()) << c.why;
  }
  sets_.clear();
  CompileResult first = Full(Load(WebVs(100, 0)), 1);
  for (const config::Resource& r : *sets_.front()) {
    if (r.kind == config::Kind::kService) {
      EXPECT_FALSE(Compiler::Patch(first, {&r}, 2).has_value()) << "not a VirtualService";
      break;
    }
  }
}

// /stats/config's not-served warnings follow a patched VirtualService: a retry back-off added by a
// patch is listed as a full compile lists it, and gone when the patch removes it.
TEST_F(PatchTest, NotServedWarningsFollowThePatchedVirtualService) {
  auto fault_warnings = [](const CompileResult& r) {
    size_t n = 0;
    for (const std::string& w : r.warnings) {
      n += w ==
           "virtualservice default/web-virtualservice: spec.http[1].retries.backoff: retry "
           "back-off (retries.backoff): retries go out at once is not served yet; the field is "
           "accepted and ignored";
    }
    return n;
  };
  std::string with_fault = WebVs(90, 10);
  size_t at = with_fault.find("    timeout: 2s\n");
  ASSERT_NE(at, std::string::npos);
  with_fault.insert(at, "    retries: {attempts: 2, backoff: 25ms}\n");

  CompileResult first = Full(Load(WebVs(90, 10)), 1);
  EXPECT_EQ(fault_warnings(first), 0u);
  std::optional<CompileResult> patched = Compiler::Patch(first, {Replace(with_fault)}, 2);
  ASSERT_TRUE(patched.has_value());
  EXPECT_EQ(fault_warnings(*patched), 1u) << ::testing::PrintToString(patched->warnings);
  EXPECT_EQ(fault_warnings(Full(Load(with_fault), 3)), 1u);
  std::optional<CompileResult> again = Compiler::Patch(*patched, {Replace(WebVs(90, 10))}, 4);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(fault_warnings(*again), 0u) << ::testing::PrintToString(again->warnings);
}

}  // namespace
}  // namespace canaryd::router

#include "api/stored_references.h"

#include <gtest/gtest.h>

#include <random>

#include "api/memory_store_for_test.h"
#include "api/object_service.h"
#include "api/object_validation.h"

namespace canaryd::api {
namespace {

using config::Kind;

json Probe(const std::string& ns) {
  json routes = json::array();
  for (const char* host : {"web", "web.prod", "api", "x.example.com", "api.default"}) {
    for (const char* subset : {"", "v1"}) {
      json d = {{"host", host}, {"port", {{"number", 80}}}};
      if (*subset) d["subset"] = subset;
      routes.push_back({{"destination", d}, {"weight", 1}});
    }
  }
  return {{"apiVersion", "networking.istio.io/v1"},
          {"kind", "VirtualService"},
          {"metadata", {{"name", "probe"}, {"namespace", ns}}},
          {"spec",
           {{"hosts", json::array({"probe.example.com"})},
            {"gateways", json::array({"gw", "prod/gw"})},
            {"http", json::array({json{{"route", routes}}})}}}};
}

std::string Warnings(const std::vector<std::string>& w) {
  std::string out;
  for (const std::string& s : w) out += s + "\n";
  return out;
}

// The warnings of a VirtualService write, analyzed through the index and through a listing.
std::pair<std::string, std::string> Both(StoredReferences& refs, store::Store& store,
                                         const json& vs) {
  const config::KindInfo& k = config::InfoOf(Kind::kVirtualService);
  std::vector<std::string> indexed, listed;
  EXPECT_FALSE(ValidateObject(k, vs, &refs, nullptr, &indexed));
  EXPECT_FALSE(ValidateObject(k, vs, &store, &listed));
  return {Warnings(indexed), Warnings(listed)};
}

// A random stored object of a small pool (or a text that does not decode), written straight to
// the store, as another writer of the store would.
std::pair<store::ObjectKey, std::string> RandomObject(std::mt19937& rng) {
  auto pick = [&](std::initializer_list<const char*> options) {
    return std::string(
        *(options.begin() + std::uniform_int_distribution<size_t>(0, options.size() - 1)(rng)));
  };
  std::string ns = pick({"default", "prod"});
  auto meta = [&](const std::string& name) { return json{{"name", name}, {"namespace", ns}}; };
  json o;
  switch (std::uniform_int_distribution<int>(0, 4)(rng)) {
    case 0: {
      std::string name = pick({"web", "api"});
      int port = pick({"80", "81"}) == "80" ? 80 : 81;
      json ports = json::array({json{{"port", port}}});
      o = {{"apiVersion", "v1"},
           {"kind", "Service"},
           {"metadata", meta(name)},
           {"spec", {{"ports", ports}}}};
      break;
    }
    case 1: {
      std::string name = pick({"ext", "ext2"});
      o = {{"apiVersion", "networking.istio.io/v1"},
           {"kind", "ServiceEntry"},
           {"metadata", meta(name)},
           {"spec",
            {{"hosts", json::array({pick({"*.example.com", "x.example.com", "web.prod",
                                          "api.default.svc.cluster.local"})})},
             {"ports", json::array({json{{"number", 80}, {"name", "http"}}})},
             {"resolution", "NONE"}}}};
      break;
    }
    case 2: {
      std::string name = pick({"r1", "r2"});
      o = {{"apiVersion", "networking.istio.io/v1"},
           {"kind", "DestinationRule"},
           {"metadata", meta(name)},
           {"spec",
            {{"host", pick({"web", "api", "web.prod", "x.example.com", "*.example.com"})},
             {"subsets",
              json::array({json{{"name", pick({"v1", "v2"})}, {"labels", {{"version", "v"}}}}})}}}};
      break;
    }
    case 3: {
      o = {{"apiVersion", "networking.istio.io/v1"},
           {"kind", "Gateway"},
           {"metadata", meta("gw")},
           {"spec",
            {{"servers",
              json::array({json{{"port", {{"number", 80}, {"name", "http"}, {"protocol", "HTTP"}}},
                                {"hosts", json::array({"*"})}}})}}}};
      break;
    }
    default:  // stored by something else, and not a valid object: the analysis leaves it out
      return {{"Service", ns, "web"}, "{not json"};
  }
  return {{o["kind"], ns, o["metadata"]["name"]}, o.dump()};
}

TEST(StoredReferences, AnswersAsAListingDoesAsTheStoreChanges) {
  testing::MemoryStore store;
  StoredReferences refs(store);
  std::mt19937 rng(7);
  const json probes[] = {Probe("default"), Probe("prod")};
  // Some objects before the index is built (the listing), the rest while it watches.
  for (int step = 0; step < 600; ++step) {
    // Several writes between two analyses, some to the same object.
    int writes = std::uniform_int_distribution<int>(1, 4)(rng);
    for (int i = 0; i < writes; ++i) {
      auto [key, value] = RandomObject(rng);
      Result<store::StoredObject> cur = store.Get(key);
      if (cur.ok() && std::uniform_int_distribution<int>(0, 2)(rng) == 0) {
        ASSERT_TRUE(store.Delete(key, 0).ok());
      } else if (cur.ok()) {
        ASSERT_TRUE(store.Update(key, value, 0).ok());
      } else {
        ASSERT_TRUE(store.Create(key, value).ok());
      }
    }
    if (step < 20) continue;
    for (const json& probe : probes) {
      auto [indexed, listed] = Both(refs, store, probe);
      ASSERT_EQ(indexed, listed) << "step " << step;
    }
  }
}

class StoredReferencesServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(service_.EnsureSystemNamespaces().ok());
    ASSERT_TRUE(
        service_
            .Create({&config::InfoOf(Kind::kNamespace), "v1", "", ""},
                    {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "prod"}}}},
                    Opts())
            .ok());
  }
  WriteOptions Opts() {
    WriteOptions o;
    o.field_manager = "test";
    return o;
  }
  Target Svc(const std::string& name, const std::string& ns = "default") {
    return {&config::InfoOf(Kind::kService), "v1", ns, name};
  }
  json Service(const std::string& name, const std::string& ns, int port) {
    return {{"apiVersion", "v1"},
            {"kind", "Service"},
            {"metadata", {{"name", name}, {"namespace", ns}}},
            {"spec", {{"ports", json::array({json{{"port", port}}})}}}};
  }
  // The warnings of writing the probe VirtualService into `ns` (a dry run: nothing stored).
  std::string Warn(const std::string& ns = "default") {
    WriteOptions o = Opts();
    o.dry_run = true;
    auto r = service_.Create({&config::InfoOf(Kind::kVirtualService), "v1", ns, ""}, Probe(ns), o);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? Warnings(r->warnings) : "";
  }

  testing::MemoryStore store_;
  ManualClock clock_;
  ObjectService service_{store_, clock_};
};

TEST_F(StoredReferencesServiceTest, WritesSeeTheServicesWrittenBeforeThem) {
  const std::string no_web = "host \"web\" matches no Service";
  EXPECT_NE(Warn().find(no_web), std::string::npos);  // builds the index
  // Created after the index was built.
  ASSERT_TRUE(service_.Create(Svc(""), Service("web", "default", 80), Opts()).ok());
  EXPECT_EQ(Warn().find(no_web), std::string::npos);
  // Changed: the port the probe names goes away, and comes back.
  json changed = Service("web", "default", 81);
  ASSERT_TRUE(service_.Replace(Svc("web"), changed, Opts()).ok());
  EXPECT_NE(Warn().find("port 80 is not a port of web.default.svc.cluster.local"),
            std::string::npos);
  ASSERT_TRUE(service_.Replace(Svc("web"), Service("web", "default", 80), Opts()).ok());
  EXPECT_EQ(Warn().find("port 80 is not a port of"), std::string::npos);
  // Deleted.
  ASSERT_TRUE(service_.Delete(Svc("web"), {}).ok());
  EXPECT_NE(Warn().find(no_web), std::string::npos);
  // "Moved" to another namespace: it answers for that namespace's short name only.
  ASSERT_TRUE(service_.Create(Svc("", "prod"), Service("web", "prod", 80), Opts()).ok());
  EXPECT_NE(Warn().find(no_web), std::string::npos);
  EXPECT_EQ(Warn().find("host \"web.prod\" matches no Service"), std::string::npos);
  EXPECT_EQ(Warn("prod").find(no_web), std::string::npos);
}

}  // namespace
}  // namespace canaryd::api

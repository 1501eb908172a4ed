// System objects (the gateway's Service) through ObjectService: shown in gets and lists, in
// the store's order and in place of a stored namesake, never written.
#include "api/system_objects.h"

#include <gtest/gtest.h>

#include "api/gateway_service.h"
#include "api/memory_store_for_test.h"
#include "api/object_service.h"

namespace canaryd::api {
namespace {

using config::Kind;

TEST(GatewayService, IsIstiosIngressGatewayFromTheFlags) {
  GatewayServiceOptions o;
  o.listen_host = "10.0.0.5";
  o.port_map = {{80, 8080}, {443, 8443}, {9000, 0}};
  o.labels = {{"istio", "ingressgateway"}};
  json s = GatewayService(o);
  EXPECT_EQ(s["metadata"]["name"], "istio-ingressgateway");
  EXPECT_EQ(s["metadata"]["namespace"], "istio-system");
  EXPECT_EQ(s["metadata"]["labels"], json({{"istio", "ingressgateway"}}));
  EXPECT_EQ(s["spec"]["selector"], json({{"istio", "ingressgateway"}}));
  EXPECT_EQ(s["spec"]["type"], "LoadBalancer");
  EXPECT_EQ(s["spec"]["ports"], json::parse(R"([
    {"name":"http2","protocol":"TCP","port":80,"targetPort":8080,"nodePort":8080},
    {"name":"https","protocol":"TCP","port":443,"targetPort":8443,"nodePort":8443},
    {"name":"http-9000","protocol":"TCP","port":9000,"targetPort":0}])"));
  EXPECT_EQ(s["status"]["loadBalancer"]["ingress"], json::parse(R"([{"ip":"10.0.0.5"}])"));
  o.listen_host = "0.0.0.0";
  EXPECT_EQ(GatewayService(o)["status"]["loadBalancer"]["ingress"],
            json::parse(R"([{"hostname":"localhost"}])"));
}

class SystemObjectsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(service_.EnsureSystemNamespaces().ok());
    // A stored namesake (written before canaryd showed its own) and neighbours on both sides.
    for (const char* name : {"aaa", "istio-ingressgateway", "zzz"}) {
      ASSERT_TRUE(service_.Create(Svc(), Service(name), Opts()).ok()) << name;
    }
    GatewayServiceOptions o;
    o.listen_host = "127.0.0.1";
    o.port_map = {{80, 8080}};
    o.labels = {{"istio", "ingressgateway"}};
    system_.Add(config::InfoOf(Kind::kService), GatewayService(o), "it is canaryd's own", 42);
    service_.SetSystemObjects(&system_);
  }
  static Target Svc(const std::string& name = "", const std::string& ns = "istio-system") {
    return {&config::InfoOf(Kind::kService), "v1", ns, name};
  }
  static json Service(const std::string& name) {
    return {{"apiVersion", "v1"},
            {"kind", "Service"},
            {"metadata", {{"name", name}, {"labels", {{"app", name}}}}},
            {"spec", {{"ports", json::array({{{"port", 80}}})}}}};
  }
  static WriteOptions Opts() {
    WriteOptions o;
    o.field_manager = "test";
    return o;
  }
  static std::vector<std::string> Names(const std::vector<json>& items) {
    std::vector<std::string> out;
    for (const json& i : items) out.push_back(i["metadata"]["name"].get<std::string>());
    return out;
  }

  testing::MemoryStore store_;
  ManualClock clock_;
  ObjectService service_{store_, clock_};
  SystemObjects system_;
};

TEST_F(SystemObjectsTest, ShownInGetsAndListsInPlaceOfAStoredNamesake) {
  ApiResult<json> gw = service_.Get(Svc("istio-ingressgateway"));
  ASSERT_TRUE(gw.ok());
  EXPECT_EQ((*gw)["spec"]["type"], "LoadBalancer");
  EXPECT_EQ((*gw)["metadata"]["resourceVersion"], "42");
  const std::vector<std::string> all = {"aaa", "istio-ingressgateway", "zzz"};
  ApiResult<ListOutcome> list = service_.List(Svc(), {}, {});
  EXPECT_EQ(Names(list->items), all);
  EXPECT_EQ(list->items[1]["spec"]["type"], "LoadBalancer");
  ApiResult<ListOutcome> table = service_.ListForTable(Svc(), {}, {});
  EXPECT_EQ(Names(table->items), all);
  json text = json::parse(*service_.ListText(Svc(), {}, {}));
  EXPECT_EQ(Names(text["items"]), all);
  EXPECT_EQ(text["items"][1]["spec"]["type"], "LoadBalancer");
  // Every namespace lists it; another namespace does not.
  EXPECT_EQ(Names(service_.List(Svc("", ""), {}, {})->items), all);
  EXPECT_TRUE(service_.List(Svc("", "default"), {}, {})->items.empty());
  // Selectors apply to it as to any object.
  EXPECT_EQ(Names(service_.List(Svc(), *LabelSelector::Parse("istio=ingressgateway"), {})->items),
            std::vector<std::string>{"istio-ingressgateway"});
  EXPECT_EQ(Names(service_.List(Svc(), {}, *FieldSelector::Parse("metadata.name!=aaa"))->items),
            (std::vector<std::string>{"istio-ingressgateway", "zzz"}));
  json pinned = json::parse(
      *service_.ListText(Svc(), {}, *FieldSelector::Parse("metadata.name=istio-ingressgateway")));
  EXPECT_EQ(Names(pinned["items"]), std::vector<std::string>{"istio-ingressgateway"});
}

TEST_F(SystemObjectsTest, WritesAreRefusedWithTheReason) {
  const Target gw = Svc("istio-ingressgateway");
  auto forbidden = [](const ApiError& e) {
    EXPECT_EQ(e.code, 403);
    EXPECT_EQ(e.message, "services \"istio-ingressgateway\" is forbidden: it is canaryd's own");
  };
  forbidden(service_.Create(Svc(), Service("istio-ingressgateway"), Opts()).error());
  forbidden(service_.Replace(gw, Service("istio-ingressgateway"), Opts()).error());
  forbidden(service_.Patch(gw, PatchType::kMerge, R"({"metadata":{"labels":{"a":"b"}}})", Opts())
                .error());
  forbidden(service_.Patch(gw, PatchType::kApply, R"({"apiVersion":"v1","kind":"Service"})", Opts())
                .error());
  forbidden(service_.Delete(gw, {}).error());
  // A collection delete takes the others and leaves it.
  ApiResult<ListOutcome> deleted = service_.DeleteCollection(Svc(), {}, {}, false);
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(Names(deleted->items), (std::vector<std::string>{"aaa", "zzz"}));
  EXPECT_EQ(Names(service_.List(Svc(), {}, {})->items),
            std::vector<std::string>{"istio-ingressgateway"});
}

}  // namespace
}  // namespace canaryd::api

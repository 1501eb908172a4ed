#include "api/patch.h"

#include <gtest/gtest.h>

namespace canaryd::api {
namespace {

const config::KindInfo& Vs() {
  return config::InfoOf(config::Kind::kVirtualService);
}

TEST(Patch, ContentTypes) {
  PatchType t;
  EXPECT_TRUE(PatchTypeFromContentType("application/merge-patch+json", &t));
  EXPECT_EQ(t, PatchType::kMerge);
  EXPECT_TRUE(PatchTypeFromContentType("application/json-patch+json; charset=utf-8", &t));
  EXPECT_EQ(t, PatchType::kJson);
  EXPECT_TRUE(PatchTypeFromContentType("application/strategic-merge-patch+json", &t));
  EXPECT_EQ(t, PatchType::kStrategic);
  EXPECT_TRUE(PatchTypeFromContentType("application/apply-patch+yaml", &t));
  EXPECT_EQ(t, PatchType::kApply);
  EXPECT_FALSE(PatchTypeFromContentType("application/json", &t));
}

TEST(Patch, MergePatchReplacesListsAndDeletesNulls) {
  json target = {{"spec", {{"hosts", {"a", "b"}}, {"gateways", {"g"}}}}};
  auto r = ApplyMergePatch(target, {{"spec", {{"hosts", {"c"}}, {"gateways", nullptr}}}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, json({{"spec", {{"hosts", {"c"}}}}}));
}

TEST(Patch, JsonPatchAndResourceVersionTest) {
  json target = {{"metadata", {{"resourceVersion", "5"}}}, {"spec", {{"hosts", {"a"}}}}};
  auto ok = ApplyJsonPatch(target, json::parse(R"([{"op":"test","path":"/metadata/resourceVersion",
                                            "value":"5"},
                                           {"op":"add","path":"/spec/hosts/-","value":"b"}])"),
                           Vs(), "web");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ((*ok)["spec"]["hosts"], json({"a", "b"}));
  auto stale = ApplyJsonPatch(
      target, json::parse(R"([{"op":"test","path":"/metadata/resourceVersion","value":"4"}])"),
      Vs(), "web");
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, 409);
  auto bad = ApplyJsonPatch(target, json::parse(R"([{"op":"remove","path":"/spec/nothing"}])"),
                            Vs(), "web");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, 422);
  EXPECT_FALSE(ApplyJsonPatch(target, json::object(), Vs(), "web").ok());
}

TEST(Patch, StrategicMergeOfServicePortsByKey) {
  json svc = json::parse(R"({"spec":{"ports":[{"name":"http","port":80,"protocol":"TCP"},
                                               {"name":"admin","port":9000}],
                                      "selector":{"app":"web"}}})");
  // Change one port, add one, keep the other: what kubectl apply sends.
  json patch = json::parse(R"({"spec":{"$setElementOrder/ports":[{"port":80},{"port":8080},
                                                                  {"port":9000}],
                                        "ports":[{"port":80,"name":"web"},
                                                 {"port":8080,"name":"alt"}],
                                        "selector":{"version":"v1"}}})");
  auto r = ApplyStrategicMergePatch(svc, patch, config::Kind::kService);
  ASSERT_TRUE(r.ok()) << r.error().message;
  const json& ports = (*r)["spec"]["ports"];
  ASSERT_EQ(ports.size(), 3u);
  EXPECT_EQ(ports[0], json({{"name", "web"}, {"port", 80}, {"protocol", "TCP"}}));
  EXPECT_EQ(ports[1]["port"], 8080);
  EXPECT_EQ(ports[2]["port"], 9000);
  EXPECT_EQ((*r)["spec"]["selector"], json({{"app", "web"}, {"version", "v1"}}));

  json del = json::parse(R"({"spec":{"ports":[{"port":9000,"$patch":"delete"}]}})");
  auto d = ApplyStrategicMergePatch(*r, del, config::Kind::kService);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ((*d)["spec"]["ports"].size(), 2u);

  json replace = json::parse(R"({"spec":{"ports":[{"$patch":"replace"},{"port":1}]}})");
  auto rep = ApplyStrategicMergePatch(*d, replace, config::Kind::kService);
  ASSERT_TRUE(rep.ok());
  EXPECT_EQ((*rep)["spec"]["ports"], json::parse(R"([{"port":1}])"));
}

TEST(Patch, StrategicDirectives) {
  json obj = json::parse(R"({"metadata":{"finalizers":["a","b"]},"spec":{"a":1,"b":2,"c":3}})");
  json patch = json::parse(R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["a"]},
                               "spec":{"$retainKeys":["a","d"],"d":4}})");
  auto r = ApplyStrategicMergePatch(obj, patch, config::Kind::kService);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)["metadata"]["finalizers"], json({"b"}));
  EXPECT_EQ((*r)["spec"], json({{"a", 1}, {"d", 4}}));
  // Lists without a merge key are replaced.
  json lists = json::parse(R"({"spec":{"externalIPs":["1.1.1.1"]}})");
  auto l = ApplyStrategicMergePatch(lists, json::parse(R"({"spec":{"externalIPs":["2.2.2.2"]}})"),
                                    config::Kind::kService);
  EXPECT_EQ((*l)["spec"]["externalIPs"], json({"2.2.2.2"}));
  EXPECT_FALSE(ApplyStrategicMergePatch(obj, json::parse(R"({"spec":{"$patch":"bogus"}})"),
                                        config::Kind::kService)
                   .ok());
  EXPECT_FALSE(ApplyStrategicMergePatch(obj, json::array(), config::Kind::kService).ok());
}

}  // namespace
}  // namespace canaryd::api

#include "api/access_review.h"

#include <gtest/gtest.h>

#include "api/gateway_service.h"
#include "api/memory_store_for_test.h"

namespace canaryd::api {
namespace {

using config::Kind;

class AccessReviewTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(service_.EnsureSystemNamespaces().ok());
    GatewayServiceOptions o;
    o.listen_host = "127.0.0.1";
    o.port_map = {{80, 8080}};
    o.labels = {{"istio", "ingressgateway"}};
    system_.Add(config::InfoOf(Kind::kService), GatewayService(o), "it is canaryd's own", 1);
    service_.SetSystemObjects(&system_);
  }

  json Can(const std::string& verb, const std::string& group, const std::string& resource,
           const std::string& name = "", const std::string& ns = "default",
           const std::string& sub = "") {
    json review = {{"apiVersion", "authorization.k8s.io/v1"},
                   {"kind", "SelfSubjectAccessReview"},
                   {"spec",
                    {{"resourceAttributes",
                      {{"verb", verb},
                       {"group", group},
                       {"resource", resource},
                       {"name", name},
                       {"namespace", ns},
                       {"subresource", sub}}}}}};
    ApiResult<json> r = ReviewAccess(review, policy_, service_);
    EXPECT_TRUE(r.ok());
    return r.ok() ? (*r)["status"] : json();
  }

  testing::MemoryStore store_;
  ManualClock clock_;
  ObjectService service_{store_, clock_};
  SystemObjects system_;
  AccessPolicy policy_{.token_required = true};
};

TEST_F(AccessReviewTest, WhatCanarydServesIsAllowed) {
  json yes = Can("create", "networking.istio.io", "virtualservices");
  EXPECT_EQ(yes["allowed"], true);
  EXPECT_EQ(yes["reason"], "canaryd: the admin bearer token grants everything canaryd serves");
  EXPECT_EQ(Can("delete", "", "namespaces", "prod")["allowed"], true);
  EXPECT_EQ(Can("list", "", "pods")["allowed"], true);
  EXPECT_EQ(Can("watch", "events.k8s.io", "events")["allowed"], true);
  EXPECT_EQ(Can("get", "", "services", "web", "default", "status")["allowed"], true);
  EXPECT_EQ(Can("create", "authorization.k8s.io", "selfsubjectaccessreviews")["allowed"], true);
  EXPECT_EQ(Can("update", "", "services", "other", "istio-system")["allowed"], true);
  policy_.token_required = false;
  EXPECT_NE(Can("get", "", "secrets")["reason"].get<std::string>().find("loopback"),
            std::string::npos);
}

TEST_F(AccessReviewTest, WhatTheServerRefusesWhoeverAsksIsDeniedWithTheReason) {
  auto reason = [&](json s) {
    EXPECT_EQ(s["allowed"], false);
    return s.value("reason", "");
  };
  EXPECT_EQ(reason(Can("delete", "", "namespaces", "default")),
            "namespaces \"default\" may not be deleted: canaryd keeps it");
  EXPECT_EQ(reason(Can("delete", "", "namespaces", "istio-system")).find("may not be deleted"),
            26u);
  EXPECT_EQ(reason(Can("create", "apps", "statefulsets"))
                .rfind("statefulsets.apps are not served: canaryd runs Deployments", 0),
            0u);
  EXPECT_EQ(reason(Can("patch", "", "services", kGatewayServiceName, "istio-system")),
            "services \"istio-ingressgateway\" may not be written: it is canaryd's own");
  EXPECT_EQ(reason(Can("deletecollection", "", "namespaces")),
            "canaryd does not serve deletecollection on namespaces");
  EXPECT_EQ(reason(Can("get", "", "selfsubjectaccessreviews")),
            "canaryd does not serve selfsubjectaccessreviews");  // wrong group
  EXPECT_EQ(reason(Can("list", "authorization.k8s.io", "selfsubjectrulesreviews")),
            "canaryd does not serve list on selfsubjectrulesreviews.authorization.k8s.io");
  EXPECT_EQ(reason(Can("create", "example.com", "widgets")),
            "canaryd does not serve widgets.example.com");
  EXPECT_EQ(Can("update", "", "services", "web", "default", "status")["allowed"], true);
  EXPECT_EQ(
      Can("patch", "networking.istio.io", "virtualservices", "web", "default", "status")["allowed"],
      true);
  EXPECT_EQ(reason(Can("delete", "", "services", "web", "default", "status")),
            "canaryd does not serve delete on the status subresource");
  EXPECT_EQ(reason(Can("update", "", "configmaps", "web", "default", "status")),
            "configmaps have no status subresource");
  EXPECT_EQ(reason(Can("*", "", "namespaces")),
            "canaryd does not serve deletecollection on namespaces");
  json escalate = {{"spec", {{"nonResourceAttributes", {{"verb", "post"}, {"path", "/x"}}}}}};
  EXPECT_EQ(ReviewAccess(escalate, policy_, service_)->at("status")["allowed"], false);
  json stats = {{"spec", {{"nonResourceAttributes", {{"verb", "get"}, {"path", "/metrics"}}}}}};
  EXPECT_EQ(ReviewAccess(stats, policy_, service_)->at("status")["allowed"], true);
  EXPECT_EQ(ReviewAccess(json{{"spec", json::object()}}, policy_, service_).error().code, 422);
}

TEST_F(AccessReviewTest, RulesListWhatIsServedAndNamesTheExceptions) {
  WriteOptions o;
  o.field_manager = "test";
  ASSERT_TRUE(service_
                  .Create({&config::InfoOf(Kind::kNamespace), "v1", "", ""},
                          {{"metadata", {{"name", "prod"}}}}, o)
                  .ok());
  json review = {{"spec", {{"namespace", "istio-system"}}}};
  ApiResult<json> r = ReviewRules(review, policy_, service_);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)["kind"], "SelfSubjectRulesReview");
  const json& status = (*r)["status"];
  EXPECT_EQ(status["incomplete"], false);
  auto find = [&](const std::string& group, const std::string& resource) {
    json found = json::array();
    for (const json& rule : status["resourceRules"]) {
      if (rule["apiGroups"][0] != group) continue;
      for (const json& res : rule["resources"]) {
        if (res == resource) found.push_back(rule);
      }
    }
    return found;
  };
  json vs = find("networking.istio.io", "virtualservices");
  ASSERT_EQ(vs.size(), 1u);
  EXPECT_EQ(vs[0]["verbs"], json({"create", "delete", "deletecollection", "get", "list", "patch",
                                  "update", "watch"}));
  EXPECT_EQ(find("apps", "statefulsets")[0]["verbs"], json({"get", "list", "watch"}));
  EXPECT_EQ(find("", "pods")[0]["verbs"], json({"create", "delete", "deletecollection", "get",
                                                "list", "patch", "update", "watch"}));
  json ns = find("", "namespaces");
  ASSERT_EQ(ns.size(), 2u);
  EXPECT_EQ(ns[0]["verbs"], json({"create", "get", "list", "patch", "update", "watch"}));
  EXPECT_EQ(ns[1]["verbs"], json({"delete"}));
  EXPECT_EQ(ns[1]["resourceNames"], json({"prod"}));
  // In istio-system, Services may be written by name, and the gateway's name is not one.
  json svc = find("", "services");
  ASSERT_EQ(svc.size(), 1u);
  EXPECT_EQ(svc[0]["verbs"], json({"create", "deletecollection", "get", "list", "watch"}));
  EXPECT_EQ(status["nonResourceRules"][0]["nonResourceURLs"], json({"*"}));
}

}  // namespace
}  // namespace canaryd::api

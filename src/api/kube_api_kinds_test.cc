// The REST mapping of the kinds beyond the routing configuration: refused kinds (in discovery,
// writes refused with the reason, table lists explained), Event in two groups, reviews.
#include <gtest/gtest.h>

#include "api/kube_api.h"
#include "api/memory_store_for_test.h"

namespace canaryd::api {
namespace {

class KubeApiKindsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(service_.EnsureSystemNamespaces().ok()); }

  HttpResponse Call(const std::string& method, const std::string& target,
                    const std::string& body = "", std::vector<HttpHeader> headers = {}) {
    HttpRequest req;
    req.method = method;
    EXPECT_TRUE(req.SetTarget(target));
    req.body = body;
    req.headers = std::move(headers);
    bool typed = false;
    for (const HttpHeader& h : req.headers) typed |= EqualsIgnoreCase(h.name, "content-type");
    if (!body.empty() && !typed) req.headers.push_back({"content-type", "application/json"});
    return api_.Handle(req);
  }
  static json Body(const HttpResponse& r) { return json::parse(r.body); }
  static std::vector<std::string> Warnings(const HttpResponse& r) {
    std::vector<std::string> out;
    for (const HttpHeader& h : r.headers) {
      if (EqualsIgnoreCase(h.name, "warning")) out.push_back(h.value);
    }
    return out;
  }

  testing::MemoryStore store_;
  ManualClock clock_;
  ObjectService service_{store_, clock_};
  KubeApi api_{service_, "127.0.0.1:15000"};
};

constexpr const char* kTable = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";

TEST_F(KubeApiKindsTest, RefusedKindsAreInDiscoveryAndExplainThemselves) {
  json apps = Body(Call("GET", "/apis/apps/v1"));
  std::vector<std::string> app_names;
  for (const json& r : apps["resources"]) app_names.push_back(r["name"]);
  EXPECT_EQ(app_names,
            (std::vector<std::string>{"deployments", "deployments/status", "replicasets",
                                      "replicasets/status", "statefulsets", "daemonsets"}));
  EXPECT_EQ(apps["resources"][0]["shortNames"], json({"deploy"}));
  EXPECT_EQ(apps["resources"][4]["verbs"], json({"get", "list", "watch"}));
  json core = Body(Call("GET", "/api/v1"));
  std::vector<std::string> names;
  for (const json& r : core["resources"]) names.push_back(r["name"]);
  for (const char* want :
       {"configmaps", "secrets", "events", "pods", "endpoints", "persistentvolumes"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;
  }

  HttpResponse create = Call("POST", "/apis/apps/v1/namespaces/default/statefulsets",
                             R"({"apiVersion":"apps/v1","kind":"StatefulSet",
                                 "metadata":{"name":"web-v1"},"spec":{}})");
  EXPECT_EQ(create.status, 405);
  json status = Body(create);
  EXPECT_EQ(status["reason"], "MethodNotAllowed");
  EXPECT_EQ(status["message"].get<std::string>().rfind(
                "statefulsets.apps \"web-v1\" is not served: canaryd runs Deployments", 0),
            0u);
  EXPECT_EQ(status["details"]["kind"], "statefulsets");
  // Whatever the body: a protobuf one too.
  HttpResponse pb =
      Call("POST", "/apis/apps/v1/namespaces/default/statefulsets", std::string("k8s\0\x0a\x00", 6),
           {{"content-type", "application/vnd.kubernetes.protobuf"}});
  EXPECT_EQ(pb.status, 405);
  EXPECT_EQ(Body(pb)["message"].get<std::string>().rfind("statefulsets.apps are not served", 0),
            0u);
  EXPECT_EQ(Call("PATCH", "/apis/apps/v1/namespaces/default/statefulsets/web-v1", "{}",
                 {{"content-type", "application/merge-patch+json"}})
                .status,
            405);
  EXPECT_EQ(Call("GET", "/apis/apps/v1/namespaces/default/statefulsets/web-v1").status, 404);

  HttpResponse table =
      Call("GET", "/apis/apps/v1/namespaces/default/statefulsets", "", {{"accept", kTable}});
  EXPECT_EQ(table.status, 200);
  EXPECT_TRUE(Body(table)["rows"].empty());
  ASSERT_EQ(Warnings(table).size(), 1u);
  EXPECT_EQ(Warnings(table)[0].rfind(
                "299 - \"statefulsets.apps are not served: canaryd runs Deployments", 0),
            0u);
  HttpResponse list = Call("GET", "/apis/apps/v1/statefulsets");
  EXPECT_EQ(list.status, 200);
  EXPECT_TRUE(Body(list)["items"].empty());
  EXPECT_TRUE(Warnings(list).empty());  // programs (kubectl apply --prune) are not told
}

TEST_F(KubeApiKindsTest, EventsInBothGroupsAreOneStore) {
  HttpResponse created = Call("POST", "/apis/events.k8s.io/v1/namespaces/default/events",
                              R"({"apiVersion":"events.k8s.io/v1","kind":"Event",
      "metadata":{"name":"e"},"eventTime":"2026-01-01T00:00:00.000000Z",
      "reportingController":"canaryd.io/rollout","reportingInstance":"i","action":"Promote",
      "reason":"Promoted","note":"done","type":"Normal",
      "regarding":{"kind":"VirtualService","name":"web","namespace":"default"}})");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(Body(created)["note"], "done");
  json core = Body(Call("GET", "/api/v1/namespaces/default/events/e"));
  EXPECT_EQ(core["apiVersion"], "v1");
  EXPECT_EQ(core["message"], "done");
  EXPECT_EQ(core["involvedObject"]["name"], "web");
  EXPECT_EQ(core["reportingComponent"], "canaryd.io/rollout");
  json selected = Body(Call("GET",
                            "/api/v1/namespaces/default/events?fieldSelector=involvedObject.kind"
                            "%3DVirtualService%2CinvolvedObject.name%3Dweb"));
  EXPECT_EQ(selected["items"].size(), 1u);
  json none = Body(Call("GET", "/api/v1/events?fieldSelector=involvedObject.name%3Dother"));
  EXPECT_TRUE(none["items"].empty());
  EXPECT_EQ(Call("GET", "/api/v1/events?fieldSelector=spec.x%3Dy").status, 400);
  json v1 = Body(Call("GET", "/apis/events.k8s.io/v1/events"));
  EXPECT_EQ(v1["items"][0]["regarding"]["kind"], "VirtualService");
  EXPECT_FALSE(v1["items"][0].contains("involvedObject"));
  // events.k8s.io/v1's stricter create, and its own field names only.
  HttpResponse legacy = Call("POST", "/apis/events.k8s.io/v1/namespaces/default/events",
                             R"({"metadata":{"name":"x"},"type":"Normal"})");
  EXPECT_EQ(legacy.status, 422);
  EXPECT_NE(legacy.body.find("eventTime: Required value"), std::string::npos) << legacy.body;
  // Errors name events.k8s.io/v1's fields.
  HttpResponse unnamed = Call("POST", "/apis/events.k8s.io/v1/namespaces/default/events",
                              R"({"metadata":{"name":"x"},"type":"Normal","reason":"R",
      "eventTime":"2026-01-01T00:00:00Z","action":"A","reportingInstance":"i"})");
  EXPECT_EQ(unnamed.status, 422);
  EXPECT_EQ(Body(unnamed)["message"],
            "Event.events.k8s.io \"x\" is invalid: reportingController: Required value");
  HttpResponse mixed = Call("POST", "/apis/events.k8s.io/v1/namespaces/default/events",
                            R"({"metadata":{"name":"x"},"message":"core's name"})");
  EXPECT_EQ(mixed.status, 422);
  EXPECT_NE(mixed.body.find("unknown field \\\"message\\\""), std::string::npos) << mixed.body;
}

TEST_F(KubeApiKindsTest, ReviewsAreCreatedAndAnsweredOnly) {
  HttpResponse r = Call("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                        R"({"apiVersion":"authorization.k8s.io/v1",
                            "kind":"SelfSubjectAccessReview",
                            "spec":{"resourceAttributes":{"verb":"delete",
                                    "resource":"namespaces","name":"default"}}})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(Body(r)["status"]["allowed"], false);
  EXPECT_EQ(Call("GET", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews").status, 405);
  EXPECT_EQ(Call("POST", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
                 R"({"kind":"SelfSubjectAccessReview"})")
                .status,
            400);
  EXPECT_EQ(Body(Call("POST", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
                      R"({"spec":{"namespace":"default"}})"))["status"]["incomplete"],
            false);
}

}  // namespace
}  // namespace canaryd::api

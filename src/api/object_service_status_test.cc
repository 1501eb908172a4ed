// The status subresource: ObjectService's entry points (GetStatus, UpdateStatus, PatchStatus,
// ReplaceStatus, MergeStatus), what writes to the object do with a status, and the HTTP routes,
// discovery and OpenAPI paths of <plural>/status.
#include <gtest/gtest.h>

#include <map>

#include "api/kube_api.h"
#include "api/memory_store_for_test.h"
#include "api/object_service.h"

namespace canaryd::api {
namespace {

using config::Kind;

constexpr const char* kVs = R"({"apiVersion":"networking.istio.io/v1","kind":"VirtualService",
  "metadata":{"name":"web","labels":{"app":"web"}},
  "spec":{"hosts":["*"],"gateways":["web-gateway"],
          "http":[{"route":[{"destination":{"host":"web-v1-service"}}]}]},
  "status":{"observedGeneration":7}})";

class StatusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(service_.EnsureSystemNamespaces().ok());
    auto c = service_.Create(Vs(), json::parse(kVs), Opts("kubectl"));
    ASSERT_TRUE(c.ok()) << c.error().message;
    created_ = c->object;
  }

  Target Vs(const std::string& name = "") {
    return {&config::InfoOf(Kind::kVirtualService), "v1", "default", name};
  }
  WriteOptions Opts(const std::string& manager) {
    WriteOptions o;
    o.field_manager = manager;
    return o;
  }
  json Stored() { return *service_.Get(Vs("web")); }
  std::string Rv(const json& obj) { return obj["metadata"]["resourceVersion"]; }
  // The managedFields entry of `manager` for `subresource`, or null.
  static json Entry(const json& obj, const std::string& manager,
                    const std::string& subresource = "") {
    for (const json& e : obj["metadata"].value("managedFields", json::array())) {
      if (e["manager"] == manager && e.value("subresource", "") == subresource) return e;
    }
    return nullptr;
  }

  testing::MemoryStore store_;
  ManualClock clock_;
  ObjectService service_{store_, clock_};
  json created_;
};

TEST_F(StatusTest, CreateDropsTheStatus) {
  EXPECT_FALSE(created_.contains("status"));
  EXPECT_FALSE(Stored().contains("status"));
  // Through server-side apply too.
  json other = json::parse(kVs);
  other["metadata"]["name"] = "api";
  auto applied = service_.Patch(Vs("api"), PatchType::kApply, other.dump(), Opts("kubectl"));
  ASSERT_TRUE(applied.ok()) << applied.error().message;
  EXPECT_FALSE(applied->object.contains("status"));
  // A Service's create keeps only what kube-apiserver sets itself.
  json svc = {{"apiVersion", "v1"},
              {"kind", "Service"},
              {"metadata", {{"name", "web"}}},
              {"spec", {{"ports", {{{"port", 80}}}}}},
              {"status", {{"loadBalancer", {{"ingress", {{{"ip", "1.2.3.4"}}}}}}}}};
  auto s =
      service_.Create({&config::InfoOf(Kind::kService), "v1", "default", ""}, svc, Opts("kubectl"));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->object["status"], json({{"loadBalancer", json::object()}}));
}

TEST_F(StatusTest, WritesToTheObjectKeepTheStatus) {
  auto st = service_.ReplaceStatus(Vs("web"), {{"phase", "Progressing"}}, "", Opts("ctrl"));
  ASSERT_TRUE(st.ok()) << st.error().message;
  // PUT with another status and a new spec: the spec changes, the status stays.
  json put = Stored();
  put["spec"]["hosts"] = {"a.com"};
  put["status"] = {{"phase", "Hijacked"}};
  auto replaced = service_.Replace(Vs("web"), put, Opts("kubectl"));
  ASSERT_TRUE(replaced.ok()) << replaced.error().message;
  EXPECT_EQ(replaced->object["spec"]["hosts"], json({"a.com"}));
  EXPECT_EQ(replaced->object["status"], json({{"phase", "Progressing"}}));
  // A patch that removes the status, and one that only touches it: no-ops.
  for (const char* patch : {R"({"status":null})", R"({"status":{"phase":"X"}})"}) {
    auto p = service_.Patch(Vs("web"), PatchType::kMerge, patch, Opts("kubectl"));
    ASSERT_TRUE(p.ok()) << p.error().message;
    EXPECT_FALSE(p->changed) << patch;
  }
  // Server-side apply of a manifest with a status: its manager owns no status field.
  json applied = json::parse(kVs);
  applied["status"] = {{"phase", "Done"}};
  WriteOptions force = Opts("applier");
  force.force = true;  // takes the hosts from kubectl's PUT
  auto a = service_.Patch(Vs("web"), PatchType::kApply, applied.dump(), force);
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->object["status"], json({{"phase", "Progressing"}}));
  json entry = Entry(a->object, "applier");
  ASSERT_TRUE(entry.is_object());
  EXPECT_FALSE(entry["fieldsV1"].contains("f:status"));
  EXPECT_TRUE(entry["fieldsV1"].contains("f:spec"));
}

TEST_F(StatusTest, StatusWritesKeepSpecMetadataAndGeneration) {
  json body = Stored();
  body["spec"]["hosts"] = {"evil.com"};
  body["metadata"]["labels"]["app"] = "changed";
  body["metadata"]["annotations"] = {{"a", "b"}};
  body["status"] = {{"phase", "Progressing"}, {"observedGeneration", 1}};
  auto put = service_.UpdateStatus(Vs("web"), body, Opts("ctrl"));
  ASSERT_TRUE(put.ok()) << put.error().message;
  EXPECT_TRUE(put->changed);
  EXPECT_EQ(put->object["spec"], created_["spec"]);
  EXPECT_EQ(put->object["metadata"]["labels"], created_["metadata"]["labels"]);
  EXPECT_FALSE(put->object["metadata"].contains("annotations"));
  EXPECT_EQ(put->object["metadata"]["generation"], 1);
  EXPECT_EQ(put->object["status"]["phase"], "Progressing");
  EXPECT_EQ(Stored()["status"]["phase"], "Progressing");

  // A merge patch sends only what the controller owns; the rest of the status stays.
  auto merged = service_.MergeStatus(Vs("web"), {{"phase", "Succeeded"}}, Opts("ctrl"));
  ASSERT_TRUE(merged.ok()) << merged.error().message;
  EXPECT_EQ(merged->object["status"], json({{"phase", "Succeeded"}, {"observedGeneration", 1}}));
  EXPECT_EQ(merged->object["metadata"]["generation"], 1);
  auto again = service_.MergeStatus(Vs("web"), {{"phase", "Succeeded"}}, Opts("ctrl"));
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->changed);
  // A JSON patch of the spec through /status changes nothing.
  auto json_patch =
      service_.PatchStatus(Vs("web"), PatchType::kJson,
                           R"([{"op":"replace","path":"/spec/hosts/0","value":"x"}])", Opts("c"));
  ASSERT_TRUE(json_patch.ok()) << json_patch.error().message;
  EXPECT_FALSE(json_patch->changed);
  // null removes the status.
  auto removed = service_.ReplaceStatus(Vs("web"), nullptr, "", Opts("ctrl"));
  ASSERT_TRUE(removed.ok());
  EXPECT_FALSE(Stored().contains("status"));
}

TEST_F(StatusTest, BuiltInKindsStatusWritesMayChangeLabels) {
  const Target svc{&config::InfoOf(Kind::kService), "v1", "default", "web"};
  json s = {{"apiVersion", "v1"},
            {"kind", "Service"},
            {"metadata", {{"name", "web"}}},
            {"spec", {{"ports", {{{"port", 80}}}}}}};
  ASSERT_TRUE(service_.Create({svc.kind, "v1", "default", ""}, s, Opts("kubectl")).ok());
  auto p = service_.PatchStatus(svc, PatchType::kStrategic,
                                R"({"metadata":{"labels":{"lb":"yes"}},"spec":{"type":"NodePort"},
          "status":{"loadBalancer":{"ingress":[{"ip":"10.0.0.1"}]}}})",
                                Opts("lb-controller"));
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->object["metadata"]["labels"]["lb"], "yes");
  EXPECT_EQ(p->object["spec"]["type"], "ClusterIP");
  EXPECT_EQ(p->object["status"]["loadBalancer"]["ingress"][0]["ip"], "10.0.0.1");
  EXPECT_EQ(p->object["metadata"]["generation"], 1);
}

TEST_F(StatusTest, StaleResourceVersionsConflict) {
  const std::string old_rv = Rv(created_);
  ASSERT_TRUE(service_.MergeStatus(Vs("web"), {{"phase", "A"}}, Opts("ctrl")).ok());
  auto replace = service_.ReplaceStatus(Vs("web"), {{"phase", "B"}}, old_rv, Opts("ctrl"));
  ASSERT_FALSE(replace.ok());
  EXPECT_EQ(replace.error().code, 409);
  EXPECT_EQ(replace.error().reason, "Conflict");
  json body = created_;  // carries the old resourceVersion
  body["status"] = {{"phase", "B"}};
  auto put = service_.UpdateStatus(Vs("web"), body, Opts("ctrl"));
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.error().code, 409);
  auto patch = service_.PatchStatus(
      Vs("web"), PatchType::kMerge,
      R"({"metadata":{"resourceVersion":")" + old_rv + R"("},"status":{"phase":"B"}})",
      Opts("ctrl"));
  ASSERT_FALSE(patch.ok());
  EXPECT_EQ(patch.error().code, 409);
  EXPECT_EQ(Stored()["status"]["phase"], "A");
  // At the current version, it is written.
  auto fresh = service_.ReplaceStatus(Vs("web"), {{"phase", "B"}}, Rv(Stored()), Opts("ctrl"));
  ASSERT_TRUE(fresh.ok()) << fresh.error().message;
  EXPECT_EQ(Stored()["status"]["phase"], "B");
}

TEST_F(StatusTest, KindsWithoutTheSubresourceAnswerNotFound) {
  const Target cm{&config::InfoOf(Kind::kConfigMap), "v1", "default", "settings"};
  json obj = {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "settings"}}}};
  ASSERT_TRUE(service_.Create({cm.kind, "v1", "default", ""}, obj, Opts("kubectl")).ok());
  auto r = service_.ReplaceStatus(cm, {{"x", 1}}, "", Opts("ctrl"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, 404);
  EXPECT_EQ(r.error().reason, "NotFound");
  EXPECT_EQ(service_.PatchStatus(cm, PatchType::kMerge, R"({"status":{}})", Opts("c")).error().code,
            404);
  EXPECT_EQ(service_.GetStatus(cm).error().code, 404);
  // Such a kind's status is an ordinary field: a ConfigMap has none, so it is unknown.
  json with_status = obj;
  with_status["metadata"]["name"] = "other";
  with_status["status"] = {{"x", 1}};
  auto unknown = service_.Create({cm.kind, "v1", "default", ""}, with_status, Opts("kubectl"));
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, 422) << unknown.error().message;
  EXPECT_TRUE(service_.GetStatus(Vs("web")).ok());
  // A status write never creates the object.
  EXPECT_EQ(service_.MergeStatus(Vs("nope"), {{"phase", "A"}}, Opts("c")).error().code, 404);
  json nope = json::parse(kVs);
  nope["metadata"]["name"] = "nope";
  EXPECT_EQ(
      service_.PatchStatus(Vs("nope"), PatchType::kApply, nope.dump(), Opts("c")).error().code,
      404);
}

TEST_F(StatusTest, DryRunStoresNothing) {
  WriteOptions dry = Opts("ctrl");
  dry.dry_run = true;
  int64_t rev = store_.CurrentRevision();
  auto r = service_.MergeStatus(Vs("web"), {{"phase", "A"}}, dry);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->object["status"]["phase"], "A");
  EXPECT_EQ(store_.CurrentRevision(), rev);
  EXPECT_FALSE(Stored().contains("status"));
}

TEST_F(StatusTest, ManagedFieldsRecordTheSubresource) {
  ASSERT_TRUE(service_.MergeStatus(Vs("web"), {{"phase", "A"}}, Opts("ctrl")).ok());
  json obj = Stored();
  json entry = Entry(obj, "ctrl", "status");
  ASSERT_TRUE(entry.is_object()) << obj["metadata"]["managedFields"].dump();
  EXPECT_EQ(entry["operation"], "Update");
  EXPECT_EQ(entry["fieldsV1"],
            json({{"f:status", {{".", json::object()}, {"f:phase", json::object()}}}}));
  EXPECT_TRUE(Entry(obj, "ctrl").is_null());  // no entry for the object itself
  EXPECT_FALSE(Entry(obj, "kubectl")["fieldsV1"].contains("f:status"));

  // Server-side apply of the status: its own entry; it conflicts with ctrl's field.
  const std::string applied = R"({"apiVersion":"networking.istio.io/v1","kind":"VirtualService",
    "metadata":{"name":"web"},"spec":{"hosts":["ignored"]},"status":{"phase":"B","ready":true}})";
  auto conflict = service_.PatchStatus(Vs("web"), PatchType::kApply, applied, Opts("rollout"));
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.error().code, 409);
  ASSERT_EQ(conflict.error().causes.size(), 1u);
  EXPECT_EQ(conflict.error().causes[0].field, ".status.phase");
  WriteOptions force = Opts("rollout");
  force.force = true;
  auto a = service_.PatchStatus(Vs("web"), PatchType::kApply, applied, force);
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->object["spec"]["hosts"], json({"*"}));
  EXPECT_EQ(a->object["status"], json({{"phase", "B"}, {"ready", true}}));
  json mine = Entry(a->object, "rollout", "status");
  ASSERT_TRUE(mine.is_object());
  EXPECT_EQ(mine["operation"], "Apply");
  EXPECT_FALSE(mine["fieldsV1"].contains("f:spec"));
  EXPECT_TRUE(mine["fieldsV1"]["f:status"].contains("f:ready"));
  json ctrl = Entry(a->object, "ctrl", "status");  // lost the phase
  EXPECT_TRUE(ctrl.is_null() || !ctrl["fieldsV1"]["f:status"].contains("f:phase")) << ctrl.dump();
  // Applying again without a field removes it, as apply does.
  auto less = service_.PatchStatus(
      Vs("web"), PatchType::kApply,
      R"({"apiVersion":"networking.istio.io/v1","kind":"VirtualService","metadata":{"name":"web"},
          "status":{"phase":"B"}})",
      Opts("rollout"));
  ASSERT_TRUE(less.ok()) << less.error().message;
  EXPECT_EQ(less->object["status"], json({{"phase", "B"}}));
  // A person's apply of the spec does not conflict with the status' managers.
  json spec = json::parse(kVs);
  spec["metadata"]["labels"]["tier"] = "front";
  auto person = service_.Patch(Vs("web"), PatchType::kApply, spec.dump(), Opts("kubectl"));
  ASSERT_TRUE(person.ok()) << person.error().message;
  EXPECT_EQ(person->object["status"], json({{"phase", "B"}}));
}

TEST_F(StatusTest, NamespacePhaseFollowsDeletion) {
  const Target ns{&config::InfoOf(Kind::kNamespace), "v1", "", "default"};
  auto bad = service_.MergeStatus(ns, {{"phase", "Terminating"}}, Opts("c"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, 422);
  EXPECT_NE(bad.error().message.find("may only be 'Active'"), std::string::npos)
      << bad.error().message;
  auto ok = service_.MergeStatus(ns, {{"conditions", json::array()}}, Opts("c"));
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->object["status"]["phase"], "Active");
}

class StatusHttpTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(service_.EnsureSystemNamespaces().ok()); }

  HttpResponse Call(const std::string& method, const std::string& target,
                    const std::string& body = "",
                    const std::string& content_type = "application/json") {
    HttpRequest req;
    req.method = method;
    EXPECT_TRUE(req.SetTarget(target));
    req.body = body;
    if (!body.empty()) req.headers.push_back({"content-type", content_type});
    return api_.Handle(req);
  }
  json Body(const HttpResponse& r) { return json::parse(r.body); }

  testing::MemoryStore store_;
  ManualClock clock_;
  ObjectService service_{store_, clock_};
  KubeApi api_{service_, "127.0.0.1:15000"};
};

TEST_F(StatusHttpTest, RoutesDiscoveryAndOpenApi) {
  const std::string vs = "/apis/networking.istio.io/v1/namespaces/default/virtualservices";
  ASSERT_EQ(Call("POST", vs + "?fieldManager=kubectl", kVs).status, 201);
  HttpResponse patched = Call("PATCH", vs + "/web/status?fieldManager=ctrl",
                              R"({"status":{"phase":"A"}})", "application/merge-patch+json");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(Body(patched)["status"]["phase"], "A");
  HttpResponse got = Call("GET", vs + "/web/status");
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(Body(got)["status"]["phase"], "A");
  json put = Body(got);
  put["status"]["phase"] = "B";
  put["spec"]["hosts"] = {"x"};
  HttpResponse replaced = Call("PUT", vs + "/web/status", put.dump());
  ASSERT_EQ(replaced.status, 200) << replaced.body;
  EXPECT_EQ(Body(replaced)["status"]["phase"], "B");
  EXPECT_EQ(Body(replaced)["spec"]["hosts"], json({"*"}));
  EXPECT_EQ(Call("PUT", vs + "/web/status", put.dump()).status, 409);  // stale resourceVersion
  EXPECT_EQ(Call("DELETE", vs + "/web/status").status, 405);
  EXPECT_EQ(Call("POST", vs + "/web/status", kVs).status, 405);
  EXPECT_EQ(Call("GET", vs + "/web/scale").status, 404);
  EXPECT_EQ(Call("GET", "/api/v1/namespaces/default/configmaps/x/status").status, 404);
  EXPECT_EQ(Call("PATCH", "/api/v1/namespaces/default/configmaps/x/status", "{}",
                 "application/merge-patch+json")
                .status,
            404);
  EXPECT_EQ(Call("GET", "/api/v1/namespaces/default/status").status, 200);

  // Discovery, both forms: <plural>/status with get, patch, update, for the kinds that have it.
  const json verbs = {"get", "patch", "update"};
  auto names = [&](const std::string& path) {
    std::map<std::string, json> out;
    const json list = Body(Call("GET", path));
    for (const json& r : list["resources"]) out[r["name"].get<std::string>()] = r["verbs"];
    return out;
  };
  auto istio = names("/apis/networking.istio.io/v1");
  for (const char* p :
       {"gateways", "virtualservices", "destinationrules", "serviceentries", "workloadentries"}) {
    EXPECT_EQ(istio[std::string(p) + "/status"], verbs) << p;
  }
  auto core = names("/api/v1");
  EXPECT_EQ(core["services/status"], verbs);
  EXPECT_EQ(core["namespaces/status"], verbs);
  EXPECT_FALSE(core.contains("configmaps/status"));
  HttpRequest agg;
  agg.method = "GET";
  ASSERT_TRUE(agg.SetTarget("/api"));
  agg.headers.push_back(
      {"accept", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"});
  json groups = Body(api_.Handle(agg));
  int with_status = 0;
  for (const json& r : groups["items"][0]["versions"][0]["resources"]) {
    if (!r.contains("subresources")) continue;
    ++with_status;
    EXPECT_EQ(r["subresources"][0]["subresource"], "status");
    EXPECT_EQ(r["subresources"][0]["verbs"], verbs);
  }
  EXPECT_EQ(with_status, 3);  // services, namespaces, pods

  HttpResponse openapi = Call("GET", "/openapi/v3/apis/networking.istio.io/v1");
  ASSERT_EQ(openapi.status, 200);
  json path = Body(openapi)["paths"]
                           ["/apis/networking.istio.io/v1/namespaces/{namespace}/virtualservices/"
                            "{name}/status"];
  EXPECT_EQ(path["patch"]["operationId"], "patchVirtualServiceStatus");
  EXPECT_TRUE(path.contains("get"));
  EXPECT_TRUE(path.contains("put"));
}

}  // namespace
}  // namespace canaryd::api

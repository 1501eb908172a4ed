#include "api/kube_api.h"

#include <gtest/gtest.h>

#include "api/memory_store_for_test.h"

namespace canaryd::api {
namespace {

class KubeApiTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(service_.EnsureSystemNamespaces().ok()); }

  // A body without a content-type header is sent as application/json (as kubectl sends it).
  HttpResponse Call(const std::string& method, const std::string& target,
                    const std::string& body = "", std::vector<HttpHeader> headers = {}) {
    bool typed = false;
    for (const HttpHeader& h : headers) typed |= h.name == "content-type";
    if (!body.empty() && !typed) headers.push_back({"content-type", "application/json"});
    return CallAsIs(method, target, body, std::move(headers));
  }
  HttpResponse CallAsIs(const std::string& method, const std::string& target,
                        const std::string& body, std::vector<HttpHeader> headers) {
    HttpRequest req;
    req.method = method;
    EXPECT_TRUE(req.SetTarget(target));
    req.body = body;
    req.headers = std::move(headers);
    return api_.Handle(req);
  }
  json Body(const HttpResponse& r) { return json::parse(r.body); }

  testing::MemoryStore store_;
  ManualClock clock_;
  ObjectService service_{store_, clock_};
  KubeApi api_{service_, "127.0.0.1:15000"};
};

constexpr const char* kVs = R"({"apiVersion":"networking.istio.io/v1","kind":"VirtualService",
  "metadata":{"name":"web","labels":{"app":"web"}},
  "spec":{"hosts":["*"],"gateways":["web-gateway"],
          "http":[{"route":[{"destination":{"host":"web-v1-service"}}]}]}})";

TEST_F(KubeApiTest, Discovery) {
  json version = Body(Call("GET", "/version"));
  EXPECT_EQ(version["major"], "1");
  EXPECT_EQ(version["minor"], "32");
  json groups = Body(Call("GET", "/apis"));
  std::vector<std::string> names;
  for (const json& g : groups["groups"]) names.push_back(g["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"apps", "events.k8s.io", "authorization.k8s.io",
                                             "batch", "networking.k8s.io", "networking.istio.io",
                                             "canaryd.io", "flagger.app"}));
  EXPECT_EQ(groups["groups"][5]["preferredVersion"]["version"], "v1");
  EXPECT_EQ(groups["groups"][6]["preferredVersion"]["version"], "v1alpha1");
  EXPECT_EQ(groups["groups"][7]["preferredVersion"]["version"], "v1beta1");
  json flagger = Body(Call("GET", "/apis/flagger.app/v1beta1"));
  ASSERT_EQ(flagger["resources"].size(), 2u);
  EXPECT_EQ(flagger["resources"][0]["name"], "canaries");
  json canaries = Body(Call("GET", "/apis/canaryd.io/v1alpha1"));
  ASSERT_EQ(canaries["resources"].size(), 2u);  // canaries and canaries/status
  EXPECT_EQ(canaries["resources"][1]["name"], "canaries/status");
  EXPECT_EQ(canaries["resources"][0]["name"], "canaries");
  EXPECT_EQ(canaries["resources"][0]["kind"], "Canary");
  json core = Body(Call("GET", "/api/v1"));
  bool saw_svc = false;
  for (const json& r : core["resources"]) {
    if (r["name"] == "services") {
      saw_svc = true;
      EXPECT_EQ(r["shortNames"], json({"svc"}));
      EXPECT_TRUE(r["namespaced"].get<bool>());
    }
  }
  EXPECT_TRUE(saw_svc);
  for (const char* v : {"v1", "v1beta1", "v1alpha3"}) {
    json rl = Body(Call("GET", std::string("/apis/networking.istio.io/") + v));
    EXPECT_EQ(rl["groupVersion"], std::string("networking.istio.io/") + v);
    EXPECT_EQ(rl["resources"].size(), 10u);  // and each one's status subresource
  }
  EXPECT_EQ(Call("GET", "/apis/networking.istio.io/v2").status, 404);
  EXPECT_EQ(Call("GET", "/apis/apps/v2").status, 404);
  EXPECT_EQ(Call("GET", "/apis/extensions/v1beta1").status, 404);
  HttpResponse agg = Call("GET", "/apis", "",
                          {{"accept",
                            "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
                            "application/json"}});
  EXPECT_NE(agg.Header("content-type")->find("as=APIGroupDiscoveryList"), std::string::npos);
  json items = Body(agg)["items"];
  EXPECT_EQ(items.size(), 8u);
  EXPECT_EQ(items[5]["metadata"]["name"], "networking.istio.io");
  EXPECT_EQ(items[5]["versions"][0]["resources"][1]["shortNames"], json({"vs"}));
  EXPECT_EQ(Call("GET", "/healthz").body, "ok");
  api_.SetReady(false);
  EXPECT_EQ(Call("GET", "/readyz").status, 503);
  api_.SetReady(true);
  std::string reason = "gateway port 80 is not listening";
  api_.SetReadinessCheck([&reason] { return reason; });
  HttpResponse not_ready = Call("GET", "/readyz");
  EXPECT_EQ(not_ready.status, 503);
  EXPECT_EQ(not_ready.body, "not ready: gateway port 80 is not listening\n");
  reason.clear();
  EXPECT_EQ(Call("GET", "/readyz").status, 200);
}

TEST_F(KubeApiTest, CrudOverHttp) {
  const std::string coll = "/apis/networking.istio.io/v1/namespaces/default/virtualservices";
  HttpResponse created = Call("POST", coll + "?fieldManager=kubectl-create", kVs);
  ASSERT_EQ(created.status, 201) << created.body;
  // Findings about other resources are Warning headers.
  int warnings = 0;
  for (const HttpHeader& h : created.headers) warnings += h.name == "Warning";
  EXPECT_EQ(warnings, 2);
  EXPECT_EQ(Call("POST", coll, kVs).status, 409);
  EXPECT_EQ(Call("POST", coll, "{not json").status, 400);
  EXPECT_EQ(Call("POST", "/apis/networking.istio.io/v1/virtualservices", kVs).status, 405);

  json list = Body(Call("GET", coll + "?labelSelector=app%3Dweb"));
  EXPECT_EQ(list["kind"], "VirtualServiceList");
  EXPECT_EQ(list["items"].size(), 1u);
  EXPECT_EQ(Body(Call("GET", coll + "?labelSelector=app%3Dapi"))["items"].size(), 0u);
  EXPECT_EQ(Body(Call("GET", "/apis/networking.istio.io/v1/virtualservices"))["items"].size(), 1u);
  EXPECT_EQ(Call("GET", coll + "?labelSelector=a+in+(").status, 400);

  HttpResponse table =
      Call("GET", coll, "",
           {{"accept", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"}});
  json t = Body(table);
  EXPECT_EQ(t["kind"], "Table");
  EXPECT_EQ(t["columnDefinitions"][1]["name"], "Gateways");
  EXPECT_EQ(t["rows"][0]["cells"][1], "[\"web-gateway\"]");
  EXPECT_EQ(t["rows"][0]["object"]["kind"], "PartialObjectMetadata");

  HttpResponse patched = Call("PATCH", coll + "/web", R"({"spec":{"hosts":["a.example.com"]}})",
                              {{"content-type", "application/merge-patch+json"}});
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(Body(patched)["metadata"]["generation"], 2);
  EXPECT_EQ(Call("PATCH", coll + "/web", "{}", {{"content-type", "text/plain"}}).status, 415);
  HttpResponse invalid =
      Call("PATCH", coll + "/web", R"({"spec":{"http":[{"route":[{"weight":-5}]}]}})",
           {{"content-type", "application/merge-patch+json"}});
  EXPECT_EQ(invalid.status, 422);
  json status = Body(invalid);
  EXPECT_EQ(status["kind"], "Status");
  EXPECT_EQ(status["reason"], "Invalid");
  EXPECT_FALSE(status["details"]["causes"].empty());

  json obj = Body(Call("GET", coll + "/web"));
  obj["spec"]["hosts"] = json::array({"b.example.com"});
  json stale = obj;
  EXPECT_EQ(Call("PUT", coll + "/web", obj.dump()).status, 200);
  HttpResponse conflict = Call("PUT", coll + "/web", stale.dump());
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(Body(conflict)["reason"], "Conflict");

  HttpResponse dry = Call("DELETE", coll + "/web?dryRun=All");
  EXPECT_EQ(dry.status, 200);
  EXPECT_EQ(Call("GET", coll + "/web").status, 200);
  EXPECT_EQ(Call("DELETE", coll + "/web?dryRun=Some").status, 400);
  EXPECT_EQ(Call("DELETE", coll + "/web").status, 200);
  HttpResponse gone = Call("GET", coll + "/web");
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(Body(gone)["message"], "virtualservices.networking.istio.io \"web\" not found");
}

TEST_F(KubeApiTest, WritesInMediaTypesNotServedAre415) {
  const std::string coll = "/apis/networking.istio.io/v1/namespaces/default/virtualservices";
  auto expect_415 = [&](const HttpResponse& r, const std::string& what) {
    EXPECT_EQ(r.status, 415) << what << ": " << r.body;
    json status = Body(r);
    EXPECT_EQ(status["kind"], "Status") << what;
    EXPECT_EQ(status["reason"], "UnsupportedMediaType") << what;
  };
  // What a browser sends cross-site without a preflight, nothing, and other types not served.
  std::vector<std::vector<HttpHeader>> unserved = {
      {},
      {{"content-type", "text/plain"}},
      {{"content-type", "text/plain;charset=UTF-8"}},
      {{"content-type", "application/x-www-form-urlencoded"}},
      {{"content-type", "multipart/form-data; boundary=x"}},
      {{"content-type", "application/xml"}},
      {{"content-type", "text/yaml"}},
      {{"content-type", "application/x-protobuf"}},
  };
  for (const auto& headers : unserved) {
    std::string what = headers.empty() ? "none" : headers[0].value;
    expect_415(CallAsIs("POST", coll, kVs, headers), "POST " + what);
    EXPECT_EQ(Call("GET", coll + "/web").status, 404) << what;  // nothing was created
  }
  for (const char* type : {"application/json", "Application/JSON; charset=utf-8"}) {
    HttpResponse created = CallAsIs("POST", coll, kVs, {{"content-type", type}});
    ASSERT_EQ(created.status, 201) << type << ": " << created.body;
    ASSERT_EQ(Call("DELETE", coll + "/web").status, 200);
  }
  ASSERT_EQ(CallAsIs("POST", coll, kVs, {{"content-type", "application/yaml"}}).status, 201);
  for (const auto& headers : unserved) {
    std::string what = headers.empty() ? "none" : headers[0].value;
    expect_415(CallAsIs("PUT", coll + "/web", kVs, headers), "PUT " + what);
    expect_415(CallAsIs("PATCH", coll + "/web", R"({"spec":{"hosts":["x"]}})", headers),
               "PATCH " + what);
    expect_415(CallAsIs("DELETE", coll + "/web", R"({"kind":"DeleteOptions"})", headers),
               "DELETE " + what);
    expect_415(CallAsIs("DELETE", coll, R"({"kind":"DeleteOptions"})", headers),
               "DELETE collection " + what);
  }
  expect_415(CallAsIs("PATCH", coll + "/web?fieldManager=m", kVs,
                      {{"content-type", "application/apply-patch+cbor"}}),
             "CBOR apply");
  // Nothing changed; DeleteOptions in JSON or YAML, or no body, are read.
  EXPECT_EQ(Body(Call("GET", coll + "/web"))["spec"]["hosts"], json({"*"}));
  EXPECT_EQ(CallAsIs("DELETE", coll + "/web?dryRun=All", "dryRun: [All]\n",
                     {{"content-type", "application/yaml"}})
                .status,
            200);
  EXPECT_EQ(Call("DELETE", coll + "/web", R"({"kind":"DeleteOptions","dryRun":["All"]})").status,
            200);
  EXPECT_EQ(Call("GET", coll + "/web").status, 200);
  EXPECT_EQ(Call("DELETE", coll + "/web", "[]").status, 400);
  EXPECT_EQ(Call("DELETE", coll + "/web").status, 200);
}

TEST_F(KubeApiTest, RepeatedKeysInJsonAreRefusedAsInYaml) {
  const std::string coll = "/apis/networking.istio.io/v1/namespaces/default/virtualservices";
  const std::string dup = R"({"apiVersion":"networking.istio.io/v1","kind":"VirtualService",
"metadata":{"name":"web"},
"spec":{"hosts":["*"],"hosts":["dup"],"http":[{"route":[{"destination":{"host":"web"}}]}]}})";
  HttpResponse json_body = Call("POST", coll, dup);
  EXPECT_EQ(json_body.status, 400) << json_body.body;
  EXPECT_EQ(Body(json_body)["reason"], "BadRequest");
  EXPECT_NE(Body(json_body)["message"].get<std::string>().find(
                "line 3, column 23: mapping key \"hosts\" already defined at line 3, column 9"),
            std::string::npos)
      << json_body.body;
  HttpResponse yaml_body = Call("POST", coll, dup, {{"content-type", "application/yaml"}});
  EXPECT_EQ(yaml_body.status, 400) << yaml_body.body;
  EXPECT_NE(yaml_body.body.find("mapping key \\\"hosts\\\" already defined"), std::string::npos)
      << yaml_body.body;
  EXPECT_EQ(Call("GET", coll + "/web").status, 404);

  ASSERT_EQ(Call("POST", coll, kVs).status, 201);
  json current = Body(Call("GET", coll + "/web"));
  std::string replace = current.dump();
  replace.insert(replace.rfind('}'), R"(,"spec":{"hosts":["dup"]})");
  EXPECT_EQ(Call("PUT", coll + "/web", replace).status, 400);
  for (const auto& [type, patch] : std::vector<std::pair<std::string, std::string>>{
           {"application/merge-patch+json", R"({"spec":{"hosts":["a"],"hosts":["dup"]}})"},
           {"application/strategic-merge-patch+json", R"({"spec":{"hosts":["a"],"hosts":["b"]}})"},
           {"application/json-patch+json",
            R"([{"op":"replace","path":"/spec","value":{"hosts":["a"],"hosts":["b"]}}])"},
           {"application/json-patch+json", R"([{"op":"add","op":"remove","path":"/spec"}])"},
       }) {
    HttpResponse r = Call("PATCH", coll + "/web", patch, {{"content-type", type}});
    EXPECT_EQ(r.status, 400) << type << " " << patch << ": " << r.body;
    EXPECT_NE(r.body.find("already defined"), std::string::npos) << r.body;
  }
  HttpResponse apply = Call("PATCH", coll + "/web?fieldManager=m", dup,
                            {{"content-type", "application/apply-patch+yaml"}});
  EXPECT_EQ(apply.status, 400) << apply.body;
  EXPECT_EQ(Call("DELETE", coll + "/web", R"({"dryRun":[],"dryRun":["All"]})").status, 400);
  EXPECT_EQ(Body(Call("GET", coll + "/web"))["spec"]["hosts"], json({"*"}));
}

TEST_F(KubeApiTest, DeleteCollectionBySelector) {
  const std::string coll = "/apis/networking.istio.io/v1/namespaces/default/virtualservices";
  for (const char* n : {"a", "b", "c"}) {
    json vs = json::parse(kVs);
    vs["metadata"]["name"] = n;
    vs["metadata"]["labels"]["app"] = std::string(n) == "c" ? "api" : "web";
    ASSERT_EQ(Call("POST", coll, vs.dump()).status, 201);
  }
  HttpResponse r = Call("DELETE", coll + "?labelSelector=app%3Dweb");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["items"].size(), 2u);
  json left = Body(Call("GET", coll));
  ASSERT_EQ(left["items"].size(), 1u);
  EXPECT_EQ(left["items"][0]["metadata"]["name"], "c");
  EXPECT_EQ(Call("DELETE", "/api/v1/namespaces").status, 405);
}

TEST_F(KubeApiTest, CoreKindsAndNamespaces) {
  HttpResponse ns = Call("POST", "/api/v1/namespaces",
                         R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"prod"}})");
  ASSERT_EQ(ns.status, 201) << ns.body;
  EXPECT_EQ(Body(Call("GET", "/api/v1/namespaces/prod"))["metadata"]["name"], "prod");
  EXPECT_EQ(Call("GET", "/api/v1/namespaces/prod/status").status, 200);
  HttpResponse svc = Call("POST", "/api/v1/namespaces/prod/services",
                          R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"web"},
                              "spec":{"ports":[{"port":80}]}})");
  ASSERT_EQ(svc.status, 201) << svc.body;
  json t = Body(Call("GET", "/api/v1/namespaces/prod/services/web", "",
                     {{"accept", "application/json;as=Table;v=v1;g=meta.k8s.io"}}));
  EXPECT_EQ(t["rows"][0]["cells"][1], "ClusterIP");
  EXPECT_EQ(t["rows"][0]["cells"][4], "80/TCP");
  EXPECT_EQ(Call("DELETE", "/api/v1/namespaces/default").status, 403);
  EXPECT_EQ(Call("GET", "/api/v1/namespaces/prod/nothings").status, 404);
  EXPECT_EQ(Call("GET", "/api/v1/namespaces/prod/services/web", "",
                 {{"accept", "application/vnd.kubernetes.protobuf"}})
                .status,
            406);
}

// A protobuf body as client-go's typed client encodes `kubectl create namespace prod -l a=b`.
std::string NamespaceProtobuf() {
  auto len = [](const std::string& s) { return std::string(1, static_cast<char>(s.size())); };
  std::string type_meta = "\x0a" + len("v1") + "v1" + "\x12" + len("Namespace") + "Namespace";
  std::string label =
      "\x0a\x01"
      "a"
      "\x12\x01"
      "b";
  std::string meta = "\x0a" + len("prod") + "prod" + "\x5a" + len(label) + label;
  std::string ns = "\x0a" + len(meta) + meta;
  std::string unknown = "\x0a" + len(type_meta) + type_meta + "\x12" + len(ns) + ns;
  return std::string("k8s\0", 4) + unknown;
}

TEST_F(KubeApiTest, ProtobufNamespaceCreate) {
  HttpResponse r = Call("POST", "/api/v1/namespaces", NamespaceProtobuf(),
                        {{"content-type", "application/vnd.kubernetes.protobuf"}});
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(Body(r)["metadata"]["labels"]["a"], "b");
  EXPECT_EQ(Call("POST", "/api/v1/namespaces/prod/services", std::string("k8s\0junk", 8),
                 {{"content-type", "application/vnd.kubernetes.protobuf"}})
                .status,
            415);
  std::string truncated = NamespaceProtobuf();
  truncated.resize(truncated.size() - 3);
  EXPECT_EQ(Call("POST", "/api/v1/namespaces", truncated,
                 {{"content-type", "application/vnd.kubernetes.protobuf"}})
                .status,
            415);
}

TEST_F(KubeApiTest, ServerSideApplyOverHttp) {
  const std::string item = "/apis/networking.istio.io/v1/namespaces/default/virtualservices/web";
  HttpResponse missing_manager =
      Call("PATCH", item, kVs, {{"content-type", "application/apply-patch+yaml"}});
  EXPECT_EQ(missing_manager.status, 400);
  HttpResponse created = Call("PATCH", item + "?fieldManager=kubectl", kVs,
                              {{"content-type", "application/apply-patch+yaml"}});
  EXPECT_EQ(created.status, 201) << created.body;
  HttpResponse again = Call("PATCH", item + "?fieldManager=kubectl", kVs,
                            {{"content-type", "application/apply-patch+yaml"}});
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(Body(again)["metadata"]["resourceVersion"],
            Body(created)["metadata"]["resourceVersion"]);
}

std::vector<json> Events(ResponseStream& s) {
  std::vector<std::string> chunks;
  s.Drain(chunks);
  std::vector<json> out;
  for (const std::string& c : chunks) out.push_back(json::parse(c));
  return out;
}

TEST_F(KubeApiTest, WatchStreamsChangesAndResumes) {
  const std::string coll = "/apis/networking.istio.io/v1/namespaces/default/virtualservices";
  ASSERT_EQ(Call("POST", coll, kVs).status, 201);
  std::string rv = Body(Call("GET", coll))["metadata"]["resourceVersion"];

  HttpResponse w = Call("GET", coll + "?watch=1");
  ASSERT_TRUE(w.stream);
  std::vector<json> initial = Events(*w.stream);
  ASSERT_EQ(initial.size(), 1u);
  EXPECT_EQ(initial[0]["type"], "ADDED");
  ASSERT_EQ(Call("PATCH", coll + "/web", R"({"spec":{"hosts":["x"]}})",
                 {{"content-type", "application/merge-patch+json"}})
                .status,
            200);
  std::vector<json> changed = Events(*w.stream);
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0]["type"], "MODIFIED");
  EXPECT_EQ(changed[0]["object"]["spec"]["hosts"], json({"x"}));
  w.stream->End();  // as the server does when the client goes

  // Resume from the list's resourceVersion: only what came after.
  HttpResponse resumed = Call("GET", coll + "?watch=true&resourceVersion=" + rv, "",
                              {{"accept", "application/json;as=Table;v=v1;g=meta.k8s.io"}});
  std::vector<json> after = Events(*resumed.stream);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0]["type"], "MODIFIED");
  EXPECT_EQ(after[0]["object"]["kind"], "Table");
  ASSERT_EQ(Call("DELETE", coll + "/web").status, 200);
  std::vector<json> deleted = Events(*resumed.stream);
  ASSERT_EQ(deleted.size(), 1u);
  EXPECT_EQ(deleted[0]["type"], "DELETED");
  resumed.stream->End();

  // Field selectors filter watches too (kubectl delete --wait uses one).
  HttpResponse named = Call("GET", coll + "?watch=1&fieldSelector=metadata.name%3Dother");
  EXPECT_TRUE(Events(*named.stream).empty());
  named.stream->End();
}

TEST_F(KubeApiTest, WatchFromCompactedRevisionIsGone) {
  testing::MemoryStore small(2);
  ObjectService service(small, clock_);
  ASSERT_TRUE(service.EnsureSystemNamespaces().ok());
  KubeApi api(service, "x");
  for (int i = 0; i < 5; ++i) {
    HttpRequest req;
    req.method = "POST";
    ASSERT_TRUE(req.SetTarget("/api/v1/namespaces"));
    req.body = R"({"metadata":{"name":"ns)" + std::to_string(i) + R"("}})";
    req.headers = {{"content-type", "application/json"}};
    ASSERT_EQ(api.Handle(req).status, 201);
  }
  HttpRequest req;
  req.method = "GET";
  ASSERT_TRUE(req.SetTarget("/api/v1/namespaces?watch=1&resourceVersion=1"));
  HttpResponse w = api.Handle(req);
  ASSERT_TRUE(w.stream);
  std::vector<json> events = Events(*w.stream);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["type"], "ERROR");
  EXPECT_EQ(events[0]["object"]["code"], 410);
  EXPECT_EQ(events[0]["object"]["reason"], "Expired");
  w.stream->End();
}

TEST_F(KubeApiTest, OpenApiDocuments) {
  json index = Body(Call("GET", "/openapi/v3"));
  std::string url = index["paths"]["apis/networking.istio.io/v1"]["serverRelativeURL"];
  ASSERT_EQ(url.rfind("/openapi/v3/apis/networking.istio.io/v1?hash=", 0), 0u);
  HttpResponse doc = Call("GET", url);
  ASSERT_EQ(doc.status, 200);
  EXPECT_EQ(*doc.Header("cache-control"), "public, immutable");
  EXPECT_EQ(Call("GET", "/openapi/v3/apis/nothing/v1").status, 404);
  EXPECT_EQ(Body(Call("GET", "/openapi/v2"))["swagger"], "2.0");
  HttpResponse pb =
      Call("GET", "/openapi/v2", "",
           {{"accept", "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"}});
  EXPECT_EQ(pb.body.substr(0, 5), std::string("\x0a\x03"
                                              "2.0",
                                              5));
}

}  // namespace
}  // namespace canaryd::api

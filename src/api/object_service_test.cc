#include "api/object_service.h"

#include <gtest/gtest.h>

#include "api/memory_store_for_test.h"

namespace canaryd::api {
namespace {

using config::Kind;

json VirtualService(const std::string& name, int weight = 100) {
  return json::parse(R"({"apiVersion":"networking.istio.io/v1alpha3","kind":"VirtualService",
    "metadata":{"name":")" +
                     name + R"("},
    "spec":{"hosts":["*"],"gateways":["web-gateway"],"http":[{"route":[
      {"destination":{"host":"web-v1-service"},"weight":)" +
                     std::to_string(weight) + R"(}]}]}})");
}

class ObjectServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(service_.EnsureSystemNamespaces().ok()); }

  Target Vs(const std::string& name = "", const std::string& ns = "default") {
    return {&config::InfoOf(Kind::kVirtualService), "v1alpha3", ns, name};
  }
  Target Svc(const std::string& name = "", const std::string& ns = "default") {
    return {&config::InfoOf(Kind::kService), "v1", ns, name};
  }
  WriteOptions Opts(const std::string& manager = "test") {
    WriteOptions o;
    o.field_manager = manager;
    return o;
  }
  std::string StoredValue(const Target& t) {
    auto r = store_.Get(t.Key());
    return r.ok() ? r->value : "";
  }

  testing::MemoryStore store_;
  ManualClock clock_;
  ObjectService service_{store_, clock_};
};

TEST_F(ObjectServiceTest, SystemNamespacesExist) {
  auto ns = service_.Get({&config::InfoOf(Kind::kNamespace), "v1", "", "istio-system"});
  ASSERT_TRUE(ns.ok());
  EXPECT_EQ((*ns)["status"]["phase"], "Active");
  int64_t rev = store_.CurrentRevision();
  ASSERT_TRUE(service_.EnsureSystemNamespaces().ok());  // idempotent
  EXPECT_EQ(store_.CurrentRevision(), rev);
}

TEST_F(ObjectServiceTest, CreateSetsMetadataAndGetInjectsResourceVersion) {
  auto created = service_.Create(Vs(), VirtualService("web"), Opts());
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_TRUE(created->created);
  const json& meta = created->object["metadata"];
  EXPECT_EQ(meta["namespace"], "default");
  EXPECT_EQ(meta["generation"], 1);
  EXPECT_EQ(meta["creationTimestamp"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(meta["uid"].get<std::string>().size(), 36u);
  EXPECT_EQ(meta["resourceVersion"], std::to_string(store_.CurrentRevision()));
  EXPECT_EQ(meta["managedFields"][0]["manager"], "test");
  // The stored text has no resourceVersion: it comes from the store.
  EXPECT_EQ(StoredValue(Vs("web")).find("resourceVersion"), std::string::npos);
  auto got = service_.Get(Vs("web"));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ((*got)["metadata"]["resourceVersion"], meta["resourceVersion"]);
  EXPECT_EQ((*got)["apiVersion"], "networking.istio.io/v1alpha3");
  auto v1 = service_.Get({&config::InfoOf(Kind::kVirtualService), "v1", "default", "web"});
  EXPECT_EQ((*v1)["apiVersion"], "networking.istio.io/v1");

  auto again = service_.Create(Vs(), VirtualService("web"), Opts());
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().reason, "AlreadyExists");
  EXPECT_EQ(again.error().code, 409);
}

TEST_F(ObjectServiceTest, InvalidWritesChangeNothing) {
  ASSERT_TRUE(service_.Create(Vs(), VirtualService("web"), Opts()).ok());
  std::string before = StoredValue(Vs("web"));
  int64_t rev = store_.CurrentRevision();

  json unknown = VirtualService("web");
  unknown["spec"]["http"][0]["route"][0]["wieght"] = 5;
  auto r = service_.Replace(Vs("web"), unknown, Opts());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, 422);
  EXPECT_EQ(r.error().reason, "Invalid");
  ASSERT_EQ(r.error().causes.size(), 1u);
  EXPECT_EQ(r.error().causes[0].field, "spec.http[0].route[0].wieght");
  EXPECT_NE(r.error().causes[0].message.find("did you mean \"weight\""), std::string::npos);

  auto negative = service_.Patch(Vs("web"), PatchType::kMerge,
                                 R"({"spec":{"http":[{"route":[{"destination":{"host":"a"},
                                                                "weight":-1}]}]}})",
                                 Opts());
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.error().causes[0].field, "spec.http[0].route[0].weight");
  EXPECT_NE(negative.error().message.find("VirtualService.networking.istio.io \"web\" is invalid"),
            std::string::npos);
  EXPECT_EQ(StoredValue(Vs("web")), before);
  EXPECT_EQ(store_.CurrentRevision(), rev);
}

TEST_F(ObjectServiceTest, GenerationOnlyOnSpecChangeAndNoOpWrites) {
  auto c = service_.Create(Vs(), VirtualService("web"), Opts());
  ASSERT_TRUE(c.ok());
  std::string rv = c->object["metadata"]["resourceVersion"];
  // Same content: nothing is written.
  auto same = service_.Patch(Vs("web"), PatchType::kMerge, R"({"spec":{"hosts":["*"]}})", Opts());
  ASSERT_TRUE(same.ok());
  EXPECT_FALSE(same->changed);
  EXPECT_EQ(same->object["metadata"]["resourceVersion"], rv);
  // A label: new resourceVersion, same generation.
  auto label =
      service_.Patch(Vs("web"), PatchType::kMerge, R"({"metadata":{"labels":{"a":"b"}}})", Opts());
  ASSERT_TRUE(label.ok());
  EXPECT_NE(label->object["metadata"]["resourceVersion"], rv);
  EXPECT_EQ(label->object["metadata"]["generation"], 1);
  // The spec: generation 2.
  auto spec =
      service_.Patch(Vs("web"), PatchType::kJson,
                     R"([{"op":"replace","path":"/spec/hosts/0","value":"a.com"}])", Opts());
  ASSERT_TRUE(spec.ok()) << spec.error().message;
  EXPECT_EQ(spec->object["metadata"]["generation"], 2);
  EXPECT_EQ(spec->object["metadata"]["uid"], c->object["metadata"]["uid"]);
  EXPECT_EQ(spec->object["metadata"]["creationTimestamp"],
            c->object["metadata"]["creationTimestamp"]);
}

TEST_F(ObjectServiceTest, StaleResourceVersionConflicts) {
  auto c = service_.Create(Vs(), VirtualService("web"), Opts());
  ASSERT_TRUE(c.ok());
  json a = c->object, b = c->object;
  a["spec"]["hosts"] = {"a.com"};
  b["spec"]["hosts"] = {"b.com"};
  auto first = service_.Replace(Vs("web"), a, Opts());
  ASSERT_TRUE(first.ok());
  auto second = service_.Replace(Vs("web"), b, Opts());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, 409);
  EXPECT_EQ(second.error().reason, "Conflict");
  EXPECT_NE(second.error().message.find("the object has been modified"), std::string::npos);
  EXPECT_EQ((*service_.Get(Vs("web")))["spec"]["hosts"], json({"a.com"}));
  // A patch that carries a stale resourceVersion is a conflict too.
  auto stale =
      service_.Patch(Vs("web"), PatchType::kMerge,
                     R"({"metadata":{"resourceVersion":"1"},"spec":{"hosts":["c"]}})", Opts());
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, 409);
}

TEST_F(ObjectServiceTest, NamespacesAreEnforced) {
  auto missing = service_.Create(Vs("", "prod"), VirtualService("web"), Opts());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, 404);
  EXPECT_EQ(missing.error().message, "namespaces \"prod\" not found");
  json mismatch = VirtualService("web");
  mismatch["metadata"]["namespace"] = "istio-system";
  EXPECT_EQ(service_.Create(Vs(), mismatch, Opts()).error().code, 400);

  Target ns{&config::InfoOf(Kind::kNamespace), "v1", "", ""};
  ASSERT_TRUE(
      service_
          .Create(ns,
                  {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "prod"}}}},
                  Opts())
          .ok());
  ASSERT_TRUE(service_.Create(Vs("", "prod"), VirtualService("web"), Opts()).ok());
  ns.name = "prod";
  ASSERT_TRUE(service_.Delete(ns, {}).ok());
  ASSERT_TRUE(service_.FinishNamespaceDeletion("prod").value());  // NamespaceController's part
  EXPECT_EQ(service_.Get(Vs("web", "prod")).error().code, 404);   // emptied with it
  ns.name = "default";
  auto forbidden = service_.Delete(ns, {});
  ASSERT_FALSE(forbidden.ok());
  EXPECT_EQ(forbidden.error().code, 403);
}

TEST_F(ObjectServiceTest, DryRunStoresNothing) {
  WriteOptions dry = Opts();
  dry.dry_run = true;
  int64_t rev = store_.CurrentRevision();
  auto c = service_.Create(Vs(), VirtualService("web"), dry);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(store_.CurrentRevision(), rev);
  EXPECT_EQ(service_.Get(Vs("web")).error().code, 404);
  ASSERT_TRUE(service_.Create(Vs(), VirtualService("web"), Opts()).ok());
  rev = store_.CurrentRevision();
  auto p = service_.Patch(Vs("web"), PatchType::kMerge, R"({"spec":{"hosts":["x"]}})", dry);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->object["spec"]["hosts"], json({"x"}));
  DeleteOptions del;
  del.dry_run = true;
  ASSERT_TRUE(service_.Delete(Vs("web"), del).ok());
  EXPECT_EQ(store_.CurrentRevision(), rev);
}

TEST_F(ObjectServiceTest, ListWithSelectors) {
  for (const char* n : {"a", "b", "c"}) {
    json vs = VirtualService(n);
    vs["metadata"]["labels"] = {{"tier", std::string(n) == "c" ? "back" : "front"}};
    ASSERT_TRUE(service_.Create(Vs(), vs, Opts()).ok());
  }
  auto labels = LabelSelector::Parse("tier=front");
  auto fields = FieldSelector::Parse("metadata.name!=a");
  auto r = service_.List(Vs(), *labels, *fields);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->items.size(), 1u);
  EXPECT_EQ(r->items[0]["metadata"]["name"], "b");
  EXPECT_EQ(r->revision, store_.CurrentRevision());
  auto all = service_.List(Vs("", ""), LabelSelector(), FieldSelector());
  EXPECT_EQ(all->items.size(), 3u);
}

TEST_F(ObjectServiceTest, ServiceDefaultsAndStrategicMerge) {
  json svc = json::parse(R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"web"},
    "spec":{"ports":[{"name":"80","port":80}],"selector":{"app":"web"}}})");
  auto c = service_.Create(Svc(), svc, Opts());
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->object["spec"]["type"], "ClusterIP");
  EXPECT_EQ(c->object["spec"]["ports"][0]["protocol"], "TCP");
  EXPECT_EQ(c->object["spec"]["ports"][0]["targetPort"], 80);
  auto p = service_.Patch(Svc("web"), PatchType::kStrategic,
                          R"({"spec":{"ports":[{"port":81,"name":"alt"}]}})", Opts());
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->object["spec"]["ports"].size(), 2u);
  auto refused = service_.Patch(Vs("web"), PatchType::kStrategic, "{}", Opts());
  EXPECT_EQ(refused.error().code, 415);
}

TEST_F(ObjectServiceTest, ServerSideApplyCreatesUpdatesAndDetectsConflicts) {
  json vs = VirtualService("web");
  WriteOptions apply = Opts("kubectl");
  auto created = service_.Patch(Vs("web"), PatchType::kApply, vs.dump(), apply);
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_TRUE(created->created);
  EXPECT_EQ(created->object["metadata"]["managedFields"][0]["operation"], "Apply");
  auto same = service_.Patch(Vs("web"), PatchType::kApply, vs.dump(), apply);
  ASSERT_TRUE(same.ok());
  EXPECT_FALSE(same->changed);
  // Another manager changes hosts; applying the old hosts again conflicts.
  ASSERT_TRUE(
      service_.Patch(Vs("web"), PatchType::kMerge, R"({"spec":{"hosts":["x"]}})", Opts("editor"))
          .ok());
  auto conflict = service_.Patch(Vs("web"), PatchType::kApply, vs.dump(), apply);
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.error().code, 409);
  ASSERT_EQ(conflict.error().causes.size(), 1u);
  EXPECT_EQ(conflict.error().causes[0].field, ".spec.hosts");
  apply.force = true;
  auto forced = service_.Patch(Vs("web"), PatchType::kApply, vs.dump(), apply);
  ASSERT_TRUE(forced.ok());
  EXPECT_EQ(forced->object["spec"]["hosts"], json({"*"}));
  // YAML is accepted too, and an invalid apply changes nothing.
  auto bad = service_.Patch(Vs("web"), PatchType::kApply,
                            "apiVersion: networking.istio.io/v1alpha3\nkind: VirtualService\n"
                            "metadata: {name: web}\nspec: {hostz: [a]}\n",
                            apply);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, 422);
}

TEST_F(ObjectServiceTest, ApplyManifestReportsCreatedConfiguredUnchanged) {
  auto a = service_.ApplyManifest(Vs("web"), VirtualService("web", 100), "canaryd");
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_TRUE(a->created);
  auto b = service_.ApplyManifest(Vs("web"), VirtualService("web", 100), "canaryd");
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->created);
  EXPECT_FALSE(b->changed);
  auto c = service_.ApplyManifest(Vs("web"), VirtualService("web", 90), "canaryd");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->changed);
  std::string annotation =
      c->object["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"];
  json last = json::parse(annotation);
  EXPECT_EQ(last["spec"]["http"][0]["route"][0]["weight"], 90);
  EXPECT_EQ(last["metadata"]["namespace"], "default");
}

TEST_F(ObjectServiceTest, DeleteWithPreconditions) {
  auto c = service_.Create(Vs(), VirtualService("web"), Opts());
  DeleteOptions wrong;
  wrong.uid = "nope";
  EXPECT_EQ(service_.Delete(Vs("web"), wrong).error().code, 409);
  DeleteOptions stale;
  stale.resource_version = "1";
  EXPECT_EQ(service_.Delete(Vs("web"), stale).error().code, 409);
  auto d = service_.Delete(Vs("web"), {});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->object["metadata"]["name"], "web");
  EXPECT_EQ(service_.Delete(Vs("web"), {}).error().code, 404);
}

TEST_F(ObjectServiceTest, PresentTextEqualsPresent) {
  const config::KindInfo& vs = config::InfoOf(Kind::kVirtualService);
  for (const char* stored :
       {R"({"apiVersion":"networking.istio.io/v1alpha3","kind":"VirtualService",)"
        R"("metadata":{"name":"a","generation":3},"spec":{"hosts":["x\"}{]"],"n":1},"z":true})",
        R"({"metadata":{},"spec":{"a":[1,2.5e3,null,false,{"b":"\\"}]}})",
        R"( { "kind" : "X" , "metadata" : { "name" : "b" } , "spec" : 7 } )"}) {
    store::StoredObject o{{"VirtualService", "default", "a"}, stored, 1, 42};
    std::optional<std::string> text = ObjectService::PresentText(o, vs, "v1beta1");
    ASSERT_TRUE(text) << stored;
    EXPECT_EQ(json::parse(*text), service_.Present(o, vs, "v1beta1")) << *text;
  }
  store::StoredObject no_meta{{"VirtualService", "default", "a"}, R"({"spec":{}})", 1, 2};
  EXPECT_FALSE(ObjectService::PresentText(no_meta, vs, "v1"));
  store::StoredObject broken{{"VirtualService", "default", "a"}, R"({"metadata":{"a":)", 1, 2};
  EXPECT_FALSE(ObjectService::PresentText(broken, vs, "v1"));
}

TEST_F(ObjectServiceTest, ListTextAndTableLists) {
  for (const char* n : {"a", "b"}) {
    json v = VirtualService(n);
    v["metadata"]["labels"] = {{"name", n}};
    ASSERT_TRUE(service_.Create(Vs(), v, Opts()).ok());
  }
  auto text = service_.ListText(Vs(), LabelSelector(), FieldSelector());
  ASSERT_TRUE(text.ok());
  json list = json::parse(*text);
  auto parsed = service_.List(Vs(), LabelSelector(), FieldSelector());
  EXPECT_EQ(list["items"], json(parsed->items));
  EXPECT_EQ(list["kind"], "VirtualServiceList");
  EXPECT_EQ(list["metadata"]["resourceVersion"], std::to_string(parsed->revision));
  auto only_b = service_.ListText(Vs(), *LabelSelector::Parse("name=b"), FieldSelector());
  EXPECT_EQ(json::parse(*only_b)["items"].size(), 1u);
  auto table =
      service_.ListForTable(Vs(), LabelSelector(), *FieldSelector::Parse("metadata.name=a"));
  ASSERT_EQ(table->items.size(), 1u);
  EXPECT_FALSE(table->items[0]["metadata"].contains("managedFields"));
  EXPECT_FALSE(table->items[0]["spec"].contains("http"));
  EXPECT_EQ(table->items[0]["spec"]["gateways"], json({"web-gateway"}));
}

TEST_F(ObjectServiceTest, CrossResourceFindingsAreWarnings) {
  auto c = service_.Create(Vs(), VirtualService("web"), Opts());
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->warnings.size(), 2u);  // no such gateway, no such host
  std::string all = c->warnings[0] + c->warnings[1];
  EXPECT_NE(all.find("web-gateway"), std::string::npos);
  EXPECT_NE(all.find("web-v1-service"), std::string::npos);
}

}  // namespace
}  // namespace canaryd::api

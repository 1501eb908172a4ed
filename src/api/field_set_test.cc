#include "api/field_set.h"

#include <gtest/gtest.h>

#include "api/managed_fields.h"

namespace canaryd::api {
namespace {

using config::Kind;

TEST(FieldSet, OfTracksUserFieldsOnly) {
  json vs = json::parse(R"({"apiVersion":"networking.istio.io/v1","kind":"VirtualService",
    "metadata":{"name":"web","namespace":"default","uid":"u","labels":{"app":"web"}},
    "spec":{"hosts":["*"],"http":[{"route":[]}]},"status":{"x":1}})");
  FieldSet s = FieldSet::Of(vs, Kind::kVirtualService);
  EXPECT_TRUE(s.Contains({"f:spec", "f:hosts"}));
  EXPECT_TRUE(s.Contains({"f:spec", "f:http"}));
  EXPECT_FALSE(s.Contains({"f:spec", "f:http", "f:route"}));  // atomic list: one leaf
  EXPECT_TRUE(s.Contains({"f:metadata", "f:labels", "f:app"}));
  EXPECT_FALSE(s.Contains({"f:metadata", "f:name"}));
  EXPECT_FALSE(s.Contains({"f:status"}));
  EXPECT_FALSE(s.Contains({"f:apiVersion"}));
  // FieldsV1 round trip.
  json v1 = s.ToFieldsV1();
  EXPECT_TRUE(v1["f:spec"].contains("f:hosts"));
  EXPECT_EQ(FieldSet::FromFieldsV1(v1), s);
}

TEST(FieldSet, KeyedListsAndChanges) {
  json a = json::parse(R"({"spec":{"ports":[{"port":80,"name":"http"}]}})");
  json b =
      json::parse(R"({"spec":{"ports":[{"port":80,"name":"web"},{"port":90,"protocol":"UDP"}]}})");
  FieldSet s = FieldSet::Of(a, Kind::kService);
  FieldPath item = {"f:spec", "f:ports", R"(k:{"port":80,"protocol":"TCP"})"};
  EXPECT_TRUE(s.Contains(item));
  FieldSet changed = ChangedFields(a, b, Kind::kService);
  FieldPath name = item;
  name.push_back("f:name");
  EXPECT_TRUE(changed.Contains(name));
  EXPECT_TRUE(changed.Contains({"f:spec", "f:ports", R"(k:{"port":90,"protocol":"UDP"})"}));
  EXPECT_FALSE(changed.Contains({"f:spec", "f:ports"}));
  EXPECT_EQ(FieldPathString(name), R"(.spec.ports[port=80,protocol="TCP"].name)");
  json merged = MergeApplied(a, json::parse(R"({"spec":{"ports":[{"port":90,"protocol":"UDP"}]}})"),
                             Kind::kService);
  EXPECT_EQ(merged["spec"]["ports"].size(), 2u);
  RemoveField(merged, {"f:spec", "f:ports", R"(k:{"port":90,"protocol":"UDP"})"}, Kind::kService);
  EXPECT_EQ(merged, a);
}

TEST(ServerSideApply, ConflictsForceAndPrune) {
  json live = json::parse(R"({"metadata":{"name":"web"},"spec":{"hosts":["a"],"gateways":["g"]}})");
  std::vector<ManagedEntry> entries;
  TrackUpdate(entries, json(), live, Kind::kVirtualService, "kubectl-client-side-apply", "v1", "t");
  ASSERT_EQ(entries.size(), 1u);

  // Same value: shared ownership, no conflict.
  json same = json::parse(R"({"spec":{"hosts":["a"]}})");
  ApplyResult r =
      ServerSideApply(live, same, entries, Kind::kVirtualService, "mgr", "v1", "t", false);
  EXPECT_TRUE(r.conflicts.empty());
  // Different value: a conflict with the other manager on .spec.hosts.
  json other = json::parse(R"({"spec":{"hosts":["b"]}})");
  r = ServerSideApply(live, other, entries, Kind::kVirtualService, "mgr", "v1", "t", false);
  ASSERT_EQ(r.conflicts.size(), 1u);
  EXPECT_EQ(r.conflicts[0].manager, "kubectl-client-side-apply");
  EXPECT_EQ(FieldPathString(r.conflicts[0].path), ".spec.hosts");
  EXPECT_NE(ConflictMessage(r.conflicts).find("Apply failed with 1 conflict"), std::string::npos);
  // Forced: the field moves to mgr.
  r = ServerSideApply(live, other, entries, Kind::kVirtualService, "mgr", "v1", "t", true);
  ASSERT_TRUE(r.conflicts.empty());
  EXPECT_EQ(r.object["spec"]["hosts"], json({"b"}));
  EXPECT_EQ(r.object["spec"]["gateways"], json({"g"}));
  // Applying again without hosts prunes it (mgr was its only owner now); gateways stays.
  json without = json::parse(R"({"spec":{"exportTo":["."]}})");
  ApplyResult pruned =
      ServerSideApply(r.object, without, r.entries, Kind::kVirtualService, "mgr", "v1", "t", false);
  ASSERT_TRUE(pruned.conflicts.empty());
  EXPECT_FALSE(pruned.object["spec"].contains("hosts"));
  EXPECT_EQ(pruned.object["spec"]["gateways"], json({"g"}));
  EXPECT_EQ(pruned.object["spec"]["exportTo"], json({"."}));
}

TEST(ManagedFields, UpdateMovesOwnership) {
  json a = json::parse(R"({"spec":{"hosts":["a"],"gateways":["g"]}})");
  json b = json::parse(R"({"spec":{"hosts":["b"],"gateways":["g"]}})");
  std::vector<ManagedEntry> entries;
  TrackUpdate(entries, json(), a, Kind::kVirtualService, "first", "v1", "t");
  TrackUpdate(entries, a, b, Kind::kVirtualService, "second", "v1", "t");
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_FALSE(entries[0].fields.Contains({"f:spec", "f:hosts"}));
  EXPECT_TRUE(entries[0].fields.Contains({"f:spec", "f:gateways"}));
  EXPECT_TRUE(entries[1].fields.Contains({"f:spec", "f:hosts"}));
  json j = ManagedFieldsJson(entries);
  auto back = ReadManagedFields(json{{"metadata", {{"managedFields", j}}}});
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[1].manager, "second");
  EXPECT_EQ(back[1].fields, entries[1].fields);
}

}  // namespace
}  // namespace canaryd::api

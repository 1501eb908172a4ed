#include "api/kind_rules.h"

#include <gtest/gtest.h>

#include "api/event_conversion.h"

namespace canaryd::api {
namespace {

using config::InfoOf;
using config::Kind;

TEST(KindRules, SecretStringDataIsMergedIntoDataAndDropped) {
  json s = json::parse(R"({"metadata":{"name":"s"},"data":{"a":"YQ==","b":"Yg=="},
                           "stringData":{"b":"new","c":"s3cr3t"}})");
  ApplyDefaults(Kind::kSecret, s);
  EXPECT_EQ(s["data"], json::parse(R"({"a":"YQ==","b":"bmV3","c":"czNjcjN0"})"));
  EXPECT_FALSE(s.contains("stringData"));
  EXPECT_EQ(s["type"], "Opaque");
  json typed = {{"type", "kubernetes.io/tls"}};
  ApplyDefaults(Kind::kSecret, typed);
  EXPECT_EQ(typed["type"], "kubernetes.io/tls");
}

TEST(KindRules, UpdatesKeepTypeAndImmutableData) {
  const config::KindInfo& secret = InfoOf(Kind::kSecret);
  json old = json::parse(R"({"metadata":{"name":"s"},"type":"Opaque","data":{"a":"YQ=="}})");
  json retyped = old;
  retyped["type"] = "kubernetes.io/tls";
  std::optional<ApiError> e = CheckUpdate(secret, retyped, old);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code, 422);
  EXPECT_EQ(e->message,
            "Secret \"s\" is invalid: type: Invalid value: \"kubernetes.io/tls\": field is "
            "immutable");
  json changed = old;
  changed["data"]["a"] = "Yg==";
  EXPECT_FALSE(CheckUpdate(secret, changed, old));  // mutable: fine
  old["immutable"] = true;
  changed["immutable"] = true;
  ASSERT_TRUE(CheckUpdate(secret, changed, old));
  EXPECT_EQ(CheckUpdate(secret, changed, old)->causes[0].field, "data");
  json unfrozen = old;
  unfrozen["immutable"] = false;
  EXPECT_EQ(CheckUpdate(secret, unfrozen, old)->causes[0].field, "immutable");
  EXPECT_FALSE(CheckUpdate(secret, old, old));
  // A ConfigMap's binaryData too; an absent map and an empty one are the same data.
  const config::KindInfo& cm = InfoOf(Kind::kConfigMap);
  json frozen = json::parse(R"({"metadata":{"name":"c"},"immutable":true,"binaryData":{}})");
  json same = json::parse(R"({"metadata":{"name":"c"},"immutable":true})");
  EXPECT_FALSE(CheckUpdate(cm, same, frozen));
  same["binaryData"] = {{"x", "eA=="}};
  EXPECT_EQ(CheckUpdate(cm, same, frozen)->causes[0].field, "binaryData");
}

TEST(KindRules, EventsV1CreatesFollowTheNewRules) {
  const config::KindInfo& ev = InfoOf(Kind::kEventsEvent);
  json ok = json::parse(R"({"metadata":{"name":"e"},"eventTime":"2026-01-01T00:00:00.000000Z",
                            "type":"Normal","reason":"R","action":"A"})");
  EXPECT_FALSE(CheckCreate(ev, ok));
  EXPECT_FALSE(CheckCreate(InfoOf(Kind::kEvent), json::object()));  // core: legacy rules only
  json bad = json::parse(R"({"metadata":{"name":"e"},"type":"Info","count":3,
                             "source":{"component":"x"},"series":{"count":1}})");
  std::optional<ApiError> e = CheckCreate(ev, bad);
  ASSERT_TRUE(e);
  std::vector<std::string> fields;
  for (const ApiCause& c : e->causes) fields.push_back(c.field);
  EXPECT_EQ(fields, (std::vector<std::string>{"eventTime", "type", "count", "source",
                                              "series.count", "series.lastObservedTime"}));
}

TEST(EventConversion, CoreAndEventsV1AreOneObject) {
  json core = json::parse(R"({"metadata":{"name":"e"},"involvedObject":{"kind":"Service"},
      "message":"m","source":{"component":"c"},"firstTimestamp":"t1","lastTimestamp":"t2",
      "count":2,"reportingComponent":"rc","reportingInstance":"ri","reason":"R",
      "eventTime":null,"series":{"count":2}})");
  json v1 = EventsV1FromCore(core);
  EXPECT_EQ(v1, json::parse(R"({"metadata":{"name":"e"},"regarding":{"kind":"Service"},
      "note":"m","deprecatedSource":{"component":"c"},"deprecatedFirstTimestamp":"t1",
      "deprecatedLastTimestamp":"t2","deprecatedCount":2,"reportingController":"rc",
      "reportingInstance":"ri","reason":"R","eventTime":null,"series":{"count":2}})"));
  std::string unknown;
  EXPECT_EQ(CoreFromEventsV1(v1, &unknown), core);
  // A core-only field is unknown to events.k8s.io/v1.
  json mixed = v1;
  mixed["involvedObject"] = json::object();
  EXPECT_FALSE(CoreFromEventsV1(mixed, &unknown));
  EXPECT_EQ(unknown, "involvedObject");
  EXPECT_EQ(EventsV1FieldPath("involvedObject.namespace"), "regarding.namespace");
  EXPECT_EQ(EventsV1FieldPath("reportingComponent"), "reportingController");
  EXPECT_EQ(EventsV1FieldPath("series.count"), "series.count");
  EXPECT_EQ(EventsV1FieldPath("metadata.name"), "metadata.name");
}

}  // namespace
}  // namespace canaryd::api

#include "api/selector.h"

#include <gtest/gtest.h>

namespace canaryd::api {
namespace {

bool Match(const std::string& sel, const nlohmann::json& labels) {
  auto s = LabelSelector::Parse(sel);
  EXPECT_TRUE(s.ok()) << sel << ": " << s.status().ToString();
  return s.ok() && s->Matches(labels);
}

TEST(LabelSelector, EqualityAndSets) {
  nlohmann::json l = {{"app", "web"}, {"version", "v1"}};
  EXPECT_TRUE(Match("", l));
  EXPECT_TRUE(Match("app=web", l));
  EXPECT_TRUE(Match("app==web,version=v1", l));
  EXPECT_FALSE(Match("app=web,version=v2", l));
  EXPECT_TRUE(Match("app!=api", l));
  EXPECT_TRUE(Match("version in (v1, v2)", l));
  EXPECT_FALSE(Match("version notin (v1,v2)", l));
  EXPECT_TRUE(Match("app", l));
  EXPECT_TRUE(Match("!canary", l));
  EXPECT_FALSE(Match("!app", l));
  EXPECT_FALSE(Match("canary", l));
  EXPECT_TRUE(Match("missing!=x", l));  // != matches an absent label, as in Kubernetes
  EXPECT_TRUE(Match("n>3", {{"n", "5"}}));
  EXPECT_FALSE(Match("n<3", {{"n", "5"}}));
}

TEST(LabelSelector, Malformed) {
  for (const char* bad : {"app=", "=web", "a in (x", "a in x", "a b c", "a=b=c", "a in (b,",
                          "x="
                          "\xff"}) {
    if (std::string(bad) == "app=") continue;  // an empty value is allowed
    EXPECT_FALSE(LabelSelector::Parse(bad).ok()) << bad;
  }
  EXPECT_TRUE(LabelSelector::Parse("app=").ok());
}

TEST(FieldSelector, NameAndNamespace) {
  auto s = FieldSelector::Parse("metadata.name=web,metadata.namespace!=kube-system");
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->Matches("web", "default"));
  EXPECT_FALSE(s->Matches("api", "default"));
  EXPECT_FALSE(s->Matches("web", "kube-system"));
  EXPECT_EQ(s->ExactName(), "web");
  EXPECT_FALSE(FieldSelector::Parse("spec.hosts=x").ok());
  EXPECT_FALSE(FieldSelector::Parse("metadata.name").ok());
  EXPECT_TRUE(FieldSelector::Parse("").ok());
}

TEST(FieldSelector, TheKindsOwnLabels) {
  auto labels = FieldLabelsOf(config::Kind::kEvent);
  Result<FieldSelector> s = FieldSelector::Parse(
      "involvedObject.kind=Service,involvedObject.name=web,type!=Warning", labels);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_TRUE(s->NeedsObject());
  EXPECT_TRUE(s->Matches("any", "default"));  // the metadata terms alone
  nlohmann::json e = {{"involvedObject", {{"kind", "Service"}, {"name", "web"}}},
                      {"type", "Normal"}};
  EXPECT_TRUE(s->MatchesObject(e));
  e["type"] = "Warning";
  EXPECT_FALSE(s->MatchesObject(e));
  e["type"] = "Normal";
  e["involvedObject"]["name"] = "other";
  EXPECT_FALSE(s->MatchesObject(e));
  // A missing field is the empty string; `source` reads source.component.
  EXPECT_TRUE(FieldSelector::Parse("source=", labels)->MatchesObject(nlohmann::json::object()));
  EXPECT_TRUE(
      FieldSelector::Parse("source=x", labels)->MatchesObject({{"source", {{"component", "x"}}}}));
  // events.k8s.io/v1 serves the same labels over its own field names.
  EXPECT_TRUE(
      FieldSelector::Parse("involvedObject.name=web", FieldLabelsOf(config::Kind::kEventsEvent))
          ->MatchesObject({{"regarding", {{"name", "web"}}}}));
  EXPECT_TRUE(FieldSelector::Parse("type=Opaque", FieldLabelsOf(config::Kind::kSecret)).ok());
  Result<FieldSelector> wrong = FieldSelector::Parse("type=Opaque");  // not for this kind
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().message(), "field label not supported: type");
  EXPECT_FALSE(FieldSelector::Parse("metadata.name=x")->NeedsObject());
}

}  // namespace
}  // namespace canaryd::api

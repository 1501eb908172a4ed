#include "api/json_node.h"

#include <gtest/gtest.h>

namespace canaryd::api {
namespace {

using nlohmann::json;

TEST(ParseJson, ReadsWhatJsonParseReads) {
  std::string text =
      R"({"a":[1,-2,3.5,"x\"y",true,false,null,{}],"b":{"c":{"d":[]}},"e":18446744073709551615})";
  std::string error;
  std::optional<json> j = ParseJson(text, &error);
  ASSERT_TRUE(j) << error;
  EXPECT_EQ(*j, json::parse(text));
  EXPECT_TRUE((*j)["a"][0].is_number_unsigned());
  EXPECT_TRUE((*j)["a"][1].is_number_integer());
  EXPECT_EQ(j->dump(), json::parse(text).dump());
}

TEST(ParseJson, RefusesARepeatedKeyWithBothPositions) {
  std::string error;
  EXPECT_FALSE(ParseJson(R"({"spec":{"hosts":["*"],"hosts":["dup"]}})", &error));
  EXPECT_EQ(error, "line 1, column 24: mapping key \"hosts\" already defined at line 1, column 10");
  // On another line, spelt with an escape, after a nested object with the same key.
  EXPECT_FALSE(ParseJson("{\"a\":{\"k\":1},\n  \"k\":2,\n  \"\\u006b\":3}", &error));
  EXPECT_EQ(error, "line 3, column 3: mapping key \"k\" already defined at line 2, column 3");
  // The same key in different objects is fine, as is a key that is a prefix of another.
  std::optional<json> ok = ParseJson(R"([{"k":1},{"k":2,"kk":3,"k\\":4}])", &error);
  ASSERT_TRUE(ok) << error;
  EXPECT_EQ((*ok)[1]["k\\"], 4);
}

TEST(ParseJson, RefusesBadJsonWithThePosition) {
  std::string error;
  EXPECT_FALSE(ParseJson("{\"a\":\n  oops}", &error));
  EXPECT_NE(error.find("line 2, column"), std::string::npos) << error;
  EXPECT_FALSE(ParseJson("{} {}", &error));
  EXPECT_FALSE(ParseJson("{/* no */}", &error));
  EXPECT_FALSE(ParseJson("", &error));
}

TEST(ParseJson, RefusesDeepNesting) {
  std::string error;
  EXPECT_TRUE(ParseJson(std::string(101, '[') + std::string(101, ']'), &error)) << error;
  EXPECT_FALSE(ParseJson(std::string(102, '[') + std::string(102, ']'), &error));
  EXPECT_EQ(error, "JSON nested deeper than 100 levels");
  EXPECT_FALSE(ParseJson(std::string(100000, '['), &error));
}

TEST(ParseYamlOrJson, RefusesARepeatedKeyToo) {
  std::string error;
  EXPECT_FALSE(ParseYamlOrJson(R"({"spec":{"hosts":["*"],"hosts":["dup"]}})", &error));
  EXPECT_NE(error.find("mapping key \"hosts\" already defined"), std::string::npos) << error;
}

}  // namespace
}  // namespace canaryd::api

#include "client/yaml_emitter.h"

#include <gtest/gtest.h>

#include "api/json_node.h"

namespace canaryd::client {
namespace {

using nlohmann::json;

TEST(YamlEmitter, KubectlStyle) {
  json obj = json::parse(R"({"apiVersion":"v1","kind":"Service",
    "metadata":{"name":"web","annotations":{"last":"{\"a\":1}\n"},
                "creationTimestamp":"2024-01-02T03:04:05Z"},
    "spec":{"ports":[{"name":"80","port":80}],"hosts":["*"],"empty":{},"none":[],
            "flag":"true","n":null,"ok":true,"w":1.5}})");
  EXPECT_EQ(ToYaml(obj),
            "apiVersion: v1\n"
            "kind: Service\n"
            "metadata:\n"
            "  annotations:\n"
            "    last: |\n"
            "      {\"a\":1}\n"
            "  creationTimestamp: \"2024-01-02T03:04:05Z\"\n"
            "  name: web\n"
            "spec:\n"
            "  empty: {}\n"
            "  flag: \"true\"\n"
            "  hosts:\n"
            "  - '*'\n"
            "  \"n\": null\n"
            "  none: []\n"
            "  ok: true\n"
            "  ports:\n"
            "  - name: \"80\"\n"
            "    port: 80\n"
            "  w: 1.5\n");
}

TEST(YamlEmitter, RoundTripsThroughTheReader) {
  json obj = json::parse(R"({"a":["x: y","- z","#c","",":",  "it's","multi\nline","trail\n\n",
    "  lead"," tab\t","no","1e3","0x1F","~","1.0",{"k":[[1,2],[]]}],"b":{"c d":"e"}})");
  std::string error;
  auto back = api::ParseYamlOrJson(ToYaml(obj), &error);
  ASSERT_TRUE(back) << error << "\n" << ToYaml(obj);
  EXPECT_EQ(*back, obj) << ToYaml(obj);
}

TEST(YamlEmitter, PlainSafety) {
  EXPECT_TRUE(YamlPlainSafe("web-gateway"));
  EXPECT_TRUE(YamlPlainSafe("/"));
  EXPECT_FALSE(YamlPlainSafe("*"));
  EXPECT_FALSE(YamlPlainSafe(""));
  EXPECT_FALSE(YamlPlainSafe("a: b"));
  // Strings that would read as numbers, booleans or dates are quoted.
  for (const char* s : {"80", "-1.5", "1e3", "0x1F", "1_000", "1:30", "yes", "off", "~", "null",
                        "2024-01-02", "2024-01-02T03:04:05Z"}) {
    EXPECT_EQ(ToYaml(nlohmann::json(s))[0], '"') << s;
  }
  for (const char* s : {"web", "v1", "1.2.3", "10.0.0.1", "a1", "2024-01-02x", "12:ab"}) {
    EXPECT_NE(ToYaml(nlohmann::json(s))[0], '"') << s;
  }
}

}  // namespace
}  // namespace canaryd::client

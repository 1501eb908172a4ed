#include "api/openapi.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/schema.h"
#include "config/decoder.h"
#include "config/istio_types.h"

namespace canaryd::api {
namespace {

using nlohmann::json;

// Every field the decoder knows is in the schema, recursively: one description, two visitors.
template <class T>
void ExpectSameFields(const json& schema, const std::string& where) {
  T value{};
  config::FieldNameCollector names;
  Describe(names, value);
  ASSERT_EQ(schema["properties"].size(), names.names.size()) << where;
  for (std::string_view n : names.names) {
    EXPECT_TRUE(schema["properties"].contains(std::string(n))) << where << "." << n;
  }
}

TEST(Schema, GeneratedFromDescribe) {
  json vs = SchemaOf<config::VirtualServiceSpec>();
  ExpectSameFields<config::VirtualServiceSpec>(vs, "spec");
  const json& route = vs["properties"]["http"]["items"]["properties"]["route"]["items"];
  ExpectSameFields<config::HTTPRouteDestination>(route, "route");
  EXPECT_EQ(route["properties"]["weight"]["type"], "integer");
  EXPECT_EQ(route["properties"]["weight"]["format"], "int32");
  EXPECT_EQ(route["required"], json({"destination"}));
  const json& port = route["properties"]["destination"]["properties"]["port"];
  EXPECT_EQ(port["properties"]["number"]["minimum"], 0);
  json gw = SchemaOf<config::GatewaySpec>();
  const json& tls = gw["properties"]["servers"]["items"]["properties"]["tls"];
  EXPECT_EQ(tls["properties"]["mode"]["enum"][0], "PASSTHROUGH");
  json headers = SchemaOf<config::HTTPMatchRequest>()["properties"]["headers"];
  EXPECT_EQ(headers["type"], "object");
  EXPECT_EQ(headers["additionalProperties"]["properties"].size(), 3u);
}

TEST(OpenApi, DocumentsAdvertiseStrictServerValidation) {
  OpenApiDocuments docs;
  json index = json::parse(docs.Index());
  for (const char* gv : {"api/v1", "apis/networking.istio.io/v1",
                         "apis/networking.istio.io/v1beta1", "apis/networking.istio.io/v1alpha3"}) {
    ASSERT_TRUE(index["paths"].contains(gv)) << gv;
    ASSERT_NE(docs.Document(gv), nullptr) << gv;
  }
  json doc = json::parse(*docs.Document("apis/networking.istio.io/v1alpha3"));
  const json& item =
      doc["paths"]
         ["/apis/networking.istio.io/v1alpha3/namespaces/{namespace}/virtualservices/{name}"];
  const json& patch = item["patch"];
  EXPECT_EQ(patch["x-kubernetes-group-version-kind"]["kind"], "VirtualService");
  bool field_validation = false;
  for (const json& p : patch["parameters"]) field_validation |= p["name"] == "fieldValidation";
  EXPECT_TRUE(field_validation);
  EXPECT_TRUE(patch["requestBody"]["content"].contains("application/apply-patch+yaml"));
  const json& schema = doc["components"]["schemas"]["io.istio.networking.v1alpha3.VirtualService"];
  EXPECT_EQ(schema["x-kubernetes-group-version-kind"][0]["version"], "v1alpha3");
  EXPECT_TRUE(schema["properties"]["spec"]["properties"].contains("http"));
  json core = json::parse(*docs.Document("api/v1"));
  EXPECT_TRUE(core["components"]["schemas"].contains("io.k8s.api.core.v1.Service"));
  EXPECT_EQ(docs.Document("apis/apps/v2"), nullptr);
  EXPECT_EQ(docs.Hash("api/v1").size(), 128u);
}

// Every property of every schema kubectl explain can show has a description: walks the
// properties, array items and map values of a schema.
void CollectUndescribed(const json& schema, const std::string& path, std::vector<std::string>* out,
                        size_t* properties) {
  if (schema.contains("properties")) {
    for (const auto& [name, p] : schema["properties"].items()) {
      ++*properties;
      std::string child = path + "." + name;
      if (!p.contains("description") || p["description"].get<std::string>().empty()) {
        out->push_back(child);
      }
      CollectUndescribed(p, child, out, properties);
    }
  }
  if (schema.contains("items")) CollectUndescribed(schema["items"], path + "[]", out, properties);
  if (schema.contains("additionalProperties") && schema["additionalProperties"].is_object()) {
    CollectUndescribed(schema["additionalProperties"], path + "{}", out, properties);
  }
}

TEST(OpenApi, EveryFieldAndKindHasADescription) {
  OpenApiDocuments docs;
  std::vector<std::string> undescribed;
  size_t properties = 0;
  for (const char* gv : {"api/v1", "apis/networking.istio.io/v1"}) {
    json doc = json::parse(*docs.Document(gv));
    for (const auto& [name, schema] : doc["components"]["schemas"].items()) {
      if (name.size() > 4 && name.substr(name.size() - 4) == "List") continue;
      if (name.find("meta.v1.Status") != std::string::npos) continue;
      if (!schema.contains("description")) undescribed.push_back(name);
      CollectUndescribed(schema, name, &undescribed, &properties);
    }
  }
  EXPECT_TRUE(undescribed.empty()) << ::testing::PrintToString(undescribed);
  EXPECT_GT(properties, 300u);
}

TEST(OpenApi, NotServedFieldsSaySoInTheirDescription) {
  json http = SchemaOf<config::VirtualServiceSpec>()["properties"]["http"]["items"]["properties"];
  std::string delegate = http["delegate"]["description"];
  EXPECT_NE(delegate.find("Hands the request to the rules"), std::string::npos) << delegate;
  EXPECT_NE(delegate.find("Not served by canaryd yet: the field is accepted and ignored, with a "
                          "warning."),
            std::string::npos)
      << delegate;
  std::string mirror = http["mirror"]["description"];
  EXPECT_EQ(mirror.find("Not served"), std::string::npos) << mirror;
  std::string retries = http["retries"]["description"];
  EXPECT_EQ(retries.find("Not served"), std::string::npos) << retries;
  std::string fault = http["fault"]["description"];
  EXPECT_EQ(fault.find("Not served"), std::string::npos) << fault;
  std::string timeout = http["timeout"]["description"];
  EXPECT_EQ(timeout.find("Not served"), std::string::npos) << timeout;
  EXPECT_NE(timeout.find("A duration such as 1.5s"), std::string::npos) << timeout;
  json port = SchemaOf<config::GatewayPort>()["properties"]["protocol"];
  EXPECT_NE(port["description"].get<std::string>().find(
                "Not served by canaryd yet: HTTPS, HTTP2, GRPC, GRPC-WEB are accepted and ignored"),
            std::string::npos)
      << port["description"];
  json percent = http["mirrorPercent"]["description"];
  EXPECT_NE(percent.get<std::string>().find("Deprecated."), std::string::npos) << percent;
}

}  // namespace
}  // namespace canaryd::api

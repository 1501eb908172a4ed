#include "config/decoder.h"

#include <gtest/gtest.h>

#include "config/istio_types.h"
#include "config/yaml_reader.h"

namespace canaryd::config {
namespace {

template <class T>
Diagnostics DecodeText(const std::string& yaml, T& out, SourceMap* positions = nullptr) {
  ParseResult parsed = ParseDocuments(yaml);
  EXPECT_TRUE(parsed.ok) << parsed.error.message;
  Diagnostics diags;
  Decoder d(diags, positions, "spec");
  d.DecodeMessage(parsed.documents.at(0).root, out);
  return diags;
}

TEST(Decoder, DecodesTypedFields) {
  VirtualServiceSpec vs;
  SourceMap positions;
  Diagnostics diags = DecodeText(
      "hosts: ['*']\ngateways: [web-gateway]\nhttp:\n- match:\n  - uri: {exact: /}\n"
      "  route:\n  - destination: {host: web-v1-service, port: {number: 80}}\n    weight: 90\n"
      "  timeout: 1.5s\n",
      vs, &positions);
  ASSERT_TRUE(diags.empty()) << diags.ToString();
  ASSERT_EQ(vs.http.size(), 1u);
  EXPECT_EQ(*vs.http[0].match[0].uri->exact, "/");
  EXPECT_EQ(vs.http[0].route[0].destination.host, "web-v1-service");
  EXPECT_EQ(*vs.http[0].route[0].destination.port->number, 80u);
  EXPECT_EQ(*vs.http[0].route[0].weight, 90);
  EXPECT_EQ(vs.http[0].timeout->nanos, 1'500'000'000);
  EXPECT_EQ(positions.Find("spec.http[0].route[0].weight")->line, 8);
  EXPECT_EQ(positions.Find("spec.http[0].route[0].weight")->column, 13);
}

TEST(Decoder, ReportsEveryProblemWithPathAndPosition) {
  VirtualServiceSpec vs;
  Diagnostics diags = DecodeText(
      "hosts: web\nhttp:\n- route:\n  - destination: {port: {number: -1}}\n    weight: \"5\"\n"
      "  timeout: 5\n  retries: {attempts: 1.5}\n  mirrorPercentage: {value: x}\n  hostss: [a]\n",
      vs);
  EXPECT_EQ(
      diags.ToString(),
      "1:8: spec.hosts: expected array, got string\n"
      "4:18: spec.http[0].route[0].destination.host: required field is missing\n"
      "4:34: spec.http[0].route[0].destination.port.number: must be between 0 and "
      "4294967295\n"
      "5:13: spec.http[0].route[0].weight: expected integer, got string\n"
      "6:12: spec.http[0].timeout: expected duration string such as \"1.5s\" or \"100ms\", got "
      "integer\n"
      "7:23: spec.http[0].retries.attempts: expected integer, got number\n"
      "8:29: spec.http[0].mirrorPercentage.value: expected number, got string\n"
      "9:3: spec.http[0].hostss: unknown field \"hostss\"\n");
}

TEST(Decoder, SuggestsTheFieldMeant) {
  HTTPMatchRequest m;
  Diagnostics diags = DecodeText("ignoreURICase: true\nheader: {}\n", m);
  EXPECT_EQ(diags.ToString(),
            "1:1: spec.ignoreURICase: unknown field \"ignoreURICase\" (did you mean "
            "\"ignoreUriCase\"?)\n"
            "2:1: spec.header: unknown field \"header\" (did you mean \"headers\"?)\n");
}

TEST(Decoder, ChecksEnumValues) {
  LoadBalancerSettings lb;
  Diagnostics diags = DecodeText("simple: FASTEST\n", lb);
  EXPECT_EQ(diags.ToString(),
            "1:9: spec.simple: unsupported value \"FASTEST\": must be one of UNSPECIFIED, "
            "LEAST_CONN, RANDOM, PASSTHROUGH, ROUND_ROBIN, LEAST_REQUEST\n");
}

TEST(Decoder, NullMeansAbsentAndIntegralFloatsAreIntegers) {
  Destination d;
  Diagnostics diags = DecodeText("host: a\nsubset: null\nport: {number: 80.0}\n", d);
  EXPECT_TRUE(diags.empty()) << diags.ToString();
  EXPECT_FALSE(d.subset.has_value());
  EXPECT_EQ(*d.port->number, 80u);
}

TEST(Decoder, MapKeysArePartOfThePath) {
  HTTPMatchRequest m;
  Diagnostics diags = DecodeText("headers:\n  end-user: {exact: 1}\n", m);
  EXPECT_EQ(diags.ToString(), "2:21: spec.headers[end-user].exact: expected string, got integer\n");
}

}  // namespace
}  // namespace canaryd::config

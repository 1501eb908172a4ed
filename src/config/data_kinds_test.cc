// ConfigMap, Secret and Event decoded and validated by the config layer, as `canaryctl
// validate` and canaryd's start-up see them.
#include <gtest/gtest.h>

#include "config/loader.h"

namespace canaryd::config {
namespace {

std::vector<std::string> Errors(const std::string& yaml) {
  LoadResult result;
  LoadText(yaml, "t.yaml", {}, result);
  std::vector<std::string> out;
  for (const Diagnostic& d : result.diagnostics.items()) out.push_back(d.ToString());
  return out;
}

TEST(DataKinds, ConfigMapAndSecretDecodeBesideMetadata) {
  LoadResult result;
  LoadText(R"(apiVersion: v1
kind: ConfigMap
metadata: {name: web}
data: {color: blue}
binaryData: {logo: aGk=}
immutable: true
---
apiVersion: v1
kind: Secret
metadata: {name: s}
type: kubernetes.io/basic-auth
stringData: {username: admin}
)",
           "t.yaml", {}, result);
  ASSERT_TRUE(result.diagnostics.empty()) << result.diagnostics.ToString();
  ASSERT_EQ(result.resources.size(), 2u);
  const ConfigMapBody& cm = result.resources[0].As<ConfigMapBody>();
  EXPECT_EQ(cm.data.at("color"), "blue");
  EXPECT_EQ(*cm.immutable, true);
  EXPECT_EQ(result.resources[1].As<SecretBody>().string_data.at("username"), "admin");
  EXPECT_EQ(result.resources[1].ns(), "default");
}

TEST(DataKinds, KubernetesRulesForKeysBytesAndTypes) {
  EXPECT_EQ(Errors("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndatta: {a: b}\n"),
            std::vector<std::string>{
                "t.yaml:4:1: datta: unknown field \"datta\" (did you mean \"data\"?)"});
  EXPECT_EQ(Errors("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"
                   "data: {a b: x, ..x: y, d: z}\nbinaryData: {d: eA==, c: '!'}\n"),
            (std::vector<std::string>{
                "t.yaml:4:16: data[..x]: Invalid value: \"..x\": must not start with '..'",
                "t.yaml:4:8: data[a b]: Invalid value: \"a b\": a valid config key must consist "
                "of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  "
                "or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
                "t.yaml:5:14: binaryData[d]: Invalid value: \"d\": duplicate of key present in "
                "data",
                "t.yaml:5:23: binaryData[c]: illegal base64 data at input byte 0"}));
  EXPECT_EQ(Errors("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n"
                   "type: kubernetes.io/tls\ndata: {tls.crt: YQ==}\n"),
            std::vector<std::string>{"t.yaml:5:7: data[tls.key]: Required value"});
  EXPECT_EQ(Errors("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n"
                   "type: kubernetes.io/dockerconfigjson\nstringData: {.dockerconfigjson: '{'}\n"),
            std::vector<std::string>{"t.yaml:1:1: data[.dockerconfigjson]: Invalid value: "
                                     "\"<secret contents redacted>\": not valid JSON"});
  std::string big = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  a: \"" +
                    std::string((1 << 20) + 1, 'x') + "\"\n";
  EXPECT_EQ(Errors(big), std::vector<std::string>{
                             "t.yaml:5:3: data: Too long: must have at most 1048576 bytes"});
}

TEST(DataKinds, EventNamespacesAndTheEventsK8sIoRules) {
  const std::string head = "apiVersion: v1\nkind: Event\nmetadata: {name: e, namespace: prod}\n";
  EXPECT_TRUE(Errors(head + "involvedObject: {kind: Service, name: web, namespace: prod}\n"
                            "reason: R\nfirstTimestamp: \"2026-01-01T00:00:00Z\"\n")
                  .empty());
  EXPECT_EQ(Errors(head + "involvedObject: {kind: Service, name: web, namespace: qa}\n"),
            std::vector<std::string>{"t.yaml:4:55: involvedObject.namespace: Invalid value: "
                                     "\"qa\": does not match event.namespace"});
  // An event about a cluster-scoped object lives in default.
  EXPECT_FALSE(Errors(head + "involvedObject: {kind: Namespace, name: prod}\n").empty());
  EXPECT_TRUE(Errors("apiVersion: v1\nkind: Event\nmetadata: {name: e}\n"
                     "involvedObject: {kind: Namespace, name: prod}\n")
                  .empty());
  EXPECT_EQ(
      Errors(head + "involvedObject: {namespace: prod}\neventTime: \"2026-01-01T00:00:00.5Z\"\n"
                    "lastTimestamp: yesterday\n"),
      (std::vector<std::string>{
          "t.yaml:1:1: reportingComponent: Required value",
          "t.yaml:1:1: reportingInstance: Required value", "t.yaml:1:1: action: Required value",
          "t.yaml:1:1: reason: Required value",
          "t.yaml:6:16: lastTimestamp: Invalid value: \"yesterday\": must be an RFC 3339 time"}));
  EXPECT_EQ(Errors(head + "involvedObject: {namespace: prod}\ncount: x\n"),
            std::vector<std::string>{"t.yaml:5:8: count: expected integer, got string"});
}

TEST(DataKinds, RefusedAndReviewKindsAreNotManifests) {
  std::vector<std::string> ingress =
      Errors("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i}\n");
  ASSERT_EQ(ingress.size(), 1u);
  EXPECT_NE(ingress[0].find("networking.k8s.io/v1 Ingress is not served: canaryd routes by "
                            "Istio's resources"),
            std::string::npos)
      << ingress[0];
  std::vector<std::string> review = Errors(
      "apiVersion: authorization.k8s.io/v1\nkind: SelfSubjectAccessReview\n"
      "metadata: {name: r}\n");
  ASSERT_EQ(review.size(), 1u);
  EXPECT_NE(review[0].find("a request the API server answers"), std::string::npos) << review[0];
}

}  // namespace
}  // namespace canaryd::config

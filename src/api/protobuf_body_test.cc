#include "api/protobuf_body.h"

#include <gtest/gtest.h>

namespace canaryd::api {
namespace {

using nlohmann::json;

// A protobuf writer for the tests: fields in the order given, as Go's generated code writes
// them (empty strings included).
class Pb {
 public:
  Pb& Str(uint32_t field, const std::string& s) { return Bytes(field, s); }
  Pb& Bytes(uint32_t field, const std::string& s) {
    Tag(field, 2);
    Varint(s.size());
    out_ += s;
    return *this;
  }
  Pb& Msg(uint32_t field, const Pb& m) { return Bytes(field, m.out_); }
  Pb& Int(uint32_t field, int64_t v) {
    Tag(field, 0);
    Varint(static_cast<uint64_t>(v));
    return *this;
  }
  Pb& Entry(uint32_t field, const std::string& k, const std::string& v) {
    return Msg(field, Pb().Str(1, k).Str(2, v));
  }
  Pb& Fixed32(uint32_t field) {
    Tag(field, 5);
    out_ += std::string(4, '\0');
    return *this;
  }
  const std::string& bytes() const { return out_; }
  // The "k8s\0" envelope: runtime.Unknown{typeMeta, raw, contentEncoding, contentType}.
  std::string Body(const std::string& api_version, const std::string& kind) const {
    Pb unknown;
    unknown.Msg(1, Pb().Str(1, api_version).Str(2, kind)).Bytes(2, out_).Str(3, "").Str(4, "");
    return std::string("k8s\0", 4) + unknown.out_;
  }

 private:
  void Tag(uint32_t field, uint32_t wire) { Varint(uint64_t{field} << 3 | wire); }
  void Varint(uint64_t v) {
    while (v >= 0x80) {
      out_ += static_cast<char>((v & 0x7f) | 0x80);
      v >>= 7;
    }
    out_ += static_cast<char>(v);
  }
  std::string out_;
};

// ObjectMeta as kubectl's typed client writes it: every string field, empty or not, and a zero
// creationTimestamp.
Pb Meta(const std::string& name) {
  Pb m;
  m.Str(1, name).Str(2, "").Str(3, "").Str(4, "").Str(5, "").Str(6, "").Int(7, 0);
  m.Msg(8, Pb().Int(1, 0).Int(2, 0));
  m.Entry(11, "app", name);
  return m;
}

json Decoded(const std::string& body) {
  Result<json> r = DecodeProtobufBody(body);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? *r : json();
}

// What `kubectl create service clusterip foo --tcp=80:8080 --tcp=443:https` sends.
TEST(ProtobufBody, ServiceAsKubectlCreateServiceSendsIt) {
  Pb port1, port2;
  port1.Str(1, "80-8080").Str(2, "TCP").Int(3, 80).Msg(4, Pb().Int(1, 0).Int(2, 8080).Str(3, ""));
  port1.Int(5, 0);
  port2.Str(1, "443-https")
      .Str(2, "TCP")
      .Int(3, 443)
      .Msg(4, Pb().Int(1, 1).Int(2, 0).Str(3, "https"));
  port2.Int(5, 0);
  Pb spec;
  spec.Msg(1, port1).Msg(1, port2).Entry(2, "app", "foo").Str(3, "").Str(4, "ClusterIP");
  spec.Str(7, "").Str(8, "").Str(10, "").Str(11, "").Int(12, 0).Int(13, 0);
  Pb svc;
  svc.Msg(1, Meta("foo")).Msg(2, spec).Msg(3, Pb().Msg(1, Pb()));
  EXPECT_EQ(Decoded(svc.Body("v1", "Service")), json::parse(R"({
    "apiVersion": "v1", "kind": "Service",
    "metadata": {"name": "foo", "labels": {"app": "foo"}},
    "spec": {"ports": [{"name": "80-8080", "protocol": "TCP", "port": 80, "targetPort": 8080},
                       {"name": "443-https", "protocol": "TCP", "port": 443,
                        "targetPort": "https"}],
             "selector": {"app": "foo"}, "type": "ClusterIP"}})"));
}

TEST(ProtobufBody, NodePortExternalNameAndPointerFields) {
  Pb np;
  np.Msg(1, Pb().Str(2, "TCP").Int(3, 80).Msg(4, Pb().Int(2, 8080)).Int(5, 30080));
  np.Str(4, "NodePort").Int(20, 0);  // allocateLoadBalancerNodePorts: false, set
  json s = Decoded(Pb().Msg(1, Meta("np")).Msg(2, np).Body("v1", "Service"));
  EXPECT_EQ(s["spec"]["ports"][0]["nodePort"], 30080);
  EXPECT_EQ(s["spec"]["type"], "NodePort");
  EXPECT_EQ(s["spec"]["allocateLoadBalancerNodePorts"], false);
  json ext = Decoded(Pb().Msg(1, Meta("ext"))
                         .Msg(2, Pb().Str(4, "ExternalName").Str(10, "example.com"))
                         .Body("v1", "Service"));
  EXPECT_EQ(ext["spec"], json({{"type", "ExternalName"}, {"externalName", "example.com"}}));
}

TEST(ProtobufBody, NamespaceConfigMapSecretAndReviews) {
  EXPECT_EQ(
      Decoded(
          Pb().Msg(1, Meta("prod")).Msg(2, Pb()).Msg(3, Pb().Str(1, "")).Body("v1", "Namespace")),
      json::parse(R"({"apiVersion":"v1","kind":"Namespace",
                            "metadata":{"name":"prod","labels":{"app":"prod"}}})"));
  json cm = Decoded(Pb().Msg(1, Meta("cm"))
                        .Entry(2, "a", "1")
                        .Entry(3, "logo", std::string("\x00\xff", 2))
                        .Body("v1", "ConfigMap"));
  EXPECT_EQ(cm["data"], json({{"a", "1"}}));
  EXPECT_EQ(cm["binaryData"], json({{"logo", "AP8="}}));
  EXPECT_FALSE(cm.contains("immutable"));
  json secret = Decoded(
      Pb().Msg(1, Meta("s")).Entry(2, "k", "v").Str(3, "Opaque").Int(5, 0).Body("v1", "Secret"));
  EXPECT_EQ(secret["data"], json({{"k", "dg=="}}));
  EXPECT_EQ(secret["type"], "Opaque");
  EXPECT_EQ(secret["immutable"], false);  // a pointer field: present means set
  Pb attrs;
  attrs.Str(1, "default").Str(2, "create").Str(3, "networking.istio.io").Str(4, "");
  attrs.Str(5, "virtualservices").Str(6, "").Str(7, "");
  json ssar = Decoded(Pb().Msg(1, Meta(""))
                          .Msg(2, Pb().Msg(1, attrs))
                          .Msg(3, Pb().Int(1, 0))
                          .Body("authorization.k8s.io/v1", "SelfSubjectAccessReview"));
  EXPECT_EQ(ssar["spec"]["resourceAttributes"], json({{"namespace", "default"},
                                                      {"verb", "create"},
                                                      {"group", "networking.istio.io"},
                                                      {"resource", "virtualservices"}}));
  json ssrr = Decoded(Pb().Msg(2, Pb().Str(1, "default"))
                          .Body("authorization.k8s.io/v1", "SelfSubjectRulesReview"));
  EXPECT_EQ(ssrr["spec"]["namespace"], "default");
}

// Nothing canaryd does not understand is dropped: the error names the field.
TEST(ProtobufBody, WhatIsNotUnderstoodIsRefused) {
  auto error = [](const std::string& body) {
    Result<json> r = DecodeProtobufBody(body);
    EXPECT_FALSE(r.ok());
    return r.ok() ? std::string() : r.status().message();
  };
  // An unknown field number in a ServicePort.
  std::string unknown = error(
      Pb().Msg(1, Meta("x")).Msg(2, Pb().Msg(1, Pb().Int(3, 80).Int(99, 1))).Body("v1", "Service"));
  EXPECT_NE(unknown.find("spec.ports has field 99 of k8s.io.api.core.v1.ServicePort"),
            std::string::npos)
      << unknown;
  // The right number with the wrong wire type.
  std::string wire = error(Pb().Msg(2, Pb().Str(4, "x").Fixed32(12)).Body("v1", "Service"));
  EXPECT_NE(wire.find("spec.healthCheckNodePort has the wrong wire type"), std::string::npos)
      << wire;
  std::string managed = error(Pb().Msg(1, Pb().Str(1, "x").Msg(17, Pb())).Body("v1", "Namespace"));
  EXPECT_NE(managed.find("metadata.managedFields is not read"), std::string::npos) << managed;
  std::string far = error(
      Pb().Msg(1, Pb().Str(1, "x").Msg(8, Pb().Int(1, int64_t{1} << 62))).Body("v1", "Namespace"));
  EXPECT_NE(far.find("metadata.creationTimestamp is out of range"), std::string::npos) << far;
  // Truncated input.
  std::string body = Pb().Msg(1, Meta("x")).Body("v1", "Service");
  EXPECT_FALSE(DecodeProtobufBody(body.substr(0, body.size() - 3)).ok());
  // Kinds canaryd does not decode, and bodies that are not Kubernetes' protobuf.
  Result<json> deployment =
      DecodeProtobufBody(Pb().Msg(1, Meta("x")).Body("apps/v1", "Deployment"));
  ASSERT_FALSE(deployment.ok());
  EXPECT_EQ(deployment.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(DecodeProtobufBody("{}").status().code(), StatusCode::kNotFound);
  Pb gzip;  // runtime.Unknown with a contentEncoding, which Kubernetes never sends
  gzip.Msg(1, Pb().Str(1, "v1").Str(2, "Service")).Bytes(2, "").Str(3, "gzip");
  EXPECT_FALSE(DecodeProtobufBody(std::string("k8s\0", 4) + gzip.bytes()).ok());
}

}  // namespace
}  // namespace canaryd::api

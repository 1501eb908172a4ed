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
    "metadata": {"name": "foo", "labels": {"app": "foo"}, "creationTimestamp": null},
    "spec": {"ports": [{"name": "80-8080", "protocol": "TCP", "port": 80, "targetPort": 8080},
                       {"name": "443-https", "protocol": "TCP", "port": 443,
                        "targetPort": "https"}],
             "selector": {"app": "foo"}, "type": "ClusterIP"},
    "status": {"loadBalancer": {}}})"));
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
                            "metadata":{"name":"prod","labels":{"app":"prod"},
                                        "creationTimestamp":null},
                            "spec":{},"status":{}})"));
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

// A Container as Go's generated code writes it: every plain field, and resources (a struct)
// even when empty.
Pb Container(const std::string& name, const std::string& image) {
  Pb c;
  c.Str(1, name).Str(2, image).Str(5, "").Msg(8, Pb()).Str(13, "").Str(14, "");
  c.Int(16, 0).Int(17, 0).Int(18, 0).Str(20, "");
  return c;
}
// A PodSpec's plain fields, as Go writes them around the containers.
Pb& PodSpecScalars(Pb& spec, const std::string& restart, const std::string& dns) {
  spec.Str(3, restart).Str(6, dns).Str(8, "").Str(9, "").Str(10, "");
  spec.Int(11, 0).Int(12, 0).Int(13, 0).Str(16, "").Str(17, "").Str(19, "").Str(24, "");
  return spec;
}
// A zero PodStatus: its plain fields, nothing else.
Pb EmptyPodStatus() {
  Pb st;
  st.Str(1, "").Str(3, "").Str(4, "").Str(5, "").Str(6, "").Str(9, "").Str(11, "");
  st.Str(14, "").Int(17, 0);
  return st;
}

// What `kubectl create deployment web --image=gardnera/canarytester:v1 --replicas=2` sends:
// the same object as its JSON (`-o json --dry-run=client`), `resources: {}`, `strategy: {}`,
// `status: {}` and `creationTimestamp: null` included.
TEST(ProtobufBody, DeploymentAsKubectlCreateDeploymentSendsIt) {
  Pb pod_spec;
  pod_spec.Msg(2, Container("canarytester", "gardnera/canarytester:v1"));
  PodSpecScalars(pod_spec, "", "");
  Pb spec;
  spec.Int(1, 2).Msg(2, Pb().Entry(1, "app", "web"));
  spec.Msg(3, Pb().Msg(1, Meta("web")).Msg(2, pod_spec));
  spec.Msg(4, Pb().Str(1, "")).Int(5, 0).Int(7, 0);
  Pb status;
  status.Int(1, 0).Int(2, 0).Int(3, 0).Int(4, 0).Int(5, 0).Int(7, 0);
  json d =
      Decoded(Pb().Msg(1, Meta("web")).Msg(2, spec).Msg(3, status).Body("apps/v1", "Deployment"));
  EXPECT_EQ(d, json::parse(R"({
    "kind": "Deployment", "apiVersion": "apps/v1",
    "metadata": {"name": "web", "labels": {"app": "web"}, "creationTimestamp": null},
    "spec": {
      "replicas": 2,
      "selector": {"matchLabels": {"app": "web"}},
      "template": {
        "metadata": {"name": "web", "labels": {"app": "web"}, "creationTimestamp": null},
        "spec": {"containers": [{"name": "canarytester", "image": "gardnera/canarytester:v1",
                                 "resources": {}}]}},
      "strategy": {}},
    "status": {}})"));
}

// What a typed client sends for `kubectl run pod1 --image=gardnera/canarytester:v1` (kubectl
// 1.32 itself sends it as JSON).
TEST(ProtobufBody, PodAsKubectlRunSendsIt) {
  Pb meta;
  meta.Str(1, "pod1").Str(2, "").Str(3, "").Str(4, "").Str(5, "").Str(6, "").Int(7, 0);
  meta.Msg(8, Pb().Int(1, 0).Int(2, 0)).Entry(11, "run", "pod1");
  Pb spec;
  spec.Msg(2, Container("pod1", "gardnera/canarytester:v1"));
  PodSpecScalars(spec, "Always", "ClusterFirst");
  json p = Decoded(Pb().Msg(1, meta).Msg(2, spec).Msg(3, EmptyPodStatus()).Body("v1", "Pod"));
  EXPECT_EQ(p, json::parse(R"({
    "kind": "Pod", "apiVersion": "v1",
    "metadata": {"name": "pod1", "labels": {"run": "pod1"}, "creationTimestamp": null},
    "spec": {"containers": [{"name": "pod1", "image": "gardnera/canarytester:v1",
                             "resources": {}}],
             "restartPolicy": "Always", "dnsPolicy": "ClusterFirst"},
    "status": {}})"));
}

// The rest of a Deployment's template: ports, env (values and references), probes with their
// inline handler, resources (Quantities), security contexts, a rolling update, and pointer
// fields set to their zero value.
TEST(ProtobufBody, DeploymentTemplateInDetail) {
  Pb c = Container("web", "web:v2");
  c.Msg(6, Pb().Str(1, "http").Int(2, 0).Int(3, 8080).Str(4, "TCP").Str(5, ""));
  c.Msg(7, Pb().Str(1, "MODE").Str(2, "canary"));
  c.Msg(7, Pb().Str(1, "POD").Str(2, "").Msg(
               3, Pb().Msg(1, Pb().Str(1, "v1").Str(2, "metadata.name"))));
  c.Msg(7, Pb().Str(1, "KEY").Str(2, "").Msg(
               3, Pb().Msg(3, Pb().Msg(1, Pb().Str(1, "cm")).Str(2, "k").Int(3, 0))));
  c.Msg(8, Pb().Msg(1, Pb().Str(1, "cpu").Msg(2, Pb().Str(1, "500m")))
               .Msg(2, Pb().Str(1, "memory").Msg(2, Pb().Str(1, "64Mi"))));
  Pb http;
  http.Str(1, "/healthz").Msg(2, Pb().Int(1, 0).Int(2, 8080).Str(3, "")).Str(3, "");
  http.Str(4, "HTTP");
  c.Msg(11, Pb().Msg(1, Pb().Msg(2, http)).Int(2, 0).Int(3, 1).Int(4, 5).Int(5, 1).Int(6, 3));
  c.Msg(10, Pb().Msg(1, Pb().Msg(3, Pb().Msg(1, Pb().Int(1, 1).Int(2, 0).Str(3, "http")))));
  c.Msg(15, Pb().Int(4, 1000).Int(5, 0).Msg(1, Pb().Str(2, "NET_ADMIN")));
  Pb pod_spec;
  pod_spec.Msg(2, c).Int(4, 30);
  pod_spec.Msg(14, Pb().Int(2, 0).Int(6, 3000).Int(3, 1).Int(4, 1).Int(4, 2).Bytes(4, "\x03\x04"));
  Pb spec;
  spec.Int(1, 0).Msg(3, Pb().Msg(2, pod_spec));
  spec.Msg(4, Pb().Str(1, "RollingUpdate")
                  .Msg(2, Pb().Msg(1, Pb().Int(1, 0).Int(2, 0).Str(3, ""))
                              .Msg(2, Pb().Int(1, 1).Int(2, 0).Str(3, "25%"))));
  spec.Int(6, 10);
  json d = Decoded(Pb().Msg(2, spec).Body("apps/v1", "Deployment"))["spec"];
  EXPECT_EQ(d["replicas"], 0);  // a pointer: 0 is set, not left out
  EXPECT_EQ(d["revisionHistoryLimit"], 10);
  EXPECT_EQ(d["strategy"], json::parse(R"({"type": "RollingUpdate",
                                           "rollingUpdate": {"maxUnavailable": 0,
                                                             "maxSurge": "25%"}})"));
  EXPECT_EQ(d["template"]["spec"]["terminationGracePeriodSeconds"], 30);
  EXPECT_EQ(d["template"]["spec"]["securityContext"],
            json::parse(R"({"runAsUser": 0, "runAsGroup": 3000, "runAsNonRoot": true,
                            "supplementalGroups": [1, 2, 3, 4]})"));
  EXPECT_EQ(d["template"]["spec"]["containers"][0], json::parse(R"({
    "name": "web", "image": "web:v2",
    "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
    "env": [{"name": "MODE", "value": "canary"},
            {"name": "POD", "valueFrom": {"fieldRef": {"apiVersion": "v1",
                                                       "fieldPath": "metadata.name"}}},
            {"name": "KEY", "valueFrom": {"configMapKeyRef": {"name": "cm", "key": "k",
                                                              "optional": false}}}],
    "resources": {"limits": {"cpu": "500m"}, "requests": {"memory": "64Mi"}},
    "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTP"},
                       "timeoutSeconds": 1, "periodSeconds": 5, "successThreshold": 1,
                       "failureThreshold": 3},
    "livenessProbe": {"tcpSocket": {"port": "http"}},
    "securityContext": {"runAsUser": 1000, "runAsNonRoot": false,
                        "capabilities": {"drop": ["NET_ADMIN"]}}})"));
}

TEST(ProtobufBody, WhatIsNotUnderstoodInAPodIsRefused) {
  auto error = [](const std::string& body) {
    Result<json> r = DecodeProtobufBody(body);
    EXPECT_FALSE(r.ok());
    return r.ok() ? std::string() : r.status().message();
  };
  Pb c = Container("web", "web:v1");
  c.Int(99, 1);
  Pb template_spec;
  template_spec.Msg(2, Pb().Msg(2, c));
  std::string unknown =
      error(Pb().Msg(2, Pb().Msg(3, template_spec)).Body("apps/v1", "Deployment"));
  EXPECT_NE(unknown.find("spec.template.spec.containers has field 99 of "
                         "k8s.io.api.core.v1.Container, which canaryd does not know"),
            std::string::npos)
      << unknown;
  // A probe's inline handler is reported where its fields are: on the probe.
  Pb probe_container = Container("web", "web:v1");
  probe_container.Msg(10, Pb().Msg(1, Pb().Int(9, 1)));
  std::string handler = error(Pb().Msg(2, Pb().Msg(2, probe_container)).Body("v1", "Pod"));
  EXPECT_NE(handler.find("spec.containers.livenessProbe has field 9 of "
                         "k8s.io.api.core.v1.ProbeHandler"),
            std::string::npos)
      << handler;
  std::string volumes = error(Pb().Msg(2, Pb().Msg(1, Pb().Str(1, "data"))).Body("v1", "Pod"));
  EXPECT_NE(volumes.find("spec.volumes is not read from protobuf bodies"), std::string::npos)
      << volumes;
  Pb bad_quantity = Container("web", "web:v1");
  bad_quantity.Msg(8, Pb().Msg(1, Pb().Str(1, "cpu").Msg(2, Pb().Int(1, 5))));
  std::string quantity = error(Pb().Msg(2, Pb().Msg(2, bad_quantity)).Body("v1", "Pod"));
  EXPECT_NE(quantity.find("spec.containers.resources.limits.cpu is not a Quantity"),
            std::string::npos)
      << quantity;
  std::string status = error(Pb().Msg(3, Pb().Msg(8, Pb())).Body("v1", "Pod"));
  EXPECT_NE(status.find("status.containerStatuses is not read"), std::string::npos) << status;
  std::string deployment_status = error(Pb().Msg(3, Pb().Int(10, 1)).Body("apps/v1", "Deployment"));
  EXPECT_NE(deployment_status.find("status has field 10 of k8s.io.api.apps.v1.DeploymentStatus"),
            std::string::npos)
      << deployment_status;
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
  Result<json> job = DecodeProtobufBody(Pb().Msg(1, Meta("x")).Body("batch/v1", "Job"));
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(DecodeProtobufBody("{}").status().code(), StatusCode::kNotFound);
  Pb gzip;  // runtime.Unknown with a contentEncoding, which Kubernetes never sends
  gzip.Msg(1, Pb().Str(1, "v1").Str(2, "Service")).Bytes(2, "").Str(3, "gzip");
  EXPECT_FALSE(DecodeProtobufBody(std::string("k8s\0", 4) + gzip.bytes()).ok());
}

}  // namespace
}  // namespace canaryd::api

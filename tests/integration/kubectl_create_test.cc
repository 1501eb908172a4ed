// kubectl's typed `create` commands, whose bodies are protobuf: every `kubectl create service`
// variant (clusterip, headless, nodeport, loadbalancer, externalname) arrives with its ports,
// selector, labels and type, exactly as the same Service in JSON would; so do `kubectl create
// deployment` and `kubectl run`.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "integration/kubectl_fixture.h"

namespace canaryd::testing {
namespace {

using nlohmann::json;

class KubectlCreateTest : public KubectlTest {
 protected:
  json Get(const std::string& name) {
    std::string out = Ok({"get", "service", name, "-o", "json"});
    json j = json::parse(out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << out;
    return j;
  }
};

TEST_F(KubectlCreateTest, ClusterIp) {
  EXPECT_EQ(Ok({"create", "service", "clusterip", "foo", "--tcp=80:8080", "--tcp=443:https"}),
            "service/foo created\n");
  json s = Get("foo");
  EXPECT_EQ(s["metadata"]["labels"], json({{"app", "foo"}}));
  EXPECT_EQ(s["spec"]["type"], "ClusterIP");
  EXPECT_EQ(s["spec"]["selector"], json({{"app", "foo"}}));
  EXPECT_EQ(s["spec"]["ports"],
            json::parse(R"([{"name":"80-8080","port":80,"protocol":"TCP","targetPort":8080},
                            {"name":"443-https","port":443,"protocol":"TCP","targetPort":"https"}])"));
  EXPECT_FALSE(s["spec"].contains("externalName"));
  EXPECT_FALSE(s["spec"].contains("clusterIP"));
  // The same Service written as JSON by kubectl apply is the same object.
  std::string table = Ok({"get", "service", "foo"});
  EXPECT_NE(table.find("foo    ClusterIP   <none>       <none>        80/TCP,443/TCP"),
            std::string::npos)
      << table;
}

TEST_F(KubectlCreateTest, Headless) {
  EXPECT_EQ(Ok({"create", "service", "clusterip", "headless", "--clusterip=None"}),
            "service/headless created\n");
  json s = Get("headless");
  EXPECT_EQ(s["spec"]["clusterIP"], "None");
  EXPECT_FALSE(s["spec"].contains("ports"));
}

TEST_F(KubectlCreateTest, NodePort) {
  EXPECT_EQ(Ok({"create", "service", "nodeport", "np", "--tcp=80:8080", "--node-port=30080"}),
            "service/np created\n");
  json s = Get("np");
  EXPECT_EQ(s["spec"]["type"], "NodePort");
  EXPECT_EQ(s["spec"]["ports"][0]["nodePort"], 30080);
  EXPECT_EQ(s["spec"]["ports"][0]["targetPort"], 8080);
}

TEST_F(KubectlCreateTest, LoadBalancer) {
  EXPECT_EQ(Ok({"create", "service", "loadbalancer", "lb", "--tcp=5678:8080"}),
            "service/lb created\n");
  json s = Get("lb");
  EXPECT_EQ(s["spec"]["type"], "LoadBalancer");
  EXPECT_EQ(s["spec"]["ports"][0]["port"], 5678);
}

TEST_F(KubectlCreateTest, ExternalName) {
  EXPECT_EQ(Ok({"create", "service", "externalname", "ext", "--external-name=example.com"}),
            "service/ext created\n");
  json s = Get("ext");
  EXPECT_EQ(s["spec"]["type"], "ExternalName");
  EXPECT_EQ(s["spec"]["externalName"], "example.com");
}

// `kubectl create deployment` and `kubectl run` send apps/v1 Deployment and core/v1 Pod in
// protobuf: what they hold arrives as the same objects in JSON would.
TEST_F(KubectlCreateTest, DeploymentAndRun) {
  EXPECT_EQ(Ok({"create", "deployment", "web", "--image=gardnera/canarytester:v1", "--replicas=2"}),
            "deployment.apps/web created\n");
  EXPECT_EQ(Ok({"get", "deploy", "web", "-o",
                "jsonpath={.spec.replicas} {.spec.selector.matchLabels.app} "
                "{.metadata.labels.app} {.spec.template.metadata.labels.app} "
                "{.spec.template.spec.containers[0].name} "
                "{.spec.template.spec.containers[0].image}"}),
            "2 web web web canarytester gardnera/canarytester:v1");
  EXPECT_EQ(Ok({"run", "pod1", "--image=gardnera/canarytester:v1"}), "pod/pod1 created\n");
  EXPECT_EQ(Ok({"get", "pod", "pod1", "-o",
                "jsonpath={.metadata.labels.run} {.spec.containers[0].name} "
                "{.spec.containers[0].image}"}),
            "pod1 pod1 gardnera/canarytester:v1");
}

TEST_F(KubectlCreateTest, DryRunAndValidationStillApply) {
  EXPECT_EQ(Ok({"create", "service", "clusterip", "dry", "--tcp=80:8080", "--dry-run=server"}),
            "service/dry created (server dry run)\n");
  EXPECT_EQ(canaryd_.Kubectl({"get", "service", "dry"}).exit_code, 1);
  CommandResult bad = Fails({"create", "service", "clusterip", "bad", "--tcp=70000:80"});
  EXPECT_NE(bad.err.find("70000"), std::string::npos) << bad.err;
  CommandResult ns = Fails({"create", "service", "clusterip", "x", "--tcp=80", "-n", "nowhere"});
  EXPECT_NE(ns.err.find("namespaces \"nowhere\" not found"), std::string::npos) << ns.err;
}

}  // namespace
}  // namespace canaryd::testing

// Namespaces deleted as Kubernetes deletes them, with the real kubectl: `kubectl delete -k` of a
// kustomize overlay that holds its own Namespace deletes the namespace and then each object in
// it (the namespace is Terminating until its contents are gone, so those deletes find them);
// a Terminating namespace refuses new content; finalizers hold their objects.
#include <gtest/gtest.h>

#include <filesystem>

#include "integration/kubectl_fixture.h"

namespace canaryd::testing {
namespace {

TEST_F(KubectlTest, DeleteKustomizeOverlayWithItsNamespace) {
  std::filesystem::create_directories(canaryd_.dir().File("base"));
  std::filesystem::create_directories(canaryd_.dir().File("overlay"));
  Write("base/kustomization.yaml", "resources: [service.yaml, gateway.yaml, config.yaml]\n");
  Write("base/service.yaml", R"(apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80}]
)");
  Write("base/gateway.yaml", R"(apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: web-gateway}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: ["*"]
  gateways: [web-gateway]
  http: [{route: [{destination: {host: web}}]}]
)");
  Write("base/config.yaml", R"(apiVersion: v1
kind: ConfigMap
metadata: {name: web-config}
data: {color: blue}
)");
  Write("overlay/kustomization.yaml", "namespace: shop\nresources: [namespace.yaml, ../base]\n");
  Write("overlay/namespace.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n");
  const std::string overlay = canaryd_.dir().File("overlay");

  EXPECT_EQ(Ok({"apply", "-k", overlay}),
            "namespace/shop created\nconfigmap/web-config created\nservice/web created\n"
            "gateway.networking.istio.io/web-gateway created\n"
            "virtualservice.networking.istio.io/web created\n");
  EXPECT_EQ(Ok({"delete", "-k", overlay}),
            "namespace \"shop\" deleted\nconfigmap \"web-config\" deleted\n"
            "service \"web\" deleted\ngateway.networking.istio.io \"web-gateway\" deleted\n"
            "virtualservice.networking.istio.io \"web\" deleted\n");
  // kubectl waited for each deletion, the namespace's included.
  CommandResult ns = Fails({"get", "namespace", "shop"});
  EXPECT_NE(ns.err.find("namespaces \"shop\" not found"), std::string::npos) << ns.err;
  CommandResult left = canaryd_.Kubectl({"get", "svc,cm,gw,vs", "-A", "-o", "name"});
  EXPECT_EQ(left.exit_code, 0) << left.err;
  EXPECT_EQ(left.out.find("shop"), std::string::npos) << left.out;

  // The same overlay applies again once the namespace is gone.
  EXPECT_NE(Ok({"apply", "-k", overlay}).find("namespace/shop created"), std::string::npos);
}

TEST_F(KubectlTest, ATerminatingNamespaceRefusesNewContentUntilItsContentsAreGone) {
  Ok({"create", "namespace", "prod"});
  Ok({"create", "configmap", "free", "-n", "prod"});
  // A finalizer keeps its object, and so the namespace, until someone removes it.
  Ok({"apply", "-n", "prod", "-f", Write("held.yaml", R"(apiVersion: v1
kind: ConfigMap
metadata:
  name: held
  finalizers: [example.com/hold]
data: {a: b}
)")});
  EXPECT_EQ(Ok({"delete", "namespace", "prod", "--wait=false"}), "namespace \"prod\" deleted\n");
  EXPECT_EQ(Ok({"get", "namespace", "prod", "-o", "jsonpath={.status.phase}"}), "Terminating");
  EXPECT_NE(Ok({"get", "namespace", "prod", "-o", "jsonpath={.metadata.deletionTimestamp}"}), "");
  EXPECT_NE(Ok({"get", "namespaces"}).find("prod           Terminating"), std::string::npos);

  CommandResult create = Fails({"create", "configmap", "new", "-n", "prod"});
  EXPECT_NE(create.err.find("configmaps \"new\" is forbidden: unable to create new content in "
                            "namespace prod because it is being terminated"),
            std::string::npos)
      << create.err;
  // The controller removes the rest; the held object waits for its finalizer.
  Ok({"wait", "--for=delete", "configmap/free", "-n", "prod", "--timeout=30s"});
  Ok({"wait", "--for=jsonpath={.metadata.deletionTimestamp}", "configmap/held", "-n", "prod",
      "--timeout=30s"});
  // Deleting it again during termination answers as Kubernetes does (it is being deleted).
  EXPECT_EQ(Ok({"delete", "configmap", "held", "-n", "prod", "--wait=false"}),
            "configmap \"held\" deleted\n");
  EXPECT_EQ(Ok({"get", "namespace", "prod", "-o", "jsonpath={.status.phase}"}), "Terminating");
  // Updates of what is there are still allowed; removing the finalizer lets everything go.
  Ok({"patch", "configmap", "held", "-n", "prod", "--type=merge", "-p",
      R"({"metadata":{"finalizers":null}})"});
  Ok({"wait", "--for=delete", "namespace/prod", "--timeout=30s"});
  CommandResult gone = Fails({"get", "configmap", "held", "-n", "prod"});
  EXPECT_NE(gone.err.find("NotFound"), std::string::npos) << gone.err;
}

}  // namespace
}  // namespace canaryd::testing

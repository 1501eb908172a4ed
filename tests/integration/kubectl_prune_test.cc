// kubectl against ConfigMaps and Secrets (stored with Kubernetes' semantics: Secret data is
// base64, stringData is merged into data, type is kept; the tables kubectl prints) and the
// features that need them: `kubectl apply --prune -l` (which maps every kind of kubectl's
// default prune list) and ApplySets (whose parent is a Secret).
#include <gtest/gtest.h>

#include <filesystem>

#include <re2/re2.h>

#include "integration/kubectl_fixture.h"

namespace canaryd::testing {
namespace {

TEST_F(KubectlTest, ConfigMapsAndSecretsAsKubernetesStoresThem) {
  EXPECT_EQ(Ok({"apply", "-f", Write("cm.yaml", R"(apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
data:
  color: blue
  size: large
binaryData:
  logo: aGVsbG8=
---
apiVersion: v1
kind: Secret
metadata:
  name: web-secret
type: kubernetes.io/basic-auth
data:
  username: YWRtaW4=
stringData:
  password: s3cr3t
)")}),
            "configmap/web-config created\nsecret/web-secret created\n");
  std::string cms = Ok({"get", "cm"});
  EXPECT_TRUE(RE2::FullMatch(cms, RE2("NAME +DATA +AGE\nweb-config +3 +[0-9]+s\n"))) << cms;
  std::string secrets = Ok({"get", "secrets"});
  EXPECT_TRUE(RE2::FullMatch(
      secrets, RE2("NAME +TYPE +DATA +AGE\nweb-secret +kubernetes.io/basic-auth +2 +[0-9]+s\n")))
      << secrets;
  // stringData went into data (base64) and is not stored.
  EXPECT_EQ(Ok({"get", "secret", "web-secret", "-o",
                "jsonpath={.data.password}|{.data.username}|{.stringData}"}),
            "czNjcjN0|YWRtaW4=|");
  // Applying the same file again changes nothing that is stored.
  std::string rv = ResourceVersion("secret/web-secret");
  Ok({"apply", "-f", canaryd_.dir().File("cm.yaml")});
  EXPECT_EQ(ResourceVersion("secret/web-secret"), rv);

  // Kubernetes' checks: base64 data, keys, the type's required keys, type immutable.
  CommandResult b64 = Fails({"apply", "-f", Write("bad.yaml", R"(apiVersion: v1
kind: Secret
metadata: {name: bad}
data: {token: "not base64!"}
)")});
  EXPECT_NE(b64.err.find("illegal base64 data at input byte 3"), std::string::npos) << b64.err;
  CommandResult key = Fails({"create", "configmap", "bad-key", "--from-literal=a b=c"});
  EXPECT_NE(key.err.find("a valid config key must consist of alphanumeric characters"),
            std::string::npos)
      << key.err;
  CommandResult tls = Fails({"create", "-f", Write("tls.yaml", R"(apiVersion: v1
kind: Secret
metadata: {name: tls}
type: kubernetes.io/tls
data: {tls.crt: YQ==}
)")});
  EXPECT_NE(tls.err.find("data[tls.key]: Required value"), std::string::npos) << tls.err;
  CommandResult type =
      Fails({"patch", "secret", "web-secret", "--type=merge", "-p", R"({"type":"Opaque"})"});
  EXPECT_NE(type.err.find("type: Invalid value: \"Opaque\": field is immutable"), std::string::npos)
      << type.err;

  // The typed clients' protobuf bodies: kubectl create configmap / secret.
  EXPECT_EQ(Ok({"create", "configmap", "literal", "--from-literal=a=1", "--from-literal=b=2"}),
            "configmap/literal created\n");
  EXPECT_EQ(Ok({"get", "cm", "literal", "-o", "jsonpath={.data.a}{.data.b}"}), "12");
  EXPECT_EQ(Ok({"create", "secret", "generic", "gen", "--from-literal=k=v"}),
            "secret/gen created\n");
  EXPECT_EQ(Ok({"get", "secret", "gen", "-o", "jsonpath={.type}:{.data.k}"}), "Opaque:dg==");
}

constexpr const char* kService = R"(apiVersion: v1
kind: Service
metadata:
  name: web
  labels: {app: shop}
spec:
  selector: {app: web}
  ports: [{port: 80}]
)";
constexpr const char* kConfigMap = R"(apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
  labels: {app: shop}
data: {color: blue}
)";

TEST_F(KubectlTest, ApplyPruneWithALabelSelector) {
  std::filesystem::create_directories(canaryd_.dir().File("app"));
  Write("app/service.yaml", kService);
  Write("app/config.yaml", kConfigMap);
  const std::string dir = canaryd_.dir().File("app");
  EXPECT_EQ(Ok({"apply", "--prune", "-l", "app=shop", "-f", dir}),
            "configmap/web-config created\nservice/web created\n");
  // What was applied with the label and is not in the directory is pruned; what kubectl did
  // not apply (no last-applied annotation) or lacks the label stays, as on a cluster.
  std::string stray = kConfigMap;
  stray.replace(stray.find("web-config"), 10, "stray");
  Ok({"apply", "-f", Write("stray.yaml", stray)});
  Ok({"create", "configmap", "created"});
  Ok({"label", "configmap", "created", "app=shop"});
  Ok({"create", "configmap", "unlabelled"});
  std::filesystem::remove(canaryd_.dir().File("app/config.yaml"));
  std::string out = Ok({"apply", "--prune", "-l", "app=shop", "-f", dir});
  EXPECT_EQ(out, "service/web unchanged\nconfigmap/stray pruned\nconfigmap/web-config pruned\n")
      << out;
  EXPECT_EQ(Ok({"get", "cm", "-o", "name"}), "configmap/created\nconfigmap/unlabelled\n");
}

TEST_F(KubectlTest, ApplySetPrunesWhatLeavesTheSet) {
  std::filesystem::create_directories(canaryd_.dir().File("set"));
  Write("set/service.yaml", kService);
  Write("set/config.yaml", kConfigMap);
  const std::string dir = canaryd_.dir().File("set");
  const std::vector<std::string> env = {"KUBECTL_APPLYSET=true"};
  for (const char* mode : {"--server-side=false", "--server-side=true"}) {
    SCOPED_TRACE(mode);
    Write("set/config.yaml", kConfigMap);
    std::string first =
        Ok({"apply", "-n", "default", mode, "--prune", "--applyset=shop", "-f", dir}, env);
    EXPECT_NE(first.find("configmap/web-config "), std::string::npos) << first;
    // The parent is a Secret with the ApplySet's labels and annotations.
    EXPECT_EQ(Ok({"get", "secret", "shop", "-o",
                  "jsonpath={.metadata.annotations.applyset\\.kubernetes\\.io/contains-group-"
                  "kinds}"}),
              "ConfigMap,Service");
    std::string id = Ok({"get", "secret", "shop", "-o",
                         "jsonpath={.metadata.labels.applyset\\.kubernetes\\.io/id}"});
    EXPECT_TRUE(RE2::FullMatch(id, RE2("applyset-[A-Za-z0-9_-]+-v1"))) << id;
    EXPECT_EQ(Ok({"get", "cm", "web-config", "-o",
                  "jsonpath={.metadata.labels.applyset\\.kubernetes\\.io/part-of}"}),
              id);
    std::filesystem::remove(canaryd_.dir().File("set/config.yaml"));
    std::string second =
        Ok({"apply", "-n", "default", mode, "--prune", "--applyset=shop", "-f", dir}, env);
    EXPECT_NE(second.find("configmap/web-config pruned"), std::string::npos) << second;
    EXPECT_EQ(canaryd_.Kubectl({"get", "cm", "web-config"}).exit_code, 1);
    EXPECT_EQ(Ok({"get", "svc", "web", "-o", "name"}), "service/web\n");
  }
}

}  // namespace
}  // namespace canaryd::testing

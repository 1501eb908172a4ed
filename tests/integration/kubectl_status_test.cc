// The status subresource with the real kubectl (1.32): get, patch and server-side apply with
// --subresource=status, a person's apply never clobbering a status, a status write never
// touching the spec, watches seeing status changes, and kinds without the subresource.
#include <csignal>
#include <nlohmann/json.hpp>

#include "integration/kubectl_fixture.h"

namespace canaryd::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr const char* kConditions =
    R"({"status":{"observedGeneration":1,"conditions":[{"type":"Reconciled","status":"True"}]}})";

TEST_F(KubectlTest, StatusSubresourceGetAndPatch) {
  Ok({"apply", "-f", Example("web-gateway-virtualservice.yaml")});
  EXPECT_EQ(Ok({"patch", "vs", "web-virtualservice", "--subresource=status", "--type=merge", "-p",
                kConditions}),
            "virtualservice.networking.istio.io/web-virtualservice patched\n");
  EXPECT_EQ(Ok({"get", "vs", "web-virtualservice", "--subresource=status", "-o",
                "jsonpath={.status.conditions[0].type}"}),
            "Reconciled");
  // As a table too: the kind's own columns.
  std::string table = Ok({"get", "vs", "web-virtualservice", "--subresource=status"});
  EXPECT_EQ(table.rfind("NAME ", 0), 0u) << table;
  EXPECT_NE(table.find("web-virtualservice"), std::string::npos) << table;

  // A person's apply of a new spec keeps the status; the generation counts the spec.
  Ok({"apply", "-f", Example("steps/web-gateway-virtualservice-90-10.yaml")});
  EXPECT_EQ(Ok({"get", "vs", "web-virtualservice", "-o",
                "jsonpath={.metadata.generation} {.status.conditions[0].type} "
                "{.status.observedGeneration}"}),
            "2 Reconciled 1");
  // A status write that also tries the spec changes only the status, and not the generation.
  Ok({"patch", "vs", "web-virtualservice", "--subresource=status", "--type=merge", "-p",
      R"({"spec":{"hosts":["evil.example.com"]},"status":{"observedGeneration":2}})"});
  EXPECT_EQ(Ok({"get", "vs", "web-virtualservice", "-o",
                "jsonpath={.metadata.generation} {.spec.hosts} {.status.observedGeneration}"}),
            "2 [\"*\"] 2");
  // Writing the status through the object itself is ignored, as kube-apiserver ignores it.
  Ok({"patch", "vs", "web-virtualservice", "--type=merge", "-p",
      R"({"status":{"observedGeneration":99}})"});
  EXPECT_EQ(Ok({"get", "vs", "web-virtualservice", "-o", "jsonpath={.status.observedGeneration}"}),
            "2");
  // kubectl replace --subresource=status: PUT of the whole object, of which the status counts.
  json obj = json::parse(Ok({"get", "vs", "web-virtualservice", "-o", "json"}));
  obj["status"]["observedGeneration"] = 4;
  obj["spec"]["hosts"] = {"replaced.example.com"};
  Ok({"replace", "--subresource=status", "-f", Write("replace.json", obj.dump())});
  EXPECT_EQ(Ok({"get", "vs", "web-virtualservice", "-o",
                "jsonpath={.spec.hosts} {.status.observedGeneration}"}),
            "[\"*\"] 4");
  // JSON patch, and a Service's strategic merge patch (kubectl's default type).
  Ok({"patch", "vs", "web-virtualservice", "--subresource=status", "--type=json", "-p",
      R"([{"op":"replace","path":"/status/observedGeneration","value":5}])"});
  EXPECT_EQ(Ok({"get", "vs", "web-virtualservice", "-o", "jsonpath={.status.observedGeneration}"}),
            "5");
  Ok({"apply", "-f", Example("web-v1-service.yaml")});
  Ok({"patch", "svc", "web-v1-service", "--subresource=status", "-p",
      R"({"status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.10"}]}}})"});
  EXPECT_EQ(
      Ok({"get", "svc", "web-v1-service", "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}"}),
      "192.0.2.10");
}

TEST_F(KubectlTest, StatusSubresourceServerSideApply) {
  Ok({"apply", "--server-side", "-f", Example("web-gateway-virtualservice.yaml")});
  // kubectl sends the whole manifest; only its status is taken, and owned by the manager.
  std::string manifest = Write("status.yaml", R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: web-virtualservice
spec:
  hosts: [ignored.example.com]
status:
  observedGeneration: 1
  conditions:
  - type: Reconciled
    status: "True"
)");
  EXPECT_EQ(Ok({"apply", "--server-side", "--subresource=status", "--field-manager=rollout", "-f",
                manifest}),
            "virtualservice.networking.istio.io/web-virtualservice serverside-applied\n");
  EXPECT_EQ(Ok({"get", "vs", "web-virtualservice", "-o",
                "jsonpath={.spec.hosts} {.status.conditions[0].type} {.metadata.generation}"}),
            "[\"*\"] Reconciled 1");
  EXPECT_EQ(Ok({"get", "vs", "web-virtualservice", "--show-managed-fields", "-o",
                R"(jsonpath={.metadata.managedFields[?(@.subresource=="status")].manager} )"
                R"({.metadata.managedFields[?(@.subresource=="status")].operation})"}),
            "rollout Apply");
  // The person's server-side apply, status included, neither conflicts nor clobbers it.
  std::string with_status = Write("with-status.yaml", R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: web-virtualservice
spec:
  hosts: ["*"]
  gateways: [web-gateway]
  http:
  - route:
    - destination: {host: web-v1-service}
status:
  observedGeneration: 42
)");
  Ok({"apply", "--server-side", "-f", with_status});
  EXPECT_EQ(Ok({"get", "vs", "web-virtualservice", "-o", "jsonpath={.status.observedGeneration}"}),
            "1");
  // Another manager taking the controller's field is a conflict, as for the spec.
  std::string other = Write("other.yaml", R"(apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: web-virtualservice
status:
  observedGeneration: 5
)");
  CommandResult conflict = Fails(
      {"apply", "--server-side", "--subresource=status", "--field-manager=other", "-f", other});
  EXPECT_NE(conflict.err.find("conflict with \"rollout\""), std::string::npos) << conflict.err;
  EXPECT_NE(conflict.err.find(".status.observedGeneration"), std::string::npos) << conflict.err;
}

TEST_F(KubectlTest, WatchSeesStatusChanges) {
  Ok({"apply", "-f", Example("web-gateway-virtualservice.yaml")});
  // As watch events: {"type":"MODIFIED","object":{...}}, one a line.
  std::unique_ptr<Process> watch =
      canaryd_.StartKubectl({"get", "vs", "-w", "--output-watch-events", "-o", "json"});
  ASSERT_NE(watch, nullptr);
  ASSERT_TRUE(watch->WaitForOutput("web-virtualservice", 20s)) << watch->Stderr();
  Ok({"patch", "vs", "web-virtualservice", "--subresource=status", "--type=merge", "-p",
      R"({"status":{"observedGeneration":31}})"});
  EXPECT_TRUE(watch->WaitForOutput("\"status\":{\"observedGeneration\":31}", 20s))
      << watch->Stdout();
  watch->Stop(SIGTERM, 5s);
  std::string out = watch->Stdout();
  EXPECT_NE(out.find("{\"type\":\"MODIFIED\""), std::string::npos) << out;
}

TEST_F(KubectlTest, KindsWithoutTheStatusSubresource) {
  Ok({"create", "configmap", "settings", "--from-literal=a=b"});
  CommandResult r = Fails({"patch", "configmap", "settings", "--subresource=status", "--type=merge",
                           "-p", R"({"status":{"a":"b"}})"});
  EXPECT_NE(r.err.find("NotFound"), std::string::npos) << r.err;
  // Discovery names the subresources kubectl may use.
  std::string api = Ok({"get", "--raw", "/api/v1"});
  EXPECT_NE(api.find(R"("name":"services/status")"), std::string::npos);
  EXPECT_EQ(api.find(R"("name":"configmaps/status")"), std::string::npos);
  // kubectl explain reads the OpenAPI document, which now lists the status paths.
  EXPECT_NE(Ok({"explain", "virtualservice.status"}).find("status"), std::string::npos);
}

}  // namespace
}  // namespace canaryd::testing

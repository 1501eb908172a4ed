// kubectl against the kinds canaryd lists in discovery without serving them (apps/v1
// StatefulSet and DaemonSet, batch Job, networking.k8s.io Ingress, ...): the server
// itself refuses writes with canaryd's explanation and answers reads with an empty list and a
// Warning; and the Event kinds (core/v1, events.k8s.io/v1) that `kubectl get events` and
// `kubectl events` read.
#include <gtest/gtest.h>
#include <signal.h>

#include <re2/re2.h>

#include "integration/kubectl_fixture.h"

namespace canaryd::testing {
namespace {

TEST_F(KubectlTest, UnservedKindsAreRefusedByTheServerWithItsExplanation) {
  std::string deployment = Write("statefulset.yaml", R"(apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web-v1
spec:
  serviceName: web
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: web:v1}]}
)");
  CommandResult apply = Fails({"apply", "-f", deployment});
  EXPECT_NE(apply.err.find("Error from server (MethodNotAllowed): error when creating \"" +
                           deployment + "\": statefulsets.apps \"web-v1\" is not served: "),
            std::string::npos)
      << apply.err;
  EXPECT_NE(apply.err.find("canaryd runs Deployments"), std::string::npos) << apply.err;
  // Server-side apply and create get the same answer.
  CommandResult ssa = Fails({"apply", "--server-side", "-f", deployment});
  EXPECT_NE(ssa.err.find("canaryd runs Deployments"), std::string::npos) << ssa.err;
  CommandResult create = Fails({"create", "-f", deployment});
  EXPECT_NE(create.err.find("canaryd runs Deployments"), std::string::npos) << create.err;

  std::string ingress = Write("ingress.yaml", R"(apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
spec:
  defaultBackend: {service: {name: web, port: {number: 80}}}
)");
  CommandResult ing = Fails({"apply", "-f", ingress});
  EXPECT_NE(ing.err.find("ingresses.networking.k8s.io \"web\" is not served"), std::string::npos)
      << ing.err;
  EXPECT_NE(ing.err.find("Gateway"), std::string::npos) << ing.err;
  EXPECT_NE(ing.err.find("VirtualService"), std::string::npos) << ing.err;

  // Reads: an empty list, explained to whoever looks at the table.
  for (const char* kind : {"statefulsets", "daemonsets", "jobs", "ingresses"}) {
    CommandResult get = canaryd_.Kubectl({"get", kind});
    EXPECT_EQ(get.exit_code, 0) << kind << ": " << get.err;
    EXPECT_EQ(get.out, "") << kind;
    EXPECT_TRUE(RE2::FullMatch(get.err, RE2("Warning: [^\n]+ canaryd [^\n]+\n"
                                            "No resources found in default namespace.\n")))
        << kind << ": " << get.err;
  }
  // A program reading JSON gets the empty list alone.
  CommandResult json = canaryd_.Kubectl({"get", "statefulsets", "-o", "json"});
  EXPECT_EQ(json.exit_code, 0) << json.err;
  EXPECT_NE(json.out.find("\"items\": []"), std::string::npos) << json.out;
  EXPECT_EQ(json.err, "");
  CommandResult one = Fails({"get", "statefulset", "web-v1"});
  EXPECT_NE(one.err.find("Error from server (NotFound): statefulsets.apps \"web-v1\" not found"),
            std::string::npos)
      << one.err;
  CommandResult del = Fails({"delete", "pod", "web-1"});
  EXPECT_NE(del.err.find("pods \"web-1\" not found"), std::string::npos) << del.err;
  // kubectl resolves the short names Kubernetes gives them.
  EXPECT_EQ(canaryd_.Kubectl({"get", "sts,ds,ing"}).exit_code, 0);
}

std::string CoreEvent(const std::string& name, const std::string& reason,
                      const std::string& message) {
  return "apiVersion: v1\nkind: Event\nmetadata:\n  name: " + name +
         "\ninvolvedObject:\n  apiVersion: networking.istio.io/v1\n  kind: VirtualService\n"
         "  name: web-virtualservice\n  namespace: default\nreason: " +
         reason + "\nmessage: " + message +
         "\ntype: Normal\nsource:\n  component: canaryd-rollout\n"
         "firstTimestamp: \"2026-01-01T00:00:00Z\"\nlastTimestamp: \"2026-01-01T00:00:00Z\"\n"
         "count: 1\n";
}

TEST_F(KubectlTest, EventsAreStoredAndShownByGetEventsAndKubectlEvents) {
  CommandResult none = canaryd_.Kubectl({"events"});
  EXPECT_EQ(none.exit_code, 0) << none.err;
  EXPECT_EQ(none.err, "No events found in default namespace.\n");

  EXPECT_EQ(
      Ok({"create", "-f", Write("e1.yaml", CoreEvent("web.1", "WeightShifted", "web-v2 at 10%"))}),
      "event/web.1 created\n");
  // The same store through events.k8s.io/v1: regarding/note are involvedObject/message.
  EXPECT_EQ(Ok({"create", "-f", Write("e2.yaml", R"(apiVersion: events.k8s.io/v1
kind: Event
metadata:
  name: web.2
eventTime: "2026-01-01T00:00:05.000000Z"
reportingController: canaryd.io/rollout
reportingInstance: canaryd-1
action: Promote
reason: Promoted
note: web-v2 promoted
type: Normal
regarding:
  apiVersion: networking.istio.io/v1
  kind: VirtualService
  name: web-virtualservice
  namespace: default
)")}),
            "event.events.k8s.io/web.2 created\n");

  std::string table = Ok({"get", "events"});
  EXPECT_TRUE(RE2::PartialMatch(table, RE2("^LAST SEEN +TYPE +REASON +OBJECT +MESSAGE\n")))
      << table;
  EXPECT_TRUE(RE2::PartialMatch(table, RE2("\n[0-9]+[smhdy][0-9a-z]* +Normal +WeightShifted +"
                                           "virtualservice/web-virtualservice +web-v2 at 10%\n")))
      << table;
  EXPECT_TRUE(RE2::PartialMatch(table, RE2("\n[0-9]+[smhdy][0-9a-z]* +Normal +Promoted +"
                                           "virtualservice/web-virtualservice +web-v2 promoted\n")))
      << table;
  EXPECT_EQ(Ok({"get", "event", "web.2", "-o", "jsonpath={.message}/{.reportingComponent}"}),
            "web-v2 promoted/canaryd.io/rollout");
  EXPECT_EQ(Ok({"get", "events.events.k8s.io", "web.1", "-o",
                "jsonpath={.note}/{.regarding.kind}/{.deprecatedSource.component}"}),
            "web-v2 at 10%/VirtualService/canaryd-rollout");
  EXPECT_EQ(Ok({"get", "events", "--field-selector", "reason=Promoted", "-o", "name"}),
            "event/web.2\n");

  std::string events = Ok({"events"});
  EXPECT_TRUE(RE2::PartialMatch(events, RE2("^LAST SEEN +TYPE +REASON +OBJECT +MESSAGE\n")))
      << events;
  EXPECT_TRUE(RE2::PartialMatch(
      events, RE2("\n[0-9a-z]+ +Normal +WeightShifted +VirtualService/web-virtualservice +"
                  "web-v2 at 10%\n")))
      << events;
  EXPECT_EQ(Ok({"events", "--for", "vs/web-virtualservice", "--types", "Normal"}), events);
  CommandResult other = canaryd_.Kubectl({"events", "--for", "service/web"});
  EXPECT_EQ(other.exit_code, 0) << other.err;
  EXPECT_EQ(other.err, "No events found in default namespace.\n");

  // kubectl events --watch sees an event written after it started.
  std::unique_ptr<Process> watch = canaryd_.StartKubectl({"events", "--watch"});
  ASSERT_NE(watch, nullptr);
  ASSERT_TRUE(watch->WaitForOutput("WeightShifted", 20s)) << watch->Stderr();
  Ok({"create", "-f", Write("e3.yaml", CoreEvent("web.3", "RolledBack", "web-v2 failed"))});
  EXPECT_TRUE(watch->WaitForOutput("RolledBack", 20s)) << watch->Stdout() << watch->Stderr();
  watch->Stop(SIGTERM, 5s);

  // Kubernetes' rules: the involved object's namespace is the event's.
  std::string wrong = CoreEvent("web.4", "X", "y");
  wrong.replace(wrong.find("  namespace: default"), 20, "  namespace: prod");
  CommandResult invalid = Fails({"create", "-f", Write("e4.yaml", wrong)});
  EXPECT_NE(invalid.err.find("involvedObject.namespace"), std::string::npos) << invalid.err;
  EXPECT_NE(invalid.err.find("does not match event.namespace"), std::string::npos) << invalid.err;
}

}  // namespace
}  // namespace canaryd::testing

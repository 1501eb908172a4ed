// The ordinary kubectl against a real canaryd process: the seed walkthrough's sequence with the
// exact lines it shows, and the kubectl features issue 3 lists (get, -o yaml, delete -f, get -w,
// apply --server-side, diff, edit, validation errors).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <re2/re2.h>

#include "integration/kubectl_fixture.h"

namespace canaryd::testing {
namespace {

TEST_F(KubectlTest, SeedWalkthroughPrintsWhatTheSeedShows) {
  CANARYD_REQUIRE_SHARED(shared);
  const std::string seed = shared + "/seed/";

  // The seed's Deployments are served: kubectl shows what the walkthrough shows (the Pods
  // themselves are tested in kubectl_deployments_test.cc).
  EXPECT_EQ(Ok({"apply", "-f", seed + "web-v1-deployment.yaml"}),
            "deployment.apps/web-v1 created\n");
  EXPECT_EQ(Ok({"apply", "-f", seed + "web-v2-deployment.yaml"}),
            "deployment.apps/web-v2 created\n");
  EXPECT_EQ(Ok({"apply", "-f", seed + "web-v1-deployment.yaml"}),
            "deployment.apps/web-v1 unchanged\n");
  CommandResult pods = canaryd_.Kubectl({"get", "pods"});
  EXPECT_EQ(pods.exit_code, 0) << pods.err;
  EXPECT_EQ(pods.err.find("Warning"), std::string::npos) << pods.err;

  EXPECT_EQ(Ok({"apply", "-f", seed + "web-v1-service.yaml"}), "service/web-v1-service created\n");
  EXPECT_EQ(Ok({"apply", "-f", seed + "web-v2-service.yaml"}), "service/web-v2-service created\n");

  std::string services = Ok({"get", "services"});
  EXPECT_TRUE(
      RE2::PartialMatch(services, RE2("^NAME +TYPE +CLUSTER-IP +EXTERNAL-IP +PORT\\(S\\) +AGE\n")))
      << services;
  EXPECT_TRUE(RE2::PartialMatch(
      services, RE2("\nweb-v1-service +ClusterIP +<none> +<none> +80/TCP +[0-9]+s\n")))
      << services;
  EXPECT_TRUE(RE2::PartialMatch(
      services, RE2("\nweb-v2-service +ClusterIP +<none> +<none> +80/TCP +[0-9]+s\n")))
      << services;

  EXPECT_EQ(Ok({"apply", "-f", seed + "web-gateway-virtualservice.yaml"}),
            "gateway.networking.istio.io/web-gateway created\n"
            "virtualservice.networking.istio.io/web-virtualservice created\n");
  EXPECT_EQ(Ok({"apply", "-f", seed + "web-gateway-virtualservice.yaml"}),
            "gateway.networking.istio.io/web-gateway unchanged\n"
            "virtualservice.networking.istio.io/web-virtualservice unchanged\n");
  EXPECT_EQ(Ok({"apply", "-f", seed + "web-gateway-virtualservice-90-10.yaml"}),
            "gateway.networking.istio.io/web-gateway unchanged\n"
            "virtualservice.networking.istio.io/web-virtualservice configured\n");
  EXPECT_EQ(Ok({"apply", "-f", seed + "web-gateway-virtualservice-90-10.yaml"}),
            "gateway.networking.istio.io/web-gateway unchanged\n"
            "virtualservice.networking.istio.io/web-virtualservice unchanged\n");

  std::string vs = Ok({"get", "virtualservices"});
  EXPECT_TRUE(RE2::FullMatch(vs, RE2("NAME +GATEWAYS +HOSTS +AGE\n"
                                     "web-virtualservice +\\[\"web-gateway\"\\] +"
                                     "\\[\"\\*\"\\] +[0-9]+s\n")))
      << vs;
  std::string yaml = Ok({"get", "vs", "web-virtualservice", "-o", "yaml"});
  for (const char* want :
       {"apiVersion: networking.istio.io/v1\n", "kind: VirtualService\n",
        "  name: web-virtualservice\n", "  namespace: default\n", "  generation: 2\n",
        "      weight: 90\n", "      weight: 10\n", "        host: web-v2-service\n",
        "  resourceVersion: \"", "kubectl.kubernetes.io/last-applied-configuration"}) {
    EXPECT_NE(yaml.find(want), std::string::npos) << want << "\n" << yaml;
  }
  EXPECT_EQ(Ok({"get", "gateway"}).find("NAME          AGE\nweb-gateway   "), 0u);
}

TEST_F(KubectlTest, WalkthroughExamplesApplyGetAndDelete) {
  EXPECT_EQ(Ok({"apply", "-f", Example("web-v1-service.yaml"), "-f", Example("web-v2-service.yaml"),
                "-f", Example("workloads.yaml")}),
            "service/web-v1-service created\nservice/web-v2-service created\n"
            "workloadentry.networking.istio.io/web-v1 created\n"
            "workloadentry.networking.istio.io/web-v2 created\n");
  EXPECT_EQ(Ok({"apply", "-f", Example("web-gateway-virtualservice.yaml")}),
            "gateway.networking.istio.io/web-gateway created\n"
            "virtualservice.networking.istio.io/web-virtualservice created\n");
  for (const char* step : {"steps/web-gateway-virtualservice-90-10.yaml",
                           "steps/web-gateway-virtualservice-50-50.yaml",
                           "steps/web-gateway-virtualservice-0-100.yaml"}) {
    EXPECT_EQ(Ok({"apply", "-f", Example(step)}),
              "gateway.networking.istio.io/web-gateway unchanged\n"
              "virtualservice.networking.istio.io/web-virtualservice configured\n")
        << step;
  }
  EXPECT_EQ(
      Ok({"get", "vs", "web-virtualservice", "-o", "jsonpath={.spec.http[0].route[*].weight}"}),
      "0 100");
  std::string wide = Ok({"get", "svc", "-o", "wide"});
  EXPECT_TRUE(RE2::PartialMatch(wide, RE2("web-v1-service .* app=web,version=v1\n"))) << wide;
  std::string we = Ok({"get", "we"});
  EXPECT_TRUE(RE2::PartialMatch(we, RE2("NAME +AGE +ADDRESS\nweb-v1 +[0-9]+s +127.0.0.1\n"))) << we;
  std::string all = Ok({"get", "vs", "-A"});
  EXPECT_EQ(all.find("NAMESPACE   NAME"), 0u) << all;
  EXPECT_NE(Ok({"get", "namespaces"}).find("istio-system   Active"), std::string::npos);

  EXPECT_EQ(Ok({"delete", "-f", Example("web-gateway-virtualservice.yaml")}),
            "gateway.networking.istio.io \"web-gateway\" deleted\n"
            "virtualservice.networking.istio.io \"web-virtualservice\" deleted\n");
  CommandResult none = canaryd_.Kubectl({"get", "vs"});
  EXPECT_EQ(none.exit_code, 0);
  EXPECT_EQ(none.out, "");
  EXPECT_EQ(none.err, "No resources found in default namespace.\n");
  CommandResult missing = canaryd_.Kubectl({"get", "vs", "web-virtualservice"});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("Error from server (NotFound): virtualservices.networking.istio.io "
                             "\"web-virtualservice\" not found"),
            std::string::npos)
      << missing.err;
}

TEST_F(KubectlTest, WatchSeesAChangeMadeByAnotherClient) {
  Ok({"apply", "-f", Example("web-gateway-virtualservice.yaml")});
  std::unique_ptr<Process> watch = canaryd_.StartKubectl({"get", "vs", "-w"});
  ASSERT_NE(watch, nullptr);
  ASSERT_TRUE(watch->WaitForOutput("web-virtualservice", 20s)) << watch->Stderr();
  // Another client changes the hosts.
  CommandResult patch = canaryd_.Kubectl({"patch", "vs", "web-virtualservice", "--type=merge", "-p",
                                          R"({"spec":{"hosts":["shop.example.com"]}})"});
  ASSERT_EQ(patch.exit_code, 0) << patch.err;
  EXPECT_TRUE(watch->WaitForOutput("[\"shop.example.com\"]", 20s)) << watch->Stdout();
  // Then a deletion by canaryctl.
  CommandResult del = canaryd_.Canaryctl({"delete", "vs", "web-virtualservice"});
  EXPECT_EQ(del.exit_code, 0) << del.err;
  EXPECT_EQ(del.out, "virtualservice.networking.istio.io \"web-virtualservice\" deleted\n");
  watch->Stop(SIGTERM, 5s);
  std::string out = watch->Stdout();
  EXPECT_EQ(out.find("NAME                 GATEWAYS          HOSTS   AGE\n"), 0u) << out;
}

TEST_F(KubectlTest, ServerSideApplyAndConflicts) {
  EXPECT_EQ(Ok({"apply", "--server-side", "-f", Example("web-gateway-virtualservice.yaml")}),
            "gateway.networking.istio.io/web-gateway serverside-applied\n"
            "virtualservice.networking.istio.io/web-virtualservice serverside-applied\n");
  std::string rv = ResourceVersion("vs/web-virtualservice");
  Ok({"apply", "--server-side", "-f", Example("web-gateway-virtualservice.yaml")});
  EXPECT_EQ(ResourceVersion("vs/web-virtualservice"), rv);  // nothing changed, nothing written
  EXPECT_EQ(
      Ok({"apply", "--server-side", "-f", Example("steps/web-gateway-virtualservice-90-10.yaml")}),
      "gateway.networking.istio.io/web-gateway serverside-applied\n"
      "virtualservice.networking.istio.io/web-virtualservice serverside-applied\n");
  std::string managed = Ok({"get", "vs", "web-virtualservice", "--show-managed-fields", "-o",
                            "jsonpath={.metadata.managedFields[*].manager}"});
  EXPECT_EQ(managed, "kubectl");
  // Another manager changes the weights; applying with the old ones is a conflict.
  Ok({"patch", "vs", "web-virtualservice", "--type=json", "-p",
      R"([{"op":"replace","path":"/spec/http/0/route/0/weight","value":70},
          {"op":"replace","path":"/spec/http/0/route/1/weight","value":30}])"});
  CommandResult conflict = canaryd_.Kubectl(
      {"apply", "--server-side", "-f", Example("steps/web-gateway-virtualservice-90-10.yaml")});
  EXPECT_NE(conflict.exit_code, 0);
  EXPECT_NE(conflict.err.find("Apply failed with 1 conflict: conflict with \"kubectl-patch\""),
            std::string::npos)
      << conflict.err;
  EXPECT_NE(conflict.err.find(".spec.http"), std::string::npos);
  Ok({"apply", "--server-side", "--force-conflicts", "-f",
      Example("steps/web-gateway-virtualservice-90-10.yaml")});
  EXPECT_EQ(
      Ok({"get", "vs", "web-virtualservice", "-o", "jsonpath={.spec.http[0].route[*].weight}"}),
      "90 10");
}

TEST_F(KubectlTest, DiffUsesServerDryRun) {
  Ok({"apply", "-f", Example("web-gateway-virtualservice.yaml")});
  std::string rv = ResourceVersion("vs/web-virtualservice");
  CommandResult same = canaryd_.Kubectl({"diff", "-f", Example("web-gateway-virtualservice.yaml")});
  EXPECT_EQ(same.exit_code, 0) << same.out << same.err;
  EXPECT_EQ(same.out, "");
  CommandResult changed =
      canaryd_.Kubectl({"diff", "-f", Example("steps/web-gateway-virtualservice-90-10.yaml")});
  EXPECT_EQ(changed.exit_code, 1) << changed.err;
  EXPECT_NE(changed.out.find("-      weight: 100"), std::string::npos) << changed.out;
  EXPECT_NE(changed.out.find("+      weight: 90"), std::string::npos) << changed.out;
  EXPECT_EQ(ResourceVersion("vs/web-virtualservice"), rv);  // a dry run stored nothing
}

TEST_F(KubectlTest, EditWithAnEditorScript) {
  Ok({"apply", "-f", Example("web-v1-service.yaml"), "-f",
      Example("web-gateway-virtualservice.yaml")});
  std::string editor = canaryd_.dir().File("editor.sh");
  WriteFile(editor,
            "#!/bin/sh\nsed -i 's/weight: 100/weight: 75/; s/weight: 0$/weight: 25/' \"$1\"\n");
  chmod(editor.c_str(), 0755);
  EXPECT_EQ(Ok({"edit", "vs", "web-virtualservice"}, {"EDITOR=" + editor, "KUBE_EDITOR=" + editor}),
            "virtualservice.networking.istio.io/web-virtualservice edited\n");
  EXPECT_EQ(
      Ok({"get", "vs", "web-virtualservice", "-o", "jsonpath={.spec.http[0].route[*].weight}"}),
      "75 25");
  // A Service goes through strategic merge patch.
  std::string port_editor = canaryd_.dir().File("port-editor.sh");
  WriteFile(port_editor, "#!/bin/sh\nsed -i 's/version: v1/version: v1b/' \"$1\"\n");
  chmod(port_editor.c_str(), 0755);
  EXPECT_EQ(Ok({"edit", "svc", "web-v1-service"}, {"KUBE_EDITOR=" + port_editor}),
            "service/web-v1-service edited\n");
  EXPECT_EQ(Ok({"get", "svc", "web-v1-service", "-o", "jsonpath={.spec.selector.version}"}), "v1b");
  // An edit that makes the object invalid is refused and changes nothing.
  std::string bad_editor = canaryd_.dir().File("bad-editor.sh");
  // kubectl reopens the editor with the server's causes in a comment; the script keeps what it
  // was shown.
  std::string shown = canaryd_.dir().File("shown.txt");
  WriteFile(bad_editor,
            "#!/bin/sh\ncat \"$1\" >> " + shown + "\nsed -i 's/weight: 75/weight: -75/' \"$1\"\n");
  chmod(bad_editor.c_str(), 0755);
  std::string rv = ResourceVersion("vs/web-virtualservice");
  CommandResult bad =
      canaryd_.Kubectl({"edit", "vs", "web-virtualservice"}, {"KUBE_EDITOR=" + bad_editor});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("\"web-virtualservice\" is invalid"), std::string::npos) << bad.err;
  EXPECT_NE(ReadFile(shown).find("spec.http[0].route[0].weight"), std::string::npos)
      << ReadFile(shown);
  EXPECT_EQ(ResourceVersion("vs/web-virtualservice"), rv);
}

TEST_F(KubectlTest, InvalidAppliesNameTheFieldAndChangeNothing) {
  Ok({"apply", "-f", Example("web-gateway-virtualservice.yaml")});
  std::string before = Ok({"get", "vs", "web-virtualservice", "-o", "json"});
  std::string rv = ResourceVersion("vs/web-virtualservice");

  std::string unknown = ReadFile(Example("web-gateway-virtualservice.yaml"));
  unknown.replace(unknown.find("      weight: 100"), 17, "      weight: 100\n      wieght: 3");
  WriteFile(canaryd_.dir().File("unknown.yaml"), unknown);
  CommandResult r1 = canaryd_.Kubectl({"apply", "-f", canaryd_.dir().File("unknown.yaml")});
  EXPECT_NE(r1.exit_code, 0);
  EXPECT_NE(r1.err.find("spec.http[0].route[0].wieght: unknown field \"wieght\" (did you mean "
                        "\"weight\"?)"),
            std::string::npos)
      << r1.err;

  std::string negative = ReadFile(Example("web-gateway-virtualservice.yaml"));
  negative.replace(negative.find("weight: 0"), 9, "weight: -10");
  WriteFile(canaryd_.dir().File("negative.yaml"), negative);
  CommandResult r2 = canaryd_.Kubectl({"apply", "-f", canaryd_.dir().File("negative.yaml")});
  EXPECT_NE(r2.exit_code, 0);
  EXPECT_NE(r2.err.find("The VirtualService \"web-virtualservice\" is invalid: "
                        "spec.http[0].route[1].weight: must be >= 0"),
            std::string::npos)
      << r2.err;
  // Server-side apply is refused the same way (forced: the fields belong to client-side apply).
  CommandResult r3 = canaryd_.Kubectl(
      {"apply", "--server-side", "--force-conflicts", "-f", canaryd_.dir().File("negative.yaml")});
  EXPECT_NE(r3.exit_code, 0);
  EXPECT_NE(r3.err.find("spec.http[0].route[1].weight"), std::string::npos) << r3.err;

  EXPECT_EQ(ResourceVersion("vs/web-virtualservice"), rv);
  EXPECT_EQ(Ok({"get", "vs", "web-virtualservice", "-o", "json"}), before);
}

TEST_F(KubectlTest, StaleResourceVersionsOneWinsOneConflicts) {
  Ok({"apply", "-f", Example("web-gateway-virtualservice.yaml")});
  std::string yaml = Ok({"get", "vs", "web-virtualservice", "-o", "yaml"});
  std::string a = yaml, b = yaml;
  a.replace(a.find("weight: 100"), 11, "weight: 60");
  b.replace(b.find("weight: 100"), 11, "weight: 40");
  WriteFile(canaryd_.dir().File("a.yaml"), a);
  WriteFile(canaryd_.dir().File("b.yaml"), b);
  EXPECT_EQ(Ok({"replace", "-f", canaryd_.dir().File("a.yaml")}),
            "virtualservice.networking.istio.io/web-virtualservice replaced\n");
  CommandResult second = canaryd_.Kubectl({"replace", "-f", canaryd_.dir().File("b.yaml")});
  EXPECT_NE(second.exit_code, 0);
  EXPECT_NE(second.err.find("Error from server (Conflict)"), std::string::npos) << second.err;
  EXPECT_NE(second.err.find("the object has been modified; please apply your changes to the "
                            "latest version and try again"),
            std::string::npos)
      << second.err;
  EXPECT_EQ(
      Ok({"get", "vs", "web-virtualservice", "-o", "jsonpath={.spec.http[0].route[0].weight}"}),
      "60");
}

TEST_F(KubectlTest, NamespacesLikeKubernetes) {
  CommandResult missing =
      canaryd_.Kubectl({"apply", "-n", "prod", "-f", Example("web-v1-service.yaml")});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("namespaces \"prod\" not found"), std::string::npos) << missing.err;
  EXPECT_EQ(Ok({"create", "namespace", "prod"}), "namespace/prod created\n");
  EXPECT_EQ(Ok({"apply", "-n", "prod", "-f", Example("web-v1-service.yaml")}),
            "service/web-v1-service created\n");
  EXPECT_NE(Ok({"get", "svc", "-n", "prod"}).find("web-v1-service"), std::string::npos);
  CommandResult system = canaryd_.Kubectl({"delete", "namespace", "istio-system"});
  EXPECT_NE(system.exit_code, 0);
  EXPECT_NE(system.err.find("forbidden"), std::string::npos) << system.err;
  EXPECT_EQ(Ok({"delete", "namespace", "prod"}), "namespace \"prod\" deleted\n");
}

}  // namespace
}  // namespace canaryd::testing

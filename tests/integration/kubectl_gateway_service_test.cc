// canaryd's own gateway shown as Istio shows its ingress gateway: the Service
// istio-system/istio-ingressgateway (type LoadBalancer, EXTERNAL-IP the listen address, PORT(S)
// from --port-map, labels and selector istio=ingressgateway), in list, get and watch, read-only,
// and always what this process's flags say (a restart with another --port-map shows that one).
#include <gtest/gtest.h>
#include <signal.h>

#include <re2/re2.h>

#include "integration/kubectl_fixture.h"

namespace canaryd::testing {
namespace {

TEST_F(KubectlTest, TheGatewayIsTheIstioIngressGatewayService) {
  const std::string port = std::to_string(canaryd_.gateway_port());
  std::string list = Ok({"get", "services", "-n", "istio-system"});
  EXPECT_TRUE(RE2::FullMatch(list, RE2("NAME +TYPE +CLUSTER-IP +EXTERNAL-IP +PORT\\(S\\) +AGE\n"
                                       "istio-ingressgateway +LoadBalancer +<none> +127.0.0.1 +"
                                       "80:" +
                                       port + "/TCP +[0-9]+[smh]\n")))
      << list;
  std::string wide = Ok({"get", "svc", "-A", "-o", "wide"});
  EXPECT_TRUE(RE2::PartialMatch(wide, RE2("istio-system +istio-ingressgateway .* "
                                          "istio=ingressgateway\n")))
      << wide;
  EXPECT_EQ(Ok({"get", "svc", "istio-ingressgateway", "-n", "istio-system", "-o",
                "jsonpath={.metadata.labels.istio} {.spec.ports[0].port} "
                "{.spec.ports[0].targetPort} {.status.loadBalancer.ingress[0].ip}"}),
            "ingressgateway 80 " + port + " 127.0.0.1");
  EXPECT_EQ(Ok({"get", "svc", "-n", "istio-system", "-l", "istio=ingressgateway", "-o", "name"}),
            "service/istio-ingressgateway\n");
  EXPECT_EQ(Ok({"get", "svc", "-n", "istio-system", "-l", "istio!=ingressgateway", "-o", "name"}),
            "");
  // Not in other namespaces.
  EXPECT_EQ(canaryd_.Kubectl({"get", "svc", "-o", "name"}).out, "");

  // kubectl get -w lists it, then streams other changes.
  std::unique_ptr<Process> watch =
      canaryd_.StartKubectl({"get", "svc", "-n", "istio-system", "-w"});
  ASSERT_NE(watch, nullptr);
  ASSERT_TRUE(watch->WaitForOutput("istio-ingressgateway", 20s)) << watch->Stderr();
  Ok({"create", "service", "clusterip", "other", "-n", "istio-system", "--tcp=81"});
  EXPECT_TRUE(watch->WaitForOutput("other", 20s)) << watch->Stdout();
  watch->Stop(SIGTERM, 5s);

  // Read-only, with the reason.
  for (const std::vector<std::string>& write :
       {std::vector<std::string>{"delete", "svc", "istio-ingressgateway", "-n", "istio-system"},
        std::vector<std::string>{"label", "svc", "istio-ingressgateway", "-n", "istio-system",
                                 "x=y"},
        std::vector<std::string>{"create", "service", "loadbalancer", "istio-ingressgateway", "-n",
                                 "istio-system", "--tcp=80"}}) {
    CommandResult r = Fails(write);
    EXPECT_NE(r.err.find("services \"istio-ingressgateway\" is forbidden: it is canaryd's own "
                         "gateway"),
              std::string::npos)
        << Join(write) << r.err;
    EXPECT_NE(r.err.find("--port-map"), std::string::npos) << r.err;
  }
  // kubectl delete --all deletes the others and is told why this one stays.
  CommandResult all = Fails({"delete", "svc", "--all", "-n", "istio-system"});
  EXPECT_EQ(all.out, "service \"other\" deleted\n");
  EXPECT_NE(all.err.find("services \"istio-ingressgateway\" is forbidden"), std::string::npos)
      << all.err;
  EXPECT_EQ(Ok({"get", "svc", "-n", "istio-system", "-o", "name"}),
            "service/istio-ingressgateway\n");
}

TEST_F(KubectlTest, TheGatewayServiceFollowsThePortMapAcrossRestarts) {
  const std::string https = std::to_string(FreePort());
  canaryd_.options().extra_args = {"--port-map", "443=" + https};
  std::string error;
  ASSERT_TRUE(canaryd_.Restart(&error)) << error;
  const std::string http = std::to_string(canaryd_.gateway_port());
  EXPECT_EQ(
      Ok({"get", "svc", "istio-ingressgateway", "-n", "istio-system", "-o",
          "custom-columns=PORTS:.spec.ports[*].port,NODE:.spec.ports[*].nodePort", "--no-headers"}),
      "80,443   " + http + "," + https + "\n");
  canaryd_.options().extra_args = {};
  ASSERT_TRUE(canaryd_.Restart(&error)) << error;
  EXPECT_EQ(Ok({"get", "svc", "istio-ingressgateway", "-n", "istio-system", "-o",
                "jsonpath={.spec.ports[*].port}"}),
            "80");
}

}  // namespace
}  // namespace canaryd::testing

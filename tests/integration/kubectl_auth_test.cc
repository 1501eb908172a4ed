// `kubectl auth can-i` against canaryd: SelfSubjectAccessReview and SelfSubjectRulesReview
// answer with the caller's real permissions (on loopback without a token, or with the admin
// bearer token, a caller may do everything canaryd serves) and honestly for what the server
// refuses regardless of who asks.
#include <gtest/gtest.h>

#include <re2/re2.h>

#include "integration/kubectl_fixture.h"

namespace canaryd::testing {
namespace {

void ExpectCanI(CanarydInstance& c, const std::vector<std::string>& args, int code,
                const std::string& out_prefix) {
  std::vector<std::string> full = {"auth", "can-i"};
  full.insert(full.end(), args.begin(), args.end());
  CommandResult r = c.Kubectl(full);
  EXPECT_EQ(r.exit_code, code) << KubectlTest::Join(full) << "\n" << r.out << r.err;
  EXPECT_EQ(r.out.rfind(out_prefix, 0), 0u) << KubectlTest::Join(full) << "\n" << r.out << r.err;
}

TEST_F(KubectlTest, AuthCanIAnswersWithTheRealPermissions) {
  ExpectCanI(canaryd_, {"create", "virtualservices"}, 0, "yes\n");
  ExpectCanI(canaryd_, {"patch", "vs/web", "-n", "istio-system"}, 0, "yes\n");
  ExpectCanI(canaryd_, {"delete", "namespace/prod"}, 0, "yes\n");
  ExpectCanI(canaryd_, {"list", "pods"}, 0, "yes\n");
  ExpectCanI(canaryd_, {"get", "/stats/prometheus"}, 0, "yes\n");
  // Refused whoever asks: no, with the reason.
  ExpectCanI(canaryd_, {"delete", "namespace/default"}, 1,
             "no - namespaces \"default\" may not be deleted");
  ExpectCanI(canaryd_, {"create", "statefulsets"}, 1, "no - statefulsets.apps are not served");
  ExpectCanI(canaryd_, {"create", "deployments"}, 0, "yes\n");
  ExpectCanI(canaryd_, {"delete", "service/istio-ingressgateway", "-n", "istio-system"}, 1,
             "no - ");
  ExpectCanI(canaryd_, {"create", "widgets.example.com"}, 1, "no - ");
  ExpectCanI(canaryd_, {"deletecollection", "namespaces"}, 1, "no - ");

  std::string list = Ok({"auth", "can-i", "--list"});
  EXPECT_TRUE(
      RE2::PartialMatch(list, RE2("^Resources +Non-Resource URLs +Resource Names +Verbs\n")))
      << list;
  EXPECT_TRUE(RE2::PartialMatch(
      list, RE2("\nvirtualservices.networking.istio.io +\\[\\] +\\[\\] +"
                "\\[create delete deletecollection get list patch update watch\\]\n")))
      << list;
  EXPECT_TRUE(
      RE2::PartialMatch(list, RE2("\nstatefulsets.apps +\\[\\] +\\[\\] +\\[get list watch\\]\n")))
      << list;
  EXPECT_TRUE(RE2::PartialMatch(
      list, RE2("\npods +\\[\\] +\\[\\] +"
                "\\[create delete deletecollection get list patch update watch\\]\n")))
      << list;
  EXPECT_TRUE(RE2::PartialMatch(
      list, RE2("\nselfsubjectaccessreviews.authorization.k8s.io +\\[\\] +\\[\\] +\\[create\\]\n")))
      << list;
  EXPECT_TRUE(RE2::PartialMatch(list, RE2("\n +\\[\\*\\] +\\[\\] +\\[get\\]\n"))) << list;
  // Deleting namespaces is granted by name: never default or istio-system.
  EXPECT_EQ(list.find("[default]"), std::string::npos) << list;
}

TEST(KubectlAuth, AuthCanIWithTheBearerToken) {
  if (CanarydInstance::KubectlPath().empty()) GTEST_SKIP() << "kubectl is not installed";
  CanarydOptions o;
  o.token = "s3cr3t-token";
  o.require_token = true;
  CanarydInstance c(o);
  std::string error;
  ASSERT_TRUE(c.Start(&error)) << error;
  ExpectCanI(c, {"create", "virtualservices"}, 0, "yes\n");
  ExpectCanI(c, {"delete", "namespace/istio-system"}, 1, "no - ");
  CommandResult wrong = c.Kubectl({"auth", "can-i", "create", "vs", "--token", "wrong"});
  EXPECT_NE(wrong.exit_code, 0);
  EXPECT_NE(wrong.err.find("Unauthorized"), std::string::npos) << wrong.err;
}

}  // namespace
}  // namespace canaryd::testing

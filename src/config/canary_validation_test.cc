// canaryd.io/v1alpha1 Canary through the loader (as canaryctl validate and kubectl apply see
// it): a valid one loads with its fields typed; each invalid one is refused with its field path.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/loader.h"
#include "config/query_template.h"

namespace canaryd::config {
namespace {

constexpr const char* kHeader =
    "apiVersion: canaryd.io/v1alpha1\nkind: Canary\nmetadata: {name: web}\nspec:\n"
    "  virtualService: web\n"
    "  stable: {host: web-v1-service}\n"
    "  canary: {host: web-v2-service}\n";

std::vector<std::string> Errors(const std::string& body) {
  LoadResult result;
  LoadText(std::string(kHeader) + body, "c.yaml", LoadOptions{}, result);
  std::vector<std::string> out;
  for (const Diagnostic& d : result.diagnostics.items()) {
    if (d.severity == Severity::kError) out.push_back(d.path + ": " + d.message);
  }
  return out;
}

TEST(CanaryValidation, TheIssuesExampleLoads) {
  LoadResult result;
  LoadText(std::string(kHeader) + R"(  analysis:
    interval: 30s
    threshold: 3
    stepWeights: [1, 5, 10, 25, 50]
    minRequests: 50
    sequential: {alpha: 0.01}
    metrics:
    - name: request-success-rate
      thresholdRange: {min: 99}
      relativeToStable: {minDifference: -1}
      interval: 1m
    - name: request-duration
      quantile: 0.99
      thresholdRange: {max: 500}
      relativeToStable: {maxRatio: 1.2}
    - name: error-ratio
      provider: {type: prometheus, address: "http://127.0.0.1:9090"}
      query: sum(rate(istio_requests_total{destination_service_name="{{ canary }}",response_code=~"5.."}[{{interval}}]))
      thresholdRange: {max: 0.01}
    webhooks:
    - name: gate
      type: confirm-promotion
      url: http://127.0.0.1:8000/gate
      timeout: 5s
      metadata: {team: web}
)",
           "c.yaml", LoadOptions{}, result);
  ASSERT_FALSE(result.diagnostics.has_errors()) << result.diagnostics.ToString();
  ASSERT_EQ(result.resources.size(), 1u);
  const CanarySpec& s = result.resources[0].As<CanarySpec>();
  EXPECT_EQ(s.virtual_service, "web");
  EXPECT_EQ(s.analysis.step_weights, (std::vector<int64_t>{1, 5, 10, 25, 50}));
  ASSERT_TRUE(s.analysis.metrics);
  EXPECT_EQ(s.analysis.metrics->size(), 3u);
  EXPECT_EQ((*s.analysis.metrics)[1].relative_to_stable->max_ratio, 1.2);
  EXPECT_EQ(s.analysis.webhooks[0].metadata.at("team"), "web");
}

TEST(CanaryValidation, EachMistakeIsRefusedWithItsPath) {
  struct Case {
    const char* body;
    std::string error;
  };
  const Case cases[] = {
      {"  analysis: {stepWeight: 0}\n",
       "spec.analysis.stepWeight: must be between 1 and 100, got 0"},
      {"  analysis: {stepWeight: 60, maxWeight: 50}\n",
       "spec.analysis.stepWeight: must not be above maxWeight"},
      {"  analysis: {stepWeights: [10, 5]}\n",
       "spec.analysis.stepWeights[1]: step weights must be ascending"},
      {"  analysis: {stepWeights: [10], stepWeight: 5}\n",
       "spec.analysis.stepWeight: set stepWeight or stepWeights, not both"},
      {"  analysis: {interval: 100ms}\n",
       "spec.analysis.interval: duration \"100ms\" must be at least 1s"},
      {"  analysis: {threshold: 0}\n", "spec.analysis.threshold: must be at least 1"},
      {"  analysis: {sequential: {alpha: 0}}\n",
       "spec.analysis.sequential.alpha: must be above 0 and at most 0.5"},
      {"  analysis: {sessionAffinity: {cookieName: u, headerName: x-user}}\n",
       "spec.analysis.sessionAffinity: set one of cookieName or headerName"},
      {"  analysis: {sessionAffinity: {headerName: x-user, maxAge: 5}}\n",
       "spec.analysis.sessionAffinity: maxAge is for a cookie: set cookieName"},
      {"  analysis: {sessionAffinity: {cookieName: \"a b\"}}\n",
       "spec.analysis.sessionAffinity: \"a b\" is not a valid cookie name"},
      {"  analysis: {metrics: [{name: request-success-rate}]}\n",
       "spec.analysis.metrics[0]: needs thresholdRange, relativeToStable or both: otherwise it "
       "checks nothing"},
      {"  analysis: {metrics: [{name: request-success-rate, thresholdRange: {min: 120}}]}\n",
       "spec.analysis.metrics[0].thresholdRange.min: a percentage: 0 to 100"},
      {"  analysis: {metrics: [{name: request-success-rate, quantile: 0.5, thresholdRange: "
       "{min: 1}}]}\n",
       "spec.analysis.metrics[0].quantile: only request-duration has a quantile"},
      {"  analysis: {metrics: [{name: custom, thresholdRange: {max: 1}, query: up}]}\n",
       "spec.analysis.metrics[0].provider: required for a custom metric (the built-in ones are "
       "request-success-rate and request-duration)"},
      {"  analysis: {metrics: [{name: custom, thresholdRange: {max: 1}, provider: {type: "
       "prometheus, address: 'http://p'}, query: 'x{a=\"{{ canry }}\"}'}]}\n",
       "spec.analysis.metrics[0].query: unknown placeholder \"{{ canry }}\" (known: interval, "
       "namespace, canary, stable)"},
      {"  analysis: {metrics: [{name: custom, thresholdRange: {max: 1}, provider: {type: "
       "datadog, address: 'http://p'}, query: q}]}\n",
       "spec.analysis.metrics[0].provider.type: unsupported value \"datadog\": must be one of "
       "prometheus"},
      {"  analysis: {metrics: [{name: request-duration, interval: 11m, thresholdRange: {max: "
       "1}}]}\n",
       "spec.analysis.metrics[0].interval: at most 10m for a built-in metric (the live "
       "statistics' window)"},
      {"  analysis: {webhooks: [{name: a, url: 'ftp://x'}]}\n",
       "spec.analysis.webhooks[0].url: must be an http:// or https:// URL"},
      {"  analysis: {webhooks: [{name: a, type: before, url: 'http://x'}]}\n",
       "spec.analysis.webhooks[0].type: unsupported value \"before\": must be one of "
       "confirm-rollout, "
       "pre-rollout, rollout, confirm-traffic-increase, confirm-promotion, post-rollout, "
       "rollback, event"},
      {"  progressDeadlineSeconds: 0\n", "spec.progressDeadlineSeconds: must be at least 1"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.body);
    std::vector<std::string> errors = Errors(c.body);
    ASSERT_EQ(errors.size(), 1u) << ::testing::PrintToString(errors);
    EXPECT_EQ(errors[0], c.error);
  }
}

TEST(CanaryValidation, TheCanaryMustDifferFromTheStable) {
  LoadResult result;
  LoadText(
      "apiVersion: canaryd.io/v1alpha1\nkind: Canary\nmetadata: {name: web}\nspec:\n"
      "  virtualService: web\n  stable: {host: a}\n  canary: {host: a}\n",
      "c.yaml", LoadOptions{}, result);
  ASSERT_TRUE(result.diagnostics.has_errors());
  EXPECT_NE(result.diagnostics.ToString().find("spec.canary: must differ from stable"),
            std::string::npos);
}

TEST(QueryTemplate, PlaceholdersAreRenderedWithOrWithoutSpaces) {
  std::string error;
  auto out = RenderQueryTemplate("a{{ canary }}b{{stable}}c{{  interval }}",
                                 {{"canary", "X"}, {"stable", "Y"}, {"interval", "1m"}}, &error);
  ASSERT_TRUE(out) << error;
  EXPECT_EQ(*out, "aXbYc1m");
  EXPECT_FALSE(RenderQueryTemplate("{{ nope }}", {}, &error));
  EXPECT_EQ(error, "unknown placeholder \"{{ nope }}\"");
  EXPECT_FALSE(RenderQueryTemplate("x {{ canary", {{"canary", "X"}}, &error));
  EXPECT_NE(error.find("not closed"), std::string::npos);
}

TEST(QueryTemplate, PromQlBracesAndFlaggersDottedNamesAreLeftAlone) {
  std::string error;
  EXPECT_EQ(RenderQueryTemplate(R"(up{job="a"} and on() vector(1) } }{)", {}, &error),
            R"(up{job="a"} and on() vector(1) } }{)");
  EXPECT_EQ(RenderQueryTemplate("x{a=\"{{ variables.app }}\"}", {{"variables.app", "web"}}, &error),
            "x{a=\"web\"}");
}

TEST(QueryTemplate, GoTemplateSyntaxIsRefused) {
  std::string error;
  for (const char* t : {"{{ .Name }}", "{{ printf \"%s\" x }}", "{{- interval -}}", "{{}}", "{{ }}",
                        "x{{ interval"}) {
    EXPECT_FALSE(RenderQueryTemplate(t, {{"interval", "1m"}}, &error)) << t;
    EXPECT_NE(CheckQueryTemplate(t, kCanaryQueryPlaceholders), "") << t;
  }
}

TEST(QueryTemplate, ValuesThatWouldEndAPromQlStringAreRefused) {
  std::string error;
  for (const char* v : {"a\"b", "a\\b", "a\nb", "a`b"}) {
    EXPECT_FALSE(RenderQueryTemplate("x{a=\"{{ canary }}\"}", {{"canary", v}}, &error)) << v;
  }
}

std::vector<std::string> ErrorsOfDocument(const std::string& doc) {
  LoadResult result;
  LoadText(doc, "t.yaml", LoadOptions{}, result);
  std::vector<std::string> out;
  for (const Diagnostic& d : result.diagnostics.items()) {
    if (d.severity == Severity::kError) out.push_back(d.path + ": " + d.message);
  }
  return out;
}

constexpr const char* kTargetHeader =
    "apiVersion: canaryd.io/v1alpha1\nkind: Canary\nmetadata: {name: web}\nspec:\n";

TEST(CanaryValidation, ATargetRefCanaryLoadsWithoutDestinations) {
  LoadResult result;
  LoadText(std::string(kTargetHeader) +
               R"(  targetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  service: {port: 80, targetPort: 8080, gateways: [web-gateway], hosts: ["*"]}
  analysis: {interval: 10s, stepWeight: 10, maxWeight: 50}
)",
           "t.yaml", LoadOptions{}, result);
  ASSERT_FALSE(result.diagnostics.has_errors()) << result.diagnostics.ToString();
  const CanarySpec& spec = result.resources[0].As<CanarySpec>();
  ASSERT_TRUE(spec.target_ref);
  EXPECT_EQ(spec.target_ref->name, "web");
  ASSERT_TRUE(spec.service);
  EXPECT_EQ(spec.service->port, 80);
  EXPECT_FALSE(spec.stable);
}

TEST(CanaryValidation, EachModeRefusesTheOthersFields) {
  EXPECT_EQ(
      ErrorsOfDocument(std::string(kTargetHeader) + "  analysis: {interval: 10s}\n"),
      (std::vector<std::string>{"spec.virtualService: required field is missing",
                                "spec.stable: required field is missing (or set targetRef)",
                                "spec.canary: required field is missing (or set targetRef)"}));
  std::vector<std::string> both =
      ErrorsOfDocument(std::string(kTargetHeader) +
                       "  targetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n"
                       "  stable: {host: a}\n");
  EXPECT_EQ(both, (std::vector<std::string>{
                      "spec.stable: set targetRef or stable and canary, not both: with targetRef "
                      "the stable is <name>-primary and the canary <name>-canary",
                      "spec.service: required with targetRef: the port of the Services canaryd "
                      "makes"}));
  EXPECT_EQ(Errors("  service: {port: 80}\n"),
            (std::vector<std::string>{"spec.service: only with targetRef"}));
}

TEST(CanaryValidation, TheTargetMustBeAnAppsV1DeploymentWithAShortName) {
  std::vector<std::string> e = ErrorsOfDocument(
      std::string(kTargetHeader) +
      "  targetRef: {apiVersion: apps/v1beta1, kind: StatefulSet, name: " + std::string(60, 'a') +
      "}\n  service: {port: 0}\n");
  EXPECT_EQ(e, (std::vector<std::string>{
                   "spec.targetRef.apiVersion: must be apps/v1 (canaryd releases Deployments), "
                   "got \"apps/v1beta1\"",
                   "spec.targetRef.kind: must be Deployment, got \"StatefulSet\"",
                   "spec.targetRef.name: at most 55 characters: <name>-primary must be a "
                   "Service name",
                   "spec.service.port: must be between 1 and 65535"}));
  std::vector<std::string> own =
      ErrorsOfDocument(std::string(kTargetHeader) +
                       "  targetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n"
                       "  virtualService: mine\n  service: {port: 80, hosts: [a.example]}\n");
  EXPECT_EQ(own, (std::vector<std::string>{
                     "spec.service.hosts: only for the VirtualService canaryd makes; with "
                     "spec.virtualService, set them in that VirtualService"}));
}

}  // namespace
}  // namespace canaryd::config

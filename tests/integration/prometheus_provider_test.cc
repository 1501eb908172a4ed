// The rollout controller's Prometheus client against Debian's real Prometheus server: the
// reply shapes it parses are the real ones (scalar, one-sample vector, empty vector, NaN, +Inf,
// several series), a real parse error is a bad query, and a stopped server is an outage, not
// "no data".
#include <gtest/gtest.h>

#include <csignal>

#include "config/query_template.h"
#include "integration/harness.h"
#include "integration/prometheus_server.h"
#include "rollout/prometheus_client.h"

namespace canaryd::testing {
namespace {

using rollout::PrometheusQuery;
using rollout::QueryErrorKind;
using rollout::QueryPrometheus;
using rollout::QueryResult;

class PrometheusProvider : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string binary = PrometheusPath();
    if (binary.empty()) {
      GTEST_SKIP() << "prometheus not found (scripts/setup.sh installs Debian's prometheus)";
    }
    // Nothing to scrape: every query below computes its answer from constants.
    server_ = StartPrometheus(binary, dir_, "global: {scrape_interval: 15s}\n");
    ASSERT_TRUE(server_.process) << server_.error;
  }

  QueryResult Ask(const std::string& promql,
                  PrometheusQuery::Method method = PrometheusQuery::Method::kGet) {
    return QueryPrometheus({.address = server_.address(), .query = promql, .method = method});
  }

  TempDir dir_{"canaryd-prometheus"};
  PrometheusServer server_;
};

TEST_F(PrometheusProvider, AScalarAndAOneSampleVectorGiveTheirValue) {
  QueryResult r = Ask("scalar(vector(0.5))");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.value, 0.5);
  EXPECT_EQ(r.http_status, 200);
  r = Ask("vector(0.25) * 4");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.value, 1);
  r = Ask("sum(vector(99.5))", PrometheusQuery::Method::kPost);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.value, 99.5);
}

TEST_F(PrometheusProvider, ARenderedTemplateRuns) {
  std::string error;
  std::optional<std::string> q = config::RenderQueryTemplate(
      R"(sum(rate(istio_requests_total{destination_workload_namespace="{{ namespace }}",)"
      R"(destination_workload=~"{{canary}}"}[{{ interval }}])) or vector(7))",
      {{"namespace", "test"},
       {"canary", "podinfo"},
       {"stable", "podinfo-primary"},
       {"interval", "1m"}},
      &error);
  ASSERT_TRUE(q) << error;
  QueryResult r = Ask(*q);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.value, 7);
}

TEST_F(PrometheusProvider, AnEmptyVectorAndNaNAreNoData) {
  QueryResult r = Ask(R"(up{job="no-such-job"})");
  EXPECT_EQ(r.kind, QueryErrorKind::kNoData) << r.error;
  EXPECT_EQ(r.error, "no data");
  r = Ask("vector(0) / vector(0)");  // a success rate over no requests
  EXPECT_EQ(r.kind, QueryErrorKind::kNoData) << r.error;
  EXPECT_EQ(r.error, "no data (NaN)");
}

TEST_F(PrometheusProvider, InfinityAndSeveralSeriesAreBadResponses) {
  QueryResult r = Ask("vector(1) / vector(0)");
  EXPECT_EQ(r.kind, QueryErrorKind::kBadResponse);
  EXPECT_EQ(r.error, "value \"+Inf\" is not finite");
  r = Ask(
      R"(label_replace(vector(1), "v", "a", "", "") or label_replace(vector(2), "v", "b", "", ""))");
  EXPECT_EQ(r.kind, QueryErrorKind::kBadResponse);
  EXPECT_EQ(r.error, "2 series, expected one (aggregate with sum() or similar)");
}

TEST_F(PrometheusProvider, AParseErrorIsABadQuery) {
  QueryResult r = Ask("sum(rate(x[1m])");
  EXPECT_EQ(r.kind, QueryErrorKind::kBadQuery);
  EXPECT_EQ(r.http_status, 400);
  EXPECT_EQ(r.error.rfind("bad_data: ", 0), 0u) << r.error;
  r = Ask("rate(x[1m])[5m]");  // a range of a range: refused by the parser too
  EXPECT_EQ(r.kind, QueryErrorKind::kBadQuery) << r.error;
}

TEST_F(PrometheusProvider, AStoppedServerIsUnavailable) {
  ASSERT_TRUE(Ask("vector(1)").ok());
  ASSERT_EQ(server_.process->Stop(SIGTERM, 20s), 0) << server_.process->Stderr();
  QueryResult r = Ask("vector(1)");
  EXPECT_EQ(r.kind, QueryErrorKind::kUnavailable);
  EXPECT_EQ(r.error, "connection refused");
  EXPECT_EQ(r.http_status, 0);
}

}  // namespace
}  // namespace canaryd::testing

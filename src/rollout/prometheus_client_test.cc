#include "rollout/prometheus_client.h"

#include <gtest/gtest.h>

#include "rollout/providers_test_util.h"
#include "testing/net.h"

namespace canaryd::rollout {
namespace {

using canaryd::testing::PieceBackend;
using namespace std::chrono_literals;
using testing::HttpResponse;
using testing::ParseRecorded;
using testing::Send;

// A fake Prometheus that answers every query with `status` and `body`.
struct FakePrometheus {
  FakePrometheus(int status, std::string body)
      : backend([status, body](const std::string&) { return Send(HttpResponse(status, body)); }) {}
  std::string address() const { return "http://127.0.0.1:" + std::to_string(backend.port()); }
  PieceBackend backend;
};

QueryResult Ask(const FakePrometheus& p, const std::string& promql = "up") {
  return QueryPrometheus({.address = p.address(), .query = promql});
}

std::string Vector(const std::string& samples) {
  return R"({"status":"success","data":{"resultType":"vector","result":[)" + samples + "]}}";
}
std::string Sample(const std::string& value, const std::string& labels = "{}") {
  return R"({"metric":)" + labels + R"(,"value":[1700000000.5,")" + value + R"("]})";
}

TEST(QueryPrometheus, AScalar) {
  FakePrometheus p(200, R"({"status":"success","data":{"resultType":"scalar",)"
                        R"("result":[1700000000.123,"0.5"]}})");
  QueryResult r = Ask(p, "scalar(vector(0.5))");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.value, 0.5);
  EXPECT_EQ(r.http_status, 200);
  EXPECT_EQ(r.error, "");
}

TEST(QueryPrometheus, GetsTheEncodedQueryUnderTheAddressPath) {
  FakePrometheus p(200, Vector(Sample("99.5", R"({"app":"web"})")));
  std::string promql = "sum(rate(x{a=\"b c\"}[1m])) / 2 * 100";
  QueryResult r = QueryPrometheus({.address = p.address() + "/prom/", .query = promql});
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.value, 99.5);
  ASSERT_EQ(p.backend.requests().size(), 1u);
  testing::RecordedRequest req = ParseRecorded(p.backend.requests()[0]);
  EXPECT_EQ(req.method, "GET");
  EXPECT_EQ(req.target,
            "/prom/api/v1/query?query=sum%28rate%28x%7Ba%3D%22b%20c%22%7D%5B1m%5D%29%29%20%2F"
            "%202%20%2A%20100");
  EXPECT_EQ(req.Header("Accept"), "application/json");
}

TEST(QueryPrometheus, PostsAFormWhenAsked) {
  FakePrometheus p(200, Vector(Sample("1")));
  QueryResult r = QueryPrometheus({.address = p.address(),
                                   .query = "up == 1",
                                   .method = PrometheusQuery::Method::kPost,
                                   .headers = {{"Authorization", "Bearer x"}}});
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.value, 1);
  testing::RecordedRequest req = ParseRecorded(p.backend.requests()[0]);
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/api/v1/query");
  EXPECT_EQ(req.Header("Content-Type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(req.Header("Authorization"), "Bearer x");
  EXPECT_EQ(req.body, "query=up%20%3D%3D%201");
}

TEST(QueryPrometheus, AnEmptyVectorIsNoData) {
  FakePrometheus p(200, Vector(""));
  QueryResult r = Ask(p);
  EXPECT_EQ(r.kind, QueryErrorKind::kNoData);
  EXPECT_EQ(r.error, "no data");
}

TEST(QueryPrometheus, NaNIsNoDataAndInfinityIsABadResponse) {
  FakePrometheus nan(200, Vector(Sample("NaN")));
  QueryResult r = Ask(nan);
  EXPECT_EQ(r.kind, QueryErrorKind::kNoData);
  EXPECT_EQ(r.error, "no data (NaN)");
  for (const char* inf : {"+Inf", "-Inf"}) {
    FakePrometheus p(200, Vector(Sample(inf)));
    r = Ask(p);
    EXPECT_EQ(r.kind, QueryErrorKind::kBadResponse);
    EXPECT_EQ(r.error, std::string("value \"") + inf + "\" is not finite");
  }
  FakePrometheus huge(200, Vector(Sample("1e999")));
  EXPECT_EQ(Ask(huge).kind, QueryErrorKind::kBadResponse);
}

TEST(QueryPrometheus, MoreThanOneSeriesIsABadResponse) {
  FakePrometheus p(200, Vector(Sample("1", R"({"v":"1"})") + "," + Sample("2", R"({"v":"2"})")));
  QueryResult r = Ask(p);
  EXPECT_EQ(r.kind, QueryErrorKind::kBadResponse);
  EXPECT_EQ(r.error, "2 series, expected one (aggregate with sum() or similar)");
}

TEST(QueryPrometheus, UnexpectedShapesAreBadResponses) {
  struct Case {
    std::string body, error;
  };
  for (const Case& c : std::vector<Case>{
           {R"({"status":"success","data":{"resultType":"matrix","result":[]}})",
            "result type matrix, expected scalar or vector"},
           {R"({"status":"success","data":{"resultType":"string","result":[1,"x"]}})",
            "result type string, expected scalar or vector"},
           {Vector(Sample("abc")), "value \"abc\" is not a number"},
           {Vector(Sample("0x10")), "value \"0x10\" is not a number"},
           {Vector(Sample(" 1")), "value \" 1\" is not a number"},
           {Vector(R"({"metric":{},"value":[1,2]})"), "sample is not [timestamp, \"value\"]"},
           {Vector(R"({"metric":{},"histogram":[1,{}]})"), "sample has no value"},
           {Vector("1"), "sample has no value"},
           {R"({"status":"success","data":{"resultType":"vector","result":{}}})",
            "vector result is not an array"},
           {R"({"status":"success","data":{}})",
            R"(reply is not a Prometheus query result: {"status":"success","data":{}})"},
           {R"([1,2,3])", "reply is not a Prometheus query result: [1,2,3]"},
           {R"({"status":"success","data":{"resultType":"vec)",
            R"(reply is not JSON: {"status":"success","data":{"resultType":"vec)"},
           {"", "reply is not JSON: "},
       }) {
    FakePrometheus p(200, c.body);
    QueryResult r = Ask(p);
    EXPECT_EQ(r.kind, QueryErrorKind::kBadResponse) << c.body;
    EXPECT_EQ(r.error, c.error);
  }
}

TEST(QueryPrometheus, DeeplyNestedJsonIsABadResponseNotACrash) {
  FakePrometheus p(200, std::string(200000, '[') + std::string(200000, ']'));
  QueryResult r = Ask(p);
  EXPECT_EQ(r.kind, QueryErrorKind::kBadResponse);
}

TEST(QueryPrometheus, PrometheusErrorsAreSortedByTheirType) {
  struct Case {
    int status;
    std::string body;
    QueryErrorKind kind;
    std::string error;
  };
  auto error = [](const std::string& type, const std::string& message) {
    return R"({"status":"error","errorType":")" + type + R"(","error":")" + message + R"("})";
  };
  for (const Case& c : std::vector<Case>{
           {400, error("bad_data", "1:5: parse error: unexpected \\\"}\\\""),
            QueryErrorKind::kBadQuery, "bad_data: 1:5: parse error: unexpected \"}\""},
           {422, error("execution", "many-to-many matching not allowed"), QueryErrorKind::kBadQuery,
            "execution: many-to-many matching not allowed"},
           {503, error("timeout", "query timed out in expression evaluation"),
            QueryErrorKind::kUnavailable, "timeout: query timed out in expression evaluation"},
           {503, error("unavailable", "TSDB not ready"), QueryErrorKind::kUnavailable,
            "unavailable: TSDB not ready"},
           {500, error("internal", "x"), QueryErrorKind::kUnavailable, "internal: x"},
           {502, "<html>Bad Gateway</html>", QueryErrorKind::kUnavailable,
            "HTTP 502: <html>Bad Gateway</html>"},
           {500, "", QueryErrorKind::kUnavailable, "HTTP 500"},
           {429, "slow down", QueryErrorKind::kUnavailable, "HTTP 429: slow down"},
           {408, "", QueryErrorKind::kUnavailable, "HTTP 408"},
           {404, "404 page not found\n", QueryErrorKind::kBadQuery,
            "HTTP 404: 404 page not found "},
           {401, "Unauthorized", QueryErrorKind::kBadQuery, "HTTP 401: Unauthorized"},
           {204, "", QueryErrorKind::kBadResponse, "reply is not JSON: "},
       }) {
    FakePrometheus p(c.status, c.body);
    QueryResult r = Ask(p);
    EXPECT_EQ(r.kind, c.kind) << c.status << " " << c.body;
    EXPECT_EQ(r.error, c.error);
    EXPECT_EQ(r.http_status, c.status);
  }
}

TEST(QueryPrometheus, RedirectsAreNotFollowed) {
  FakePrometheus elsewhere(200, Vector(Sample("1")));
  PieceBackend backend([&](const std::string&) {
    return Send(HttpResponse(302, "", "Location: " + elsewhere.address() + "/login\r\n"));
  });
  QueryResult r = QueryPrometheus(
      {.address = "http://127.0.0.1:" + std::to_string(backend.port()), .query = "up"});
  EXPECT_EQ(r.kind, QueryErrorKind::kBadResponse);
  EXPECT_EQ(r.error, "HTTP 302: redirect to " + elsewhere.address() + "/login not followed");
  EXPECT_EQ(elsewhere.backend.requests().size(), 0u);
}

TEST(QueryPrometheus, AReplyOverOneMebibyteIsABadResponse) {
  std::string big = Vector(Sample("1", R"({"pad":")" + std::string(2 * 1024 * 1024, 'p') + "\"}"));
  FakePrometheus p(200, big);
  QueryResult r = Ask(p);
  EXPECT_EQ(r.kind, QueryErrorKind::kBadResponse);
  EXPECT_EQ(r.error, "reply larger than 1 MiB");
}

TEST(QueryPrometheus, ATimeoutIsUnavailableAndBounded) {
  testing::Gate gate;
  PieceBackend backend([&](const std::string&) {
    gate.Wait(5s);
    return Send(HttpResponse(200, Vector(Sample("1"))));
  });
  QueryResult r = QueryPrometheus({.address = "http://127.0.0.1:" + std::to_string(backend.port()),
                                   .query = "up",
                                   .timeout = 300ms});
  gate.Release();
  EXPECT_EQ(r.kind, QueryErrorKind::kUnavailable);
  EXPECT_EQ(r.error, "timeout after 300ms");
  EXPECT_LT(r.duration, 300ms + 2s);
}

TEST(QueryPrometheus, ConnectionRefusedIsUnavailable) {
  uint16_t port = canaryd::testing::PickFreePort();
  QueryResult r =
      QueryPrometheus({.address = "http://127.0.0.1:" + std::to_string(port), .query = "up"});
  EXPECT_EQ(r.kind, QueryErrorKind::kUnavailable);
  EXPECT_EQ(r.error, "connection refused");
  EXPECT_EQ(r.http_status, 0);
}

TEST(QueryPrometheus, ClosedMidResponseIsUnavailable) {
  PieceBackend backend([](const std::string&) {
    return Send("HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n{\"status\":\"succ", true);
  });
  QueryResult r = QueryPrometheus(
      {.address = "http://127.0.0.1:" + std::to_string(backend.port()), .query = "up"});
  EXPECT_EQ(r.kind, QueryErrorKind::kUnavailable);
  EXPECT_EQ(r.error, "connection closed mid-response (after HTTP 200)");
}

TEST(QueryPrometheus, ABadAddressOrHeaderIsABadQuery) {
  for (const char* address :
       {"prometheus:9090", "file:///tmp/x", "http://p:9090/?a=b", "http://p:9090/#x"}) {
    QueryResult r = QueryPrometheus({.address = address, .query = "up"});
    EXPECT_EQ(r.kind, QueryErrorKind::kBadQuery) << address;
  }
  QueryResult r =
      QueryPrometheus({.address = "http://127.0.0.1:1", .query = "up", .headers = {{"X", "a\nb"}}});
  EXPECT_EQ(r.kind, QueryErrorKind::kBadQuery);
  EXPECT_EQ(r.error, "header X: the value contains CR, LF or NUL");
}

TEST(QueryErrorKindName, NamesEachKind) {
  EXPECT_STREQ(QueryErrorKindName(QueryErrorKind::kNoData), "NoData");
  EXPECT_STREQ(QueryErrorKindName(QueryErrorKind::kUnavailable), "Unavailable");
  EXPECT_STREQ(QueryErrorKindName(QueryErrorKind::kBadQuery), "BadQuery");
  EXPECT_STREQ(QueryErrorKindName(QueryErrorKind::kBadResponse), "BadResponse");
}

}  // namespace
}  // namespace canaryd::rollout

// Unit tests with injected time: histograms, live windows, metric labels, exposition and
// access-log formats. The Prometheus server itself is exercised in tests/integration.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <thread>

#include "telemetry/access_log.h"
#include "telemetry/histogram.h"
#include "telemetry/live_stats.h"
#include "telemetry/request_metrics.h"
#include "telemetry/slot_cache.h"
#include "telemetry/telemetry.h"

namespace canaryd::telemetry {
namespace {

TEST(Histogram, BucketsAreUpperInclusiveAndTheLastIsInfinite) {
  DurationHistogram h;
  h.Record(0.5, kDurationBucketsMs);
  h.Record(0.6, kDurationBucketsMs);
  h.Record(5000000, kDurationBucketsMs);
  EXPECT_EQ(h.counts[0], 1u);  // le 0.5
  EXPECT_EQ(h.counts[1], 1u);  // le 1
  EXPECT_EQ(h.counts[kDurationBucketsMs.size()], 1u);
  EXPECT_EQ(h.count, 3u);
  EXPECT_DOUBLE_EQ(h.sum, 5000001.1);
}

TEST(LatencyHistogram, QuantilesAreWithinTheBucketResolution) {
  LatencyHistogram h;
  for (int i = 1; i <= 1000; ++i) h.Record(i * 0.1);  // 0.1 .. 100 ms, uniform
  EXPECT_NEAR(h.Quantile(0.5), 50, 5);
  EXPECT_NEAR(h.Quantile(0.9), 90, 9);
  EXPECT_NEAR(h.Quantile(0.99), 99, 10);
  EXPECT_EQ(LatencyHistogram().Quantile(0.5), 0);
}

TEST(LatencyHistogram, EachValueLandsInTheBucketWhoseBoundsHoldIt) {
  for (double ms = 0.0101; ms < 38000; ms *= 1.013) {  // the last bound is 38.1 s
    int b = LatencyHistogram::BucketOf(ms);
    ASSERT_GT(b, 0) << ms;
    ASSERT_LE(ms, LatencyHistogram::UpperBoundMs(b)) << ms;
    ASSERT_GT(ms, LatencyHistogram::UpperBoundMs(b - 1)) << ms;
  }
  EXPECT_EQ(LatencyHistogram::BucketOf(0), 0);
  EXPECT_EQ(LatencyHistogram::BucketOf(-3), 0);
  EXPECT_EQ(LatencyHistogram::BucketOf(std::nan("")), 0);
  EXPECT_EQ(LatencyHistogram::BucketOf(1e12), LatencyHistogram::kBuckets - 1);
}

router::Cluster MakeCluster() {
  router::Cluster c;
  c.service_fqdn = "web-v2-service.default.svc.cluster.local";
  c.service_name = "web-v2-service";
  c.service_namespace = "default";
  c.name = "outbound|80||web-v2-service.default.svc.cluster.local";
  return c;
}

router::Endpoint MakeEndpoint() {
  router::Endpoint e;
  e.address_text = "127.0.0.1:8082";
  e.version = "v2";
  e.workload = "web-v2";
  e.workload_namespace = "default";
  e.app = "web";
  e.canonical_service = "web";
  e.canonical_revision = "v2";
  return e;
}

proxy::RequestInfo Info(const router::Cluster* c, const router::Endpoint* e, int status,
                        int64_t start_second, int64_t duration_ms) {
  proxy::RequestInfo i;
  i.cluster = c;
  i.endpoint = e;
  i.status = status;
  i.start_wall_micros = start_second * 1'000'000;
  i.start_nanos = 1'000'000'000;
  i.end_nanos = i.start_nanos + duration_ms * 1'000'000;
  i.method = "GET";
  i.path = "/";
  i.protocol = "HTTP/1.1";
  i.authority = "web";
  i.request_id = "id-1";
  i.bytes_sent = 2;
  return i;
}

TEST(LiveStats, WindowsCountExactlyAndForgetOldSeconds) {
  router::Cluster c = MakeCluster();
  router::Endpoint e = MakeEndpoint();
  LiveStats store;
  WorkerWindow a, b;  // two workers
  for (int s = 100; s < 160; ++s) {
    for (int i = 0; i < 10; ++i) a.Record(Info(&c, &e, i == 0 ? 503 : 200, s, 10), s);
    for (int i = 0; i < 10; ++i) b.Record(Info(&c, &e, 200, s, 30), s);
    a.Flush(s + 1, store);
    b.Flush(s + 1, store);
  }
  std::vector<DestinationStats> w30 = store.Query(30, 160);
  ASSERT_EQ(w30.size(), 1u);
  EXPECT_EQ(w30[0].requests, 600u);
  EXPECT_EQ(w30[0].successes, 570u);
  EXPECT_DOUBLE_EQ(w30[0].success_rate, 0.95);
  EXPECT_DOUBLE_EQ(w30[0].requests_per_second, 20);
  EXPECT_EQ(w30[0].version, "v2");
  // Half the requests took 10 ms and half 30 ms: the median is anywhere in between, the tail is
  // at 30 ms (within the 10% bucket resolution).
  EXPECT_GE(w30[0].p50_ms, 9.5);
  EXPECT_LE(w30[0].p50_ms, 31);
  EXPECT_NEAR(w30[0].p90_ms, 30, 3);
  EXPECT_NEAR(w30[0].p99_ms, 30, 3);
  EXPECT_EQ(store.Query(1, 160)[0].requests, 20u);
  EXPECT_TRUE(store.Query(10, 1000).empty()) << "nothing in the last 10 s at t=1000";
}

TEST(SlotCache, AnswersOnlyForTheKeyItHoldsInASlot) {
  int a = 1, b = 2;
  SlotCache<int, int> cache;
  EXPECT_EQ(cache.Find(7, 7), nullptr);
  cache.Put(7, 7, &a);
  EXPECT_EQ(cache.Find(7, 7), &a);
  EXPECT_EQ(cache.Find(8, 7), nullptr) << "same slot, another key";
  cache.Put(8, 7, &b);  // takes the slot over
  EXPECT_EQ(cache.Find(8, 7), &b);
  EXPECT_EQ(cache.Find(7, 7), nullptr);
  cache.Clear();
  EXPECT_EQ(cache.Find(8, 7), nullptr);
}

TEST(LiveStats, EachDestinationCountsOnlyItsOwnRequestsAcrossManyEndpointsAndTables) {
  router::Cluster c = MakeCluster();
  std::vector<router::Endpoint> endpoints(40, MakeEndpoint());
  for (size_t k = 0; k < endpoints.size(); ++k) endpoints[k].version = "v" + std::to_string(k);
  LiveStats store;
  WorkerWindow w;
  // 40 endpoints, more than the lookup's slots, interleaved; endpoint k gets k + 1 requests.
  for (size_t round = 0; round < endpoints.size(); ++round) {
    for (size_t k = round; k < endpoints.size(); ++k) {
      proxy::RequestInfo i = Info(&c, &endpoints[k], 200, 100, 1);
      i.table_generation = 1;
      w.Record(i, 100);
    }
  }
  // A new table with a different endpoint at the same address, right after the old one.
  proxy::RequestInfo i = Info(&c, &endpoints[0], 200, 100, 1);
  i.table_generation = 1;
  w.Record(i, 100);
  endpoints[0].version = "v-new";
  i.table_generation = 2;
  w.Record(i, 100);
  w.Flush(101, store);
  std::map<std::string, uint64_t> got;
  for (const DestinationStats& d : store.Query(1, 101)) got[d.version] = d.requests;
  ASSERT_EQ(got.size(), 41u);
  EXPECT_EQ(got["v0"], 2u);
  EXPECT_EQ(got["v-new"], 1u);
  for (size_t k = 1; k < 40; ++k) EXPECT_EQ(got["v" + std::to_string(k)], k + 1) << k;
}

TEST(RequestMetrics, LabelsFollowIstio) {
  router::Cluster c = MakeCluster();
  router::Endpoint e = MakeEndpoint();
  GatewayIdentity id;
  RequestMetrics m(&id);
  proxy::RequestInfo i = Info(&c, &e, 503, 100, 7);
  i.flags = proxy::kUpstreamConnectionFailure;
  m.Record(i);
  m.Record(i);
  auto snap = m.Snapshot();
  ASSERT_EQ(snap.size(), 1u);
  const std::string& labels = snap[0].first;
  EXPECT_NE(labels.find("reporter=\"source\""), std::string::npos);
  EXPECT_NE(labels.find("source_workload=\"canaryd\""), std::string::npos);
  EXPECT_NE(labels.find("destination_service=\"web-v2-service.default.svc.cluster.local\""),
            std::string::npos);
  EXPECT_NE(labels.find("destination_service_name=\"web-v2-service\""), std::string::npos);
  EXPECT_NE(labels.find("destination_version=\"v2\""), std::string::npos);
  EXPECT_NE(labels.find("destination_workload=\"web-v2\""), std::string::npos);
  EXPECT_NE(labels.find("response_code=\"503\""), std::string::npos);
  EXPECT_NE(labels.find("response_flags=\"UF\""), std::string::npos);
  EXPECT_NE(labels.find("grpc_response_status=\"\""), std::string::npos);
  EXPECT_EQ(snap[0].second.requests, 2u);
  EXPECT_EQ(snap[0].second.duration_ms.counts[3], 2u) << "7 ms is in the le=10 bucket";
}

TEST(RequestMetrics, EverySeriesCountsOnlyItsOwnRequestsAcrossManyKeysAndTables) {
  router::Cluster c = MakeCluster();
  router::Endpoint e1 = MakeEndpoint();
  router::Endpoint e2 = MakeEndpoint();
  e2.version = "v3";
  GatewayIdentity id;
  RequestMetrics m(&id);
  // 2 endpoints x 40 statuses x 2 flag sets: far more keys than the lookup's slots, recorded
  // interleaved so that they keep evicting each other; key k is recorded k % 5 + 1 times.
  std::map<std::string, uint64_t> expected;
  for (int round = 0; round < 5; ++round) {
    int k = 0;
    for (const router::Endpoint* e : {&e1, &e2}) {
      for (int status = 200; status < 240; ++status) {
        for (uint32_t flags : {0u, static_cast<uint32_t>(proxy::kUpstreamRequestTimeout)}) {
          if (round <= k++ % 5) {
            proxy::RequestInfo i = Info(&c, e, status, 100, 1);
            i.flags = flags;
            i.table_generation = 1;
            m.Record(i);
            ++expected[e->version + " " + std::to_string(status) + (flags ? " UT" : " -")];
          }
        }
      }
    }
  }
  auto key_of = [](const std::string& labels) {
    auto value = [&](const std::string& name) {
      size_t at = labels.find("," + name + "=\"") + name.size() + 3;
      return labels.substr(at, labels.find('"', at) - at);
    };
    return value("destination_version") + " " + value("response_code") + " " +
           value("response_flags");
  };
  std::map<std::string, uint64_t> got;
  for (const auto& [labels, data] : m.Snapshot()) got[key_of(labels)] += data.requests;
  EXPECT_EQ(got, expected);
  ASSERT_EQ(m.series(), 160u);

  // A new route table may put a different endpoint at the same address: its requests must not
  // land in the old endpoint's series, even right after the old one's.
  proxy::RequestInfo i = Info(&c, &e1, 200, 100, 1);
  i.table_generation = 1;
  m.Record(i);
  ++expected["v2 200 -"];
  e1.version = "v9";
  i.table_generation = 2;
  m.Record(i);
  got.clear();
  for (const auto& [labels, data] : m.Snapshot()) got[key_of(labels)] += data.requests;
  EXPECT_EQ(got["v9 200 -"], 1u);
  EXPECT_EQ(got["v2 200 -"], expected["v2 200 -"]);
}

TEST(RequestMetrics, NoRouteHasUnknownDestination) {
  GatewayIdentity id;
  RequestMetrics m(&id);
  proxy::RequestInfo i = Info(nullptr, nullptr, 404, 1, 0);
  i.flags = proxy::kNoRouteFound;
  m.Record(i);
  auto snap = m.Snapshot();
  const std::string& labels = snap[0].first;
  EXPECT_NE(labels.find("destination_service=\"unknown\""), std::string::npos);
  EXPECT_NE(labels.find("response_flags=\"NR\""), std::string::npos);
}

TEST(AccessLog, TextFollowsIstiosDefaultFormat) {
  router::Cluster c = MakeCluster();
  router::Endpoint e = MakeEndpoint();
  proxy::RequestInfo i = Info(&c, &e, 200, 1'700'000'000, 12);
  i.upstream_start_nanos = i.start_nanos + 1'000'000;
  i.response_start_nanos = i.start_nanos + 9'000'000;
  i.user_agent = "curl/8";
  i.downstream_address = "127.0.0.1:5555";
  std::string line;
  FormatAccessLog(i, AccessLogFormat::kText, line);
  EXPECT_EQ(line,
            "[2023-11-14T22:13:20.000Z] \"GET / HTTP/1.1\" 200 - - - \"-\" 0 2 12 8 \"-\" "
            "\"curl/8\" \"id-1\" \"web\" \"127.0.0.1:8082\" "
            "outbound|80||web-v2-service.default.svc.cluster.local - - 127.0.0.1:5555 - - "
            "\"web-v2-service.default.svc.cluster.local\" \"v2\"\n");
  std::string json;
  FormatAccessLog(i, AccessLogFormat::kJson, json);
  EXPECT_NE(json.find("\"response_code\":200"), std::string::npos);
  EXPECT_NE(json.find("\"destination_version\":\"v2\""), std::string::npos);
  EXPECT_NE(json.find("\"upstream_service_time\":8"), std::string::npos);
  EXPECT_EQ(json.back(), '\n');
}

TEST(AccessLog, XForwardedForIsLoggedAsSentUpstreamWithTheClientAppended) {
  router::Cluster c = MakeCluster();
  router::Endpoint e = MakeEndpoint();
  proxy::RequestInfo i = Info(&c, &e, 200, 1'700'000'000, 3);
  i.client_address = "127.0.0.1";
  auto logged = [&](AccessLogFormat format) {
    std::string line;
    FormatAccessLog(i, format, line);
    return line;
  };
  auto json_value = [&] {
    return nlohmann::json::parse(logged(AccessLogFormat::kJson))["x_forwarded_for"];
  };
  EXPECT_EQ(json_value(), "127.0.0.1") << "none received: the client alone";
  EXPECT_NE(logged(AccessLogFormat::kText).find(" 3 - \"127.0.0.1\" "), std::string::npos)
      << logged(AccessLogFormat::kText);
  i.forwarded_for = "203.0.113.7, 10.0.0.1";
  EXPECT_EQ(json_value(), "203.0.113.7, 10.0.0.1, 127.0.0.1");
  EXPECT_NE(logged(AccessLogFormat::kText).find("\"203.0.113.7, 10.0.0.1, 127.0.0.1\""),
            std::string::npos);
  i.forwarded_for = "a \"quoted\\ value";
  EXPECT_EQ(json_value(), "a \"quoted\\ value, 127.0.0.1") << "escaped, and parses back";
  i.forwarded_for = "";
  i.client_address = "";
  EXPECT_EQ(json_value(), "");
  EXPECT_NE(logged(AccessLogFormat::kText).find(" 3 - \"-\" "), std::string::npos);
}

TEST(AccessLog, JsonLinesParseBackToWhatWasLoggedWhateverTheBytes) {
  router::Cluster c = MakeCluster();
  router::Endpoint e = MakeEndpoint();
  proxy::RequestInfo i = Info(&c, &e, 502, 1'700'000'000, 3);
  std::string agent = "quote \" backslash \\ tab \t nl \n cr \r nul ";
  agent += '\0';
  agent += " esc \x1b del \x7f utf8 \xc3\xa9";
  std::string path = "/" + std::string(40 * 1024, '"');  // the worst case for the size bound
  i.user_agent = agent;
  i.path = path;
  i.flags = proxy::kUpstreamConnectionFailure;
  std::string lines = "earlier line\n";
  FormatAccessLog(i, AccessLogFormat::kJson, lines);
  FormatAccessLog(i, AccessLogFormat::kJson, lines);
  ASSERT_EQ(lines.compare(0, 13, "earlier line\n"), 0);
  std::string first = lines.substr(13, lines.find('\n', 13) - 13 + 1);
  EXPECT_EQ(lines.size(), 13 + 2 * first.size()) << "two identical lines, nothing else";
  nlohmann::json j = nlohmann::json::parse(first);
  EXPECT_EQ(j["user_agent"], agent);
  EXPECT_EQ(j["path"], path);
  EXPECT_EQ(j["response_code"], 502);
  EXPECT_EQ(j["response_flags"], "UF");
  EXPECT_EQ(j["start_time"], "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(j["upstream_service_time"], nullptr);
  EXPECT_EQ(j["destination_version"], "v2");
  EXPECT_NE(first.find("\\u0000"), std::string::npos);
  EXPECT_NE(first.find("\\u001b"), std::string::npos);
}

TEST(AccessLog, TextsOfEveryLengthAreCopiedWhole) {
  // Short texts are copied with overlapping 1-, 4-, 8- and 16-byte moves: every length, each
  // byte different, through both formats and through a record.
  router::Cluster c = MakeCluster();
  router::Endpoint e = MakeEndpoint();
  proxy::RequestInfo i = Info(&c, &e, 200, 1'700'000'000, 3);
  for (size_t len = 0; len <= 140; ++len) {
    std::string path;
    for (size_t k = 0; k < len; ++k) path += static_cast<char>('0' + k % 75);
    std::replace(path.begin(), path.end(), '\\', '!');
    i.path = path;
    std::string json, text, record, from_record;
    FormatAccessLog(i, AccessLogFormat::kJson, json);
    FormatAccessLog(i, AccessLogFormat::kText, text);
    AppendLogRecord(i, record);
    FormatLogRecords(record, AccessLogFormat::kJson, from_record);
    nlohmann::json j = nlohmann::json::parse(json, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << len;
    ASSERT_EQ(j["path"], path) << len;
    ASSERT_EQ(j["request_id"], "id-1") << len << ": the text after it is intact";
    ASSERT_EQ(from_record, json) << len;
    ASSERT_NE(text.find("\"GET " + (path.empty() ? "-" : path) + " HTTP/1.1\" 200"),
              std::string::npos)
        << len;
  }
}

TEST(AccessLog, EveryByteThatNeedsEscapingIsFoundWhereverItSits) {
  // The escape check scans 16 bytes at a time, then byte by byte: put each byte JSON must
  // escape at every position of strings across those boundaries.
  router::Cluster c = MakeCluster();
  router::Endpoint e = MakeEndpoint();
  proxy::RequestInfo i = Info(&c, &e, 200, 1'700'000'000, 3);
  for (char special : {'"', '\\', '\x01', '\x1f', '\0'}) {
    for (size_t len = 1; len <= 40; ++len) {
      for (size_t at = 0; at < len; ++at) {
        std::string agent(len, 'a');
        agent[at] = special;
        i.user_agent = agent;
        std::string line;
        FormatAccessLog(i, AccessLogFormat::kJson, line);
        nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
        ASSERT_FALSE(j.is_discarded()) << "byte " << int(special) << " at " << at << " of " << len;
        ASSERT_EQ(j["user_agent"], agent) << "byte " << int(special) << " at " << at;
        // The writer checks a record's texts all at once: the same line from a record.
        std::string record, from_record;
        AppendLogRecord(i, record);
        FormatLogRecords(record, AccessLogFormat::kJson, from_record);
        ASSERT_EQ(from_record, line) << "byte " << int(special) << " at " << at << " of " << len;
      }
    }
  }
  // A byte that is not UTF-8 (0xff never is) at every position: escaped as \u00ff.
  for (size_t len = 1; len <= 40; ++len) {
    for (size_t at = 0; at < len; ++at) {
      std::string agent(len, 'a');
      agent[at] = '\xff';
      i.user_agent = agent;
      std::string line;
      FormatAccessLog(i, AccessLogFormat::kJson, line);
      nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
      ASSERT_FALSE(j.is_discarded()) << "0xff at " << at << " of " << len << ": " << line;
      std::string expected = agent;
      expected.replace(at, 1, "\xc3\xbf");  // U+00FF, as the \u00ff escape reads back
      ASSERT_EQ(j["user_agent"], expected) << at << " of " << len;
      std::string record, from_record;
      AppendLogRecord(i, record);
      FormatLogRecords(record, AccessLogFormat::kJson, from_record);
      ASSERT_EQ(from_record, line) << at << " of " << len;
    }
  }
  // Printable ASCII other than quote and backslash is copied as it is.
  std::string plain;
  for (int b = 0x20; b < 0x7f; ++b) {
    if (b != '"' && b != '\\') plain += static_cast<char>(b);
  }
  i.user_agent = plain;
  std::string line;
  FormatAccessLog(i, AccessLogFormat::kJson, line);
  EXPECT_NE(line.find("\"user_agent\":\"" + plain + "\""), std::string::npos);
}

TEST(AccessLog, JsonLinesAreValidUtf8WhateverBytesAHeaderHeld) {
  // Well-formed UTF-8 is copied as it is; every byte of anything else is escaped as \u00XX, so
  // the line stays valid JSON (nlohmann's parser refuses invalid UTF-8) and the bytes can be told.
  router::Cluster c = MakeCluster();
  router::Endpoint e = MakeEndpoint();
  proxy::RequestInfo i = Info(&c, &e, 200, 1'700'000'000, 3);
  struct Case {
    std::string sent;
    std::string logged;  // inside the JSON string
  };
  const Case cases[] = {
      {"Mozilla \xff\xfe\x80", "Mozilla \\u00ff\\u00fe\\u0080"},
      {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9d\x84\x9e \xf4\x8f\xbf\xbf",
       "caf\xc3\xa9 \xe2\x82\xac \xf0\x9d\x84\x9e \xf4\x8f\xbf\xbf"},  // up to U+10FFFF
      {"overlong \xc0\x80 \xe0\x80\xaf", "overlong \\u00c0\\u0080 \\u00e0\\u0080\\u00af"},
      {"surrogate \xed\xa0\x80", "surrogate \\u00ed\\u00a0\\u0080"},
      {"too high \xf4\x90\x80\x80", "too high \\u00f4\\u0090\\u0080\\u0080"},
      {"cut short \xe2\x82", "cut short \\u00e2\\u0082"},
      {"stray \xbf then \xc3\xa9", "stray \\u00bf then \xc3\xa9"},
  };
  for (const Case& k : cases) {
    i.user_agent = k.sent;
    std::string line;
    FormatAccessLog(i, AccessLogFormat::kJson, line);
    EXPECT_NE(line.find("\"user_agent\":\"" + k.logged + "\""), std::string::npos) << line;
    EXPECT_FALSE(nlohmann::json::parse(line, nullptr, false).is_discarded()) << line;
    std::string record, from_record;
    AppendLogRecord(i, record);
    FormatLogRecords(record, AccessLogFormat::kJson, from_record);
    EXPECT_EQ(from_record, line);
  }
}

TEST(AccessLog, RecordsFormatIntoExactlyTheLinesOfTheRequests) {
  // Workers store records and the writer formats them: the lines must be those of the requests
  // themselves, whatever their texts (empty, long, bytes JSON escapes) and whether or not there
  // was a route, a cluster or an endpoint.
  router::Cluster c = MakeCluster();
  router::Endpoint e = MakeEndpoint();
  router::Route r;
  r.name = "default/web#0";
  std::vector<proxy::RequestInfo> requests;
  requests.push_back(Info(&c, &e, 200, 1'700'000'000, 3));
  proxy::RequestInfo odd = Info(&c, &e, 502, 1'700'000'001, 12);
  std::string agent = "quote \" nul " + std::string(1, '\0') + " utf8 \xc3\xa9";
  std::string path = "/" + std::string(40 * 1024, 'p');  // more than a record's stack space
  odd.user_agent = agent;
  odd.path = path;
  odd.forwarded_for = "203.0.113.7";
  odd.client_address = "127.0.0.1";
  odd.downstream_address = "127.0.0.1:5555";
  odd.route = &r;
  odd.flags = proxy::kUpstreamConnectionFailure;
  odd.upstream_start_nanos = odd.start_nanos + 1'000'000;
  odd.response_start_nanos = odd.start_nanos + 9'000'000;
  odd.bytes_received = 1234;
  requests.push_back(odd);
  proxy::RequestInfo no_route = Info(nullptr, nullptr, 404, 1'700'000'002, 0);
  no_route.flags = proxy::kNoRouteFound;
  no_route.method = "";
  requests.push_back(no_route);
  for (AccessLogFormat format : {AccessLogFormat::kText, AccessLogFormat::kJson}) {
    std::string records, expected;
    for (const proxy::RequestInfo& i : requests) {
      AppendLogRecord(i, records);
      FormatAccessLog(i, format, expected);
    }
    std::string lines = "earlier\n";
    EXPECT_EQ(FormatLogRecords(records, format, lines), requests.size());
    EXPECT_EQ(lines, "earlier\n" + expected);
  }
}

TEST(AccessLog, AWriterThatFallsBehindDropsAndCountsLinesWithoutBlocking) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  // Nobody reads the pipe: once its buffer is full, the writer thread blocks in write().
  std::unique_ptr<AccessLogWriter> w =
      AccessLogWriter::ForFd(fds[1], AccessLogFormat::kText, 64 * 1024);
  router::Cluster c = MakeCluster();
  router::Endpoint e = MakeEndpoint();
  proxy::RequestInfo info = Info(&c, &e, 200, 1'700'000'000, 3);
  std::string path = "/" + std::string(900, 'x');
  info.path = path;
  std::string record;
  AppendLogRecord(info, record);  // a line of about 1,100 bytes
  uint64_t submitted = 0;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 2000; ++i) {
    std::string batch = record;
    while (!w->Submit(batch, 1)) {
    }
    ++submitted;
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2))
      << "submitting never waits for the disk";
  EXPECT_EQ(submitted, 2000u);
  EXPECT_GT(w->dropped_lines(), 1000u) << "2 MB offered, 64 KiB pipe + 64 KiB queue";
  // Unblock the writer so it can stop: drain the pipe while it finishes.
  std::thread drain([&] {
    char buf[65536];
    while (read(fds[0], buf, sizeof buf) > 0) {
    }
  });
  w.reset();
  close(fds[1]);
  drain.join();
  close(fds[0]);
}

TEST(AccessLog, TheWriterPutsEveryBatchInTheFileInOrder) {
  char path[] = "/tmp/canaryd-access-log-test.XXXXXX";
  int tmp = mkstemp(path);
  ASSERT_GE(tmp, 0);
  close(tmp);
  Result<std::unique_ptr<AccessLogWriter>> w = AccessLogWriter::Open(path, AccessLogFormat::kJson);
  ASSERT_TRUE(w.ok());
  router::Cluster c = MakeCluster();
  router::Endpoint e = MakeEndpoint();
  // 40 batches of 100 lines, about 2.5 MB of JSON: more than one write() takes.
  std::string expected;
  uint64_t lines = 0;
  for (int b = 0; b < 40; ++b) {
    std::string batch;
    for (int k = 0; k < 100; ++k, ++lines) {
      proxy::RequestInfo info = Info(&c, &e, 200, 1'700'000'000, static_cast<int>(lines));
      std::string id = "request-" + std::to_string(lines);
      info.request_id = id;
      AppendLogRecord(info, batch);
      FormatAccessLog(info, AccessLogFormat::kJson, expected);
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!(*w)->Submit(batch, 100) && std::chrono::steady_clock::now() < deadline) {
    }
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while ((*w)->written_lines() < lines && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ((*w)->written_lines(), lines);
  EXPECT_EQ((*w)->dropped_lines(), 0u);
  w->reset();
  std::string file;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  char buf[65536];
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) file.append(buf, static_cast<size_t>(n));
  close(fd);
  unlink(path);
  EXPECT_GT(expected.size(), 2u << 20);
  EXPECT_TRUE(file == expected) << "the file has " << file.size() << " bytes, expected "
                                << expected.size();
}

TEST(AccessLog, LinesTheFileRefusesAreCountedAsDroppedNotWritten) {
  int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);  // every write() fails with EBADF
  ASSERT_GE(fd, 0);
  std::unique_ptr<AccessLogWriter> w = AccessLogWriter::ForFd(fd, AccessLogFormat::kJson, 1 << 20);
  router::Cluster c = MakeCluster();
  router::Endpoint e = MakeEndpoint();
  std::string batch;
  for (int k = 0; k < 3; ++k) AppendLogRecord(Info(&c, &e, 200, 1'700'000'000, k), batch);
  // Submit only tries the lock (false: the writer holds it; keep the batch and try again), as
  // a worker does. CI once caught the writer thread holding it at the first try, under TSan.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  bool submitted = false;
  while (!(submitted = w->Submit(batch, 3)) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_TRUE(submitted);
  while (w->dropped_lines() < 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(w->dropped_lines(), 3u);
  EXPECT_EQ(w->written_lines(), 0u);
  w.reset();
  close(fd);
}

TEST(Telemetry, RendersTheExpositionFromEveryWorker) {
  router::Cluster c = MakeCluster();
  router::Endpoint e = MakeEndpoint();
  TelemetryOptions o;
  Telemetry t(o, 2);
  ASSERT_TRUE(t.Start().ok());
  t.OnRequestDone(0, Info(&c, &e, 200, 100, 3));
  t.OnRequestDone(1, Info(&c, &e, 200, 100, 3));
  t.OnRequestDone(1, Info(&c, &e, 500, 100, 3));
  GatewayHealth health;
  health.workers.resize(2);
  health.workers[1].loop_lag_nanos = 2'000'000;
  std::string text = t.RenderPrometheus(
      [](std::function<void(int)> fn) {
        fn(0);
        fn(1);
        return true;
      },
      health);
  EXPECT_NE(text.find("# TYPE istio_requests_total counter"), std::string::npos);
  EXPECT_NE(text.find("response_code=\"200\",grpc_response_status=\"\",response_flags=\"-\","
                      "connection_security_policy=\"unknown\"} 2\n"),
            std::string::npos)
      << "the two workers' series merge";
  EXPECT_NE(text.find("istio_request_duration_milliseconds_bucket{"), std::string::npos);
  EXPECT_NE(text.find(",le=\"+Inf\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("canaryd_event_loop_lag_seconds{worker=\"1\"} 0.002"), std::string::npos);
}

}  // namespace
}  // namespace canaryd::telemetry

#include "rollout/webhook_client.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "rollout/providers_test_util.h"
#include "testing/net.h"

namespace canaryd::rollout {
namespace {

using canaryd::testing::PieceBackend;
using namespace std::chrono_literals;
using testing::HttpResponse;
using testing::ParseRecorded;
using testing::Send;

std::string Url(const PieceBackend& b, const std::string& path = "/hook") {
  return "http://127.0.0.1:" + std::to_string(b.port()) + path;
}

TEST(WebhookPayload, HasFlaggersFieldsInFlaggersOrder) {
  std::string p = WebhookPayload("podinfo", "test", "Progressing", "85d557f47b",
                                 {{"token", "16688eb5e9f289f1991c"}, {"test", "all"}});
  EXPECT_EQ(p,
            R"({"name":"podinfo","namespace":"test","phase":"Progressing",)"
            R"("checksum":"85d557f47b","metadata":{"test":"all","token":"16688eb5e9f289f1991c"}})");
}

TEST(WebhookPayload, LeavesEmptyMetadataOutAsFlaggersOmitempty) {
  std::string p = WebhookPayload("a", "b", "Waiting", "c", {});
  EXPECT_EQ(p, R"({"name":"a","namespace":"b","phase":"Waiting","checksum":"c"})");
}

TEST(WebhookPayload, EscapesAndReplacesInvalidUtf8) {
  std::string p = WebhookPayload("a\"b\n", "ns", "Failed", "x", {{"cmd", "curl \"x\" \xff"}});
  nlohmann::json j = nlohmann::json::parse(p);  // throws if not valid JSON
  EXPECT_EQ(j["name"], "a\"b\n");
  EXPECT_EQ(j["metadata"]["cmd"], "curl \"x\" \xef\xbf\xbd");
}

TEST(CallWebhook, PostsTheJsonBodyWithItsContentType) {
  PieceBackend backend([](const std::string&) { return Send(HttpResponse(200, "")); });
  WebhookCall call;
  call.url = Url(backend, "/gate/approve?x=1");
  call.body = WebhookPayload("podinfo", "test", "Progressing", "abc", {{"k", "v"}});
  call.headers = {{"Authorization", "Bearer t0k"}, {"X-Empty", ""}};
  WebhookOutcome out = CallWebhook(call);
  EXPECT_TRUE(out.ok) << out.error;
  EXPECT_EQ(out.http_status, 200);
  EXPECT_EQ(out.error, "");
  ASSERT_EQ(backend.requests().size(), 1u);
  testing::RecordedRequest req = ParseRecorded(backend.requests()[0]);
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/gate/approve?x=1");
  EXPECT_EQ(req.Header("Content-Type"), "application/json");
  EXPECT_EQ(req.Header("Authorization"), "Bearer t0k");
  EXPECT_TRUE(req.HasHeader("X-Empty"));
  EXPECT_FALSE(req.HasHeader("Expect"));
  EXPECT_EQ(req.body, call.body);
}

TEST(CallWebhook, AnyTwoHundredIsSuccess) {
  for (int status : {200, 201, 202, 204, 206}) {
    PieceBackend backend([status](const std::string&) {
      return Send(status == 204 ? "HTTP/1.1 204 No Content\r\n\r\n" : HttpResponse(status, "ok"));
    });
    WebhookOutcome out = CallWebhook({.url = Url(backend), .body = "{}"});
    EXPECT_TRUE(out.ok) << status << ": " << out.error;
    EXPECT_EQ(out.http_status, status);
  }
}

TEST(CallWebhook, FiveHundredFailsWithTheStartOfTheBodyMadePrintable) {
  std::string body = "boom\r\n\x1b[31mred\x1b[0m \xc3\xa9" + std::string(300, 'x');
  PieceBackend backend([&](const std::string&) { return Send(HttpResponse(500, body)); });
  WebhookOutcome out = CallWebhook({.url = Url(backend), .body = "{}"});
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.http_status, 500);
  std::string expected = "HTTP 500: boom  ?[31mred?[0m ??" + std::string(200 - 21, 'x') + "...";
  EXPECT_EQ(out.error, expected);
}

TEST(CallWebhook, FourHundredWithoutBody) {
  PieceBackend backend([](const std::string&) { return Send(HttpResponse(403, "")); });
  WebhookOutcome out = CallWebhook({.url = Url(backend), .body = "{}"});
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.http_status, 403);
  EXPECT_EQ(out.error, "HTTP 403");
}

TEST(CallWebhook, DoesNotFollowRedirects) {
  PieceBackend elsewhere([](const std::string&) { return Send(HttpResponse(200, "")); });
  std::string location = Url(elsewhere, "/elsewhere");
  PieceBackend backend([&](const std::string&) {
    return Send(HttpResponse(301, "", "Location: " + location + "\r\n"));
  });
  WebhookOutcome out = CallWebhook({.url = Url(backend), .body = "{}"});
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.http_status, 301);
  EXPECT_EQ(out.error, "HTTP 301: redirect to " + location + " not followed");
  EXPECT_EQ(elsewhere.requests().size(), 0u);
}

TEST(CallWebhook, TimesOutWithinTheTimeoutAndSomeSlack) {
  testing::Gate gate;
  PieceBackend backend([&](const std::string&) {
    gate.Wait(5s);
    return Send(HttpResponse(200, ""));
  });
  auto start = std::chrono::steady_clock::now();
  WebhookOutcome out = CallWebhook({.url = Url(backend), .body = "{}", .timeout = 500ms});
  auto took = std::chrono::steady_clock::now() - start;
  gate.Release();
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.http_status, 0);
  EXPECT_EQ(out.error, "timeout after 500ms");
  EXPECT_LT(took, 500ms + 2s);
  EXPECT_GE(out.duration, 450ms);
  EXPECT_LT(out.duration, 500ms + 2s);
}

TEST(CallWebhook, TimeoutAlsoBoundsABodyThatTrickles) {
  PieceBackend backend([](const std::string&) {
    PieceBackend::Reply r = Send(HttpResponse(200, std::string(40, 'x')));
    r.one_byte_per_write = true;  // ~100 bytes 30 ms apart: 3 s in all
    r.pause = 30ms;
    return r;
  });
  WebhookOutcome out = CallWebhook({.url = Url(backend), .body = "{}", .timeout = 1s});
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.error, "timeout after 1s");
  EXPECT_LT(out.duration, 3s);
}

TEST(CallWebhook, ConnectionRefused) {
  uint16_t port = canaryd::testing::PickFreePort();
  WebhookOutcome out =
      CallWebhook({.url = "http://127.0.0.1:" + std::to_string(port) + "/", .body = "{}"});
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.http_status, 0);
  EXPECT_EQ(out.error, "connection refused");
}

// .invalid never resolves (RFC 6761).
TEST(CallWebhook, AnUnknownHost) {
  WebhookOutcome out =
      CallWebhook({.url = "http://canaryd-test.invalid/", .body = "{}", .timeout = 5s});
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.http_status, 0);
  EXPECT_EQ(out.error, "cannot resolve host canaryd-test.invalid");
}

TEST(CallWebhook, AHugeBodyIsCutAndTheStatusStillDecides) {
  std::string huge(16 * 1024 * 1024, 'y');
  for (int status : {200, 500}) {
    PieceBackend backend([&](const std::string&) { return Send(HttpResponse(status, huge)); });
    WebhookOutcome out = CallWebhook({.url = Url(backend), .body = "{}", .timeout = 5s});
    EXPECT_EQ(out.ok, status == 200) << out.error;
    EXPECT_EQ(out.http_status, status);
    if (status == 500) {
      EXPECT_EQ(out.error, "HTTP 500: " + std::string(200, 'y') + "...");
    }
    // Cut at 64 KiB, not drained: well before the timeout.
    EXPECT_LT(out.duration, 4s);
  }
}

TEST(CallWebhook, ClosedMidResponseFails) {
  PieceBackend backend([](const std::string&) {
    return Send("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly a part", true);
  });
  WebhookOutcome out = CallWebhook({.url = Url(backend), .body = "{}"});
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.http_status, 200);
  EXPECT_EQ(out.error, "connection closed mid-response (after HTTP 200)");
}

TEST(CallWebhook, ClosedBeforeAResponse) {
  PieceBackend backend([](const std::string&) { return Send("", true); });
  WebhookOutcome out = CallWebhook({.url = Url(backend), .body = "{}"});
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.error, "connection closed before a response");
}

TEST(CallWebhook, NotHttpFails) {
  PieceBackend backend([](const std::string&) { return Send("SSH-2.0-OpenSSH\r\n\r\n", true); });
  WebhookOutcome out = CallWebhook({.url = Url(backend), .body = "{}"});
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.http_status, 0);
  EXPECT_EQ(out.error, "malformed response: Received HTTP/0.9 when not allowed");
}

TEST(CallWebhook, HttpsIsSpokenAndAPlainServerIsATlsFailure) {
  PieceBackend backend([](const std::string&) { return Send(HttpResponse(200, ""), true); });
  WebhookOutcome out = CallWebhook(
      {.url = "https://127.0.0.1:" + std::to_string(backend.port()) + "/", .body = "{}"});
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.error.rfind("TLS: ", 0), 0u) << out.error;
}

TEST(CallWebhook, IgnoresProxiesFromTheEnvironment) {
  PieceBackend proxy([](const std::string&) { return Send(HttpResponse(200, "")); });
  PieceBackend target([](const std::string&) { return Send(HttpResponse(202, "")); });
  std::string proxy_url = "http://127.0.0.1:" + std::to_string(proxy.port());
  for (const char* var : {"http_proxy", "HTTPS_PROXY", "ALL_PROXY"}) {
    setenv(var, proxy_url.c_str(), 1);
  }
  unsetenv("no_proxy");
  unsetenv("NO_PROXY");
  WebhookOutcome out = CallWebhook({.url = Url(target), .body = "{}"});
  for (const char* var : {"http_proxy", "HTTPS_PROXY", "ALL_PROXY"}) unsetenv(var);
  EXPECT_TRUE(out.ok) << out.error;
  EXPECT_EQ(out.http_status, 202);
  EXPECT_EQ(proxy.requests().size(), 0u);
  EXPECT_EQ(target.requests().size(), 1u);
}

TEST(CallWebhook, RefusesOtherSchemesWithoutConnecting) {
  for (const char* url :
       {"file:///etc/passwd", "ftp://127.0.0.1/", "gopher://127.0.0.1/", "127.0.0.1:80/", ""}) {
    WebhookOutcome out = CallWebhook({.url = url, .body = "{}"});
    EXPECT_FALSE(out.ok);
    EXPECT_EQ(out.error, "URL must start with http:// or https://") << url;
  }
}

TEST(CallWebhook, RefusesHeadersThatWouldInjectOrReframe) {
  PieceBackend backend([](const std::string&) { return Send(HttpResponse(200, "")); });
  struct Case {
    std::string name, value, error;
  };
  for (const Case& c : std::vector<Case>{
           {"X-A", "v\r\nX-Injected: 1", "header X-A: the value contains CR, LF or NUL"},
           {"Bad Name", "v", "invalid header name \"Bad Name\""},
           {"", "v", "empty header name"},
           {"content-type", "text/plain", "header content-type is set by canaryd"},
           {"Transfer-Encoding", "chunked", "header Transfer-Encoding is set by canaryd"},
           {"Content-Length", "0", "header Content-Length is set by canaryd"},
       }) {
    WebhookOutcome out =
        CallWebhook({.url = Url(backend), .body = "{}", .headers = {{c.name, c.value}}});
    EXPECT_FALSE(out.ok);
    EXPECT_EQ(out.error, c.error);
  }
  EXPECT_EQ(backend.requests().size(), 0u);
}

}  // namespace
}  // namespace canaryd::rollout

#include "api/request_guard.h"

#include <gtest/gtest.h>

namespace canaryd::api {
namespace {

HttpRequest Request(const std::string& method, std::vector<HttpHeader> headers,
                    const std::string& body = "") {
  HttpRequest r;
  r.method = method;
  r.SetTarget("/apis/networking.istio.io/v1/namespaces/default/virtualservices");
  r.headers = std::move(headers);
  r.body = body;
  return r;
}

RequestGuard Guard(bool tls = false, std::vector<std::string> extra = {}) {
  Result<RequestGuard> g = RequestGuard::Make(15000, tls, extra);
  EXPECT_TRUE(g.ok()) << g.status().ToString();
  return std::move(*g);
}

TEST(ParseAuthority, Forms) {
  std::string host;
  uint16_t port = 0;
  ASSERT_TRUE(ParseAuthority("LocalHost.:15000", 80, &host, &port));
  EXPECT_EQ(host, "localhost");
  EXPECT_EQ(port, 15000);
  ASSERT_TRUE(ParseAuthority("[0:0::1]", 80, &host, &port));
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, 80);
  ASSERT_TRUE(ParseAuthority("[::ffff:127.0.0.1]:1", 80, &host, &port));
  EXPECT_EQ(host, "127.0.0.1");
  ASSERT_TRUE(ParseAuthority("example.com:", 443, &host, &port));
  EXPECT_EQ(port, 443);
  for (const char* bad : {"", ":15000", "a@b:1", "a:b:1", "[::1", "[zz]:1", "[::1]x", "h:0",
                          "h:65536", "h:123456", "h:1a", "a b", "a/b"}) {
    EXPECT_FALSE(ParseAuthority(bad, 80, &host, &port)) << bad;
  }
}

TEST(RequestGuard, HostMustNameTheListener) {
  RequestGuard g = Guard();
  for (const char* ok : {"127.0.0.1:15000", "localhost:15000", "LOCALHOST:15000", "[::1]:15000",
                         "localhost.:15000"}) {
    EXPECT_TRUE(g.HostAllowed(ok, "127.0.0.1")) << ok;
  }
  // DNS rebinding: the attacker's name, pointed at 127.0.0.1; and other ports and addresses.
  for (const char* bad :
       {"evil.example:15000", "127.0.0.1", "127.0.0.1:80", "localhost:15001", "127.0.0.2:15000",
        "10.0.0.1:15000", "127.0.0.1.evil.example:15000", "2130706433:15000", "127.1:15000", ""}) {
    EXPECT_FALSE(g.HostAllowed(bad, "127.0.0.1")) << bad;
  }
  // Off loopback only the address the connection came to (and configured names).
  EXPECT_TRUE(g.HostAllowed("10.0.0.5:15000", "10.0.0.5"));
  EXPECT_FALSE(g.HostAllowed("localhost:15000", "10.0.0.5"));
  EXPECT_FALSE(g.HostAllowed("10.0.0.6:15000", "10.0.0.5"));
}

TEST(RequestGuard, ConfiguredNames) {
  RequestGuard g = Guard(false, {"Canaryd.Internal", "proxy.example:8443"});
  EXPECT_TRUE(g.HostAllowed("canaryd.internal:15000", "10.0.0.5"));
  EXPECT_FALSE(g.HostAllowed("canaryd.internal:8443", "10.0.0.5"));
  EXPECT_TRUE(g.HostAllowed("proxy.example:8443", "10.0.0.5"));
  EXPECT_FALSE(g.HostAllowed("proxy.example:15000", "10.0.0.5"));
  EXPECT_FALSE(RequestGuard::Make(15000, false, {"bad name"}).ok());
  EXPECT_FALSE(RequestGuard::Make(15000, false, {"a:99999"}).ok());
}

TEST(RequestGuard, DefaultPortFollowsTheScheme) {
  Result<RequestGuard> on80 = RequestGuard::Make(80, false, {});
  ASSERT_TRUE(on80.ok());
  EXPECT_TRUE(on80->HostAllowed("localhost", "127.0.0.1"));
  Result<RequestGuard> on443 = RequestGuard::Make(443, true, {});
  ASSERT_TRUE(on443.ok());
  EXPECT_TRUE(on443->HostAllowed("localhost", "127.0.0.1"));
  EXPECT_TRUE(on443->OriginAllowed("https://localhost", "127.0.0.1"));
  EXPECT_FALSE(on443->OriginAllowed("http://localhost:443", "127.0.0.1"));
}

TEST(RequestGuard, CheckRefusesWrongHostWith421AndMissingHostWith400) {
  RequestGuard g = Guard();
  std::optional<Refusal> r =
      g.Check(Request("GET", {{"host", "evil.example:15000"}}), "127.0.0.1", false);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 421);
  EXPECT_NE(r->message.find("--admin-host"), std::string::npos);
  EXPECT_EQ(g.Check(Request("GET", {}), "127.0.0.1", false)->status, 400);
  EXPECT_EQ(g.Check(Request("GET", {{"host", "127.0.0.1:15000"}, {"host", "127.0.0.1:15000"}}),
                    "127.0.0.1", false)
                ->status,
            400);
  EXPECT_FALSE(g.Check(Request("GET", {{"host", "127.0.0.1:15000"}}), "127.0.0.1", false));
  // Public routes (health checks) are exempt for reads only.
  EXPECT_FALSE(g.Check(Request("GET", {{"host", "lb.example"}}), "127.0.0.1", true));
  EXPECT_FALSE(g.Check(Request("HEAD", {}), "127.0.0.1", true));
  EXPECT_EQ(g.Check(Request("POST", {{"host", "lb.example"}}), "127.0.0.1", true)->status, 421);
}

TEST(RequestGuard, PreflightsAreRefusedWithoutPermission) {
  RequestGuard g = Guard();
  std::optional<Refusal> r =
      g.Check(Request("OPTIONS", {{"host", "127.0.0.1:15000"},
                                  {"origin", "https://evil.example"},
                                  {"access-control-request-method", "POST"}}),
              "127.0.0.1", false);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  // Even from the listener's own origin: it never needs one.
  EXPECT_TRUE(g.Check(Request("OPTIONS", {{"host", "127.0.0.1:15000"},
                                          {"origin", "http://127.0.0.1:15000"},
                                          {"access-control-request-method", "PUT"}}),
                      "127.0.0.1", false));
}

TEST(RequestGuard, WritesFromAnotherOriginAreRefused) {
  RequestGuard g = Guard();
  auto write = [&](const std::string& method, const std::string& origin) {
    return g.Check(
        Request(
            method,
            {{"host", "127.0.0.1:15000"}, {"origin", origin}, {"content-type", "application/json"}},
            "{}"),
        "127.0.0.1", false);
  };
  for (const char* method : {"POST", "PUT", "PATCH", "DELETE"}) {
    for (const char* bad :
         {"https://evil.example", "null", "http://127.0.0.1:15001", "https://127.0.0.1:15000",
          "http://127.0.0.1:15000/x", "http://localhost:15000.evil.example"}) {
      std::optional<Refusal> r = write(method, bad);
      ASSERT_TRUE(r) << method << " " << bad;
      EXPECT_EQ(r->status, 403) << method << " " << bad;
    }
    // The listener's own origin, under any of its names (a dashboard it serves).
    for (const char* own : {"http://127.0.0.1:15000", "http://localhost:15000"}) {
      EXPECT_FALSE(write(method, own)) << method << " " << own;
    }
  }
  // Reads may carry any Origin: without Access-Control-Allow-Origin the page cannot read them.
  EXPECT_FALSE(g.Check(Request("GET", {{"host", "127.0.0.1:15000"}, {"origin", "null"}}),
                       "127.0.0.1", false));
  RequestGuard tls = Guard(true);
  EXPECT_FALSE(tls.Check(Request("POST",
                                 {{"host", "127.0.0.1:15000"},
                                  {"origin", "https://127.0.0.1:15000"},
                                  {"content-type", "application/json"}},
                                 "{}"),
                         "127.0.0.1", false));
}

TEST(RequestGuard, BodiesABrowserSendsUnaskedAreRefused) {
  RequestGuard g = Guard();
  auto write = [&](const std::string& method, std::vector<HttpHeader> extra, std::string body) {
    std::vector<HttpHeader> headers = {{"host", "127.0.0.1:15000"}};
    for (HttpHeader& h : extra) headers.push_back(std::move(h));
    return g.Check(Request(method, headers, body), "127.0.0.1", false);
  };
  for (const char* method : {"POST", "PUT", "PATCH", "DELETE"}) {
    for (const char* type : {"text/plain", "Text/Plain; charset=utf-8",
                             "application/x-www-form-urlencoded", "multipart/form-data; b=x"}) {
      std::optional<Refusal> r = write(method, {{"content-type", type}}, "{}");
      ASSERT_TRUE(r) << method << " " << type;
      EXPECT_EQ(r->status, 415);
      EXPECT_EQ(r->reason, "UnsupportedMediaType");
    }
    std::optional<Refusal> untyped = write(method, {}, "{}");
    ASSERT_TRUE(untyped) << method;
    EXPECT_EQ(untyped->status, 415);
    // No body, nothing to read: the handler decides.
    EXPECT_FALSE(write(method, {}, ""));
    EXPECT_FALSE(write(method, {{"content-type", "application/json"}}, "{}"));
  }
  EXPECT_FALSE(write("GET", {{"content-type", "text/plain"}}, "x"));
}

}  // namespace
}  // namespace canaryd::api

namespace canaryd::api {
namespace {

TEST(RequestGuard, ReadOnlyDashboardRefusesEveryBrowserWriteButNotKubectls) {
  RequestGuard g = Guard();
  g.RefuseBrowserWrites(true);
  auto check = [&](const std::string& method, std::vector<HttpHeader> extra) {
    std::vector<HttpHeader> h = {{"host", "127.0.0.1:15000"},
                                 {"content-type", "application/merge-patch+json"}};
    h.insert(h.end(), extra.begin(), extra.end());
    return g.Check(Request(method, h, "{}"), "127.0.0.1", false);
  };
  for (const char* method : {"POST", "PUT", "PATCH", "DELETE"}) {
    // The page's own origin: allowed when writable, refused when read-only.
    std::optional<Refusal> r = check(method, {{"origin", "http://127.0.0.1:15000"}});
    ASSERT_TRUE(r) << method;
    EXPECT_EQ(r->status, 403);
    EXPECT_NE(r->message.find("--ui-read-only"), std::string::npos) << r->message;
    EXPECT_FALSE(check(method, {})) << method << ": kubectl sends no Origin and keeps writing";
  }
  // Reads from the page still work.
  EXPECT_FALSE(
      g.Check(Request("GET", {{"host", "127.0.0.1:15000"}, {"origin", "http://127.0.0.1:15000"}}),
              "127.0.0.1", false));
  g.RefuseBrowserWrites(false);
  EXPECT_FALSE(check("PATCH", {{"origin", "http://127.0.0.1:15000"}}));
}

}  // namespace
}  // namespace canaryd::api

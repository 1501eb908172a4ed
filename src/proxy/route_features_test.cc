// The VirtualService's request and response changes, served through a real gateway to a real
// backend (the demo app's /echo shows the request head as it arrived): `headers` at the rule's
// and the destination's level in Envoy's order, and `rewrite` of the path (Istio's uri as Envoy's
// prefix_rewrite, and uriRegexRewrite) and of the Host.
#include <gtest/gtest.h>

#include "demoapp/demo_app.h"
#include "proxy/gateway_server.h"
#include "testing/gateway_test_support.h"
#include "testing/net.h"
#include "testing/one_service_yaml.h"
#include "testing/publish_yaml.h"

namespace canaryd::proxy {
namespace {

using testing::Client;
using testing::Response;

// One VirtualService per host, each with the given rules, to Service "web".
std::string VirtualServiceYaml(const std::string& name, const std::string& host,
                               const std::string& http) {
  return "---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: " + name +
         "}\nspec:\n  hosts: [" + host + "]\n  gateways: [gw]\n  http:\n" + http;
}

class RouteFeaturesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    demoapp::Options d;
    d.version = "v1";
    d.port = 0;
    backend_ = std::make_unique<demoapp::DemoApp>(d);
    ASSERT_TRUE(backend_->Start().ok());
    gateway_port_ = testing::PickFreePort();
    server_ = std::make_unique<GatewayServer>(testing::OneWorkerOptions(gateway_port_, 7), nullptr);
    ASSERT_TRUE(server_->Start().ok());
  }
  void TearDown() override {
    server_->Stop();
    backend_->Stop();
  }

  void Apply(const std::string& virtual_services) {
    ASSERT_TRUE(testing::PublishYaml(
        *server_, testing::OneServiceYaml({backend_->port()}) + virtual_services, ++generation_));
  }

  // What the backend saw of `request` (the /echo body) and the response's head.
  Response Send(const std::string& request) {
    Client c(gateway_port_);
    return c.Request(request);
  }

  std::unique_ptr<demoapp::DemoApp> backend_;
  std::unique_ptr<GatewayServer> server_;
  uint16_t gateway_port_ = 0;
  uint64_t generation_ = 0;
};

size_t Count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

TEST_F(RouteFeaturesTest, HeaderChangesApplyTheDestinationsLevelThenTheRules) {
  Apply(VirtualServiceYaml("hdr", "hdr.example", R"(  - headers:
      request:
        set: {x-rule: r, x-both: rule, x-forwarded-proto: https, Host: set.example}
        add: {x-multi: two}
        remove: [x-drop, X-Request-Id]
      response:
        set: {content-type: text/x-canary}
        add: {x-added: "yes"}
        remove: [x-version]
    route:
    - destination: {host: web}
      headers:
        request: {set: {x-both: destination, x-dest: d}, remove: [x-rule]}
        response: {add: {x-dest-resp: d}}
)"));
  Response r = Send(
      "GET /echo HTTP/1.1\r\nHost: hdr.example\r\nX-Rule: client\r\nX-Multi: one\r\n"
      "X-Drop: gone\r\nX-Kept: k\r\nX-Request-Id: id-1\r\n\r\n");
  ASSERT_TRUE(r.ok);
  ASSERT_EQ(r.status, 200) << r.head;
  const std::string& seen = r.body;
  EXPECT_NE(seen.find("X-Kept: k\n"), std::string::npos) << seen;
  EXPECT_EQ(seen.find("X-Drop"), std::string::npos) << "removed: " << seen;
  EXPECT_EQ(seen.find("client"), std::string::npos) << "set replaces the client's value";
  EXPECT_EQ(Count(seen, "x-rule: r\n"), 1u) << "the rule's set after the destination's remove";
  EXPECT_NE(seen.find("x-both: rule\n"), std::string::npos) << "the rule's level wins: " << seen;
  EXPECT_EQ(seen.find("x-both: destination"), std::string::npos) << seen;
  EXPECT_NE(seen.find("x-dest: d\n"), std::string::npos) << seen;
  EXPECT_NE(seen.find("X-Multi: one\n"), std::string::npos) << "add keeps the value: " << seen;
  EXPECT_NE(seen.find("x-multi: two\n"), std::string::npos) << seen;
  EXPECT_NE(seen.find("x-forwarded-proto: https\n"), std::string::npos) << seen;
  EXPECT_EQ(seen.find("x-forwarded-proto: http\n"), std::string::npos) << "replaced: " << seen;
  EXPECT_EQ(Count(seen, "x-request-id"), 0u) << "the gateway's own header removed: " << seen;
  EXPECT_NE(seen.find("host: set.example\n"), std::string::npos) << seen;
  EXPECT_EQ(Count(seen, "ost: "), 1u) << "one Host: " << seen;
  EXPECT_EQ(r.Header("content-type"), "text/x-canary") << r.head;
  EXPECT_EQ(r.Header("x-added"), "yes");
  EXPECT_EQ(r.Header("x-dest-resp"), "d");
  EXPECT_EQ(r.head.find("x-version"), std::string::npos) << r.head;
  EXPECT_EQ(Count(r.head, "content-type"), 1u) << r.head;

  // As in Envoy, the rule's response changes reach its direct responses (Istio's way to give one
  // a content type), but not a fault filter's abort.
  Apply(VirtualServiceYaml("hdr", "hdr.example", R"(  - match: [{uri: {prefix: /direct}}]
    directResponse: {status: 503, body: {string: "{}"}}
    headers: {response: {set: {content-type: application/json}}}
  - fault: {abort: {httpStatus: 418, percentage: {value: 100}}}
    headers: {response: {set: {x-never: "1"}}}
    route: [{destination: {host: web}}]
)"));
  Response direct = Send("GET /direct HTTP/1.1\r\nHost: hdr.example\r\n\r\n");
  EXPECT_EQ(direct.status, 503);
  EXPECT_EQ(direct.Header("content-type"), "application/json") << direct.head;
  EXPECT_EQ(Count(direct.head, "content-type"), 1u) << direct.head;
  Response aborted = Send("GET /x HTTP/1.1\r\nHost: hdr.example\r\n\r\n");
  EXPECT_EQ(aborted.status, 418);
  EXPECT_EQ(aborted.head.find("x-never"), std::string::npos) << aborted.head;
}

TEST_F(RouteFeaturesTest, RewriteReplacesWhatThePrefixMatchedOrTheWholePathAndKeepsTheQuery) {
  Apply(VirtualServiceYaml("rw", "rw.example", R"(  - match: [{uri: {prefix: /api/}}]
    rewrite: {uri: /}
    route: [{destination: {host: web}}]
  - match: [{uri: {exact: /old}}]
    rewrite: {uri: /echo, authority: backend.internal}
    route: [{destination: {host: web}}]
  - match: [{uri: {regex: "/r/[a-z]+"}}]
    rewrite: {uriRegexRewrite: {match: "^/r/([a-z]+)$", rewrite: "/\\1"}}
    route: [{destination: {host: web}}]
)") + VirtualServiceYaml("rw-all", "all.example", R"(  - rewrite: {uri: /e}
    route: [{destination: {host: web}}]
)"));
  Response p = Send("GET /api/echo?q=1&r=2 HTTP/1.1\r\nHost: rw.example\r\n\r\n");
  ASSERT_EQ(p.status, 200) << p.head << p.body;
  EXPECT_EQ(p.body.rfind("GET /echo?q=1&r=2\n", 0), 0u) << "prefix /api/ replaced: " << p.body;
  EXPECT_NE(p.body.find("x-envoy-original-path: /api/echo?q=1&r=2\n"), std::string::npos) << p.body;
  EXPECT_NE(p.body.find("Host: rw.example\n"), std::string::npos) << "kept: " << p.body;

  Response e = Send("GET /old HTTP/1.1\r\nHost: rw.example\r\nX-Envoy-Original-Path: /x\r\n\r\n");
  ASSERT_EQ(e.status, 200) << e.body;
  EXPECT_EQ(e.body.rfind("GET /echo\n", 0), 0u) << "an exact match: the whole path: " << e.body;
  EXPECT_NE(e.body.find("host: backend.internal\n"), std::string::npos) << e.body;
  EXPECT_EQ(e.body.find("rw.example"), std::string::npos) << "Host replaced: " << e.body;
  EXPECT_EQ(Count(e.body, "riginal-"), 1u) << "the client's copy dropped: " << e.body;

  Response x = Send("GET /r/echo HTTP/1.1\r\nHost: rw.example\r\n\r\n");
  ASSERT_EQ(x.status, 200) << x.body;
  EXPECT_EQ(x.body.rfind("GET /echo\n", 0), 0u) << "the regex's group: " << x.body;

  // No uri condition: Istio matches the prefix "/", so the value replaces only that.
  Response a = Send("GET /cho HTTP/1.1\r\nHost: all.example\r\n\r\n");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.body.rfind("GET /echo\n", 0), 0u) << a.body;
}

}  // namespace
}  // namespace canaryd::proxy

namespace canaryd::proxy {
namespace {

// A browser's CORS requests, as Envoy's CORS filter answers them.
TEST_F(RouteFeaturesTest, CorsPreflightsFromAllowedOriginsAreAnsweredAndResponsesCarryTheHeaders) {
  Apply(VirtualServiceYaml("cors", "cors.example", R"(  - corsPolicy:
      allowOrigins: [{exact: "https://shop.example"}, {regex: "https://.*\\.test"}]
      allowMethods: [GET, POST]
      allowHeaders: [x-user, content-type]
      exposeHeaders: [x-version]
      maxAge: 24h
      allowCredentials: true
    route: [{destination: {host: web}}]
)") + VirtualServiceYaml("cors-ignore", "ignore.example", R"(  - corsPolicy:
      allowOrigins: [{exact: "https://shop.example"}]
      unmatchedPreflights: IGNORE
    route: [{destination: {host: web}}]
)") + VirtualServiceYaml("cors-set", "set.example", R"(  - corsPolicy:
      allowOrigins: [{exact: "https://shop.example"}]
    headers: {response: {set: {access-control-allow-origin: "*", x-rule: r}}}
    route: [{destination: {host: web}}]
)"));
  const std::string preflight =
      "OPTIONS /echo HTTP/1.1\r\nHost: cors.example\r\nOrigin: https://shop.example\r\n"
      "Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: x-user\r\n\r\n";
  Response p = Send(preflight);
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(p.status, 200);
  EXPECT_EQ(p.Header("access-control-allow-origin"), "https://shop.example") << p.head;
  EXPECT_EQ(p.Header("access-control-allow-methods"), "GET,POST");
  EXPECT_EQ(p.Header("access-control-allow-headers"), "x-user,content-type");
  EXPECT_EQ(p.Header("access-control-max-age"), "86400");
  EXPECT_EQ(p.Header("access-control-allow-credentials"), "true");
  EXPECT_EQ(p.Header("x-version"), "") << "answered by the gateway: " << p.head;

  Response re = Send(
      "OPTIONS /echo HTTP/1.1\r\nHost: cors.example\r\nOrigin: https://app.test\r\n"
      "Access-Control-Request-Method: GET\r\n\r\n");
  EXPECT_EQ(re.Header("access-control-allow-origin"), "https://app.test") << "the regex origin";

  // An origin not allowed: the preflight goes on to the backend (FORWARD, the default) and
  // gets no CORS headers; with IGNORE the gateway answers it, without them.
  Response other = Send(
      "OPTIONS /echo HTTP/1.1\r\nHost: cors.example\r\nOrigin: https://evil.example\r\n"
      "Access-Control-Request-Method: POST\r\n\r\n");
  ASSERT_TRUE(other.ok);
  EXPECT_EQ(other.Header("x-version"), "v1") << "forwarded: " << other.head;
  EXPECT_EQ(other.head.find("access-control"), std::string::npos) << other.head;
  Response ignored = Send(
      "OPTIONS /echo HTTP/1.1\r\nHost: ignore.example\r\nOrigin: https://evil.example\r\n"
      "Access-Control-Request-Method: POST\r\n\r\n");
  EXPECT_EQ(ignored.status, 200);
  EXPECT_EQ(ignored.Header("x-version"), "") << ignored.head;
  EXPECT_EQ(ignored.head.find("access-control"), std::string::npos) << ignored.head;

  // The request itself: the allowed origin gets the origin back, credentials and the exposed
  // headers; another origin gets none of it.
  Response get =
      Send("GET /echo HTTP/1.1\r\nHost: cors.example\r\nOrigin: https://shop.example\r\n\r\n");
  ASSERT_EQ(get.status, 200);
  EXPECT_EQ(get.Header("access-control-allow-origin"), "https://shop.example") << get.head;
  EXPECT_EQ(get.Header("access-control-expose-headers"), "x-version");
  EXPECT_EQ(get.Header("access-control-allow-credentials"), "true");
  EXPECT_EQ(get.Header("access-control-allow-methods"), "") << "only on preflights";

  Response evil =
      Send("GET /echo HTTP/1.1\r\nHost: cors.example\r\nOrigin: https://evil.example\r\n\r\n");
  EXPECT_EQ(evil.status, 200);
  EXPECT_EQ(evil.head.find("access-control"), std::string::npos) << evil.head;
  // The CORS policy's value replaces a rule's own Access-Control-Allow-Origin, as Envoy's CORS
  // filter runs after the router's header changes.
  Response set =
      Send("GET /echo HTTP/1.1\r\nHost: set.example\r\nOrigin: https://shop.example\r\n\r\n");
  EXPECT_EQ(Count(set.head, "access-control-allow-origin"), 1u) << set.head;
  EXPECT_EQ(set.Header("access-control-allow-origin"), "https://shop.example") << set.head;
  EXPECT_EQ(set.Header("x-rule"), "r");
  Response none = Send("OPTIONS /echo HTTP/1.1\r\nHost: cors.example\r\n\r\n");
  EXPECT_EQ(none.Header("x-version"), "v1") << "no Origin: not CORS, forwarded";
}

}  // namespace
}  // namespace canaryd::proxy

#include "ui/dashboard.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ui/assets.h"

namespace canaryd::ui {
namespace {

api::HttpResponse Serve(const api::Router& router, const std::string& method,
                        const std::string& target, bool* public_route = nullptr) {
  api::HttpRequest req;
  req.method = method;
  req.SetTarget(target);
  api::Router::Match m;
  EXPECT_TRUE(router.Find(req.path, &m)) << target;
  if (public_route) *public_route = m.options.public_access;
  return m.handler(req);
}

TEST(Dashboard, ServesItsEmbeddedFilesWithTheirTypesAndAStrictPolicy) {
  api::Router router;
  RegisterDashboard(router, {});
  bool is_public = false;
  api::HttpResponse index = Serve(router, "GET", "/ui/", &is_public);
  EXPECT_TRUE(is_public) << "a browser cannot send the token when it opens the page";
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(*index.Header("content-type"), "text/html; charset=utf-8");
  EXPECT_NE(index.body.find("<script src=\"app.js\">"), std::string::npos);
  ASSERT_NE(index.Header("content-security-policy"), nullptr);
  EXPECT_NE(index.Header("content-security-policy")->find("frame-ancestors 'none'"),
            std::string::npos);
  EXPECT_EQ(*index.Header("x-frame-options"), "DENY");
  for (const char* name : {"app.js", "style.css", "uPlot.iife.min.js", "uPlot.min.css"}) {
    const Asset* a = FindAsset(name);
    ASSERT_NE(a, nullptr) << name;
    api::HttpResponse r = Serve(router, "GET", std::string("/ui/") + name);
    EXPECT_EQ(r.status, 200) << name;
    EXPECT_EQ(r.body.size(), a->size) << name;
    EXPECT_GT(a->size, 100u) << name;
  }
  EXPECT_EQ(*Serve(router, "GET", "/ui/app.js").Header("content-type"),
            "text/javascript; charset=utf-8");
  // uPlot is the npm package's build, not a stub.
  EXPECT_NE(Serve(router, "GET", "/ui/uPlot.iife.min.js").body.find("uPlot"), std::string::npos);
}

TEST(Dashboard, RedirectsRefusesWritesAndUnknownFiles) {
  api::Router router;
  RegisterDashboard(router, {});
  api::HttpResponse bare = Serve(router, "GET", "/ui");
  EXPECT_EQ(bare.status, 308);
  EXPECT_EQ(*bare.Header("location"), "/ui/");
  EXPECT_EQ(Serve(router, "POST", "/ui/").status, 405);
  EXPECT_EQ(Serve(router, "GET", "/ui/../../etc/passwd").status, 404);
  EXPECT_EQ(Serve(router, "GET", "/ui/nothing.js").status, 404);
}

TEST(Dashboard, ConfigSaysReadOnlyAndToken) {
  api::Router router;
  RegisterDashboard(router, {.read_only = true, .token_required = true});
  nlohmann::json c = nlohmann::json::parse(Serve(router, "GET", "/ui/config.json").body);
  EXPECT_EQ(c, nlohmann::json({{"readOnly", true}, {"tokenRequired", true}}));
}

}  // namespace
}  // namespace canaryd::ui

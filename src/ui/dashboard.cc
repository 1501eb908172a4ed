#include "ui/dashboard.h"

#include <nlohmann/json.hpp>
#include <string>

#include "ui/assets.h"

namespace canaryd::ui {

const Asset* FindAsset(std::string_view name) {
  for (size_t i = 0; i < kAssetCount; ++i) {
    if (name == kAssets[i].name) return &kAssets[i];
  }
  return nullptr;
}

const char* ContentTypeOf(std::string_view name) {
  auto ends = [&](std::string_view ext) {
    return name.size() >= ext.size() && name.substr(name.size() - ext.size()) == ext;
  };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".json")) return "application/json";
  return "application/octet-stream";
}

void RegisterDashboard(api::Router& router, const DashboardOptions& options) {
  const std::string config = nlohmann::json{
      {"readOnly", options.read_only},
      {"tokenRequired",
       options.token_required}}.dump();
  router.Handle("/ui",
                [config](const api::HttpRequest& req) {
                  if (req.method != "GET" && req.method != "HEAD") {
                    return api::HttpResponse::Text(405, "the dashboard's files are read with GET\n")
                        .SetHeader("allow", "GET, HEAD");
                  }
                  // /ui -> /ui/, so that the page's relative URLs resolve under /ui/.
                  if (req.path == "/ui") {
                    api::HttpResponse r = api::HttpResponse::Text(308, "");
                    r.SetHeader("location", "/ui/");
                    return r;
                  }
                  std::string name = req.path.substr(4);  // after "/ui/"
                  if (name.empty()) name = "index.html";
                  api::HttpResponse r;
                  if (name == "config.json") {
                    r = api::HttpResponse::Json(200, config);
                  } else if (const Asset* a = FindAsset(name)) {
                    r.status = 200;
                    r.body.assign(reinterpret_cast<const char*>(a->data), a->size);
                    r.SetHeader("content-type", ContentTypeOf(a->name));
                  } else {
                    return api::HttpResponse::Text(404, "no such file in the dashboard\n");
                  }
                  // The page runs only its own scripts and talks only to this listener, and no
                  // other site may frame it (clickjacking the buttons).
                  r.SetHeader(
                      "content-security-policy",
                      "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                      "frame-ancestors 'none'");
                  r.SetHeader("x-frame-options", "DENY");
                  r.SetHeader("x-content-type-options", "nosniff");
                  r.SetHeader("referrer-policy", "no-referrer");
                  return r;
                },
                {.public_access = true});
}

}  // namespace canaryd::ui

// Router: maps request paths to handlers, so that each part of canaryd (the resource API, and
// later metrics, the dashboard, JSON stats) registers its own routes on the admin listener
// without the server knowing about them. A route is a path prefix matched on whole segments
// ("/api" matches "/api" and "/api/v1", not "/apis"); the longest matching prefix wins.
//
// Thread-safe: routes may be added at any time, also while the server serves; handlers run on
// the server's connection threads, several at once, so they must be thread-safe themselves.
#pragma once

#include <functional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "api/http_message.h"

namespace canaryd::api {

using Handler = std::function<HttpResponse(const HttpRequest&)>;

struct RouteOptions {
  // Served without the bearer token even when the listener requires one (health checks).
  bool public_access = false;
  // Only this exact path, not the paths below it.
  bool exact = false;
};

class Router {
 public:
  struct Match {
    Handler handler;
    RouteOptions options;
  };

  // Registers `prefix` (which starts with '/'; "/" matches everything). A second registration of
  // the same prefix replaces the first.
  void Handle(std::string prefix, Handler handler, RouteOptions options = {});

  // The handler for `path`; false when no route matches.
  bool Find(const std::string& path, Match* out) const;

 private:
  struct Route {
    std::string prefix;
    Handler handler;
    RouteOptions options;
  };
  mutable std::shared_mutex mu_;
  std::vector<Route> routes_;  // guarded by mu_
};

}  // namespace canaryd::api

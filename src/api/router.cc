#include "api/router.h"

#include <mutex>

namespace canaryd::api {
namespace {

bool PrefixMatches(const std::string& prefix, const std::string& path, bool exact) {
  if (path == prefix) return true;
  if (exact) return false;
  if (prefix == "/") return true;
  return path.size() > prefix.size() && path.compare(0, prefix.size(), prefix) == 0 &&
         (prefix.back() == '/' || path[prefix.size()] == '/');
}

}  // namespace

void Router::Handle(std::string prefix, Handler handler, RouteOptions options) {
  std::unique_lock lock(mu_);
  for (Route& r : routes_) {
    if (r.prefix == prefix) {
      r.handler = std::move(handler);
      r.options = options;
      return;
    }
  }
  routes_.push_back(Route{std::move(prefix), std::move(handler), options});
}

bool Router::Find(const std::string& path, Match* out) const {
  std::shared_lock lock(mu_);
  const Route* best = nullptr;
  for (const Route& r : routes_) {
    if (!PrefixMatches(r.prefix, path, r.options.exact)) continue;
    if (best == nullptr || r.prefix.size() > best->prefix.size()) best = &r;
  }
  if (best == nullptr) return false;
  out->handler = best->handler;
  out->options = best->options;
  return true;
}

}  // namespace canaryd::api

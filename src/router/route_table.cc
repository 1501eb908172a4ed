#include "router/route_table.h"

namespace canaryd::router {
namespace {

std::string_view HostWithoutPort(std::string_view host) {
  if (!host.empty() && host.front() == '[') {  // [v6]:port
    size_t close = host.find(']');
    return close == std::string_view::npos ? host : host.substr(0, close + 1);
  }
  size_t colon = host.rfind(':');
  if (colon != std::string_view::npos && host.find(':') == colon) return host.substr(0, colon);
  return host;
}

}  // namespace

bool MatchBlock::Matches(const RequestView& r, std::string_view gateway) const {
  if (port != 0 && port != r.port) return false;
  if (has_uri && !uri.Matches(r.path)) return false;
  if (has_method && !method.Matches(r.method)) return false;
  if (has_scheme && !scheme.Matches(r.scheme)) return false;
  if (has_authority && !authority.Matches(r.authority)) return false;
  for (const HeaderMatcher& h : headers) {
    std::string_view v;
    if (!r.FindHeader(h.name, &v) || !h.matcher.Matches(v)) return false;
  }
  for (const HeaderMatcher& h : without_headers) {
    std::string_view v;
    if (r.FindHeader(h.name, &v) && h.matcher.Matches(v)) return false;
  }
  for (const HeaderMatcher& q : query_params) {
    std::string_view v;
    if (!FindQueryParameter(r.query, q.name, &v) || !q.matcher.Matches(v)) return false;
  }
  if (!gateways.empty()) {
    bool found = false;
    for (const std::string& g : gateways) found |= g == gateway;
    if (!found) return false;
  }
  return true;
}

bool Route::Matches(const RequestView& r, std::string_view gateway) const {
  if (matches.empty()) return true;
  for (const MatchBlock& m : matches) {
    if (m.Matches(r, gateway)) return true;
  }
  return false;
}

size_t Route::StickyPick(uint32_t bucket) const {
  // The buckets are shared out from the last destination backwards: destination j takes those
  // below (its weight + the weights after it) / total, scaled to kStickyBuckets.
  uint64_t after = 0;
  for (size_t j = clusters.size(); j-- > 0;) {
    after += clusters[j].weight;
    if (static_cast<uint64_t>(bucket) * total_weight < after * kStickyBuckets) return j;
  }
  return 0;
}

const MatchBlock* Route::MatchingBlock(const RequestView& r, std::string_view gateway) const {
  for (const MatchBlock& m : matches) {
    if (m.Matches(r, gateway)) return &m;
  }
  return nullptr;
}

const VirtualHost* RouteTable::FindVirtualHost(uint32_t port, std::string_view host) const {
  const PortRoutes* pr = nullptr;
  for (const PortRoutes& p : *ports_) {
    if (p.port == port) {
      pr = &p;
      break;
    }
  }
  if (pr == nullptr) return nullptr;
  host = HostWithoutPort(host);
  // Host names compare case-insensitively: lower-case into a small stack buffer.
  char buf[256];
  if (host.size() <= sizeof buf) {
    for (size_t i = 0; i < host.size(); ++i) {
      char c = host[i];
      buf[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    }
    std::string_view lower(buf, host.size());
    if (!pr->exact.empty()) {
      auto it = pr->exact.find(lower);
      if (it != pr->exact.end()) return &(*vhosts_)[it->second];
    }
    for (const auto& [suffix, index] : pr->wildcards) {
      if (lower.size() > suffix.size() &&
          lower.compare(lower.size() - suffix.size(), suffix.size(), suffix) == 0) {
        return &(*vhosts_)[index];
      }
    }
  }
  return pr->catch_all >= 0 ? &(*vhosts_)[pr->catch_all] : nullptr;
}

const Route* RouteTable::Match(const VirtualHost& vhost, const RequestView& request) const {
  for (uint32_t id : vhost.routes) {
    const Route& r = *routes_[id];
    if (r.Matches(request, vhost.gateway)) return &r;
  }
  return nullptr;
}

}  // namespace canaryd::router

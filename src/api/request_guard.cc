#include "api/request_guard.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cctype>

#include "api/admin_server.h"

namespace canaryd::api {
namespace {

bool IsWrite(const std::string& method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

// The Content-Types a browser sends to any site without a CORS preflight (Fetch standard,
// "CORS-safelisted request-header").
bool CorsSafelisted(const std::string& media_type) {
  return media_type == "text/plain" || media_type == "application/x-www-form-urlencoded" ||
         media_type == "multipart/form-data";
}

bool NameCharacter(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}

}  // namespace

std::string CanonicalHost(std::string_view text) {
  std::string s(text);
  in_addr v4;
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
    char out[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &v4, out, sizeof out);
    return out;
  }
  in6_addr v6;
  if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
    char out[INET6_ADDRSTRLEN] = {};
    if (IN6_IS_ADDR_V4MAPPED(&v6)) {
      inet_ntop(AF_INET, &v6.s6_addr[12], out, sizeof out);
    } else {
      inet_ntop(AF_INET6, &v6, out, sizeof out);
    }
    return out;
  }
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (s.size() > 1 && s.back() == '.') s.pop_back();  // "localhost." is "localhost"
  return s;
}

bool ParseAuthority(std::string_view a, uint16_t default_port, std::string* host, uint16_t* port) {
  std::string_view h, p;
  bool has_port = false;
  if (!a.empty() && a.front() == '[') {
    size_t close = a.find(']');
    if (close == std::string_view::npos) return false;
    h = a.substr(1, close - 1);
    std::string_view rest = a.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return false;
      p = rest.substr(1);
      has_port = true;
    }
    in6_addr v6;
    if (inet_pton(AF_INET6, std::string(h).c_str(), &v6) != 1) return false;
  } else {
    size_t colon = a.find(':');
    h = a.substr(0, colon);
    if (colon != std::string_view::npos) {
      p = a.substr(colon + 1);
      has_port = true;
    }
    if (h.empty()) return false;
    for (char c : h) {
      if (!NameCharacter(c)) return false;  // user info, a second colon, spaces, ...
    }
  }
  uint32_t value = default_port;
  if (has_port && !p.empty()) {  // "host:" has the default port (RFC 3986 3.2.3)
    if (p.size() > 5) return false;
    value = 0;
    for (char c : p) {
      if (c < '0' || c > '9') return false;
      value = value * 10 + static_cast<uint32_t>(c - '0');
    }
    if (value == 0 || value > 65535) return false;
  }
  *host = CanonicalHost(h);
  *port = static_cast<uint16_t>(value);
  return true;
}

Result<RequestGuard> RequestGuard::Make(uint16_t port, bool tls,
                                        const std::vector<std::string>& extra_hosts) {
  RequestGuard g(port, tls);
  for (const std::string& e : extra_hosts) {
    Name n;
    if (!ParseAuthority(e, 0, &n.host, &n.port)) {
      return InvalidArgument("admin host \"" + e + "\" is not NAME or NAME:PORT");
    }
    g.extra_.push_back(std::move(n));
  }
  return g;
}

bool RequestGuard::Allowed(const Name& n, const std::string& local_ip) const {
  if (n.port == port_) {
    if (n.host == local_ip) return true;
    if (IsLoopbackHost(local_ip) &&
        (n.host == "localhost" || n.host == "127.0.0.1" || n.host == "::1")) {
      return true;
    }
  }
  for (const Name& e : extra_) {
    if (e.host == n.host && (e.port == 0 ? port_ : e.port) == n.port) return true;
  }
  return false;
}

bool RequestGuard::HostAllowed(std::string_view authority, const std::string& local_ip) const {
  Name n;
  if (!ParseAuthority(authority, tls_ ? 443 : 80, &n.host, &n.port)) return false;
  return Allowed(n, local_ip);
}

bool RequestGuard::OriginAllowed(std::string_view origin, const std::string& local_ip) const {
  // An origin is scheme "://" authority, nothing more ("null" for opaque origins).
  std::string_view scheme = tls_ ? "https://" : "http://";
  if (origin.substr(0, scheme.size()) != scheme) return false;
  return HostAllowed(origin.substr(scheme.size()), local_ip);
}

std::optional<Refusal> RequestGuard::Check(const HttpRequest& req, const std::string& local_ip,
                                           bool public_route) const {
  const bool exempt = public_route && (req.method == "GET" || req.method == "HEAD");
  if (!exempt) {
    const std::string* host = nullptr;
    for (const HttpHeader& h : req.headers) {
      if (h.name != "host") continue;
      if (host != nullptr) return Refusal{400, "BadRequest", "more than one Host header"};
      host = &h.value;
    }
    if (host == nullptr) return Refusal{400, "BadRequest", "the request has no Host header"};
    std::string_view value = *host;
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    if (!HostAllowed(value, local_ip)) {
      return Refusal{421, "MisdirectedRequest",
                     "this server does not answer for host \"" + *host +
                         "\": use its address, or add the name with --admin-host"};
    }
  }
  const std::string* origin = req.Header("origin");
  if (req.method == "OPTIONS" && origin != nullptr &&
      req.Header("access-control-request-method") != nullptr) {
    return Refusal{403, "Forbidden", "cross-origin requests are not allowed"};
  }
  if (!IsWrite(req.method)) return std::nullopt;
  if (origin != nullptr && !OriginAllowed(*origin, local_ip)) {
    return Refusal{403, "Forbidden",
                   "cross-origin writes are not allowed (Origin " + *origin + ")"};
  }
  if (origin != nullptr && refuse_browser_writes_) {
    return Refusal{403, "Forbidden",
                   "the dashboard is read-only (--ui-read-only): writes from a browser are "
                   "refused; use kubectl"};
  }
  const std::string* ct = req.Header("content-type");
  if (!req.body.empty() && (ct == nullptr || CorsSafelisted(MediaType(*ct)))) {
    return Refusal{415, "UnsupportedMediaType",
                   ct == nullptr ? "a request body needs a Content-Type"
                                 : "the body of the request was in an unknown format: " +
                                       MediaType(*ct) + " is not served"};
  }
  return std::nullopt;
}

}  // namespace canaryd::api

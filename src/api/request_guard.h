// RequestGuard: the admin listener's defences against web pages. A page open in a browser on the
// same machine can reach a loopback listener: directly (a cross-site request, which a browser
// sends without asking when it is "simple": GET, HEAD, or a POST of text/plain, a form or
// multipart), or through DNS rebinding (its own name, re-pointed at 127.0.0.1, so that the page
// is same-origin with the listener and may read the answers). The guard checks every request
// before it is routed:
//
// - Host must name the listener: the address the connection arrived on with the listener's port,
//   localhost / 127.0.0.1 / [::1] with that port when it arrived on loopback, or a name given
//   with --admin-host. Anything else is 421 Misdirected Request (RFC 9110 15.5.20: the server is
//   not authoritative for that origin), which is what DNS rebinding gets: the browser sends the
//   attacker's name. 421, not 403, because nothing is wrong with the client's credentials: it
//   addressed a name this server does not answer for, and the message says which flag adds it.
//   A missing or repeated Host is 400. GET and HEAD of public routes (health checks) are exempt:
//   their answer is a fixed "ok", and load balancers and probes address a listener by names and
//   addresses of their own.
// - CORS preflights (OPTIONS with Origin and Access-Control-Request-Method) are refused with 403
//   and no Access-Control-Allow-* header (the server also strips such headers from every
//   response), so a browser never sends a non-simple cross-origin request.
// - A write (POST, PUT, PATCH, DELETE) whose Origin is not the listener's own origin (its scheme
//   and an authority the Host check accepts) is 403. Browsers send Origin with every such
//   request, same-origin ones included, so a page served by this listener passes.
// - A write with a body that has no Content-Type, or one a browser sends cross-site without a
//   preflight (text/plain, application/x-www-form-urlencoded, multipart/form-data), is 415 on
//   every route, whatever its handler accepts.
// - With browser writes refused (--ui-read-only), a write that carries Origin (every write a
//   browser sends, the dashboard's included) is 403; clients that are not browsers (kubectl,
//   canaryctl) send no Origin and keep writing.
//
// Thread-safe: immutable after construction; Check may run on any number of threads at once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/http_message.h"
#include "common/status.h"

namespace canaryd::api {

struct Refusal {
  int status = 0;
  std::string reason;  // a Kubernetes Status reason
  std::string message;
};

class RequestGuard {
 public:
  // `port`: the listener's bound port; `tls`: whether it speaks HTTPS; `extra_hosts`: names
  // clients may use, "NAME" (with the listener's port) or "NAME:PORT". kInvalidArgument for a
  // malformed name.
  static Result<RequestGuard> Make(uint16_t port, bool tls,
                                   const std::vector<std::string>& extra_hosts);

  // Why `req`, received on a connection whose local address is `local_ip` (canonical text, as
  // CanonicalIp gives), must not be served; nullopt when it may be. `public_route`: the path is a
  // public route (health checks).
  std::optional<Refusal> Check(const HttpRequest& req, const std::string& local_ip,
                               bool public_route) const;

  // --ui-read-only: refuse every write that comes from a browser.
  void RefuseBrowserWrites(bool refuse) { refuse_browser_writes_ = refuse; }

  // Whether a Host header value (or an Origin's authority) names this listener.
  bool HostAllowed(std::string_view authority, const std::string& local_ip) const;
  // Whether an Origin header value is this listener's own origin.
  bool OriginAllowed(std::string_view origin, const std::string& local_ip) const;

 private:
  struct Name {
    std::string host;  // lower-case; IP literals canonical
    uint16_t port = 0;
  };
  RequestGuard(uint16_t port, bool tls) : port_(port), tls_(tls) {}
  bool Allowed(const Name& n, const std::string& local_ip) const;

  uint16_t port_;
  bool tls_;
  bool refuse_browser_writes_ = false;
  std::vector<Name> extra_;
};

// An IP address in canonical text ("::ffff:127.0.0.1" -> "127.0.0.1", "0:0::1" -> "::1"), or
// `text` lower-cased without a trailing dot when it is not an IP address.
std::string CanonicalHost(std::string_view text);

// Splits an authority ("host", "host:port", "[v6]", "[v6]:port") into a canonical host and a port
// (`default_port` when none is given). False when malformed: empty host, user info, a bad port.
bool ParseAuthority(std::string_view authority, uint16_t default_port, std::string* host,
                    uint16_t* port);

}  // namespace canaryd::api

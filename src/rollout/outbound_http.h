// One bounded HTTP exchange with an untrusted remote, over libcurl: the transport that
// webhook_client and prometheus_client share, so that both refuse the same things (schemes other
// than http/https, redirects, proxies from the environment, oversized bodies, compressed
// bodies) and describe transport failures the same way. Internal to canaryd_rollout_providers.
// Blocking; any thread (each call has its own curl handle, nothing is shared between calls).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace canaryd::rollout::internal {

struct OutboundRequest {
  std::string method = "GET";                // GET or POST
  std::string url;                           // http:// or https:// only
  std::string body;                          // sent for POST
  std::vector<std::string> headers;          // "Name: value" lines, already validated
  std::chrono::milliseconds timeout{10000};  // the whole exchange, name resolution included
  std::chrono::milliseconds connect_timeout{5000};
  size_t max_body_bytes = 64 * 1024;
};

enum class TransportFailure {
  kNone,        // a complete response (possibly cut at max_body_bytes by us) arrived
  kTimeout,     // the timeout or the connect timeout passed
  kConnect,     // refused, unreachable, name not resolved
  kTls,         // handshake or certificate failure
  kBroken,      // the peer closed or sent something that is not HTTP
  kBadRequest,  // the URL or request was refused before anything was sent
};

struct OutboundResponse {
  TransportFailure failure = TransportFailure::kNone;
  std::string error;         // short, printable; empty when failure == kNone
  long status = 0;           // 0 when no status line arrived
  std::string body;          // at most max_body_bytes
  bool truncated = false;    // the body was longer; the rest was not read
  std::string redirect_url;  // for 3xx: where the server pointed (not followed), sanitized
  std::chrono::milliseconds duration{0};
};

OutboundResponse Perform(const OutboundRequest& request);

// "10s" for whole seconds, "1500ms" otherwise: how errors quote a timeout.
std::string FormatDuration(std::chrono::milliseconds d);

// At most `max_bytes` of `text` with every byte outside printable ASCII replaced by '?' (and
// CR/LF/TAB by a space), "..." appended when cut: remote text may then go into logs, events and
// status fields without forging lines or terminal escapes.
std::string Printable(std::string_view text, size_t max_bytes);

// The line libcurl needs for one header ("Name;" for an empty value: "Name:" would remove it).
std::string HeaderLine(std::string_view name, std::string_view value);

// An empty string, or why the header cannot be sent: a name that is not an HTTP token, a value
// with CR, LF or NUL (header injection), or a header the client sets itself.
std::string CheckHeader(std::string_view name, std::string_view value);

}  // namespace canaryd::rollout::internal

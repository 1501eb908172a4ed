// Writing message heads on the way through the proxy: the request to the upstream and the
// response to the client, without the hop-by-hop headers of RFC 9110 7.6.1 (Connection and the
// headers every Connection header names, Keep-Alive, Proxy-Connection, TE, Trailer,
// Transfer-Encoding, Upgrade), and with the proxy's own framing and forwarding headers. A body
// re-framed as chunked keeps the message's other transfer codings ("gzip, chunked"). Pure
// functions; loop thread.
#pragma once

#include <string_view>

#include "http/buffer.h"
#include "http/message.h"
#include "router/header_ops.h"

namespace canaryd::proxy {

struct UpstreamRequestSpec {
  std::string_view target;          // the request target to send, in origin form
  std::string_view host_override;   // replaces every Host header ("" keeps them)
  std::string_view forwarded_for;   // x-forwarded-for as received ("" for none)
  std::string_view client_address;  // appended to x-forwarded-for
  std::string_view request_id;      // x-request-id to send (kept or generated)
  bool chunked_body = false;        // re-frame the body as chunked
  bool upgrade = false;             // keep Upgrade / Connection: upgrade (WebSocket)
  std::string_view host_fallback;   // Host for HTTP/1.0 requests that have none
  std::string_view original_path;   // x-envoy-original-path, when the path was rewritten
  uint32_t attempt_count = 0;       // x-envoy-attempt-count (0: none)
  // The route's request header changes. A `host` they set must come as host_override.
  router::HeaderLevels headers;
};

// Appends the upstream request head for `head` (parsed from `base`).
void WriteUpstreamRequest(const http::MessageHead& head, const char* base,
                          const UpstreamRequestSpec& spec, http::Buffer& out);

enum class ResponseFraming { kContentLength, kChunked, kUntilClose, kNone };

struct ResponseSpec {
  bool http10_client = false;
  ResponseFraming framing = ResponseFraming::kContentLength;
  bool close = false;            // add connection: close
  bool keep_alive_10 = false;    // HTTP/1.0 client that asked for keep-alive
  bool upgrade = false;          // 101: keep Upgrade and Connection
  router::HeaderLevels headers;  // the route's response header changes
  // The route's CORS headers (each ending in CRLF); when set, the upstream's own
  // Access-Control-Allow-Origin, -Allow-Credentials and -Expose-Headers are replaced.
  std::string_view cors_headers;
  std::string_view set_cookie;  // Set-Cookie lines of cookies the gateway made
};

// The values the levels set and add, in Envoy's order; what a later level removes or replaces is
// left out. `host` is not written (the request writer takes it as host_override).
// With `skip_cors`, Access-Control-* changes are left out: the CORS policy's own values replace
// them, as Envoy's CORS filter runs after the router's header changes.
void AppendHeaderChanges(const router::HeaderLevels& levels, http::Buffer& out,
                         bool skip_cors = false);

void WriteResponseHead(const http::MessageHead& head, const char* base, const ResponseSpec& spec,
                       http::Buffer& out);

}  // namespace canaryd::proxy

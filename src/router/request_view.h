// RequestView: what the router needs to know of a request, over the proxy's own head
// representation (no copy). Built per request on the loop thread; read by the route match and
// the hash keys.
#pragma once

#include <cstdint>
#include <string_view>

namespace canaryd::router {

// What the router needs to know of a request. Header lookup goes through a callback so the
// proxy's zero-copy head representation is used as is.
struct RequestView {
  std::string_view method;
  std::string_view path;       // without the query string
  std::string_view query;      // without the '?'
  std::string_view authority;  // the Host header as sent (may carry a port)
  std::string_view scheme;     // "http" or "https"
  uint32_t port = 0;           // the Gateway port the request arrived on
  // Returns true and sets *value for the first header named `lower_name` (lower case).
  bool (*find_header)(const void* ctx, std::string_view lower_name,
                      std::string_view* value) = nullptr;
  const void* header_ctx = nullptr;

  bool FindHeader(std::string_view lower_name, std::string_view* value) const {
    return find_header != nullptr && find_header(header_ctx, lower_name, value);
  }
};

}  // namespace canaryd::router

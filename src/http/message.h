// The parsed head of an HTTP/1.x request or response, as offsets into the bytes it was parsed
// from (no copies on the request path), and the helpers that read it. One per connection,
// reused for each message; loop thread only.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace canaryd::http {

// A range [offset, offset + length) of the bytes the message head was parsed from.
struct Slice {
  uint32_t offset = 0;
  uint32_t length = 0;
  std::string_view in(const char* base) const { return {base + offset, length}; }
  bool empty() const { return length == 0; }
};

struct HeaderSlice {
  Slice name;
  Slice value;
};

// Case-insensitive ASCII comparison; `lower` must already be lower case.
inline bool EqualsLower(std::string_view s, std::string_view lower) {
  if (s.size() != lower.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    if (c != lower[i]) return false;
  }
  return true;
}

struct MessageHead {
  // Request: method (llhttp_method_t value), url. Response: status.
  int method = 0;
  Slice method_name;
  Slice url;
  Slice reason;  // response reason phrase
  int status = 0;
  uint8_t http_major = 1;
  uint8_t http_minor = 1;
  std::vector<HeaderSlice> headers;
  // Framing, as the parser understood it.
  bool keep_alive = true;
  bool chunked = false;
  bool upgrade = false;         // Upgrade + Connection: upgrade (or CONNECT)
  int64_t content_length = -1;  // -1 when absent
  bool has_body = false;        // content_length > 0 or chunked

  void Clear() {
    method = 0;
    method_name = url = reason = {};
    status = 0;
    http_major = http_minor = 1;
    headers.clear();
    keep_alive = true;
    chunked = upgrade = has_body = false;
    content_length = -1;
  }

  // The first value of a header (name in lower case), or empty.
  std::string_view Find(const char* base, std::string_view lower_name) const {
    for (const HeaderSlice& h : headers) {
      if (EqualsLower(h.name.in(base), lower_name)) return h.value.in(base);
    }
    return {};
  }
  bool Has(const char* base, std::string_view lower_name) const {
    for (const HeaderSlice& h : headers) {
      if (EqualsLower(h.name.in(base), lower_name)) return true;
    }
    return false;
  }
};

// Splits a request target into path and query (the part after '?', without it).
inline void SplitTarget(std::string_view target, std::string_view* path, std::string_view* query) {
  size_t q = target.find('?');
  if (q == std::string_view::npos) {
    *path = target;
    *query = {};
  } else {
    *path = target.substr(0, q);
    *query = target.substr(q + 1);
  }
}

}  // namespace canaryd::http

namespace canaryd::http {

// The standard reason phrase of a status code ("OK", "Not Found", ...), or "Unknown".
const char* ReasonPhrase(int status);

}  // namespace canaryd::http

// HashKey: what a request is hashed on, for a DestinationRule's `consistentHash` (which endpoint)
// and a VirtualService's sticky canary (which destination): a header, a cookie, the client's IP
// address or a query parameter. A cookie the request lacks can be made by the gateway (a value
// drawn from the worker's random source) and set on the response, so that the client's next
// requests hash the same. Compiled into the table, then immutable; the functions are pure and
// allocation-free except for a made cookie. Any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "router/request_view.h"

namespace canaryd::router {

struct HashKey {
  enum class Source : uint8_t { kNone, kHeader, kCookie, kSourceIp, kQueryParameter };
  Source source = Source::kNone;
  std::string name;  // header (lower case), cookie or query parameter name
  // kCookie: when the request has none, one is made and set on the response.
  bool make_cookie = false;
  // The Set-Cookie attributes after the value, such as "; Max-Age=86400; Path=/; HttpOnly".
  std::string cookie_attributes;

  bool enabled() const { return source != Source::kNone; }
};

// A stable 64-bit hash (xxHash64, seed 0 unless told, as Envoy's ring hash uses).
uint64_t HashBytes(std::string_view bytes, uint64_t seed = 0);

// The value of cookie `name` in one Cookie header ("a=1; b=2"), without surrounding quotes.
bool FindCookie(std::string_view cookie_header, std::string_view name, std::string_view* value);

// The value of query parameter `name` in a raw query string (no percent-decoding, as Envoy).
bool FindQueryParameter(std::string_view query, std::string_view name, std::string_view* value);

// What the key reads from one request. `client_ip` is the peer's address without the port.
// Returns false when the request has nothing to hash on (then the pick is not by hash).
bool ComputeHash(const HashKey& key, const RequestView& request, std::string_view client_ip,
                 uint64_t* hash);

// A cookie value for a client that has none: 32 hex digits of the two random words.
std::string MakeCookieValue(uint64_t random_a, uint64_t random_b);

// The Set-Cookie header line (ending in CRLF) that gives the client `value`.
std::string SetCookieLine(const HashKey& key, std::string_view value);

// The sticky canary's bucket of a user: in [0, 10000), one per hundredth of a percent.
inline constexpr uint32_t kStickyBuckets = 10000;
inline uint32_t StickyBucket(uint64_t hash) {
  return static_cast<uint32_t>(hash % kStickyBuckets);
}

}  // namespace canaryd::router

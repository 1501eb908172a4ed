// The sticky canary's setting, a VirtualService annotation of canaryd's own (Istio has no field
// for it): `canaryd.io/sticky-canary: "cookie=NAME"` (canaryd sets the cookie on a user's first
// response; `; max-age=SECONDS` for its lifetime, a day by default) or `"header=NAME"` (a user
// id the client sends). Parsed by the validator (errors at apply) and by the route compiler.
// Pure; any thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "config/canary_types.h"

namespace canaryd::config {

inline constexpr const char* kStickyCanaryAnnotation = "canaryd.io/sticky-canary";
inline constexpr int64_t kDefaultStickyCookieMaxAge = 86400;

struct StickyCanary {
  bool cookie = true;  // else a header
  std::string name;    // the cookie's name, or the header's in lower case
  int64_t max_age_seconds = kDefaultStickyCookieMaxAge;
};

Result<StickyCanary> ParseStickyCanary(std::string_view value);

// The VirtualService's setting; nullopt when it has no such annotation, an error when it has a
// bad one.
Result<std::optional<StickyCanary>> StickyCanaryOf(
    const std::map<std::string, std::string>& annotations);

// The annotation's text for a Canary's analysis.sessionAffinity; an error when it names neither
// or both of cookieName and headerName, or a bad name or maxAge.
Result<std::string> StickyCanaryAnnotationOf(const CanarySessionAffinity& affinity);

}  // namespace canaryd::config

// CorsPolicy: a VirtualService rule's `corsPolicy`, compiled, as Envoy's CORS filter applies it
// (after the route is matched, before the fault filter): a preflight from an allowed origin is
// answered by the gateway; other requests from an allowed origin get the CORS response headers.
// Immutable once built; any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "config/virtual_service_types.h"
#include "router/string_matcher.h"

namespace canaryd::router {

struct CorsPolicy {
  bool enabled = false;
  std::vector<StringMatcher> allow_origins;  // allowOrigins, then the deprecated allowOrigin
  std::string allow_methods;                 // joined with ","; "" to send none
  std::string allow_headers;
  std::string expose_headers;
  std::string max_age;  // seconds, "" when unset
  bool allow_credentials = false;
  bool forward_unmatched_preflights = true;  // unmatchedPreflights: FORWARD (default) or IGNORE

  bool AllowsOrigin(std::string_view origin) const;
  // The headers of a preflight answer for an allowed `origin`, each ending in CRLF.
  void AppendPreflightHeaders(std::string_view origin, std::string* out) const;
  // The headers added to any other response for an allowed `origin`.
  void AppendResponseHeaders(std::string_view origin, std::string* out) const;
};

Result<CorsPolicy> CompileCors(const config::CorsPolicy& p);

}  // namespace canaryd::router

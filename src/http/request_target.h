// The absolute form of a request target (RFC 9112 3.2.2: "GET http://example.com/a?b HTTP/1.1",
// what a client sends to a proxy it knows is one). A gateway matches and forwards such a
// request as Envoy does: by the target's authority (which replaces Host) and its path in origin
// form. Pure functions; any thread.
#pragma once

#include <string_view>

namespace canaryd::http {

struct AbsoluteTarget {
  std::string_view scheme;     // "http" or "https", as sent
  std::string_view authority;  // host[:port]
  std::string_view rest;       // from the first '/' or '?' on; empty for "http://host"
};

// Whether the target starts with "http://" or "https://" (lower case, as llhttp accepts them).
bool IsAbsoluteForm(std::string_view target);

// Splits an absolute-form target. False when it has no authority, or userinfo ("user@"), which
// RFC 9110 4.2.4 forbids in http(s) URIs and which would make the authority ambiguous.
bool SplitAbsoluteForm(std::string_view target, AbsoluteTarget* out);

}  // namespace canaryd::http

// Reading the comma-separated token lists of HTTP headers (RFC 9110 5.6.1) that decide how a
// message travels: Connection (which headers are hop-by-hop) and Transfer-Encoding (the codings
// applied to the body). A header may appear several times; its values form one list, so the
// helpers take every field of that name in the head. Pure functions; any thread.
#pragma once

#include <string_view>

#include "http/message.h"

namespace canaryd::http {

// Calls fn(token) for each non-empty token of a comma-separated list, without the optional
// whitespace around it. Stops early when fn returns false.
template <typename Fn>
void ForEachListToken(std::string_view list, Fn&& fn) {
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view token = list.substr(0, comma);
    while (!token.empty() && (token.front() == ' ' || token.front() == '\t'))
      token.remove_prefix(1);
    while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
    if (!token.empty() && !fn(token)) return;
    if (comma == std::string_view::npos) return;
    list.remove_prefix(comma + 1);
  }
}

// Case-insensitive comparison of two ASCII strings of any case.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// The values of every Connection header in a head, in order: the headers they name are
// hop-by-hop. Holds at most kMax values (CheckRequestHead and CheckResponseHead refuse more).
struct ConnectionValues {
  static constexpr int kMax = 8;
  std::string_view values[kMax];
  int count = 0;
  bool overflow = false;

  static ConnectionValues Of(const MessageHead& head, const char* base);
  // Whether some Connection header lists `name` (any case).
  bool Names(std::string_view name) const;
};

// Whether a header name is hop-by-hop: one of RFC 9110 7.6.1's (Connection, Keep-Alive,
// Proxy-Connection, TE, Trailer, Transfer-Encoding, Upgrade) or one a Connection header names.
bool IsHopByHop(std::string_view name, const ConnectionValues& connection);

// Appends the transfer codings of every Transfer-Encoding header other than `chunked`, each
// followed by ", " (so that "chunked" can follow), and returns how many there were. A proxy that
// re-frames a body as chunked must keep them: dropping `gzip` from "gzip, chunked" hands the
// next hop compressed bytes labelled as plain.
template <typename Out>
int AppendCodingsBeforeChunked(const MessageHead& head, const char* base, Out& out) {
  int n = 0;
  for (const HeaderSlice& h : head.headers) {
    std::string_view name = h.name.in(base);
    if (name.size() != 17 || !EqualsLower(name, "transfer-encoding")) continue;
    ForEachListToken(h.value.in(base), [&](std::string_view coding) {
      if (!EqualsIgnoreCase(coding, "chunked")) {
        out.Append(coding);
        out.Append(", ", 2);
        ++n;
      }
      return true;
    });
  }
  return n;
}

}  // namespace canaryd::http

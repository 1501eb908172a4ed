// Istio's `retries.retryOn`: a comma-separated list of Envoy retry policies and HTTP status
// codes. Split here once for the validator and the route compiler. Pure; any thread.
#pragma once

#include <string_view>
#include <vector>

namespace canaryd::config {

// The most retries canaryd makes of one request, whatever `attempts` says: retries go out
// without back-off, so a bound keeps one request from looping over failing endpoints.
inline constexpr int kMaxRetryAttempts = 25;

// The list's entries, spaces around each trimmed; empty entries kept (the validator refuses
// them).
inline std::vector<std::string_view> SplitRetryOn(std::string_view all) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= all.size()) {
    size_t comma = all.find(',', start);
    std::string_view p =
        all.substr(start, comma == std::string_view::npos ? all.size() - start : comma - start);
    while (!p.empty() && p.front() == ' ') p.remove_prefix(1);
    while (!p.empty() && p.back() == ' ') p.remove_suffix(1);
    out.push_back(p);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

// A three-digit HTTP status code, as Istio reads one in retryOn; 0 when `p` is not one.
inline int RetryOnStatusCode(std::string_view p) {
  if (p.size() != 3) return 0;
  int code = 0;
  for (char ch : p) {
    if (ch < '0' || ch > '9') return 0;
    code = code * 10 + (ch - '0');
  }
  return code;
}

}  // namespace canaryd::config

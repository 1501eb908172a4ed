// The header names a route's header operations may not change: the message's framing and its
// hop-by-hop headers, which the gateway writes itself. Shared by the validator (which warns) and
// the route compiler (which leaves them out). Pure; any thread.
#pragma once

#include <algorithm>
#include <array>
#include <string_view>

namespace canaryd::config {

inline bool IsGatewayManagedHeader(std::string_view lower_name) {
  static constexpr std::array<std::string_view, 9> kManaged = {
      "connection", "content-length",    "expect", "keep-alive", "proxy-connection", "te",
      "trailer",    "transfer-encoding", "upgrade"};
  return std::find(kManaged.begin(), kManaged.end(), lower_name) != kManaged.end();
}

}  // namespace canaryd::config

#include "proxy/request_info.h"

#include <cstring>

namespace canaryd::proxy {

std::string_view ResponseFlagsString(uint32_t flags, char* buf) {
  static constexpr struct {
    uint32_t flag;
    const char* name;
  } kNames[] = {
      {kNoRouteFound, "NR"},
      {kNoClusterFound, "NC"},
      {kNoHealthyUpstream, "UH"},
      {kUpstreamConnectionFailure, "UF"},
      {kUpstreamConnectionTermination, "UC"},
      {kUpstreamRequestTimeout, "UT"},
      {kDownstreamConnectionTermination, "DC"},
      {kUpstreamProtocolError, "UPE"},
      {kDownstreamProtocolError, "DPE"},
      {kStreamIdleTimeout, "SI"},
      {kOverloaded, "UO"},
      {kDelayInjected, "DI"},
      {kFaultInjected, "FI"},
      {kUpstreamRetryLimitExceeded, "URX"},
  };
  if (flags == 0) return "-";
  size_t n = 0;
  for (const auto& f : kNames) {
    if ((flags & f.flag) == 0) continue;
    if (n > 0) buf[n++] = ',';
    size_t len = std::strlen(f.name);
    std::memcpy(buf + n, f.name, len);
    n += len;
  }
  return std::string_view(buf, n);
}

}  // namespace canaryd::proxy

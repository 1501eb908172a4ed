#include "http/header_lists.h"

namespace canaryd::http {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

ConnectionValues ConnectionValues::Of(const MessageHead& head, const char* base) {
  ConnectionValues c;
  for (const HeaderSlice& h : head.headers) {
    std::string_view name = h.name.in(base);
    if (name.size() != 10 || !EqualsLower(name, "connection")) continue;
    if (c.count == kMax) {
      c.overflow = true;
      break;
    }
    c.values[c.count++] = h.value.in(base);
  }
  return c;
}

bool ConnectionValues::Names(std::string_view name) const {
  bool found = false;
  for (int i = 0; i < count && !found; ++i) {
    ForEachListToken(values[i], [&](std::string_view token) {
      found = EqualsIgnoreCase(token, name);
      return !found;
    });
  }
  return found;
}

bool IsHopByHop(std::string_view name, const ConnectionValues& connection) {
  switch (name.size()) {
    case 2:
      if (EqualsLower(name, "te")) return true;
      break;
    case 7:
      if (EqualsLower(name, "trailer") || EqualsLower(name, "upgrade")) return true;
      break;
    case 10:
      if (EqualsLower(name, "connection") || EqualsLower(name, "keep-alive")) return true;
      break;
    case 16:
      if (EqualsLower(name, "proxy-connection")) return true;
      break;
    case 17:
      if (EqualsLower(name, "transfer-encoding")) return true;
      break;
    default:
      break;
  }
  return connection.count > 0 && connection.Names(name);
}

}  // namespace canaryd::http

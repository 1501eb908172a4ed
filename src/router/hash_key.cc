#include "router/hash_key.h"

#include <xxhash.h>

namespace canaryd::router {
namespace {

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

uint64_t HashBytes(std::string_view bytes, uint64_t seed) {
  return XXH64(bytes.data(), bytes.size(), seed);
}

bool FindCookie(std::string_view header, std::string_view name, std::string_view* value) {
  while (!header.empty()) {
    size_t semi = header.find(';');
    std::string_view pair = TrimSpaces(header.substr(0, semi));
    size_t eq = pair.find('=');
    if (eq != std::string_view::npos && TrimSpaces(pair.substr(0, eq)) == name) {
      std::string_view v = TrimSpaces(pair.substr(eq + 1));
      // RFC 6265: a cookie-value may be in double quotes, which are not part of it.
      if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
      *value = v;
      return true;
    }
    if (semi == std::string_view::npos) break;
    header.remove_prefix(semi + 1);
  }
  return false;
}

bool FindQueryParameter(std::string_view query, std::string_view name, std::string_view* value) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    size_t eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    if (key == name) {
      *value = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
      return true;
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return false;
}

bool ComputeHash(const HashKey& key, const RequestView& request, std::string_view client_ip,
                 uint64_t* hash) {
  std::string_view value;
  switch (key.source) {
    case HashKey::Source::kNone:
      return false;
    case HashKey::Source::kHeader:
      if (!request.FindHeader(key.name, &value)) return false;
      break;
    case HashKey::Source::kCookie: {
      // A user agent sends one Cookie header (RFC 6265 5.4); the first is read.
      std::string_view cookies;
      if (!request.FindHeader("cookie", &cookies) || !FindCookie(cookies, key.name, &value)) {
        return false;
      }
      break;
    }
    case HashKey::Source::kSourceIp:
      if (client_ip.empty()) return false;
      value = client_ip;
      break;
    case HashKey::Source::kQueryParameter:
      if (!FindQueryParameter(request.query, key.name, &value)) return false;
      break;
  }
  *hash = HashBytes(value);
  return true;
}

std::string MakeCookieValue(uint64_t random_a, uint64_t random_b) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(32, '0');
  for (int i = 0; i < 16; ++i) {
    out[i] = kHex[(random_a >> (60 - 4 * i)) & 0xF];
    out[16 + i] = kHex[(random_b >> (60 - 4 * i)) & 0xF];
  }
  return out;
}

std::string SetCookieLine(const HashKey& key, std::string_view value) {
  std::string line = "set-cookie: ";
  line += key.name;
  line += "=";
  line += value;
  line += key.cookie_attributes;
  line += "\r\n";
  return line;
}

}  // namespace canaryd::router

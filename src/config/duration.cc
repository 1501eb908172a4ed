#include "config/duration.h"

#include <cmath>
#include <limits>

namespace canaryd::config {

std::optional<int64_t> ParseDuration(std::string_view s, std::string* error) {
  auto fail = [&](const std::string& why) -> std::optional<int64_t> {
    if (error) *error = why;
    return std::nullopt;
  };
  if (s.empty()) return fail("empty duration");
  bool negative = false;
  if (s[0] == '-' || s[0] == '+') {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return 0;
  if (s.empty()) return fail("missing number");
  long double total = 0;
  while (!s.empty()) {
    size_t i = 0;
    long double value = 0;
    size_t digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      value = value * 10 + (s[i] - '0');
      ++i, ++digits;
    }
    if (i < s.size() && s[i] == '.') {
      ++i;
      long double scale = 0.1L;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        value += (s[i] - '0') * scale;
        scale /= 10;
        ++i, ++digits;
      }
    }
    if (digits == 0) return fail("expected a number before the unit");
    size_t u = i;
    while (u < s.size() && !(s[u] >= '0' && s[u] <= '9') && s[u] != '.') ++u;
    std::string_view unit = s.substr(i, u - i);
    long double scale;
    if (unit == "ns")
      scale = 1;
    else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs")
      scale = 1e3L;
    else if (unit == "ms")
      scale = 1e6L;
    else if (unit == "s")
      scale = 1e9L;
    else if (unit == "m")
      scale = 60e9L;
    else if (unit == "h")
      scale = 3600e9L;
    else if (unit.empty())
      return fail("missing unit (one of ns, us, ms, s, m, h)");
    else
      return fail("unknown unit \"" + std::string(unit) + "\" (one of ns, us, ms, s, m, h)");
    total += value * scale;
    if (total > static_cast<long double>(std::numeric_limits<int64_t>::max())) {
      return fail("duration out of range");
    }
    s.remove_prefix(u);
  }
  int64_t n = static_cast<int64_t>(std::llround(total));
  return negative ? -n : n;
}

std::string FormatDuration(int64_t nanos) {
  if (nanos == 0) return "0s";
  std::string sign = nanos < 0 ? "-" : "";
  uint64_t n = nanos < 0 ? static_cast<uint64_t>(-(nanos + 1)) + 1 : static_cast<uint64_t>(nanos);
  auto frac = [](uint64_t v, uint64_t unit) {
    std::string out = std::to_string(v / unit);
    uint64_t rest = v % unit;
    if (rest != 0) {
      std::string digits = std::to_string(rest + unit).substr(1);  // zero-padded
      while (!digits.empty() && digits.back() == '0') digits.pop_back();
      out += "." + digits;
    }
    return out;
  };
  if (n < 1000) return sign + std::to_string(n) + "ns";
  if (n < 1000000) return sign + frac(n, 1000) + "us";
  if (n < 1000000000) return sign + frac(n, 1000000) + "ms";
  uint64_t h = n / 3600000000000ULL;
  uint64_t rest = n % 3600000000000ULL;
  uint64_t m = rest / 60000000000ULL;
  rest %= 60000000000ULL;
  std::string out = sign;
  if (h > 0) out += std::to_string(h) + "h";
  if (h > 0 || m > 0) out += std::to_string(m) + "m";
  out += frac(rest, 1000000000) + "s";
  return out;
}

}  // namespace canaryd::config

// ASCII case helpers for protocol text (header names, host names): no locale, no allocation
// except AsciiLower's result. Pure functions; any thread.
#pragma once

#include <string>
#include <string_view>

namespace canaryd {

inline char AsciiLowerChar(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

inline std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = AsciiLowerChar(c);
  return out;
}

// Case-insensitive comparison; `lower` must already be lower case.
inline bool EqualsAsciiLower(std::string_view s, std::string_view lower) {
  if (s.size() != lower.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (AsciiLowerChar(s[i]) != lower[i]) return false;
  }
  return true;
}

}  // namespace canaryd

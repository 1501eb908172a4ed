#include "common/base64.h"

#include <array>
#include <cstdint>

namespace canaryd {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int8_t, 256> MakeDecodeTable() {
  std::array<int8_t, 256> t{};
  for (int8_t& v : t) v = -1;
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int8_t>(i);
  return t;
}
constexpr std::array<int8_t, 256> kDecode = MakeDecodeTable();

bool IsNewline(char c) {
  return c == '\r' || c == '\n';
}

}  // namespace

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16 |
                 static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8 |
                 static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t v = static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (rest == 2) v |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> Base64Decode(std::string_view src, size_t* error_offset) {
  std::string out;
  out.reserve(src.size() / 4 * 3);
  size_t si = 0;
  // One quantum of up to four symbols per round, as Go's decoder reads them, so that every
  // error carries the offset Go would report.
  while (true) {
    uint32_t symbols[4] = {0, 0, 0, 0};
    size_t have = 0;
    bool padded = false;
    while (have < 4) {
      if (si == src.size()) {
        if (have == 0) return out;
        *error_offset = si - have;  // a quantum cut short (padding is required)
        return std::nullopt;
      }
      char c = src[si++];
      if (int8_t v = kDecode[static_cast<unsigned char>(c)]; v >= 0) {
        symbols[have++] = static_cast<uint32_t>(v);
        continue;
      }
      if (IsNewline(c)) continue;
      if (c != '=' || have < 2) {
        *error_offset = si - 1;
        return std::nullopt;
      }
      if (have == 2) {  // "==" expected: the second '=' may follow newlines
        while (si < src.size() && IsNewline(src[si])) ++si;
        if (si == src.size()) {
          *error_offset = src.size();
          return std::nullopt;
        }
        if (src[si] != '=') {
          *error_offset = si - 1;
          return std::nullopt;
        }
        ++si;
      }
      while (si < src.size() && IsNewline(src[si])) ++si;
      if (si < src.size()) {  // something after the padding
        *error_offset = si;
        return std::nullopt;
      }
      padded = true;
      break;
    }
    uint32_t v = symbols[0] << 18 | symbols[1] << 12 | symbols[2] << 6 | symbols[3];
    out += static_cast<char>(v >> 16);
    if (have >= 3) out += static_cast<char>((v >> 8) & 0xff);
    if (have == 4) out += static_cast<char>(v & 0xff);
    if (padded) return out;
  }
}

std::string Base64ErrorMessage(size_t offset) {
  return "illegal base64 data at input byte " + std::to_string(offset);
}

}  // namespace canaryd

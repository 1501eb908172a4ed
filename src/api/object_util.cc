#include "api/object_util.h"

#include <openssl/rand.h>

#include <cstdio>
#include <ctime>

namespace canaryd::api {

std::string FormatTimestamp(int64_t wall_nanos) {
  time_t secs = static_cast<time_t>(wall_nanos / 1'000'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::optional<int64_t> ParseTimestamp(const std::string& text) {
  int y, mo, d, h, mi, s;
  char rest[64] = {};
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%63s", &y, &mo, &d, &h, &mi, &s, rest) <
      6) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  int64_t secs = static_cast<int64_t>(timegm(&tm));
  std::string r = rest;
  int64_t frac_nanos = 0;
  size_t i = 0;
  if (i < r.size() && r[i] == '.') {
    ++i;
    int64_t scale = 100'000'000;
    while (i < r.size() && r[i] >= '0' && r[i] <= '9') {
      frac_nanos += (r[i] - '0') * scale;
      scale /= 10;
      ++i;
    }
  }
  if (i < r.size() && (r[i] == '+' || r[i] == '-')) {
    int oh = 0, om = 0;
    if (std::sscanf(r.c_str() + i + 1, "%2d:%2d", &oh, &om) == 2) {
      int64_t off = (oh * 3600 + om * 60) * (r[i] == '+' ? 1 : -1);
      secs -= off;
    }
  }
  return secs * 1'000'000'000 + frac_nanos;
}

std::string HumanDuration(int64_t nanos) {
  // After k8s.io/apimachinery/pkg/util/duration.HumanDuration.
  int64_t seconds = nanos / 1'000'000'000;
  auto s = [](int64_t v) { return std::to_string(v); };
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 60 * 2) return s(seconds) + "s";
  int64_t minutes = seconds / 60;
  if (minutes < 10) {
    int64_t rem = seconds % 60;
    return rem == 0 ? s(minutes) + "m" : s(minutes) + "m" + s(rem) + "s";
  }
  if (minutes < 60 * 3) return s(minutes) + "m";
  int64_t hours = minutes / 60;
  if (hours < 8) {
    int64_t rem = minutes % 60;
    return rem == 0 ? s(hours) + "h" : s(hours) + "h" + s(rem) + "m";
  }
  if (hours < 48) return s(hours) + "h";
  if (hours < 24 * 8) {
    int64_t rem = hours % 24;
    return rem == 0 ? s(hours / 24) + "d" : s(hours / 24) + "d" + s(rem) + "h";
  }
  if (hours < 24 * 365 * 2) return s(hours / 24) + "d";
  if (hours < 24 * 365 * 8) {
    int64_t days = hours / 24;
    int64_t rem = days % 365;
    return rem == 0 ? s(days / 365) + "y" : s(days / 365) + "y" + s(rem) + "d";
  }
  return s(hours / 24 / 365) + "y";
}

std::string NewUid() {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) {
    // Not expected; fall back to the time so that the UID is still unique enough.
    uint64_t t = static_cast<uint64_t>(std::time(nullptr));
    for (int i = 0; i < 16; ++i) b[i] = static_cast<unsigned char>(t >> ((i % 8) * 8)) ^ i;
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  char out[37];
  std::snprintf(out, sizeof out,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return out;
}

std::string RandomSuffix(size_t n) {
  static const char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";  // as Kubernetes' rand.String
  std::string out;
  unsigned char b[64];
  n = std::min(n, sizeof b);
  if (RAND_bytes(b, static_cast<int>(n)) != 1) return std::string(n, 'x');
  for (size_t i = 0; i < n; ++i) out.push_back(kAlphabet[b[i] % (sizeof kAlphabet - 1)]);
  return out;
}

std::string MetaString(const json& obj, const char* field) {
  if (!obj.is_object()) return "";
  auto m = obj.find("metadata");
  if (m == obj.end() || !m->is_object()) return "";
  auto f = m->find(field);
  if (f == m->end() || !f->is_string()) return "";
  return f->get<std::string>();
}

const json& MetaMap(const json& obj, const char* field) {
  static const json kEmpty = json::object();
  if (!obj.is_object()) return kEmpty;
  auto m = obj.find("metadata");
  if (m == obj.end() || !m->is_object()) return kEmpty;
  auto f = m->find(field);
  if (f == m->end() || !f->is_object()) return kEmpty;
  return *f;
}

const json& JsonMember(const json& obj, const char* key) {
  static const json kNull;
  if (!obj.is_object()) return kNull;
  auto it = obj.find(key);
  return it == obj.end() ? kNull : *it;
}

std::string JsonString(const json& obj, const char* key) {
  const json& v = JsonMember(obj, key);
  return v.is_string() ? v.get<std::string>() : "";
}

int64_t JsonInt(const json& obj, const char* key, int64_t fallback) {
  const json& v = JsonMember(obj, key);
  return v.is_number_integer() ? v.get<int64_t>() : fallback;
}

}  // namespace canaryd::api

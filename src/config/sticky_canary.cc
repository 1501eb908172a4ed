#include "config/sticky_canary.h"

#include <charconv>

#include "common/ascii.h"

namespace canaryd::config {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// RFC 6265 cookie-name and RFC 9110 field-name are both tokens.
bool IsToken(std::string_view s) {
  if (s.empty() || s.size() > 256) return false;
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              std::string_view("!#$%&'*+-.^_`|~").find(ch) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

}  // namespace

Result<StickyCanary> ParseStickyCanary(std::string_view value) {
  const std::string usage =
      "want \"cookie=NAME\", \"cookie=NAME; max-age=SECONDS\" or \"header=NAME\"";
  StickyCanary out;
  size_t semi = value.find(';');
  std::string_view key = Trim(value.substr(0, semi));
  size_t eq = key.find('=');
  if (eq == std::string_view::npos) return InvalidArgument(usage);
  std::string_view kind = Trim(key.substr(0, eq));
  std::string_view name = Trim(key.substr(eq + 1));
  if (kind == "cookie") {
    out.cookie = true;
  } else if (kind == "header") {
    out.cookie = false;
  } else {
    return InvalidArgument("unknown key \"" + std::string(kind) + "\": " + usage);
  }
  if (!IsToken(name)) {
    return InvalidArgument("\"" + std::string(name) + "\" is not a valid " + std::string(kind) +
                           " name");
  }
  out.name = out.cookie ? std::string(name) : AsciiLower(name);
  if (semi != std::string_view::npos) {
    std::string_view opt = Trim(value.substr(semi + 1));
    constexpr std::string_view kMaxAge = "max-age=";
    if (!out.cookie || !opt.starts_with(kMaxAge)) return InvalidArgument(usage);
    std::string_view n = opt.substr(kMaxAge.size());
    int64_t seconds = -1;
    auto [p, ec] = std::from_chars(n.data(), n.data() + n.size(), seconds);
    if (ec != std::errc() || p != n.data() + n.size() || seconds < 0 || seconds > 400LL * 86400) {
      return InvalidArgument(
          "max-age must be a whole number of seconds from 0 to 34560000 "
          "(400 days, RFC 6265bis's cap); 0 makes a session cookie");
    }
    out.max_age_seconds = seconds;
  }
  return out;
}

Result<std::optional<StickyCanary>> StickyCanaryOf(
    const std::map<std::string, std::string>& annotations) {
  auto it = annotations.find(kStickyCanaryAnnotation);
  if (it == annotations.end()) return std::optional<StickyCanary>();
  Result<StickyCanary> parsed = ParseStickyCanary(it->second);
  if (!parsed.ok()) return parsed.status();
  return std::optional<StickyCanary>(std::move(*parsed));
}

Result<std::string> StickyCanaryAnnotationOf(const CanarySessionAffinity& a) {
  if (a.cookie_name.has_value() == a.header_name.has_value()) {
    return InvalidArgument("set one of cookieName or headerName");
  }
  std::string text;
  if (a.cookie_name) {
    text = "cookie=" + *a.cookie_name;
    if (a.max_age) text += "; max-age=" + std::to_string(*a.max_age);
  } else {
    if (a.max_age) return InvalidArgument("maxAge is for a cookie: set cookieName");
    text = "header=" + *a.header_name;
  }
  Result<StickyCanary> parsed = ParseStickyCanary(text);
  if (!parsed.ok()) return parsed.status();
  return text;
}

}  // namespace canaryd::config

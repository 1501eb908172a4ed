#include "config/validate_util.h"

#include <arpa/inet.h>
#include <re2/re2.h>

#include <algorithm>
#include <set>

namespace canaryd::config {
namespace {

bool IsLowerAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool IsAlnum(char c) {
  return IsLowerAlnum(c) || (c >= 'A' && c <= 'Z');
}

constexpr size_t kMaxRegexLength = 1024;

}  // namespace

void Checker::Report(Severity s, std::string path, std::string message) {
  // One error per field: a field the decoder already refused (say, as missing) is not also
  // reported for the value it does not have, nor are the fields inside it.
  if (s == Severity::kError) {
    for (const Diagnostic& existing : diags_.items()) {
      if (existing.severity != Severity::kError) continue;
      const std::string& e = existing.path;
      bool same_or_inside =
          path.compare(0, e.size(), e) == 0 &&
          (path.size() == e.size() || path[e.size()] == '.' || path[e.size()] == '[');
      if (!e.empty() && same_or_inside) return;
    }
  }
  Diagnostic d;
  d.severity = s;
  d.file = r_.file;
  d.mark = r_.PositionOf(path);
  d.path = std::move(path);
  d.message = std::move(message);
  diags_.Add(std::move(d));
}

std::string CheckDns1123Label(std::string_view s) {
  if (s.empty()) return "must not be empty";
  if (s.size() > 63) return "must be no more than 63 characters";
  bool ok = IsLowerAlnum(s.front()) && IsLowerAlnum(s.back()) &&
            std::all_of(s.begin(), s.end(), [](char c) { return IsLowerAlnum(c) || c == '-'; });
  if (!ok) {
    return "\"" + std::string(s) +
           "\" is not a valid DNS-1123 label: lower case alphanumeric characters or '-', "
           "starting and ending with an alphanumeric character";
  }
  return "";
}

std::string CheckDns1123Subdomain(std::string_view s) {
  if (s.empty()) return "must not be empty";
  if (s.size() > 253) return "must be no more than 253 characters";
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    std::string_view label =
        s.substr(start, dot == std::string_view::npos ? s.size() - start : dot - start);
    if (!CheckDns1123Label(label).empty()) {
      return "\"" + std::string(s) +
             "\" is not a valid DNS-1123 subdomain: lower case alphanumeric characters, '-' or "
             "'.', starting and ending with an alphanumeric character";
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return "";
}

std::string CheckDns1035Label(std::string_view s) {
  if (std::string why = CheckDns1123Label(s); !why.empty()) return why;
  if (!(s.front() >= 'a' && s.front() <= 'z')) {
    return "\"" + std::string(s) +
           "\" is not a valid DNS-1035 label: it must start with a lower case letter";
  }
  return "";
}

namespace {
// Kubernetes qualified-name "name" part: [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?, <= 63.
bool IsQualifiedNamePart(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  if (!IsAlnum(s.front()) || !IsAlnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return IsAlnum(c) || c == '-' || c == '_' || c == '.'; });
}
}  // namespace

std::string CheckLabelKey(std::string_view s) {
  std::string_view name = s;
  if (auto slash = s.find('/'); slash != std::string_view::npos) {
    std::string_view prefix = s.substr(0, slash);
    name = s.substr(slash + 1);
    if (!CheckDns1123Subdomain(prefix).empty()) {
      return "key \"" + std::string(s) +
             "\" has an invalid prefix: it must be a DNS-1123 subdomain";
    }
  }
  if (!IsQualifiedNamePart(name)) {
    return "key \"" + std::string(s) +
           "\" is not a valid qualified name: up to 63 alphanumeric characters, '-', '_' or '.', "
           "starting and ending with an alphanumeric character, with an optional DNS prefix and "
           "'/'";
  }
  return "";
}

std::string CheckLabelValue(std::string_view s) {
  if (s.empty()) return "";
  if (!IsQualifiedNamePart(s)) {
    return "value \"" + std::string(s) +
           "\" is not a valid label value: up to 63 alphanumeric characters, '-', '_' or '.', "
           "starting and ending with an alphanumeric character";
  }
  return "";
}

std::string CheckHost(std::string_view s, bool allow_star) {
  if (s.empty()) return "host must not be empty";
  if (s == "*") return allow_star ? "" : "the wildcard host \"*\" is not allowed here";
  std::string_view rest = s;
  if (rest.substr(0, 2) == "*.") {
    rest.remove_prefix(2);
  } else if (rest.front() == '*') {
    // Istio also allows a partial wildcard first label, "*" or "*-" before a DNS label:
    // "*x.example.com", "*-x.example.com". Check it as that label.
    rest.remove_prefix(rest.size() > 1 && rest[1] == '-' ? 2 : 1);
    if (rest.empty() || rest.front() == '.' || rest.front() == '*') {
      return "\"" + std::string(s) + "\" is not a valid host";
    }
  }
  if (rest.empty()) return "\"" + std::string(s) + "\" is not a valid host";
  if (rest.size() > 255) return "host \"" + std::string(s) + "\" is longer than 255 characters";
  if (IsIpAddress(rest) && rest.size() != s.size()) {
    return "\"" + std::string(s) + "\" is not a valid host: a wildcard cannot precede an address";
  }
  if (IsIpAddress(rest)) return "";
  size_t start = 0;
  if (rest.back() == '.') rest.remove_suffix(1);  // absolute FQDN
  if (size_t last = rest.rfind('.'); last != std::string_view::npos && last + 1 < rest.size()) {
    std::string_view tld = rest.substr(last + 1);
    if (std::all_of(tld.begin(), tld.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return "\"" + std::string(s) + "\" is not a valid host: the top-level domain \"" +
             std::string(tld) + "\" cannot be all digits";
    }
  }
  while (true) {
    size_t dot = rest.find('.', start);
    std::string_view label =
        rest.substr(start, dot == std::string_view::npos ? rest.size() - start : dot - start);
    bool ok =
        !label.empty() && label.size() <= 63 && IsAlnum(label.front()) && IsAlnum(label.back()) &&
        std::all_of(label.begin(), label.end(), [](char c) { return IsAlnum(c) || c == '-'; });
    if (!ok) {
      if (label.find('*') != std::string_view::npos) {
        return "\"" + std::string(s) +
               "\" is not a valid host: a wildcard is only allowed at the start of the first "
               "label (\"*.example.com\", \"*x.example.com\")";
      }
      return "\"" + std::string(s) +
             "\" is not a valid host: each DNS label must be 1 to 63 letters, digits or '-', "
             "starting and ending with a letter or digit";
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return "";
}

void WarnPartialWildcard(Checker& c, std::string_view host) {
  if (host.size() > 1 && host.front() == '*' && host[1] != '.') {
    c.Warning("partial wildcard host \"" + std::string(host) +
              "\" is not served yet: canaryd matches it only as the literal name (the "
              "\"*.suffix\" and \"*\" wildcards are served)");
  }
}

std::string CheckRegex(std::string_view s) {
  if (s.size() > kMaxRegexLength) {
    return "regex is " + std::to_string(s.size()) + " characters, more than the limit of " +
           std::to_string(kMaxRegexLength);
  }
  RE2::Options options;
  options.set_log_errors(false);
  RE2 re(re2::StringPiece(s.data(), s.size()), options);
  if (!re.ok()) return "invalid RE2 regex \"" + std::string(s) + "\": " + re.error();
  return "";
}

std::string CheckHeaderName(std::string_view s) {
  if (s.empty()) return "header name must not be empty";
  // RFC 9110 token characters.
  static constexpr std::string_view kTokenPunct = "!#$%&'*+-.^_`|~";
  for (char c : s) {
    if (!IsAlnum(c) && kTokenPunct.find(c) == std::string_view::npos) {
      return "\"" + std::string(s) + "\" is not a valid HTTP header name";
    }
  }
  return "";
}

bool IsIpAddress(std::string_view s) {
  std::string str(s);
  unsigned char buf[sizeof(struct in6_addr)];
  return inet_pton(AF_INET, str.c_str(), buf) == 1 || inet_pton(AF_INET6, str.c_str(), buf) == 1;
}

bool IsCidr(std::string_view s) {
  auto slash = s.find('/');
  if (slash == std::string_view::npos) return IsIpAddress(s);
  std::string_view addr = s.substr(0, slash), bits = s.substr(slash + 1);
  if (!IsIpAddress(addr) || bits.empty() || bits.size() > 3) return false;
  if (!std::all_of(bits.begin(), bits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  int n = std::stoi(std::string(bits));
  bool v6 = addr.find(':') != std::string_view::npos;
  return n >= 0 && n <= (v6 ? 128 : 32);
}

std::string CheckPortName(std::string_view s) {
  bool has_letter = std::any_of(s.begin(), s.end(), [](char c) { return c >= 'a' && c <= 'z'; });
  bool chars_ok =
      std::all_of(s.begin(), s.end(), [](char c) { return IsLowerAlnum(c) || c == '-'; });
  if (s.empty() || s.size() > 15 || !has_letter || !chars_ok || s.front() == '-' ||
      s.back() == '-' || s.find("--") != std::string_view::npos) {
    return "\"" + std::string(s) +
           "\" is not a valid port name: 1 to 15 lower case letters, digits or '-', with at "
           "least one letter, no leading, trailing or double '-'";
  }
  return "";
}

void CheckLabels(Checker& c, std::string_view field, const std::map<std::string, std::string>& m) {
  auto scope = c.path().Field(field);
  for (const auto& [k, v] : m) {
    auto key_scope = c.path().Key(k);
    if (std::string why = CheckLabelKey(k); !why.empty()) c.Error(why);
    if (std::string why = CheckLabelValue(v); !why.empty()) c.Error(why);
  }
}

void CheckPortNumber(Checker& c, std::string_view field, int64_t port) {
  if (port < 1 || port > 65535) {
    c.ErrorAt(field, "port number " + std::to_string(port) + " must be between 1 and 65535");
  }
}

void CheckMinDuration(Checker& c, std::string_view field, const std::optional<Duration>& d,
                      int64_t min_nanos, bool allow_zero) {
  if (!d) return;
  if (allow_zero && d->nanos == 0) return;
  if (d->nanos < min_nanos) {
    c.ErrorAt(field, "duration \"" + d->text + "\" must be at least " + FormatDuration(min_nanos));
  }
}

void CheckPercent(Checker& c, std::string_view field, double value) {
  if (!(value >= 0 && value <= 100)) {
    c.ErrorAt(field, "percentage must be between 0 and 100");
  }
}

void CheckExportTo(Checker& c, const std::vector<std::string>& export_to) {
  auto scope = c.path().Field("exportTo");
  std::set<std::string> seen;
  for (size_t i = 0; i < export_to.size(); ++i) {
    auto index = c.path().Index(i);
    const std::string& e = export_to[i];
    if (!seen.insert(e).second) c.Error("duplicate entry \"" + e + "\"");
    if (e == "." || e == "*" || e == "~") continue;
    if (std::string why = CheckDns1123Label(e); !why.empty()) {
      c.Error("must be \".\", \"*\" or a namespace name: " + why);
    }
  }
}

}  // namespace canaryd::config

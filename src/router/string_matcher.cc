#include "router/string_matcher.h"

namespace canaryd::router {
namespace {

char Lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

std::string LowerString(std::string s) {
  for (char& c : s) c = Lower(c);
  return s;
}

bool EqualsIgnoreCase(std::string_view s, std::string_view lower) {
  if (s.size() != lower.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (Lower(s[i]) != lower[i]) return false;
  }
  return true;
}

}  // namespace

StringMatcher StringMatcher::Exact(std::string value, bool ignore_case) {
  StringMatcher m;
  m.kind_ = Kind::kExact;
  m.ignore_case_ = ignore_case;
  m.value_ = ignore_case ? LowerString(std::move(value)) : std::move(value);
  return m;
}

StringMatcher StringMatcher::Prefix(std::string value, bool ignore_case) {
  StringMatcher m = Exact(std::move(value), ignore_case);
  m.kind_ = Kind::kPrefix;
  return m;
}

Result<StringMatcher> StringMatcher::Build(const config::StringMatch& m, bool ignore_case) {
  if (m.exact) return Exact(*m.exact, ignore_case);
  if (m.prefix) return Prefix(*m.prefix, ignore_case);
  if (m.regex) {
    RE2::Options options;
    options.set_log_errors(false);
    auto re = std::make_shared<RE2>(*m.regex, options);
    if (!re->ok()) return InvalidArgument("invalid regex \"" + *m.regex + "\": " + re->error());
    StringMatcher out;
    out.kind_ = Kind::kRegex;
    out.value_ = *m.regex;
    out.regex_ = std::move(re);
    return out;
  }
  return StringMatcher();
}

bool StringMatcher::Matches(std::string_view s) const {
  switch (kind_) {
    case Kind::kExact:
      return ignore_case_ ? EqualsIgnoreCase(s, value_) : s == value_;
    case Kind::kPrefix:
      if (s.size() < value_.size()) return false;
      return ignore_case_ ? EqualsIgnoreCase(s.substr(0, value_.size()), value_)
                          : s.compare(0, value_.size(), value_) == 0;
    case Kind::kRegex:
      return RE2::FullMatch(re2::StringPiece(s.data(), s.size()), *regex_);
    case Kind::kPresent:
      return true;
  }
  return false;
}

}  // namespace canaryd::router

#include "router/string_matcher.h"

#include "common/ascii.h"

namespace canaryd::router {

StringMatcher StringMatcher::Exact(std::string value, bool ignore_case) {
  StringMatcher m;
  m.kind_ = Kind::kExact;
  m.ignore_case_ = ignore_case;
  m.value_ = ignore_case ? AsciiLower(value) : std::move(value);
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
      return ignore_case_ ? EqualsAsciiLower(s, value_) : s == value_;
    case Kind::kPrefix:
      if (s.size() < value_.size()) return false;
      return ignore_case_ ? EqualsAsciiLower(s.substr(0, value_.size()), value_)
                          : s.compare(0, value_.size(), value_) == 0;
    case Kind::kRegex:
      return RE2::FullMatch(re2::StringPiece(s.data(), s.size()), *regex_);
    case Kind::kPresent:
      return true;
  }
  return false;
}

}  // namespace canaryd::router

// StringMatcher: Istio's StringMatch compiled for the request path: exact, prefix, RE2
// whole-string regex, or presence. Immutable once built; any thread may call Matches().
#pragma once

#include <re2/re2.h>

#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "config/istio_types.h"

namespace canaryd::router {

class StringMatcher {
 public:
  enum class Kind { kExact, kPrefix, kRegex, kPresent };

  // Builds from a StringMatch; an empty one (no field set) matches any present value.
  static Result<StringMatcher> Build(const config::StringMatch& m, bool ignore_case = false);
  static StringMatcher Exact(std::string value, bool ignore_case = false);
  static StringMatcher Prefix(std::string value, bool ignore_case = false);

  bool Matches(std::string_view s) const;
  Kind kind() const { return kind_; }
  const std::string& value() const { return value_; }

 private:
  Kind kind_ = Kind::kPresent;
  bool ignore_case_ = false;
  std::string value_;  // lower case when ignore_case_
  std::shared_ptr<const RE2> regex_;
};

}  // namespace canaryd::router

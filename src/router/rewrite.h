// RewritePolicy: a VirtualService rule's `rewrite`, compiled: the path Envoy would forward
// (Istio's `uri` is Envoy's prefix_rewrite: it replaces what a prefix match matched, or the whole
// path after an exact or regex match; `uriRegexRewrite` is RE2's global replace) and the Host.
// Immutable once built; any thread may call RewritePath.
#pragma once

#include <re2/re2.h>

#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "config/virtual_service_types.h"
#include "router/string_matcher.h"

namespace canaryd::router {

struct RewritePolicy {
  bool has_uri = false;
  std::string uri;
  std::shared_ptr<const RE2> regex;  // uriRegexRewrite.match
  std::string substitution;          // uriRegexRewrite.rewrite (\1 for groups)
  std::string authority;             // "" keeps the Host

  bool rewrites_path() const { return has_uri || regex != nullptr; }
  // Appends the path to forward for `path` (without its query) to `out`. `uri_match` is the uri
  // condition of the match block that selected the rule, null when it had none (Istio then
  // matches the prefix "/").
  void RewritePath(std::string_view path, const StringMatcher* uri_match, std::string* out) const;
};

Result<RewritePolicy> CompileRewrite(const config::HTTPRewrite& r);

}  // namespace canaryd::router

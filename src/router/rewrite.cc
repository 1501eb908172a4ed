#include "router/rewrite.h"

#include <algorithm>

namespace canaryd::router {

void RewritePolicy::RewritePath(std::string_view path, const StringMatcher* uri_match,
                                std::string* out) const {
  if (regex != nullptr) {
    std::string rewritten(path);
    RE2::GlobalReplace(&rewritten, *regex, substitution);
    if (rewritten.empty() || rewritten.front() != '/') out->push_back('/');
    out->append(rewritten);
    return;
  }
  if (!has_uri) {
    out->append(path);
    return;
  }
  size_t matched = 1;  // no uri condition: Istio's prefix "/"
  if (uri_match != nullptr) {
    matched =
        uri_match->kind() == StringMatcher::Kind::kPrefix ? uri_match->value().size() : path.size();
  }
  matched = std::min(matched, path.size());
  size_t start = out->size();
  out->append(uri);
  out->append(path.substr(matched));
  if (out->size() == start || (*out)[start] != '/') out->insert(start, 1, '/');
}

Result<RewritePolicy> CompileRewrite(const config::HTTPRewrite& r) {
  RewritePolicy out;
  if (r.uri && !r.uri->empty()) {  // proto3: an empty string is unset
    out.has_uri = true;
    out.uri = *r.uri;
  }
  if (r.uri_regex_rewrite && r.uri_regex_rewrite->match) {
    auto re = std::make_shared<RE2>(*r.uri_regex_rewrite->match, RE2::Quiet);
    if (!re->ok()) return InvalidArgument("uriRegexRewrite.match: " + re->error());
    out.substitution = r.uri_regex_rewrite->rewrite.value_or("");
    std::string why;
    if (!re->CheckRewriteString(out.substitution, &why)) {
      return InvalidArgument("uriRegexRewrite.rewrite: " + why);
    }
    out.regex = std::move(re);
  }
  out.authority = r.authority.value_or("");
  return out;
}

}  // namespace canaryd::router

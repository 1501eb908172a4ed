#include "http/request_target.h"

namespace canaryd::http {

bool IsAbsoluteForm(std::string_view target) {
  return target.rfind("http://", 0) == 0 || target.rfind("https://", 0) == 0;
}

bool SplitAbsoluteForm(std::string_view target, AbsoluteTarget* out) {
  size_t colon = target.find("://");
  if (colon == std::string_view::npos || !IsAbsoluteForm(target)) return false;
  out->scheme = target.substr(0, colon);
  std::string_view after = target.substr(colon + 3);
  size_t end = after.find_first_of("/?#");
  out->authority = after.substr(0, end);
  out->rest = end == std::string_view::npos ? std::string_view() : after.substr(end);
  if (out->authority.empty() || out->authority.find('@') != std::string_view::npos) return false;
  if (!out->rest.empty() && out->rest.front() == '#') return false;  // a fragment is never sent
  return true;
}

}  // namespace canaryd::http

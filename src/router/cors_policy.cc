#include "router/cors_policy.h"

namespace canaryd::router {
namespace {

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) {
    if (!out.empty()) out += ",";
    out += s;
  }
  return out;
}

void AppendHeader(std::string_view name, std::string_view value, std::string* out) {
  out->append(name);
  out->append(": ");
  out->append(value);
  out->append("\r\n");
}

}  // namespace

bool CorsPolicy::AllowsOrigin(std::string_view origin) const {
  for (const StringMatcher& m : allow_origins) {
    if (m.Matches(origin)) return true;
  }
  return false;
}

void CorsPolicy::AppendPreflightHeaders(std::string_view origin, std::string* out) const {
  AppendHeader("access-control-allow-origin", origin, out);
  if (allow_credentials) AppendHeader("access-control-allow-credentials", "true", out);
  if (!allow_methods.empty()) AppendHeader("access-control-allow-methods", allow_methods, out);
  if (!allow_headers.empty()) AppendHeader("access-control-allow-headers", allow_headers, out);
  if (!max_age.empty()) AppendHeader("access-control-max-age", max_age, out);
}

void CorsPolicy::AppendResponseHeaders(std::string_view origin, std::string* out) const {
  AppendHeader("access-control-allow-origin", origin, out);
  if (allow_credentials) AppendHeader("access-control-allow-credentials", "true", out);
  if (!expose_headers.empty()) AppendHeader("access-control-expose-headers", expose_headers, out);
}

Result<CorsPolicy> CompileCors(const config::CorsPolicy& p) {
  CorsPolicy out;
  out.enabled = true;
  for (const config::StringMatch& m : p.allow_origins) {
    Result<StringMatcher> built = StringMatcher::Build(m);
    if (!built.ok()) return built.status();
    out.allow_origins.push_back(std::move(*built));
  }
  for (const std::string& exact : p.allow_origin) {
    out.allow_origins.push_back(StringMatcher::Exact(exact));
  }
  out.allow_methods = Join(p.allow_methods);
  out.allow_headers = Join(p.allow_headers);
  out.expose_headers = Join(p.expose_headers);
  if (p.max_age) out.max_age = std::to_string(p.max_age->nanos / 1'000'000'000);
  out.allow_credentials = p.allow_credentials.value_or(false);
  out.forward_unmatched_preflights = p.unmatched_preflights.value_or("FORWARD") != "IGNORE";
  return out;
}

}  // namespace canaryd::router

#include "config/hosts.h"

#include <algorithm>

namespace canaryd::config {

std::string ServiceFqdn(std::string_view name, std::string_view ns) {
  std::string out(name);
  out += '.';
  out += ns;
  out += '.';
  out += kClusterDomain;
  return out;
}

std::vector<std::string> HostCandidates(std::string_view host, std::string_view ns) {
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  if (host.empty() || host.front() == '*') return {std::string(host)};
  size_t dots = std::count(host.begin(), host.end(), '.');
  if (dots == 0) return {ServiceFqdn(host, ns)};
  if (dots == 1) return {std::string(host), std::string(host) + "." + std::string(kClusterDomain)};
  return {std::string(host)};
}

bool HostMatches(std::string_view pattern, std::string_view host) {
  if (pattern == "*") return true;
  if (pattern.size() > 1 && pattern[0] == '*' && pattern[1] == '.') {
    std::string_view suffix = pattern.substr(1);  // ".example.com"
    if (host.size() > 1 && host[0] == '*' && host[1] == '.') {
      // A wildcard host is covered when its suffix is at least as specific.
      std::string_view hsuffix = host.substr(1);
      return hsuffix.size() >= suffix.size() &&
             hsuffix.substr(hsuffix.size() - suffix.size()) == suffix;
    }
    return host.size() > suffix.size() && host.substr(host.size() - suffix.size()) == suffix;
  }
  return pattern == host;
}

}  // namespace canaryd::config

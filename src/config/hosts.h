// Host names as Istio resolves them: a short name in a resource's namespace becomes
// `<name>.<namespace>.svc.cluster.local`, `name.ns` gets `.svc.cluster.local`, and `*.suffix`
// wildcards match by suffix. Used by the analysis and by the router. Pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace canaryd::config {

inline constexpr std::string_view kClusterDomain = "svc.cluster.local";

// The names a destination host may refer to, from a resource in `ns`, to be tried in order:
// "web" -> web.<ns>.svc.cluster.local; "web.prod" -> web.prod (a ServiceEntry host as written),
// then web.prod.svc.cluster.local; anything longer is taken as written.
std::vector<std::string> HostCandidates(std::string_view host, std::string_view ns);
// The FQDN of a core Service.
std::string ServiceFqdn(std::string_view name, std::string_view ns);
// Whether `pattern` ("*", "*.example.com" or a name) matches the concrete or wildcard `host`.
bool HostMatches(std::string_view pattern, std::string_view host);

}  // namespace canaryd::config

// Cross-resource analysis: references that only make sense against other resources, such as a
// VirtualService destination whose host matches no Service or ServiceEntry, a subset no
// DestinationRule defines, a port the service does not have, or a gateway that does not exist.
//
// These are warnings, not errors: resources arrive in any order (the walkthrough applies the
// VirtualService before or after the Services), as in Kubernetes and `istioctl analyze`. The
// router never routes such a destination silently: it answers 503 with response flag NC.
//
// The analysis reads the other resources through ReferenceLookup: AnalyzeReferences builds one
// from a whole set of resources (`canaryctl validate`, start-up), and the API keeps one up to
// date from the store (config/reference_index.h) so that a write costs what it refers to.
// Pure functions: any thread; a ReferenceLookup is read-only during the analysis.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/diagnostic.h"
#include "config/resource.h"

namespace canaryd::config {

// A Service or ServiceEntry host a destination resolved to, with the ports it declares.
struct ServiceRef {
  std::string fqdn;
  std::vector<uint32_t> ports;
};

// What the analysis asks about the resources a VirtualService may refer to.
class ReferenceLookup {
 public:
  virtual ~ReferenceLookup() = default;
  // The service `host`, written in a resource of namespace `ns`, refers to: exact names (every
  // HostCandidates() candidate, in order) before ServiceEntry `*.suffix` wildcards. Null when
  // none. Valid until the lookup changes.
  virtual const ServiceRef* FindService(const std::string& host, const std::string& ns) const = 0;
  // Whether a DestinationRule whose host resolves to `fqdn` (as FindService resolves it from
  // the rule's namespace; the host as written when it resolves to nothing) defines `subset`.
  virtual bool HasSubset(const std::string& fqdn, const std::string& subset) const = 0;
  // Whether the Gateway "namespace/name" exists.
  virtual bool HasGateway(const std::string& key) const = 0;
};

// Analyzes every VirtualService of `resources` against the Services, ServiceEntries, Gateways
// and DestinationRules among them.
void AnalyzeReferences(const std::vector<Resource>& resources, Diagnostics& diags);
// Analyzes one VirtualService against `refs`; the same warnings AnalyzeReferences gives for it.
void AnalyzeVirtualService(const Resource& virtual_service, const ReferenceLookup& refs,
                           Diagnostics& diags);

}  // namespace canaryd::config

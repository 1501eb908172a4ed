// Cross-resource analysis: references that only make sense against other resources, such as a
// VirtualService destination whose host matches no Service or ServiceEntry, a subset no
// DestinationRule defines, a port the service does not have, or a gateway that does not exist.
//
// These are warnings, not errors: resources arrive in any order (the walkthrough applies the
// VirtualService before or after the Services), as in Kubernetes and `istioctl analyze`. The
// router never routes such a destination silently: it answers 503 with response flag NC.
// Pure function: any thread.
#pragma once

#include <vector>

#include "config/diagnostic.h"
#include "config/resource.h"

namespace canaryd::config {

void AnalyzeReferences(const std::vector<Resource>& resources, Diagnostics& diags);

}  // namespace canaryd::config

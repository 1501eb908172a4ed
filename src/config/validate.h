// Validation of decoded resources by Istio's rules (istio.io API reference and Istio's
// pkg/config/validation) and Kubernetes' metadata rules. Errors make a resource invalid;
// warnings are reported and the resource is kept. Pure functions: any thread.
#pragma once

#include "config/diagnostic.h"
#include "config/resource.h"

namespace canaryd::config {

// Checks one resource on its own (no references to other resources). `diags` must hold only
// this resource's findings (those of its decoding): a field already refused there is not
// reported twice.
void ValidateResource(const Resource& r, Diagnostics& diags);

}  // namespace canaryd::config

// AdmitWorkload: the write-time check that a Pod, or a Deployment's or ReplicaSet's Pod
// template, runs only what the operator's image catalog allows: every container's image
// resolves, `command` and `args` only where the entry allows them, exec probes only where it
// allows a command, and the user rules (runAsUser may only lower privileges, runAsNonRoot is
// kept). So a refusal comes at `kubectl apply`, with the field path, not later as a Pod that
// never starts. Pure function of its arguments: any thread.
#pragma once

#include <optional>

#include "api/api_error.h"
#include "config/kinds.h"
#include "workload/image_catalog.h"

namespace canaryd::workload {

std::optional<api::ApiError> AdmitWorkload(const ImageCatalog& catalog, const Identity& identity,
                                           const config::KindInfo& kind, const api::json& obj);

}  // namespace canaryd::workload

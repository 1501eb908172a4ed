// Kubernetes' per-kind rules of a write that go beyond validating the object on its own:
// defaults (Service type, session affinity, ports' protocol and targetPort; Namespace
// finalizers and phase; Secret type), Secret stringData merged into data (base64) and dropped,
// what an update may not change (a Secret's type; the data of an immutable ConfigMap or
// Secret), what a status write may set (a Namespace's phase), and the stricter checks of an
// events.k8s.io/v1 create. ObjectService applies them around the config layer's validation. Pure
// functions: any thread.
#pragma once

#include <optional>

#include "api/api_error.h"
#include "config/kinds.h"

namespace canaryd::api {

// Fills in what Kubernetes defaults and normalizes, on the object as it will be stored.
void ApplyDefaults(config::Kind kind, json& obj);

// Checks an update of `existing` to `obj` (both as stored); the Invalid error, or nullopt.
std::optional<ApiError> CheckUpdate(const config::KindInfo& kind, const json& obj,
                                    const json& existing);

// Checks a write to the status subresource, `obj` as it will be stored: the status is an object,
// and a Namespace's phase is Active, or Terminating once it is being deleted.
std::optional<ApiError> CheckStatusUpdate(const config::KindInfo& kind, const json& obj);

// Checks a create through `kind` of `stored` (the object as stored, after conversion): the
// events.k8s.io/v1 rules (eventTime required, type Normal or Warning, the deprecated fields
// unset). nullopt for every other kind.
std::optional<ApiError> CheckCreate(const config::KindInfo& kind, const json& stored);

}  // namespace canaryd::api

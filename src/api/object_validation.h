// Validation of an object written through the API with the same code `canaryctl validate` and
// canaryd's start-up use: strict decoding (unknown fields, wrong types, ranges, enums),
// Istio's and Kubernetes' rules per resource (errors, which make the write fail with 422
// Invalid and one cause per field), and the analysis of references to other resources
// (warnings, sent back as Warning headers, since resources arrive in any order).
// Thread-safe as the Store (and StoredReferences) are.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/api_error.h"
#include "api/stored_references.h"
#include "config/kinds.h"
#include "store/store.h"

namespace canaryd::api {

// Returns the Invalid error for `obj` (a full object of `kind`), or nullopt; appends warnings.
// `store` supplies the other resources for the reference analysis (may be null: no analysis).
// Lists and decodes every peer of a VirtualService: costs what is stored.
std::optional<ApiError> ValidateObject(const config::KindInfo& kind, const json& obj,
                                       store::Store* store, std::vector<std::string>* warnings);
// The same, the references analyzed against `references` (the store's peers, indexed), which
// costs what the VirtualService refers to; through `store` when the index cannot be built.
std::optional<ApiError> ValidateObject(const config::KindInfo& kind, const json& obj,
                                       StoredReferences* references, store::Store* store,
                                       std::vector<std::string>* warnings);

}  // namespace canaryd::api

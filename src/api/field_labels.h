// The field selectors each kind serves beyond metadata.name and metadata.namespace, as
// Kubernetes registers them (Event involvedObject.name and reason, which `kubectl events --for`
// uses; Secret type; Namespace status.phase; ...): each label with the path of the field it
// reads in the kind's own shape. Static data: any thread.
#pragma once

#include <span>
#include <string_view>

#include "config/kinds.h"

namespace canaryd::api {

struct FieldLabel {
  std::string_view label;  // what a fieldSelector names: "involvedObject.name"
  std::string_view path;   // the field it reads, dot-separated: "regarding.name"
};

std::span<const FieldLabel> FieldLabelsOf(config::Kind kind);

}  // namespace canaryd::api

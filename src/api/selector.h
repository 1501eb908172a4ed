// Label selectors (`app=web,version in (v1,v2),!canary`) and field selectors
// (`metadata.name=web`, `metadata.namespace!=default`) as the Kubernetes API accepts them in
// list, watch and deletecollection requests. Parse once, then match many objects. Immutable
// after parsing: any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "api/field_labels.h"
#include "common/status.h"

namespace canaryd::api {

class LabelSelector {
 public:
  // An empty text selects everything. InvalidArgument with the reason when malformed.
  static Result<LabelSelector> Parse(const std::string& text);
  bool Matches(const nlohmann::json& labels) const;
  bool empty() const { return requirements_.empty(); }

 private:
  enum class Op { kExists, kNotExists, kEquals, kNotEquals, kIn, kNotIn, kGreater, kLess };
  struct Requirement {
    std::string key;
    Op op;
    std::vector<std::string> values;
  };
  std::vector<Requirement> requirements_;
};

class FieldSelector {
 public:
  // Supports metadata.name and metadata.namespace, and the kind's own `labels` (see
  // field_labels.h), with =, == and !=. Another field is InvalidArgument, as Kubernetes
  // answers it ("field label not supported: spec.hosts").
  static Result<FieldSelector> Parse(const std::string& text,
                                     std::span<const FieldLabel> labels = {});
  // Matches the metadata terms; the others need the object (MatchesObject).
  bool Matches(const std::string& name, const std::string& ns) const;
  // Whether some term reads a field other than the name and namespace.
  bool NeedsObject() const;
  // Matches the terms on other fields against the object in the kind's own shape (a missing
  // field is the empty string, numbers and booleans as Kubernetes prints them).
  bool MatchesObject(const nlohmann::json& obj) const;
  // The name the selector pins (metadata.name=x), or "".
  std::string ExactName() const;
  bool empty() const { return terms_.empty(); }

 private:
  enum class Field { kName, kNamespace, kPath };
  struct Term {
    Field field;
    std::string path;  // for kPath
    bool negate;
    std::string value;
  };
  std::vector<Term> terms_;
};

}  // namespace canaryd::api

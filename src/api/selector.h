// Label selectors (`app=web,version in (v1,v2),!canary`) and field selectors
// (`metadata.name=web`, `metadata.namespace!=default`) as the Kubernetes API accepts them in
// list, watch and deletecollection requests. Parse once, then match many objects. Immutable
// after parsing: any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

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
  // Supports metadata.name and metadata.namespace with =, == and !=.
  static Result<FieldSelector> Parse(const std::string& text);
  bool Matches(const std::string& name, const std::string& ns) const;
  // The name the selector pins (metadata.name=x), or "".
  std::string ExactName() const;
  bool empty() const { return terms_.empty(); }

 private:
  struct Term {
    bool is_name;  // else namespace
    bool negate;
    std::string value;
  };
  std::vector<Term> terms_;
};

}  // namespace canaryd::api

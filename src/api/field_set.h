// FieldSet: a set of field paths of an object, the unit of ownership in server-side apply, and
// the operations apply needs: the fields of an object, the fields that differ between two
// objects, merging an applied configuration into the live object, and removing a field.
// Serialized as Kubernetes' FieldsV1 ({"f:spec":{"f:hosts":{}}}) in metadata.managedFields.
//
// Path elements are Kubernetes' own: "f:<field>", "k:<key as JSON>" for an item of a list
// keyed by some of its fields (list_types.h), "v:<value as JSON>" for an item of a set. Lists
// that are neither are atomic: one path for the whole list. The metadata fields the server
// manages (name, uid, resourceVersion, managedFields, ...), apiVersion and kind are not tracked;
// status only for writes to the status subresource (`with_status`): writes to the object itself
// never change a status, so their managers never own one. Plain values: any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "config/kinds.h"

namespace canaryd::api {

using nlohmann::json;
using FieldPath = std::vector<std::string>;

class FieldSet {
 public:
  // Every tracked field of `obj` (interior fields included).
  static FieldSet Of(const json& obj, config::Kind kind, bool with_status = false);
  // From a FieldsV1 object; malformed parts are skipped.
  static FieldSet FromFieldsV1(const json& fields);
  json ToFieldsV1() const;

  void Insert(FieldPath p) { paths_.insert(std::move(p)); }
  bool Contains(const FieldPath& p) const { return paths_.count(p) != 0; }
  // Whether the set holds `p` or any path below it.
  bool ContainsPrefix(const FieldPath& p) const;
  void Merge(const FieldSet& other) { paths_.insert(other.paths_.begin(), other.paths_.end()); }
  FieldSet Intersect(const FieldSet& other) const;
  FieldSet Minus(const FieldSet& other) const;
  bool empty() const { return paths_.empty(); }
  size_t size() const { return paths_.size(); }
  const std::set<FieldPath>& paths() const { return paths_; }

  friend bool operator==(const FieldSet&, const FieldSet&) = default;

 private:
  std::set<FieldPath> paths_;
};

// The fields whose values differ between `before` and `after`: changed leaves, and every field
// of a subtree present on one side only.
FieldSet ChangedFields(const json& before, const json& after, config::Kind kind,
                       bool with_status = false);

// `live` with `applied` merged in: objects field by field, keyed lists item by item, sets by
// union, anything else replaced.
json MergeApplied(const json& live, const json& applied, config::Kind kind);

// Removes the field at `path` from `obj` when present.
void RemoveField(json& obj, const FieldPath& path, config::Kind kind);

// ".spec.http", ".spec.ports[port=80,protocol=\"TCP\"]": how apply conflicts name a field.
std::string FieldPathString(const FieldPath& path);

}  // namespace canaryd::api

// metadata.managedFields and server-side apply: which manager owns which fields, how an update
// moves ownership to its manager, and how an apply merges an applied configuration, detects
// conflicts with other managers (or takes their fields with force) and removes the fields its
// manager applied before but no longer applies. A simplified structured-merge-diff after
// Kubernetes' own: field sets per manager and operation, conflicts on fields whose value the
// apply would change. Plain functions over values: any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/field_set.h"
#include "config/kinds.h"

namespace canaryd::api {

struct ManagedEntry {
  std::string manager;
  std::string operation;  // "Apply" or "Update"
  std::string api_version;
  std::string time;
  std::string subresource;  // "" for the object itself, "status" for its status subresource
  FieldSet fields;
};

std::vector<ManagedEntry> ReadManagedFields(const json& obj);
// The JSON list for metadata.managedFields (entries with no fields are dropped).
json ManagedFieldsJson(const std::vector<ManagedEntry>& entries);

// Records a non-apply write by `manager`: it owns every field it changed, and the others lose
// those. `before` is null for a create. A write to the status subresource (`subresource` is
// "status") is recorded in an entry of its own, as Kubernetes records it, and is the only kind
// of write whose manager owns status fields.
void TrackUpdate(std::vector<ManagedEntry>& entries, const json& before, const json& after,
                 config::Kind kind, const std::string& manager, const std::string& api_version,
                 const std::string& time, const std::string& subresource = "");

struct ApplyConflict {
  std::string manager;
  std::string api_version;
  FieldPath path;
};

struct ApplyResult {
  json object;  // the live object with the configuration applied
  std::vector<ManagedEntry> entries;
  std::vector<ApplyConflict> conflicts;  // non-empty: refused (only without force)
};

// Server-side apply of `applied` by `manager` onto `live` (null when the object is new), to the
// object itself or (`subresource` "status") to its status subresource, whose applied fields
// include status. The caller keeps what the subresource may not change.
ApplyResult ServerSideApply(const json& live, const json& applied,
                            std::vector<ManagedEntry> entries, config::Kind kind,
                            const std::string& manager, const std::string& api_version,
                            const std::string& time, bool force,
                            const std::string& subresource = "");

// "Apply failed with 1 conflict: conflict with \"x\" using v1: .spec.http", as Kubernetes words it.
std::string ConflictMessage(const std::vector<ApplyConflict>& conflicts);

}  // namespace canaryd::api

#include "api/managed_fields.h"

namespace canaryd::api {

std::vector<ManagedEntry> ReadManagedFields(const json& obj) {
  std::vector<ManagedEntry> out;
  if (!obj.is_object()) return out;
  auto meta = obj.find("metadata");
  if (meta == obj.end() || !meta->is_object()) return out;
  auto mf = meta->find("managedFields");
  if (mf == meta->end() || !mf->is_array()) return out;
  for (const json& e : *mf) {
    if (!e.is_object()) continue;
    ManagedEntry m;
    m.manager = e.value("manager", "");
    m.operation = e.value("operation", "");
    m.api_version = e.value("apiVersion", "");
    m.time = e.value("time", "");
    m.subresource = e.value("subresource", "");
    if (auto f = e.find("fieldsV1"); f != e.end()) m.fields = FieldSet::FromFieldsV1(*f);
    out.push_back(std::move(m));
  }
  return out;
}

json ManagedFieldsJson(const std::vector<ManagedEntry>& entries) {
  json out = json::array();
  for (const ManagedEntry& m : entries) {
    if (m.fields.empty()) continue;
    json e = {{"manager", m.manager},
              {"operation", m.operation},
              {"apiVersion", m.api_version},
              {"fieldsType", "FieldsV1"},
              {"fieldsV1", m.fields.ToFieldsV1()}};
    if (!m.time.empty()) e["time"] = m.time;
    if (!m.subresource.empty()) e["subresource"] = m.subresource;
    out.push_back(std::move(e));
  }
  return out;
}

namespace {

ManagedEntry& EntryFor(std::vector<ManagedEntry>& entries, const std::string& manager,
                       const std::string& operation, const std::string& subresource) {
  for (ManagedEntry& m : entries) {
    if (m.manager == manager && m.operation == operation && m.subresource == subresource) {
      return m;
    }
  }
  entries.push_back(ManagedEntry{manager, operation, "", "", subresource, {}});
  return entries.back();
}

void DropEmpty(std::vector<ManagedEntry>& entries) {
  std::erase_if(entries, [](const ManagedEntry& m) { return m.fields.empty(); });
}

}  // namespace

void TrackUpdate(std::vector<ManagedEntry>& entries, const json& before, const json& after,
                 config::Kind kind, const std::string& manager, const std::string& api_version,
                 const std::string& time, const std::string& subresource) {
  const bool with_status = subresource == "status";
  FieldSet changed = before.is_null() ? FieldSet::Of(after, kind, with_status)
                                      : ChangedFields(before, after, kind, with_status);
  if (changed.empty()) return;
  FieldSet present = FieldSet::Of(after, kind, with_status);
  for (ManagedEntry& m : entries) m.fields = m.fields.Minus(changed);
  ManagedEntry& mine = EntryFor(entries, manager, "Update", subresource);
  mine.fields.Merge(changed.Intersect(present));
  mine.api_version = api_version;
  mine.time = time;
  DropEmpty(entries);
}

ApplyResult ServerSideApply(const json& live, const json& applied,
                            std::vector<ManagedEntry> entries, config::Kind kind,
                            const std::string& manager, const std::string& api_version,
                            const std::string& time, bool force, const std::string& subresource) {
  const bool with_status = subresource == "status";
  ApplyResult result;
  FieldSet applied_set = FieldSet::Of(applied, kind, with_status);
  json base = live.is_null() ? json::object() : live;
  json merged = MergeApplied(base, applied, kind);
  FieldSet changed = ChangedFields(base, merged, kind, with_status);

  for (ManagedEntry& m : entries) {
    if (m.manager == manager && m.operation == "Apply" && m.subresource == subresource) continue;
    FieldSet clash = m.fields.Intersect(changed);
    if (clash.empty()) continue;
    if (force) {
      m.fields = m.fields.Minus(changed);
      continue;
    }
    for (const FieldPath& p : clash.paths()) {
      // Report the outermost clashing fields only.
      bool has_parent = false;
      for (size_t n = 1; n < p.size() && !has_parent; ++n) {
        has_parent = clash.Contains(FieldPath(p.begin(), p.begin() + static_cast<long>(n)));
      }
      if (!has_parent) result.conflicts.push_back({m.manager, m.api_version, p});
    }
  }
  if (!result.conflicts.empty()) return result;

  ManagedEntry& mine = EntryFor(entries, manager, "Apply", subresource);
  FieldSet dropped = mine.fields.Minus(applied_set);
  FieldSet others;
  for (const ManagedEntry& m : entries) {
    if (&m != &mine) others.Merge(m.fields);
  }
  // Fields this manager applied before and applies no more go, unless another manager holds
  // them or something below them. Outermost first; removing a parent removes its children.
  for (const FieldPath& p : dropped.paths()) {
    if (!others.ContainsPrefix(p)) RemoveField(merged, p, kind);
  }
  mine.fields = applied_set;
  mine.api_version = api_version;
  mine.time = time;
  DropEmpty(entries);
  result.object = std::move(merged);
  result.entries = std::move(entries);
  return result;
}

std::string ConflictMessage(const std::vector<ApplyConflict>& conflicts) {
  std::string out = "Apply failed with " + std::to_string(conflicts.size()) + " conflict" +
                    (conflicts.size() == 1 ? "" : "s") + ": ";
  for (size_t i = 0; i < conflicts.size(); ++i) {
    if (i > 0) out += "\n";
    out += "conflict with \"" + conflicts[i].manager + "\"";
    if (!conflicts[i].api_version.empty()) out += " using " + conflicts[i].api_version;
    out += ": " + FieldPathString(conflicts[i].path);
  }
  return out;
}

}  // namespace canaryd::api

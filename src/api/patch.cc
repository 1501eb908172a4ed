#include "api/patch.h"

#include <algorithm>
#include <vector>

#include "api/http_message.h"
#include "api/list_types.h"

namespace canaryd::api {
namespace {

constexpr std::string_view kSetElementOrder = "$setElementOrder/";
constexpr std::string_view kDeleteFromPrimitiveList = "$deleteFromPrimitiveList/";

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

class StrategicMerger {
 public:
  explicit StrategicMerger(config::Kind kind) : kind_(kind) {}

  // Merges patch (an object) into target (an object). Returns false with error_ set when the
  // patch is malformed. Sets *deleted when the patch says `$patch: delete`.
  bool MergeMap(json& target, const json& patch, std::vector<std::string>& path, bool* deleted) {
    *deleted = false;
    if (auto d = patch.find("$patch"); d != patch.end()) {
      if (!d->is_string()) return Fail("$patch must be a string");
      std::string directive = d->get<std::string>();
      if (directive == "delete") {
        *deleted = true;
        return true;
      }
      if (directive == "replace") {
        json fresh = json::object();
        json rest = patch;
        rest.erase("$patch");
        bool ignored;
        if (!MergeMap(fresh, rest, path, &ignored)) return false;
        target = std::move(fresh);
        return true;
      }
      if (directive != "merge") return Fail("unknown $patch directive \"" + directive + "\"");
    }
    if (!target.is_object()) target = json::object();

    for (auto it = patch.begin(); it != patch.end(); ++it) {
      const std::string& key = it.key();
      if (!key.empty() && key[0] == '$') continue;  // directives, below
      const json& v = it.value();
      if (v.is_null()) {
        target.erase(key);
        continue;
      }
      path.push_back(key);
      bool ok = true;
      if (v.is_object()) {
        json& slot = target[key];
        if (!slot.is_object()) slot = json::object();
        bool del = false;
        ok = MergeMap(slot, v, path, &del);
        if (ok && del) target.erase(key);
      } else if (v.is_array()) {
        ok = MergeList(target[key], v, path);
      } else {
        target[key] = v;
      }
      path.pop_back();
      if (!ok) return false;
    }

    for (auto it = patch.begin(); it != patch.end(); ++it) {
      const std::string& key = it.key();
      if (StartsWith(key, kDeleteFromPrimitiveList)) {
        std::string field = key.substr(kDeleteFromPrimitiveList.size());
        if (!it->is_array()) return Fail(key + " must be a list");
        auto t = target.find(field);
        if (t == target.end() || !t->is_array()) continue;
        json kept = json::array();
        for (const json& item : *t) {
          if (std::find(it->begin(), it->end(), item) == it->end()) kept.push_back(item);
        }
        *t = std::move(kept);
      }
    }
    for (auto it = patch.begin(); it != patch.end(); ++it) {
      const std::string& key = it.key();
      if (StartsWith(key, kSetElementOrder)) {
        std::string field = key.substr(kSetElementOrder.size());
        if (!it->is_array()) return Fail(key + " must be a list");
        path.push_back(field);
        ListType lt = ListTypeOf(kind_, path);
        path.pop_back();
        auto t = target.find(field);
        if (t == target.end() || !t->is_array()) continue;
        Reorder(*t, *it, lt);
      }
    }
    if (auto rk = patch.find("$retainKeys"); rk != patch.end()) {
      if (!rk->is_array()) return Fail("$retainKeys must be a list");
      for (auto t = target.begin(); t != target.end();) {
        if (std::find(rk->begin(), rk->end(), json(t.key())) == rk->end()) {
          t = target.erase(t);
        } else {
          ++t;
        }
      }
    }
    return true;
  }

  const std::string& error() const { return error_; }

 private:
  bool Fail(std::string message) {
    error_ = std::move(message);
    return false;
  }

  // A fresh value from the patch, with its directives applied to nothing.
  bool Fresh(const json& v, std::vector<std::string>& path, json* out) {
    if (v.is_object()) {
      json fresh = json::object();
      bool del = false;
      if (!MergeMap(fresh, v, path, &del)) return false;
      *out = del ? json() : std::move(fresh);
      return true;
    }
    *out = v;
    return true;
  }

  bool KeyMatches(const json& a, const json& b, const std::string& key) {
    auto x = a.find(key);
    auto y = b.find(key);
    return x != a.end() && y != b.end() && *x == *y;
  }

  bool MergeList(json& target, const json& patch, std::vector<std::string>& path) {
    ListType lt = ListTypeOf(kind_, path);
    if (lt.type == ListType::kSet) {
      if (!target.is_array()) target = json::array();
      for (const json& item : patch) {
        if (std::find(target.begin(), target.end(), item) == target.end()) target.push_back(item);
      }
      return true;
    }
    if (lt.type != ListType::kMap || !target.is_array()) {
      json out = json::array();
      for (const json& item : patch) {
        if (item.is_object() && item.contains("$patch")) continue;
        json fresh;
        if (!Fresh(item, path, &fresh)) return false;
        out.push_back(std::move(fresh));
      }
      target = std::move(out);
      return true;
    }
    const std::string& key = lt.keys[0];
    // `{"$patch": "replace"}` among the items replaces the list with the other items.
    for (const json& item : patch) {
      if (item.is_object() && item.value("$patch", "") == "replace") {
        json out = json::array();
        for (const json& other : patch) {
          if (other.is_object() && other.contains("$patch")) continue;
          json fresh;
          if (!Fresh(other, path, &fresh)) return false;
          out.push_back(std::move(fresh));
        }
        target = std::move(out);
        return true;
      }
    }
    for (const json& item : patch) {
      if (!item.is_object()) return Fail("a list with merge key \"" + key + "\" needs objects");
      if (!item.contains(key)) {
        return Fail("an item of " + path.back() + " has no merge key \"" + key + "\"");
      }
      auto existing = std::find_if(target.begin(), target.end(), [&](const json& t) {
        return t.is_object() && KeyMatches(t, item, key);
      });
      if (item.value("$patch", "") == "delete") {
        if (existing != target.end()) target.erase(existing);
        continue;
      }
      if (existing != target.end()) {
        bool del = false;
        if (!MergeMap(*existing, item, path, &del)) return false;
        if (del) target.erase(existing);
      } else {
        json fresh;
        if (!Fresh(item, path, &fresh)) return false;
        if (!fresh.is_null()) target.push_back(std::move(fresh));
      }
    }
    return true;
  }

  // Puts the items named in `order` first, in that order; the others follow as they were.
  void Reorder(json& list, const json& order, const ListType& lt) {
    json out = json::array();
    std::vector<bool> used(list.size(), false);
    for (const json& o : order) {
      for (size_t i = 0; i < list.size(); ++i) {
        if (used[i]) continue;
        bool match = lt.type == ListType::kMap && o.is_object() && list[i].is_object()
                         ? KeyMatches(list[i], o, lt.keys[0])
                         : list[i] == o;
        if (match) {
          used[i] = true;
          out.push_back(list[i]);
          break;
        }
      }
    }
    for (size_t i = 0; i < list.size(); ++i) {
      if (!used[i]) out.push_back(list[i]);
    }
    list = std::move(out);
  }

  config::Kind kind_;
  std::string error_;
};

}  // namespace

bool PatchTypeFromContentType(const std::string& content_type, PatchType* out) {
  // What kube-apiserver serves, less CBOR, which canaryd cannot read; apply-patch+json is JSON,
  // which the apply-patch+yaml reader reads.
  std::string ct = MediaType(content_type);
  if (ct == "application/merge-patch+json") {
    *out = PatchType::kMerge;
  } else if (ct == "application/json-patch+json") {
    *out = PatchType::kJson;
  } else if (ct == "application/strategic-merge-patch+json") {
    *out = PatchType::kStrategic;
  } else if (ct == "application/apply-patch+yaml" || ct == "application/apply-patch+json") {
    *out = PatchType::kApply;
  } else {
    return false;
  }
  return true;
}

ApiResult<json> ApplyMergePatch(const json& target, const json& patch) {
  json out = target;
  out.merge_patch(patch);
  return out;
}

ApiResult<json> ApplyJsonPatch(const json& target, const json& patch, const config::KindInfo& kind,
                               const std::string& name) {
  if (!patch.is_array()) return BadRequestError("a JSON patch must be a list of operations");
  // Run "test" operations first ourselves, to tell a stale resourceVersion (Conflict) from
  // other mismatches.
  for (const json& op : patch) {
    if (!op.is_object() || op.value("op", "") != "test") continue;
    std::string path = op.value("path", "");
    try {
      json::json_pointer ptr(path);
      bool matches = target.contains(ptr) && op.contains("value") && target.at(ptr) == op["value"];
      if (!matches) {
        if (path == "/metadata/resourceVersion") return ConflictError(kind, name);
        return InvalidError(kind, name,
                            {{"FieldValueInvalid", "test operation failed: " + path, "patch"}});
      }
    } catch (const json::exception& e) {
      return BadRequestError(std::string("invalid JSON patch: ") + e.what());
    }
  }
  try {
    return target.patch(patch);
  } catch (const json::exception& e) {
    return InvalidError(
        kind, name,
        {{"FieldValueInvalid", std::string("the patch does not apply: ") + e.what(), "patch"}});
  }
}

ApiResult<json> ApplyStrategicMergePatch(const json& target, const json& patch, config::Kind kind) {
  if (!patch.is_object()) return BadRequestError("a strategic merge patch must be an object");
  StrategicMerger merger(kind);
  json out = target;
  std::vector<std::string> path;
  bool deleted = false;
  if (!merger.MergeMap(out, patch, path, &deleted)) {
    return BadRequestError("invalid strategic merge patch: " + merger.error());
  }
  if (deleted) return BadRequestError("a strategic merge patch cannot delete the whole object");
  return out;
}

}  // namespace canaryd::api

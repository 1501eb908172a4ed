#include "api/field_set.h"

#include <algorithm>

#include "api/list_types.h"

namespace canaryd::api {
namespace {

// The tracked part of an object: no apiVersion or kind, status only `with_status`, and of
// metadata only what a user sets (labels, annotations, finalizers, ownerReferences).
json Tracked(const json& obj, bool with_status) {
  if (!obj.is_object()) return json::object();
  json out = json::object();
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    const std::string& k = it.key();
    if (k == "apiVersion" || k == "kind" || (k == "status" && !with_status)) continue;
    if (k == "metadata") {
      if (!it->is_object()) continue;
      json meta = json::object();
      for (const char* f : {"labels", "annotations", "finalizers", "ownerReferences"}) {
        if (auto m = it->find(f); m != it->end() && !m->is_null()) meta[f] = *m;
      }
      if (!meta.empty()) out["metadata"] = std::move(meta);
      continue;
    }
    out[k] = *it;
  }
  return out;
}

std::string KeyOf(const json& item, const ListType& lt) {
  json key = json::object();
  for (size_t i = 0; i < lt.keys.size(); ++i) {
    auto v = item.is_object() ? item.find(lt.keys[i]) : item.end();
    if (item.is_object() && v != item.end() && !v->is_null()) {
      key[lt.keys[i]] = *v;
    } else if (!lt.key_defaults[i].empty()) {
      key[lt.keys[i]] = lt.key_defaults[i];
    }
  }
  return key.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

class Walker {
 public:
  explicit Walker(config::Kind kind) : kind_(kind) {}

  void Collect(const json& v, FieldPath& path, std::vector<std::string>& names, FieldSet& out) {
    if (v.is_object()) {
      for (auto it = v.begin(); it != v.end(); ++it) {
        path.push_back("f:" + it.key());
        names.push_back(it.key());
        out.Insert(path);
        Collect(*it, path, names, out);
        names.pop_back();
        path.pop_back();
      }
    } else if (v.is_array()) {
      ListType lt = ListTypeOf(kind_, names);
      if (lt.type == ListType::kMap) {
        for (const json& item : v) {
          path.push_back("k:" + KeyOf(item, lt));
          out.Insert(path);
          Collect(item, path, names, out);
          path.pop_back();
        }
      } else if (lt.type == ListType::kSet) {
        for (const json& item : v) {
          path.push_back("v:" +
                         item.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
          out.Insert(path);
          path.pop_back();
        }
      }
    }
  }

  void Diff(const json* a, const json* b, FieldPath& path, std::vector<std::string>& names,
            FieldSet& out) {
    if (a && b && a->is_object() && b->is_object()) {
      std::set<std::string> keys;
      for (auto it = a->begin(); it != a->end(); ++it) keys.insert(it.key());
      for (auto it = b->begin(); it != b->end(); ++it) keys.insert(it.key());
      for (const std::string& k : keys) {
        auto x = a->find(k);
        auto y = b->find(k);
        path.push_back("f:" + k);
        names.push_back(k);
        Diff(x == a->end() ? nullptr : &*x, y == b->end() ? nullptr : &*y, path, names, out);
        names.pop_back();
        path.pop_back();
      }
      return;
    }
    if (a && b && a->is_array() && b->is_array()) {
      ListType lt = ListTypeOf(kind_, names);
      if (lt.type == ListType::kMap) {
        std::vector<std::pair<std::string, const json*>> xs, ys;
        for (const json& i : *a) xs.emplace_back(KeyOf(i, lt), &i);
        for (const json& i : *b) ys.emplace_back(KeyOf(i, lt), &i);
        std::set<std::string> keys;
        for (auto& [k, _] : xs) keys.insert(k);
        for (auto& [k, _] : ys) keys.insert(k);
        for (const std::string& k : keys) {
          auto find = [&](auto& v) -> const json* {
            for (auto& [kk, p] : v) {
              if (kk == k) return p;
            }
            return nullptr;
          };
          path.push_back("k:" + k);
          Diff(find(xs), find(ys), path, names, out);
          path.pop_back();
        }
        return;
      }
      if (lt.type == ListType::kSet) {
        for (const json& i : *a) {
          if (std::find(b->begin(), b->end(), i) == b->end()) {
            path.push_back("v:" + i.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
            out.Insert(path);
            path.pop_back();
          }
        }
        for (const json& i : *b) {
          if (std::find(a->begin(), a->end(), i) == a->end()) {
            path.push_back("v:" + i.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
            out.Insert(path);
            path.pop_back();
          }
        }
        return;
      }
    }
    if (a && b && *a == *b) return;
    if (!a && !b) return;
    out.Insert(path);
    if (a) Collect(*a, path, names, out);
    if (b) Collect(*b, path, names, out);
  }

  void Merge(json& live, const json& applied, std::vector<std::string>& names) {
    if (live.is_object() && applied.is_object()) {
      for (auto it = applied.begin(); it != applied.end(); ++it) {
        if (it->is_null()) {
          live.erase(it.key());
          continue;
        }
        names.push_back(it.key());
        auto l = live.find(it.key());
        if (l == live.end()) {
          live[it.key()] = *it;
        } else {
          Merge(*l, *it, names);
        }
        names.pop_back();
      }
      return;
    }
    if (live.is_array() && applied.is_array()) {
      ListType lt = ListTypeOf(kind_, names);
      if (lt.type == ListType::kMap) {
        for (const json& item : applied) {
          std::string key = KeyOf(item, lt);
          auto l = std::find_if(live.begin(), live.end(),
                                [&](const json& x) { return KeyOf(x, lt) == key; });
          if (l == live.end()) {
            live.push_back(item);
          } else {
            Merge(*l, item, names);
          }
        }
        return;
      }
      if (lt.type == ListType::kSet) {
        for (const json& item : applied) {
          if (std::find(live.begin(), live.end(), item) == live.end()) live.push_back(item);
        }
        return;
      }
    }
    live = applied;
  }

  void Remove(json& obj, const FieldPath& path, size_t i, std::vector<std::string>& names) {
    if (i >= path.size()) return;
    const std::string& e = path[i];
    const bool last = i + 1 == path.size();
    if (e.rfind("f:", 0) == 0) {
      if (!obj.is_object()) return;
      std::string field = e.substr(2);
      auto it = obj.find(field);
      if (it == obj.end()) return;
      if (last) {
        obj.erase(it);
        return;
      }
      names.push_back(field);
      Remove(*it, path, i + 1, names);
      names.pop_back();
      return;
    }
    if (!obj.is_array()) return;
    if (e.rfind("k:", 0) == 0) {
      ListType lt = ListTypeOf(kind_, names);
      if (lt.type != ListType::kMap) return;
      std::string key = e.substr(2);
      for (auto it = obj.begin(); it != obj.end(); ++it) {
        if (KeyOf(*it, lt) != key) continue;
        if (last) {
          obj.erase(it);
        } else {
          Remove(*it, path, i + 1, names);
        }
        return;
      }
      return;
    }
    if (e.rfind("v:", 0) == 0 && last) {
      json value = json::parse(e.substr(2), nullptr, false);
      auto it = std::find(obj.begin(), obj.end(), value);
      if (it != obj.end()) obj.erase(it);
    }
  }

 private:
  config::Kind kind_;
};

void ToTree(const FieldPath& p, json& root, const std::set<FieldPath>& all) {
  json* node = &root;
  for (const std::string& e : p) node = &(*node)[e];
  if (node->is_null()) *node = json::object();
  (void)all;
}

void FromTree(const json& node, FieldPath& path, FieldSet& out) {
  if (!node.is_object()) return;
  if (node.empty() || node.contains(".")) {
    if (!path.empty()) out.Insert(path);
  }
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (it.key() == ".") continue;
    path.push_back(it.key());
    FromTree(*it, path, out);
    path.pop_back();
  }
}

}  // namespace

FieldSet FieldSet::Of(const json& obj, config::Kind kind, bool with_status) {
  FieldSet out;
  FieldPath path;
  std::vector<std::string> names;
  Walker(kind).Collect(Tracked(obj, with_status), path, names, out);
  return out;
}

FieldSet FieldSet::FromFieldsV1(const json& fields) {
  FieldSet out;
  FieldPath path;
  FromTree(fields, path, out);
  return out;
}

json FieldSet::ToFieldsV1() const {
  json root = json::object();
  for (const FieldPath& p : paths_) ToTree(p, root, paths_);
  // An interior field that is itself owned gets ".": {} (the set holds every interior field of
  // what a manager set, so this marks exactly the ones it holds).
  for (const FieldPath& p : paths_) {
    json* node = &root;
    for (const std::string& e : p) node = &(*node)[e];
    if (!node->empty() && !node->contains(".")) (*node)["."] = json::object();
  }
  return root;
}

bool FieldSet::ContainsPrefix(const FieldPath& p) const {
  auto it = paths_.lower_bound(p);
  if (it == paths_.end()) return false;
  if (it->size() < p.size()) return false;
  return std::equal(p.begin(), p.end(), it->begin());
}

FieldSet FieldSet::Intersect(const FieldSet& other) const {
  FieldSet out;
  std::set_intersection(paths_.begin(), paths_.end(), other.paths_.begin(), other.paths_.end(),
                        std::inserter(out.paths_, out.paths_.end()));
  return out;
}

FieldSet FieldSet::Minus(const FieldSet& other) const {
  FieldSet out;
  std::set_difference(paths_.begin(), paths_.end(), other.paths_.begin(), other.paths_.end(),
                      std::inserter(out.paths_, out.paths_.end()));
  return out;
}

FieldSet ChangedFields(const json& before, const json& after, config::Kind kind, bool with_status) {
  FieldSet out;
  FieldPath path;
  std::vector<std::string> names;
  json a = Tracked(before, with_status), b = Tracked(after, with_status);
  Walker(kind).Diff(&a, &b, path, names, out);
  return out;
}

json MergeApplied(const json& live, const json& applied, config::Kind kind) {
  json out = live;
  std::vector<std::string> names;
  Walker(kind).Merge(out, applied, names);
  return out;
}

void RemoveField(json& obj, const FieldPath& path, config::Kind kind) {
  std::vector<std::string> names;
  Walker(kind).Remove(obj, path, 0, names);
}

std::string FieldPathString(const FieldPath& path) {
  std::string out;
  for (const std::string& e : path) {
    if (e.rfind("f:", 0) == 0) {
      out += "." + e.substr(2);
    } else if (e.rfind("k:", 0) == 0) {
      json key = json::parse(e.substr(2), nullptr, false);
      std::string inner;
      if (key.is_object()) {
        for (auto it = key.begin(); it != key.end(); ++it) {
          if (!inner.empty()) inner += ",";
          inner +=
              it.key() + "=" + it->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        }
      }
      out += "[" + inner + "]";
    } else if (e.rfind("v:", 0) == 0) {
      out += "[=" + e.substr(2) + "]";
    } else {
      out += "." + e;
    }
  }
  return out;
}

}  // namespace canaryd::api

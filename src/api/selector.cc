#include "api/selector.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace canaryd::api {
namespace {

std::string Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

// Splits on commas that are not inside parentheses.
bool SplitTopLevel(const std::string& text, std::vector<std::string>* parts) {
  int depth = 0;
  std::string cur;
  for (char c : text) {
    if (c == '(') ++depth;
    if (c == ')' && --depth < 0) return false;
    if (c == ',' && depth == 0) {
      parts->push_back(Trim(cur));
      cur.clear();
      continue;
    }
    cur.push_back(c);
  }
  if (depth != 0) return false;
  parts->push_back(Trim(cur));
  return true;
}

bool ValidKey(const std::string& k) {
  if (k.empty() || k.size() > 317) return false;
  return std::all_of(k.begin(), k.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
           c == '/';
  });
}

bool ValidValue(const std::string& v) {
  if (v.size() > 63) return false;
  return std::all_of(v.begin(), v.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

}  // namespace

Result<LabelSelector> LabelSelector::Parse(const std::string& text) {
  LabelSelector sel;
  if (Trim(text).empty()) return sel;
  std::vector<std::string> parts;
  if (!SplitTopLevel(text, &parts)) {
    return InvalidArgument("unable to parse requirement: unbalanced parentheses");
  }
  for (const std::string& part : parts) {
    if (part.empty()) return InvalidArgument("unable to parse requirement: empty requirement");
    Requirement r;
    auto bad = [&](const std::string& why) {
      return InvalidArgument("unable to parse requirement \"" + part + "\": " + why);
    };
    size_t op_pos = part.find_first_of("=!<>");
    // Set-based: "key in (a,b)" / "key notin (a,b)".
    size_t paren = part.find('(');
    if (paren != std::string::npos) {
      std::string head = Trim(std::string_view(part).substr(0, paren));
      size_t space = head.find_last_of(" \t");
      if (space == std::string::npos) return bad("expected \"key in (values)\"");
      r.key = Trim(std::string_view(head).substr(0, space));
      std::string op = Trim(std::string_view(head).substr(space + 1));
      if (op == "in") {
        r.op = Op::kIn;
      } else if (op == "notin") {
        r.op = Op::kNotIn;
      } else {
        return bad("unknown operator \"" + op + "\"");
      }
      if (part.back() != ')') return bad("expected ')' at the end");
      std::string inner = part.substr(paren + 1, part.size() - paren - 2);
      size_t start = 0;
      while (true) {
        size_t comma = inner.find(',', start);
        std::string v = Trim(std::string_view(inner).substr(
            start, comma == std::string::npos ? std::string::npos : comma - start));
        if (!ValidValue(v)) return bad("invalid value \"" + v + "\"");
        r.values.push_back(v);
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    } else if (part[0] == '!') {
      r.key = Trim(std::string_view(part).substr(1));
      r.op = Op::kNotExists;
    } else if (op_pos == std::string::npos) {
      r.key = part;
      r.op = Op::kExists;
    } else {
      r.key = Trim(std::string_view(part).substr(0, op_pos));
      std::string rest = part.substr(op_pos);
      size_t skip = 1;
      if (rest.rfind("==", 0) == 0) {
        r.op = Op::kEquals;
        skip = 2;
      } else if (rest.rfind("!=", 0) == 0) {
        r.op = Op::kNotEquals;
        skip = 2;
      } else if (rest[0] == '=') {
        r.op = Op::kEquals;
      } else if (rest[0] == '>') {
        r.op = Op::kGreater;
      } else if (rest[0] == '<') {
        r.op = Op::kLess;
      } else {
        return bad("unknown operator");
      }
      std::string v = Trim(std::string_view(rest).substr(skip));
      if (!ValidValue(v)) return bad("invalid value \"" + v + "\"");
      if ((r.op == Op::kGreater || r.op == Op::kLess) &&
          (v.empty() || !std::all_of(v.begin(), v.end(), ::isdigit))) {
        return bad("the value of > and < must be an integer");
      }
      r.values.push_back(v);
    }
    if (!ValidKey(r.key)) return bad("invalid label key \"" + r.key + "\"");
    sel.requirements_.push_back(std::move(r));
  }
  return sel;
}

bool LabelSelector::Matches(const nlohmann::json& labels) const {
  for (const Requirement& r : requirements_) {
    const nlohmann::json* v = nullptr;
    if (labels.is_object()) {
      auto it = labels.find(r.key);
      if (it != labels.end() && it->is_string()) v = &*it;
    }
    std::string value = v ? v->get<std::string>() : "";
    bool in = v && std::find(r.values.begin(), r.values.end(), value) != r.values.end();
    switch (r.op) {
      case Op::kExists:
        if (!v) return false;
        break;
      case Op::kNotExists:
        if (v) return false;
        break;
      case Op::kEquals:
      case Op::kIn:
        if (!in) return false;
        break;
      case Op::kNotEquals:
      case Op::kNotIn:
        if (in) return false;
        break;
      case Op::kGreater:
      case Op::kLess: {
        if (!v || value.empty() || !std::all_of(value.begin(), value.end(), ::isdigit)) {
          return false;
        }
        long long a = std::atoll(value.c_str()), b = std::atoll(r.values[0].c_str());
        if (r.op == Op::kGreater ? !(a > b) : !(a < b)) return false;
        break;
      }
    }
  }
  return true;
}

Result<FieldSelector> FieldSelector::Parse(const std::string& text,
                                           std::span<const FieldLabel> labels) {
  FieldSelector sel;
  if (Trim(text).empty()) return sel;
  std::vector<std::string> parts;
  if (!SplitTopLevel(text, &parts)) return InvalidArgument("invalid field selector");
  for (const std::string& part : parts) {
    Term t;
    size_t pos = part.find("!=");
    size_t len = 2;
    t.negate = pos != std::string::npos;
    if (!t.negate) {
      pos = part.find("==");
      if (pos == std::string::npos) {
        pos = part.find('=');
        len = 1;
      }
    }
    if (pos == std::string::npos) {
      return InvalidArgument("invalid selector: '" + part + "'; can't understand '" + part + "'");
    }
    std::string field = Trim(std::string_view(part).substr(0, pos));
    t.value = Trim(std::string_view(part).substr(pos + len));
    if (field == "metadata.name") {
      t.field = Field::kName;
    } else if (field == "metadata.namespace") {
      t.field = Field::kNamespace;
    } else {
      auto it = std::find_if(labels.begin(), labels.end(),
                             [&](const FieldLabel& l) { return l.label == field; });
      if (it == labels.end()) return InvalidArgument("field label not supported: " + field);
      t.field = Field::kPath;
      t.path = std::string(it->path);
    }
    sel.terms_.push_back(std::move(t));
  }
  return sel;
}

bool FieldSelector::Matches(const std::string& name, const std::string& ns) const {
  for (const Term& t : terms_) {
    if (t.field == Field::kPath) continue;
    bool eq = (t.field == Field::kName ? name : ns) == t.value;
    if (eq == t.negate) return false;
  }
  return true;
}

bool FieldSelector::NeedsObject() const {
  return std::any_of(terms_.begin(), terms_.end(),
                     [](const Term& t) { return t.field == Field::kPath; });
}

bool FieldSelector::MatchesObject(const nlohmann::json& obj) const {
  for (const Term& t : terms_) {
    if (t.field != Field::kPath) continue;
    const nlohmann::json* cur = &obj;
    size_t start = 0;
    while (cur != nullptr && start <= t.path.size()) {
      size_t dot = t.path.find('.', start);
      std::string key = t.path.substr(start, dot == std::string::npos ? dot : dot - start);
      auto it = cur->is_object() ? cur->find(key) : cur->end();
      cur = cur->is_object() && it != cur->end() ? &*it : nullptr;
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    std::string value;
    if (cur != nullptr && cur->is_string()) {
      value = cur->get<std::string>();
    } else if (cur != nullptr && (cur->is_number() || cur->is_boolean())) {
      value = cur->dump();
    }
    if ((value == t.value) == t.negate) return false;
  }
  return true;
}

std::string FieldSelector::ExactName() const {
  for (const Term& t : terms_) {
    if (t.field == Field::kName && !t.negate) return t.value;
  }
  return "";
}

}  // namespace canaryd::api

#include "client/yaml_emitter.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <string_view>

namespace canaryd::client {
namespace {

using nlohmann::json;

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Numbers as YAML 1.1 and Go's strconv read them (ints with underscores, hex, octal, binary,
// floats, exponents, sexagesimal "1:30"). Errs on the side of quoting.
bool LooksNumeric(const std::string& s) {
  std::string t;
  for (char c : s) {
    if (c != '_') t.push_back(c);
  }
  std::string_view v = t;
  if (!v.empty() && (v[0] == '-' || v[0] == '+')) v.remove_prefix(1);
  if (v.empty() || std::isspace(static_cast<unsigned char>(v[0]))) return false;
  if (v.size() > 2 && v[0] == '0' && (v[1] == 'b' || v[1] == 'o' || v[1] == 'x')) return true;
  std::string copy(v);
  char* end = nullptr;
  std::strtod(copy.c_str(), &end);
  if (end != nullptr && *end == '\0' && end != copy.c_str()) return true;
  // Sexagesimal: digits separated by colons, optionally a fraction at the end.
  size_t colon = v.find(':');
  if (colon == std::string_view::npos) return false;
  std::string_view rest = v;
  while (!rest.empty()) {
    size_t c = rest.find(':');
    std::string_view part = rest.substr(0, c);
    if (c == std::string_view::npos) {
      size_t dot = part.find('.');
      return AllDigits(part.substr(0, dot)) &&
             (dot == std::string_view::npos || part.substr(dot + 1).empty() ||
              AllDigits(part.substr(dot + 1)));
    }
    if (!AllDigits(part)) return false;
    rest = rest.substr(c + 1);
  }
  return false;
}

// A YAML 1.1 timestamp starts with a date, YYYY-M-D (creationTimestamp is quoted for that).
bool LooksLikeDate(const std::string& s) {
  if (s.size() < 8 || !AllDigits(std::string_view(s).substr(0, 4)) || s[4] != '-') return false;
  size_t i = 5, d = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) && d < 2) ++i, ++d;
  if (d == 0 || i >= s.size() || s[i] != '-') return false;
  ++i;
  d = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) && d < 2) ++i, ++d;
  return d > 0 && (i == s.size() || s[i] == 'T' || s[i] == 't' || s[i] == ' ');
}

// Whether go-yaml (YAML 1.1 resolution) would read the plain scalar as a non-string.
bool ResolvesToNonString(const std::string& s) {
  static const char* kWords[] = {"y",     "Y",     "yes",   "Yes",   "YES",  "n",    "N",
                                 "no",    "No",    "NO",    "true",  "True", "TRUE", "false",
                                 "False", "FALSE", "on",    "On",    "ON",   "off",  "Off",
                                 "OFF",   "null",  "Null",  "NULL",  "~",    ".inf", ".Inf",
                                 ".INF",  "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN"};
  for (const char* w : kWords) {
    if (s == w) return true;
  }
  return LooksNumeric(s) || LooksLikeDate(s);
}

std::string DoubleQuoted(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02X", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string SingleQuoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

std::string Indent(int n) {
  return std::string(static_cast<size_t>(n), ' ');
}

std::string Scalar(const json& v, int indent) {
  switch (v.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::boolean:
      return v.get<bool>() ? "true" : "false";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    case json::value_t::string: {
      const std::string& s = v.get_ref<const std::string&>();
      if (s.find('\n') != std::string::npos) {
        bool printable = true;
        for (unsigned char c : s) printable &= c >= 0x20 || c == '\n';
        bool leading_space = !s.empty() && (s[0] == ' ' || s[0] == '\t');
        if (printable && !leading_space) {
          std::string out = "|";
          if (s.back() != '\n') {
            out += "-";
          } else if (s.size() >= 2 && s[s.size() - 2] == '\n') {
            out += "+";
          }
          size_t start = 0;
          std::string body = s;
          if (!body.empty() && body.back() == '\n') body.pop_back();
          while (start <= body.size()) {
            size_t nl = body.find('\n', start);
            std::string line =
                body.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
            out += "\n";
            if (!line.empty()) out += Indent(indent) + line;
            if (nl == std::string::npos) break;
            start = nl + 1;
          }
          return out;
        }
        return DoubleQuoted(s);
      }
      if (ResolvesToNonString(s)) return DoubleQuoted(s);
      if (!YamlPlainSafe(s)) {
        for (unsigned char c : s) {
          if (c < 0x20) return DoubleQuoted(s);
        }
        return SingleQuoted(s);
      }
      return s;
    }
    default:
      return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
}

void Emit(const json& v, int indent, std::string& out);

bool IsEmptyCollection(const json& v) {
  return (v.is_object() || v.is_array()) && v.empty();
}

void EmitMap(const json& v, int indent, std::string& out) {
  for (auto it = v.begin(); it != v.end(); ++it) {
    out += Indent(indent);
    std::string key = it.key();
    out += (YamlPlainSafe(key) && !ResolvesToNonString(key)) ? key : DoubleQuoted(key);
    out += ":";
    const json& child = *it;
    if (child.is_object() && !child.empty()) {
      out += "\n";
      EmitMap(child, indent + 2, out);
    } else if (child.is_array() && !child.empty()) {
      out += "\n";
      Emit(child, indent, out);
    } else if (IsEmptyCollection(child)) {
      out += child.is_object() ? " {}\n" : " []\n";
    } else {
      out += " " + Scalar(child, indent + 2) + "\n";
    }
  }
}

void EmitSeq(const json& v, int indent, std::string& out) {
  for (const json& item : v) {
    out += Indent(indent) + "-";
    if (item.is_object() && !item.empty()) {
      // The first entry goes on the dash's line; the others at indent + 2.
      std::string inner;
      EmitMap(item, indent + 2, inner);
      out += " " + inner.substr(static_cast<size_t>(indent + 2));
    } else if (item.is_array() && !item.empty()) {
      std::string inner;
      EmitSeq(item, indent + 2, inner);
      out += " " + inner.substr(static_cast<size_t>(indent + 2));
    } else if (IsEmptyCollection(item)) {
      out += item.is_object() ? " {}\n" : " []\n";
    } else {
      out += " " + Scalar(item, indent + 2) + "\n";
    }
  }
}

void Emit(const json& v, int indent, std::string& out) {
  if (v.is_object()) {
    if (v.empty()) {
      out += "{}\n";
    } else {
      EmitMap(v, indent, out);
    }
  } else if (v.is_array()) {
    if (v.empty()) {
      out += "[]\n";
    } else {
      EmitSeq(v, indent, out);
    }
  } else {
    out += Scalar(v, indent) + "\n";
  }
}

}  // namespace

bool YamlPlainSafe(const std::string& s) {
  if (s.empty()) return false;
  const char first = s[0];
  if (std::string_view("-?:,[]{}#&*!|>'\"%@`").find(first) != std::string_view::npos) {
    // "-x" and "?x" and ":x" are plain in YAML when followed by a non-space, but go-yaml quotes
    // them only when needed; keep it simple and quote the indicators that always need it.
    if (!((first == '-' || first == '?' || first == ':') && s.size() > 1 && s[1] != ' ')) {
      return false;
    }
  }
  if (s.front() == ' ' || s.back() == ' ' || s.back() == ':') return false;
  if (s.find(": ") != std::string::npos || s.find(" #") != std::string::npos) return false;
  if (s == "-" || s == "---" || s == "...") return false;
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

std::string ToYaml(const json& value) {
  std::string out;
  Emit(value, 0, out);
  return out;
}

}  // namespace canaryd::client

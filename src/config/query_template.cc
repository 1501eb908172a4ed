#include "config/query_template.h"

#include <algorithm>

namespace canaryd::config {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Calls on_text(text) and on_name(name) for the pieces of `tmpl` in order; false with *error
// when a "{{" is not closed or holds nothing, or when on_name returns false.
template <class Text, class Name>
bool Walk(std::string_view tmpl, std::string* error, Text on_text, Name on_name) {
  size_t pos = 0;
  while (pos < tmpl.size()) {
    size_t open = tmpl.find("{{", pos);
    if (open == std::string_view::npos) {
      on_text(tmpl.substr(pos));
      break;
    }
    on_text(tmpl.substr(pos, open - pos));
    size_t close = tmpl.find("}}", open + 2);
    if (close == std::string_view::npos) {
      *error = "\"{{\" at offset " + std::to_string(open) + " is not closed by \"}}\"";
      return false;
    }
    std::string_view name = Trim(tmpl.substr(open + 2, close - open - 2));
    if (name.empty()) {
      *error = "empty placeholder \"{{}}\" at offset " + std::to_string(open);
      return false;
    }
    if (!on_name(name)) return false;
    pos = close + 2;
  }
  return true;
}

}  // namespace

std::optional<std::string> RenderQueryTemplate(std::string_view tmpl,
                                               const std::map<std::string, std::string>& vars,
                                               std::string* error) {
  std::string out;
  bool ok = Walk(
      tmpl, error, [&](std::string_view text) { out += text; },
      [&](std::string_view name) {
        auto it = vars.find(std::string(name));
        if (it == vars.end()) {
          *error = "unknown placeholder \"{{ " + std::string(name) + " }}\"";
          return false;
        }
        // A value goes in verbatim: one that could end a PromQL string would change the query.
        if (it->second.find_first_of("\"\\`\n\r") != std::string::npos) {
          *error = "the value of \"{{ " + std::string(name) +
                   " }}\" holds a quote, backslash or line break";
          return false;
        }
        out += it->second;
        return true;
      });
  if (!ok) return std::nullopt;
  return out;
}

std::string CheckQueryTemplate(std::string_view tmpl, std::span<const std::string_view> known) {
  std::string error;
  Walk(
      tmpl, &error, [](std::string_view) {},
      [&](std::string_view name) {
        if (std::find(known.begin(), known.end(), name) != known.end()) return true;
        std::string list;
        for (std::string_view k : known) list += (list.empty() ? "" : ", ") + std::string(k);
        error = "unknown placeholder \"{{ " + std::string(name) + " }}\" (known: " + list + ")";
        return false;
      });
  return error;
}

}  // namespace canaryd::config

#include "client/printer.h"

#include <algorithm>
#include <cctype>
#include <vector>

namespace canaryd::client {
namespace {

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string CellText(const json& c) {
  if (c.is_null()) return "<none>";
  if (c.is_string()) return c.get<std::string>();
  if (c.is_boolean()) return c.get<bool>() ? "true" : "false";
  return c.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string PrintTable(const json& table, bool wide, bool with_namespace) {
  const json& cols = table.value("columnDefinitions", json::array());
  const json& rows = table.value("rows", json::array());
  std::vector<size_t> shown;
  for (size_t i = 0; i < cols.size(); ++i) {
    if (wide || cols[i].value("priority", 0) == 0) shown.push_back(i);
  }
  std::vector<std::vector<std::string>> lines;
  std::vector<std::string> header;
  if (with_namespace) header.push_back("NAMESPACE");
  for (size_t i : shown) header.push_back(Upper(cols[i].value("name", "")));
  lines.push_back(header);
  for (const json& row : rows) {
    std::vector<std::string> line;
    if (with_namespace) {
      std::string ns;
      if (row.contains("object") && row["object"].contains("metadata")) {
        ns = row["object"]["metadata"].value("namespace", "");
      }
      line.push_back(ns);
    }
    const json& cells = row.value("cells", json::array());
    for (size_t i : shown) line.push_back(i < cells.size() ? CellText(cells[i]) : "");
    lines.push_back(std::move(line));
  }
  std::vector<size_t> width(header.size(), 0);
  for (const auto& l : lines) {
    for (size_t i = 0; i < l.size(); ++i) width[i] = std::max(width[i], l[i].size());
  }
  std::string out;
  for (const auto& l : lines) {
    std::string line;
    for (size_t i = 0; i < l.size(); ++i) {
      line += l[i];
      if (i + 1 < l.size()) line += std::string(width[i] - l[i].size() + 3, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

std::string FormatError(long status, const std::string& body) {
  json s = json::parse(body, nullptr, false);
  if (s.is_discarded() || !s.is_object() || s.value("kind", "") != "Status") {
    return "error: the server answered " + std::to_string(status) + ": " + body;
  }
  std::string reason = s.value("reason", "");
  std::string message = s.value("message", "");
  if (reason == "Invalid" && s.contains("details") && s["details"].is_object()) {
    const json& d = s["details"];
    std::string out =
        "The " + d.value("kind", "object") + " \"" + d.value("name", "") + "\" is invalid";
    if (d.contains("causes") && d["causes"].is_array() && !d["causes"].empty()) {
      std::vector<std::string> causes;
      for (const json& c : d["causes"]) {
        std::string field = c.value("field", "");
        causes.push_back(field.empty() ? c.value("message", "")
                                       : field + ": " + c.value("message", ""));
      }
      out += ": ";
      if (causes.size() == 1) {
        out += causes[0];
      } else {
        out += "[";
        for (size_t i = 0; i < causes.size(); ++i) out += (i ? ", " : "") + causes[i];
        out += "]";
      }
    }
    return out;
  }
  if (reason.empty()) reason = "Unknown";
  return "Error from server (" + reason + "): " + message;
}

std::string DisplayName(const config::KindInfo& kind, const std::string& name) {
  std::string out(kind.singular);
  if (!kind.group.empty()) out += "." + std::string(kind.group);
  return out + "/" + name;
}

std::string QuotedName(const config::KindInfo& kind, const std::string& name) {
  std::string out(kind.singular);
  if (!kind.group.empty()) out += "." + std::string(kind.group);
  return out + " \"" + name + "\"";
}

}  // namespace canaryd::client

// Conversions between JSON values (nlohmann::json, what the API stores and sends) and
// config::Node (what the strict decoder reads), and YAML text to JSON. Pure functions: any
// thread.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "config/node.h"

namespace canaryd::api {

config::Node JsonToNode(const nlohmann::json& j);
nlohmann::json NodeToJson(const config::Node& n);

// Parses one JSON or YAML document (YAML is a superset of JSON) into JSON. On failure returns
// nullopt and sets *error to a message with the line and column.
std::optional<nlohmann::json> ParseYamlOrJson(std::string_view text, std::string* error);

// Parses JSON text strictly: no comments, no trailing garbage, no key repeated within an object
// (as the YAML reader refuses one: json::parse would keep the last silently), at most 100 levels
// of nesting. nullopt on failure, with *error saying where ("line L, column C: ...").
std::optional<nlohmann::json> ParseJson(std::string_view text, std::string* error);

}  // namespace canaryd::api

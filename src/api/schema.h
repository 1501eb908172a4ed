// OpenAPI v3 schemas of canaryd's resource types, generated from the same Describe()
// descriptions the strict decoder walks (config/reflect.h), so the schema kubectl reads and the
// decoder that enforces it cannot disagree. SchemaVisitor is the visitor; SchemaOf<T>() the
// entry point. Header-only, pure functions: any thread.
#pragma once

#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <type_traits>

#include "config/reflect.h"

namespace canaryd::api {

template <class T>
nlohmann::json SchemaOf(const config::FieldOptions& options = {});

// A field's description for `kubectl explain`: its documentation, then what canaryd does not
// serve of it (from the same not_served flag the decoder warns with) and whether it is
// deprecated.
inline std::string FieldDescription(const config::FieldOptions& options) {
  std::string out = options.doc ? options.doc : "";
  if (options.deprecated) out += out.empty() ? "Deprecated." : " Deprecated.";
  if (options.not_served != nullptr) {
    std::string note = "Not served by canaryd yet: ";
    if (options.not_served_values.empty()) {
      note += "the field is accepted and ignored, with a warning.";
    } else {
      for (size_t i = 0; i < options.not_served_values.size(); ++i) {
        std::string_view v = options.not_served_values[i];
        if (i > 0) note += ", ";
        note += v.back() == '*' ? std::string(v.substr(0, v.size() - 1)) + "..." : std::string(v);
      }
      note += options.not_served_values.size() == 1 ? " is" : " are";
      note += " accepted and ignored, with a warning.";
    }
    out += out.empty() ? note : " " + note;
  }
  return out;
}

// Collects the properties and required fields of one described struct.
struct SchemaVisitor {
  nlohmann::json properties = nlohmann::json::object();
  nlohmann::json required = nlohmann::json::array();

  template <class F>
  void operator()(const char* name, F&, const config::FieldOptions& options = {}) {
    nlohmann::json s = SchemaOf<F>(options);
    std::string description = FieldDescription(options);
    if (auto it = s.find("description"); it != s.end()) {
      description += " " + it->get<std::string>();  // what the type adds (a duration's form)
    }
    s["description"] = std::move(description);
    properties[name] = std::move(s);
    if (options.required) required.push_back(name);
  }
};

template <class T>
nlohmann::json SchemaOf(const config::FieldOptions& options) {
  using nlohmann::json;
  using namespace config;
  if constexpr (IsOptional<T>::value) {
    return SchemaOf<typename T::value_type>(options);
  } else if constexpr (std::is_same_v<T, std::string>) {
    json s = {{"type", "string"}};
    if (!options.enum_values.empty()) {
      json values = json::array();
      for (std::string_view v : options.enum_values) values.push_back(std::string(v));
      s["enum"] = std::move(values);
    }
    return s;
  } else if constexpr (std::is_same_v<T, bool>) {
    return {{"type", "boolean"}};
  } else if constexpr (std::is_integral_v<T>) {
    json s = {{"type", "integer"}, {"format", sizeof(T) <= 4 ? "int32" : "int64"}};
    if constexpr (std::is_unsigned_v<T>) {
      s["minimum"] = 0;
      if constexpr (sizeof(T) <= 4) s["maximum"] = std::numeric_limits<T>::max();
    }
    return s;
  } else if constexpr (std::is_floating_point_v<T>) {
    return {{"type", "number"}, {"format", "double"}};
  } else if constexpr (std::is_same_v<T, Duration>) {
    return {{"type", "string"}, {"description", "A duration such as 1.5s, 100ms or 1h2m."}};
  } else if constexpr (std::is_same_v<T, IntOrString>) {
    return {{"x-kubernetes-int-or-string", true},
            {"anyOf", json::array({{{"type", "integer"}}, {{"type", "string"}}})}};
  } else if constexpr (std::is_same_v<T, Node>) {
    return {{"x-kubernetes-preserve-unknown-fields", true}};
  } else if constexpr (IsVector<T>::value) {
    return {{"type", "array"}, {"items", SchemaOf<typename T::value_type>(options)}};
  } else if constexpr (IsStringMap<T>::value) {
    return {{"type", "object"}, {"additionalProperties", SchemaOf<typename T::mapped_type>()}};
  } else {
    static_assert(Described<T>, "a field type needs a Describe() overload");
    T value{};
    SchemaVisitor v;
    Describe(v, value);
    json s = {{"type", "object"}, {"properties", std::move(v.properties)}};
    if (!v.required.empty()) s["required"] = std::move(v.required);
    return s;
  }
}

}  // namespace canaryd::api

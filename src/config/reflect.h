// The field-description vocabulary of canaryd's resource types. Each type has a
// `template <class V> void Describe(V& v, T& t)` that calls `v("jsonName", t.member, options)`
// once per field; the strict decoder, the OpenAPI schema generator and anything else that
// needs to walk a type's fields are visitors over the same description, so there is one
// definition of every kind. Header-only; no state.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/node.h"

namespace canaryd::config {

using EnumValues = std::span<const std::string_view>;

struct FieldOptions {
  // What the field means, for `kubectl explain` (the OpenAPI schema); every field has one.
  const char* doc = nullptr;
  bool required = false;
  EnumValues enum_values = {};  // non-empty: the string must be one of these
  bool deprecated = false;
  // Set while canaryd decodes and validates the field but does not act on it: names what is
  // ignored ("fault injection"). The decoder warns wherever a document sets the field (see
  // NotServedMessage) and the schema says so; serving the field is removing this.
  const char* not_served = nullptr;
  // With not_served: only these values are not served (compared case-insensitively; an entry
  // ending in '*' is a prefix), the field itself is.
  EnumValues not_served_values = {};
};

// The warning for a field that is set but not served: `what` is FieldOptions::not_served, `value`
// the offending value when only some values are not served.
inline std::string NotServedMessage(std::string_view what, std::string_view value = {}) {
  if (value.empty()) {
    return std::string(what) + " is not served yet; the field is accepted and ignored";
  }
  return std::string(what) + " (\"" + std::string(value) +
         "\") is not served yet; it is accepted and ignored";
}

// A protobuf Duration as Istio writes it in YAML: "1.5s", "100ms", "1h2m".
struct Duration {
  int64_t nanos = 0;
  std::string text;  // as written, for messages and round trips
  friend bool operator==(const Duration& a, const Duration& b) { return a.nanos == b.nanos; }
};

// Kubernetes IntOrString (Service targetPort): a port number or a port name.
struct IntOrString {
  bool is_int = false;
  int64_t int_value = 0;
  std::string string_value;
};

// A value kept as written (google.protobuf.Struct, status): any JSON.
using AnyValue = Node;

// Traits that say how a C++ member type maps to a JSON type.
template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};
template <class T>
struct IsVector : std::false_type {};
template <class T>
struct IsVector<std::vector<T>> : std::true_type {};
template <class T>
struct IsStringMap : std::false_type {};
template <class T>
struct IsStringMap<std::map<std::string, T>> : std::true_type {};

// A message type: one that has a Describe overload.
template <class T>
concept Described = requires(T& t) {
  Describe(std::declval<struct DescribeProbe&>(), t);
};

struct DescribeProbe {
  template <class F>
  void operator()(const char*, F&, const FieldOptions& = {}) {}
};

}  // namespace canaryd::config

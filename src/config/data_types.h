// Typed structs for core/v1 ConfigMap and Secret, whose fields sit beside metadata (no spec).
// Byte maps (ConfigMap binaryData, Secret data) hold the base64 text as written; validation
// checks it decodes. Plain data, see reflect.h.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "config/reflect.h"

namespace canaryd::config {

struct ConfigMapBody {
  std::map<std::string, std::string> data;
  std::map<std::string, std::string> binary_data;  // base64
  std::optional<bool> immutable;
};
template <class V>
void Describe(V& v, ConfigMapBody& t) {
  v("data", t.data);
  v("binaryData", t.binary_data);
  v("immutable", t.immutable);
}

// The Secret types Kubernetes gives rules to (kubernetes.io/...); any other type is the
// user's own and only needs to be a non-empty string.
inline constexpr std::string_view kSecretTypeOpaque = "Opaque";

struct SecretBody {
  std::map<std::string, std::string> data;         // base64
  std::map<std::string, std::string> string_data;  // plain text; merged into data on write
  std::optional<std::string> type;
  std::optional<bool> immutable;
};
template <class V>
void Describe(V& v, SecretBody& t) {
  v("data", t.data);
  v("stringData", t.string_data);
  v("type", t.type);
  v("immutable", t.immutable);
}

}  // namespace canaryd::config

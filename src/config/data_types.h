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
  v("data", t.data, {.doc = "Configuration values by key, as UTF-8 text."});
  v("binaryData", t.binary_data,
    {.doc = "Configuration values by key, as base64 of any bytes; a key may not be in data too."});
  v("immutable", t.immutable,
    {.doc = "When true, data and binaryData can no longer be changed (the object can only be "
            "deleted)."});
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
  v("data", t.data, {.doc = "Secret values by key, as base64 of any bytes."});
  v("stringData", t.string_data,
    {.doc = "Secret values by key as plain text, for writing only: merged into data (base64) on "
            "write and never stored or returned."});
  v("type", t.type,
    {.doc = "What the secret holds (Opaque by default, or one of Kubernetes' kubernetes.io/ types, "
            "whose required keys are checked)."});
  v("immutable", t.immutable,
    {.doc = "When true, data can no longer be changed (the object can only be deleted)."});
}

}  // namespace canaryd::config

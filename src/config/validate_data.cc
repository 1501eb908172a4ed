// core/v1 ConfigMap and Secret rules, after Kubernetes' apis/core/validation: keys are config
// keys, byte values are base64 (Go's decoder, its offsets), at most 1 MiB of data in all, and a
// Secret of one of Kubernetes' types has the keys that type needs.
#include <cctype>
#include <nlohmann/json.hpp>

#include "common/base64.h"
#include "config/validate_kinds.h"

namespace canaryd::config {
namespace {

constexpr size_t kMaxDataBytes = 1 << 20;  // Kubernetes' MaxSecretSize and MaxConfigMapSize

std::string Quoted(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

// Kubernetes' IsConfigMapKey.
std::string CheckConfigKey(std::string_view key) {
  if (key.size() > 253) return "must be no more than 253 characters";
  bool ok = !key.empty();
  for (char ch : key) {
    ok =
        ok && (std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.');
  }
  if (!ok) {
    return "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. "
           "'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "
           "'[-._a-zA-Z0-9]+')";
  }
  if (key == ".") return "must not be '.'";
  if (key == "..") return "must not be '..'";
  if (key.substr(0, 2) == "..") return "must not start with '..'";
  return "";
}

void CheckKeys(Checker& c, std::string_view field, const std::map<std::string, std::string>& m) {
  auto scope = c.path().Field(field);
  for (const auto& [key, value] : m) {
    if (std::string why = CheckConfigKey(key); !why.empty()) {
      auto k = c.path().Key(key);
      c.Error("Invalid value: " + Quoted(key) + ": " + why);
    }
  }
}

// Decodes each value; returns the total of the decoded sizes.
size_t CheckBase64(Checker& c, std::string_view field,
                   const std::map<std::string, std::string>& m) {
  auto scope = c.path().Field(field);
  size_t total = 0;
  for (const auto& [key, value] : m) {
    size_t offset = 0;
    if (std::optional<std::string> bytes = Base64Decode(value, &offset)) {
      total += bytes->size();
    } else {
      auto k = c.path().Key(key);
      c.Error(Base64ErrorMessage(offset));
    }
  }
  return total;
}

void CheckSize(Checker& c, std::string_view field, size_t total) {
  if (total > kMaxDataBytes) {
    c.ErrorAt(field, "Too long: must have at most " + std::to_string(kMaxDataBytes) + " bytes");
  }
}

void RequireKey(Checker& c, const SecretBody& s, const std::string& key) {
  if (s.data.count(key) || s.string_data.count(key)) return;
  auto scope = c.path().Field("data");
  auto k = c.path().Key(key);
  c.Error("Required value");
}

// The decoded value of `key` (data, else stringData), or nullopt.
std::optional<std::string> Value(const SecretBody& s, const std::string& key) {
  if (auto it = s.string_data.find(key); it != s.string_data.end()) return it->second;
  if (auto it = s.data.find(key); it != s.data.end()) {
    size_t offset = 0;
    return Base64Decode(it->second, &offset);
  }
  return std::nullopt;
}

void RequireJson(Checker& c, const SecretBody& s, const std::string& key) {
  std::optional<std::string> v = Value(s, key);
  if (!v) return RequireKey(c, s, key);
  if (!nlohmann::json::accept(*v)) {
    auto scope = c.path().Field("data");
    auto k = c.path().Key(key);
    c.Error("Invalid value: \"<secret contents redacted>\": not valid JSON");
  }
}

}  // namespace

void ValidateConfigMap(Checker& c, const ConfigMapBody& cm) {
  CheckKeys(c, "data", cm.data);
  CheckKeys(c, "binaryData", cm.binary_data);
  size_t total = 0;
  for (const auto& [key, value] : cm.data) total += value.size();
  for (const auto& [key, value] : cm.binary_data) {
    if (cm.data.count(key)) {
      auto scope = c.path().Field("binaryData");
      auto k = c.path().Key(key);
      c.Error("Invalid value: " + Quoted(key) + ": duplicate of key present in data");
    }
  }
  total += CheckBase64(c, "binaryData", cm.binary_data);
  CheckSize(c, "data", total);
}

void ValidateSecret(Checker& c, const SecretBody& s, const ObjectMeta& meta) {
  CheckKeys(c, "data", s.data);
  CheckKeys(c, "stringData", s.string_data);
  size_t total = CheckBase64(c, "data", s.data);
  for (const auto& [key, value] : s.string_data) {
    if (!s.data.count(key)) total += value.size();
  }
  CheckSize(c, "data", total);
  const std::string type = s.type.value_or(std::string(kSecretTypeOpaque));
  if (type.empty()) c.ErrorAt("type", "Required value");
  if (type == "kubernetes.io/service-account-token") {
    if (!meta.annotations.count("kubernetes.io/service-account.name")) {
      c.ErrorAt("metadata.annotations[kubernetes.io/service-account.name]", "Required value");
    }
  } else if (type == "kubernetes.io/dockercfg") {
    RequireJson(c, s, ".dockercfg");
  } else if (type == "kubernetes.io/dockerconfigjson") {
    RequireJson(c, s, ".dockerconfigjson");
  } else if (type == "kubernetes.io/basic-auth") {
    if (!Value(s, "username") && !Value(s, "password")) {
      RequireKey(c, s, "username");
      RequireKey(c, s, "password");
    }
  } else if (type == "kubernetes.io/ssh-auth") {
    RequireKey(c, s, "ssh-privatekey");
  } else if (type == "kubernetes.io/tls") {
    RequireKey(c, s, "tls.crt");
    RequireKey(c, s, "tls.key");
  }
}

}  // namespace canaryd::config

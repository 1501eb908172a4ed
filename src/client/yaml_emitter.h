// ToYaml: JSON to YAML text in the style `kubectl get -o yaml` prints (sigs.k8s.io/yaml over
// go-yaml): keys in sorted order, two-space indentation, sequence items at their key's
// indentation, strings quoted only when they would otherwise read as something else, multi-line
// strings as literal blocks. Pure function: any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace canaryd::client {

std::string ToYaml(const nlohmann::json& value);

// Whether a string may be written without quotes (exposed for tests).
bool YamlPlainSafe(const std::string& s);

}  // namespace canaryd::client

// Kubernetes' protobuf encoding, read just far enough for the one request kubectl sends as
// protobuf that canaryd serves: `kubectl create namespace` (client-go's typed clients encode
// bodies as protobuf and do not fall back to JSON). Decodes a Namespace's metadata (name,
// generateName, labels, annotations) into JSON; anything else is refused with 415. Pure
// function: any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace canaryd::api {

// The Namespace in a "k8s\0"-prefixed protobuf body, or nullopt when it is not one.
std::optional<nlohmann::json> DecodeProtobufNamespace(const std::string& body);

}  // namespace canaryd::api

// Kubernetes' protobuf encoding of request bodies ("k8s\0" + runtime.Unknown{typeMeta, raw}),
// which kubectl's typed clients send and never fall back from: `kubectl create namespace`,
// `create service clusterip|nodeport|loadbalancer|externalname`, `create configmap`,
// `create secret`, `create deployment` and `kubectl auth can-i` (core/v1 Pod too, which typed
// clients send; kubectl 1.32's `run` sends JSON). Decodes the messages of the kinds canaryd
// serves, field by field after the field numbers of Kubernetes' generated.proto, into the JSON
// object the same request would carry as JSON: zero values of plain fields omitted, as Go's
// omitempty does; an embedded message that is present kept even when empty, as Go keeps structs
// (`resources: {}`), and a zero Time null (`creationTimestamp: null`); inline structs' fields
// merged into their parent's; bytes as base64. A field it does not know, or one whose wire type
// does not fit, is an error: nothing is dropped silently. Pure function: any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/status.h"

namespace canaryd::api {

// The object in a protobuf body. NotFound when the body is not Kubernetes' protobuf of a kind
// canaryd decodes; InvalidArgument (with the field) when it holds something canaryd does not
// understand or is malformed.
Result<nlohmann::json> DecodeProtobufBody(const std::string& body);

}  // namespace canaryd::api

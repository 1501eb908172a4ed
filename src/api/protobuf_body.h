// Kubernetes' protobuf encoding of request bodies ("k8s\0" + runtime.Unknown{typeMeta, raw}),
// which kubectl's typed clients send and never fall back from: `kubectl create namespace`,
// `create service clusterip|nodeport|loadbalancer|externalname`, `create configmap`,
// `create secret` and `kubectl auth can-i`. Decodes the messages of the kinds canaryd serves,
// field by field after the field numbers of Kubernetes' generated.proto, into the JSON object
// the same request would carry as JSON (zero values of plain fields omitted, as Go's omitempty
// does; bytes as base64). A field it does not know, or one whose wire type does not fit, is an
// error: nothing is dropped silently. Pure function: any thread.
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

// events.k8s.io/v1 Event and core/v1 Event are one object in two shapes, as in Kubernetes:
// canaryd stores the core/v1 form and converts on the way in and out (regarding is
// involvedObject, note is message, reportingController is reportingComponent, the deprecated*
// fields are source, firstTimestamp, lastTimestamp and count). Pure functions: any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace canaryd::api {

// The events.k8s.io/v1 shape of a stored (core/v1) event. apiVersion and kind are left to the
// caller.
nlohmann::json EventsV1FromCore(const nlohmann::json& core);

// The core/v1 shape of an events.k8s.io/v1 event; nullopt when it holds a field only core/v1
// has (its name in *unknown_field), which events.k8s.io/v1 does not know.
std::optional<nlohmann::json> CoreFromEventsV1(const nlohmann::json& v1,
                                               std::string* unknown_field);

// A field path of the stored shape under events.k8s.io/v1's names ("message" -> "note",
// "involvedObject.name" -> "regarding.name"), for messages about an events.k8s.io/v1 write.
std::string EventsV1FieldPath(const std::string& core_path);

}  // namespace canaryd::api

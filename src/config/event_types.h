// Typed structs for core/v1 Event, the form in which canaryd stores events (events.k8s.io/v1
// Event is the same object with other field names; the API converts). Its fields sit beside
// metadata (no spec). Timestamps are RFC 3339 text (eventTime and series.lastObservedTime with
// microseconds). Plain data, see reflect.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "config/reflect.h"

namespace canaryd::config {

struct ObjectReference {
  std::optional<std::string> kind;
  std::optional<std::string> namespace_;
  std::optional<std::string> name;
  std::optional<std::string> uid;
  std::optional<std::string> api_version;
  std::optional<std::string> resource_version;
  std::optional<std::string> field_path;
};
template <class V>
void Describe(V& v, ObjectReference& t) {
  v("kind", t.kind, {.doc = "The kind of the object referred to."});
  v("namespace", t.namespace_, {.doc = "The namespace of the object referred to."});
  v("name", t.name, {.doc = "The name of the object referred to."});
  v("uid", t.uid, {.doc = "The uid of the object referred to."});
  v("apiVersion", t.api_version, {.doc = "The API version of the object referred to."});
  v("resourceVersion", t.resource_version,
    {.doc = "The resourceVersion of the object when the event happened."});
  v("fieldPath", t.field_path,
    {.doc = "The part of the object the event concerns, such as a container, as a field path."});
}

struct EventSource {
  std::optional<std::string> component;
  std::optional<std::string> host;
};
template <class V>
void Describe(V& v, EventSource& t) {
  v("component", t.component, {.doc = "The component that reported the event."});
  v("host", t.host, {.doc = "The host on which the reporting component runs."});
}

struct EventSeries {
  std::optional<int32_t> count;
  std::optional<std::string> last_observed_time;
};
template <class V>
void Describe(V& v, EventSeries& t) {
  v("count", t.count, {.doc = "How many times the event has happened in this series."});
  v("lastObservedTime", t.last_observed_time,
    {.doc = "When the event was last seen in this series (RFC 3339 with microseconds)."});
}

struct EventBody {
  ObjectReference involved_object;
  std::optional<std::string> reason;
  std::optional<std::string> message;
  std::optional<EventSource> source;
  std::optional<std::string> first_timestamp;
  std::optional<std::string> last_timestamp;
  std::optional<int32_t> count;
  std::optional<std::string> type;
  std::optional<std::string> event_time;
  std::optional<EventSeries> series;
  std::optional<std::string> action;
  std::optional<ObjectReference> related;
  std::optional<std::string> reporting_component;
  std::optional<std::string> reporting_instance;
};
template <class V>
void Describe(V& v, EventBody& t) {
  v("involvedObject", t.involved_object, {.doc = "The object the event is about."});
  v("reason", t.reason, {.doc = "A short machine-readable reason for the event, in CamelCase."});
  v("message", t.message, {.doc = "A human-readable description of what happened."});
  v("source", t.source, {.doc = "The component (and host) that reported the event."});
  v("firstTimestamp", t.first_timestamp, {.doc = "When the event was first recorded."});
  v("lastTimestamp", t.last_timestamp, {.doc = "When the event was most recently recorded."});
  v("count", t.count, {.doc = "How many times the event has happened."});
  v("type", t.type, {.doc = "Normal or Warning."});
  v("eventTime", t.event_time,
    {.doc = "When the event first happened (RFC 3339 with microseconds)."});
  v("series", t.series, {.doc = "For an event that repeats: how often and when last."});
  v("action", t.action, {.doc = "What was done, or failed, about the object."});
  v("related", t.related, {.doc = "A second object the event concerns, if any."});
  v("reportingComponent", t.reporting_component,
    {.doc = "The controller that emitted the event, such as canaryd.io/rollout."});
  v("reportingInstance", t.reporting_instance,
    {.doc = "The instance of the controller that emitted the event."});
}

}  // namespace canaryd::config

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
  v("kind", t.kind);
  v("namespace", t.namespace_);
  v("name", t.name);
  v("uid", t.uid);
  v("apiVersion", t.api_version);
  v("resourceVersion", t.resource_version);
  v("fieldPath", t.field_path);
}

struct EventSource {
  std::optional<std::string> component;
  std::optional<std::string> host;
};
template <class V>
void Describe(V& v, EventSource& t) {
  v("component", t.component);
  v("host", t.host);
}

struct EventSeries {
  std::optional<int32_t> count;
  std::optional<std::string> last_observed_time;
};
template <class V>
void Describe(V& v, EventSeries& t) {
  v("count", t.count);
  v("lastObservedTime", t.last_observed_time);
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
  v("involvedObject", t.involved_object);
  v("reason", t.reason);
  v("message", t.message);
  v("source", t.source);
  v("firstTimestamp", t.first_timestamp);
  v("lastTimestamp", t.last_timestamp);
  v("count", t.count);
  v("type", t.type);
  v("eventTime", t.event_time);
  v("series", t.series);
  v("action", t.action);
  v("related", t.related);
  v("reportingComponent", t.reporting_component);
  v("reportingInstance", t.reporting_instance);
}

}  // namespace canaryd::config

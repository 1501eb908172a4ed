// Watch: streams the changes of one kind (in one namespace or all) as Kubernetes watch events,
// one JSON object per line ({"type":"ADDED","object":{...}}), from a store watch into a
// ResponseStream. Without a resourceVersion (or with "0") the current objects come first as
// ADDED events, as Kubernetes does; with one, every change after it; a compacted one gets an
// ERROR event with a 410 Expired Status, after which clients list again. The objects are
// Tables when kubectl asked for them (kubectl get -w). Thread-safe: events are produced on the
// store's writing threads and only queued there.
#pragma once

#include <memory>
#include <string>

#include "api/http_message.h"
#include "api/object_service.h"
#include "api/selector.h"
#include "api/table.h"

namespace canaryd::api {

struct WatchRequest {
  Target target;
  std::string resource_version;  // "" or "0": start with the current objects
  LabelSelector labels;
  FieldSelector fields;
  bool as_table = false;
  IncludeObject include = IncludeObject::kMetadata;
  int64_t timeout_seconds = 0;  // 0: until the client goes
};

// Starts the watch and returns the streaming response (or an error response).
HttpResponse StartWatch(ObjectService& service, WatchRequest request);

}  // namespace canaryd::api

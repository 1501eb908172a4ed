#include "api/watch.h"

#include <mutex>

#include "api/object_util.h"

namespace canaryd::api {
namespace {

const char* TypeName(store::EventType t) {
  switch (t) {
    case store::EventType::kAdded:
      return "ADDED";
    case store::EventType::kModified:
      return "MODIFIED";
    case store::EventType::kDeleted:
      return "DELETED";
  }
  return "ERROR";
}

// Turns store events into watch lines. Shared between the stream's producer threads.
class Watcher {
 public:
  Watcher(ObjectService& service, WatchRequest request, std::shared_ptr<ResponseStream> stream)
      : service_(service), req_(std::move(request)), stream_(std::move(stream)) {}

  void Send(const char* type, const store::StoredObject& o) {
    if (!req_.fields.Matches(o.key.name, o.key.namespace_)) return;
    if (service_.SystemObjectAt(o.key) != nullptr) return;  // shadowed by the system object
    SendObject(type, service_.Present(o, *req_.target.kind, req_.target.version), o.mod_revision);
  }

  void SendSystem(const SystemObject& o) {
    if (!req_.fields.Matches(o.key.name, o.key.namespace_)) return;
    SendObject("ADDED", o.object, o.revision);
  }

  void SendObject(const char* type, json obj, int64_t revision) {
    if (req_.fields.NeedsObject() && !req_.fields.MatchesObject(obj)) return;
    if (!req_.labels.empty() && !req_.labels.Matches(MetaMap(obj, "labels"))) return;
    json event;
    event["type"] = type;
    if (req_.as_table) {
      bool first = false;
      {
        std::lock_guard<std::mutex> lock(mu_);
        first = !sent_columns_;
        sent_columns_ = true;
      }
      event["object"] = MakeTable(*req_.target.kind, {obj}, std::to_string(revision),
                                  service_.clock().WallNanos(), req_.include, first);
    } else {
      event["object"] = std::move(obj);
    }
    stream_->Send(event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  }

  void SendError(const ApiError& e) {
    json event = {{"type", "ERROR"}, {"object", e.ToStatus()}};
    stream_->Send(event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  }

 private:
  ObjectService& service_;
  const WatchRequest req_;
  std::shared_ptr<ResponseStream> stream_;
  std::mutex mu_;
  bool sent_columns_ = false;  // guarded by mu_
};

}  // namespace

HttpResponse StartWatch(ObjectService& service, WatchRequest request) {
  auto stream = std::make_shared<ResponseStream>();
  HttpResponse resp;
  resp.status = 200;
  resp.SetHeader("Content-Type", "application/json");
  resp.stream = stream;
  if (request.timeout_seconds > 0) stream->CloseAfter(request.timeout_seconds * 1000);

  const Target target = request.target;
  const store::Selector selector{StoreKind(*target.kind), target.kind->namespaced ? target.ns : ""};
  const std::vector<const SystemObject*> system = service.SystemObjectsOf(target);
  const std::string rv = request.resource_version;
  auto watcher = std::make_shared<Watcher>(service, std::move(request), stream);
  store::Store& store = service.store();

  int64_t after = 0;
  if (rv.empty() || rv == "0") {
    Result<store::ListResult> list = store.List(selector);
    if (!list.ok()) {
      watcher->SendError(InternalError(list.status().ToString()));
      stream->Close();
      return resp;
    }
    for (const SystemObject* o : system) watcher->SendSystem(*o);
    for (const store::StoredObject& o : list->items) watcher->Send("ADDED", o);
    after = list->revision;
  } else {
    char* end = nullptr;
    after = std::strtoll(rv.c_str(), &end, 10);
    if (end == rv.c_str() || *end != '\0' || after < 0) {
      ApiError e = BadRequestError("invalid resourceVersion \"" + rv + "\"");
      return HttpResponse::Json(
          e.code, e.ToStatus().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    }
    // A system object is as old as this process: a watch resumed from before it began (another
    // run, perhaps with other flags) has not seen it.
    for (const SystemObject* o : system) {
      if (o->revision > after) watcher->SendSystem(*o);
    }
  }

  Result<std::unique_ptr<store::WatchHandle>> handle = store.Watch(
      selector, after,
      [watcher](const store::WatchEvent& ev) { watcher->Send(TypeName(ev.type), ev.object); });
  if (!handle.ok()) {
    if (handle.status().code() == StatusCode::kGone) {
      watcher->SendError(GoneError("too old resource version: " + std::to_string(after) + " (" +
                                   std::to_string(store.CompactedRevision()) + ")"));
    } else {
      watcher->SendError(InternalError(handle.status().ToString()));
    }
    stream->Close();
    return resp;
  }
  std::shared_ptr<store::WatchHandle> shared(std::move(*handle));
  stream->OnEnd([shared] { shared->Cancel(); });
  return resp;
}

}  // namespace canaryd::api

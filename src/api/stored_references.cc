#include "api/stored_references.h"

#include <utility>

#include "api/json_node.h"
#include "config/kinds.h"

namespace canaryd::api {
namespace {

constexpr config::Kind kPeerKinds[] = {config::Kind::kService, config::Kind::kServiceEntry,
                                       config::Kind::kGateway, config::Kind::kDestinationRule};

const config::Kind* PeerKind(const std::string& store_kind) {
  for (const config::Kind& k : kPeerKinds) {
    if (config::InfoOf(k).name == store_kind) return &k;
  }
  return nullptr;
}

}  // namespace

StoredReferences::~StoredReferences() {
  for (auto& w : watches_) w->Cancel();
}

bool StoredReferences::Analyze(const config::Resource& virtual_service,
                               config::Diagnostics& diags) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!started_ && !StartLocked()) return false;
  ApplyPendingLocked();
  config::AnalyzeVirtualService(virtual_service, index_, diags);
  return true;
}

bool StoredReferences::StartLocked() {
  for (config::Kind k : kPeerKinds) {
    std::string kind(config::InfoOf(k).name);
    Result<store::ListResult> list = store_.List({kind, ""});
    Result<std::unique_ptr<store::WatchHandle>> watch =
        list.ok() ? store_.Watch({kind, ""}, list->revision,
                                 [this](const store::WatchEvent& e) {
                                   std::lock_guard<std::mutex> lock(pending_mu_);
                                   pending_.insert_or_assign(e.object.key, e);
                                 })
                  : Result<std::unique_ptr<store::WatchHandle>>(list.status());
    if (!watch.ok()) {
      for (auto& w : watches_) w->Cancel();
      watches_.clear();
      index_ = config::ReferenceIndex();
      std::lock_guard<std::mutex> pending(pending_mu_);
      pending_.clear();
      return false;
    }
    watches_.push_back(std::move(*watch));
    // Events after the listing are pending, and apply over it.
    for (const store::StoredObject& o : list->items) ApplyLocked(o, false);
  }
  started_ = true;
  return true;
}

void StoredReferences::ApplyPendingLocked() {
  std::map<store::ObjectKey, store::WatchEvent> events;
  {
    std::lock_guard<std::mutex> lock(pending_mu_);
    events.swap(pending_);
  }
  for (const auto& [key, e] : events) ApplyLocked(e.object, e.type == store::EventType::kDeleted);
}

void StoredReferences::ApplyLocked(const store::StoredObject& o, bool deleted) {
  const config::Kind* kind = PeerKind(o.key.kind);
  if (kind == nullptr) return;
  const std::string& ns = o.key.namespace_;
  const std::string& name = o.key.name;
  if (!deleted) {
    // Decoded as the analysis always has: objects that no longer decode (they were valid when
    // written) are left out, since the analysis only warns.
    nlohmann::json j = nlohmann::json::parse(o.value, nullptr, false);
    if (!j.is_discarded()) {
      config::Diagnostics ignored;
      std::optional<config::Resource> r = config::DecodeResource(JsonToNode(j), ignored, "");
      if (r && !ignored.has_errors() && r->kind == *kind) {
        index_.Upsert(ns, name, *r);
        return;
      }
    }
  }
  index_.Remove(*kind, ns, name);
}

}  // namespace canaryd::api

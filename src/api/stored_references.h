// StoredReferences: the resources a VirtualService write is analyzed against (Services,
// ServiceEntries, Gateways, DestinationRules), indexed in memory (config::ReferenceIndex) and
// kept up to date from the store's watches, so that a write looks up the hosts it names instead
// of listing and decoding every stored peer. Built on first use: one listing of those kinds,
// then watches from the listing's revision.
//
// Freshness: watch callbacks run on the writing thread before the write returns (store.h), and
// each one only records the event; the next analysis decodes what was recorded before it
// looks. So an analysis sees every write that returned before it started, as a listing would.
//
// Thread-safe: Analyze from any thread (one mutex); the watch callbacks take only a second
// mutex, for as long as it takes to move an event, never the first (so a callback never waits
// for an analysis, and never calls into the store). The store must outlive this object.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "config/diagnostic.h"
#include "config/reference_index.h"
#include "config/resource.h"
#include "store/store.h"

namespace canaryd::api {

class StoredReferences {
 public:
  explicit StoredReferences(store::Store& store) : store_(store) {}
  ~StoredReferences();
  StoredReferences(const StoredReferences&) = delete;
  StoredReferences& operator=(const StoredReferences&) = delete;

  // Adds the analysis of `virtual_service` against the stored resources to `diags`. False
  // (nothing added) when the index cannot be built, as when the store fails to list: the
  // caller then reads the store itself.
  bool Analyze(const config::Resource& virtual_service, config::Diagnostics& diags);

 private:
  bool StartLocked();
  void ApplyPendingLocked();
  void ApplyLocked(const store::StoredObject& o, bool deleted);

  store::Store& store_;
  std::mutex mu_;  // guards everything below but pending_
  bool started_ = false;
  config::ReferenceIndex index_;
  std::vector<std::unique_ptr<store::WatchHandle>> watches_;

  std::mutex pending_mu_;
  // The last event of each object not yet applied (an object's last state is all the index
  // needs, so a burst of writes to one object costs one decode).
  std::map<store::ObjectKey, store::WatchEvent> pending_;
};

}  // namespace canaryd::api

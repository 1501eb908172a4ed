// ObjectService: the Kubernetes object semantics of the resource API over a Store, independent
// of HTTP: get, list, create, replace, patch (merge, JSON, strategic, server-side apply) and
// delete, each with Kubernetes' metadata rules (uid, creationTimestamp, generation bumped on
// spec changes only, resourceVersion = the store's mod_revision, managedFields), validation
// before anything is written (an invalid write changes nothing), optimistic concurrency (409 on
// a stale resourceVersion; patches retry internally), dry runs, namespaces (default and
// istio-system always exist; writing into a missing namespace is NotFound; a deleted namespace
// is Terminating, refusing new content, until NamespaceController has removed what it holds),
// finalizers (a deleted object that has some stays, with deletionTimestamp, until an update
// removes them), kinds stored in another shape (events.k8s.io/v1 Event as core/v1 Event),
// refused kinds (every write refused with the reason), system objects (shown, never written)
// and the status subresource (config::StatusSubresource: for kinds that have it, writes to the
// object keep its status, writes to the status keep the rest). canaryd's start-up apply uses it
// too.
//
// Objects are stored as JSON text without metadata.resourceVersion, which is the store's
// revision and is added on the way out. Thread-safe: any number of threads may call it at once;
// concurrency control is the store's compare-and-set.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "api/api_error.h"
#include "api/patch.h"
#include "api/selector.h"
#include "api/stored_references.h"
#include "api/system_objects.h"
#include "common/clock.h"
#include "config/kinds.h"
#include "store/store.h"

namespace canaryd::api {

// What a request addresses: a kind in one API version, a namespace ("" for every namespace or
// for cluster-scoped kinds) and a name ("" for a collection).
struct Target {
  const config::KindInfo* kind = nullptr;
  std::string version;
  std::string ns;
  std::string name;

  // "networking.istio.io/v1" or "v1".
  std::string ApiVersion() const;
  // Where the store holds it (under the name of the kind it is stored as).
  store::ObjectKey Key() const;
};

// The store's name for a kind's objects: the name of the kind it is stored as.
std::string StoreKind(const config::KindInfo& kind);

struct WriteOptions {
  bool dry_run = false;
  std::string field_manager;  // who makes the change (managedFields); defaulted by the caller
  bool force = false;         // server-side apply: take conflicting fields
};

struct DeleteOptions {
  bool dry_run = false;
  // DeleteOptions.gracePeriodSeconds: for a Pod (graceful deletion on), how long its
  // containers get to stop; 0 deletes at once. Unset: the Pod's terminationGracePeriodSeconds.
  std::optional<int64_t> grace_period_seconds;
  std::string resource_version;  // precondition, when not empty
  std::string uid;               // precondition, when not empty
};

struct WriteOutcome {
  json object;           // as stored (or as it would be, for a dry run), with resourceVersion
  bool created = false;  // the object did not exist before
  bool changed = true;   // false: the write was a no-op and nothing was stored
  std::vector<std::string> warnings;
};

struct ListOutcome {
  std::vector<json> items;
  int64_t revision = 0;
};

class ObjectService {
 public:
  // Both must outlive the service.
  ObjectService(store::Store& store, const Clock& clock);

  // Creates the namespaces that always exist (default, istio-system) when absent.
  Status EnsureSystemNamespaces();
  // Objects shown but never stored (system_objects.h); null for none. Set before serving; must
  // outlive the service.
  void SetSystemObjects(const SystemObjects* objects) { system_ = objects; }
  // A last check of every object write (not status writes) after validation, e.g. the workload
  // runtime's image catalog: returns the Invalid error to refuse with. Set before serving.
  using Admission = std::function<std::optional<ApiError>(const config::KindInfo&, const json&)>;
  void SetAdmission(Admission admission) { admission_ = std::move(admission); }
  // Pods are deleted gracefully, as kube-apiserver does it: a delete marks them
  // (deletionTimestamp, deletionGracePeriodSeconds) and the kubelet, once the containers have
  // stopped, deletes them with a grace period of 0. Only while a kubelet runs. Set before
  // serving.
  void SetGracefulPodDeletion(bool on) { graceful_pods_ = on; }
  // The system object at `key`, or null.
  const SystemObject* SystemObjectAt(const store::ObjectKey& key) const;
  // The system objects a list or watch of `t` covers.
  std::vector<const SystemObject*> SystemObjectsOf(const Target& t) const;

  // Removes what a Terminating namespace holds (objects with finalizers are only marked
  // deleted) and, once nothing is left, the namespace itself. Returns whether the namespace is
  // gone. NamespaceController calls it; a namespace that is not Terminating is left alone.
  ApiResult<bool> FinishNamespaceDeletion(const std::string& ns);

  ApiResult<json> Get(const Target& t);
  ApiResult<ListOutcome> List(const Target& t, const LabelSelector& labels,
                              const FieldSelector& fields);
  // The same list as the JSON text of a <Kind>List. Without a label selector the stored texts
  // are spliced, not parsed: large lists are mostly copying.
  ApiResult<std::string> ListText(const Target& t, const LabelSelector& labels,
                                  const FieldSelector& fields);
  // The same list for a Table: each object parsed without what no column shows (managedFields,
  // most of the spec).
  ApiResult<ListOutcome> ListForTable(const Target& t, const LabelSelector& labels,
                                      const FieldSelector& fields);
  ApiResult<WriteOutcome> Create(const Target& t, json body, const WriteOptions& options);
  ApiResult<WriteOutcome> Replace(const Target& t, json body, const WriteOptions& options);
  ApiResult<WriteOutcome> Patch(const Target& t, PatchType type, const std::string& body,
                                const WriteOptions& options);
  ApiResult<WriteOutcome> Delete(const Target& t, const DeleteOptions& options);
  ApiResult<ListOutcome> DeleteCollection(const Target& t, const LabelSelector& labels,
                                          const FieldSelector& fields, bool dry_run);

  // The status subresource (GET, PUT and PATCH of .../<name>/status), for kinds that have it
  // (config::HasStatusSubresource); for a stored kind without one, each answers NotFound as
  // kube-apiserver does for a path it does not serve. A status write changes the status and,
  // for a built-in kind, the metadata a user sets (labels, annotations, finalizers, owners);
  // the spec and the rest of the metadata are kept from the stored object and the generation
  // is not bumped. It is recorded in managedFields in entries with subresource "status", the
  // only ones that own status fields. Dry runs and resourceVersion preconditions as for the
  // object itself; a status write never creates the object (NotFound).
  ApiResult<json> GetStatus(const Target& t);
  // PUT: `body` is the whole object, as GET .../status shows it.
  ApiResult<WriteOutcome> UpdateStatus(const Target& t, json body, const WriteOptions& options);
  // PATCH: the patch applies to the whole object; server-side apply (kApply) takes only the
  // status from the applied configuration (for a built-in kind, its metadata too).
  ApiResult<WriteOutcome> PatchStatus(const Target& t, PatchType type, const std::string& body,
                                      const WriteOptions& options);

  // For in-process controllers, which call them from their own threads (see the class comment).
  // Both change nothing but the status; options.field_manager names the controller in
  // managedFields and is required (BadRequest when empty). The outcome's object is as stored,
  // with its new resourceVersion; `changed` is false when the status already was so.
  //
  // Sets the whole status to `status` (null removes it). With `expected_resource_version`, a
  // compare-and-set: Conflict (409) unless the object is still at that version, which is how a
  // controller that computed the status from what it read makes sure nothing moved meanwhile;
  // with "", it retries internally when another writer gets in between.
  ApiResult<WriteOutcome> ReplaceStatus(const Target& t, json status,
                                        const std::string& expected_resource_version,
                                        const WriteOptions& options);
  // Merges `status_patch` (a JSON merge patch, RFC 7386: null removes a field, lists are
  // replaced whole) into the stored status; retries internally when another writer gets in
  // between, so a controller sends only the fields it owns. For conditions lists merged by
  // type, or ownership of fields, use PatchStatus with kApply.
  ApiResult<WriteOutcome> MergeStatus(const Target& t, const json& status_patch,
                                      const WriteOptions& options);

  // Applies a whole object as canaryd's own manifests are applied at start: server-side apply
  // with `manager`, forced, recording kubectl's last-applied-configuration annotation so that
  // a later `kubectl apply` computes its three-way patch from it.
  ApiResult<WriteOutcome> ApplyManifest(const Target& t, const json& object,
                                        const std::string& manager);

  // A stored object as the API shows it in `version`: resourceVersion added, apiVersion set.
  json Present(const store::StoredObject& stored, const config::KindInfo& kind,
               const std::string& version) const;
  // Present's result as JSON text; nullopt when the stored text is not as canaryd writes it.
  static std::optional<std::string> PresentText(const store::StoredObject& stored,
                                                const config::KindInfo& kind,
                                                const std::string& version);

  store::Store& store() { return store_; }
  const Clock& clock() const { return clock_; }

 private:
  enum class Op { kCreate, kUpdate };
  // What a write addresses: the object, or its status subresource.
  enum class Part { kObject, kStatus };
  // Applies the server's rules to `obj` for storing as `t` over `existing` (null for a create):
  // checks apiVersion, kind, name and namespace, sets the server-managed metadata, defaults,
  // validates. Leaves managedFields alone. `part` is kObject for a create.
  ApiResult<json> Prepare(const Target& t, json obj, const json& existing, Op op, Part part,
                          std::vector<std::string>* warnings);
  ApiResult<WriteOutcome> DoCreate(const Target& t, json obj, const WriteOptions& options,
                                   bool managed_fields_given);
  // Writes `desired` over `current` (compare-and-set on its mod_revision). Sets *stale when the
  // store's object moved meanwhile (the caller may retry).
  ApiResult<WriteOutcome> DoUpdate(const Target& t, json desired, const store::StoredObject& cur,
                                   const WriteOptions& options, bool track_managed_fields,
                                   int64_t expected_revision, Part part, bool* stale);
  ApiResult<WriteOutcome> DoReplace(const Target& t, json body, const WriteOptions& options,
                                    Part part);
  ApiResult<WriteOutcome> DoPatch(const Target& t, PatchType type, const std::string& body,
                                  const WriteOptions& options, Part part);
  // A merge, JSON or strategic merge patch (not apply).
  ApiResult<WriteOutcome> PatchParsed(const Target& t, PatchType type, const json& patch,
                                      const WriteOptions& options, Part part);
  ApiResult<WriteOutcome> DoApply(const Target& t, const json& given, const WriteOptions& options,
                                  Part part);
  // NotFound for a stored kind without the status subresource.
  static std::optional<ApiError> CheckStatusSubresource(const config::KindInfo& kind);
  // Checks that new objects may be created in `ns`: NotFound, or Forbidden while it terminates.
  std::optional<ApiError> CheckNamespaceForCreate(const config::KindInfo& kind,
                                                  const std::string& ns, const std::string& name);
  // Refusals that do not depend on the object: a refused kind, a system object.
  std::optional<ApiError> CheckWritable(const Target& t, const std::string& name) const;
  // Deletes `cur` (for objects with finalizers: marks it deleted); the deleted object.
  ApiResult<WriteOutcome> DeleteStored(const Target& t, const store::StoredObject& cur,
                                       bool dry_run, bool* stale,
                                       std::optional<int64_t> grace_period_seconds = {});
  std::string Now() const;

  store::Store& store_;
  const Clock& clock_;
  const SystemObjects* system_ = nullptr;
  Admission admission_;
  bool graceful_pods_ = false;
  // What VirtualService writes are analyzed against, so that a write costs what it refers to.
  std::unique_ptr<StoredReferences> references_;
};

}  // namespace canaryd::api

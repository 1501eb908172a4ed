// Compiler: turns the current set of resources into a RouteTable, off the request path (on the
// configuration thread). Gateways apply when their selector matches this instance's labels;
// VirtualServices bind to them through `gateways`; destinations resolve to Services or
// ServiceEntries and their endpoints (WorkloadEntries, ServiceEntry endpoints), with subsets
// and traffic policy from DestinationRules. A destination that cannot be resolved still gets a
// cluster, marked missing, so the request gets 503 NC and a log line rather than a silent
// misroute. Compile is a pure function of its inputs (any thread); Patch updates the indexes a
// previous result keeps, so one chain of results belongs to one thread (the configuration
// thread's).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "config/resource.h"
#include "router/route_table.h"

namespace canaryd::router {

struct CompileOptions {
  // This gateway's labels; a Gateway applies when its selector is a subset of them.
  std::map<std::string, std::string> gateway_labels = {{"istio", "ingressgateway"}};
  uint64_t generation = 0;
};

class TableBuilder;

struct CompileResult {
  std::shared_ptr<const RouteTable> table;
  // HTTP ports to listen on (Gateway port numbers).
  std::vector<uint32_t> ports;
  // Things the operator should know: servers not served (HTTPS until TLS lands), unresolved
  // destinations, delegate routes, ... One line each.
  std::vector<std::string> warnings;
  // Kept by the compile over resource pointers, for Compiler::Patch: the indexes it built.
  // Points into those resources. Not thread-safe: the configuration thread's alone.
  std::shared_ptr<TableBuilder> builder;
};

class Compiler {
 public:
  // `resources` in creation order (VirtualServices for one host merge in this order).
  static Result<CompileResult> Compile(const std::vector<config::Resource>& resources,
                                       const CompileOptions& options);
  // The same, over resources kept elsewhere (the configuration cache), without copying them.
  static Result<CompileResult> Compile(const std::vector<const config::Resource*>& resources,
                                       const CompileOptions& options);
  // The cheap way when only VirtualServices changed (a weight shift): `previous` (the result
  // of a Compile over resource pointers, or of a Patch) with the `changed` VirtualServices
  // recompiled, everything else shared. The resources `previous` was compiled from must be
  // alive and unchanged but for `changed`. Nothing when the change needs a full compile (new
  // hosts or gateways, a different number of rules, a destination without a cluster yet, an
  // error); Compile then gives the right table or the error.
  static std::optional<CompileResult> Patch(CompileResult& previous,
                                            const std::vector<const config::Resource*>& changed,
                                            uint64_t generation);
  // The cheap way when only Pods changed (one became ready, or left): `previous` with the
  // endpoints of the clusters whose Service selects a changed Pod found again, routes shared.
  // `changed`: (namespace, name) and the Pod now (alive as for Patch), or nullptr when deleted.
  static std::optional<CompileResult> PatchPods(
      CompileResult& previous,
      const std::vector<std::pair<std::pair<std::string, std::string>, const config::Resource*>>&
          changed,
      uint64_t generation);
};

}  // namespace canaryd::router

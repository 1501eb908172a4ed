// Compiler: turns the current set of resources into a RouteTable, off the request path (on the
// configuration thread). Gateways apply when their selector matches this instance's labels;
// VirtualServices bind to them through `gateways`; destinations resolve to Services or
// ServiceEntries and their endpoints (WorkloadEntries, ServiceEntry endpoints), with subsets
// and traffic policy from DestinationRules. A destination that cannot be resolved still gets a
// cluster, marked missing, so the request gets 503 NC and a log line rather than a silent
// misroute. Pure function of its inputs: any thread.
#pragma once

#include <map>
#include <memory>
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

struct CompileResult {
  std::shared_ptr<const RouteTable> table;
  // HTTP ports to listen on (Gateway port numbers).
  std::vector<uint32_t> ports;
  // Things the operator should know: servers not served (HTTPS until TLS lands), unresolved
  // destinations, delegate routes, ... One line each.
  std::vector<std::string> warnings;
};

class Compiler {
 public:
  // `resources` in creation order (VirtualServices for one host merge in this order).
  static Result<CompileResult> Compile(const std::vector<config::Resource>& resources,
                                       const CompileOptions& options);
  // The same, over resources kept elsewhere (the configuration cache), without copying them.
  static Result<CompileResult> Compile(const std::vector<const config::Resource*>& resources,
                                       const CompileOptions& options);
};

}  // namespace canaryd::router

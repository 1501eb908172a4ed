// ReferenceIndex: the Services, ServiceEntries, Gateways and DestinationRules a VirtualService
// may refer to, indexed by host, kept up to date one object at a time (Upsert, Remove) so that
// the analysis of a VirtualService write costs what the VirtualService refers to, not what is
// stored. It answers exactly as AnalyzeReferences' lookup over the same objects would, listed
// as the store lists them: Services, then ServiceEntries, each sorted by (namespace, name), a
// later definition of a host replacing an earlier one, the first matching wildcard winning.
// Objects are identified by their store key (kind, namespace, name), which also gives that
// order.
//
// Not thread-safe: its owner serializes every call (api/stored_references.h holds a mutex).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "config/analyze.h"
#include "config/resource.h"

namespace canaryd::config {

class ReferenceIndex final : public ReferenceLookup {
 public:
  // Adds or replaces the object stored at (kind of `r`, ns, name). Kinds the analysis does not
  // read are ignored.
  void Upsert(const std::string& ns, const std::string& name, const Resource& r);
  // Forgets the object of `kind` stored at (ns, name), if known.
  void Remove(Kind kind, const std::string& ns, const std::string& name);
  size_t size() const { return objects_.size(); }

  const ServiceRef* FindService(const std::string& host, const std::string& ns) const override;
  bool HasSubset(const std::string& fqdn, const std::string& subset) const override;
  bool HasGateway(const std::string& key) const override;

  // Whether `kind` is one this index keeps.
  static bool Indexes(Kind kind);

 private:
  // (kind rank: Service 0, ServiceEntry 1; namespace; name; index of the host in the entry):
  // the order in which a full listing would define a host.
  using Order = std::tuple<int, std::string, std::string, size_t>;
  using ObjectId = std::tuple<int, std::string, std::string>;  // (kind, namespace, name)

  struct DestinationRuleInfo {
    std::string ns;    // of the rule, where its host resolves
    std::string host;  // as written
    std::set<std::string> subsets;
  };
  // What one stored object contributed, to take it back on a change or a deletion.
  struct Contribution {
    std::vector<std::pair<std::string, Order>> exact;  // host -> where it defines it
    std::vector<Order> wildcards;
    std::string gateway;                 // "ns/name", or empty
    std::vector<std::string> rule_keys;  // reversed names the rule is indexed under
    bool is_rule = false;
  };

  const ServiceRef* FindExact(const std::string& host) const;
  // The rule's host as the analysis resolves it.
  std::string ResolvedHost(const DestinationRuleInfo& dr) const;
  void Take(const ObjectId& id);

  std::map<ObjectId, Contribution> objects_;
  // host -> its definitions; the last one (in Order) is the one that counts.
  std::map<std::string, std::map<Order, ServiceRef>> exact_;
  std::map<Order, ServiceRef> wildcards_;  // "*.suffix" ServiceEntry hosts, in Order
  std::map<std::string, int> gateways_;    // "ns/name" -> how many objects say so
  std::map<ObjectId, DestinationRuleInfo> rules_;
  // Each rule under every name its host may resolve to (its HostCandidates and its host as
  // written), reversed so that the names under a wildcard's suffix are one range.
  std::map<std::string, std::set<ObjectId>> rules_by_reversed_name_;
};

}  // namespace canaryd::config

#include "config/reference_index.h"

#include <algorithm>

#include "config/hosts.h"

namespace canaryd::config {
namespace {

int KindRank(Kind k) {
  switch (k) {
    case Kind::kService:
      return 0;
    case Kind::kServiceEntry:
      return 1;
    case Kind::kGateway:
      return 2;
    case Kind::kDestinationRule:
      return 3;
    default:
      return -1;
  }
}

std::string Reversed(std::string_view s) {
  return std::string(s.rbegin(), s.rend());
}

// Whether the ServiceEntry host goes with the wildcards (as AnalyzeReferences files it).
bool IsWildcard(const std::string& h) {
  return h.rfind("*.", 0) == 0;
}

}  // namespace

bool ReferenceIndex::Indexes(Kind kind) {
  return KindRank(kind) >= 0;
}

void ReferenceIndex::Take(const ObjectId& id) {
  auto it = objects_.find(id);
  if (it == objects_.end()) return;
  Contribution& c = it->second;
  for (const auto& [host, order] : c.exact) {
    auto e = exact_.find(host);
    e->second.erase(order);
    if (e->second.empty()) exact_.erase(e);
  }
  for (const Order& order : c.wildcards) wildcards_.erase(order);
  if (!c.gateway.empty()) {
    auto g = gateways_.find(c.gateway);
    if (--g->second == 0) gateways_.erase(g);
  }
  for (const std::string& key : c.rule_keys) {
    auto r = rules_by_reversed_name_.find(key);
    r->second.erase(id);
    if (r->second.empty()) rules_by_reversed_name_.erase(r);
  }
  if (c.is_rule) rules_.erase(id);
  objects_.erase(it);
}

void ReferenceIndex::Remove(Kind kind, const std::string& ns, const std::string& name) {
  if (!Indexes(kind)) return;
  Take(ObjectId{KindRank(kind), ns, name});
}

void ReferenceIndex::Upsert(const std::string& ns, const std::string& name, const Resource& r) {
  if (!Indexes(r.kind)) return;
  const int rank = KindRank(r.kind);
  ObjectId id{rank, ns, name};
  Take(id);
  Contribution c;
  switch (r.kind) {
    case Kind::kService: {
      ServiceRef s{ServiceFqdn(r.name(), r.ns()), {}};
      for (const auto& p : r.As<ServiceSpec>().ports) s.ports.push_back(p.port);
      Order order{rank, ns, name, 0};
      c.exact.emplace_back(s.fqdn, order);
      exact_[s.fqdn][order] = std::move(s);
      break;
    }
    case Kind::kServiceEntry: {
      const auto& se = r.As<ServiceEntrySpec>();
      for (size_t i = 0; i < se.hosts.size(); ++i) {
        const std::string& h = se.hosts[i];
        ServiceRef s{h, {}};
        for (const auto& p : se.ports) s.ports.push_back(p.number);
        Order order{rank, ns, name, i};
        if (IsWildcard(h)) {
          c.wildcards.push_back(order);
          wildcards_[order] = std::move(s);
        } else {
          c.exact.emplace_back(h, order);
          exact_[h][order] = std::move(s);
        }
      }
      break;
    }
    case Kind::kGateway:
      c.gateway = r.ns() + "/" + r.name();
      gateways_[c.gateway]++;
      break;
    case Kind::kDestinationRule: {
      const auto& dr = r.As<DestinationRuleSpec>();
      DestinationRuleInfo info{r.ns(), dr.host, {}};
      for (const Subset& sub : dr.subsets) info.subsets.insert(sub.name);
      std::set<std::string> names;
      for (const std::string& n : HostCandidates(dr.host, r.ns())) names.insert(Reversed(n));
      names.insert(Reversed(dr.host));
      for (const std::string& key : names) {
        rules_by_reversed_name_[key].insert(id);
        c.rule_keys.push_back(key);
      }
      c.is_rule = true;
      rules_[id] = std::move(info);
      break;
    }
    default:
      return;
  }
  objects_[id] = std::move(c);
}

const ServiceRef* ReferenceIndex::FindExact(const std::string& host) const {
  auto it = exact_.find(host);
  if (it == exact_.end()) return nullptr;
  return &it->second.rbegin()->second;  // the last definition replaced the others
}

const ServiceRef* ReferenceIndex::FindService(const std::string& host,
                                              const std::string& ns) const {
  std::vector<std::string> candidates = HostCandidates(host, ns);
  for (const std::string& c : candidates) {
    if (const ServiceRef* s = FindExact(c)) return s;
  }
  if (wildcards_.empty()) return nullptr;
  for (const std::string& c : candidates) {
    // The first wildcard (in Order) that HostMatches c. Wildcard entries are few; the list is
    // scanned as AnalyzeReferences scans it.
    for (const auto& [order, w] : wildcards_) {
      if (HostMatches(w.fqdn, c)) return &w;
    }
  }
  return nullptr;
}

std::string ReferenceIndex::ResolvedHost(const DestinationRuleInfo& dr) const {
  if (const ServiceRef* s = FindService(dr.host, dr.ns)) return s->fqdn;
  return dr.host;
}

bool ReferenceIndex::HasSubset(const std::string& fqdn, const std::string& subset) const {
  auto defines = [&](const std::set<ObjectId>& ids) {
    for (const ObjectId& id : ids) {
      const DestinationRuleInfo& dr = rules_.at(id);
      if (dr.subsets.contains(subset) && ResolvedHost(dr) == fqdn) return true;
    }
    return false;
  };
  if (!IsWildcard(fqdn)) {
    // A rule resolves to a concrete name only through one of the names it is indexed under.
    auto it = rules_by_reversed_name_.find(Reversed(fqdn));
    return it != rules_by_reversed_name_.end() && defines(it->second);
  }
  // A rule resolves to a wildcard entry through a name under its suffix (or by naming the
  // wildcard itself, which is under the suffix too): one range of the reversed names.
  std::string prefix = Reversed(std::string_view(fqdn).substr(1));
  for (auto it = rules_by_reversed_name_.lower_bound(prefix);
       it != rules_by_reversed_name_.end() && it->first.compare(0, prefix.size(), prefix) == 0;
       ++it) {
    if (defines(it->second)) return true;
  }
  return false;
}

bool ReferenceIndex::HasGateway(const std::string& key) const {
  return gateways_.contains(key);
}

}  // namespace canaryd::config

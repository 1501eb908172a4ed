#include "config/analyze.h"

#include <map>
#include <set>

#include "config/hosts.h"
#include "config/validate_util.h"

namespace canaryd::config {
namespace {

using ServiceInfo = ServiceRef;

// The lookup over a whole set of resources: later definitions of a host replace earlier ones
// (Services, then ServiceEntries, each in the order given); the first matching wildcard wins.
class Registry final : public ReferenceLookup {
 public:
  explicit Registry(const std::vector<Resource>& resources) {
    for (const Resource& r : resources) {
      if (r.kind == Kind::kService) {
        ServiceInfo s{ServiceFqdn(r.name(), r.ns()), {}};
        for (const auto& p : r.As<ServiceSpec>().ports) s.ports.push_back(p.port);
        services_[s.fqdn] = s;
      } else if (r.kind == Kind::kServiceEntry) {
        const auto& se = r.As<ServiceEntrySpec>();
        for (const std::string& h : se.hosts) {
          ServiceInfo s{h, {}};
          for (const auto& p : se.ports) s.ports.push_back(p.number);
          if (h.rfind("*.", 0) == 0) {
            wildcards_.push_back(s);
          } else {
            services_[h] = s;
          }
        }
      } else if (r.kind == Kind::kGateway) {
        gateways_.insert(r.ns() + "/" + r.name());
      }
    }
    for (const Resource& r : resources) {
      if (r.kind != Kind::kDestinationRule) continue;
      const auto& dr = r.As<DestinationRuleSpec>();
      std::string host = dr.host;
      if (const ServiceInfo* s = FindService(dr.host, r.ns())) host = s->fqdn;
      for (const Subset& sub : dr.subsets) subsets_[host].insert(sub.name);
    }
  }

  const ServiceInfo* FindService(const std::string& host, const std::string& ns) const override {
    for (const std::string& c : HostCandidates(host, ns)) {
      if (auto it = services_.find(c); it != services_.end()) return &it->second;
    }
    for (const std::string& c : HostCandidates(host, ns)) {
      for (const ServiceInfo& w : wildcards_) {
        if (HostMatches(w.fqdn, c)) return &w;
      }
    }
    return nullptr;
  }

  bool HasSubset(const std::string& fqdn, const std::string& subset) const override {
    auto it = subsets_.find(fqdn);
    return it != subsets_.end() && it->second.contains(subset);
  }

  bool HasGateway(const std::string& key) const override { return gateways_.contains(key); }

 private:
  std::map<std::string, ServiceInfo> services_;
  std::vector<ServiceInfo> wildcards_;
  std::map<std::string, std::set<std::string>> subsets_;
  std::set<std::string> gateways_;
};

void CheckDestination(Checker& c, const ReferenceLookup& reg, const Destination& d) {
  const std::string& ns = c.resource().ns();
  const ServiceInfo* s = reg.FindService(d.host, ns);
  if (s == nullptr) {
    c.WarningAt("host", "host \"" + d.host +
                            "\" matches no Service or ServiceEntry; requests routed here get 503 "
                            "(response flag NC)");
    return;
  }
  if (d.port && d.port->number && !s->ports.empty()) {
    bool found = false;
    for (uint32_t p : s->ports) found |= p == *d.port->number;
    if (!found) {
      c.WarningAt("port.number", "port " + std::to_string(*d.port->number) + " is not a port of " +
                                     s->fqdn + "; requests routed here get 503 (NC)");
    }
  } else if (!d.port && s->ports.size() > 1) {
    c.WarningAt("port", s->fqdn + " has more than one port: name one with port.number");
  }
  if (d.subset && !reg.HasSubset(s->fqdn, *d.subset)) {
    c.WarningAt("subset", "subset \"" + *d.subset +
                              "\" is not defined by any DestinationRule for " + s->fqdn +
                              "; requests routed here get 503 (response flag NC)");
  }
}

void AnalyzeSpec(Checker& c, const ReferenceLookup& reg, const VirtualServiceSpec& vs) {
  auto spec = c.path().Field("spec");
  {
    auto scope = c.path().Field("gateways");
    for (size_t i = 0; i < vs.gateways.size(); ++i) {
      auto idx = c.path().Index(i);
      const std::string& g = vs.gateways[i];
      if (g == "mesh") continue;
      std::string key = g.find('/') == std::string::npos ? c.resource().ns() + "/" + g : g;
      if (!reg.HasGateway(key)) c.Warning("gateway \"" + key + "\" does not exist");
    }
  }
  auto http = c.path().Field("http");
  for (size_t i = 0; i < vs.http.size(); ++i) {
    auto idx = c.path().Index(i);
    const HTTPRoute& r = vs.http[i];
    {
      auto route = c.path().Field("route");
      for (size_t j = 0; j < r.route.size(); ++j) {
        auto jdx = c.path().Index(j);
        auto dest = c.path().Field("destination");
        CheckDestination(c, reg, r.route[j].destination);
      }
    }
    if (r.mirror) {
      auto m = c.path().Field("mirror");
      CheckDestination(c, reg, *r.mirror);
    }
    auto mirrors = c.path().Field("mirrors");
    for (size_t j = 0; j < r.mirrors.size(); ++j) {
      auto jdx = c.path().Index(j);
      auto dest = c.path().Field("destination");
      CheckDestination(c, reg, r.mirrors[j].destination);
    }
  }
}

}  // namespace

void AnalyzeReferences(const std::vector<Resource>& resources, Diagnostics& diags) {
  Registry reg(resources);
  for (const Resource& r : resources) {
    if (r.kind != Kind::kVirtualService) continue;
    Checker c(r, diags);
    AnalyzeSpec(c, reg, r.As<VirtualServiceSpec>());
  }
}

void AnalyzeVirtualService(const Resource& virtual_service, const ReferenceLookup& refs,
                           Diagnostics& diags) {
  if (virtual_service.kind != Kind::kVirtualService) return;
  Checker c(virtual_service, diags);
  AnalyzeSpec(c, refs, virtual_service.As<VirtualServiceSpec>());
}

}  // namespace canaryd::config

// ServiceEntry and WorkloadEntry rules, after Istio's validateServiceEntry / validateWorkloadEntry.
#include <set>

#include "config/validate_kinds.h"

namespace canaryd::config {

void ValidateWorkloadEntry(Checker& c, const WorkloadEntrySpec& we, bool in_service_entry) {
  if (!we.address || we.address->empty()) {
    if (!we.network) {
      c.ErrorAt("address", "required unless network is set: canaryd routes to this address");
    }
  } else if (we.address->rfind("unix://", 0) == 0) {
    c.ErrorAt("address",
              "unix domain socket endpoints are not served; use an IP address or a "
              "host name");
  } else if (!IsIpAddress(*we.address)) {
    if (std::string why = CheckHost(*we.address, false); !why.empty()) {
      c.ErrorAt("address", "must be an IP address or a host name: " + why);
    }
  }
  {
    auto scope = c.path().Field("ports");
    for (const auto& [name, port] : we.ports) {
      auto key = c.path().Key(name);
      if (port < 1 || port > 65535) c.Error("port number must be between 1 and 65535");
    }
  }
  CheckLabels(c, "labels", we.labels);
  if (!in_service_entry && we.service_account) {
    if (std::string why = CheckDns1123Subdomain(*we.service_account); !why.empty()) {
      c.ErrorAt("serviceAccount", why);
    }
  }
}

void ValidateServiceEntry(Checker& c, const ServiceEntrySpec& se) {
  auto spec = c.path().Field("spec");
  std::string resolution = se.resolution.value_or("NONE");
  {
    auto scope = c.path().Field("hosts");
    if (se.hosts.empty()) c.Error("a ServiceEntry needs at least one host");
    for (size_t i = 0; i < se.hosts.size(); ++i) {
      auto idx = c.path().Index(i);
      const std::string& h = se.hosts[i];
      if (std::string why = CheckHost(h, false); !why.empty()) {
        c.Error(why);
      } else if (IsIpAddress(h)) {
        c.Error("a ServiceEntry host must be a name; put addresses in spec.addresses");
      } else if (h.rfind("*.", 0) == 0 &&
                 (resolution == "DNS" || resolution == "DNS_ROUND_ROBIN") && se.endpoints.empty()) {
        c.Error("a wildcard host cannot be resolved with DNS when no endpoints are given");
      }
    }
  }
  {
    auto scope = c.path().Field("addresses");
    for (size_t i = 0; i < se.addresses.size(); ++i) {
      auto idx = c.path().Index(i);
      if (!IsCidr(se.addresses[i])) {
        c.Error("\"" + se.addresses[i] + "\" is not an IP address or CIDR block");
      }
    }
  }
  std::set<std::string> port_names;
  {
    auto scope = c.path().Field("ports");
    std::set<uint32_t> numbers;
    for (size_t i = 0; i < se.ports.size(); ++i) {
      auto idx = c.path().Index(i);
      const ServicePort& p = se.ports[i];
      CheckPortNumber(c, "number", p.number);
      if (p.target_port) CheckPortNumber(c, "targetPort", *p.target_port);
      if (!p.name.empty() && !port_names.insert(p.name).second) {
        c.ErrorAt("name", "port names must be unique: \"" + p.name + "\" is used twice");
      }
      if (!numbers.insert(p.number).second) {
        c.ErrorAt("number", "port " + std::to_string(p.number) + " is defined twice");
      }
    }
  }
  if (!se.endpoints.empty() && se.workload_selector) {
    c.Error("only one of endpoints or workloadSelector may be set");
  }
  if (resolution == "STATIC" && se.endpoints.empty() && !se.workload_selector) {
    c.WarningAt("endpoints",
                "resolution STATIC with no endpoints and no workloadSelector: "
                "requests to these hosts get 503 UH (no healthy upstream)");
  }
  if (resolution == "NONE" && !se.endpoints.empty()) {
    c.ErrorAt("endpoints", "endpoints cannot be given with resolution NONE");
  }
  {
    auto scope = c.path().Field("endpoints");
    for (size_t i = 0; i < se.endpoints.size(); ++i) {
      auto idx = c.path().Index(i);
      const WorkloadEntrySpec& e = se.endpoints[i];
      ValidateWorkloadEntry(c, e, /*in_service_entry=*/true);
      if (resolution == "STATIC" && e.address && !IsIpAddress(*e.address) &&
          e.address->rfind("unix://", 0) != 0) {
        c.ErrorAt("address", "resolution STATIC needs IP addresses");
      }
      auto ports = c.path().Field("ports");
      for (const auto& [name, port] : e.ports) {
        auto key = c.path().Key(name);
        if (!port_names.contains(name)) {
          c.Error("endpoint port \"" + name + "\" is not one of the ServiceEntry's port names");
        }
      }
    }
  }
  if (se.workload_selector) {
    auto ws = c.path().Field("workloadSelector");
    CheckLabels(c, "labels", se.workload_selector->labels);
  }
  CheckExportTo(c, se.export_to);
}

}  // namespace canaryd::config

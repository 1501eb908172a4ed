// ServiceEntry and WorkloadEntry rules, after Istio's validateServiceEntry / validateWorkloadEntry.
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "config/validate_kinds.h"

namespace canaryd::config {

namespace {

constexpr std::string_view kUnixPrefix = "unix://";

bool IsUnixAddress(const std::optional<std::string>& address) {
  return address && address->rfind(kUnixPrefix, 0) == 0;
}

// A unix domain socket address as Istio allows it: unix://@abstract-name or unix:///absolute/path
// naming a file (not a directory), with no ports (the socket is the whole address).
void CheckUnixAddress(Checker& c, const WorkloadEntrySpec& we) {
  std::string_view path = std::string_view(*we.address).substr(kUnixPrefix.size());
  if (path.empty()) {
    c.ErrorAt("address", "a unix domain socket address needs a path after unix://");
  } else if (path.front() != '@' && (path.front() != '/' || path.back() == '/')) {
    c.ErrorAt("address", "\"" + *we.address +
                             "\": a unix domain socket must be an absolute path to a file "
                             "(unix:///path) or an abstract name (unix://@name)");
  }
  if (!we.ports.empty()) {
    c.ErrorAt("ports", "a unix domain socket endpoint cannot have ports");
  }
}

}  // namespace

void ValidateWorkloadEntry(Checker& c, const WorkloadEntrySpec& we, bool in_service_entry) {
  if (!we.address || we.address->empty()) {
    if (!we.network) {
      c.ErrorAt("address", "required unless network is set: canaryd routes to this address");
    }
  } else if (IsUnixAddress(we.address)) {
    CheckUnixAddress(c, we);  // accepted, and not served yet (the decoder warns)
  } else if (!IsIpAddress(*we.address)) {
    if (we.address->find('*') != std::string::npos) {
      c.ErrorAt("address", "must be an IP address or a host name, not a wildcard");
    } else if (std::string why = CheckHost(*we.address, false); !why.empty()) {
      c.ErrorAt("address", "must be an IP address or a host name: " + why);
    }
  }
  {
    auto scope = c.path().Field("ports");
    for (const auto& [name, port] : we.ports) {
      auto key = c.path().Key(name);
      if (std::string why = CheckDns1123Label(name); !why.empty()) {
        c.Error("invalid port name: " + why);
      }
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
  bool dns = resolution == "DNS" || resolution == "DNS_ROUND_ROBIN";
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
      } else if (h.find('*') != std::string::npos && dns && se.endpoints.empty()) {
        c.Error("a wildcard host cannot be resolved with DNS when no endpoints are given");
      }
      WarnPartialWildcard(c, h);
    }
  }
  {
    auto scope = c.path().Field("addresses");
    for (size_t i = 0; i < se.addresses.size(); ++i) {
      auto idx = c.path().Index(i);
      const std::string& a = se.addresses[i];
      if (!IsCidr(a)) {
        c.Error("\"" + a + "\" is not an IP address or CIDR block");
      } else if (a.find('/') != std::string::npos && resolution != "NONE" &&
                 resolution != "STATIC") {
        c.Error("a CIDR block (\"" + a +
                "\") is only allowed with resolution NONE or STATIC, not " + resolution);
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
      if (!p.name.empty()) {
        if (std::string why = CheckDns1123Label(p.name); !why.empty()) {
          c.ErrorAt("name", "invalid port name: " + why);
        }
      }
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
  if (resolution == "DNS_ROUND_ROBIN" && se.endpoints.size() > 1) {
    c.ErrorAt("endpoints",
              "resolution DNS_ROUND_ROBIN allows at most one endpoint (its name resolves to the "
              "addresses to rotate over); use DNS for several");
  }
  {
    auto scope = c.path().Field("endpoints");
    for (size_t i = 0; i < se.endpoints.size(); ++i) {
      auto idx = c.path().Index(i);
      const WorkloadEntrySpec& e = se.endpoints[i];
      ValidateWorkloadEntry(c, e, /*in_service_entry=*/true);
      if (resolution == "STATIC" && e.address && !IsIpAddress(*e.address) &&
          !IsUnixAddress(e.address)) {
        c.ErrorAt("address", "resolution STATIC needs IP addresses");
      }
      if (dns && IsUnixAddress(e.address)) {
        c.ErrorAt("address", "resolution " + resolution +
                                 " needs IP addresses or host names; a unix domain socket "
                                 "needs resolution STATIC");
      }
      if (IsUnixAddress(e.address) && se.ports.size() != 1) {
        c.ErrorAt("address", "a unix domain socket endpoint needs exactly one service port");
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

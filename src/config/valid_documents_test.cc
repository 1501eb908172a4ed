// Documents Istio accepts that canaryd must accept too (each one a rule where canaryd once
// differed), with the warnings they must get and no other finding. They go through LoadText, as
// with `canaryctl validate` and `canaryd -f`.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/loader.h"

namespace canaryd::config {
namespace {

constexpr const char* kServiceEntry =
    "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: se}\nspec:\n";
constexpr const char* kWorkloadEntry =
    "apiVersion: networking.istio.io/v1\nkind: WorkloadEntry\nmetadata: {name: we}\nspec:\n";
constexpr const char* kVirtualService =
    "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: vs}\nspec:\n";
constexpr const char* kUnixNotServed =
    "a unix domain socket endpoint (\"unix:///run/app.sock\") is not served yet; it is accepted "
    "and ignored";

struct ValidCase {
  const char* name;
  const char* header;
  const char* body;
  std::vector<std::string> warnings;  // all of them, in order
};

const std::vector<ValidCase>& Cases() {
  static const std::vector<ValidCase> kCases = {
      {"se_ipv6_address_in_a_flow_sequence",  // "::" before "]": a string, as kubectl reads it
       kServiceEntry,
       "  hosts: [example.com]\n  addresses: [1.2.3.4, 001:db8::]\n  resolution: DNS\n",
       {}},
      {"se_cidr_with_resolution_none",
       kServiceEntry,
       "  hosts: [example.com]\n  addresses: [10.0.0.0/8]\n",
       {}},
      {"se_cidr_with_resolution_static",
       kServiceEntry,
       "  hosts: [example.com]\n  addresses: [10.0.0.0/8]\n  resolution: STATIC\n"
       "  endpoints: [{address: 10.0.0.1}]\n",
       {}},
      {"se_dns_round_robin_one_endpoint",
       kServiceEntry,
       "  hosts: [api.example.com]\n  ports: [{number: 80, name: http}]\n"
       "  resolution: DNS_ROUND_ROBIN\n  endpoints: [{address: lb.example.com}]\n",
       {}},
      {"se_partial_wildcard_host",
       kServiceEntry,
       "  hosts: [\"*x\"]\n",
       {"t.yaml:5:11: warning: spec.hosts[0]: partial wildcard host \"*x\" is not served yet: "
        "canaryd matches it only as the literal name (the \"*.suffix\" and \"*\" wildcards are "
        "served)"}},
      {"se_unix_socket_endpoint",
       kServiceEntry,
       "  hosts: [app.local]\n  ports: [{number: 80, name: http}]\n  resolution: STATIC\n"
       "  endpoints:\n  - address: unix:///run/app.sock\n",
       {std::string("t.yaml:9:14: warning: spec.endpoints[0].address: ") + kUnixNotServed}},
      {"we_unix_socket_path",
       kWorkloadEntry,
       "  address: unix:///run/app.sock\n",
       {std::string("t.yaml:5:12: warning: spec.address: ") + kUnixNotServed}},
      {"we_unix_socket_abstract",
       kWorkloadEntry,
       "  address: unix://@app\n",
       {"t.yaml:5:12: warning: spec.address: a unix domain socket endpoint (\"unix://@app\") is "
        "not served yet; it is accepted and ignored"}},
      {"we_network_without_address", kWorkloadEntry, "  network: net-1\n", {}},
      {"we_host_name_address", kWorkloadEntry, "  address: app.example.com\n", {}},
      {"vs_wildcard_bound_to_a_gateway",
       kVirtualService,
       "  hosts: [\"*\"]\n  gateways: [web-gateway]\n  http:\n  - route:\n"
       "    - destination: {host: web}\n",
       {}},
      {"vs_partial_wildcard_with_dash",
       kVirtualService,
       "  hosts: [\"*-x.example.com\"]\n  gateways: [web-gateway]\n  http:\n  - route:\n"
       "    - destination: {host: web}\n",
       {"t.yaml:5:11: warning: spec.hosts[0]: partial wildcard host \"*-x.example.com\" is not "
        "served yet: canaryd matches it only as the literal name (the \"*.suffix\" and \"*\" "
        "wildcards are served)"}},
      {"vs_numeric_single_label_host",  // Istio checks the digits rule from the second label on
       kVirtualService,
       "  hosts: [\"123\"]\n  gateways: [web-gateway]\n  http:\n  - route:\n"
       "    - destination: {host: web}\n",
       {}},
  };
  return kCases;
}

TEST(ValidDocuments, EachIsAcceptedWithExactlyItsWarnings) {
  for (const ValidCase& c : Cases()) {
    SCOPED_TRACE(c.name);
    LoadResult result;
    LoadText(std::string(c.header) + c.body, "t.yaml", LoadOptions{}, result);
    EXPECT_EQ(result.resources.size(), 1u);
    std::vector<std::string> warnings;
    for (const Diagnostic& d : result.diagnostics.items()) {
      EXPECT_EQ(d.severity, Severity::kWarning) << d.ToString();
      warnings.push_back(d.ToString());
    }
    EXPECT_EQ(warnings, c.warnings);
  }
}

}  // namespace
}  // namespace canaryd::config

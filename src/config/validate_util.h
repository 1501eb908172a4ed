// Building blocks of validation shared by the per-kind validators: a Checker that reports at
// the current field path with the position the decoder recorded, and the syntax checks Istio and
// Kubernetes apply to names, hosts, labels, regexes and durations. Internal to src/config.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/diagnostic.h"
#include "config/field_path.h"
#include "config/resource.h"

namespace canaryd::config {

class Checker {
 public:
  Checker(const Resource& r, Diagnostics& diags) : r_(r), diags_(diags) {}

  FieldPath& path() { return path_; }
  const Resource& resource() const { return r_; }

  void Error(std::string message) { Report(Severity::kError, path_.str(), std::move(message)); }
  void Warning(std::string message) { Report(Severity::kWarning, path_.str(), std::move(message)); }
  // Reports on a child field of the current path.
  void ErrorAt(std::string_view field, std::string message) {
    Report(Severity::kError, path_.Child(field), std::move(message));
  }
  void WarningAt(std::string_view field, std::string message) {
    Report(Severity::kWarning, path_.Child(field), std::move(message));
  }

 private:
  void Report(Severity s, std::string path, std::string message);

  const Resource& r_;
  Diagnostics& diags_;
  FieldPath path_;
};

// Syntax checks; each returns an empty string when valid, else the reason.
std::string CheckDns1123Label(std::string_view s);
std::string CheckDns1123Subdomain(std::string_view s);
std::string CheckDns1035Label(std::string_view s);
std::string CheckLabelKey(std::string_view s);  // also annotation keys (qualified names)
std::string CheckLabelValue(std::string_view s);
// FQDN or `*.suffix` wildcard (or `*` when allow_star); short names are FQDNs of one label.
std::string CheckHost(std::string_view s, bool allow_star);
std::string CheckRegex(std::string_view s);
// Warns about a partial wildcard host ("*x.example.com"): valid, but the router matches only "*"
// and "*.suffix" wildcards, so it is served as the literal name.
void WarnPartialWildcard(Checker& c, std::string_view host);
std::string CheckHeaderName(std::string_view s);
bool IsIpAddress(std::string_view s);
bool IsCidr(std::string_view s);
// IANA service name as used for named ports (targetPort "http").
std::string CheckPortName(std::string_view s);

// Field-level helpers that report through a Checker at path.child(field).
void CheckLabels(Checker& c, std::string_view field, const std::map<std::string, std::string>& m);
void CheckPortNumber(Checker& c, std::string_view field, int64_t port);
void CheckMinDuration(Checker& c, std::string_view field, const std::optional<Duration>& d,
                      int64_t min_nanos, bool allow_zero = false);
void CheckPercent(Checker& c, std::string_view field, double value);
void CheckExportTo(Checker& c, const std::vector<std::string>& export_to);

}  // namespace canaryd::config

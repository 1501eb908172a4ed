// Messages of Istio's networking API that several kinds share (StringMatch, Destination, Percent,
// selectors), with Describe() (see reflect.h): JSON names, documentation, what is not served.
// Plain data: build on one thread, share read-only.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/reflect.h"

namespace canaryd::config {

using StringMap = std::map<std::string, std::string>;

struct StringMatch {
  std::optional<std::string> exact;
  std::optional<std::string> prefix;
  std::optional<std::string> regex;
};
template <class V>
void Describe(V& v, StringMatch& t) {
  v("exact", t.exact, {.doc = "Matches when the value is exactly this string."});
  v("prefix", t.prefix, {.doc = "Matches when the value starts with this string."});
  v("regex", t.regex,
    {.doc = "Matches when the whole value matches this RE2 regular expression (at most 1024 "
            "characters)."});
}

struct PortSelector {
  std::optional<uint32_t> number;
};
template <class V>
void Describe(V& v, PortSelector& t) {
  v("number", t.number, {.doc = "The port number (1-65535)."});
}

struct Destination {
  std::string host;
  std::optional<std::string> subset;
  std::optional<PortSelector> port;
};
template <class V>
void Describe(V& v, Destination& t) {
  v("host", t.host,
    {.doc = "The service to send to: a Service's short name (in the VirtualService's namespace), "
            "name.namespace, a fully qualified name, or a ServiceEntry host. Wildcards are not "
            "allowed.",
     .required = true});
  v("subset", t.subset,
    {.doc = "The name of a subset defined by the host's DestinationRule; its labels select the "
            "endpoints. A subset no DestinationRule defines gets 503 NC."});
  v("port", t.port,
    {.doc = "The service port to use; required when the service has more than one port."});
}

struct Percent {
  std::optional<double> value;
};
template <class V>
void Describe(V& v, Percent& t) {
  v("value", t.value, {.doc = "A percentage between 0 and 100 (fractions allowed)."});
}

struct WorkloadSelector {
  StringMap match_labels;  // DestinationRule, Sidecar-style selector
};
template <class V>
void Describe(V& v, WorkloadSelector& t) {
  v("matchLabels", t.match_labels,
    {.doc = "The labels a proxy's workload must have for this configuration to apply to it."});
}

}  // namespace canaryd::config

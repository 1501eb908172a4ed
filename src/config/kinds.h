// The kinds canaryd serves and their Kubernetes naming (group, versions, plural, short names),
// one table shared by the decoder, the API's discovery documents and the command-line tools.
// Immutable static data: any thread.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace canaryd::config {

enum class Kind {
  kGateway,
  kVirtualService,
  kDestinationRule,
  kServiceEntry,
  kWorkloadEntry,
  kService,
  kNamespace,
};

struct KindInfo {
  Kind kind;
  std::string_view name;      // "VirtualService"
  std::string_view group;     // "networking.istio.io"; "" for core
  std::string_view plural;    // "virtualservices"
  std::string_view singular;  // "virtualservice"
  std::span<const std::string_view> short_names;
  std::span<const std::string_view> categories;
  bool namespaced;
};

// The served API versions of a group, newest (preferred) first.
std::span<const std::string_view> GroupVersions(std::string_view group);

std::span<const KindInfo> AllKinds();
const KindInfo& InfoOf(Kind kind);
// Looks a kind up by apiVersion ("networking.istio.io/v1beta1", "v1") and kind name.
const KindInfo* FindKind(std::string_view api_version, std::string_view kind);
// Looks a kind up the way kubectl resolves a resource argument: plural, singular, short name or
// kind name, case-insensitively, optionally qualified with ".group".
const KindInfo* FindKindByResourceName(std::string_view name);

// What a kind is for and how canaryd serves it, for `kubectl explain`; "" for a kind without one
// (a unit test requires one for every kind).
std::string_view KindDescription(Kind kind);

// Explains why a kind canaryd does not serve is refused and what to write instead.
std::string ExplainUnservedKind(std::string_view api_version, std::string_view kind);

}  // namespace canaryd::config

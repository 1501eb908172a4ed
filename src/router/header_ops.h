// HeaderOps: the header changes of a VirtualService rule or of one of its destinations
// (`headers.request` or `headers.response`), compiled for the request path. Envoy applies each
// level as remove, then set (replacing every value), then add (appending); the destination's level
// is applied before the rule's, so for a header both set, the rule's value wins. Names are lower
// case. Headers that carry the message's framing or hop-by-hop semantics are dropped from the ops
// when compiled (the validator warns), so the writer never has to check them. Immutable once
// built; any thread.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/virtual_service_types.h"

namespace canaryd::router {

struct HeaderOps {
  std::vector<std::string> remove;
  std::vector<std::pair<std::string, std::string>> set;
  std::vector<std::pair<std::string, std::string>> add;

  bool empty() const { return remove.empty() && set.empty() && add.empty(); }
  // Whether this level removes `name` or replaces it with a value of its own.
  bool Drops(std::string_view name) const;
  // The value this level sets for `name`, or null.
  const std::string* SetValue(std::string_view name) const;
};

// Request and response changes of one level.
struct HeaderChanges {
  HeaderOps request;
  HeaderOps response;
  bool empty() const { return request.empty() && response.empty(); }
};

// The changes, in the order Envoy applies them: the destination's, then the rule's. Either may
// be null. What the head writers read.
struct HeaderLevels {
  const HeaderOps* levels[2] = {nullptr, nullptr};

  bool empty() const { return levels[0] == nullptr && levels[1] == nullptr; }
  // Whether a header of the message named `name` is left out (removed or replaced).
  bool Drops(std::string_view name) const;
  // Whether an op of level `i` for `name` is undone by a later level.
  bool DroppedAfter(size_t i, std::string_view name) const;
  // The value set for `name` by the last level that sets it, or null.
  const std::string* SetValue(std::string_view name) const;
};

// Compiles one `HeaderOperations`; managed names are left out.
HeaderOps CompileHeaderOps(const config::HeaderOperations& ops);
HeaderChanges CompileHeaderChanges(const config::Headers& headers);

}  // namespace canaryd::router

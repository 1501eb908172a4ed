#include "router/header_ops.h"

#include "common/ascii.h"
#include "config/managed_headers.h"

namespace canaryd::router {

bool HeaderOps::Drops(std::string_view name) const {
  for (const std::string& r : remove) {
    if (EqualsAsciiLower(name, r)) return true;
  }
  return SetValue(name) != nullptr;
}

const std::string* HeaderOps::SetValue(std::string_view name) const {
  for (const auto& [n, v] : set) {
    if (EqualsAsciiLower(name, n)) return &v;
  }
  return nullptr;
}

bool HeaderLevels::Drops(std::string_view name) const {
  for (const HeaderOps* l : levels) {
    if (l != nullptr && l->Drops(name)) return true;
  }
  return false;
}

bool HeaderLevels::DroppedAfter(size_t i, std::string_view name) const {
  for (size_t j = i + 1; j < 2; ++j) {
    if (levels[j] != nullptr && levels[j]->Drops(name)) return true;
  }
  return false;
}

const std::string* HeaderLevels::SetValue(std::string_view name) const {
  for (size_t i = 2; i-- > 0;) {
    if (levels[i] == nullptr) continue;
    if (const std::string* v = levels[i]->SetValue(name)) return v;
  }
  return nullptr;
}

HeaderOps CompileHeaderOps(const config::HeaderOperations& ops) {
  HeaderOps out;
  for (const std::string& name : ops.remove) {
    std::string lower = AsciiLower(name);
    if (!config::IsGatewayManagedHeader(lower) && lower != "host")
      out.remove.push_back(std::move(lower));
  }
  for (const auto& [name, value] : ops.set) {
    std::string lower = AsciiLower(name);
    if (!config::IsGatewayManagedHeader(lower)) out.set.emplace_back(std::move(lower), value);
  }
  for (const auto& [name, value] : ops.add) {
    std::string lower = AsciiLower(name);
    if (!config::IsGatewayManagedHeader(lower) && lower != "host")
      out.add.emplace_back(std::move(lower), value);
  }
  return out;
}

HeaderChanges CompileHeaderChanges(const config::Headers& headers) {
  HeaderChanges out;
  if (headers.request) out.request = CompileHeaderOps(*headers.request);
  if (headers.response) out.response = CompileHeaderOps(*headers.response);
  return out;
}

}  // namespace canaryd::router

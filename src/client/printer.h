// How canaryctl prints what the API returns, the way kubectl does: server-side Tables as
// aligned columns (wide output adds the priority > 0 columns; -A adds NAMESPACE), Status
// errors as kubectl words them ("Error from server (NotFound): ...", "The VirtualService "x" is
// invalid: ..."), and kubectl's names for objects ("virtualservice.networking.istio.io/web").
// Pure functions: any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "config/kinds.h"

namespace canaryd::client {

using nlohmann::json;

std::string PrintTable(const json& table, bool wide, bool with_namespace);

// The message kubectl prints for a failed request with body `body` and HTTP status `status`.
std::string FormatError(long status, const std::string& body);

// "virtualservice.networking.istio.io/web" (or "service/web").
std::string DisplayName(const config::KindInfo& kind, const std::string& name);
// "virtualservice.networking.istio.io \"web\"", as kubectl delete prints it.
std::string QuotedName(const config::KindInfo& kind, const std::string& name);

}  // namespace canaryd::client

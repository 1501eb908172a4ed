#include "api/event_conversion.h"

#include <string_view>

namespace canaryd::api {
namespace {

struct Renamed {
  std::string_view core;
  std::string_view v1;
};
constexpr Renamed kRenamed[] = {
    {"involvedObject", "regarding"},
    {"message", "note"},
    {"source", "deprecatedSource"},
    {"firstTimestamp", "deprecatedFirstTimestamp"},
    {"lastTimestamp", "deprecatedLastTimestamp"},
    {"count", "deprecatedCount"},
    {"reportingComponent", "reportingController"},
};

}  // namespace

nlohmann::json EventsV1FromCore(const nlohmann::json& core) {
  nlohmann::json out = nlohmann::json::object();
  if (!core.is_object()) return out;
  for (auto it = core.begin(); it != core.end(); ++it) {
    std::string key = it.key();
    for (const Renamed& r : kRenamed) {
      if (key == r.core) key = std::string(r.v1);
    }
    out[key] = it.value();
  }
  return out;
}

std::optional<nlohmann::json> CoreFromEventsV1(const nlohmann::json& v1,
                                               std::string* unknown_field) {
  nlohmann::json out = nlohmann::json::object();
  if (!v1.is_object()) return out;
  for (auto it = v1.begin(); it != v1.end(); ++it) {
    std::string key = it.key();
    for (const Renamed& r : kRenamed) {
      if (key == r.core) {
        *unknown_field = key;
        return std::nullopt;
      }
    }
    for (const Renamed& r : kRenamed) {
      if (key == r.v1) key = std::string(r.core);
    }
    out[key] = it.value();
  }
  return out;
}

std::string EventsV1FieldPath(const std::string& core_path) {
  size_t end = core_path.find_first_of(".[");
  std::string_view head = std::string_view(core_path).substr(0, end);
  for (const Renamed& r : kRenamed) {
    if (head == r.core) {
      return std::string(r.v1) + (end == std::string::npos ? "" : core_path.substr(end));
    }
  }
  return core_path;
}

}  // namespace canaryd::api

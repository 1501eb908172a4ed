// ParseDuration: durations as Istio's YAML writes them (Go / protobuf JSON forms): "1.5s",
// "100ms", "2m30s", "1h", "250us", "0s". Pure function, any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace canaryd::config {

// Returns the duration in nanoseconds, or nullopt with *error describing why not.
std::optional<int64_t> ParseDuration(std::string_view text, std::string* error);

// Formats nanoseconds in Go's style ("1.5s", "100ms", "2m0s").
std::string FormatDuration(int64_t nanos);

}  // namespace canaryd::config

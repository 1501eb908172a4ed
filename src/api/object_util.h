// Small helpers for Kubernetes-style objects held as JSON: timestamps as Kubernetes writes them
// (RFC 3339, second precision, UTC), ages as kubectl prints them ("5s", "3m12s", "2d19h"),
// random UIDs, and access to metadata fields. Pure functions (UIDs come from OpenSSL's
// thread-safe generator): any thread.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace canaryd::api {

using nlohmann::json;

// "2024-05-01T12:34:56Z" for a wall time in nanoseconds since the epoch.
std::string FormatTimestamp(int64_t wall_nanos);
// Parses FormatTimestamp's form (and fractional seconds, and offsets); nullopt when malformed.
std::optional<int64_t> ParseTimestamp(const std::string& text);
// A duration as Kubernetes' HumanDuration prints an age.
std::string HumanDuration(int64_t nanos);
// A random RFC 4122 version 4 UUID.
std::string NewUid();
// `n` random lower-case alphanumeric characters (generateName suffixes).
std::string RandomSuffix(size_t n);

// metadata.<field> as a string, or "" (also when metadata is absent or not an object).
std::string MetaString(const json& obj, const char* field);
// metadata.labels / metadata.annotations as an object (empty when absent).
const json& MetaMap(const json& obj, const char* field);

// obj[key], or null when obj is not an object or lacks it: safe to chain.
const json& JsonMember(const json& obj, const char* key);
// obj[key] as a string ("" unless a string) and as an integer (`fallback` unless an integer).
std::string JsonString(const json& obj, const char* key);
int64_t JsonInt(const json& obj, const char* key, int64_t fallback);

}  // namespace canaryd::api

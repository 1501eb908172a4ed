// Names the way Kubernetes' Deployment and ReplicaSet controllers name things: the
// pod-template-hash (and so `<deployment>-<hash>` ReplicaSet names) and the random 5-character
// suffix of generateName for Pods. Pure functions over values; safe from any thread (the random
// source is the caller's and must be safe for however the caller shares it).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace canaryd::workload {

// The alphabet of k8s.io/apimachinery/pkg/util/rand: no vowels (no accidental words) and none of
// 0, 1, 3 (look like o, l, e).
inline constexpr std::string_view kSafeAlphabet = "bcdfghjklmnpqrstvwxz2456789";

// FNV-1a, 32 bit, as Go's hash/fnv New32a.
uint32_t Fnv1a32(std::string_view data, uint32_t seed = 2166136261u);

// rand.SafeEncodeString: each byte mapped to kSafeAlphabet[byte % 27].
std::string SafeEncodeString(std::string_view s);

// The pod-template-hash. Kubernetes hashes a deep-printed PodTemplateSpec, which cannot be
// reproduced outside Go; `canonical_template` stands in for it and must be stable for equal
// templates (the template's JSON dumped with sorted keys). As controller.ComputeHash does, a
// collision count, when present, is appended as 8 bytes (uint32 little-endian, then 4 zero
// bytes) and the Sum32 is printed in decimal before encoding, e.g. "5d4f8c7b9".
std::string ComputeTemplateHash(std::string_view canonical_template,
                                std::optional<int32_t> collision_count = std::nullopt);

// `<deployment>-<hash>`: deterministic, so a repeated create of the same revision collides with
// itself instead of producing a second ReplicaSet.
std::string ReplicaSetName(std::string_view deployment_name, std::string_view template_hash);

// A source of uniformly random 32-bit values.
using RandomSource = std::function<uint32_t()>;

// rand.String(n): n characters of kSafeAlphabet, drawing 5 bits at a time and rejecting values
// >= 27 so every character is equally likely.
std::string RandomSuffix(const RandomSource& random, int n = 5);

// A Pod name as generateName `<rs_name>-` yields: the prefix is cut to 58 characters so the name
// stays within 63.
std::string PodName(std::string_view rs_name, const RandomSource& random);

// A small deterministic RandomSource (splitmix64) for tests and for callers that seed from a clock.
RandomSource SeededRandom(uint64_t seed);

}  // namespace canaryd::workload

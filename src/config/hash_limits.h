// The bounds of consistent hashing (DestinationRule consistentHash), shared by the validator,
// which refuses or warns at apply, and the ring builder (router/hash_ring.h). Constants and a
// pure function; any thread.
#pragma once

#include <cstdint>

namespace canaryd::config {

inline constexpr uint64_t kDefaultRingSize = 1024;  // Envoy's minimum_ring_size
// Below Envoy's maximum of 8M entries: a ring is kept per cluster in every table.
inline constexpr uint64_t kMaxRingSize = 1u << 20;
inline constexpr uint64_t kDefaultMaglevSize = 65537;  // Envoy's table_size
inline constexpr uint64_t kMaxMaglevSize = 5'000'011;  // Envoy's largest allowed

// Whether n is prime (Maglev table sizes must be).
inline bool IsPrime(uint64_t n) {
  if (n < 2) return false;
  for (uint64_t d = 2; d * d <= n; ++d) {
    if (n % d == 0) return false;
  }
  return true;
}

}  // namespace canaryd::config

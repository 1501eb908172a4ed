// EndpointHash: the consistent-hash pick of a cluster's endpoint, a ring hash (Ketama, as
// Envoy's RING_HASH) or a Maglev table (Envoy's MAGLEV), each endpoint taking a share in
// proportion to its weight. Built with the table from the endpoints' addresses, so every worker
// and every gateway with the same endpoints maps a hash to the same endpoint; immutable, any
// thread. The pick is a binary search (ring) or one lookup (Maglev), no allocation.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/hash_limits.h"

namespace canaryd::router {

class EndpointHash {
 public:
  enum class Kind : uint8_t { kRing, kMaglev };

  // `keys[i]` names endpoint i (its address), `weights[i]` its weight (0 counts as 1).
  // `size`: the ring's least size, or the Maglev table's size (a prime).
  static std::shared_ptr<const EndpointHash> Build(Kind kind, const std::vector<std::string>& keys,
                                                   const std::vector<uint32_t>& weights,
                                                   uint64_t size);

  // The endpoint for `hash`. When that is `avoid` (one that just failed) or `unusable` says so
  // (ejected), the next one along the ring (or the table) that is neither, so that keys keep
  // their endpoint while it is up and spread over the others while it is not. -1 when none is
  // left.
  int Pick(uint64_t hash, int avoid = -1, const std::vector<bool>* unusable = nullptr) const;

  Kind kind() const { return kind_; }
  size_t size() const { return kind_ == Kind::kRing ? ring_.size() : table_.size(); }

 private:
  Kind kind_ = Kind::kRing;
  uint32_t endpoints_ = 0;
  std::vector<std::pair<uint64_t, uint32_t>> ring_;  // (point, endpoint), sorted by point
  std::vector<uint32_t> table_;                      // Maglev: slot -> endpoint
};

}  // namespace canaryd::router

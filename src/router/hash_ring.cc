#include "router/hash_ring.h"

#include <algorithm>
#include <cmath>

#include "router/hash_key.h"

namespace canaryd::router {

std::shared_ptr<const EndpointHash> EndpointHash::Build(Kind kind,
                                                        const std::vector<std::string>& keys,
                                                        const std::vector<uint32_t>& weights,
                                                        uint64_t size) {
  auto out = std::make_shared<EndpointHash>();
  out->kind_ = kind;
  const size_t n = keys.size();
  out->endpoints_ = static_cast<uint32_t>(n);
  if (n == 0) return out;
  std::vector<uint64_t> w(n);
  uint64_t total = 0;
  for (size_t i = 0; i < n; ++i) {
    w[i] = i < weights.size() && weights[i] > 0 ? weights[i] : 1;
    total += w[i];
  }
  if (kind == Kind::kRing) {
    // Ketama: each endpoint puts points on the ring in proportion to its weight, at the hashes
    // of "<address>_<k>"; a key goes to the first point at or after its hash.
    uint64_t ring =
        std::clamp<uint64_t>(size == 0 ? config::kDefaultRingSize : size, n, config::kMaxRingSize);
    for (size_t i = 0; i < n; ++i) {
      uint64_t points = std::max<uint64_t>(1, (ring * w[i] + total - 1) / total);
      std::string key = keys[i] + "_";
      const size_t prefix = key.size();
      for (uint64_t k = 0; k < points; ++k) {
        key.resize(prefix);
        key += std::to_string(k);
        out->ring_.emplace_back(HashBytes(key), static_cast<uint32_t>(i));
      }
    }
    std::sort(out->ring_.begin(), out->ring_.end());
    return out;
  }
  // Maglev (Eisenbud et al. 2016), weighted as Envoy does: every endpoint walks its own
  // permutation of the slots (offset + j * skip), taking the next free slot each turn while its
  // share of the turns so far is below its weight's share.
  const uint64_t m = size == 0 ? config::kDefaultMaglevSize : size;
  out->table_.assign(m, UINT32_MAX);
  std::vector<uint64_t> offset(n), skip(n), next(n, 0);
  for (size_t i = 0; i < n; ++i) {
    offset[i] = HashBytes(keys[i]) % m;
    skip[i] = HashBytes(keys[i], 1) % (m - 1) + 1;
  }
  const uint64_t max_w = *std::max_element(w.begin(), w.end());
  std::vector<uint64_t> credit(n, 0);
  uint64_t filled = 0;
  for (uint64_t round = 0; filled < m; ++round) {
    for (size_t i = 0; i < n && filled < m; ++i) {
      credit[i] += w[i];
      if (credit[i] < max_w) continue;
      credit[i] -= max_w;
      uint64_t slot;
      do {
        slot = (offset[i] + next[i] * skip[i]) % m;
        ++next[i];
      } while (out->table_[slot] != UINT32_MAX);
      out->table_[slot] = static_cast<uint32_t>(i);
      ++filled;
    }
  }
  return out;
}

int EndpointHash::Pick(uint64_t hash, int avoid, const std::vector<bool>* unusable) const {
  auto usable = [&](uint32_t e) {
    return static_cast<int>(e) != avoid &&
           (unusable == nullptr || e >= unusable->size() || !(*unusable)[e]);
  };
  if (kind_ == Kind::kRing) {
    if (ring_.empty()) return -1;
    auto it = std::lower_bound(ring_.begin(), ring_.end(), std::make_pair(hash, uint32_t{0}));
    size_t start = it == ring_.end() ? 0 : static_cast<size_t>(it - ring_.begin());
    for (size_t k = 0; k < ring_.size(); ++k) {
      uint32_t e = ring_[(start + k) % ring_.size()].second;
      if (usable(e)) return static_cast<int>(e);
    }
    return -1;
  }
  if (table_.empty()) return -1;
  const size_t m = table_.size();
  size_t start = hash % m;
  // Every endpoint holds about m / n slots, so a usable one is found within a few probes; the
  // bound covers a table whose every endpoint is unusable.
  for (size_t k = 0; k < m; ++k) {
    uint32_t e = table_[(start + k) % m];
    if (usable(e)) return static_cast<int>(e);
  }
  return -1;
}

}  // namespace canaryd::router

#include "workload/template_hash.h"

#include <memory>

namespace canaryd::workload {

uint32_t Fnv1a32(std::string_view data, uint32_t seed) {
  uint32_t h = seed;
  for (unsigned char c : data) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

std::string SafeEncodeString(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) out.push_back(kSafeAlphabet[c % kSafeAlphabet.size()]);
  return out;
}

std::string ComputeTemplateHash(std::string_view canonical_template,
                                std::optional<int32_t> collision_count) {
  uint32_t h = Fnv1a32(canonical_template);
  if (collision_count) {
    const auto v = static_cast<uint32_t>(*collision_count);
    // Go writes an 8-byte buffer of which PutUint32 fills only the first four.
    const char bytes[8] = {static_cast<char>(v & 0xff),
                           static_cast<char>((v >> 8) & 0xff),
                           static_cast<char>((v >> 16) & 0xff),
                           static_cast<char>((v >> 24) & 0xff),
                           0,
                           0,
                           0,
                           0};
    h = Fnv1a32(std::string_view(bytes, sizeof bytes), h);
  }
  return SafeEncodeString(std::to_string(h));
}

std::string ReplicaSetName(std::string_view deployment_name, std::string_view template_hash) {
  std::string name(deployment_name);
  name += '-';
  name += template_hash;
  return name;
}

std::string RandomSuffix(const RandomSource& random, int n) {
  constexpr int kBits = 5;
  constexpr uint32_t kMask = (1u << kBits) - 1;
  constexpr int kPerDraw = 32 / kBits;
  std::string out;
  out.reserve(n);
  uint32_t bits = random();
  int remaining = kPerDraw;
  while (static_cast<int>(out.size()) < n) {
    if (remaining == 0) {
      bits = random();
      remaining = kPerDraw;
    }
    const uint32_t idx = bits & kMask;
    if (idx < kSafeAlphabet.size()) out.push_back(kSafeAlphabet[idx]);
    bits >>= kBits;
    --remaining;
  }
  return out;
}

std::string PodName(std::string_view rs_name, const RandomSource& random) {
  constexpr size_t kMaxNameLength = 63;
  constexpr int kSuffixLength = 5;
  std::string prefix(rs_name);
  prefix += '-';
  if (prefix.size() > kMaxNameLength - kSuffixLength) prefix.resize(kMaxNameLength - kSuffixLength);
  return prefix + RandomSuffix(random, kSuffixLength);
}

RandomSource SeededRandom(uint64_t seed) {
  auto state = std::make_shared<uint64_t>(seed);
  return [state]() {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return static_cast<uint32_t>((z ^ (z >> 31)) >> 32);
  };
}

}  // namespace canaryd::workload

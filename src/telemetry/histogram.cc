#include "telemetry/histogram.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace canaryd::telemetry {
namespace {
constexpr double kFirstBoundMs = 0.01;
constexpr double kGrowth = 1.1;

// The upper bounds, computed once: a binary search over them is several times cheaper than the
// logarithm it replaces, and BucketOf runs for every request.
const std::array<double, LatencyHistogram::kBuckets> kUpperBoundsMs = [] {
  std::array<double, LatencyHistogram::kBuckets> b{};
  for (int i = 0; i < LatencyHistogram::kBuckets; ++i) b[i] = kFirstBoundMs * std::pow(kGrowth, i);
  return b;
}();
}  // namespace

int LatencyHistogram::BucketOf(double ms) {
  // The first bucket whose upper bound is at least ms; NaN and anything below the first bound
  // land in bucket 0, anything past the last in the last.
  if (!(ms > kFirstBoundMs)) return 0;
  auto it = std::lower_bound(kUpperBoundsMs.begin(), kUpperBoundsMs.end(), ms);
  return it == kUpperBoundsMs.end() ? kBuckets - 1 : static_cast<int>(it - kUpperBoundsMs.begin());
}

double LatencyHistogram::UpperBoundMs(int bucket) {
  return bucket < kBuckets ? kUpperBoundsMs[bucket] : kFirstBoundMs * std::pow(kGrowth, bucket);
}

double LatencyHistogram::Quantile(double q) const {
  if (count == 0) return 0;
  double rank = q * static_cast<double>(count);
  uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    if (counts[i] == 0) continue;
    if (static_cast<double>(seen + counts[i]) >= rank) {
      double lo = i == 0 ? 0 : UpperBoundMs(i - 1);
      double hi = UpperBoundMs(i);
      double within = (rank - static_cast<double>(seen)) / static_cast<double>(counts[i]);
      if (within < 0) within = 0;
      return lo + (hi - lo) * within;
    }
    seen += counts[i];
  }
  return UpperBoundMs(kBuckets - 1);
}

}  // namespace canaryd::telemetry

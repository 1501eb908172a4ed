#include "telemetry/histogram.h"

#include <cmath>

namespace canaryd::telemetry {
namespace {
constexpr double kFirstBoundMs = 0.01;
constexpr double kGrowth = 1.1;
}  // namespace

int LatencyHistogram::BucketOf(double ms) {
  if (!(ms > kFirstBoundMs)) return 0;
  int b = static_cast<int>(std::ceil(std::log(ms / kFirstBoundMs) / std::log(kGrowth)));
  return b >= kBuckets ? kBuckets - 1 : b;
}

double LatencyHistogram::UpperBoundMs(int bucket) {
  return kFirstBoundMs * std::pow(kGrowth, bucket);
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

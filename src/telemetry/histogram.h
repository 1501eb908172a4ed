// Fixed-bucket histograms as Prometheus exposes them (cumulative `le` buckets, sum, count), with
// Istio's default bucket bounds for request durations (milliseconds) and sizes (bytes). Plain
// values: one writer; copy to read elsewhere.
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace canaryd::telemetry {

inline constexpr std::array<double, 19> kDurationBucketsMs = {
    0.5,  1,    5,     10,    25,    50,     100,    250,     500,    1000,
    2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000};
inline constexpr std::array<double, 8> kSizeBuckets = {1,     10,     100,     1000,
                                                       10000, 100000, 1000000, 10000000};

template <size_t N>
struct Histogram {
  std::array<uint64_t, N + 1> counts{};  // per bucket (not cumulative); the last is +Inf
  double sum = 0;
  uint64_t count = 0;

  void Record(double value, const std::array<double, N>& bounds) {
    size_t i = 0;
    while (i < N && value > bounds[i]) ++i;
    ++counts[i];
    sum += value;
    ++count;
  }
  void Merge(const Histogram& o) {
    for (size_t i = 0; i <= N; ++i) counts[i] += o.counts[i];
    sum += o.sum;
    count += o.count;
  }
};

using DurationHistogram = Histogram<kDurationBucketsMs.size()>;
using SizeHistogram = Histogram<kSizeBuckets.size()>;

// A fine log-scale latency histogram for percentiles of the live windows: 160 buckets growing
// by 10% from 0.01 ms (the last is open-ended), so a percentile is within 10% of the truth.
struct LatencyHistogram {
  static constexpr int kBuckets = 160;
  std::array<uint32_t, kBuckets> counts{};
  uint64_t count = 0;

  static int BucketOf(double ms);
  static double UpperBoundMs(int bucket);
  void Record(double ms) {
    ++counts[BucketOf(ms)];
    ++count;
  }
  void Merge(const LatencyHistogram& o) {
    for (int i = 0; i < kBuckets; ++i) counts[i] += o.counts[i];
    count += o.count;
  }
  // The q-quantile (0..1) in milliseconds, interpolated inside its bucket; 0 when empty.
  double Quantile(double q) const;
};

}  // namespace canaryd::telemetry

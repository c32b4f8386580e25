//===- RangeStatistics.h - Min/max and histograms of a tensor ---*- C++ -*-===//
//
// What calibration accumulates per measured value over every input set, and
// the range each method derives from it (and, where asked, channel means).
// Two passes: min/max first, then a histogram of |x| over [0, max |x|] whose
// bins are fixed by the first.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_COMPILER_CALIBRATION_RANGESTATISTICS_H
#define R1C_COMPILER_CALIBRATION_RANGESTATISTICS_H

#include "compiler/calibration/Calibration.h"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace r1c {

/// Histogram bins over [0, max |x|].
inline constexpr int kCalibrationBins = 2048;
/// Levels the entropy method quantizes a candidate range to (int8's 128 per sign).
inline constexpr int kCalibrationLevels = 128;
/// The percentile method's share of |x| kept.
inline constexpr double kCalibrationPercentile = 0.9999;

class RangeStatistics {
public:
  /// Also keeps the min and max of each of `count` channels, the index
  /// along the last dim of a row-major tensor (before any addMinMax).
  void trackChannels(int64_t count);
  /// Also keeps the mean of each of `count` channels (addChannelSums).
  void trackChannelMeans(int64_t count);
  /// First pass: finite values only (NaN and infinities are skipped).
  void addMinMax(const float *values, size_t count);
  /// With the first pass, where trackChannelMeans: element i belongs to
  /// channel (i / inner) % count, a matmul activation's last dim (inner 1)
  /// or a convolution's dim 1 (inner the product of the dims after it),
  /// which can differ between sets of other shapes.
  void addChannelSums(const float *values, size_t count, int64_t inner);
  /// Second pass, after every addMinMax.
  void addHistogram(const float *values, size_t count);
  bool seen() const { return min <= max; }
  /// The range of `method`; a clipping method keeps [min, max] inside
  /// [-t, t] for its threshold t.
  std::pair<double, double> range(CalibrationMethod method) const;

  /// Per channel: the smallest and largest finite value, unclipped (NaN
  /// where no finite value was seen); empty unless trackChannels.
  const std::vector<float> &channelMin() const { return channelLow; }
  const std::vector<float> &channelMax() const { return channelHigh; }

  /// Per channel: the mean of the finite values (empty unless
  /// trackChannelMeans, or where a channel saw none).
  std::vector<float> channelMeans() const;

  /// Exposed for tests of the thresholds.
  double absMax() const;
  double percentileThreshold() const;
  double entropyThreshold() const;

private:
  float min = INFINITY, max = -INFINITY;
  std::vector<uint64_t> histogram;
  std::vector<float> channelLow, channelHigh;
  std::vector<double> channelSum;
  std::vector<uint64_t> channelCount;
};

} // namespace r1c

#endif // R1C_COMPILER_CALIBRATION_RANGESTATISTICS_H

//===- RangeStatistics.cpp - Min/max and histograms of a tensor -----------===//
#include "compiler/calibration/RangeStatistics.h"

#include "llvm/ADT/STLExtras.h"

#include <algorithm>

namespace r1c {

void RangeStatistics::addMinMax(const float *values, size_t count) {
  float lo = min, hi = max;
  for (size_t i = 0; i < count; ++i) {
    float v = values[i];
    if (!std::isfinite(v))
      continue;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  min = lo;
  max = hi;
  size_t channels = channelLow.size();
  if (channels == 0 || count % channels != 0)
    return;
  for (size_t i = 0; i < count; ++i) {
    float v = values[i];
    if (!std::isfinite(v))
      continue;
    // NaN (unseen) compares false both ways, so the first value replaces it.
    float &low = channelLow[i % channels], &high = channelHigh[i % channels];
    if (!(v >= low))
      low = v;
    if (!(v <= high))
      high = v;
  }
}

void RangeStatistics::addChannelSums(const float *values, size_t count, int64_t innerSize) {
  size_t channels = channelSum.size(), inner = size_t(std::max<int64_t>(innerSize, 1));
  if (channels == 0 || count % (channels * inner) != 0)
    return;
  for (size_t i = 0; i < count; i += inner) {
    size_t channel = i / inner % channels;
    double sum = 0;
    uint64_t finite = 0;
    for (size_t j = i; j < i + inner; ++j)
      if (std::isfinite(values[j])) {
        sum += values[j];
        ++finite;
      }
    channelSum[channel] += sum;
    channelCount[channel] += finite;
  }
}

void RangeStatistics::trackChannelMeans(int64_t count) {
  channelSum.assign(size_t(count), 0.0);
  channelCount.assign(size_t(count), 0);
}

std::vector<float> RangeStatistics::channelMeans() const {
  std::vector<float> means;
  for (auto [sum, count] : llvm::zip(channelSum, channelCount)) {
    if (count == 0)
      return {};
    means.push_back(float(sum / double(count)));
  }
  return means;
}

void RangeStatistics::trackChannels(int64_t count) {
  channelLow.assign(size_t(count), NAN);
  channelHigh.assign(size_t(count), NAN);
}

double RangeStatistics::absMax() const {
  return seen() ? std::max(std::fabs(double(min)), std::fabs(double(max))) : 0.0;
}

void RangeStatistics::addHistogram(const float *values, size_t count) {
  if (histogram.empty())
    histogram.assign(kCalibrationBins, 0);
  double amax = absMax();
  if (amax == 0) {
    // Every finite value is 0: one bin holds them.
    for (size_t i = 0; i < count; ++i)
      histogram[0] += std::isfinite(values[i]);
    return;
  }
  // Bin k holds |x| in [k w, (k+1) w) for w = amax / bins; amax itself goes
  // to the last bin. The scale and the product are doubles, so that the
  // documented formula reproduces the bins exactly.
  double scale = double(kCalibrationBins) / amax;
  for (size_t i = 0; i < count; ++i) {
    float v = values[i];
    if (!std::isfinite(v))
      continue;
    int64_t bin = int64_t(std::fabs(double(v)) * scale);
    ++histogram[std::min<int64_t>(bin, kCalibrationBins - 1)];
  }
}

double RangeStatistics::percentileThreshold() const {
  uint64_t total = 0;
  for (uint64_t count : histogram)
    total += count;
  double width = absMax() / kCalibrationBins;
  uint64_t cumulative = 0;
  for (int k = 0; k < int(histogram.size()); ++k) {
    cumulative += histogram[k];
    if (double(cumulative) >= kCalibrationPercentile * double(total))
      return double(k + 1) * width;
  }
  return absMax();
}

double RangeStatistics::entropyThreshold() const {
  if (histogram.empty())
    return absMax();
  // For each candidate count of bins kept, i: P is the kept bins with the
  // clipped outliers added to the last one; Q is the kept bins alone,
  // merged into 128 levels and spread back evenly over each level's nonzero
  // bins. Clipping shows as the mass P has and Q lacks; coarse levels as
  // the detail Q lacks. A candidate where P > 0 but Q = 0 (outliers landing
  // on an empty bin) is skipped; i = 2048 never is. The first i with the
  // least KL(P || Q), each normalized to sum 1, wins.
  double total = 0;
  for (uint64_t count : histogram)
    total += double(count);
  if (total == 0)
    return absMax();
  double best = INFINITY;
  int bestBins = kCalibrationBins;
  double outliers = 0;
  for (int k = kCalibrationLevels; k < kCalibrationBins; ++k)
    outliers += double(histogram[k]);
  double kept = total - outliers;
  for (int bins = kCalibrationLevels; bins <= kCalibrationBins; ++bins) {
    if (bins > kCalibrationLevels) {
      outliers -= double(histogram[bins - 1]);
      kept += double(histogram[bins - 1]);
    }
    if (outliers > 0 && histogram[bins - 1] == 0)
      continue;
    double divergence = 0;
    for (int level = 0; level < kCalibrationLevels; ++level) {
      int begin = level * bins / kCalibrationLevels;
      int end = (level + 1) * bins / kCalibrationLevels;
      double sum = 0;
      int nonzero = 0;
      for (int k = begin; k < end; ++k) {
        sum += double(histogram[k]);
        nonzero += histogram[k] > 0;
      }
      if (nonzero == 0)
        continue;
      double q = sum / nonzero / kept;
      for (int k = begin; k < end; ++k) {
        double p = double(histogram[k]) + (k == bins - 1 ? outliers : 0.0);
        if (p > 0)
          divergence += p / total * std::log(p / total / q);
      }
    }
    if (divergence < best) {
      best = divergence;
      bestBins = bins;
    }
  }
  return double(bestBins) * (absMax() / kCalibrationBins);
}

std::pair<double, double> RangeStatistics::range(CalibrationMethod method) const {
  if (!seen())
    return {0.0, 0.0};
  double lo = min, hi = max;
  if (method == CalibrationMethod::MinMax)
    return {lo, hi};
  double threshold =
      method == CalibrationMethod::Percentile ? percentileThreshold() : entropyThreshold();
  // A tensor entirely beyond the threshold on one side keeps one point.
  hi = std::min(hi, threshold);
  lo = std::min(std::max(lo, -threshold), hi);
  return {lo, hi};
}

} // namespace r1c

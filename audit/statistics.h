// The small statistics the audit's figures share: ratios that are unknown
// rather than infinite, percentiles and medians, and the count, mean, median
// and p90 of durations. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace salesaudit {

// nullopt when the denominator is 0, or the quotient does not fit a double
// (a revenue target over a tiny average deal): an unknown, never inf.
std::optional<double> Ratio(double numerator, double denominator);

// Linear interpolation between closest ranks (the median of an even count is
// the mean of the middle two); `sorted` is ascending and not empty.
double Percentile(const std::vector<double>& sorted, double p);

// Percentile 0.5 of `values` in any order; nullopt when there are none.
std::optional<double> Median(std::vector<double> values);

// count, mean, median and p90 of a set of durations in days; the statistics
// are nullopt when count is 0.
struct DurationStats {
  int64_t count = 0;
  std::optional<double> mean;
  std::optional<double> median;
  std::optional<double> p90;
};

// The stats of `days`, which it sorts.
DurationStats StatsOf(std::vector<double>& days);

}  // namespace salesaudit

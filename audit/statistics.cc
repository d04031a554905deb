#include "audit/statistics.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace salesaudit {

std::optional<double> Ratio(double numerator, double denominator) {
  if (denominator == 0) return std::nullopt;
  const double ratio = numerator / denominator;
  if (!std::isfinite(ratio)) return std::nullopt;
  return ratio;
}

double Percentile(const std::vector<double>& sorted, double p) {
  const double pos = p * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - static_cast<double>(lo));
}

std::optional<double> Median(std::vector<double> values) {
  if (values.empty()) return std::nullopt;
  std::sort(values.begin(), values.end());
  return Percentile(values, 0.5);
}

DurationStats StatsOf(std::vector<double>& days) {
  DurationStats s;
  s.count = static_cast<int64_t>(days.size());
  if (days.empty()) return s;
  std::sort(days.begin(), days.end());
  s.mean = std::accumulate(days.begin(), days.end(), 0.0) / static_cast<double>(days.size());
  s.median = Percentile(days, 0.5);
  s.p90 = Percentile(days, 0.9);
  return s;
}

}  // namespace salesaudit

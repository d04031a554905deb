#include "audit/number_text.h"

#include <cstdio>

namespace salesaudit {

std::string FixedText(double value, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return buf;
}

std::string FixedText(const std::optional<double>& value, int decimals) {
  return value ? FixedText(*value, decimals) : "-";
}

std::string PercentText(const std::optional<double>& rate) {
  return rate ? FixedText(*rate * 100.0, 1) + "%" : "-";
}

}  // namespace salesaudit

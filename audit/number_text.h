// Numbers as the audit's terminal outputs write them (SnapshotText,
// FormatEmailAuditText, ForecastText, MoneyText): fixed decimals without
// grouping, rates as percents, and "-" for an unknown. Pure functions;
// thread-safe.
#pragma once

#include <optional>
#include <string>

namespace salesaudit {

// 1234.5678, 2 -> "1234.57" (printf's rounding).
std::string FixedText(double value, int decimals);
std::string FixedText(const std::optional<double>& value, int decimals);

// 0.1234 -> "12.3%".
std::string PercentText(const std::optional<double>& rate);

}  // namespace salesaudit

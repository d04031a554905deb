// Durations as the config and the operator write them: "250ms", "30s",
// "5m", "1h", "7d" and sums of them ("1h30m"). One unit table serves reading
// and writing, so what is printed always reads back. Pure functions;
// thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace salesaudit {

// Parses "30s", "5m", "1h", "7d", "250ms" and sums of them ("1h30m"); nullopt
// for anything else (no sign, no spaces, no fractions, no bare numbers).
std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text);

// "1h30m", "45s", "250ms", "0s": the largest units first, none repeated.
// Negative durations are written as "0s" (nothing reads them).
std::string FormatDuration(std::chrono::milliseconds duration);

}  // namespace salesaudit

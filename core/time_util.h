// Time parsing and formatting shared by every part. All functions are pure
// and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace salesaudit {

// Parses the timestamp forms the vendor APIs send (reference/apis.md 0.5):
// ISO-8601 with `Z`, `+00:00` or `+0000` offsets and optional fraction,
// `YYYY-MM-DD HH:MM:SS` (UTC), `YYYY-MM-DD` (UTC midnight), and epoch
// milliseconds as digits. Returns milliseconds since the epoch, or nullopt for
// empty input or anything else.
std::optional<int64_t> ParseTimestampMs(std::string_view text);

// "2024-01-10T09:15:30.234Z" (always millisecond precision, UTC).
std::string FormatIsoMs(int64_t epoch_ms);

// Milliseconds since the epoch from the system clock.
int64_t NowMs();

// The span of times a CRM or email tool can truthfully hold: [1980-01-01,
// 2100-01-01) UTC. A time outside it (epoch 0 sent for a missing date, a year-1
// default, a corrupt number) is an unknown value: records carry it unset, with
// a warning naming the record and property, and the audit never builds a
// period for it, so one absurd value cannot make the audit unbounded.
inline constexpr int64_t kEarliestPlausibleMs = 315532800000;  // 1980-01-01T00:00:00Z
inline constexpr int64_t kLatestPlausibleMs = 4102444800000;   // 2100-01-01T00:00:00Z
constexpr bool IsPlausibleTimeMs(int64_t epoch_ms) {
  return epoch_ms >= kEarliestPlausibleMs && epoch_ms < kLatestPlausibleMs;
}

}  // namespace salesaudit

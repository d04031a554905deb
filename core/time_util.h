// Time parsing and formatting shared by every part. All functions are pure
// and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace salesaudit {

// Parses the timestamp forms the vendor APIs send (docs/vendors/hubspot.md and
// docs/vendors/mailchimp.md, "Timestamps"):
// ISO-8601 with `Z`, `+00:00` or `+0000` offsets and optional fraction,
// `YYYY-MM-DD HH:MM:SS` (UTC), `YYYY-MM-DD` (UTC midnight), and epoch
// milliseconds as digits. Returns milliseconds since the epoch, or nullopt for
// empty input or anything else.
std::optional<int64_t> ParseTimestampMs(std::string_view text);

// "2024-01-10T09:15:30.234Z" (always millisecond precision, UTC).
std::string FormatIsoMs(int64_t epoch_ms);

// Calendar periods of UTC time, numbered so that consecutive periods have
// consecutive indexes. The dates come from std::chrono's calendar
// (proleptic Gregorian), for every int64 time.

// Months since year 0 (year * 12 + month - 1) of the UTC date of `epoch_ms`.
int64_t MonthIndex(int64_t epoch_ms);
// 00:00 UTC on the first day of month `month_index` (as MonthIndex counts).
int64_t MonthStartMs(int64_t month_index);
// ISO weeks (Monday 00:00 UTC to the next) since the week holding
// 1970-01-01, which starts on Monday 1969-12-29.
int64_t WeekIndex(int64_t epoch_ms);
// 00:00 UTC on the Monday that starts week `week_index` (as WeekIndex counts).
int64_t WeekStartMs(int64_t week_index);

// Milliseconds since the epoch from the real clock (Clock::Default()), for
// what has no clock passed in: one-off commands, the process's own metrics.
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

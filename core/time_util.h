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

}  // namespace salesaudit

// The periods the audit buckets lead volume and capacity into, and the
// window checks that keep an audit bounded whatever dates the store holds.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "audit/funnel.h"
#include "core/status.h"

namespace salesaudit {

// The bucket of lead volume and capacity: ISO week (Monday 00:00 UTC) or
// calendar month (UTC).
enum class AuditPeriod { kWeek, kMonth };

const char* AuditPeriodName(AuditPeriod period);  // "week" | "month"

// The index of the period holding `ms`; consecutive periods have consecutive
// indexes (core/time_util.h WeekIndex, MonthIndex).
int64_t PeriodIndex(int64_t ms, AuditPeriod period);

// The first instant of period `index`.
int64_t PeriodStartMs(int64_t index, AuditPeriod period);

// "YYYY-MM" (a spend entry's month) as a MonthIndex, or nullopt.
std::optional<int64_t> ParseMonth(std::string_view text);

// The most periods one audit covers: lead_volume.series holds one element per
// period, so this bounds the snapshot whatever dates the store holds. An open
// window start goes back at most this far from the window end; a given one
// further back is refused. 1000 weeks are 19 years.
inline constexpr int64_t kMaxAuditPeriods = 1000;

// Ok when the audit can compute `window` in `period`: each given bound is a
// plausible time (core/time_util.h) and a window with both bounds spans at
// most kMaxAuditPeriods periods (ComputeSnapshot checks a given start against
// the end it uses, now when none is given); else kInvalidArgument saying
// which and why.
Status CheckAuditWindow(const AuditWindow& window, AuditPeriod period);

}  // namespace salesaudit

#include "audit/period.h"

#include <cctype>
#include <string>
#include <utility>

#include "core/time_util.h"

namespace salesaudit {

const char* AuditPeriodName(AuditPeriod period) {
  return period == AuditPeriod::kWeek ? "week" : "month";
}

int64_t PeriodIndex(int64_t ms, AuditPeriod period) {
  return period == AuditPeriod::kWeek ? WeekIndex(ms) : MonthIndex(ms);
}

int64_t PeriodStartMs(int64_t index, AuditPeriod period) {
  return period == AuditPeriod::kWeek ? WeekStartMs(index) : MonthStartMs(index);
}

std::optional<int64_t> ParseMonth(std::string_view text) {
  if (text.size() != 7 || text[4] != '-') return std::nullopt;
  for (size_t i : {0, 1, 2, 3, 5, 6}) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
  }
  const int64_t year = std::stoll(std::string(text.substr(0, 4)));
  const int64_t month = std::stoll(std::string(text.substr(5, 2)));
  if (month < 1 || month > 12) return std::nullopt;
  return year * 12 + month - 1;
}

Status CheckAuditWindow(const AuditWindow& window, AuditPeriod period) {
  for (const auto& [bound, name] : {std::pair{window.from, "start"}, std::pair{window.to, "end"}}) {
    if (bound && !IsPlausibleTimeMs(*bound)) {
      return Status::InvalidArgument(std::string("the window ") + name + " " + FormatIsoMs(*bound) +
                                     " lies outside the span the audit accepts, " +
                                     FormatIsoMs(kEarliestPlausibleMs) + " to " +
                                     FormatIsoMs(kLatestPlausibleMs));
    }
  }
  if (window.from && window.to && *window.to > *window.from) {
    const int64_t periods =
        PeriodIndex(*window.to - 1, period) - PeriodIndex(*window.from, period) + 1;
    if (periods > kMaxAuditPeriods) {
      return Status::InvalidArgument(
          "the window spans " + std::to_string(periods) + " " + AuditPeriodName(period) +
          "s; an audit covers at most " + std::to_string(kMaxAuditPeriods) +
          ": choose a later start" +
          (period == AuditPeriod::kWeek ? " or audit.period: month" : ""));
    }
  }
  return Status::Ok();
}

}  // namespace salesaudit

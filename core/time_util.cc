#include "core/time_util.h"

#include <chrono>
#include <cstdio>
#include <optional>
#include <ratio>

#include "core/clock.h"

namespace salesaudit {
namespace {

using std::chrono::days;
using std::chrono::milliseconds;
using std::chrono::sys_days;
using std::chrono::years;

constexpr int64_t kMsPerDay = 86400000;

// std::chrono::year holds only the years -32767 to 32767, and an epoch
// millisecond can be 292 million years away. The Gregorian calendar repeats
// every 400 years (146097 days), so whole 400-year cycles are taken off a
// date before std::chrono sees it and put back after.
using GregorianCycles =
    std::chrono::duration<int64_t, std::ratio_multiply<std::ratio<400>, years::period>>;
static_assert(GregorianCycles(1) == days(146097));

struct CivilDate {
  int64_t year = 0;
  unsigned month = 1;  // 1..12
  unsigned day = 1;    // 1..31
};

// The UTC date of `epoch_ms`.
CivilDate DateOf(int64_t epoch_ms) {
  const sys_days day =
      std::chrono::floor<days>(std::chrono::sys_time<milliseconds>(milliseconds(epoch_ms)));
  const GregorianCycles cycles = std::chrono::floor<GregorianCycles>(day.time_since_epoch());
  const std::chrono::year_month_day date{day - cycles};
  return {static_cast<int>(date.year()) + cycles.count() * 400, static_cast<unsigned>(date.month()),
          static_cast<unsigned>(date.day())};
}

// Days since 1970-01-01 of `date`; nullopt when it names no day (month 13,
// February 30).
std::optional<int64_t> DayNumber(const CivilDate& date) {
  const GregorianCycles cycles = std::chrono::floor<GregorianCycles>(years(date.year));
  const std::chrono::year_month_day ymd{
      std::chrono::year(static_cast<int>((years(date.year) - cycles).count())),
      std::chrono::month(date.month), std::chrono::day(date.day)};
  if (!ymd.ok()) return std::nullopt;
  return (sys_days(ymd) + cycles).time_since_epoch().count();
}

// Monday 1969-12-29 starts the ISO week of the epoch: week 0.
constexpr sys_days kWeekZero = sys_days(std::chrono::year(1969) / std::chrono::December / 29);

bool ReadDigits(std::string_view s, size_t& pos, size_t count, int& out) {
  if (pos + count > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < count; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  pos += count;
  out = v;
  return true;
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

std::optional<int64_t> ParseTimestampMs(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  if (s.empty()) return std::nullopt;
  bool negative = s.front() == '-' && s.size() > 1 && AllDigits(s.substr(1));
  if (AllDigits(s) || negative) {
    // Epoch milliseconds; 19 digits would overflow int64.
    if (s.size() > 18) return std::nullopt;
    int64_t v = 0;
    for (char c : negative ? s.substr(1) : s) v = v * 10 + (c - '0');
    return negative ? -v : v;
  }
  size_t pos = 0;
  int year = 0, month = 0, day = 0;  // set before use; zero for -O3's flow analysis
  if (!ReadDigits(s, pos, 4, year) || pos >= s.size() || s[pos++] != '-' ||
      !ReadDigits(s, pos, 2, month) || pos >= s.size() || s[pos++] != '-' ||
      !ReadDigits(s, pos, 2, day)) {
    return std::nullopt;
  }
  const std::optional<int64_t> day_number = DayNumber(
      {.year = year, .month = static_cast<unsigned>(month), .day = static_cast<unsigned>(day)});
  if (!day_number) return std::nullopt;
  int64_t ms = *day_number * kMsPerDay;
  if (pos == s.size()) return ms;
  if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ') return std::nullopt;
  ++pos;
  int hour = 0, minute = 0, second = 0;
  if (!ReadDigits(s, pos, 2, hour) || pos >= s.size() || s[pos++] != ':' ||
      !ReadDigits(s, pos, 2, minute)) {
    return std::nullopt;
  }
  if (pos < s.size() && s[pos] == ':') {
    ++pos;
    if (!ReadDigits(s, pos, 2, second)) return std::nullopt;
  }
  if (hour > 23 || minute > 59 || second > 60) return std::nullopt;
  ms += (hour * 3600LL + minute * 60LL + second) * 1000LL;
  if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
    ++pos;
    int64_t frac = 0;
    int digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 3) frac = frac * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (int i = digits; i < 3; ++i) frac *= 10;
    ms += frac;
  }
  if (pos == s.size()) return ms;  // no zone: UTC, as the vendors document
  if (s[pos] == 'Z' || s[pos] == 'z') return pos + 1 == s.size() ? std::optional(ms) : std::nullopt;
  if (s[pos] != '+' && s[pos] != '-') return std::nullopt;
  int sign = s[pos++] == '+' ? 1 : -1;
  int off_h, off_m = 0;
  if (!ReadDigits(s, pos, 2, off_h)) return std::nullopt;
  if (pos < s.size() && s[pos] == ':') ++pos;
  if (pos < s.size() && !ReadDigits(s, pos, 2, off_m)) return std::nullopt;
  if (pos != s.size() || off_h > 23 || off_m > 59) return std::nullopt;
  return ms - sign * (off_h * 3600LL + off_m * 60LL) * 1000LL;
}

std::string FormatIsoMs(int64_t epoch_ms) {
  const milliseconds since_epoch(epoch_ms);
  const CivilDate date = DateOf(epoch_ms);
  const std::chrono::hh_mm_ss time(since_epoch - std::chrono::floor<days>(since_epoch));
  char buf[64];
  snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ",
           static_cast<long long>(date.year), date.month, date.day,
           static_cast<long long>(time.hours().count()),
           static_cast<long long>(time.minutes().count()),
           static_cast<long long>(time.seconds().count()),
           static_cast<long long>(time.subseconds().count()));
  return buf;
}

int64_t MonthIndex(int64_t epoch_ms) {
  const CivilDate date = DateOf(epoch_ms);
  return date.year * 12 + date.month - 1;
}

int64_t MonthStartMs(int64_t month_index) {
  const years year = std::chrono::floor<years>(std::chrono::months(month_index));
  const CivilDate first{
      .year = year.count(),
      .month = static_cast<unsigned>((std::chrono::months(month_index) - year).count()) + 1,
      .day = 1};
  return *DayNumber(first) * kMsPerDay;
}

int64_t WeekIndex(int64_t epoch_ms) {
  return std::chrono::floor<std::chrono::weeks>(
             std::chrono::sys_time<milliseconds>(milliseconds(epoch_ms)) - kWeekZero)
      .count();
}

int64_t WeekStartMs(int64_t week_index) {
  return std::chrono::duration_cast<milliseconds>(
             (kWeekZero + std::chrono::weeks(week_index)).time_since_epoch())
      .count();
}

int64_t NowMs() { return Clock::Default().NowMs(); }

}  // namespace salesaudit

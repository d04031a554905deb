// The one tolerant timestamp parser every connector uses (docs/vendors/hubspot.md and
// docs/vendors/mailchimp.md, "Timestamps").
#include "core/time_util.h"

#include <catch2/catch.hpp>
#include <cstdio>
#include <string>
#include <utility>

#include "core/records.h"

namespace salesaudit {
namespace {

TEST_CASE("Every vendor timestamp form parses to the same instant", "[core][time]") {
  const int64_t expected = 1709647200123;  // 2024-03-05T14:00:00.123Z
  const char* forms[] = {
      "2024-03-05T14:00:00.123Z",     "2024-03-05T14:00:00.123+00:00",
      "2024-03-05T14:00:00.123+0000", "2024-03-05T15:00:00.123+01:00",
      "2024-03-05T09:00:00.123-0500", "1709647200123",
      "2024-03-05 14:00:00.123",      "2024-03-05T14:00:00.123456Z",
  };
  for (const char* form : forms) {
    INFO(form);
    CHECK(ParseTimestampMs(form) == expected);
  }
  CHECK(ParseTimestampMs("2024-03-05") == 1709596800000);
  CHECK(ParseTimestampMs("2024-03-05T14:00:00Z") == 1709647200000);
}

TEST_CASE("Empty and malformed timestamps are unknown, not zero", "[core][time]") {
  for (const char* bad :
       {"", "   ", "next tuesday", "2024-13-01", "2024-02-30T00:00:00Z", "2024-03-05T25:00:00Z",
        "2024-03-05T14:00:00Zjunk", "12345678901234567890"}) {
    INFO(bad);
    CHECK_FALSE(ParseTimestampMs(bad).has_value());
  }
}

TEST_CASE("FormatIsoMs writes UTC with milliseconds and round-trips", "[core][time]") {
  CHECK(FormatIsoMs(0) == "1970-01-01T00:00:00.000Z");
  CHECK(FormatIsoMs(1709647200123) == "2024-03-05T14:00:00.123Z");
  CHECK(FormatIsoMs(951782400000) == "2000-02-29T00:00:00.000Z");
  for (int64_t t : {int64_t{1}, int64_t{86399999}, int64_t{4102444800000}, int64_t{-1000}}) {
    CHECK(ParseTimestampMs(FormatIsoMs(t)) == t);
  }
}

// A date turned to the next day the way a calendar on the wall is: an
// independent recomputation of the calendar, not a copy of the date
// arithmetic under test.
struct WallDate {
  int year, month, day;
  void Next() {
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    const int month_days[] = {31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (++day <= month_days[month - 1]) return;
    day = 1;
    if (++month <= 12) return;
    month = 1;
    ++year;
  }
  std::string Text() const {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", year, month, day);
    return buf;
  }
};

TEST_CASE("Every day from year 0 to 9999 parses, formats and falls in the month it names",
          "[core][time]") {
  constexpr int64_t kDayMs = 86400000;
  // 0000-01-01 is 719528 days before the epoch (proleptic Gregorian).
  int64_t day_ms = -719528 * kDayMs;
  int64_t failures = 0;
  for (WallDate date{0, 1, 1}; date.year < 10000; date.Next(), day_ms += kDayMs) {
    const std::string text = date.Text();
    const int64_t month_index = int64_t{date.year} * 12 + date.month - 1;
    const bool ok =
        ParseTimestampMs(text) == day_ms && FormatIsoMs(day_ms) == text + "T00:00:00.000Z" &&
        FormatIsoMs(day_ms + kDayMs - 1) == text + "T23:59:59.999Z" &&
        MonthIndex(day_ms) == month_index && MonthIndex(day_ms + kDayMs - 1) == month_index &&
        (date.day != 1 || MonthStartMs(month_index) == day_ms);
    if (!ok && ++failures <= 5) FAIL_CHECK(text << " is not day " << day_ms / kDayMs);
  }
  CHECK(failures == 0);
  CHECK(FormatIsoMs(day_ms) == "10000-01-01T00:00:00.000Z");
}

TEST_CASE("Times far outside the calendar std::chrono holds still have their date",
          "[core][time]") {
  // Expected strings as the hand-written civil_from_days wrote them before
  // std::chrono took over; std::chrono::year alone stops at 32767.
  const std::pair<int64_t, const char*> cases[] = {
      {999999999999999999, "31690708-07-05T01:46:39.999Z"},
      {-999999999999999999, "-31686769-06-29T22:13:20.001Z"},
      {1034834400000000, "34762-08-07T00:00:00.000Z"},
      {-1034834400000000, "-30823-05-28T00:00:00.000Z"},
      {-62167219200001, "-001-12-31T23:59:59.999Z"},
      {9223372036799999999, "292278994-08-16T15:59:59.999Z"},
  };
  for (const auto& [ms, iso] : cases) {
    INFO(ms);
    CHECK(FormatIsoMs(ms) == iso);
  }
  CHECK(MonthIndex(999999999999999999) == int64_t{31690708} * 12 + 6);
  CHECK(MonthStartMs(int64_t{34762} * 12 + 7) == 1034834400000000 - 6 * 86400000LL);
  CHECK(MonthIndex(-1) == 1969 * 12 + 11);
}

TEST_CASE("ISO weeks start on Monday 00:00 UTC, before the epoch too", "[core][time]") {
  constexpr int64_t kWeekMs = 7 * 86400000LL;
  const int64_t monday_2024 = *ParseTimestampMs("2024-01-01");  // a Monday
  CHECK(WeekStartMs(WeekIndex(monday_2024)) == monday_2024);
  CHECK(WeekStartMs(WeekIndex(monday_2024 - 1)) == monday_2024 - kWeekMs);
  CHECK(WeekStartMs(WeekIndex(monday_2024 + kWeekMs - 1)) == monday_2024);
  CHECK(WeekIndex(monday_2024 + kWeekMs) == WeekIndex(monday_2024) + 1);
  // The epoch, a Thursday, lies in week 0, which starts on Monday 1969-12-29.
  CHECK(WeekIndex(0) == 0);
  CHECK(WeekStartMs(0) == *ParseTimestampMs("1969-12-29"));
  CHECK(WeekIndex(*ParseTimestampMs("1969-12-29") - 1) == -1);
  for (const char* bound : {"1980-01-01", "2099-12-31T23:59:59.999Z"}) {
    INFO(bound);
    const int64_t t = *ParseTimestampMs(bound);
    const int64_t start = WeekStartMs(WeekIndex(t));
    CHECK(start <= t);
    CHECK(t < start + kWeekMs);
    CHECK(FormatIsoMs(start).substr(11) == "00:00:00.000Z");
    CHECK((start / 86400000 + 3) % 7 == 0);  // days since a Monday, 1970-01-05
  }
}

TEST_CASE("Emails are stored lower case and trimmed", "[core]") {
  CHECK(NormalizeEmail("  Ana@Example.COM\t") == "ana@example.com");
  CHECK(NormalizeEmail("") == "");
}

TEST_CASE("IsNormalizedEmail holds exactly for NormalizeEmail's own results", "[core]") {
  for (const char* email : {"", "a@b.c", "A@b.c", " a@b.c", "a@b.c\t", "a b@c.d", "\x01a@b.c",
                            "\xC3\x89@x.fr", "a@b.c\x7f"}) {
    INFO(email);
    CHECK(IsNormalizedEmail(email) == (NormalizeEmail(email) == email));
    CHECK(IsNormalizedEmail(NormalizeEmail(email)));
  }
}

}  // namespace
}  // namespace salesaudit

// The one tolerant timestamp parser every connector uses (reference/apis.md 0.5).
#include "core/time_util.h"

#include <catch2/catch.hpp>

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

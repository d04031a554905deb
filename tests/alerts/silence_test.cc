// Silences: Alertmanager's matcher syntax and semantics, and expiry.
#include "alerts/silence.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace salesaudit {
namespace {

Matcher M(const std::string& text) {
  auto m = ParseMatcher(text);
  INFO(text << ": " << m.status().ToString());
  REQUIRE(m.ok());
  return *m;
}

const LabelSet kAlert = {
    {"alertname", "lead-shortfall"}, {"severity", "warning"}, {"team", "sales"}};

TEST_CASE("Matchers compare a label for equality or a whole-value regex, negated or not") {
  CHECK(M("alertname=lead-shortfall").Matches(kAlert));
  CHECK(M("alertname = \"lead-shortfall\"").Matches(kAlert));
  CHECK_FALSE(M("alertname=lead").Matches(kAlert));
  CHECK(M("team!=support").Matches(kAlert));
  CHECK_FALSE(M("team!=sales").Matches(kAlert));
  CHECK(M("severity=~\"warn.*\"").Matches(kAlert));
  CHECK_FALSE(M("severity=~warn").Matches(kAlert));  // anchored: the whole value
  CHECK(M("severity!~\"crit.*|page\"").Matches(kAlert));
  // A missing label is the empty string.
  CHECK(M("region=").Matches(kAlert));
  CHECK(M("region!=eu").Matches(kAlert));
  CHECK(M("note=\"say \\\"hi\\\"\"").value == "say \"hi\"");
  CHECK(M("severity=~\"warn.*\"").ToString() == "severity=~\"warn.*\"");
  CHECK(M("note=\"a\\\\b\"").ToString() == "note=\"a\\\\b\"");
}

TEST_CASE("A matcher that cannot be read says why") {
  CHECK(ParseMatcher("=x").status().message() ==
        "matcher '=x': expected a label name (letters, digits, _)");
  CHECK(ParseMatcher("team~sales").status().message() ==
        "matcher 'team~sales': expected one of = != =~ !~ after the label name");
  CHECK_THAT(ParseMatcher("team=~\"(\"").status().message(),
             Catch::StartsWith("matcher 'team=~\"(\"': invalid regex: "));
}

TEST_CASE("A silence mutes alerts matching all its matchers while it is active") {
  Silence s;
  s.matchers = {M("alertname=lead-shortfall"), M("team=sales")};
  s.starts_at_ms = 1000;
  s.ends_at_ms = 5000;
  CHECK_FALSE(IsSilenced(kAlert, {s}, 999));
  CHECK(IsSilenced(kAlert, {s}, 1000));
  CHECK(IsSilenced(kAlert, {s}, 4999));
  CHECK_FALSE(IsSilenced(kAlert, {s}, 5000));  // expired: notifications resume

  Silence other = s;
  other.matchers = {M("alertname=lead-shortfall"), M("team=support")};
  CHECK_FALSE(IsSilenced(kAlert, {other}, 2000));
  CHECK(IsSilenced(kAlert, {other, s}, 2000));
  // A silence without matchers silences nothing.
  Silence empty;
  empty.ends_at_ms = 5000;
  CHECK_FALSE(IsSilenced(kAlert, {empty}, 2000));
}

}  // namespace
}  // namespace salesaudit

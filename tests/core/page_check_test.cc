// CheckPage: what a page may carry into the store, whatever connector made it.
#include "core/page_check.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <map>

#include "core/metrics.h"
#include "core/time_util.h"
#include "tests/support/prometheus_text.h"

namespace salesaudit {
namespace {

Page ContactPage(Contact c) {
  Page page;
  page.stream = "contacts";
  page.contacts.push_back(std::move(c));
  return page;
}

Contact WithId(std::string id) {
  Contact c;
  c.id = std::move(id);
  return c;
}

// The issues of a page by property.
std::map<std::string, std::string> ProblemsOf(const Page& page) {
  std::map<std::string, std::string> out;
  for (const ValueIssue& i : page.value_issues) out[i.property] = i.problem;
  return out;
}

TEST_CASE(
    "An email's surrounding whitespace and control characters are no issue, but inside it they are",
    "[core][page_check]") {
  // The store trims an email's ends (NormalizeEmail) as it writes it.
  Contact trimmed_later = WithId("1");
  trimmed_later.email = "\t Ana@X.com\r\n";
  Page page = ContactPage(trimmed_later);
  CheckPage("crm", page);
  CHECK(page.value_issues.empty());
  CHECK(page.contacts[0].email == "\t Ana@X.com\r\n");

  Contact inside = WithId("2");
  inside.email = " Ana\x01@X.com\n";
  page = ContactPage(inside);
  CheckPage("crm", page);
  CHECK(page.contacts[0].email == "Ana@X.com");
  CHECK_THAT(ProblemsOf(page)["email"], Catch::Contains("control characters"));
}

TEST_CASE("Invalid UTF-8 in a text field is replaced by U+FFFD with an issue naming the field",
          "[core][page_check]") {
  struct Case {
    const char* what;
    std::string input;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"lone continuation byte", "Ana\x80", "Ana\xEF\xBF\xBD"},
      {"truncated sequence", "Jo\xC3", "Jo\xEF\xBF\xBD"},
      {"overlong slash", "a\xC0\xAF", "a\xEF\xBF\xBD\xEF\xBF\xBD"},
      {"UTF-16 surrogate", "\xED\xA0\x80x", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBDx"},
      {"past U+10FFFF", "\xF4\x90\x80\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    Contact contact = WithId("1");
    contact.first_name = c.input;
    Page page = ContactPage(contact);
    CheckPage("crm", page);
    REQUIRE(page.contacts.size() == 1);
    CHECK(page.contacts[0].first_name == c.expected);
    auto problems = ProblemsOf(page);
    CHECK_THAT(problems["first_name"], Catch::Contains("invalid UTF-8"));
  }
}

TEST_CASE("Valid UTF-8 text passes unchanged and without an issue", "[core][page_check]") {
  Contact c = WithId("1");
  c.first_name = "Zoë 日本 😀\tand\nmore";
  c.email = "zoe@example.com";
  Page page = ContactPage(c);
  CheckPage("crm", page);
  CHECK(page.contacts[0].first_name == c.first_name);
  CHECK(page.value_issues.empty());
  CHECK(page.warnings.empty());
}

TEST_CASE("NUL and other control characters are removed and free text keeps tab and newline",
          "[core][page_check]") {
  Contact c = WithId("1");
  c.first_name = std::string("A\0n\x1B[31ma\tb\nc\x7F\xC2\x9B", 16);
  c.channel = "PAID\tSEARCH";
  Page page = ContactPage(c);
  CheckPage("crm", page);
  CHECK(page.contacts[0].first_name == "An[31ma\tb\nc");
  CHECK(page.contacts[0].channel == "PAIDSEARCH");
  auto problems = ProblemsOf(page);
  CHECK_THAT(problems["first_name"], Catch::Contains("control characters"));
  CHECK_THAT(problems["channel"], Catch::Contains("control characters"));
}

TEST_CASE("Over-long free text is cut at a character boundary and other over-long text is unset",
          "[core][page_check]") {
  Deal d;
  d.id = "7";
  // 3-byte characters, so the bound falls inside one.
  std::string name;
  while (name.size() < 10 * 1024 * 1024) name += "\xE2\x82\xAC";  // €
  d.name = name;
  d.stage = std::string(kMaxCodeBytes + 1, 's');
  d.owner_id = std::string(kMaxIdBytes + 1, '9');
  Page page;
  page.stream = "deals";
  page.deals.push_back(d);
  CheckPage("crm", page);
  const Deal& stored = page.deals[0];
  CHECK(stored.name.size() <= kMaxFreeTextBytes);
  CHECK(stored.name.size() >= kMaxFreeTextBytes - 2);
  CHECK(stored.name.size() % 3 == 0);
  CHECK(stored.stage.empty());
  CHECK(stored.owner_id.empty());
  auto problems = ProblemsOf(page);
  CHECK_THAT(problems["name"], Catch::Contains("(cut)"));
  CHECK_THAT(problems["stage"], Catch::Contains("stored as unknown"));
  // The issue quotes a short excerpt, never the whole value.
  for (const ValueIssue& i : page.value_issues) CHECK(i.problem.size() < 400);
}

TEST_CASE("An email longer than RFC 5321 allows is unknown", "[core][page_check]") {
  Contact c = WithId("1");
  c.email = std::string(kMaxEmailBytes, 'a') + "@example.com";
  Page page = ContactPage(c);
  CheckPage("crm", page);
  CHECK(page.contacts[0].email.empty());
  CHECK_THAT(ProblemsOf(page)["email"], Catch::Contains("more than 320"));
}

TEST_CASE("Times outside 1980..2099 are unknown with an issue and plausible ones stay",
          "[core][page_check]") {
  const int64_t year_1 = -62135596800000;  // 0001-01-01
  Contact c = WithId("1");
  c.created_at = year_1;
  c.mql_at = -99999999999999999;
  c.sql_at = kLatestPlausibleMs;  // 2100-01-01: just past the span
  c.customer_at = kEarliestPlausibleMs;
  c.updated_at = 1704878130234;
  Page page = ContactPage(c);
  CheckPage("crm", page);
  const Contact& stored = page.contacts[0];
  CHECK_FALSE(stored.created_at.has_value());
  CHECK_FALSE(stored.mql_at.has_value());
  CHECK_FALSE(stored.sql_at.has_value());
  CHECK(stored.customer_at == kEarliestPlausibleMs);
  CHECK(stored.updated_at == 1704878130234);
  auto problems = ProblemsOf(page);
  CHECK_THAT(problems["created_at"],
             Catch::Contains("-62135596800000") && Catch::Contains("outside the plausible years"));
  CHECK(problems.count("mql_at") == 1);
  CHECK(problems.count("sql_at") == 1);
  CHECK(problems.size() == 3);
}

TEST_CASE("Amounts that are not finite or beyond any deal are unknown", "[core][page_check]") {
  const std::vector<std::pair<double, bool>> cases = {
      {1250.5, true},        {-300, true},      {kMaxPlausibleAmount, true},
      {1e308, false},        {-1.5e308, false}, {std::numeric_limits<double>::infinity(), false},
      {std::nan(""), false},
  };
  for (const auto& [amount, kept] : cases) {
    INFO(amount);
    Deal d;
    d.id = "7";
    d.amount = amount;
    Page page;
    page.stream = "deals";
    page.deals.push_back(d);
    CheckPage("crm", page);
    CHECK(page.deals[0].amount.has_value() == kept);
    CHECK(page.value_issues.size() == (kept ? 0u : 1u));
  }
}

TEST_CASE("Negative or absurd campaign counts are unknown", "[core][page_check]") {
  EmailCampaign c;
  c.id = "c1";
  c.reported.sent = 1000;
  c.reported.opens = -5;
  c.reported.clicks = kMaxCount + 1;
  Page page;
  page.stream = "email_campaigns";
  page.campaigns.push_back(c);
  CheckPage("crm", page);
  CHECK(page.campaigns[0].reported.sent == 1000);
  CHECK_FALSE(page.campaigns[0].reported.opens.has_value());
  CHECK_FALSE(page.campaigns[0].reported.clicks.has_value());
  CHECK(page.value_issues.size() == 2);
}

TEST_CASE("A record without a usable id is dropped and named by its position and email",
          "[core][page_check]") {
  Page page;
  page.stream = "contacts";
  page.contacts.push_back(WithId("1"));
  Contact no_id = WithId("");
  no_id.email = "lost@example.com";
  page.contacts.push_back(no_id);
  page.contacts.push_back(WithId(std::string(10 * 1024 * 1024, '7')));
  page.contacts.push_back(WithId(std::string("4\0", 2)));
  page.contacts.push_back(WithId("5"));
  CheckPage("crm", page);
  REQUIRE(page.contacts.size() == 2);
  CHECK(page.contacts[0].id == "1");
  CHECK(page.contacts[1].id == "5");
  REQUIRE(page.value_issues.size() == 3);
  for (const ValueIssue& i : page.value_issues) {
    CHECK(i.property == "id");
    CHECK(i.record_id.empty());
    CHECK(i.problem.size() < 300);
  }
  CHECK_THAT(page.value_issues[0].Describe(), Catch::Contains("contact #2 of the page") &&
                                                  Catch::Contains("lost@example.com") &&
                                                  Catch::Contains("dropped"));
  CHECK_THAT(page.value_issues[1].problem,
             Catch::Contains("longer than 256") && Catch::Contains("#3 of the page"));
  CHECK_THAT(page.value_issues[2].problem,
             Catch::Contains("not clean text") && Catch::Contains("#4 of the page"));
}

TEST_CASE("Unusable ids in deletions and deal links and merge targets are left out",
          "[core][page_check]") {
  Page page;
  page.stream = "deals";
  Deal d;
  d.id = "7";
  d.contact_ids = std::vector<std::string>{"1", "", std::string(300, '2'), "3"};
  page.deals.push_back(d);
  page.deletions.push_back(Deletion{RecordKind::kDeal, "", 1704878130234, ""});
  page.deletions.push_back(Deletion{RecordKind::kContact, "8", 1704878130234, "bad\x80"});
  CheckPage("crm", page);
  CHECK(*page.deals[0].contact_ids == std::vector<std::string>{"1", "3"});
  REQUIRE(page.deletions.size() == 1);
  CHECK(page.deletions[0].id == "8");
  CHECK(page.deletions[0].merged_into.empty());  // a repaired id would name another record
  auto problems = ProblemsOf(page);
  CHECK(problems.count("contact_ids") == 1);
  CHECK(problems.count("id") == 1);
  CHECK(problems.count("merged_into") == 1);
}

TEST_CASE("A page of many bad values logs the first few in full and counts the rest",
          "[core][page_check]") {
  Page page;
  page.stream = "contacts";
  for (int i = 0; i < 100; ++i) {
    Contact c = WithId(std::to_string(i));
    c.first_name = "bad\xFF";
    page.contacts.push_back(c);
  }
  page.warnings.push_back("the connector's own note");
  CheckPage("bulk-crm", page);
  CHECK(page.contacts.size() == 100);
  CHECK(page.value_issues.size() == 100);
  REQUIRE(page.warnings.size() == kMaxWarningsLoggedPerPage + 1);
  CHECK(page.warnings[0] == "the connector's own note");
  CHECK_THAT(page.warnings[1], Catch::StartsWith("contact 0: property first_name"));
  CHECK_THAT(page.warnings.back(), Catch::StartsWith("and 91 more warnings in this page"));
  auto metrics = ParsePrometheusText(GlobalMetrics().RenderText());
  REQUIRE(metrics.ok());
  CHECK(metrics->Value("salesaudit_values_rejected_total", {{"connector", "bulk-crm"},
                                                            {"stream", "contacts"},
                                                            {"property", "first_name"}}) == 100);
}

TEST_CASE("A value excerpt is short and quoted and escaped", "[core][page_check]") {
  CHECK(ValueExcerpt("abc") == "\"abc\"");
  CHECK(ValueExcerpt("say \"hi\"\\") == "\"say \\\"hi\\\"\\\\\"");
  CHECK(ValueExcerpt(std::string("a\0b\x1B\n\xFF", 6)) == "\"a\\x00b\\x1b\\x0a\\xff\"");
  const std::string big(10 * 1024 * 1024, 'x');
  const std::string shown = ValueExcerpt(big);
  CHECK(shown.size() < 80);
  CHECK_THAT(shown, Catch::EndsWith("... (10485760 bytes)"));
  // A cut never splits a character.
  std::string euros;
  for (int i = 0; i < 30; ++i) euros += "\xE2\x82\xAC";
  CHECK(ValueExcerpt(euros).find("\\x") == std::string::npos);
}

}  // namespace
}  // namespace salesaudit

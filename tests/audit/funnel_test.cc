// Funnel semantics (DESIGN.md): cohort by created_at in [from, to), stages
// implied by later ones, deleted contacts excluded, rates null on zero.
#include "audit/funnel.h"

#include <catch2/catch.hpp>

#include "tests/support/subprocess.h"

namespace salesaudit {
namespace {

Contact MakeContact(const std::string& id, TimeMs created, TimeMs mql, TimeMs contacted, TimeMs sql,
                    TimeMs won) {
  Contact c;
  c.id = id;
  c.created_at = created;
  c.mql_at = mql;
  c.contacted_at = contacted;
  c.sql_at = sql;
  c.customer_at = won;
  return c;
}

TEST_CASE("A contact counts at every stage up to the latest it reached, skipped ones included",
          "[audit][funnel]") {
  struct Case {
    const char* name;
    Contact contact;
    FunnelCounts expected;
  };
  const Case cases[] = {
      {"lead only", MakeContact("1", 1, {}, {}, {}, {}), {1, 0, 0, 0, 0}},
      {"mql", MakeContact("2", 1, 2, {}, {}, {}), {1, 1, 0, 0, 0}},
      {"customer without earlier dates", MakeContact("3", 1, {}, {}, {}, 9), {1, 1, 1, 1, 1}},
      {"sql skipping contacted", MakeContact("4", 1, 2, {}, 5, {}), {1, 1, 1, 1, 0}},
      {"contacted without mql", MakeContact("5", 1, {}, 3, {}, {}), {1, 1, 1, 0, 0}},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    FunnelCounts counts;
    CountFunnelStages(c.contact, counts);
    CHECK(counts.leads == c.expected.leads);
    CHECK(counts.mql == c.expected.mql);
    CHECK(counts.contacted == c.expected.contacted);
    CHECK(counts.sql == c.expected.sql);
    CHECK(counts.won == c.expected.won);
  }
}

TEST_CASE("Rates divide by the previous stage and are null when it is zero", "[audit][funnel]") {
  auto rates = FunnelRatesFrom(FunnelCounts{150, 100, 75, 40, 18});
  CHECK(*rates.lead_to_mql == Approx(100.0 / 150));
  CHECK(*rates.mql_to_contacted == Approx(0.75));
  CHECK(*rates.contacted_to_sql == Approx(40.0 / 75));
  CHECK(*rates.sql_to_won == Approx(18.0 / 40));
  CHECK(*rates.lead_to_won == Approx(18.0 / 150));
  auto empty = FunnelRatesFrom(FunnelCounts{3, 0, 0, 0, 0});
  CHECK(*empty.lead_to_mql == 0.0);
  CHECK_FALSE(empty.mql_to_contacted.has_value());
  CHECK_FALSE(empty.sql_to_won.has_value());
  CHECK_FALSE(FunnelRatesFrom(FunnelCounts{}).lead_to_won.has_value());
}

TEST_CASE(
    "The cohort is the live contacts created from the window start up to its end over every source",
    "[audit][funnel]") {
  testing::TempDir dir;
  auto store = Store::Open(dir.File("a.db"));
  REQUIRE(store.ok());
  Page a;
  a.stream = "contacts";
  a.cursor = "{}";
  a.contacts = {MakeContact("1", 1000, 1100, {}, {}, {}),
                MakeContact("2", 1999, {}, {}, {}, 5000),
                MakeContact("3", 2000, 2100, {}, {}, {}),     // at `to`: outside
                MakeContact("4", 999, 1000, 1000, 1000, {}),  // before `from`
                MakeContact("5", 1500, {}, {}, {}, {}),       // deleted below
                MakeContact("6", {}, 1, 1, 1, 1)};            // no created date
  a.deletions = {Deletion{RecordKind::kContact, "5", 3000}};
  REQUIRE((*store)->CommitPage("crm", a).ok());
  Page b = a;
  b.contacts = {MakeContact("1", 1200, 1300, 1400, {}, {})};  // same id, other source
  b.deletions.clear();
  REQUIRE((*store)->CommitPage("mailchimp", b).ok());

  auto funnel = ComputeFunnel(**store, AuditWindow{1000, 2000});
  REQUIRE(funnel.ok());
  CHECK(funnel->counts.leads == 3);
  CHECK(funnel->counts.mql == 3);
  CHECK(funnel->counts.contacted == 2);
  CHECK(funnel->counts.sql == 1);
  CHECK(funnel->counts.won == 1);
  CHECK(*funnel->rates.lead_to_won == Approx(1.0 / 3));

  auto all = ComputeFunnel(**store, AuditWindow{});
  REQUIRE(all.ok());
  CHECK(all->counts.leads == 5);
}

TEST_CASE("The funnel JSON carries counts and null rates", "[audit][funnel]") {
  Funnel f;
  f.counts = FunnelCounts{4, 0, 0, 0, 0};
  f.rates = FunnelRatesFrom(f.counts);
  std::string json = FormatFunnelJson(f, 0);
  CHECK_THAT(json, Catch::Contains("\"leads\":4"));
  CHECK_THAT(json, Catch::Contains("\"mql_to_contacted\":null"));
  CHECK_THAT(json, Catch::Contains("\"lead_to_mql\":0.0"));
  std::string text = FormatFunnelText(f);
  CHECK_THAT(text, Catch::Contains("lead") && Catch::Contains("4"));
}

}  // namespace
}  // namespace salesaudit

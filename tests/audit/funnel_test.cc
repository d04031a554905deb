// Funnel stage semantics (docs/contracts.md "Funnel semantics"): stages
// implied by later ones, rates
// null on a zero denominator. The cohort rules are tested with the snapshot.
#include "audit/funnel.h"

#include <catch2/catch.hpp>

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

TEST_CASE("The funnel JSON writers give counts and null rates", "[audit][funnel]") {
  JsonWriter w;
  const FunnelCounts counts{4, 0, 0, 0, 0};
  w.StartObject();
  WriteFunnelCountsJson(w, counts);
  WriteFunnelRatesJson(w, FunnelRatesFrom(counts));
  w.EndObject();
  const std::string json = w.TakeString();
  CHECK_THAT(json, Catch::Contains("\"leads\":4,\"mql\":0"));
  CHECK_THAT(json, Catch::Contains("\"mql_to_contacted\":null"));
  CHECK_THAT(json, Catch::Contains("\"lead_to_mql\":0.0"));
}

}  // namespace
}  // namespace salesaudit

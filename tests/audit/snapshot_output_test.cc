// The audit snapshot's outputs on the hand-computed example store: the
// JSON's required keys, the text report's tables and the forecast in JSON.
#include <rapidjson/document.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "audit/snapshot.h"
#include "tests/audit/example_store.h"

namespace salesaudit {
namespace {

using testing::Compute;
using testing::ExampleSettings;
using testing::ExampleStore;
using testing::kDay;
using testing::kJan1;
using testing::kWindow;

TEST_CASE("The snapshot JSON has every required top-level key and section key",
          "[audit][snapshot]") {
  ExampleStore db;
  AuditSettings settings = ExampleSettings();
  settings.revenue_target = 8200;
  auto json = SnapshotJson(Compute(db.store(), settings, kWindow));
  REQUIRE(json.ok());
  rapidjson::Document doc;
  doc.Parse(json->c_str());
  REQUIRE_FALSE(doc.HasParseError());
  struct Path {
    const char* section;
    std::vector<const char*> keys;
  };
  const Path paths[] = {
      {"",
       {"schema_version", "generated_at", "window", "funnel", "lead_volume", "cycle_time_days",
        "channels", "email", "content", "capacity", "reps", "data_quality", "customers",
        "lead_quality", "revenue"}},
      {"window", {"from", "to", "period"}},
      {"funnel", {"leads", "mql", "contacted", "sql", "won", "rates", "by_channel", "by_owner"}},
      {"lead_volume", {"period", "average", "trend", "series"}},
      {"cycle_time_days", {"all", "by_channel", "between_stages"}},
      {"capacity",
       {"reps", "leads_per_rep_per_period", "capacity_per_period", "incoming_per_period",
        "shortfall_per_period", "surplus_per_period", "reps_needed", "reps_to_hire",
        "leads_needed_for_revenue_target"}},
      {"customers", {"customers", "repeat_customers", "repeat_rate", "referral_share"}},
      {"data_quality",
       {"contacts_without_owner", "contacts_without_channel", "contacts_without_email",
        "duplicate_emails_within_source", "duplicate_emails_across_sources",
        "stage_dates_out_of_order", "won_deals_without_amount", "stale_open_deals"}},
  };
  for (const Path& p : paths) {
    const rapidjson::Value& section = *p.section ? doc[p.section] : doc;
    REQUIRE(section.IsObject());
    for (const char* key : p.keys) {
      INFO(p.section << "." << key);
      CHECK(section.HasMember(key));
    }
  }
  const rapidjson::Value& channel = doc["channels"][0];
  for (const char* key : {"channel", "leads", "mql", "contacted", "sql", "won", "lead_to_won",
                          "revenue", "spend", "return_on_spend", "below_target", "mql_stalls"}) {
    INFO("channels[0]." << key);
    CHECK(channel.HasMember(key));
  }
  const rapidjson::Value& rep = doc["reps"][0];
  for (const char* key :
       {"source", "owner_id", "name", "leads", "contacted", "sql", "won", "contact_rate",
        "sql_rate", "win_rate", "median_cycle_days", "revenue", "vs_team"}) {
    INFO("reps[0]." << key);
    CHECK(rep.HasMember(key));
  }
  CHECK(doc["reps"][0]["vs_team"]["win_rate"]["difference"].GetDouble() ==
        Approx(2.0 / 3 - 2.0 / 3));
  CHECK(doc["lead_volume"]["series"][0]["complete"].IsFalse());
  CHECK(doc["funnel"]["leads"].GetInt64() == 9);
  CHECK(doc["cycle_time_days"]["by_channel"]["PAID_SEARCH"]["p90"].GetDouble() == Approx(12.0));
  CHECK(doc["window"]["period"] == "week");
}

TEST_CASE("The text report has a table for every section", "[audit][snapshot]") {
  ExampleStore db;
  const std::string text = SnapshotText(Compute(db.store(), ExampleSettings(), kWindow));
  for (const char* heading :
       {"Funnel", "Lead volume per week", "Channels", "Cycle time", "Email and content", "Capacity",
        "Reps", "Data quality", "Customers and revenue",
        "Forecast: what one week's leads are expected to bring"}) {
    INFO(heading);
    CHECK_THAT(text, Catch::Contains(heading));
  }
  CHECK_THAT(text, Catch::Contains("PAID_SEARCH") && Catch::Contains("crm:c7"));
  // One name per quantity, each explained under its table.
  CHECK_THAT(text, Catch::Contains("won leads: leads of the window that became customers"));
  CHECK_THAT(text,
             Catch::Contains("customer base: contacts who are customers by the window's end"));
  CHECK_THAT(text, Catch::Contains("won deals: deals closed won in the window"));
  CHECK_THAT(text, !Catch::Contains("won deals in window"));
}

TEST_CASE("The snapshot forecasts one period's average leads, with its backtest, in JSON",
          "[audit][snapshot]") {
  ExampleStore db;
  const Snapshot s = Compute(db.store(), ExampleSettings(), kWindow);
  REQUIRE(s.lead_volume.average.has_value());
  REQUIRE(s.forecast.has_value());
  CHECK(s.forecast->leads == std::llround(*s.lead_volume.average));
  CHECK_FALSE(s.forecast->channel.has_value());
  auto json = SnapshotJson(s);
  REQUIRE(json.ok());
  rapidjson::Document doc;
  doc.Parse(json->c_str());
  REQUIRE(doc["forecast"].IsObject());
  CHECK(doc["forecast"]["leads"].GetInt64() == s.forecast->leads);
  CHECK(doc["forecast"].HasMember("interval"));
  CHECK(doc["forecast"]["backtest"].HasMember("coverage"));

  // A window without a complete period has no average and no forecast.
  const Snapshot day = Compute(db.store(), ExampleSettings(), AuditWindow{kJan1, kJan1 + kDay});
  CHECK_FALSE(day.forecast.has_value());
}

}  // namespace
}  // namespace salesaudit

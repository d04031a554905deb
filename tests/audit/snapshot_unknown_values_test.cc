// The audit snapshot on values it cannot use: numbers that are not finite,
// amounts and times out of range, and windows reaching too far back.
#include <rapidjson/document.h>

#include <catch2/catch.hpp>
#include <limits>
#include <memory>
#include <string>

#include "audit/snapshot.h"
#include "tests/audit/example_store.h"
#include "tests/support/subprocess.h"

namespace salesaudit {
namespace {

using testing::Compute;
using testing::kDay;
using testing::kJan1;
using testing::Sql;

// A store file with the schema and nothing else, for ExecSql to fill.
struct RawStore {
  RawStore() {
    auto opened = Store::Open(path);
    REQUIRE(opened.ok());
    store = std::move(opened).value();
  }
  testing::TempDir dir;
  std::string path = dir.File("raw.db");
  std::unique_ptr<Store> store;
};

TEST_CASE("A number that is not finite refuses the snapshot JSON and names the field",
          "[audit][snapshot]") {
  Snapshot s;
  s.window = AuditWindow{kJan1, kJan1 + kDay};
  REQUIRE(SnapshotJson(s).ok());
  s.revenue.total_stated.amount = std::numeric_limits<double>::infinity();
  auto json = SnapshotJson(s);
  REQUIRE_FALSE(json.ok());
  CHECK(json.status().message() ==
        "audit: snapshot field revenue.total is not a finite number (JSON has no infinity or "
        "NaN); the snapshot is refused");

  s.revenue.total_stated.amount = 0;
  s.reps.resize(3);
  s.reps[2].revenue_stated.amount = std::numeric_limits<double>::quiet_NaN();
  json = SnapshotJson(s);
  REQUIRE_FALSE(json.ok());
  CHECK_THAT(json.status().message(), Catch::StartsWith("audit: snapshot field reps[2].revenue "));
}

TEST_CASE("Deal amounts of 1e308 and 1.5e308 are unknown values: sums stay finite and are flagged",
          "[audit][snapshot]") {
  RawStore raw;
  const std::string closed = std::to_string(kJan1 + 5 * kDay);
  Sql(raw.path, "INSERT INTO contacts (source, id, created_at) VALUES ('bi', 'c1', " +
                    std::to_string(kJan1 + kDay) +
                    ");"
                    "INSERT INTO deals (source, id, amount, is_won, is_closed, closed_at) VALUES "
                    "('bi', 'd1', 1e308, 1, 1, " +
                    closed + "), ('bi', 'd2', 1.5e308, 1, 1, " + closed +
                    "), ('bi', 'd3', 9e999, 1, 1, " + closed + "), ('bi', 'd4', 250, 1, 1, " +
                    closed +
                    ");"
                    "INSERT INTO deal_contacts (source, deal_id, contact_id) VALUES "
                    "('bi', 'd1', 'c1'), ('bi', 'd2', 'c1'), ('bi', 'd4', 'c1');");
  AuditSettings settings;
  settings.revenue_target = 1e9;
  const Snapshot s = Compute(*raw.store, settings, AuditWindow{kJan1, kJan1 + 14 * kDay});
  CHECK(s.revenue.won_deals == 4);
  CHECK(s.revenue.deals_with_amount == 1);
  // d4 has no currency: its 250 stays apart as unknown, a data-quality finding.
  CHECK_FALSE(s.revenue.total_stated.amount.has_value());
  CHECK(s.revenue.total.parts().at("").amount == 250);
  CHECK(s.data_quality.won_deals_without_currency.examples == std::vector<std::string>{"bi:d4"});
  CHECK(s.reps.empty());
  CHECK(s.data_quality.implausible_amounts.count == 3);
  CHECK(s.data_quality.implausible_amounts.examples ==
        std::vector<std::string>{"bi:d1", "bi:d2", "bi:d3"});
  CHECK(s.data_quality.won_deals_without_amount.count == 3);
  auto json = SnapshotJson(s);
  REQUIRE(json.ok());
  rapidjson::Document doc;
  doc.Parse(json->c_str());
  REQUIRE_FALSE(doc.HasParseError());
  CHECK(doc["revenue"]["total"].IsNull());
  CHECK(doc["revenue"]["total_by_currency"]["unknown"].GetDouble() == 250);
  CHECK(doc["data_quality"]["implausible_amounts"]["count"].GetInt64() == 3);
}

TEST_CASE("Times outside 1980 to 2100 are unknown values: they build no period and are counted",
          "[audit][snapshot]") {
  RawStore raw;
  // -99999999999999999 ms is year -3 million; -62135596800000 is 0001-01-01.
  Sql(raw.path,
      "INSERT INTO contacts (source, id, created_at, customer_at) VALUES "
      "('bi', 'ancient', -99999999999999999, NULL),"
      "('bi', 'year1', -62135596800000, NULL),"
      "('bi', 'future', 9223372036854775807, NULL),"
      "('bi', 'won-in-year1', " +
          std::to_string(kJan1 + kDay) +
          ", -62135596800000),"
          "('bi', 'fine', " +
          std::to_string(kJan1 + 2 * kDay) +
          ", NULL);"
          "INSERT INTO deals (source, id, amount, is_won, is_closed, closed_at) VALUES "
          "('bi', 'd1', 10, 1, 1, -9223372036854775808);");
  const Snapshot s = Compute(*raw.store, AuditSettings{}, AuditWindow{}, kJan1 + 30 * kDay);
  CHECK(*s.window.from == kJan1 + kDay);
  CHECK(s.lead_volume.series.size() == 5);
  CHECK(s.counts.leads == 2);
  CHECK(s.counts.won == 0);  // its customer date is unknown
  CHECK(s.data_quality.implausible_dates.count == 5);
  CHECK(
      s.data_quality.implausible_dates.examples ==
      std::vector<std::string>{"bi:ancient", "bi:future", "bi:won-in-year1", "bi:year1", "bi:d1"});
  CHECK(s.data_quality.contacts_without_created_date.count == 3);
  CHECK(s.data_quality.won_deals_without_close_date.count == 1);
  auto json = SnapshotJson(s);
  REQUIRE(json.ok());
  CHECK(json->size() < 20000);
}

TEST_CASE("An open window start reaches back at most 1000 periods and reports older contacts",
          "[audit][snapshot]") {
  RawStore raw;
  const int64_t now = kJan1 + 30 * kDay;
  Sql(raw.path,
      "INSERT INTO contacts (source, id, created_at) VALUES "
      "('bi', 'old', 473385600000),"  // 1985-01-01: plausible, but 2027 weeks back
      "('bi', 'recent', " +
          std::to_string(kJan1) + ");");
  const Snapshot s = Compute(*raw.store, AuditSettings{}, AuditWindow{}, now);
  CHECK(s.lead_volume.series.size() == static_cast<size_t>(kMaxAuditPeriods));
  CHECK(*s.window.from == s.lead_volume.series.front().start_ms);
  CHECK(s.counts.leads == 1);
  CHECK(s.data_quality.contacts_before_window.count == 1);
  CHECK(s.data_quality.contacts_before_window.examples == std::vector<std::string>{"bi:old"});
  SECTION("469 months reach 1985: all of it") {
    AuditSettings monthly;
    monthly.period = AuditPeriod::kMonth;
    const Snapshot m = Compute(*raw.store, monthly, AuditWindow{}, now);
    CHECK(m.lead_volume.series.size() == 469);
    CHECK(m.counts.leads == 2);
    CHECK(m.data_quality.contacts_before_window.count == 0);
  }
  SECTION("with --from given, earlier contacts are simply outside the window") {
    const Snapshot s = Compute(*raw.store, AuditSettings{}, AuditWindow{kJan1 - 7 * kDay, {}}, now);
    CHECK(s.data_quality.contacts_before_window.count == 0);
  }
}

TEST_CASE("A given window outside 1980 to 2100 or over 1000 periods is refused",
          "[audit][snapshot]") {
  RawStore raw;
  struct Case {
    AuditWindow window;
    AuditPeriod period;
    const char* error;
  };
  const Case cases[] = {
      {{-62135596800000, {}},
       AuditPeriod::kWeek,
       "the window start 0001-01-01T00:00:00.000Z lies outside the span the audit "
       "accepts, 1980-01-01T00:00:00.000Z to 2100-01-01T00:00:00.000Z"},
      {{{}, 253402214400000},
       AuditPeriod::kMonth,
       "the window end 9999-12-31T00:00:00.000Z lies outside the span the audit accepts, "
       "1980-01-01T00:00:00.000Z to 2100-01-01T00:00:00.000Z"},
      {{kJan1 - 1000 * 7 * kDay - kDay, kJan1},
       AuditPeriod::kWeek,
       "the window spans 1001 weeks; an audit covers at most 1000: choose a later start "
       "or audit.period: month"},
  };
  for (const Case& c : cases) {
    INFO(c.error);
    AuditSettings settings;
    settings.period = c.period;
    auto s = ComputeSnapshot(*raw.store, settings, c.window, kJan1);
    REQUIRE_FALSE(s.ok());
    CHECK(s.status().code() == StatusCode::kInvalidArgument);
    CHECK(s.status().message() == c.error);
  }
  AuditSettings monthly;
  monthly.period = AuditPeriod::kMonth;
  CHECK(ComputeSnapshot(*raw.store, monthly, {kJan1 - 1000 * 7 * kDay - kDay, kJan1}, kJan1).ok());
  CHECK(ComputeSnapshot(*raw.store, AuditSettings{}, {kJan1 - 1000 * 7 * kDay, kJan1}, kJan1).ok());
}

}  // namespace
}  // namespace salesaudit

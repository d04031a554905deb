// Alert values for people (issue 12, finding 7): each kind of snapshot figure
// rounded for its kind, the unit read from the path, and the figures that
// explain a value, read from a snapshot shaped as the audit writes it.
#include "alerts/figure.h"

#include <catch2/catch.hpp>
#include <limits>
#include <string>
#include <tuple>

namespace salesaudit {
namespace {

// A snapshot as the audit writes it (docs/audit.md), cut to what these tests read.
constexpr char kSnapshot[] = R"({
  "schema_version": 1,
  "window": {"from": "2026-09-07T00:00:00.000Z", "to": "2026-12-07T00:00:00.000Z",
             "period": "week"},
  "funnel": {"leads": 1234, "mql": 400, "won": 37, "rates": {"lead_to_mql": 0.125, "sql_to_won": null}},
  "capacity": {"reps": 4, "reps_source": "configured", "leads_per_rep_per_period": 25.0,
               "capacity_per_period": 100.0, "incoming_per_period": 95.88235294117646,
               "shortfall_per_period": 4.117647058823536, "surplus_per_period": 0.0,
               "reps_needed": 4, "reps_to_hire": 0},
  "channels": [{"channel": "PAID_SOCIAL", "won_deals": 3, "revenue": 12500.4,
                "revenue_by_currency": {"EUR": 12500.4}, "currency": "EUR", "converted": false,
                "spend": 950.5, "return_on_spend": 2.3456, "below_target": false}],
  "revenue": {"total": null, "total_by_currency": {"USD": 1200.0, "unknown": 80.0},
              "currency": null, "average_won_deal": null},
  "cycle_time_days": {"all": {"count": 12, "mean": 31.25, "median": 20.0, "p90": 70.04}},
  "forecast": {"leads": 96, "expected_customers": 11.52, "interval": {"low": 7, "high": 16,
               "level": 0.8}, "backtest": {"periods": 12, "covered": 10, "coverage": 0.8333}}
})";

ConditionSurroundings Around(const std::string& when) {
  auto condition = ParseCondition(when);
  REQUIRE(condition.ok());
  auto snapshot = SnapshotDocument::Parse(kSnapshot);
  REQUIRE(snapshot.ok());
  return SurroundingsOf(*condition, *snapshot);
}

std::string Shown(const std::string& when, double value) {
  return FigureWithUnit(value, SnapshotFigureUnit(Around(when)));
}

TEST_CASE("Each kind of figure is rounded for its kind, with thousands separators") {
  const std::tuple<FigureUnit, double, const char*, const char*> cases[] = {
      {{.kind = FigureKind::kCount, .noun = "leads"}, 1234567, "1,234,567", "1,234,567 leads"},
      {{.kind = FigureKind::kCount, .noun = "reps"}, 4, "4", "4 reps"},
      {{.kind = FigureKind::kPerPeriod, .noun = "leads", .period = "week"},
       4.117647,
       "4.1",
       "4.1 leads per week"},
      {{.kind = FigureKind::kPerPeriod, .noun = "leads", .period = "month"},
       1234.56,
       "1,235",
       "1,235 leads per month"},
      {{.kind = FigureKind::kPerPeriod, .noun = "leads"}, 100, "100", "100 leads per period"},
      {{.kind = FigureKind::kRate}, 0.125, "12.5%", "12.5%"},
      {{.kind = FigureKind::kRate}, 0.18250001, "18.3%", "18.3%"},
      {{.kind = FigureKind::kRate}, 0.0004, "0.04%", "0.04%"},
      {{.kind = FigureKind::kRate}, 1, "100%", "100%"},
      {{.kind = FigureKind::kMoney, .currency = "EUR"}, 12500.4, "12,500 EUR", "12,500 EUR"},
      {{.kind = FigureKind::kMoney, .currency = "USD"}, 950.5, "950.50 USD", "950.50 USD"},
      {{.kind = FigureKind::kMoney, .currency = "USD"}, 40, "40 USD", "40 USD"},
      {{.kind = FigureKind::kMoney}, -1500, "-1,500", "-1,500"},
      {{.kind = FigureKind::kRatio}, 2.3456, "2.35", "2.35x"},
      {{.kind = FigureKind::kDays}, 31.26, "31.3", "31.3 days"},
      {{.kind = FigureKind::kDays}, 1, "1", "1 day"},
      {{.kind = FigureKind::kSeconds}, 7500, "7,500", "2h 5m"},
      {{}, 0.18250001, "0.18", "0.18"},
      {{}, 95.8823, "95.9", "95.9"},
      {{}, 123456.789, "123,457", "123,457"},
      {{}, -0.001, "0", "0"},
      {{}, 1e300, "1e+300", "1e+300"},
  };
  for (const auto& [unit, value, text, with_unit] : cases) {
    INFO(value);
    CHECK(FigureText(value, unit) == text);
    CHECK(FigureWithUnit(value, unit) == with_unit);
  }
  CHECK(FigureText(std::numeric_limits<double>::quiet_NaN(), {}) == "nan");
  CHECK(FigureWithUnit(std::numeric_limits<double>::infinity(), {.kind = FigureKind::kSeconds}) ==
        "inf");
}

TEST_CASE("A figure's unit comes from its path, and money's currency from its object") {
  CHECK(Shown("capacity.shortfall_per_period > 0", 4.117647) == "4.1 leads per week");
  CHECK(Shown("capacity.reps_to_hire > 0", 2) == "2 reps");
  CHECK(Shown("funnel.leads < 10", 1234) == "1,234 leads");
  CHECK(Shown("funnel.rates.lead_to_mql < 0.2", 0.125) == "12.5%");
  CHECK(Shown("channels[channel=PAID_SOCIAL].revenue < 1", 12500.4) == "12,500 EUR");
  CHECK(Shown("channels[channel=PAID_SOCIAL].return_on_spend < 3", 2.3456) == "2.35x");
  CHECK(Shown("revenue.total_by_currency.USD > 0", 1200) == "1,200 USD");
  CHECK(Shown("revenue.total_by_currency.unknown > 0", 80) == "80");
  CHECK(Shown("cycle_time_days.all.median > 10", 20) == "20 days");
  CHECK(Shown("cycle_time_days.all.count > 10", 12) == "12");
  CHECK(Shown("forecast.backtest.coverage < 0.7", 0.8333) == "83.3%");
  CHECK(Shown("forecast.interval.low < 10", 7) == "7 won leads");
  CHECK(Shown("forecast.expected_customers < 12", 11.52) == "11.5");
  CHECK(Shown("schema_version > 0", 1.23456) == "1.23");
}

TEST_CASE("A capacity alert's context gives capacity, reps, incoming and the window") {
  const auto lines = SnapshotContext(Around("capacity.shortfall_per_period > 0"));
  REQUIRE(lines.size() >= 3);
  CHECK(lines.front().label.empty());
  CHECK(lines.front().text == "capacity 100 leads/week (4 reps x 25), incoming 95.9/week");
  auto text_of = [&](const std::string& label) {
    for (const FigureLine& line : lines) {
      if (line.label == label) return line.text;
    }
    return std::string("(none)");
  };
  CHECK(text_of("reps") == "4");
  CHECK(text_of("reps source") == "configured");
  CHECK(text_of("incoming per week") == "95.9");
  CHECK(text_of("leads per rep per week") == "25");
  CHECK(text_of("window") == "2026-09-07 00:00 UTC to 2026-12-07 00:00 UTC, by week");
}

TEST_CASE("A quantity with a name of its own is shown under that name, with what it counts") {
  CHECK(Shown("funnel.won < 50", 37) == "37 won leads");
  std::vector<std::string> shown;
  for (const FigureLine& line : SnapshotContext(Around("funnel.won < 50"))) {
    shown.push_back(line.label + ": " + line.text);
  }
  CHECK(shown ==
        std::vector<std::string>{"leads: 1,234 (contacts created in the window)", "mql: 400",
                                 "won leads: 37 (leads of the window that became customers)",
                                 "window: 2026-09-07 00:00 UTC to 2026-12-07 00:00 UTC, by week"});
}

TEST_CASE("Any alert's context is the figures of its snapshot object, formatted") {
  const auto lines = SnapshotContext(Around("channels[channel=PAID_SOCIAL].return_on_spend < 3"));
  std::vector<std::string> shown;
  for (const FigureLine& line : lines) shown.push_back(line.label + ": " + line.text);
  CHECK(shown ==
        std::vector<std::string>{"channel: PAID_SOCIAL", "won deals: 3", "revenue: 12,500 EUR",
                                 "spend: 950.50 EUR", "return on spend: 2.35x",
                                 "window: 2026-09-07 00:00 UTC to 2026-12-07 00:00 UTC, by week"});
  // A part of a *_by_currency object is explained by the object holding it;
  // a null figure is said to be unknown.
  const auto revenue = SnapshotContext(Around("revenue.total_by_currency.USD > 0"));
  REQUIRE_FALSE(revenue.empty());
  CHECK(revenue.front().label == "revenue won");
  CHECK(revenue.front().text == "n/a (amounts of the won deals)");
  // A path that leads nowhere has nothing to explain it.
  CHECK(SnapshotContext(Around("channels[channel=EMAIL].revenue < 1")).empty());
}

}  // namespace
}  // namespace salesaudit

// Alert conditions: parsing with positioned errors, evaluation against a
// snapshot, and the path check `salesaudit check` runs against a snapshot's
// shape.
#include "alerts/condition.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace salesaudit {
namespace {

constexpr char kSnapshot[] = R"({
  "capacity": {"shortfall_per_period": 12.5, "reps_needed": 3},
  "funnel": {"leads": 150, "rates": {"sql_to_won": 0.18, "lead_to_won": null}},
  "channels": [
    {"channel": "PAID_SEARCH", "leads": 40, "return_on_spend": 3.1},
    {"channel": "PAID_SOCIAL", "leads": 25, "return_on_spend": 1.4},
    {"channel": "ORGANIC", "leads": 85, "return_on_spend": null}
  ],
  "reps": [{"owner_id": 7, "won": 2}, {"owner_id": 9, "won": 5}],
  "window": {"period": "week"}
})";

SnapshotDocument Snapshot(const char* json = kSnapshot) {
  auto parsed = SnapshotDocument::Parse(json);
  REQUIRE(parsed.ok());
  return *parsed;
}

ConditionResult Eval(const std::string& text, const SnapshotDocument& snapshot = Snapshot()) {
  auto condition = ParseCondition(text);
  INFO(text << ": " << condition.status().ToString());
  REQUIRE(condition.ok());
  return EvaluateCondition(*condition, snapshot);
}

// CheckConditionPath of the condition `text`, which must parse.
Status CheckPath(const std::string& text, const SnapshotDocument& shape) {
  auto condition = ParseCondition(text);
  INFO(text);
  REQUIRE(condition.ok());
  return CheckConditionPath(*condition, shape);
}

TEST_CASE("A condition compares the number at a snapshot path with a threshold") {
  struct Case {
    std::string text;
    bool holds;
    double value;
  };
  const std::vector<Case> cases = {
      {"capacity.shortfall_per_period > 0", true, 12.5},
      {"capacity.shortfall_per_period>12.5", false, 12.5},
      {"capacity.shortfall_per_period >= 12.5", true, 12.5},
      {"funnel.rates.sql_to_won < 0.2", true, 0.18},
      {"funnel.rates.sql_to_won <= 0.1", false, 0.18},
      {"funnel.leads == 150", true, 150},
      {"funnel.leads != 150", false, 150},
      {"  channels[channel=PAID_SOCIAL].return_on_spend < 2  ", true, 1.4},
      {"channels[channel=PAID_SEARCH].return_on_spend < 2", false, 3.1},
      {"channels[ channel = PAID_SEARCH ].leads > -1e3", true, 40},
      {"reps[owner_id=9].won >= 5", true, 5},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    const ConditionResult r = Eval(c.text);
    REQUIRE(r.value.has_value());
    CHECK(*r.value == c.value);
    CHECK(r.holds == c.holds);
  }
}

TEST_CASE("A path that leads nowhere or to null or to text gives no value and never holds") {
  for (const char* text :
       {"channels[channel=PODCAST].return_on_spend < 2",
        "channels[channel=ORGANIC].return_on_spend < 2", "funnel.rates.lead_to_won < 1",
        "window.period > 0", "reps[owner_id=8].won >= 0", "funnel.rates > 0",
        "capacity.nothing > 0"}) {
    INFO(text);
    const ConditionResult r = Eval(text);
    CHECK_FALSE(r.value.has_value());
    CHECK_FALSE(r.holds);
  }
}

TEST_CASE("A condition that cannot be read says what is wrong and at which column") {
  struct Case {
    std::string text;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"", "column 1: expected a snapshot key (letters, digits, _ or -)"},
      {"capacity. > 0", "column 10: expected a snapshot key (letters, digits, _ or -)"},
      {"capacity.shortfall 0", "column 20: expected a comparison (< <= > >= == !=)"},
      {"capacity.shortfall => 0", "column 20: expected a comparison (< <= > >= == !=)"},
      {"capacity.shortfall > lots", "column 22: expected a number"},
      {"capacity.shortfall > 1 2", "column 24: unexpected text after the number"},
      {"channels[channel PAID].leads > 1", "column 18: expected '=' in the selector"},
      {"channels[=PAID].leads > 1", "column 10: expected a field name after '['"},
      {"channels[channel=].leads > 1", "column 18: expected a value after '='"},
      {"channels[channel=A B].leads > 1", "column 20: expected ']'"},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    auto condition = ParseCondition(c.text);
    REQUIRE_FALSE(condition.ok());
    CHECK(condition.status().code() == StatusCode::kInvalidArgument);
    CHECK(condition.status().message() == c.error);
  }
}

TEST_CASE("The path check accepts paths the snapshot shape has and names the first wrong step") {
  const SnapshotDocument shape = Snapshot();
  auto check = [&](const std::string& text) { return CheckPath(text, shape); };
  // Values may be null in the shape (no denominator yet); selector values are
  // not checked, as a channel can appear later.
  CHECK(check("funnel.rates.lead_to_won < 0.1").ok());
  CHECK(check("channels[channel=PODCAST].return_on_spend < 2").ok());
  CHECK(check("capacity.shortfall_per_period > 0").ok());

  const std::vector<std::pair<std::string, std::string>> cases = {
      {"capacity.shortfall > 0",
       "capacity.shortfall: no key 'shortfall' (keys: shortfall_per_period, reps_needed)"},
      {"channels[chanel=PAID_SOCIAL].return_on_spend < 2",
       "channels[chanel=PAID_SOCIAL]: the elements of 'channels' have no field 'chanel' "
       "(fields: channel, leads, return_on_spend)"},
      {"funnel[stage=mql].leads > 1",
       "funnel[stage=mql]: 'funnel' is not a list; a selector needs one"},
      {"funnel.rates > 0", "funnel.rates: not a number (compare a number, e.g. a count or a rate)"},
      {"window.period > 0",
       "window.period: not a number (compare a number, e.g. a count or a rate)"},
      {"funnel.leads.count > 0", "funnel.leads.count: the value before it has no keys"},
  };
  for (const auto& [text, error] : cases) {
    INFO(text);
    const Status s = check(text);
    CHECK(s.code() == StatusCode::kInvalidArgument);
    CHECK(s.message() == error);
  }
}

TEST_CASE("A currency breakdown accepts a currency the shape's deals do not hold yet") {
  // The shape `salesaudit check` computes has one USD deal; a rule may watch
  // the EUR revenue of a store whose revenue is in several currencies.
  const SnapshotDocument shape = Snapshot(R"({"revenue": {"total": null,
      "total_by_currency": {"USD": 1000}}, "channels": [{"channel": "PR", "revenue": 1000,
      "revenue_by_currency": {"USD": 1000}}]})");
  auto check = [&](const std::string& text) { return CheckPath(text, shape); };
  CHECK(check("revenue.total_by_currency.EUR < 5000").ok());
  CHECK(check("channels[channel=PR].revenue_by_currency.unknown > 0").ok());
  CHECK(check("revenue.total_by_currency.EUR.amount > 0").message() ==
        "revenue.total_by_currency.EUR: no key 'EUR' (keys: USD)");
  CHECK(check("revenue.totl_by_currency.EUR > 0").message() ==
        "revenue.totl_by_currency: no key 'totl_by_currency' (keys: total, total_by_currency)");
  // Evaluated on a snapshot whose revenue is mixed: the total is null and
  // never holds, each currency's part still compares.
  const SnapshotDocument mixed = Snapshot(R"({"revenue": {"total": null,
      "total_by_currency": {"EUR": 500, "USD": 1000}}})");
  CHECK_FALSE(Eval("revenue.total > 0", mixed).value.has_value());
  CHECK(Eval("revenue.total_by_currency.EUR < 600", mixed).holds);
}

TEST_CASE("A selector over an empty list cannot be checked against that shape") {
  const SnapshotDocument shape = Snapshot(R"({"channels": []})");
  auto condition = ParseCondition("channels[channel=X].leads > 1");
  REQUIRE(condition.ok());
  const Status s = CheckConditionPath(*condition, shape);
  CHECK(s.message() == "channels[channel=X]: 'channels' holds no objects to select from");
}

TEST_CASE("The selector check names a value no element has, with the values there") {
  auto check = [](const std::string& text) {
    auto condition = ParseCondition(text);
    REQUIRE(condition.ok());
    return CheckSelectorValues(*condition, Snapshot());
  };
  CHECK(check("channels[channel=PAID_SOCIAL].return_on_spend < 2").ok());
  CHECK(check("reps[owner_id=9].won < 1").ok());
  // Missing keys are the path check's to report, not this one's.
  CHECK(check("channels[channel=PAID_SOCIAL].no_such_key < 2").ok());
  CHECK(check("nothing[channel=X].leads < 2").ok());

  const Status typo = check("channels[channel=PAID_SOCAIL].return_on_spend < 2");
  CHECK(typo.code() == StatusCode::kNotFound);
  CHECK(typo.message() ==
        "channels[channel=PAID_SOCAIL]: no element has channel 'PAID_SOCAIL' (values: "
        "PAID_SEARCH, PAID_SOCIAL, ORGANIC); did you mean 'PAID_SOCIAL'?");
  const Status unknown = check("channels[channel=TV].leads < 2");
  CHECK(unknown.message() ==
        "channels[channel=TV]: no element has channel 'TV' (values: PAID_SEARCH, PAID_SOCIAL, "
        "ORGANIC)");
  CHECK(check("reps[owner_id=8].won < 1").code() == StatusCode::kNotFound);
}

TEST_CASE("Only a JSON object is a snapshot") {
  CHECK_FALSE(SnapshotDocument::Parse("[1, 2]").ok());
  CHECK_FALSE(SnapshotDocument::Parse("{\"a\": ").ok());
  CHECK(SnapshotDocument::Parse("{}").ok());
}

}  // namespace
}  // namespace salesaudit

// Money in several currencies (issue 12, docs/audit.md "Money and
// currencies"): a real store with won deals in USD, EUR, GBP and without a
// currency. Totals are per currency, stated as one number only in one
// currency or converted with configured rates, and say so.
#include <rapidjson/document.h>

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "audit/forecast.h"
#include "audit/html_report.h"
#include "audit/snapshot.h"
#include "tests/support/subprocess.h"

namespace salesaudit {
namespace {

constexpr int64_t kDay = 24LL * 3600 * 1000;
constexpr int64_t kJan1 = 1704067200000;  // 2024-01-01T00:00Z
constexpr int64_t kNow = kJan1 + 60 * kDay;
const AuditWindow kWindow{kJan1, kJan1 + 31 * kDay};

// Four won customers, one per channel, with a deal each but c1, which has
// two: d1 1000 USD and d2 500 EUR (PAID_SEARCH, rep o1), d3 300 "usd"
// (REFERRALS, o2), d4 200 without a currency (PR, no owner; left out when
// `with_unknown` is false) and d5 100 GBP (PODCAST, o2).
std::unique_ptr<Store> OpenStore(const testing::TempDir& dir, bool with_unknown) {
  auto store = Store::Open(dir.File(with_unknown ? "mixed.db" : "known.db"));
  REQUIRE(store.ok());
  Page page;
  page.stream = "all";
  page.owners = {Owner{.id = "o1", .email = "ann@x.com", .name = "Ann", .active = true},
                 Owner{.id = "o2", .email = "bob@x.com", .name = "Bob", .active = true}};
  struct Customer {
    const char* id;
    const char* channel;
    const char* owner;
  };
  const Customer customers[] = {{"c1", "PAID_SEARCH", "o1"},
                                {"c2", "REFERRALS", "o2"},
                                {"c3", "PR", ""},
                                {"c4", "PODCAST", "o2"}};
  for (const Customer& c : customers) {
    page.contacts.push_back(Contact{.id = c.id,
                                    .email = std::string(c.id) + "@x.com",
                                    .owner_id = c.owner,
                                    .channel = c.channel,
                                    .created_at = kJan1 + kDay,
                                    .customer_at = kJan1 + 10 * kDay,
                                    .updated_at = kJan1 + 10 * kDay});
  }
  struct DealRow {
    const char* id;
    double amount;
    const char* currency;
    const char* contact;
    const char* owner;
  };
  const DealRow deals[] = {{"d1", 1000, "USD", "c1", "o1"},
                           {"d2", 500, "EUR", "c1", "o1"},
                           {"d3", 300, "usd", "c2", "o2"},
                           {"d4", 200, "", "c3", ""},
                           {"d5", 100, "GBP", "c4", "o2"}};
  for (const DealRow& d : deals) {
    if (!with_unknown && std::string(d.id) == "d4") continue;
    page.deals.push_back(Deal{.id = d.id,
                              .owner_id = d.owner,
                              .amount = d.amount,
                              .currency = d.currency,
                              .created_at = kJan1 + 2 * kDay,
                              .closed_at = kJan1 + 10 * kDay,
                              .is_closed = true,
                              .is_won = true,
                              .updated_at = kJan1 + 10 * kDay,
                              .contact_ids = std::vector<std::string>{d.contact}});
  }
  REQUIRE((*store)->CommitPage("crm", page).ok());
  return std::move(store).value();
}

AuditSettings Settings(CurrencySettings currency = {}) {
  AuditSettings s;
  s.spend = {{"PAID_SEARCH", "2024-01", 100}, {"REFERRALS", "2024-01", 150}};
  s.revenue_target = 10000;
  s.currency = std::move(currency);
  return s;
}

struct Audit {
  Snapshot snapshot;
  rapidjson::Document doc;
  std::string text;
};

Audit Run(Store& store, const AuditSettings& settings) {
  auto snapshot = ComputeSnapshot(store, settings, kWindow, kNow);
  REQUIRE(snapshot.ok());
  Audit a{std::move(snapshot).value(), {}, ""};
  auto json = SnapshotJson(a.snapshot);
  REQUIRE(json.ok());
  a.doc.Parse(json->c_str());
  REQUIRE_FALSE(a.doc.HasParseError());
  a.text = SnapshotText(a.snapshot);
  return a;
}

const rapidjson::Value& Row(const rapidjson::Value& rows, const char* key, const char* name) {
  for (const rapidjson::Value& row : rows.GetArray()) {
    if (std::string(row[key].GetString()) == name) return row;
  }
  FAIL("no row " << name);
  throw std::logic_error("unreachable");
}

// {code: amount} of a *_by_currency object.
std::map<std::string, double> Parts(const rapidjson::Value& parts) {
  REQUIRE(parts.IsObject());
  std::map<std::string, double> out;
  for (const auto& m : parts.GetObject()) out[m.name.GetString()] = m.value.GetDouble();
  return out;
}

TEST_CASE("Revenue in USD, EUR and without a currency is reported per currency, never summed",
          "[audit][currency]") {
  testing::TempDir dir;
  auto store = OpenStore(dir, true);
  const Audit a = Run(*store, Settings());
  const rapidjson::Value& channels = a.doc["channels"];

  const rapidjson::Value& paid = Row(channels, "channel", "PAID_SEARCH");
  CHECK(paid["revenue"].IsNull());
  CHECK(paid["currency"].IsNull());
  CHECK(Parts(paid["revenue_by_currency"]) ==
        std::map<std::string, double>{{"EUR", 500}, {"USD", 1000}});
  CHECK(paid["spend"].GetDouble() == 100);
  CHECK(paid["return_on_spend"].IsNull());  // spend against mixed revenue has no return
  CHECK(paid["below_target"].IsNull());

  // "usd" is USD: one currency, so one number, named, with its return on spend.
  const rapidjson::Value& referrals = Row(channels, "channel", "REFERRALS");
  CHECK(referrals["revenue"].GetDouble() == 300);
  CHECK(std::string(referrals["currency"].GetString()) == "USD");
  CHECK(referrals["converted"].IsFalse());
  CHECK(referrals["return_on_spend"].GetDouble() == Approx(2.0));

  const rapidjson::Value& pr = Row(channels, "channel", "PR");
  CHECK(pr["revenue"].IsNull());
  CHECK(Parts(pr["revenue_by_currency"]) == std::map<std::string, double>{{"unknown", 200}});

  const rapidjson::Value& o1 = Row(a.doc["reps"], "owner_id", "o1");
  CHECK(o1["revenue"].IsNull());
  CHECK(Parts(o1["revenue_by_currency"]) ==
        std::map<std::string, double>{{"EUR", 500}, {"USD", 1000}});
  CHECK(o1["vs_team"]["revenue"]["team_median"].IsNull());
  CHECK(o1["vs_team"]["revenue"]["currency"].IsNull());

  const rapidjson::Value& revenue = a.doc["revenue"];
  CHECK(revenue["total"].IsNull());
  CHECK(revenue["currency"].IsNull());
  CHECK(Parts(revenue["total_by_currency"]) ==
        std::map<std::string, double>{{"EUR", 500}, {"GBP", 100}, {"USD", 1300}, {"unknown", 200}});
  CHECK(revenue["average_won_deal"].IsNull());
  CHECK(Parts(revenue["average_won_deal_by_currency"]) ==
        std::map<std::string, double>{{"EUR", 500}, {"GBP", 100}, {"USD", 650}, {"unknown", 200}});
  CHECK(revenue["report_in"].IsNull());
  CHECK(revenue["rates_used"].ObjectEmpty());
  // The revenue target's unit is unknown, so no lead count is claimed for it.
  CHECK(a.doc["capacity"]["revenue_target_currency"].IsNull());
  CHECK(a.doc["capacity"]["leads_needed_for_revenue_target"].IsNull());

  const rapidjson::Value& without = a.doc["data_quality"]["won_deals_without_currency"];
  CHECK(without["count"].GetInt64() == 1);
  CHECK(std::string(without["examples"][0].GetString()) == "crm:d4");
  CHECK(a.doc["data_quality"]["won_deals_without_rate"]["count"].GetInt64() == 0);

  // Text names the currency of every amount and lists mixed ones by part.
  CHECK_THAT(a.text, Catch::Contains("500.00 EUR + 1000.00 USD"));
  CHECK_THAT(a.text, Catch::Contains("300.00 USD"));
  CHECK_THAT(a.text, Catch::Contains("150.00 USD"));  // REFERRALS' spend
  CHECK_THAT(a.text, Catch::Contains("500.00 EUR + 100.00 GBP + 1300.00 USD + 200.00 unknown"));
  CHECK_THAT(a.text, Catch::Contains("100.00 ?"));  // spend beside mixed revenue
  CHECK_THAT(a.text, Catch::Contains("revenue is in several currencies"));
  CHECK_THAT(a.text, Catch::Contains("won deals without currency") && Catch::Contains("crm:d4"));
}

TEST_CASE("A reporting currency converts totals with the configured rates and says so",
          "[audit][currency]") {
  testing::TempDir dir;
  SECTION("every currency has a rate: one converted total") {
    auto store = OpenStore(dir, false);
    const Audit a = Run(*store, Settings(CurrencySettings{"EUR", {{"USD", 0.9}, {"GBP", 1.2}}}));
    const rapidjson::Value& revenue = a.doc["revenue"];
    // 1300 USD x 0.9 + 500 EUR + 100 GBP x 1.2.
    CHECK(revenue["total"].GetDouble() == Approx(1790));
    CHECK(std::string(revenue["currency"].GetString()) == "EUR");
    CHECK(revenue["converted"].IsTrue());
    CHECK(Parts(revenue["rates_used"]) ==
          std::map<std::string, double>{{"GBP", 1.2}, {"USD", 0.9}});
    // The parts stay listed in their own currencies.
    CHECK(Parts(revenue["total_by_currency"]) ==
          std::map<std::string, double>{{"EUR", 500}, {"GBP", 100}, {"USD", 1300}});
    CHECK(revenue["average_won_deal"].GetDouble() == Approx(1790.0 / 4));
    CHECK(std::string(a.doc["capacity"]["revenue_target_currency"].GetString()) == "EUR");
    CHECK(a.doc["capacity"]["leads_needed_for_revenue_target"].IsNumber());

    const rapidjson::Value& paid = Row(a.doc["channels"], "channel", "PAID_SEARCH");
    CHECK(paid["revenue"].GetDouble() == Approx(1400));
    CHECK(std::string(paid["currency"].GetString()) == "EUR");
    CHECK(paid["converted"].IsTrue());
    CHECK(paid["return_on_spend"].GetDouble() == Approx(14.0));  // spend is in EUR
    CHECK(Row(a.doc["channels"], "channel", "PODCAST")["revenue"].GetDouble() == Approx(120));

    const rapidjson::Value& o2 = Row(a.doc["reps"], "owner_id", "o2");
    CHECK(o2["revenue"].GetDouble() == Approx(270 + 120));
    CHECK(o2["vs_team"]["revenue"]["team_median"].GetDouble() == Approx((1400 + 390) / 2.0));
    CHECK(std::string(o2["vs_team"]["revenue"]["currency"].GetString()) == "EUR");

    CHECK_THAT(a.text, Catch::Contains("1790.00 EUR"));
    CHECK_THAT(a.text, Catch::Contains("converted to EUR at the configured rates: GBP 1.2000 "
                                       "USD 0.9000"));
  }
  SECTION("a currency without a rate and a deal without one keep totals null and are named") {
    auto store = OpenStore(dir, true);
    const Audit a = Run(*store, Settings(CurrencySettings{"EUR", {{"USD", 0.9}}}));
    const rapidjson::Value& revenue = a.doc["revenue"];
    CHECK(revenue["total"].IsNull());
    CHECK(revenue["currency"].IsNull());
    CHECK(revenue["converted"].IsFalse());
    CHECK(std::string(revenue["report_in"].GetString()) == "EUR");
    CHECK(Parts(revenue["rates_used"]) == std::map<std::string, double>{{"USD", 0.9}});
    // PAID_SEARCH converts; PODCAST's GBP and PR's unknown do not.
    CHECK(Row(a.doc["channels"], "channel", "PAID_SEARCH")["revenue"].GetDouble() == Approx(1400));
    CHECK(Row(a.doc["channels"], "channel", "PODCAST")["revenue"].IsNull());
    CHECK(Row(a.doc["channels"], "channel", "PR")["revenue"].IsNull());
    const rapidjson::Value& no_rate = a.doc["data_quality"]["won_deals_without_rate"];
    CHECK(no_rate["count"].GetInt64() == 1);
    CHECK(std::string(no_rate["examples"][0].GetString()) == "crm:d5");
    CHECK(a.doc["data_quality"]["won_deals_without_currency"]["count"].GetInt64() == 1);
  }
}

// The money figures of a report page with no currency after them: each
// data-metric whose last segment names money (revenue, spend, totals,
// averages, targets, and their *_by_currency parts) must be followed by a
// currency span, unless it is 0 or null (a dash), which need no unit.
std::vector<std::string> AmountsWithoutCurrency(const std::string& html) {
  std::vector<std::string> bare;
  const std::string attr = "data-metric=\"";
  for (size_t at = html.find(attr); at != std::string::npos; at = html.find(attr, at + 1)) {
    const size_t start = at + attr.size();
    const std::string key = html.substr(start, html.find('"', start) - start);
    const std::string last = key.substr(key.rfind('.') + 1);
    bool money = false;
    for (const char* m : {"revenue", "spend", "total", "average_won_deal", "unattributed",
                          "revenue_target", "expected_revenue"}) {
      money = money || last == m || last.rfind(std::string(m) + "_by_currency[", 0) == 0;
    }
    if (!money) continue;
    const size_t close = html.find("</span>", start);
    const std::string element = html.substr(start, close - start);
    if (element.find("data-value=\"0\"") != std::string::npos ||
        element.find("data-value") == std::string::npos) {
      continue;
    }
    const std::string currency = " <span class=\"cur";
    if (html.compare(close + 7, currency.size(), currency) != 0) bare.push_back(key);
  }
  return bare;
}

TEST_CASE("The HTML report shows the currency with every amount and mixed ones by part",
          "[audit][currency][html]") {
  testing::TempDir dir;
  auto store = OpenStore(dir, true);
  auto mixed = SnapshotJson(Run(*store, Settings()).snapshot);
  REQUIRE(mixed.ok());
  auto html = RenderHtmlReport(*mixed, HtmlReportOptions{});
  REQUIRE(html.ok());
  CHECK_THAT(*html, Catch::Contains("data-metric=\"channels[REFERRALS].revenue\" "
                                    "data-value=\"300\">300</span> <span class=\"cur\">USD"));
  CHECK_THAT(*html, Catch::Contains("data-metric=\"channels[PAID_SEARCH].revenue_by_currency[EUR]"
                                    "\" data-value=\"500\">500</span> <span class=\"cur\">EUR"));
  CHECK_THAT(*html, Catch::Contains("data-metric=\"revenue.total_by_currency[unknown]\""));
  CHECK_THAT(*html, !Catch::Contains("data-metric=\"revenue.total\""));
  CHECK(AmountsWithoutCurrency(*html) == std::vector<std::string>{});
  // The forecast's revenue is among the amounts checked.
  CHECK_THAT(*html, Catch::Contains("data-metric=\"forecast.expected_revenue"));
  // The spend beside mixed revenue has no known unit, and says so.
  CHECK_THAT(*html, Catch::Contains("data-metric=\"channels[PAID_SEARCH].spend\" "
                                    "data-value=\"100\">100</span> <span class=\"cur na\""));

  auto known = OpenStore(dir, false);
  auto converted = SnapshotJson(
      Run(*known, Settings(CurrencySettings{"EUR", {{"USD", 0.9}, {"GBP", 1.2}}})).snapshot);
  REQUIRE(converted.ok());
  html = RenderHtmlReport(*converted, HtmlReportOptions{});
  REQUIRE(html.ok());
  CHECK_THAT(*html, Catch::Contains("data-metric=\"channels[PAID_SEARCH].revenue\" "
                                    "data-value=\"1400\">1,400</span> <span class=\"cur\">EUR"));
  CHECK_THAT(*html, Catch::Contains("data-metric=\"capacity.revenue_target\" "
                                    "data-value=\"10000\">10,000</span> <span class=\"cur\">EUR"));
  CHECK_THAT(*html, Catch::Contains("Amounts converted to EUR at the rates in the config: 1 GBP = "
                                    "1.2 EUR, 1 USD = 0.9 EUR."));
  CHECK(AmountsWithoutCurrency(*html) == std::vector<std::string>{});
}

ForecastRequest Request(std::optional<double> spend) {
  // Every customer has matured by then.
  return ForecastRequest{.leads = 10, .spend = spend, .now_ms = kJan1 + 400 * kDay};
}

TEST_CASE("The forecast's expected revenue is per currency, converted only with rates",
          "[audit][currency][forecast]") {
  testing::TempDir dir;
  SECTION("deals in several currencies: no single expected revenue") {
    auto store = OpenStore(dir, true);
    auto f = ComputeForecast(*store, Request(1000.0), ForecastOptions{});
    REQUIRE(f.ok());
    REQUIRE(f->expected_customers);
    CHECK(*f->expected_customers == 10);  // 4 of 4 won
    CHECK_FALSE(f->expected_revenue.has_value());
    CHECK_FALSE(f->currency.has_value());
    CHECK_FALSE(f->return_on_spend.has_value());
    CHECK_FALSE(f->basis.average_deal.has_value());
    // 10 customers x each currency's amount over the 5 deals.
    rapidjson::Document doc;
    doc.Parse(ForecastJson(*f).c_str());
    REQUIRE_FALSE(doc.HasParseError());
    CHECK(doc["expected_revenue"].IsNull());
    CHECK(doc["currency"].IsNull());
    CHECK(Parts(doc["expected_revenue_by_currency"]) ==
          std::map<std::string, double>{
              {"EUR", 1000}, {"GBP", 200}, {"USD", 2600}, {"unknown", 400}});
    const std::string text = ForecastText(*f);
    CHECK_THAT(text, Catch::Contains("1000.00 EUR + 200.00 GBP + 2600.00 USD + 400.00 unknown"));
    CHECK_THAT(text, Catch::Contains("1000.00 ?"));  // the spend's unit is unknown
  }
  SECTION("a reporting currency with every rate: converted, with its rates") {
    auto store = OpenStore(dir, false);
    ForecastOptions options;
    options.currency = CurrencySettings{"EUR", {{"USD", 0.9}, {"GBP", 1.2}}};
    auto f = ComputeForecast(*store, Request(1000.0), options);
    REQUIRE(f.ok());
    // 10 customers x (1300 x 0.9 + 500 + 100 x 1.2) / 4 deals.
    REQUIRE(f->expected_revenue);
    CHECK(*f->expected_revenue == Approx(4475));
    CHECK(*f->return_on_spend == Approx(4.475));
    rapidjson::Document doc;
    doc.Parse(ForecastJson(*f).c_str());
    REQUIRE_FALSE(doc.HasParseError());
    CHECK(std::string(doc["currency"].GetString()) == "EUR");
    CHECK(doc["converted"].IsTrue());
    CHECK(Parts(doc["rates_used"]) == std::map<std::string, double>{{"GBP", 1.2}, {"USD", 0.9}});
    CHECK(doc["basis"]["average_deal"].GetDouble() == Approx(447.5));
    const std::string text = ForecastText(*f);
    CHECK_THAT(text, Catch::Contains("4475.00 EUR") && Catch::Contains("1000.00 EUR"));
    CHECK_THAT(text, Catch::Contains("converted to EUR"));
  }
}

}  // namespace
}  // namespace salesaudit

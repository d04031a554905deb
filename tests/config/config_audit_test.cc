// The config loader on the audit settings, their currency rates and the
// spend rows from spend_file.
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "tests/config/config_fixtures.h"

namespace salesaudit {
namespace {

namespace fs = std::filesystem;
using testing::ConfigDir;
using testing::ConnectorTypes;
using testing::Errors;
using testing::LoadOk;

TEST_CASE("the audit settings load with their defaults and overrides") {
  const Config defaults = LoadOk("audit: {every: 1h}\n");
  CHECK(defaults.audit.return_on_spend_target == 2.0);
  CHECK(defaults.audit.min_sample == 30);
  CHECK(defaults.audit.referral_channels == std::vector<std::string>{"REFERRALS"});
  CHECK_FALSE(defaults.audit.revenue_target_per_period.has_value());

  const Config c = LoadOk(
      "audit:\n"
      "  period: month\n"
      "  min_interval: 2m\n"
      "  keep_snapshots: 30d\n"
      "  attribution_window: 3d\n"
      "  open_rate_floor: 0.15\n"
      "  click_rate_floor: 0.02\n"
      "  min_sample: 50\n"
      "  stale_deal_age: 14d\n"
      "  forecast_min_channel_leads: 40\n"
      "  return_on_spend_target: 3\n"
      "  revenue_target_per_period: 120000\n"
      "  referral_channels: [REFERRALS, partner]\n");
  CHECK(c.audit.min_interval == std::chrono::minutes(2));
  CHECK(c.audit.keep_snapshots == std::chrono::hours(24 * 30));
  CHECK(c.audit.attribution_window == std::chrono::hours(72));
  CHECK(c.audit.open_rate_floor == Approx(0.15));
  CHECK(c.audit.click_rate_floor == Approx(0.02));
  CHECK(c.audit.min_sample == 50);
  CHECK(c.audit.stale_deal_age == std::chrono::hours(24 * 14));
  CHECK(c.audit.forecast_min_channel_leads == 40);
  CHECK(c.audit.return_on_spend_target == 3.0);
  CHECK(c.audit.revenue_target_per_period == 120000.0);
  CHECK(c.audit.referral_channels == std::vector<std::string>{"REFERRALS", "partner"});

  CHECK(Errors("audit:\n  open_rate_floor: 15\n") ==
        std::vector<std::string>{
            "t.yaml:2:20: audit.open_rate_floor: must be at most 1 (a fraction: 0.2 for 20%), "
            "got '15'"});
}

TEST_CASE("audit.currency loads a reporting currency and the rates into it") {
  CHECK(LoadOk("audit: {every: 1h}\n").audit.currency.report_in.empty());
  const Config c = LoadOk(
      "audit:\n"
      "  currency:\n"
      "    report_in: EUR\n"
      "    rates: {USD: 0.92, GBP: 1.17, JPY: 0.0061}\n");
  CHECK(c.audit.currency.report_in == "EUR");
  CHECK(c.audit.currency.rates ==
        std::map<std::string, double>{{"GBP", 1.17}, {"JPY", 0.0061}, {"USD", 0.92}});
  CHECK(LoadOk("audit:\n  currency: {report_in: USD}\n").audit.currency.rates.empty());
}

TEST_CASE("bad currency codes and rates are reported as FILE:LINE:COL") {
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"audit:\n  currency: {report_in: eur}\n",
       {"t.yaml:2:25: audit.currency.report_in: expected a currency code of three upper-case "
        "letters (ISO 4217, e.g. EUR), got 'eur'"}},
      {"audit:\n  currency: {rates: {USD: 0.9}}\n",
       {"t.yaml:2:13: audit.currency: missing 'report_in' (the ISO 4217 code totals are "
        "converted into)"}},
      {"audit:\n  currency:\n    report_in: EUR\n    rates: {US$: 0.9, Usd: 1}\n",
       {"t.yaml:4:13: audit.currency.rates.US$: expected a currency code of three upper-case "
        "letters (ISO 4217, e.g. EUR), got 'US$'",
        "t.yaml:4:23: audit.currency.rates.Usd: expected a currency code of three upper-case "
        "letters (ISO 4217, e.g. EUR), got 'Usd'"}},
      {"audit:\n  currency:\n    report_in: EUR\n    rates: {USD: 0, GBP: -1, CHF: .nan}\n",
       {"t.yaml:4:18: audit.currency.rates.USD: must be greater than zero",
        "t.yaml:4:26: audit.currency.rates.GBP: must be greater than zero",
        "t.yaml:4:35: audit.currency.rates.CHF: expected a number, got '.nan'"}},
      {"audit:\n  currency:\n    report_in: EUR\n    rates: {USD: 1e12}\n",
       {"t.yaml:4:18: audit.currency.rates.USD: must be at most 1e+09 (reporting-currency units "
        "per unit of USD), got '1e12'"}},
      {"audit:\n  currency:\n    report_in: EUR\n    rates: {EUR: 1}\n",
       {"t.yaml:4:13: audit.currency.rates.EUR: EUR is the reporting currency; its rate is 1"}},
      {"audit:\n  currency:\n    report_in: EUR\n    rates: [USD]\n",
       {"t.yaml:4:12: audit.currency.rates: expected a map of currency code -> rate (e.g. USD: "
        "0.92), got a list"}},
      {"audit:\n  currency: {report_in: EUR, rate: {USD: 1}}\n",
       {"t.yaml:2:30: unknown key 'rate' in audit.currency; did you mean 'rates'?"}},
  };
  for (const auto& [yaml, errors] : cases) {
    INFO(yaml);
    CHECK(Errors(yaml) == errors);
  }
}

TEST_CASE("spend_file rows join the spend list and their problems name CSV line and column") {
  ConfigDir dir;
  dir.Write("spend.csv",
            "channel,month,amount\n"
            "PAID_SOCIAL,2026-10,5000\n"
            "podcast, 2026-11 ,1250.5\r\n"
            "\n");
  const fs::path config = dir.Write("config.yaml",
                                    "spend:\n"
                                    "  - {channel: EVENTS, month: 2026-09, amount: 800}\n"
                                    "spend_file: spend.csv\n");
  ConfigLoadResult ok = LoadConfigFile(config.string(), ConnectorTypes());
  INFO((ok.errors.empty() ? "" : ok.errors[0]));
  REQUIRE(ok.config.has_value());
  REQUIRE(ok.config->spend.size() == 3);
  CHECK(ok.config->spend[2].channel == "podcast");
  CHECK(ok.config->spend[2].month == "2026-11");
  CHECK(ok.config->spend[2].amount == 1250.5);

  dir.Write("bad.csv",
            "channel,month,amount\n"
            "PAID_SOCIAL,2026-13,5000\n"
            "podcast,2026-11,-3\n"
            "PAID_SOCIAL,2026-10,1\n"
            "PAID_SOCIAL,2026-10,2\n");
  const fs::path bad = dir.Write("bad.yaml", "spend_file: bad.csv\n");
  const std::string csv = (dir.path() / "bad.csv").string();
  CHECK(LoadConfigFile(bad.string(), ConnectorTypes()).errors ==
        std::vector<std::string>{
            csv + ":2:13: expected a month as YYYY-MM, got '2026-13'",
            csv + ":3:17: expected an amount from 0 to 1e+15, got '-3'",
            csv + ":5:1: spend for channel 'PAID_SOCIAL' in 2026-10 is given twice"});

  // As spreadsheets save it: a byte-order mark, quoted cells, "" inside quotes.
  dir.Write("sheet.csv",
            "\xEF\xBB\xBF\"channel\",\"month\",\"amount\"\r\n"
            "\"Events, trade fairs\",\"2026-10\",\"800.25\"\r\n"
            "\"The \"\"Big\"\" podcast\", 2026-10 , 120\r\n");
  const fs::path sheet = dir.Write("sheet.yaml", "spend_file: sheet.csv\n");
  ConfigLoadResult from_sheet = LoadConfigFile(sheet.string(), ConnectorTypes());
  INFO((from_sheet.errors.empty() ? "" : from_sheet.errors[0]));
  REQUIRE(from_sheet.config.has_value());
  REQUIRE(from_sheet.config->spend.size() == 2);
  CHECK(from_sheet.config->spend[0].channel == "Events, trade fairs");
  CHECK(from_sheet.config->spend[0].amount == 800.25);
  CHECK(from_sheet.config->spend[1].channel == "The \"Big\" podcast");
  CHECK(from_sheet.config->spend[1].month == "2026-10");

  dir.Write("open.csv", "channel,month,amount\n\"PAID_SOCIAL,2026-10,5000\n");
  const fs::path open_quote = dir.Write("open.yaml", "spend_file: open.csv\n");
  CHECK(LoadConfigFile(open_quote.string(), ConnectorTypes()).errors ==
        std::vector<std::string>{(dir.path() / "open.csv").string() +
                                 ":2:1: a quoted value is not closed"});

  const fs::path missing = dir.Write("missing.yaml", "spend_file: nowhere.csv\n");
  auto errors = LoadConfigFile(missing.string(), ConnectorTypes()).errors;
  REQUIRE(errors.size() == 1);
  CHECK_THAT(errors[0], Catch::Contains("missing.yaml:1:13:") && Catch::Contains("nowhere.csv"));
}

}  // namespace
}  // namespace salesaudit

// `salesaudit forecast` as users run it: the binary over a real SQLite store
// filled directly, its JSON keys (docs/contracts.md "Forecast JSON") and exit codes.
#include <rapidjson/document.h>

#include <catch2/catch.hpp>

#include "core/time_util.h"
#include "store/store.h"
#include "tests/support/subprocess.h"

namespace salesaudit::testing {
namespace {

const std::string kBinary = SALESAUDIT_BINARY;
constexpr int64_t kDay = 86400000;

// A config naming only a store, and the store holding the worked example's
// history (docs/audit.md, `expected_customers`):
// 400 podcast leads created 500 days ago, 200 of them reached, 50 of those
// won after 30 days with a 1000 deal each.
struct ForecastFixture {
  ForecastFixture() {
    config_path = dir.File("config.yaml");
    WriteFile(config_path, "store:\n  path: " + dir.File("store.db") + "\n");
    auto store = Store::Open(dir.File("store.db"));
    REQUIRE(store.ok());
    Page page;
    page.stream = "contacts";
    page.cursor = "{}";
    const int64_t created = NowMs() - 500 * kDay;
    for (int i = 0; i < 400; ++i) {
      Contact c;
      c.id = std::to_string(i);
      c.channel = "podcast";
      c.created_at = created;
      if (i < 200) c.contacted_at = created + kDay;
      if (i < 50) {
        c.customer_at = created + 30 * kDay;
        Deal d;
        d.id = "d" + c.id;
        d.amount = 1000.0;
        d.currency = "USD";
        d.is_closed = d.is_won = true;
        d.closed_at = c.customer_at;
        d.contact_ids = std::vector<std::string>{c.id};
        page.deals.push_back(d);
      }
      page.contacts.push_back(c);
    }
    REQUIRE((*store)->CommitPage("crm", page).ok());
  }
  RunResult Cli(std::vector<std::string> args) {
    args.insert(args.begin(), {kBinary, "--config", config_path, "forecast"});
    return RunProcess(args);
  }
  TempDir dir;
  std::string config_path;
};

TEST_CASE("forecast prints 18.75 expected customers for the documented podcast example as JSON",
          "[cli][forecast]") {
  ForecastFixture f;
  auto r = f.Cli({"--leads", "150", "--channel", "podcast", "--spend", "5000", "--format", "json"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  rapidjson::Document doc;
  REQUIRE_FALSE(doc.Parse(r.out.c_str()).HasParseError());
  REQUIRE(doc.IsObject());
  for (const char* key : {"channel", "leads", "rates", "expected_customers", "interval",
                          "expected_revenue", "spend", "return_on_spend", "basis"}) {
    INFO(key);
    CHECK(doc.HasMember(key));
  }
  CHECK(std::string(doc["channel"].GetString()) == "podcast");
  CHECK(doc["leads"].GetInt64() == 150);
  CHECK(doc["expected_customers"].GetDouble() == 18.75);
  CHECK(doc["rates"]["lead_to_won"].GetDouble() == 0.125);
  for (const char* key :
       {"lead_to_mql", "mql_to_contacted", "contacted_to_sql", "sql_to_won", "lead_to_won"}) {
    INFO(key);
    CHECK(doc["rates"].HasMember(key));
  }
  const auto& interval = doc["interval"];
  CHECK(interval["low"].GetInt64() <= 18);
  CHECK(interval["high"].GetInt64() >= 19);
  CHECK(interval["level"].GetDouble() == 0.8);
  CHECK(doc["expected_revenue"].GetDouble() == Approx(18750.0));
  CHECK(doc["spend"].GetDouble() == 5000.0);
  CHECK(doc["return_on_spend"].GetDouble() == Approx(3.75));
  CHECK(doc["basis"]["cohort_leads"].GetInt64() == 400);
  CHECK(doc["basis"]["cohort_won"].GetInt64() == 50);
  CHECK(std::string(doc["basis"]["scope"].GetString()) == "channel");
  // Every lead came in one month: no past month to backtest, and it says so.
  CHECK(doc["backtest"]["periods"].GetInt64() == 0);
  CHECK(doc["backtest"]["coverage"].IsNull());
  CHECK_THAT(doc["backtest"]["reason"].GetString(), Catch::Contains("6 needed"));

  r = f.Cli({"--leads", "150", "--channel", "podcast"});
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("backtest coverage") && Catch::Contains("6 needed"));
}

TEST_CASE("forecast without a channel or spend gives null channel, spend and return on spend",
          "[cli][forecast]") {
  ForecastFixture f;
  auto r = f.Cli({"--leads=150", "--format=json"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  rapidjson::Document doc;
  REQUIRE_FALSE(doc.Parse(r.out.c_str()).HasParseError());
  CHECK(doc["channel"].IsNull());
  CHECK(doc["spend"].IsNull());
  CHECK(doc["return_on_spend"].IsNull());
  CHECK(doc["expected_customers"].GetDouble() == 18.75);
}

TEST_CASE("forecast for an unknown channel exits 2 listing the known channels and suggesting one",
          "[cli][forecast]") {
  ForecastFixture f;
  {
    auto store = Store::Open(f.dir.File("store.db"));
    REQUIRE(store.ok());
    Page page;
    page.stream = "contacts";
    page.cursor = "{}";
    Contact c;
    c.id = "social-1";
    c.channel = "PAID_SOCIAL";
    c.created_at = NowMs() - 400 * kDay;
    page.contacts.push_back(c);
    REQUIRE((*store)->CommitPage("crm", page).ok());
  }
  struct Case {
    const char* channel;
    const char* suggestion;
  };
  const Case cases[] = {
      {"radio", nullptr},
      {"paid_social", "did you mean 'PAID_SOCIAL'?"},
      {" Paid_Social", "did you mean 'PAID_SOCIAL'?"},
      {"PODCAST", "did you mean 'podcast'?"},
  };
  for (const Case& c : cases) {
    INFO(c.channel);
    auto r = f.Cli({"--leads", "150", "--channel", c.channel});
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    CHECK_THAT(r.err, Catch::StartsWith("salesaudit forecast: unknown channel '" +
                                        std::string(c.channel) + "'"));
    CHECK_THAT(r.err, Catch::Contains("known channels: 'PAID_SOCIAL', 'podcast'"));
    CHECK(r.err.find('\n') == r.err.size() - 1);
    if (c.suggestion) {
      CHECK_THAT(r.err, Catch::Contains(c.suggestion));
    } else {
      CHECK_THAT(r.err, !Catch::Contains("did you mean"));
    }
  }
  auto r = f.Cli({"--leads", "150", "--channel", "PAID_SOCIAL", "--format", "json"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
}

TEST_CASE("forecast refuses --from at or after --to as audit does", "[cli][forecast]") {
  ForecastFixture f;
  for (const char* command : {"forecast", "audit"}) {
    for (const char* to : {"2024-01-01", "2023-06-01"}) {
      INFO(command << " --to " << to);
      std::vector<std::string> args = {kBinary,  "--config",   f.config_path, command,
                                       "--from", "2024-01-01", "--to",        to};
      if (std::string(command) == "forecast") args.insert(args.end(), {"--leads", "10"});
      auto r = RunProcess(args);
      CHECK(r.exit_code == 2);
      CHECK(r.err == "salesaudit " + std::string(command) + ": --from must be before --to\n");
      CHECK(r.out.empty());
    }
  }
}

TEST_CASE("forecast with a spend so small that the return overflows prints valid JSON and no ratio",
          "[cli][forecast]") {
  ForecastFixture f;
  auto r = f.Cli({"--leads", "150", "--spend", "1e-310", "--format", "json"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  rapidjson::Document doc;
  REQUIRE_FALSE(doc.Parse(r.out.c_str()).HasParseError());
  CHECK(doc["expected_revenue"].IsNumber());
  CHECK(doc["return_on_spend"].IsNull());
}

TEST_CASE("forecast --from and --to narrow the history by creation date", "[cli][forecast]") {
  ForecastFixture f;
  const std::string after = FormatIsoMs(NowMs() - 100 * kDay);
  auto r = f.Cli({"--leads", "150", "--from", after, "--format", "json"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  rapidjson::Document doc;
  REQUIRE_FALSE(doc.Parse(r.out.c_str()).HasParseError());
  CHECK(doc["basis"]["cohort_leads"].GetInt64() == 0);
  CHECK(doc["expected_customers"].IsNull());
  CHECK(doc["rates"]["lead_to_won"].IsNull());
}

TEST_CASE("forecast converts expected revenue into the reporting currency the config names",
          "[cli][forecast][currency]") {
  ForecastFixture f;
  // The fixture's deals are 1000 USD each; the spend is in the reporting currency.
  WriteFile(f.config_path, "store:\n  path: " + f.dir.File("store.db") +
                               "\naudit:\n  currency: {report_in: EUR, rates: {USD: 0.9}}\n");
  auto r = f.Cli({"--leads", "150", "--channel", "podcast", "--spend", "5000", "--format", "json"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  rapidjson::Document doc;
  REQUIRE_FALSE(doc.Parse(r.out.c_str()).HasParseError());
  CHECK(doc["expected_revenue"].GetDouble() == Approx(18750.0 * 0.9));
  CHECK(std::string(doc["currency"].GetString()) == "EUR");
  CHECK(doc["converted"].IsTrue());
  CHECK(doc["rates_used"]["USD"].GetDouble() == 0.9);
  CHECK(doc["expected_revenue_by_currency"]["USD"].GetDouble() == Approx(18750.0));
  CHECK(doc["return_on_spend"].GetDouble() == Approx(18750.0 * 0.9 / 5000));

  r = f.Cli({"--leads", "150", "--channel", "podcast", "--spend", "5000"});
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("16875.00 EUR") && Catch::Contains("5000.00 EUR") &&
                        Catch::Contains("converted to EUR"));
}

TEST_CASE("forecast rejects bad input with a one-line error naming the argument and exit 2",
          "[cli][forecast]") {
  ForecastFixture f;
  struct Case {
    std::vector<std::string> args;
    const char* names;
  };
  const Case cases[] = {
      {{}, "--leads"},
      {{"--leads", "0"}, "--leads"},
      {{"--leads", "-4"}, "--leads"},
      {{"--leads", "1.5"}, "--leads"},
      {{"--leads", "ten"}, "--leads"},
      {{"--leads", "100000001"}, "--leads"},
      {{"--leads", "10", "--spend", "-1"}, "--spend"},
      {{"--leads", "10", "--spend", "lots"}, "--spend"},
      {{"--leads", "10", "--spend", "2e15"}, "--spend"},
      {{"--leads", "10", "--from", "yesterday"}, "--from"},
      {{"--leads", "10", "--to", "2026-13-45"}, "--to"},
      {{"--leads", "10", "--format", "html"}, "--format"},
      {{"--leads", "10", "--channel", ""}, "--channel"},
      {{"--leads", "10", "--region", "eu"}, "--region"},
  };
  for (const Case& c : cases) {
    std::string joined;
    for (const auto& a : c.args) joined += a + " ";
    INFO(joined);
    auto r = f.Cli(c.args);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains(c.names));
    CHECK(r.err.find('\n') == r.err.size() - 1);
    CHECK(r.out.empty());
  }
}

}  // namespace
}  // namespace salesaudit::testing

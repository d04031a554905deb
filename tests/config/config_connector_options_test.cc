// Connector options in a config: rate limits, response size and page caps,
// the email windows, and the durations they are written in.
#include <catch2/catch.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "core/duration.h"
#include "tests/config/config_fixtures.h"

namespace salesaudit {
namespace {

using std::chrono::milliseconds;
using testing::Errors;
using testing::LoadOk;

TEST_CASE("rate limits parse as requests per duration, or off for unlimited") {
  struct Case {
    std::string text;
    int requests;
    milliseconds per;
  };
  const std::vector<Case> ok = {
      {"100/10s", 100, std::chrono::seconds(10)},
      {"5/s", 5, std::chrono::seconds(1)},
      {"600/1m", 600, std::chrono::minutes(1)},
      {"1/250ms", 1, milliseconds(250)},
      {"off", 0, milliseconds(0)},
      {"0", 0, milliseconds(0)},
  };
  for (const Case& c : ok) {
    INFO(c.text);
    const Config config =
        LoadOk("connectors: [{name: a, type: x, rate_limit: '" + c.text + "'}]\n");
    REQUIRE(config.connectors[0].rate_limit.has_value());
    CHECK(config.connectors[0].rate_limit->requests == c.requests);
    CHECK(config.connectors[0].rate_limit->per == c.per);
    CHECK(config.connectors[0].rate_limit->unlimited() == (c.requests == 0));
  }
  for (const std::string bad : {"100", "0/10s", "-1/s", "abc/10s", "100/0s", "100/10", "on"}) {
    INFO(bad);
    CHECK(Errors("connectors: [{name: a, type: x, rate_limit: '" + bad + "'}]\n") ==
          std::vector<std::string>{"t.yaml:1:45: connectors[0].rate_limit: invalid rate limit '" +
                                   bad + "' (use REQUESTS/DURATION like 100/10s, or off)"});
  }
}

TEST_CASE("rate_limit_reserve is a share of the vendor's limit from 0 to 0.5, 0.05 by default") {
  CHECK(LoadOk("connectors: [{name: a, type: x}]\n").connectors[0].rate_limit_reserve == 0.05);
  CHECK(LoadOk("connectors: [{name: a, type: x, rate_limit_reserve: 0}]\n")
            .connectors[0]
            .rate_limit_reserve == 0);
  CHECK(LoadOk("connectors: [{name: a, type: x, rate_limit_reserve: 0.25}]\n")
            .connectors[0]
            .rate_limit_reserve == 0.25);
  CHECK(Errors("connectors: [{name: a, type: x, rate_limit_reserve: 0.6}]\n") ==
        std::vector<std::string>{
            "t.yaml:1:53: connectors[0].rate_limit_reserve: must be at most "
            "0.5 (the share of a vendor's limit left to other apps), got '0.6'"});
  CHECK(Errors("connectors: [{name: a, type: x, rate_limit_reserve: 5%}]\n") ==
        std::vector<std::string>{
            "t.yaml:1:53: connectors[0].rate_limit_reserve: expected a number, got '5%'"});
}

TEST_CASE("max_response_size takes bytes or KiB, MiB, GiB and max_pages_per_run a count") {
  const Config defaults = LoadOk("connectors: [{name: a, type: x}]\n");
  CHECK(defaults.connectors[0].max_response_size == 16u * 1024 * 1024);
  CHECK(defaults.connectors[0].max_pages_per_run == 10000);
  const std::vector<std::pair<std::string, size_t>> ok = {
      {"65536", 65536}, {"1KiB", 1024}, {"16MiB", 16u << 20}, {"1GiB", 1u << 30}};
  for (const auto& [text, bytes] : ok) {
    INFO(text);
    const Config c = LoadOk("connectors: [{name: a, type: x, max_response_size: " + text + "}]\n");
    CHECK(c.connectors[0].max_response_size == bytes);
  }
  for (const std::string bad : {"16MB", "2GiB", "1000", "-1MiB", "MiB", "1.5MiB"}) {
    INFO(bad);
    CHECK(Errors("connectors: [{name: a, type: x, max_response_size: " + bad + "}]\n") ==
          std::vector<std::string>{"t.yaml:1:52: connectors[0].max_response_size: expected a "
                                   "size from 1KiB to 1GiB (e.g. 16MiB), got '" +
                                   bad + "'"});
  }
  CHECK(LoadOk("connectors: [{name: a, type: x, max_pages_per_run: 50}]\n")
            .connectors[0]
            .max_pages_per_run == 50);
  CHECK(
      Errors("connectors: [{name: a, type: x, max_pages_per_run: 0}]\n") ==
      std::vector<std::string>{"t.yaml:1:52: connectors[0].max_pages_per_run: must be at least 1"});
}

TEST_CASE("email_history must be positive and email_activity_window not negative") {
  CHECK(Errors("connectors: [{name: a, type: x, email_history: 0s}]\n") ==
        std::vector<std::string>{
            "t.yaml:1:48: connectors[0].email_history: must be longer than zero"});
  CHECK(Errors("connectors: [{name: a, type: x, email_activity_window: -1d}]\n").size() == 1);
}

TEST_CASE("durations parse integer counts of ms, s, m, h and d, also combined") {
  const std::vector<std::pair<std::string, std::optional<milliseconds>>> cases = {
      {"250ms", milliseconds(250)},
      {"30s", std::chrono::seconds(30)},
      {"5m", std::chrono::minutes(5)},
      {"1h", std::chrono::hours(1)},
      {"7d", std::chrono::hours(24 * 7)},
      {"0s", milliseconds(0)},
      {"1h30m", std::chrono::minutes(90)},
      {"1m30s500ms", milliseconds(90'500)},
      {"", std::nullopt},
      {"30", std::nullopt},
      {"s", std::nullopt},
      {"1.5h", std::nullopt},
      {"-5m", std::nullopt},
      {" 5m", std::nullopt},
      {"5m ", std::nullopt},
      {"5 m", std::nullopt},
      {"5M", std::nullopt},
      {"5w", std::nullopt},
      {"1h30", std::nullopt},
      {"99999999999999999999d", std::nullopt},
      {"9999999999999d", std::nullopt},
  };
  for (const auto& [text, expected] : cases) {
    INFO(text);
    CHECK(ParseDuration(text) == expected);
  }
}

TEST_CASE("stages map funnel stages to the CRM's status values, one value or a list") {
  const Config config = LoadOk(
      "connectors:\n"
      "  - name: sf\n"
      "    type: salesforce\n"
      "    stages:\n"
      "      mql: Open - Not Contacted\n"
      "      contacted: [Working - Contacted, Working - Nurturing]\n");
  const ConnectorConfig& sf = config.connectors[0];
  CHECK(sf.stages.at("mql") == std::vector<std::string>{"Open - Not Contacted"});
  CHECK(sf.stages.at("contacted") ==
        std::vector<std::string>{"Working - Contacted", "Working - Nurturing"});
  CHECK(sf.stages.count("sql") == 0);
  CHECK(sf.stages_pos.at("contacted").line == 6);
}

TEST_CASE("an unknown stage, an empty list and stages on a type without statuses are refused") {
  CHECK(Errors("connectors: [{name: sf, type: salesforce, stages: {won: [Closed Won]}}]\n") ==
        std::vector<std::string>{
            "t.yaml:1:52: unknown stage 'won' for salesforce connector 'sf' (valid stages: mql, "
            "contacted, sql)"});
  CHECK(Errors("connectors: [{name: sf, type: salesforce, stages: {sql: []}}]\n") ==
        std::vector<std::string>{
            "t.yaml:1:57: connectors[0].stages.sql: list at least one status value"});
  CHECK(Errors("connectors: [{name: h, type: hubspot, stages: {mql: [a]}}]\n") ==
        std::vector<std::string>{
            "t.yaml:1:48: unknown stage 'mql' for hubspot connector 'h' (valid stages: none)"});
  CHECK(Errors("connectors: [{name: sf, type: salesforce, stages: [mql]}]\n") ==
        std::vector<std::string>{"t.yaml:1:51: connectors[0].stages: expected a map of funnel "
                                 "stage -> source status values, got a list"});
}

TEST_CASE("a currency option takes an ISO 4217 code") {
  CHECK(LoadOk("connectors: [{name: sf, type: salesforce, currency: EUR}]\n")
            .connectors[0]
            .options.Text(OptionSpec{"currency", OptionType::kCurrencyCode, std::string(), ""}) ==
        "EUR");
  CHECK(Errors("connectors: [{name: sf, type: salesforce, currency: euro}]\n") ==
        std::vector<std::string>{
            "t.yaml:1:53: connectors[0].currency: expected a currency code of three upper-case "
            "letters (ISO 4217, e.g. EUR), got 'euro'"});
}

TEST_CASE("every connector's state directory is the store's") {
  const Config config = LoadOk(
      "store: {path: /var/lib/salesaudit/sales.db}\n"
      "connectors: [{name: a, type: x}, {name: b, type: x}]\n");
  CHECK(config.connectors[0].state_dir == "/var/lib/salesaudit");
  CHECK(config.connectors[1].state_dir == "/var/lib/salesaudit");
  CHECK(LoadOk("store: {path: sales.db}\nconnectors: [{name: a, type: x}]\n")
            .connectors[0]
            .state_dir == ".");
}

}  // namespace
}  // namespace salesaudit

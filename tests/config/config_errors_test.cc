// The config loader's errors: every kind of mistake reported at FILE:LINE:COL,
// all of them in document order, values out of range, unknown keys, and
// YAML nested too deep.
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "tests/config/config_fixtures.h"
#include "tests/support/scoped_env.h"

namespace salesaudit {
namespace {

namespace fs = std::filesystem;
using testing::ConfigDir;
using testing::ConnectorTypes;
using testing::Errors;
using testing::ScopedEnv;

TEST_CASE("each kind of mistake is reported as FILE:LINE:COL with a precise message") {
  ScopedEnv unset("SA_TEST_UNSET_VAR", std::nullopt);
  struct Case {
    const char* what;
    std::string yaml;
    std::vector<std::string> errors;
  };
  const std::vector<Case> cases = {
      {"unknown key with a suggestion",
       "connectors:\n  - name: hs\n    type: hubspot\n    poll_intervall: 5m\n",
       {"t.yaml:4:5: unknown key 'poll_intervall' in connectors[0]; did you mean "
        "'poll_interval'?"}},
      {"a portal_id that is not an account id",
       "connectors:\n  - name: hs\n    type: hubspot\n    portal_id: 12/../evil\n",
       {"t.yaml:4:16: connectors[0].portal_id: expected the account id, digits only (e.g. "
        "2412345), got '12/../evil'"}},
      {"unknown key without a close match",
       "connectors:\n  - name: hs\n    type: hubspot\n    colour: red\n",
       {"t.yaml:4:5: unknown key 'colour' in connectors[0]"}},
      {"unknown top-level key",
       "stor:\n  path: x.db\n",
       {"t.yaml:1:1: unknown top-level key 'stor'; did you mean 'store'?"}},
      {"transposed letters in an auth key",
       "connectors:\n  - name: hs\n    type: hubspot\n    auth: {tokne: x}\n",
       {"t.yaml:4:12: unknown key 'tokne' in connectors[0].auth; did you mean 'token'?"}},
      {"bad duration",
       "audit:\n  every: 5x\n",
       {"t.yaml:2:10: audit.every: invalid duration '5x' (use e.g. 250ms, 30s, 5m, 1h, 7d)"}},
      {"zero where a positive duration is needed",
       "audit:\n  every: 0s\n",
       {"t.yaml:2:10: audit.every: must be longer than zero"}},
      {"a list where a number is expected",
       "team:\n  reps: [1, 2]\n",
       {"t.yaml:2:9: team.reps: expected a whole number, got a list"}},
      {"a word where a number is expected",
       "team:\n  reps: four\n",
       {"t.yaml:2:9: team.reps: expected a whole number, got 'four'"}},
      {"a map where a string is expected",
       "store:\n  path: {a: b}\n",
       {"t.yaml:2:9: store.path: expected a string, got a map"}},
      {"a section that is not a map",
       "team: 4\n",
       {"t.yaml:1:7: team: expected a map, got a single value"}},
      {"zero reps", "team:\n  reps: 0\n", {"t.yaml:2:9: team.reps: must be at least 1"}},
      {"unset environment variable",
       "store:\n  path: ${SA_TEST_UNSET_VAR}/db\n",
       {"t.yaml:2:9: store.path: environment variable 'SA_TEST_UNSET_VAR' is not set"}},
      {"missing secret file",
       "connectors:\n  - name: hs\n    type: hubspot\n    auth:\n      token_file: missing.token\n",
       {"t.yaml:5:19: connectors[0].auth.token_file: cannot read 'missing.token': No such file "
        "or directory"}},
      {"both a secret and its file",
       "connectors:\n  - name: hs\n    type: hubspot\n    auth:\n      token: abc\n"
       "      token_file: /run/t\n",
       {"t.yaml:6:7: connectors[0].auth: set either 'token' or 'token_file', not both"}},
      {"bad month",
       "spend:\n  - {channel: podcast, month: 2026-13, amount: 5}\n",
       {"t.yaml:2:31: spend[0].month: expected a month as YYYY-MM, got '2026-13'"}},
      {"negative spend",
       "spend:\n  - {channel: podcast, month: 2026-01, amount: -5}\n",
       {"t.yaml:2:48: spend[0].amount: must not be negative"}},
      {"missing spend amount",
       "spend:\n  - {channel: podcast, month: 2026-01}\n",
       {"t.yaml:2:5: spend[0]: missing 'amount'"}},
      {"unknown route receiver",
       "alerts:\n  receivers:\n    - {name: ops-hook, type: webhook, url: https://h.example}\n"
       "  route:\n    receivers: [ops-hok]\n",
       {"t.yaml:5:17: alerts.route.receivers[0]: unknown receiver 'ops-hok' (alerts.receivers: "
        "ops-hook); did you mean 'ops-hook'?"}},
      {"a route receiver with none declared",
       "alerts:\n  route:\n    receivers: [ops-hook]\n",
       {"t.yaml:3:17: alerts.route.receivers[0]: unknown receiver 'ops-hook' (alerts.receivers "
        "declares none)"}},
      {"syntax error",
       "store:\n  path: [a, b\nteam: {}\n",
       {"t.yaml:3:5: invalid YAML: end of sequence flow not found"}},
      {"missing connector name and type",
       "connectors:\n  - base_url: https://x.example\n",
       {"t.yaml:2:5: connectors[0]: missing 'name'", "t.yaml:2:5: connectors[0]: missing 'type'"}},
      {"connectors without names do not clash with each other",
       "connectors:\n  - {type: x}\n  - {type: x}\n",
       {"t.yaml:2:5: connectors[0]: missing 'name'", "t.yaml:3:5: connectors[1]: missing 'name'"}},
      {"empty inline secret",
       "connectors: [{name: a, type: x, auth: {token: ''}}]\n",
       {"t.yaml:1:47: connectors[0].auth.token: must not be empty"}},
      {"duplicate connector name",
       "connectors:\n  - {name: a, type: hubspot}\n  - {name: a, type: hubspot}\n",
       {"t.yaml:3:5: connectors[1]: duplicate connector name 'a' (first at line 2)"}},
      {"invalid connector name",
       "connectors:\n  - {name: 'a b', type: hubspot}\n",
       {"t.yaml:2:12: connectors[0].name: invalid name 'a b' (use letters, digits, '_', '.', "
        "'-')"}},
      {"base_url without a scheme",
       "connectors:\n  - {name: a, type: x, base_url: api.x.com}\n",
       {"t.yaml:2:34: connectors[0].base_url: expected a URL starting with http:// or https://, "
        "got 'api.x.com'"}},
      {"base_url without a host",
       "connectors:\n  - {name: a, type: x, base_url: 'https://'}\n",
       {"t.yaml:2:34: connectors[0].base_url: expected a URL starting with http:// or https://, "
        "got 'https://'"}},
      {"duplicate key",
       "store:\n  path: a\n  path: b\n",
       {"t.yaml:3:3: duplicate key 'path' in store (first at line 2)"}},
      {"bad log level",
       "log: {level: verbose}\n",
       {"t.yaml:1:14: log.level: must be one of trace, debug, info, warn, error, got 'verbose'"}},
      {"external_url without a scheme",
       "status: {external_url: salesaudit.example.com}\n",
       {"t.yaml:1:24: status.external_url: expected a URL starting with http:// or https://, "
        "got 'salesaudit.example.com'"}},
      {"external_url on a loopback address",
       "status:\n  external_url: http://127.0.0.1:9464/\n",
       {"t.yaml:2:17: status.external_url: 127.0.0.1 opens only on this machine; give the "
        "address people open the dashboard at (e.g. https://salesaudit.example.com/)"}},
      {"external_url on localhost",
       "status: {external_url: 'http://LocalHost:8080'}\n",
       {"t.yaml:1:24: status.external_url: localhost opens only on this machine; give the "
        "address people open the dashboard at (e.g. https://salesaudit.example.com/)"}},
      {"external_url on the IPv6 any-address",
       "status: {external_url: 'http://[::]:9464'}\n",
       {"t.yaml:1:24: status.external_url: :: opens only on this machine; give the "
        "address people open the dashboard at (e.g. https://salesaudit.example.com/)"}},
      {"external_url without a host",
       "status: {external_url: 'https://user@/x'}\n",
       {"t.yaml:1:24: status.external_url: the URL names no host"}},
      {"bad listen address",
       "status: {listen: localhost}\n",
       {"t.yaml:1:18: status.listen: expected HOST:PORT like 127.0.0.1:9464, got 'localhost'"}},
      {"bad boolean",
       "alerts:\n  route: {send_resolved: maybe}\n",
       {"t.yaml:2:26: alerts.route.send_resolved: expected true or false, got 'maybe'"}},
      {"email receiver without its addresses",
       "alerts:\n  receivers:\n    - name: m\n      type: email\n      url: https://x.example\n",
       {"t.yaml:3:7: alerts.receivers[0]: missing 'smtp_url' (e.g. smtp://127.0.0.1:25)",
        "t.yaml:3:7: alerts.receivers[0]: missing 'from'",
        "t.yaml:3:7: alerts.receivers[0]: missing 'to' (a list of addresses)",
        "t.yaml:5:7: alerts.receivers[0]: 'url' does not apply to email receivers"}},
      {"an empty value where a string is expected",
       "store:\n  path:\nteam: {}\n",
       {"t.yaml:2:3: store.path: expected a string, got nothing"}},
      {"backoff cap below the first backoff",
       "connectors:\n  - {name: a, type: x, retry_backoff: 2m}\n",
       {"t.yaml:2:39: connectors[0]: retry_backoff_max must not be shorter than retry_backoff"}},
      {"empty list items",
       "spend:\n  -\n  - {channel: a, month: 2026-01, amount: 1}\nconnectors:\n  -\n",
       {"t.yaml:2:3: spend[0]: the list item is empty",
        "t.yaml:5:3: connectors[0]: the list item is empty"}},
      {"empty file", "", {"t.yaml: the config is empty"}},
      {"only comments", "# nothing yet\n", {"t.yaml: the config is empty"}},
      // yaml-cpp's LoadAll looped on it forever, allocating (fuzz_config).
      {"a leading flow entry", "# c\n, a\n", {"t.yaml: the config is empty"}},
      {"top level is a list",
       "- store\n",
       {"t.yaml:1:1: the top level must be a map of sections (store, connectors, ...), got a "
        "list"}},
      {"two documents",
       "store: {}\n---\nteam: {}\n",
       {"t.yaml:3:1: only one YAML document is allowed; remove the extra '---'"}},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    const ConfigLoadResult result = LoadConfigText(c.yaml, "t.yaml", ConnectorTypes());
    CHECK(result.errors == c.errors);
    CHECK_FALSE(result.config.has_value());
  }
}

TEST_CASE("all errors are collected in document order, not just the first") {
  const std::vector<std::string> errors = Errors(
      "log: {level: loud}\n"
      "audit: {every: soon, period: year}\n"
      "connectors:\n"
      "  - {name: a, type: x, polling: 5m}\n");
  CHECK(errors == std::vector<std::string>{
                      "t.yaml:1:14: log.level: must be one of trace, debug, info, warn, error, "
                      "got 'loud'",
                      "t.yaml:2:16: audit.every: invalid duration 'soon' (use e.g. 250ms, 30s, "
                      "5m, 1h, 7d)",
                      "t.yaml:2:30: audit.period: must be one of week, month, got 'year'",
                      "t.yaml:4:24: unknown key 'polling' in connectors[0]",
                  });
}

TEST_CASE("the value of an unknown key is never echoed, only the key") {
  const auto errors = Errors(
      "connectors:\n"
      "  - name: crm\n"
      "    type: hubspot\n"
      "    tokne: pat-na1-secretvalue\n"
      "    auth: {tokn: pat-na1-othersecret}\n");
  CHECK(errors == std::vector<std::string>{
                      "t.yaml:4:5: unknown key 'tokne' in connectors[0]",
                      "t.yaml:5:12: unknown key 'tokn' in connectors[0].auth; did you mean "
                      "'token'?"});
}

TEST_CASE("numbers outside sane ranges are refused with FILE:LINE:COL") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"team: {leads_per_rep_per_week: 1e308}\n",
       "t.yaml:1:32: team.leads_per_rep_per_week: must be at most 10000 (leads one rep can work in "
       "a week), got '1e308'"},
      {"team: {reps: 1000000}\n", "t.yaml:1:14: team.reps: must be at most 100000, got '1000000'"},
      {"audit: {return_on_spend_target: 1e308}\n",
       "t.yaml:1:33: audit.return_on_spend_target: must be at most 1000 (revenue per unit of "
       "spend), got '1e308'"},
      {"audit: {revenue_target_per_period: 1.5e308}\n",
       "t.yaml:1:36: audit.revenue_target_per_period: must be at most 1e+15 (money), got "
       "'1.5e308'"},
      {"spend:\n  - {channel: PR, month: 2026-01, amount: 1e308}\n",
       "t.yaml:2:43: spend[0].amount: must be at most 1e+15 (money), got '1e308'"},
      {"audit: {stale_deal_age: 106751991167d}\n",
       "t.yaml:1:25: audit.stale_deal_age: must be at most 36500d (100 years), got "
       "'106751991167d'"},
      {"audit: {open_rate_floor: 1e308}\n",
       "t.yaml:1:26: audit.open_rate_floor: must be at most 1 (a fraction: 0.2 for 20%), got "
       "'1e308'"},
      {"team: {leads_per_rep_per_week: 1e400}\n",
       "t.yaml:1:32: team.leads_per_rep_per_week: expected a number, got '1e400'"},
  };
  for (const auto& [yaml, error] : cases) {
    INFO(yaml);
    CHECK(Errors(yaml) == std::vector<std::string>{error});
  }
  ConfigDir dir;
  dir.Write("spend.csv", "channel,month,amount\nPR,2026-01,1e308\n");
  const fs::path config = dir.Write("config.yaml", "spend_file: spend.csv\n");
  CHECK(LoadConfigFile(config.string(), ConnectorTypes()).errors ==
        std::vector<std::string>{(dir.path() / "spend.csv").string() +
                                 ":2:12: expected an amount from 0 to 1e+15, got '1e308'"});
}

TEST_CASE("YAML nested deeper than yaml-cpp's limit gets a clear error at FILE:LINE:COL") {
  std::string block;
  for (int i = 0; i < 3000; ++i) block += std::string(i, ' ') + "k:\n";
  for (const std::string& yaml : {"x: " + std::string(100000, '['), block}) {
    const auto errors = Errors(yaml);
    REQUIRE(errors.size() == 1);
    INFO(errors[0]);
    CHECK_THAT(errors[0],
               Catch::Matches(R"(t\.yaml:\d+:\d+: the YAML nests deeper than \d+ levels )"
                              R"(here; a salesaudit config nests a few levels at most)"));
  }
}

}  // namespace
}  // namespace salesaudit

// What a reload logs: the changes between two loaded configs, section by
// section, secrets named but never shown, and the settings only a restart
// applies kept at their running values.
#include "config/config_changes.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/config/config_fixtures.h"

namespace salesaudit {
namespace {

using testing::ConnectorTypes;
using testing::LoadOk;
using Lines = std::vector<std::string>;

Lines Changes(const std::string& before, const std::string& after) {
  return DescribeConfigChanges(LoadOk(before), LoadOk(after), ConnectorTypes());
}

// No line may carry any of these.
void CheckNoneShown(const Lines& lines, const std::vector<std::string>& secrets) {
  for (const std::string& line : lines) {
    for (const std::string& secret : secrets) {
      INFO(line);
      CHECK(line.find(secret) == std::string::npos);
    }
  }
}

const std::string kHubspot =
    "connectors:\n"
    "  - name: hubspot\n"
    "    type: hubspot\n"
    "    auth: {token: old-token-value}\n"
    "    poll_interval: 15m\n"
    "    streams: [contacts, deals]\n";

TEST_CASE("the same config twice reads as no changes") {
  CHECK(Changes(kHubspot, kHubspot) == Lines{"no changes"});
}

TEST_CASE("a changed connector is one line naming each changed key, its token without a value") {
  const std::string after =
      "connectors:\n"
      "  - name: hubspot\n"
      "    type: hubspot\n"
      "    auth: {token: new-token-value}\n"
      "    poll_interval: 5m\n"
      "    streams: [contacts]\n"
      "    rate_limit: 100/10s\n"
      "    fields: {email: [work_email]}\n"
      "    lookback: 30m\n";
  const Lines lines = Changes(kHubspot, after);
  CHECK(lines == Lines{"connector hubspot: token changed, poll_interval 15m -> 5m, streams "
                       "[contacts,deals] -> [contacts], fields.email (default) -> [work_email], "
                       "rate_limit (default) -> 100/10s, lookback 10m -> 30m"});
  CheckNoneShown(lines, {"old-token-value", "new-token-value"});
}

TEST_CASE("an option given at its default value is no change") {
  CHECK(Changes(kHubspot, kHubspot + "    lookback: 10m\n") == Lines{"no changes"});
}

TEST_CASE("connectors added and removed are named with their type") {
  const std::string after =
      "connectors:\n"
      "  - name: pd\n"
      "    type: pipedrive\n"
      "    auth: {api_token: pd-secret}\n";
  const Lines lines = Changes(kHubspot, after);
  CHECK(lines == Lines{"connector hubspot removed", "connector pd added (pipedrive)"});
  CheckNoneShown(lines, {"old-token-value", "pd-secret"});
}

const std::string kReceivers =
    "alerts:\n"
    "  receivers:\n"
    "    - {name: hook, type: webhook, url: 'https://hooks.example/T1/old-path-token', secret: "
    "s1}\n"
    "    - name: mail\n"
    "      type: email\n"
    "      smtp_url: smtp://mail.example:587\n"
    "      from: a@example.com\n"
    "      to: [b@example.com]\n"
    "      username: bot\n"
    "      password: old-password\n"
    "  route:\n"
    "    receivers: [hook]\n";

TEST_CASE("receivers and the route: keys that changed, secrets and webhook URLs without values") {
  const std::string after =
      "alerts:\n"
      "  receivers:\n"
      "    - {name: hook, type: webhook, url: 'https://hooks.example/T1/new-path-token', "
      "secret: s2}\n"
      "    - name: mail\n"
      "      type: email\n"
      "      smtp_url: smtp://mail.example:465\n"
      "      from: a@example.com\n"
      "      to: [b@example.com, c@example.com]\n"
      "      username: bot\n"
      "      password: new-password\n"
      "    - {name: chat, type: webhook, url: 'https://chat.example/x'}\n"
      "  route:\n"
      "    receivers: [hook, mail]\n"
      "    repeat_interval: 1h\n";
  const Lines lines = Changes(kReceivers, after);
  CHECK(lines == Lines{"receiver hook: url changed, secret changed",
                       "receiver mail: smtp_url smtp://mail.example:587 -> "
                       "smtp://mail.example:465, to [b@example.com] -> "
                       "[b@example.com,c@example.com], password changed",
                       "receiver chat added (webhook)",
                       "route: receivers [hook] -> [hook,mail], repeat_interval 4h -> 1h"});
  CheckNoneShown(lines, {"old-path-token", "new-path-token", "old-password", "new-password"});
}

TEST_CASE("alert rules added, removed and changed, and the alerts settings") {
  const std::string before =
      "alerts:\n"
      "  rules:\n"
      "    - {name: shortfall, when: capacity.shortfall_per_period > 0}\n"
      "    - {name: stale, connector_stale: 2h}\n";
  const std::string after =
      "alerts:\n"
      "  evaluate_every: 30s\n"
      "  rules:\n"
      "    - {name: shortfall, when: capacity.shortfall_per_period > 5, for: 10m, "
      "severity: critical}\n"
      "    - {name: failing, connector_failing: 3}\n";
  CHECK(Changes(before, after) ==
        Lines{"alert rule stale removed",
              "alert rule shortfall: condition capacity.shortfall_per_period > 0 -> "
              "capacity.shortfall_per_period > 5, for 0s -> 10m, severity (none) -> critical",
              "alert rule failing added (connector_failing 3)",
              "alerts: evaluate_every 1m -> 30s"});
}

TEST_CASE("audit, team, spend, status and log changes are a line each") {
  const std::string after =
      "audit:\n"
      "  every: 30m\n"
      "  period: month\n"
      "team:\n"
      "  reps: 4\n"
      "spend:\n"
      "  - {channel: ads, month: 2026-01, amount: 100}\n"
      "status:\n"
      "  external_url: https://salesaudit.example.com/\n"
      "log:\n"
      "  level: debug\n"
      "  format: json\n";
  CHECK(Changes("log: {level: info}\n", after) ==
        Lines{"audit: every 1h -> 30m, period week -> month", "team: reps (default) -> 4",
              "spend: 0 entries -> 1",
              "status: external_url (none) -> https://salesaudit.example.com/",
              "log: level info -> debug, format text -> json"});
}

TEST_CASE("settings read only at start keep their running values, with a warning each") {
  Config running = LoadOk("store: {path: /var/lib/a/s.db}\n" + kHubspot +
                          "status:\n  listen: 127.0.0.1:9464\n  token: old-status-token\n");
  Config next = LoadOk("store: {path: /srv/b/s.db}\n" + kHubspot +
                       "status:\n  listen: 0.0.0.0:9000\n  token: new-status-token\n  "
                       "dashboard_refresh: 1m\n  external_url: https://sa.example.com/\n");
  const Lines warnings = KeepStartOnlySettings(running, &next);
  const std::string kept = "; it takes effect after a restart, the running value is kept";
  CHECK(warnings == Lines{"store.path changed (/var/lib/a/s.db -> /srv/b/s.db)" + kept,
                          "status.listen changed (127.0.0.1:9464 -> 0.0.0.0:9000)" + kept,
                          "status.token changed" + kept,
                          "status.dashboard_refresh changed (30s -> 1m)" + kept});
  CheckNoneShown(warnings, {"old-status-token", "new-status-token"});
  CHECK(next.store.path == "/var/lib/a/s.db");
  CHECK(next.connectors[0].state_dir == "/var/lib/a");
  CHECK(next.status.listen == "127.0.0.1:9464");
  CHECK(next.status.token == "old-status-token");
  // The dashboard link in notifications is read at each alert round.
  CHECK(next.status.external_url == "https://sa.example.com/");
  CHECK(DescribeConfigChanges(running, next, ConnectorTypes()) ==
        Lines{"status: external_url (none) -> https://sa.example.com/"});
}

}  // namespace
}  // namespace salesaudit

#include "config/config.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "connectors/connector.h"
#include "connectors/hubspot/hubspot_connector.h"
#include "connectors/shared_options.h"
#include "core/duration.h"
#include "tests/support/scoped_env.h"

namespace salesaudit {
namespace {

using std::chrono::milliseconds;
namespace fs = std::filesystem;
using testing::ScopedEnv;

// A fresh directory under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "config_test.XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }
  fs::path Write(const std::string& name, const std::string& contents) const {
    const fs::path file = path_ / name;
    fs::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << contents;
    return file;
  }

 private:
  fs::path path_;
};

// The config example of docs/contracts.md "Config (YAML)": the yaml block
// under that heading, read from the doc so that the doc and this test cannot
// drift.
std::string ContractsConfigExample() {
  std::ifstream in(std::string(SALESAUDIT_SOURCE_DIR) + "/docs/contracts.md", std::ios::binary);
  const std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string fence = "```yaml\n";
  const size_t section = doc.find("\n## Config (YAML)\n");
  REQUIRE(section != std::string::npos);
  const size_t start = doc.find(fence, section);
  REQUIRE(start < doc.find("\n## ", section + 1));
  const size_t end = doc.find("\n```", start + fence.size());
  REQUIRE(end != std::string::npos);
  return doc.substr(start + fence.size(), end + 1 - (start + fence.size()));
}

// The loader's shape checks are tested on connector types that add nothing
// of their own: the compiled-in ones without required auth (most cases leave
// auth out), and a type `x` that takes every type's keys. The checks a type
// adds are tested with the real types, under "Connector entries are checked
// against their type".
const ConnectorSchemas& ConnectorTypes() {
  static const std::vector<ConnectorSchema> owned = [] {
    std::vector<ConnectorSchema> types;
    ConnectorSchema any;
    any.type = "x";
    for (const ConnectorSchema* type : BuiltinConnectors().Schemas()) {
      ConnectorSchema lenient = *type;
      lenient.auth_required.clear();
      types.push_back(lenient);
      for (const StreamSpec& stream : type->streams) any.streams.push_back(stream);
      for (const std::string& key : type->auth_keys) {
        if (std::find(any.auth_keys.begin(), any.auth_keys.end(), key) == any.auth_keys.end()) {
          any.auth_keys.push_back(key);
        }
      }
      for (const std::string& key : type->field_keys) any.field_keys.push_back(key);
      for (const OptionSpec& option : type->options) {
        if (std::none_of(any.options.begin(), any.options.end(),
                         [&](const OptionSpec& o) { return o.name == option.name; })) {
          any.options.push_back(option);
        }
      }
    }
    // Credentials of the kinds other vendors use, so that cases can show
    // how every secret is read and kept out of messages.
    for (const char* key : {"api_token", "password"}) any.auth_keys.push_back(key);
    types.push_back(any);
    return types;
  }();
  static const ConnectorSchemas types = [] {
    ConnectorSchemas pointers;
    for (const ConnectorSchema& type : owned) pointers.push_back(&type);
    return pointers;
  }();
  return types;
}

std::vector<std::string> Errors(const std::string& yaml) {
  return LoadConfigText(yaml, "t.yaml", ConnectorTypes()).errors;
}

Config LoadOk(const std::string& yaml, const std::string& file_name = "t.yaml") {
  ConfigLoadResult result = LoadConfigText(yaml, file_name, ConnectorTypes());
  INFO(yaml);
  CHECK(result.errors == std::vector<std::string>{});
  REQUIRE(result.config.has_value());
  return *result.config;
}

TEST_CASE("the docs/contracts.md config example loads with every value mapped into the structs") {
  ScopedEnv hubspot("HUBSPOT_TOKEN", "pat-na1-secret");
  ScopedEnv mailchimp("MAILCHIMP_API_KEY", "abc123-us19");
  ScopedEnv webhook("WEBHOOK_SECRET", "hook-secret");
  const Config c = LoadOk(ContractsConfigExample(), "/etc/salesaudit/config.yaml");

  CHECK(c.path == "/etc/salesaudit/config.yaml");
  CHECK(c.store.path == "/var/lib/salesaudit/salesaudit.db");
  REQUIRE(c.connectors.size() == 2);
  const ConnectorConfig& hs = c.connectors[0];
  CHECK(hs.name == "hubspot");
  CHECK(hs.type == "hubspot");
  CHECK(hs.pos.ToString() == "/etc/salesaudit/config.yaml:4:5");
  CHECK(hs.type_pos.ToString() == "/etc/salesaudit/config.yaml:5:11");
  CHECK(hs.base_url == "https://api.hubapi.com");
  CHECK(hs.auth == std::map<std::string, std::string>{{"token", "pat-na1-secret"}});
  CHECK(hs.auth_pos.at("token").ToString() == "/etc/salesaudit/config.yaml:8:7");
  CHECK(hs.poll_interval == std::chrono::minutes(10));
  CHECK(hs.streams == std::vector<std::string>{"contacts", "deals", "owners"});
  CHECK(hs.streams_pos.ToString() == "/etc/salesaudit/config.yaml:10:14");
  CHECK(hs.fields ==
        std::map<std::string, std::vector<std::string>>{
            {"contacted_at", {"hs_sa_first_engagement_date", "notes_last_contacted"}}});
  CHECK(hs.fields_pos.at("contacted_at").ToString() == "/etc/salesaudit/config.yaml:12:7");
  CHECK_FALSE(hs.rate_limit.has_value());
  CHECK(hs.max_retries == 8);
  CHECK(hs.options.Duration(kLookbackOption) == std::chrono::minutes(10));
  CHECK(hs.options.Duration(kHubSpotDeletionScanEveryOption) == std::chrono::hours(1));
  CHECK(hs.options.Duration(kEmailHistoryOption) == std::chrono::hours(24 * 365));
  CHECK(hs.options.Duration(kEmailActivityWindowOption) == std::chrono::hours(24 * 30));

  const ConnectorConfig& mc = c.connectors[1];
  CHECK(mc.name == "mailchimp");
  CHECK(mc.type == "mailchimp");
  CHECK(mc.base_url.empty());
  CHECK(mc.auth == std::map<std::string, std::string>{{"api_key", "abc123-us19"}});
  CHECK(mc.poll_interval == std::chrono::minutes(10));
  CHECK(mc.streams == std::vector<std::string>{"campaigns", "email_activity", "members"});

  CHECK(c.team.reps == 4);
  CHECK(c.team.leads_per_rep_per_week == 25);
  CHECK(c.audit.every == std::chrono::hours(1));
  CHECK(c.audit.period == "week");
  REQUIRE(c.spend.size() == 1);
  CHECK(c.spend[0].channel == "podcast");
  CHECK(c.spend[0].month == "2026-10");
  CHECK(c.spend[0].amount == 5000);

  REQUIRE(c.alerts.rules.size() == 1);
  const AlertRuleConfig& rule = c.alerts.rules[0];
  CHECK(rule.name == "lead-shortfall");
  CHECK(rule.when == "capacity.shortfall_per_period > 0");
  CHECK(rule.for_duration == std::chrono::hours(1));
  CHECK(rule.severity == "warning");
  CHECK(rule.labels == std::map<std::string, std::string>{{"team", "sales"}});
  CHECK(rule.summary == "Lead shortfall: {{ value }} leads per period below team capacity");
  CHECK(rule.pos.line == 28);

  REQUIRE(c.alerts.receivers.size() == 2);
  const ReceiverConfig& mail = c.alerts.receivers[0];
  CHECK(mail.name == "ops-mail");
  CHECK(mail.type == "email");
  CHECK(mail.smtp_url == "smtp://127.0.0.1:25");
  CHECK(mail.from == "salesaudit@example.com");
  CHECK(mail.to == std::vector<std::string>{"ops@example.com"});
  const ReceiverConfig& hook = c.alerts.receivers[1];
  CHECK(hook.name == "ops-hook");
  CHECK(hook.type == "webhook");
  CHECK(hook.url == "https://hooks.example.com/salesaudit");
  CHECK(hook.secret == "hook-secret");
  CHECK(c.alerts.route.receivers == std::vector<std::string>{"ops-mail", "ops-hook"});
  CHECK(c.alerts.route.repeat_interval == std::chrono::hours(4));
  CHECK(c.alerts.route.send_resolved);
  CHECK(c.status.listen == "127.0.0.1:9464");
  CHECK(c.status.external_url == "https://salesaudit.example.com/sales/");
  CHECK(c.log.level == "info");
  CHECK(c.log.format == "text");

  std::vector<std::string> secrets = c.secrets;
  std::sort(secrets.begin(), secrets.end());
  CHECK(secrets == std::vector<std::string>{"abc123-us19", "hook-secret", "pat-na1-secret"});
  CHECK(c.hash.size() == 64);
}

TEST_CASE("the optional keys beyond the example are accepted and mapped") {
  TempDir dir;
  dir.Write("smtp.pass", "mail-pass\n");
  const Config c = LoadOk(R"(connectors:
  - name: crm.eu-1
    type: hubspot
    base_url: http://127.0.0.1:8080/
    portal_id: 2412345
    auth:
      client_id: id
      client_secret: cs
      refresh_token: rt
    fields:
      contacted_at: notes_last_contacted
    rate_limit: 100/10s
    max_retries: 0
    retry_backoff: 250ms
    retry_backoff_max: 1m
    request_timeout: 30s
    lookback: 0s
    deletion_scan_every: 15m
    email_history: 90d
    email_activity_window: 0s
team: {reps: ~, leads_per_rep_per_week: 12.5}
audit: {every: 1h30m, period: month}
alerts:
  rules:
    - name: r1
      when: x > 1
      keep_firing_for: 15m
      description: longer text
  receivers:
    - name: m
      type: email
      smtp_url: smtps://mail.example.com:465
      from: a@example.com
      to: [b@example.com, c@example.com]
      username: bot
      password_file: smtp.pass
    - name: h
      type: webhook
      url: https://h.example.com
      format: slack
  route:
    receivers: [h]
    send_resolved: false
    group_by: [severity, team]
log: {level: debug, format: json}
)",
                          (dir.path() / "config.yaml").string());
  REQUIRE(c.connectors.size() == 1);
  const ConnectorConfig& k = c.connectors[0];
  CHECK(k.name == "crm.eu-1");
  CHECK(k.base_url == "http://127.0.0.1:8080");
  CHECK(k.options.Text(kHubSpotPortalIdOption) == "2412345");
  CHECK(k.auth.size() == 3);
  CHECK(k.auth.at("refresh_token") == "rt");
  CHECK(k.fields.at("contacted_at") == std::vector<std::string>{"notes_last_contacted"});
  REQUIRE(k.rate_limit.has_value());
  CHECK(k.rate_limit->requests == 100);
  CHECK(k.rate_limit->per == std::chrono::seconds(10));
  CHECK(k.max_retries == 0);
  CHECK(k.retry_backoff == milliseconds(250));
  CHECK(k.retry_backoff_max == std::chrono::minutes(1));
  CHECK(k.request_timeout == std::chrono::seconds(30));
  CHECK(k.options.Duration(kLookbackOption) == milliseconds(0));
  CHECK(k.options.Duration(kHubSpotDeletionScanEveryOption) == std::chrono::minutes(15));
  CHECK(k.options.Duration(kEmailHistoryOption) == std::chrono::hours(24 * 90));
  CHECK(k.options.Duration(kEmailActivityWindowOption) == milliseconds(0));
  CHECK(k.streams.empty());
  CHECK_FALSE(c.team.reps.has_value());
  CHECK(c.team.leads_per_rep_per_week == 12.5);
  CHECK(c.audit.every == std::chrono::minutes(90));
  CHECK(c.audit.period == "month");
  CHECK(c.alerts.rules[0].keep_firing_for == std::chrono::minutes(15));
  CHECK(c.alerts.rules[0].description == "longer text");
  CHECK(c.alerts.rules[0].for_duration == milliseconds(0));
  CHECK(c.alerts.receivers[0].smtp_url == "smtps://mail.example.com:465");
  CHECK(c.alerts.receivers[0].to == std::vector<std::string>{"b@example.com", "c@example.com"});
  CHECK(c.alerts.receivers[0].username == "bot");
  CHECK(c.alerts.receivers[0].password == "mail-pass");
  CHECK(c.alerts.receivers[1].format == "slack");
  CHECK(c.alerts.route.receivers == std::vector<std::string>{"h"});
  CHECK_FALSE(c.alerts.route.send_resolved);
  CHECK(c.alerts.route.group_by == std::vector<std::string>{"severity", "team"});
  CHECK(c.log.level == "debug");
  CHECK(c.log.format == "json");
  CHECK(c.store.path == "/var/lib/salesaudit/salesaudit.db");
}

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
       {"t.yaml:5:17: alerts.route.receivers[0]: unknown receiver 'ops-hok'; did you mean "
        "'ops-hook'?"}},
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

TEST_CASE("alert rules watch a condition or a built-in check, with the value's position") {
  const Config c = LoadOk(R"(alerts:
  rules:
    - name: shortfall
      when: capacity.shortfall_per_period > 0
    - name: crm-stale
      connector_stale: 2h
      for: 10m
      severity: critical
      labels: {team: ops}
      summary: "{{ labels.connector }} has not synced for {{ value }}s"
    - name: crm-failing
      connector_failing: 3
      description: three runs in a row
    - {name: snapshot-old, snapshot_stale: 3h, keep_firing_for: 5m, labels: {connector: any}}
)");
  REQUIRE(c.alerts.rules.size() == 4);
  const AlertRuleConfig& when = c.alerts.rules[0];
  CHECK(when.kind == AlertRuleKind::kCondition);
  CHECK(when.when == "capacity.shortfall_per_period > 0");
  CHECK(when.pos.ToString() == "t.yaml:3:7");
  CHECK(when.when_pos.ToString() == "t.yaml:4:13");

  const AlertRuleConfig& stale = c.alerts.rules[1];
  CHECK(stale.kind == AlertRuleKind::kConnectorStale);
  CHECK(stale.when.empty());
  CHECK(stale.stale_after == std::chrono::hours(2));
  CHECK(stale.when_pos.ToString() == "t.yaml:6:24");
  CHECK(stale.for_duration == std::chrono::minutes(10));
  CHECK(stale.severity == "critical");
  CHECK(stale.labels == std::map<std::string, std::string>{{"team", "ops"}});
  CHECK(stale.summary == "{{ labels.connector }} has not synced for {{ value }}s");

  const AlertRuleConfig& failing = c.alerts.rules[2];
  CHECK(failing.kind == AlertRuleKind::kConnectorFailing);
  CHECK(failing.failing_runs == 3);
  CHECK(failing.when_pos.ToString() == "t.yaml:12:26");
  CHECK(failing.description == "three runs in a row");

  // Only per-connector checks reserve the `connector` label.
  const AlertRuleConfig& snapshot = c.alerts.rules[3];
  CHECK(snapshot.kind == AlertRuleKind::kSnapshotStale);
  CHECK(snapshot.stale_after == std::chrono::hours(3));
  CHECK(snapshot.keep_firing_for == std::chrono::minutes(5));
  CHECK(snapshot.labels.at("connector") == "any");
  CHECK(snapshot.when_pos.ToString() == "t.yaml:14:44");
}

TEST_CASE("receivers' send_resolved, evaluate_every and delivery load, with defaults") {
  const Config c = LoadOk(R"(alerts:
  evaluate_every: 1s
  delivery:
    retry_backoff: 10s
    retry_backoff_max: 5m
    max_age: 12h
    timeout: 15s
  receivers:
    - {name: hook, type: webhook, url: "https://h.example", send_resolved: false}
    - name: mail
      type: email
      smtp_url: smtp://127.0.0.1:25
      from: a@example.com
      to: [b@example.com]
      send_resolved: true
    - {name: plain, type: webhook, url: "https://p.example"}
)");
  CHECK(c.alerts.evaluate_every == std::chrono::seconds(1));
  CHECK(c.alerts.delivery.retry_backoff == std::chrono::seconds(10));
  CHECK(c.alerts.delivery.retry_backoff_max == std::chrono::minutes(5));
  CHECK(c.alerts.delivery.max_age == std::chrono::hours(12));
  CHECK(c.alerts.delivery.timeout == std::chrono::seconds(15));
  REQUIRE(c.alerts.receivers.size() == 3);
  CHECK(c.alerts.receivers[0].send_resolved == std::optional<bool>(false));
  CHECK(c.alerts.receivers[1].send_resolved == std::optional<bool>(true));
  CHECK_FALSE(c.alerts.receivers[2].send_resolved.has_value());

  // Absent, each has its default; a partial delivery section keeps the rest.
  for (const std::string yaml :
       {"store: {path: x.db}\n", "alerts: {}\n", "alerts: {delivery: {timeout: 1m}}\n"}) {
    INFO(yaml);
    const Config d = LoadOk(yaml);
    CHECK(d.alerts.evaluate_every == std::chrono::minutes(1));
    CHECK(d.alerts.delivery.retry_backoff == std::chrono::seconds(5));
    CHECK(d.alerts.delivery.retry_backoff_max == std::chrono::minutes(10));
    CHECK(d.alerts.delivery.max_age == std::chrono::hours(24));
  }
  CHECK(LoadOk("alerts: {}\n").alerts.delivery.timeout == std::chrono::seconds(30));
  CHECK(LoadOk("alerts: {delivery: {timeout: 1m}}\n").alerts.delivery.timeout ==
        std::chrono::minutes(1));
  // A longer backoff with a longer cap is fine.
  CHECK(LoadOk("alerts: {delivery: {retry_backoff: 20m, retry_backoff_max: 1h}}\n")
            .alerts.delivery.retry_backoff == std::chrono::minutes(20));
}

TEST_CASE("mistakes in alert rules, receivers, evaluate_every and delivery name FILE:LINE:COL") {
  struct Case {
    const char* what;
    std::string yaml;
    std::vector<std::string> errors;
  };
  const std::string rule = "alerts:\n  rules:\n    - name: r\n";  // the item is at 3:7
  const std::vector<Case> cases = {
      {"neither a condition nor a built-in check",
       rule + "      for: 5m\n",
       {"t.yaml:3:7: alerts.rules[0]: give `when` (a condition on the snapshot, e.g. "
        "capacity.shortfall_per_period > 0) or a built-in check: connector_stale, "
        "connector_failing or snapshot_stale"}},
      {"a misspelt check",
       rule + "      connector_stail: 1h\n",
       {"t.yaml:3:7: alerts.rules[0]: give `when` (a condition on the snapshot, e.g. "
        "capacity.shortfall_per_period > 0) or a built-in check: connector_stale, "
        "connector_failing or snapshot_stale",
        "t.yaml:4:7: unknown key 'connector_stail' in alerts.rules[0]; did you mean "
        "'connector_stale'?"}},
      {"a condition and a check",
       rule + "      when: funnel.leads > 0\n      snapshot_stale: 1h\n",
       {"t.yaml:5:7: alerts.rules[0]: give either 'when' or 'snapshot_stale', not both; a rule "
        "watches one thing"}},
      {"the second as written is blamed",
       rule + "      snapshot_stale: 1h\n      when: funnel.leads > 0\n",
       {"t.yaml:5:7: alerts.rules[0]: give either 'snapshot_stale' or 'when', not both; a rule "
        "watches one thing"}},
      {"three checks",
       "alerts:\n  rules:\n    - {name: r, connector_failing: 2, connector_stale: 1h, "
       "snapshot_stale: 1h}\n",
       {"t.yaml:3:39: alerts.rules[0]: give either 'connector_failing' or 'connector_stale', not "
        "both; a rule watches one thing",
        "t.yaml:3:60: alerts.rules[0]: give either 'connector_failing' or 'snapshot_stale', not "
        "both; a rule watches one thing"}},
      {"an empty condition",
       rule + "      when: ''\n",
       {"t.yaml:4:13: alerts.rules[0].when: must not be empty"}},
      {"a zero staleness",
       rule + "      connector_stale: 0s\n",
       {"t.yaml:4:24: alerts.rules[0].connector_stale: must be longer than zero"}},
      {"a staleness that is not a duration",
       rule + "      snapshot_stale: soon\n",
       {"t.yaml:4:23: alerts.rules[0].snapshot_stale: invalid duration 'soon' (use e.g. 250ms, "
        "30s, 5m, 1h, 7d)"}},
      {"zero failing runs",
       rule + "      connector_failing: 0\n",
       {"t.yaml:4:26: alerts.rules[0].connector_failing: must be at least 1"}},
      {"failing runs in words",
       rule + "      connector_failing: three\n",
       {"t.yaml:4:26: alerts.rules[0].connector_failing: expected a whole number, got 'three'"}},
      {"alertname set by labels",
       rule + "      when: funnel.leads > 0\n      labels:\n        team: ops\n"
              "        alertname: other\n",
       {"t.yaml:7:9: alerts.rules[0].labels: 'alertname' cannot be set; it is the rule's name"}},
      {"connector set by labels on a per-connector check",
       rule + "      connector_failing: 2\n      labels: {connector: crm}\n",
       {"t.yaml:5:16: alerts.rules[0].labels: 'connector' cannot be set on a per-connector "
        "check; the check sets it to each connector's name"}},
      {"a receiver's send_resolved that is not a boolean",
       "alerts:\n  receivers:\n    - {name: h, type: webhook, url: 'https://h.example', "
       "send_resolved: sometimes}\n",
       {"t.yaml:3:73: alerts.receivers[0].send_resolved: expected true or false, got "
        "'sometimes'"}},
      {"evaluate_every below a second",
       "alerts:\n  evaluate_every: 500ms\n",
       {"t.yaml:2:19: alerts.evaluate_every: must be at least 1s"}},
      {"evaluate_every zero",
       "alerts:\n  evaluate_every: 0s\n",
       {"t.yaml:2:19: alerts.evaluate_every: must be at least 1s"}},
      {"evaluate_every not a duration",
       "alerts:\n  evaluate_every: often\n",
       {"t.yaml:2:19: alerts.evaluate_every: invalid duration 'often' (use e.g. 250ms, 30s, 5m, "
        "1h, 7d)"}},
      {"a misspelt alerts key",
       "alerts:\n  evaluate_evry: 1m\n",
       {"t.yaml:2:3: unknown key 'evaluate_evry' in alerts; did you mean 'evaluate_every'?"}},
      {"a misspelt delivery key",
       "alerts:\n  delivery:\n    max_agee: 1h\n",
       {"t.yaml:3:5: unknown key 'max_agee' in alerts.delivery; did you mean 'max_age'?"}},
      {"delivery is a map",
       "alerts:\n  delivery: 5m\n",
       {"t.yaml:2:13: alerts.delivery: expected a map, got a single value"}},
      {"a zero delivery duration",
       "alerts:\n  delivery:\n    timeout: 0s\n    max_age: 0s\n",
       {"t.yaml:3:14: alerts.delivery.timeout: must be longer than zero",
        "t.yaml:4:14: alerts.delivery.max_age: must be longer than zero"}},
      {"delivery backoff cap below the first backoff",
       "alerts:\n  delivery:\n    retry_backoff: 1m\n    retry_backoff_max: 30s\n",
       {"t.yaml:4:24: alerts.delivery: retry_backoff_max must not be shorter than "
        "retry_backoff"}},
      {"delivery backoff above the default cap",
       "alerts:\n  delivery:\n    retry_backoff: 20m\n",
       {"t.yaml:3:20: alerts.delivery: retry_backoff_max must not be shorter than "
        "retry_backoff"}},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    const ConfigLoadResult result = LoadConfigText(c.yaml, "t.yaml", ConnectorTypes());
    CHECK(result.errors == c.errors);
    CHECK_FALSE(result.config.has_value());
  }
}

TEST_CASE("environment variables expand in strings, with defaults and $$ escapes") {
  ScopedEnv set("SA_TEST_SET", "value");
  ScopedEnv empty("SA_TEST_EMPTY", "");
  ScopedEnv unset("SA_TEST_UNSET", std::nullopt);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"${SA_TEST_SET}", "value"},
      {"/data/${SA_TEST_SET}/db", "/data/value/db"},
      {"${SA_TEST_SET:-other}", "value"},
      {"${SA_TEST_UNSET:-fallback}", "fallback"},
      {"${SA_TEST_UNSET:-}", ""},
      {"${SA_TEST_EMPTY:-fallback}", "fallback"},
      {"${SA_TEST_EMPTY}", ""},
      {"cost$$5", "cost$5"},
      {"$${SA_TEST_SET}", "${SA_TEST_SET}"},
      {"a$5", "a$5"},
      {"a$ b", "a$ b"},
      {"end$", "end$"},
  };
  for (const auto& [raw, expanded] : cases) {
    INFO(raw);
    // Single quotes so that YAML passes the text through untouched.
    const Config c = LoadOk(
        "status: {listen: '127.0.0.1:1'}\nalerts:\n  rules:\n"
        "    - {name: r, when: x, summary: '" +
        raw + "'}\n");
    CHECK(c.alerts.rules[0].summary == expanded);
  }

  SECTION("numbers and durations are expanded before they are parsed") {
    ScopedEnv reps("SA_TEST_REPS", "7");
    const Config c =
        LoadOk("team: {reps: '${SA_TEST_REPS}'}\naudit: {every: '${SA_TEST_UNSET:-2h}'}\n");
    CHECK(c.team.reps == 7);
    CHECK(c.audit.every == std::chrono::hours(2));
  }
  SECTION("a malformed reference is an error that does not echo the text") {
    CHECK(Errors("store: {path: '${SA_TEST_SET'}\n") ==
          std::vector<std::string>{
              "t.yaml:1:15: store.path: unterminated '${' (write '$$' for a literal '$')"});
    CHECK(Errors("store: {path: '${not a name}'}\n") ==
          std::vector<std::string>{
              "t.yaml:1:15: store.path: invalid environment variable name in '${...}'"});
  }
}

TEST_CASE("secret files are read relative to the config file with the trailing newline cut") {
  TempDir dir;
  dir.Write("secrets/hubspot.token", "pat-from-file\n\n");
  dir.Write("creds/hook", "hook-from-credentials-dir\n");
  ScopedEnv creds("CREDENTIALS_DIRECTORY", (dir.path() / "creds").c_str());
  const fs::path config = dir.Write("config.yaml",
                                    "connectors:\n"
                                    "  - name: hs\n"
                                    "    type: hubspot\n"
                                    "    auth:\n"
                                    "      token_file: secrets/hubspot.token\n"
                                    "alerts:\n"
                                    "  receivers:\n"
                                    "    - name: h\n"
                                    "      type: webhook\n"
                                    "      url: https://h.example\n"
                                    "      secret_file: ${CREDENTIALS_DIRECTORY}/hook\n");
  const ConfigLoadResult result = LoadConfigFile(config.string(), ConnectorTypes());
  REQUIRE(result.errors == std::vector<std::string>{});
  const Config& c = *result.config;
  CHECK(c.path == config.string());
  CHECK(c.connectors[0].auth.at("token") == "pat-from-file");
  CHECK(c.connectors[0].auth_pos.at("token").ToString() == config.string() + ":5:7");
  CHECK(c.alerts.receivers[0].secret == "hook-from-credentials-dir");
  CHECK(c.secrets == std::vector<std::string>{"pat-from-file", "hook-from-credentials-dir"});

  SECTION("an empty secret file is an error naming the path") {
    dir.Write("secrets/hubspot.token", " \n");
    const ConfigLoadResult empty = LoadConfigFile(config.string(), ConnectorTypes());
    CHECK(empty.errors ==
          std::vector<std::string>{config.string() + ":5:19: connectors[0].auth.token_file: '" +
                                   (dir.path() / "secrets/hubspot.token").string() + "' is empty"});
  }
}

TEST_CASE("secrets are collected and never appear in any error message") {
  TempDir dir;
  dir.Write("pw", "file-password-123\n");
  ScopedEnv token("SA_TEST_TOKEN", "env-token-456");
  const std::vector<std::string> secrets = {"env-token-456", "inline-key-789", "file-password-123",
                                            "both-secret-000", "hook-secret-321"};
  const std::string yaml =
      "connectors:\n"
      "  - name: a\n"
      "    type: x\n"
      "    auth:\n"
      "      token: ${SA_TEST_TOKEN}\n"
      "      api_key: inline-key-789\n"
      "      password_file: pw\n"
      "      tokn: env-token-456\n"
      "  - name: b\n"
      "    type: x\n"
      "    auth:\n"
      "      client_secret: both-secret-000\n"
      "      client_secret_file: pw\n"
      "      refresh_token: [inline-key-789]\n"
      "      api_token: ${SA_TEST_UNSET_SECRET}\n"
      "alerts:\n"
      "  receivers:\n"
      "    - name: h\n"
      "      type: email\n"
      "      secret: hook-secret-321\n";
  ScopedEnv unset("SA_TEST_UNSET_SECRET", std::nullopt);
  const ConfigLoadResult result = LoadConfigText(yaml, (dir.path() / "c.yaml").string(), ConnectorTypes());
  CHECK(result.errors.size() >= 5);
  for (const std::string& error : result.errors) {
    for (const std::string& secret : secrets) {
      INFO(error);
      CHECK(error.find(secret) == std::string::npos);
    }
  }

  SECTION("a valid config lists each resolved secret once") {
    const Config c = LoadOk(
        "connectors:\n"
        "  - {name: a, type: x, auth: {token: '${SA_TEST_TOKEN}', password_file: pw}}\n"
        "  - {name: b, type: x, auth: {api_key: '${SA_TEST_TOKEN}'}}\n"
        "alerts:\n"
        "  receivers: [{name: h, type: webhook, url: 'http://h', secret: hook-secret-321}]\n",
        (dir.path() / "c.yaml").string());
    CHECK(c.secrets ==
          std::vector<std::string>{"env-token-456", "file-password-123", "hook-secret-321"});
  }
}

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

TEST_CASE("the hash is the SHA-256 of the file bytes and the path is recorded") {
  const Config c = LoadOk("log: {level: info}\n", "x.yaml");
  // printf 'log: {level: info}\n' | sha256sum
  CHECK(c.hash == "b6dc6131acf3371cabac46e5d1e31db37c0fbbea23e1461286a2f4a6c9389337");
  CHECK(c.path == "x.yaml");
}

TEST_CASE("a config file that cannot be read is reported with its path") {
  TempDir dir;
  const std::string missing = (dir.path() / "nope.yaml").string();
  const ConfigLoadResult result = LoadConfigFile(missing, ConnectorTypes());
  CHECK(result.errors ==
        std::vector<std::string>{missing + ": cannot read: No such file or directory"});
  CHECK_FALSE(result.config.has_value());
}

TEST_CASE("source positions print as FILE:LINE:COL, or FILE alone without a line") {
  CHECK(SourcePos{"a.yaml", 3, 7}.ToString() == "a.yaml:3:7");
  CHECK(SourcePos{"a.yaml", 0, 0}.ToString() == "a.yaml");
}

}  // namespace
}  // namespace salesaudit

namespace salesaudit {
namespace {

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
  TempDir dir;
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

  const fs::path missing = dir.Write("missing.yaml", "spend_file: nowhere.csv\n");
  auto errors = LoadConfigFile(missing.string(), ConnectorTypes()).errors;
  REQUIRE(errors.size() == 1);
  CHECK_THAT(errors[0], Catch::Contains("missing.yaml:1:13:") && Catch::Contains("nowhere.csv"));
}

TEST_CASE("a '$' before a name is refused with a hint instead of passing as literal text") {
  ScopedEnv set("SA_TEST_SET", "value");
  for (const char* raw : {"$SA_TEST_SET", "pa$sword", "/data/$_x"}) {
    INFO(raw);
    CHECK(Errors("store: {path: '" + std::string(raw) + "'}\n") ==
          std::vector<std::string>{
              "t.yaml:1:15: store.path: '$' before a name is not expanded: write '${NAME}' for an "
              "environment variable, or '$$' for a literal '$'"});
  }
}

TEST_CASE("nested defaults expand: ${A:-${B}} takes B when A is unset or empty") {
  ScopedEnv set("SA_TEST_SET", "value");
  ScopedEnv empty("SA_TEST_EMPTY", "");
  ScopedEnv unset("SA_TEST_UNSET", std::nullopt);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"${SA_TEST_UNSET:-${SA_TEST_SET}}", "value"},
      {"${SA_TEST_EMPTY:-${SA_TEST_UNSET:-deep}}", "deep"},
      {"x${SA_TEST_UNSET:-a${SA_TEST_SET}b}y", "xavalueby"},
      {"${SA_TEST_UNSET:-$${SA_TEST_SET}}", "${SA_TEST_SET}"},
      // A default that is not needed is not expanded, so its variable may be unset.
      {"${SA_TEST_SET:-${SA_TEST_UNSET}}", "value"},
  };
  for (const auto& [raw, expanded] : cases) {
    INFO(raw);
    const Config c = LoadOk("store: {path: '" + raw + "'}\n");
    CHECK(c.store.path == expanded);
  }
  SECTION("an unset variable in a needed default is named") {
    CHECK(Errors("store: {path: '${SA_TEST_UNSET:-${SA_TEST_UNSET}}'}\n") ==
          std::vector<std::string>{
              "t.yaml:1:15: store.path: environment variable 'SA_TEST_UNSET' is not set"});
  }
  SECTION("an unterminated nested reference is refused, not taken literally") {
    CHECK(Errors("store: {path: '${SA_TEST_UNSET:-${SA_TEST_SET}'}\n") ==
          std::vector<std::string>{
              "t.yaml:1:15: store.path: unterminated '${' (write '$$' for a literal '$')"});
  }
  SECTION("defaults nested deeper than 8 levels are refused") {
    std::string raw = "x";
    for (int i = 0; i < 9; ++i) raw = "${SA_TEST_UNSET:-" + raw + "}";
    CHECK(Errors("store: {path: '" + raw + "'}\n") ==
          std::vector<std::string>{
              "t.yaml:1:15: store.path: defaults in '${NAME:-...}' nest deeper than 8 levels"});
  }
}

TEST_CASE("an error quotes ${VAR} as written, never the value the variable holds") {
  ScopedEnv token("SA_TEST_SECRET", "pat-na1-0123456789abcdef");
  const std::string yaml =
      "connectors:\n"
      "  - name: crm\n"
      "    type: hubspot\n"
      "    base_url: '${SA_TEST_SECRET}'\n"
      "    poll_interval: '${SA_TEST_SECRET}'\n"
      "    rate_limit: '${SA_TEST_SECRET}'\n"
      "team: {reps: '${SA_TEST_SECRET}', leads_per_rep_per_week: '${SA_TEST_SECRET}'}\n"
      "audit: {period: '${SA_TEST_SECRET}', open_rate_floor: '${SA_TEST_SECRET}'}\n"
      "status: {listen: '${SA_TEST_SECRET}'}\n"
      "alerts:\n"
      "  receivers:\n"
      "    - {name: m, type: email, smtp_url: '${SA_TEST_SECRET}', from: a@b.c, to: [x@y.z],\n"
      "       send_resolved: '${SA_TEST_SECRET}'}\n"
      "  route: {receivers: ['${SA_TEST_SECRET}']}\n";
  const auto errors = Errors(yaml);
  CHECK(errors.size() == 11);
  for (const std::string& e : errors) {
    INFO(e);
    CHECK_THAT(e, Catch::Contains("'${SA_TEST_SECRET}'"));
    CHECK_THAT(e, !Catch::Contains("pat-na1"));
  }
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
  TempDir dir;
  dir.Write("spend.csv", "channel,month,amount\nPR,2026-01,1e308\n");
  const fs::path config = dir.Write("config.yaml", "spend_file: spend.csv\n");
  CHECK(LoadConfigFile(config.string(), ConnectorTypes()).errors ==
        std::vector<std::string>{(dir.path() / "spend.csv").string() +
                                 ":2:12: expected an amount from 0 to 1e+15, got '1e308'"});
}

TEST_CASE("a *_file that is a FIFO, a directory or a device is refused without blocking") {
  TempDir dir;
  REQUIRE(mkfifo((dir.path() / "token.fifo").c_str(), 0600) == 0);
  fs::create_directories(dir.path() / "a-directory");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"token.fifo", "a FIFO"},
      {"a-directory", "a directory"},
      {"/dev/zero", "a device"},
  };
  for (const auto& [file, kind] : cases) {
    INFO(file);
    const fs::path config = dir.Write("config.yaml",
                                      "connectors:\n  - name: crm\n    type: "
                                      "hubspot\n    auth: {token_file: " +
                                          file + "}\nspend_file: " + file + "\n");
    const std::string shown = file[0] == '/' ? file : (dir.path() / file).string();
    CHECK(LoadConfigFile(config.string(), ConnectorTypes()).errors ==
          std::vector<std::string>{config.string() +
                                       ":4:24: connectors[0].auth.token_file: cannot read '" +
                                       shown + "': it is " + kind + "; give a regular file",
                                   config.string() + ":5:13: spend_file: cannot read '" + shown +
                                       "': it is " + kind + "; give a regular file"});
  }
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

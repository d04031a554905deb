#include "config/config.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "connectors/hubspot/hubspot_connector.h"
#include "connectors/shared_options.h"
#include "tests/config/config_fixtures.h"
#include "tests/support/scoped_env.h"

namespace salesaudit {
namespace {

using std::chrono::milliseconds;
using testing::ConfigDir;
using testing::ConnectorTypes;
using testing::LoadOk;
using testing::ScopedEnv;

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
  ConfigDir dir;
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

TEST_CASE("the hash is the SHA-256 of the file bytes and the path is recorded") {
  const Config c = LoadOk("log: {level: info}\n", "x.yaml");
  // printf 'log: {level: info}\n' | sha256sum
  CHECK(c.hash == "b6dc6131acf3371cabac46e5d1e31db37c0fbbea23e1461286a2f4a6c9389337");
  CHECK(c.path == "x.yaml");
}

TEST_CASE("a config file that cannot be read is reported with its path") {
  ConfigDir dir;
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

// Alert rounds after snapshots: firing once, no repeat before
// repeat_interval, resolved once, silences, and the rendered payloads.
#include "alerts/round.h"

#include <rapidjson/document.h>

#include <catch2/catch.hpp>
#include <optional>
#include <string>

#include "tests/support/subprocess.h"

namespace salesaudit {
namespace {

constexpr int64_t kT0 = 1764201600000;
constexpr int64_t kMinute = 60000;

std::string Snapshot(double shortfall) {
  return R"({"capacity":{"shortfall_per_period":)" + std::to_string(shortfall) +
         R"(},"channels":[{"channel":"PAID_SOCIAL","return_on_spend":1.5}]})";
}

struct RoundFixture {
  RoundFixture() {
    auto opened = Store::Open(dir.File("s.db"));
    REQUIRE(opened.ok());
    store = std::move(opened).value();
    alerts.rules = {AlertRuleConfig{.name = "lead-shortfall",
                                    .when = "capacity.shortfall_per_period > 0",
                                    .severity = "warning",
                                    .labels = {{"team", "sales"}},
                                    .summary = "Lead shortfall: {{ value }} leads per period"}};
    alerts.receivers = {
        ReceiverConfig{.name = "hook", .type = "webhook", .url = "http://127.0.0.1:9/x"},
        ReceiverConfig{.name = "mail",
                       .type = "email",
                       .smtp_url = "smtp://127.0.0.1:9",
                       .from = "salesaudit@example.com",
                       .to = {"ops@example.com"}}};
    alerts.route.receivers = {"hook", "mail"};
    alerts.route.repeat_interval = std::chrono::hours(4);
    config.status.external_url = "https://salesaudit.example.com/";
  }

  AlertInputs Inputs(std::optional<double> shortfall, int64_t now) {
    auto inputs = ReadAlertInputs(*store, kT0);
    REQUIRE(inputs.ok());
    if (shortfall) {
      inputs->snapshot_json = Snapshot(*shortfall);
      inputs->snapshot_computed_at = now;
    }
    return *inputs;
  }

  AlertRoundResult Round(std::optional<double> shortfall, int64_t now) {
    auto r = RunAlertRound(*store, config, Inputs(shortfall, now), {}, now);
    INFO(r.status().ToString());
    REQUIRE(r.ok());
    return *r;
  }

  // The one alert of `rule` (and connector), as stored.
  AlertStateRow State(const std::string& rule, const std::string& instance = "") {
    auto states = store->AlertStates();
    REQUIRE(states.ok());
    for (const AlertStateRow& s : *states) {
      if (s.rule == rule && s.instance == instance) return s;
    }
    FAIL("no state for " << rule << "/" << instance);
    return {};
  }

  std::vector<OutboxRow> Outbox() {
    auto rows = store->RecentNotifications(100);
    REQUIRE(rows.ok());
    return std::vector<OutboxRow>(rows->rbegin(), rows->rend());  // oldest first
  }

  testing::TempDir dir;
  std::unique_ptr<Store> store;
  Config config;
  AlertsConfig& alerts = config.alerts;
};

// The payload of each notification as parsed Alertmanager JSON.
rapidjson::Document Body(const OutboxRow& row) {
  rapidjson::Document body;
  body.Parse(row.payload.c_str());
  REQUIRE_FALSE(body.HasParseError());
  return body;
}

TEST_CASE("A rule that fires queues one notification per receiver, rendered for each") {
  RoundFixture f;
  AlertRoundResult r = f.Round(12.5, kT0);
  CHECK(r.rules == 1);
  CHECK(r.firing() == 1);
  CHECK(r.active ==
        std::map<std::pair<std::string, std::string>, int>{{{"lead-shortfall", "firing"}, 1}});
  CHECK(r.queued == 2);
  const auto outbox = f.Outbox();
  REQUIRE(outbox.size() == 2);
  const OutboxRow& hook = outbox[0].receiver == "hook" ? outbox[0] : outbox[1];
  const OutboxRow& mail = outbox[0].receiver == "mail" ? outbox[0] : outbox[1];
  rapidjson::Document body;
  body.Parse(hook.payload.c_str());
  REQUIRE_FALSE(body.HasParseError());
  CHECK(std::string(body["version"].GetString()) == "4");
  CHECK(std::string(body["status"].GetString()) == "firing");
  const auto& alert = body["alerts"][0];
  CHECK(std::string(alert["labels"]["alertname"].GetString()) == "lead-shortfall");
  CHECK(std::string(alert["labels"]["severity"].GetString()) == "warning");
  CHECK(std::string(alert["labels"]["team"].GetString()) == "sales");
  CHECK(std::string(alert["annotations"]["summary"].GetString()) ==
        "Lead shortfall: 12.5 leads per period");
  CHECK(std::string(body["externalURL"].GetString()) == "https://salesaudit.example.com/");
  CHECK_THAT(mail.payload, Catch::Contains("Subject: [FIRING:1] warning lead-shortfall"));
  CHECK(hook.idempotency_key != mail.idempotency_key);

  auto states = f.store->AlertStates();
  REQUIRE(states.ok());
  REQUIRE(states->size() == 1);
  CHECK((*states)[0].phase == "firing");
  CHECK((*states)[0].value == 12.5);
}

TEST_CASE("Later rounds send nothing new until repeat_interval, then resolve once") {
  RoundFixture f;
  CHECK(f.Round(5, kT0).queued == 2);
  CHECK(f.Round(6, kT0 + 10 * kMinute).queued == 0);
  CHECK(f.Round(6, kT0 + 4 * 60 * kMinute).queued == 2);  // a reminder
  CHECK(f.Round(0, kT0 + 5 * 60 * kMinute).queued == 2);  // resolved
  CHECK(f.Round(0, kT0 + 6 * 60 * kMinute).queued == 0);
  const auto outbox = f.Outbox();
  REQUIRE(outbox.size() == 6);
  rapidjson::Document body;
  const OutboxRow& last_hook = outbox[4].receiver == "hook" ? outbox[4] : outbox[5];
  body.Parse(last_hook.payload.c_str());
  CHECK(std::string(body["status"].GetString()) == "resolved");
  CHECK(std::string(body["alerts"][0]["endsAt"].GetString()) != "0001-01-01T00:00:00Z");
}

TEST_CASE("A `for` keeps a rule pending, and a silence keeps a firing rule quiet") {
  RoundFixture f;
  f.alerts.rules[0].for_duration = std::chrono::minutes(30);
  CHECK(f.Round(5, kT0).queued == 0);
  CHECK((*f.store->AlertStates())[0].phase == "pending");
  REQUIRE(f.store
              ->AddSilence({.matchers_json = R"(["alertname=lead-shortfall"])",
                            .starts_at = kT0,
                            .ends_at = kT0 + 60 * kMinute})
              .ok());
  CHECK(f.Round(5, kT0 + 30 * kMinute).firing() == 1);
  CHECK(f.Outbox().empty());
  CHECK(f.Round(5, kT0 + 60 * kMinute).queued == 2);  // the silence ended
}

TEST_CASE("A rule whose condition cannot be read fails the round and saves nothing") {
  RoundFixture f;
  f.alerts.rules.push_back(AlertRuleConfig{.name = "broken", .when = "capacity >> 1"});
  auto r = RunAlertRound(*f.store, f.config, f.Inputs(5, kT0), {}, kT0);
  CHECK(r.status().code() == StatusCode::kInvalidArgument);
  CHECK_THAT(r.status().message(), Catch::Contains("rule \"broken\""));
  CHECK(f.store->AlertStates()->empty());
  CHECK(f.Outbox().empty());
}

TEST_CASE("A condition rule has no value before the first snapshot and does not fire") {
  RoundFixture f;
  CHECK(f.Round(std::nullopt, kT0).firing() == 0);
  CHECK(f.State("lead-shortfall").phase == "inactive");
  CHECK_FALSE(f.State("lead-shortfall").value.has_value());
}

// A config with two connectors and only a webhook receiver, for the
// built-in checks.
void UseConnectors(RoundFixture& f) {
  f.config.connectors = {
      ConnectorConfig{.name = "crm", .type = "hubspot", .streams = {"contacts", "deals"}},
      ConnectorConfig{.name = "mail", .type = "mailchimp", .streams = {"members"}}};
  f.alerts.receivers.resize(1);
  f.alerts.route.receivers = {"hook"};
}

TEST_CASE("connector_stale fires per connector whose stalest stream has not succeeded for long") {
  RoundFixture f;
  UseConnectors(f);
  f.alerts.rules = {AlertRuleConfig{.name = "sync-stale",
                                    .kind = AlertRuleKind::kConnectorStale,
                                    .stale_after = std::chrono::hours(2),
                                    .severity = "critical"}};
  const int64_t hour = 60 * kMinute;
  REQUIRE(f.store->RecordSuccess("crm", "contacts", kT0 + hour).ok());
  REQUIRE(f.store->RecordSuccess("crm", "deals", kT0 - 10 * hour).ok());
  REQUIRE(f.store->RecordSuccess("mail", "members", kT0 + hour).ok());
  // A stream of another connector, or one no longer configured, does not count.
  REQUIRE(f.store->RecordSuccess("crm", "owners", kT0 - 100 * hour).ok());

  // crm's deals stream last succeeded 11h before; mail's is 0h old.
  CHECK(f.Round(std::nullopt, kT0 + hour).queued == 1);
  CHECK(f.State("sync-stale", "crm").phase == "firing");
  CHECK(f.State("sync-stale", "crm").value == 11 * 3600.0);
  CHECK(f.State("sync-stale", "mail").phase == "inactive");
  auto body = Body(f.Outbox().back());
  REQUIRE(body["alerts"].Size() == 1);
  const auto& alert = body["alerts"][0];
  CHECK(std::string(alert["labels"]["connector"].GetString()) == "crm");
  CHECK(std::string(alert["labels"]["alertname"].GetString()) == "sync-stale");
  CHECK(std::string(alert["annotations"]["summary"].GetString()) ==
        "Connector crm has not synced successfully for 11h");

  // crm's streams succeed: it resolves; mail goes stale 2h after its success.
  REQUIRE(f.store->RecordSuccess("crm", "deals", kT0 + 2 * hour).ok());
  REQUIRE(f.store->RecordSuccess("crm", "contacts", kT0 + 2 * hour).ok());
  CHECK(f.Round(std::nullopt, kT0 + 3 * hour + 1).queued == 1);
  body = Body(f.Outbox().back());
  REQUIRE(body["alerts"].Size() == 2);  // one group per rule: mail firing, crm resolved
  CHECK(f.State("sync-stale", "crm").phase == "inactive");
  CHECK(f.State("sync-stale", "mail").phase == "firing");
}

TEST_CASE("A stream that never succeeded is stale from when watching began") {
  RoundFixture f;
  UseConnectors(f);
  f.alerts.rules = {AlertRuleConfig{.name = "sync-stale",
                                    .kind = AlertRuleKind::kConnectorStale,
                                    .stale_after = std::chrono::minutes(30)}};
  f.Round(std::nullopt, kT0 + 29 * kMinute);
  CHECK(f.State("sync-stale", "crm").phase == "inactive");
  f.Round(std::nullopt, kT0 + 31 * kMinute);
  CHECK(f.State("sync-stale", "crm").phase == "firing");
  CHECK(f.State("sync-stale", "mail").phase == "firing");
}

TEST_CASE("connector_failing fires after N failed runs in a row and resolves on a success") {
  RoundFixture f;
  UseConnectors(f);
  f.alerts.rules = {AlertRuleConfig{.name = "sync-failing",
                                    .kind = AlertRuleKind::kConnectorFailing,
                                    .failing_runs = 3,
                                    .summary = "{{ labels.connector }}: {{ value }} failures"}};
  REQUIRE(f.store->RecordSuccess("mail", "members", kT0).ok());
  for (int run = 1; run <= 3; ++run) {
    REQUIRE(f.store->RecordError("mail", "members", "HTTP 503", kT0 + run * kMinute).ok());
    f.Round(std::nullopt, kT0 + run * kMinute);
    CHECK(f.State("sync-failing", "mail").phase == (run < 3 ? "inactive" : "firing"));
  }
  CHECK(f.State("sync-failing", "crm").phase == "inactive");
  CHECK(std::string(Body(f.Outbox().back())["alerts"][0]["annotations"]["summary"].GetString()) ==
        "mail: 3 failures");
  REQUIRE(f.store->RecordSuccess("mail", "members", kT0 + 5 * kMinute).ok());
  CHECK(f.Round(std::nullopt, kT0 + 5 * kMinute).queued == 1);
  CHECK(std::string(Body(f.Outbox().back())["status"].GetString()) == "resolved");
}

TEST_CASE("snapshot_stale fires when the latest snapshot, or the first, is overdue") {
  RoundFixture f;
  f.alerts.rules = {AlertRuleConfig{.name = "snapshot-stale",
                                    .kind = AlertRuleKind::kSnapshotStale,
                                    .stale_after = std::chrono::hours(2)}};
  f.alerts.receivers.resize(1);
  f.alerts.route.receivers = {"hook"};
  const int64_t hour = 60 * kMinute;
  f.Round(std::nullopt, kT0 + hour);  // no snapshot yet, watching for 1h
  CHECK(f.State("snapshot-stale").phase == "inactive");
  f.Round(std::nullopt, kT0 + 3 * hour);
  CHECK(f.State("snapshot-stale").phase == "firing");
  CHECK(std::string(Body(f.Outbox().back())["alerts"][0]["annotations"]["summary"].GetString()) ==
        "The latest audit snapshot is 3h old");
  auto inputs = f.Inputs(5, kT0 + 3 * hour + kMinute);  // a fresh snapshot
  REQUIRE(RunAlertRound(*f.store, f.config, inputs, {}, kT0 + 3 * hour + kMinute).ok());
  CHECK(f.State("snapshot-stale").phase == "inactive");
}

TEST_CASE("An alert whose rule or connector left the config is resolved and forgotten") {
  RoundFixture f;
  UseConnectors(f);
  f.alerts.rules.push_back(AlertRuleConfig{.name = "sync-stale",
                                           .kind = AlertRuleKind::kConnectorStale,
                                           .stale_after = std::chrono::minutes(1)});
  CHECK(f.Round(5, kT0 + 2 * kMinute).firing() == 3);  // shortfall, crm, mail
  f.config.connectors.pop_back();                      // mail removed
  CHECK(f.Round(5, kT0 + 3 * kMinute).queued == 1);
  auto body = Body(f.Outbox().back());
  bool mail_resolved = false;
  for (const auto& a : body["alerts"].GetArray()) {
    if (std::string(a["labels"]["connector"].GetString()) == "mail") {
      mail_resolved = std::string(a["status"].GetString()) == "resolved";
    }
  }
  CHECK(mail_resolved);
  CHECK(f.store->AlertStates()->size() == 2);
  f.alerts.rules.erase(f.alerts.rules.begin());  // lead-shortfall removed
  CHECK(f.Round(5, kT0 + 4 * kMinute).queued == 1);
  CHECK(std::string(Body(f.Outbox().back())["status"].GetString()) == "resolved");
  CHECK(f.store->AlertStates()->size() == 1);
}

TEST_CASE("A plan of one rule saves nothing and previews what each receiver would get") {
  RoundFixture f;
  f.alerts.rules[0].for_duration = std::chrono::hours(1);
  f.alerts.rules.push_back(
      AlertRuleConfig{.name = "other", .when = "capacity.shortfall_per_period > 100"});
  auto plan =
      PlanAlertRound(*f.store, f.config, f.Inputs(7, kT0), {.only_rule = "lead-shortfall"}, kT0);
  REQUIRE(plan.ok());
  REQUIRE(plan->evaluations.size() == 1);
  const AlertEvaluation& e = plan->evaluations[0];
  CHECK(e.holds);
  CHECK(e.value == 7);
  CHECK(e.phase_before == "inactive");
  CHECK(e.phase_after == "pending");
  CHECK(plan->queued.empty());  // pending for `for`
  CHECK(f.store->AlertStates()->empty());
  const auto preview = PreviewNotifications(f.config, plan->evaluations, kT0);
  REQUIRE(preview.size() == 2);
  CHECK(preview[0].receiver == "hook");
  CHECK(std::string(Body(preview[0])["alerts"][0]["annotations"]["summary"].GetString()) ==
        "Lead shortfall: 7 leads per period");
  CHECK(f.Outbox().empty());

  CHECK(PlanAlertRound(*f.store, f.config, f.Inputs(7, kT0), {.only_rule = "nope"}, kT0)
            .status()
            .code() == StatusCode::kNotFound);
  CHECK(RunAlertRound(*f.store, f.config, f.Inputs(7, kT0), {.only_rule = "lead-shortfall"}, kT0)
            .status()
            .code() == StatusCode::kInvalidArgument);
}

TEST_CASE(
    "An unreadable stored snapshot does not stop the built-in checks: the round names it and "
    "snapshot_stale counts from the watching start") {
  RoundFixture f;
  f.alerts.rules.push_back(AlertRuleConfig{.name = "stale",
                                           .kind = AlertRuleKind::kSnapshotStale,
                                           .stale_after = std::chrono::minutes(1)});
  const int64_t now = kT0 + 2 * kMinute;
  AlertInputs inputs = f.Inputs(std::nullopt, now);
  // As an older salesaudit stored a total that overflowed, a minute ago.
  inputs.snapshot_json = R"({"revenue":{"total":,"won_deals":2}})";
  inputs.snapshot_computed_at = now - kMinute / 2;
  auto round = RunAlertRound(*f.store, f.config, inputs, {}, now);
  REQUIRE(round.ok());
  CHECK_THAT(round->snapshot_problem, Catch::StartsWith("the latest snapshot is unreadable: "));
  CHECK(round->active ==
        std::map<std::pair<std::string, std::string>, int>{{{"stale", "firing"}, 1}});
  CHECK(f.State("stale").value == 120);  // since kT0, not since the unreadable snapshot
  CHECK(f.State("lead-shortfall").phase == "inactive");
}

}  // namespace
}  // namespace salesaudit

// Alert rounds after snapshots: firing once, no repeat before
// repeat_interval, resolved once, silences, and the rendered payloads.
#include "daemon/alert_round.h"

#include <rapidjson/document.h>

#include <catch2/catch.hpp>
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
  }

  AlertRoundResult Round(double shortfall, int64_t now) {
    auto r = RunAlertRound(*store, alerts, Snapshot(shortfall), "http://127.0.0.1:9464/", now);
    INFO(r.status().ToString());
    REQUIRE(r.ok());
    return *r;
  }

  std::vector<OutboxRow> Outbox() {
    auto rows = store->RecentNotifications(100);
    REQUIRE(rows.ok());
    return std::vector<OutboxRow>(rows->rbegin(), rows->rend());  // oldest first
  }

  testing::TempDir dir;
  std::unique_ptr<Store> store;
  AlertsConfig alerts;
};

TEST_CASE("A rule that fires queues one notification per receiver, rendered for each") {
  RoundFixture f;
  AlertRoundResult r = f.Round(12.5, kT0);
  CHECK(r.rules == 1);
  CHECK(r.firing == 1);
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
  CHECK(std::string(body["externalURL"].GetString()) == "http://127.0.0.1:9464/");
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
  CHECK(f.Round(5, kT0 + 30 * kMinute).firing == 1);
  CHECK(f.Outbox().empty());
  CHECK(f.Round(5, kT0 + 60 * kMinute).queued == 2);  // the silence ended
}

TEST_CASE("A rule whose condition cannot be read fails the round and saves nothing") {
  RoundFixture f;
  f.alerts.rules.push_back(AlertRuleConfig{.name = "broken", .when = "capacity >> 1"});
  auto r = RunAlertRound(*f.store, f.alerts, Snapshot(5), "", kT0);
  CHECK(r.status().code() == StatusCode::kInvalidArgument);
  CHECK_THAT(r.status().message(), Catch::Contains("rule \"broken\""));
  CHECK(f.store->AlertStates()->empty());
  CHECK(f.Outbox().empty());
}

}  // namespace
}  // namespace salesaudit

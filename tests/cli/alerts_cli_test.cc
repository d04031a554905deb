// The alert operator commands as operators run them: `silence add|list|expire`,
// `alerts`, `alerts test RULE` and the alerts part of `status`. The real
// binary over a real SQLite file, filled directly where a daemon round or a
// sync would have filled it; exit codes, output, and no secret in any of it.
#include <rapidjson/document.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "alerts/round.h"
#include "audit/runner.h"
#include "config/config.h"
#include "connectors/connector.h"
#include "core/time_util.h"
#include "store/store.h"
#include "tests/support/subprocess.h"

namespace salesaudit::testing {
namespace {

const std::string kBinary = SALESAUDIT_BINARY;
constexpr int64_t kMinute = 60000;
constexpr int64_t kDay = 86400000;
constexpr char kSecret[] = "whsec-7f3a9c1e-never-print-me";

// A store, a rule on the funnel and a signed webhook receiver whose secret
// comes from the environment.
struct AlertsCliFixture {
  AlertsCliFixture() {
    config_path = dir.File("config.yaml");
    WriteFile(config_path, "store:\n  path: " + dir.File("store.db") +
                               "\n"
                               "alerts:\n"
                               "  rules:\n"
                               "    - name: leads-arrive\n"
                               "      when: funnel.leads > 0\n"
                               "      severity: info\n"
                               "      labels: {team: sales}\n"
                               "      summary: \"{{ value }} leads\"\n"
                               "    - name: leads-counted\n"
                               "      when: funnel.leads >= 0\n"
                               "      for: 1h\n"
                               "  receivers:\n"
                               "    - name: ops-hook\n"
                               "      type: webhook\n"
                               "      url: http://127.0.0.1:9/hook\n"
                               "      secret: ${TEST_WEBHOOK_SECRET}\n"
                               "  route: {receivers: [ops-hook]}\n"
                               "status:\n"
                               "  listen: 127.0.0.1:9464\n"
                               "  external_url: https://salesaudit.example.com/\n");
    auto opened = Store::Open(dir.File("store.db"));
    REQUIRE(opened.ok());
    store = std::move(opened).value();
  }

  RunResult Cli(std::vector<std::string> args, std::map<std::string, std::string> extra_env = {}) {
    args.insert(args.begin(), {kBinary, "--config", config_path});
    extra_env["TEST_WEBHOOK_SECRET"] = kSecret;
    RunResult r = RunProcess(args, std::chrono::seconds(60), extra_env);
    CHECK_THAT(r.out + r.err, !Catch::Contains(kSecret));
    return r;
  }

  ConfigLoadResult LoadConfig() {
    setenv("TEST_WEBHOOK_SECRET", kSecret, 1);
    ConfigLoadResult loaded = LoadConfigFile(config_path, BuiltinConnectors().Schemas());
    REQUIRE(loaded.config);
    return loaded;
  }

  // The live snapshot the daemon's audit would store now.
  void LiveAudit() {
    auto stored = ComputeAndStoreSnapshot(*store, *LoadConfig().config, AuditWindow{}, NowMs(),
                                          SnapshotPurpose::kLive);
    INFO(stored.status().ToString());
    REQUIRE(stored.ok());
  }

  // Three contacts created ten days ago: the funnel has three leads.
  void SeedContacts() {
    Page page{.stream = "contacts", .cursor = "{}"};
    for (int i = 0; i < 3; ++i) {
      Contact c;
      c.id = std::to_string(i);
      c.channel = "ORGANIC_SEARCH";
      c.created_at = NowMs() - 10 * kDay;
      page.contacts.push_back(c);
    }
    REQUIRE(store->CommitPage("crm", page).ok());
  }

  TempDir dir;
  std::string config_path;
  std::unique_ptr<Store> store;
};

rapidjson::Document ParseJson(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.c_str());
  INFO(text);
  REQUIRE_FALSE(doc.HasParseError());
  REQUIRE(doc.IsObject());
  return doc;
}

TEST_CASE("silence add, list and expire keep a silence in the store until it is expired",
          "[cli][alerts]") {
  AlertsCliFixture f;
  auto r = f.Cli({"silence", "add", "team=sales", "severity=~\"info|warning\"", "--for", "2h",
                  "--comment", "quarter close"},
                 {{"USER", "alice"}});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::StartsWith("silence 1 added, ends "));
  r = f.Cli(
      {"silence", "add", "alertname=lead-shortfall", "--until", "2099-01-01", "--author", "bob"});
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("silence 2 added, ends 2099-01-01T00:00:00.000Z"));

  auto stored = f.store->Silences();
  REQUIRE(stored.ok());
  REQUIRE(stored->size() == 2);
  CHECK((*stored)[0].matchers_json == R"(["team=\"sales\"","severity=~\"info|warning\""])");
  CHECK((*stored)[0].created_by == "alice");
  CHECK((*stored)[0].comment == "quarter close");
  CHECK((*stored)[0].ends_at - (*stored)[0].starts_at == 120 * kMinute);
  CHECK((*stored)[1].created_by == "bob");

  r = f.Cli({"silence", "list"});
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("team=\"sales\", severity=~\"info|warning\"") &&
                        Catch::Contains("alice") && Catch::Contains("quarter close") &&
                        Catch::Contains("alertname=\"lead-shortfall\""));

  r = f.Cli({"silence", "expire", "1"});
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("silence 1 expired"));

  r = f.Cli({"silence", "list", "--format", "json"});
  REQUIRE(r.exit_code == 0);
  auto listed = ParseJson(r.out);
  REQUIRE(listed["silences"].Size() == 1);
  CHECK(listed["silences"][0]["id"].GetInt64() == 2);
  CHECK(listed["silences"][0]["active"].GetBool());
  CHECK(std::string(listed["silences"][0]["ends_at"].GetString()) == "2099-01-01T00:00:00.000Z");
  CHECK(std::string(listed["silences"][0]["author"].GetString()) == "bob");

  r = f.Cli({"silence", "list", "--all", "--format", "json"});
  REQUIRE(r.exit_code == 0);
  auto all = ParseJson(r.out);
  REQUIRE(all["silences"].Size() == 2);
  CHECK(all["silences"][0]["id"].GetInt64() == 1);
  CHECK_FALSE(all["silences"][0]["active"].GetBool());
  CHECK(all["silences"][0]["matchers"].Size() == 2);
}

TEST_CASE("silence commands refuse bad input with one line and their exit codes", "[cli][alerts]") {
  AlertsCliFixture f;
  auto r = f.Cli({"silence", "add", "team", "--for", "1h"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::StartsWith("salesaudit silence add: matcher 'team': "));
  r = f.Cli({"silence", "add", "team=~(", "--for", "1h"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("matcher 'team=~('") && Catch::Contains("regex"));
  r = f.Cli({"silence", "add", "--for", "1h"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("MATCHER"));
  r = f.Cli({"silence", "add", "team=sales"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("--for") && Catch::Contains("--until"));
  r = f.Cli({"silence", "add", "team=sales", "--for", "1h", "--until", "2099-01-01"});
  CHECK(r.exit_code == 2);
  r = f.Cli({"silence", "add", "team=sales", "--until", "2020-01-01"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("not in the future"));
  r = f.Cli({"silence", "add", "team=sales", "--for", "soon"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("--for 'soon'"));
  r = f.Cli({"silence", "add", "team=sales", "--for", "1h", "--flavour", "x"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("--flavour"));
  auto stored = f.store->Silences();
  REQUIRE(stored.ok());
  CHECK(stored->empty());

  r = f.Cli({"silence", "expire", "42"});
  CHECK(r.exit_code == 1);
  CHECK(r.err == "salesaudit silence expire: no silence 42\n");
  r = f.Cli({"silence", "expire", "x1"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("'x1'"));
  r = f.Cli({"silence", "expire"});
  CHECK(r.exit_code == 2);
  r = f.Cli({"silence", "mute"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("mute"));
}

TEST_CASE("alerts lists every alert state, the active silences and the outbox, never a payload",
          "[cli][alerts]") {
  AlertsCliFixture f;
  const int64_t now = NowMs();
  const std::vector<AlertStateRow> states = {
      {.rule = "lead-shortfall",
       .phase = "firing",
       .active_since = now - 90 * kMinute,
       .fired_at = now - 30 * kMinute,
       .last_held_at = now - kMinute,
       .value = 12.5,
       .labels_json = R"({"alertname":"lead-shortfall","team":"sales"})",
       .annotations_json = R"({"summary":"Lead shortfall: 12.5 leads"})"},
      {.rule = "crm-stale",
       .instance = "crm",
       .phase = "pending",
       .active_since = now - 5 * kMinute,
       .last_held_at = now - kMinute,
       .value = 7200,
       .labels_json = R"({"alertname":"crm-stale","connector":"crm"})"},
      {.rule = "leads-arrive",
       .phase = "inactive",
       .fired_at = now - 3 * kDay,
       .resolved_at = now - 2 * kDay,
       .value = 0,
       .labels_json = R"({"alertname":"leads-arrive"})"},
  };
  std::vector<OutboxRow> queued;
  for (int i = 0; i < 3; ++i) {
    queued.push_back({.idempotency_key = "k" + std::to_string(i),
                      .receiver = "ops-hook",
                      .created_at = now - (10 - i) * kMinute,
                      .payload = "{\"marker\":\"payload-body-" + std::to_string(i) + "\"}",
                      .next_attempt_at = now - (10 - i) * kMinute});
  }
  REQUIRE(f.store->SaveAlertRound(states, {}, {}, queued).ok());
  auto outbox = f.store->RecentNotifications(10);
  REQUIRE(outbox.ok());
  REQUIRE(outbox->size() == 3);
  std::map<std::string, int64_t> id_of;
  for (const OutboxRow& row : *outbox) id_of[row.idempotency_key] = row.id;
  REQUIRE(f.store->MarkNotificationDelivered(id_of["k0"], now - 9 * kMinute).ok());
  // A receiver's answer is vendor text: the text output escapes its controls.
  REQUIRE(
      f.store->MarkNotificationDropped(id_of["k1"], "HTTP 410 Gone \x1b]0;x\x07", now - 8 * kMinute)
          .ok());
  REQUIRE(f.Cli({"silence", "add", "connector=crm", "--for", "1h"}).exit_code == 0);
  REQUIRE(f.Cli({"silence", "add", "team=ops", "--for", "1h"}).exit_code == 0);
  REQUIRE(f.Cli({"silence", "expire", "2"}).exit_code == 0);

  auto r = f.Cli({"alerts", "--format", "json"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, !Catch::Contains("payload-body"));
  auto doc = ParseJson(r.out);
  const auto& alerts = doc["alerts"];
  REQUIRE(alerts.Size() == 3);
  std::map<std::string, const rapidjson::Value*> by_rule;
  for (const auto& a : alerts.GetArray()) by_rule[a["rule"].GetString()] = &a;
  const auto& firing = *by_rule.at("lead-shortfall");
  CHECK(std::string(firing["phase"].GetString()) == "firing");
  CHECK(firing["connector"].IsNull());
  CHECK(std::string(firing["since"].GetString()) == FormatIsoMs(now - 30 * kMinute));
  CHECK(firing["value"].GetDouble() == 12.5);
  CHECK(std::string(firing["summary"].GetString()) == "Lead shortfall: 12.5 leads");
  CHECK(std::string(firing["labels"]["team"].GetString()) == "sales");
  CHECK_FALSE(firing["silenced"].GetBool());
  const auto& pending = *by_rule.at("crm-stale");
  CHECK(std::string(pending["connector"].GetString()) == "crm");
  CHECK(std::string(pending["since"].GetString()) == FormatIsoMs(now - 5 * kMinute));
  CHECK(pending["summary"].IsNull());
  CHECK(pending["silenced"].GetBool());
  const auto& resolved = *by_rule.at("leads-arrive");
  CHECK(std::string(resolved["phase"].GetString()) == "inactive");
  CHECK(std::string(resolved["since"].GetString()) == FormatIsoMs(now - 2 * kDay));

  REQUIRE(doc["silences"].Size() == 1);
  CHECK(doc["silences"][0]["id"].GetInt64() == 1);
  CHECK(std::string(doc["silences"][0]["matchers"][0].GetString()) == "connector=\"crm\"");

  const auto& notifications = doc["notifications"];
  CHECK(notifications["pending"].GetInt64() == 1);
  CHECK(std::string(notifications["oldest_pending_at"].GetString()) ==
        FormatIsoMs(now - 8 * kMinute));
  REQUIRE(notifications["recent"].Size() == 2);
  const auto& dropped = notifications["recent"][0];
  CHECK(std::string(dropped["status"].GetString()) == "dropped");
  CHECK(std::string(dropped["receiver"].GetString()) == "ops-hook");
  CHECK(std::string(dropped["at"].GetString()) == FormatIsoMs(now - 8 * kMinute));
  CHECK(std::string(dropped["last_error"].GetString()) == "HTTP 410 Gone \x1b]0;x\x07");
  CHECK(std::string(notifications["recent"][1]["status"].GetString()) == "delivered");

  r = f.Cli({"alerts"});
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("lead-shortfall") && Catch::Contains("Lead shortfall: 12.5") &&
                        Catch::Contains("crm-stale") && Catch::Contains("team=sales") &&
                        Catch::Contains("connector=\"crm\"") && Catch::Contains("1 waiting") &&
                        Catch::Contains("HTTP 410 Gone \\x1b]0;x\\x07"));
  CHECK_THAT(r.out, !Catch::Contains("payload-body") && !Catch::Contains("team=\"ops\"") &&
                        !Catch::Contains("\x1b"));

  r = f.Cli({"status", "--format", "json"});
  REQUIRE(r.exit_code == 0);
  auto status = ParseJson(r.out);
  const auto& overview = status["alerts"];
  CHECK(overview["firing"].GetInt() == 1);
  CHECK(overview["pending"].GetInt() == 1);
  CHECK(overview["silences_active"].GetInt() == 1);
  CHECK(overview["notifications_pending"].GetInt64() == 1);
  REQUIRE(overview["active"].Size() == 2);
  CHECK(std::string(overview["active"][0]["rule"].GetString()) == "crm-stale");
  CHECK(std::string(overview["active"][0]["connector"].GetString()) == "crm");
  CHECK(std::string(overview["active"][1]["phase"].GetString()) == "firing");
  CHECK(overview["active"][1]["value"].GetDouble() == 12.5);

  r = f.Cli({"status"});
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("alerts: 1 firing, 1 pending, 1 silence(s) active, 1 "
                                    "notification(s) waiting"));
  CHECK_THAT(r.out, Catch::Contains("lead-shortfall") && Catch::Contains("value 12.5"));
}

TEST_CASE("alerts test evaluates one rule on the latest snapshot and previews the webhook body",
          "[cli][alerts]") {
  AlertsCliFixture f;
  auto r = f.Cli({"alerts", "test", "leads-arrive"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("no live snapshot in the store yet"));
  CHECK_THAT(r.out, Catch::Contains("does not hold"));

  f.SeedContacts();
  // A hand-run audit is one-off: alert rules never read it.
  REQUIRE(f.Cli({"audit", "--format", "json"}).exit_code == 0);
  r = f.Cli({"alerts", "test", "leads-arrive"});
  CHECK_THAT(r.out, Catch::Contains("no live snapshot in the store yet"));
  f.LiveAudit();

  r = f.Cli({"alerts", "test", "leads-arrive"});
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("value      3 leads\n") && Catch::Contains("condition  holds"));
  CHECK_THAT(r.out, Catch::Contains("inactive -> firing"));
  CHECK_THAT(r.out, Catch::Contains("the next round would send:"));
  CHECK_THAT(r.out, Catch::Contains("if it fired now, ops-hook would get:"));

  r = f.Cli({"alerts", "test", "leads-arrive", "--format", "json"});
  REQUIRE(r.exit_code == 0);
  auto doc = ParseJson(r.out);
  REQUIRE(doc["evaluations"].Size() == 1);
  const auto& e = doc["evaluations"][0];
  CHECK(e["value"].GetDouble() == 3);
  CHECK(e["holds"].GetBool());
  CHECK(std::string(e["phase_before"].GetString()) == "inactive");
  CHECK(std::string(e["phase_after"].GetString()) == "firing");
  CHECK_FALSE(e["silenced"].GetBool());
  CHECK(std::string(e["labels"]["alertname"].GetString()) == "leads-arrive");
  CHECK(doc["would_send"].Size() == 1);
  REQUIRE(doc["preview"].Size() == 1);
  CHECK(std::string(doc["preview"][0]["receiver"].GetString()) == "ops-hook");
  auto body = ParseJson(doc["preview"][0]["payload"].GetString());
  CHECK(std::string(body["version"].GetString()) == "4");
  CHECK(std::string(body["receiver"].GetString()) == "ops-hook");
  CHECK(std::string(body["status"].GetString()) == "firing");
  CHECK(std::string(body["externalURL"].GetString()) == "https://salesaudit.example.com/");
  REQUIRE(body["alerts"].Size() == 1);
  const auto& alert = body["alerts"][0];
  CHECK(std::string(alert["labels"]["alertname"].GetString()) == "leads-arrive");
  CHECK(std::string(alert["labels"]["team"].GetString()) == "sales");
  CHECK(std::string(alert["annotations"]["summary"].GetString()) == "3 leads");
  CHECK(alert["fingerprint"].GetStringLength() == 16);

  // A preview: nothing is saved.
  auto states = f.store->AlertStates();
  REQUIRE(states.ok());
  CHECK(states->empty());
  auto outbox = f.store->RecentNotifications(10);
  REQUIRE(outbox.ok());
  CHECK(outbox->empty());

  // Silenced: the next round sends nothing, and says why; the preview stays.
  REQUIRE(f.Cli({"silence", "add", "alertname=leads-arrive", "--for", "1h"}).exit_code == 0);
  r = f.Cli({"alerts", "test", "leads-arrive", "--format", "json"});
  REQUIRE(r.exit_code == 0);
  doc = ParseJson(r.out);
  CHECK(doc["evaluations"][0]["silenced"].GetBool());
  CHECK(doc["would_send"].Size() == 0);
  REQUIRE(doc["nothing_sent_because"].Size() == 1);
  CHECK(std::string(doc["nothing_sent_because"][0].GetString()) == "silenced");
  CHECK(doc["preview"].Size() == 1);
}

TEST_CASE("alerts test says a rule with `for` is pending and names an unknown rule's peers",
          "[cli][alerts]") {
  AlertsCliFixture f;
  f.LiveAudit();
  auto r = f.Cli({"alerts", "test", "leads-counted"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("condition  holds") && Catch::Contains("inactive -> pending"));
  CHECK_THAT(r.out,
             Catch::Contains("nothing would be sent now: pending: the condition must hold for 1h"));

  r = f.Cli({"alerts", "test", "nope"});
  CHECK(r.exit_code == 2);
  CHECK(r.out.empty());
  CHECK_THAT(r.err, Catch::Contains("'nope'") && Catch::Contains("leads-arrive") &&
                        Catch::Contains("leads-counted"));
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  r = f.Cli({"alerts", "test"});
  CHECK(r.exit_code == 2);
  r = f.Cli({"alerts", "--format", "yaml"});
  CHECK(r.exit_code == 2);
}

TEST_CASE("After a real round alerts shows the alert firing and alerts test says it was notified",
          "[cli][alerts]") {
  AlertsCliFixture f;
  f.SeedContacts();
  f.LiveAudit();
  ConfigLoadResult loaded = f.LoadConfig();
  auto inputs = ReadAlertInputs(*f.store, NowMs());
  REQUIRE(inputs.ok());
  auto round = RunAlertRound(*f.store, *loaded.config, *inputs, {}, NowMs());
  INFO(round.status().ToString());
  REQUIRE(round.ok());
  REQUIRE(round->queued == 1);

  auto r = f.Cli({"alerts", "test", "leads-arrive", "--format", "json"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  auto doc = ParseJson(r.out);
  CHECK(std::string(doc["evaluations"][0]["phase_before"].GetString()) == "firing");
  CHECK(doc["would_send"].Size() == 0);
  REQUIRE(doc["nothing_sent_because"].Size() == 1);
  CHECK_THAT(doc["nothing_sent_because"][0].GetString(), Catch::StartsWith("already notified"));

  r = f.Cli({"alerts", "--format", "json"});
  REQUIRE(r.exit_code == 0);
  doc = ParseJson(r.out);
  bool firing = false;
  for (const auto& a : doc["alerts"].GetArray()) {
    firing =
        firing || (std::string(a["rule"].GetString()) == "leads-arrive" &&
                   std::string(a["phase"].GetString()) == "firing" && a["value"].GetDouble() == 3);
  }
  CHECK(firing);
  CHECK(doc["notifications"]["pending"].GetInt64() == 1);
  CHECK_THAT(r.out, !Catch::Contains("\"version\":\"4\""));
}

}  // namespace
}  // namespace salesaudit::testing

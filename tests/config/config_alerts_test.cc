// The config loader on the alerts section: rules, receivers, evaluate_every
// and delivery, with their defaults and their mistakes at FILE:LINE:COL.
#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "tests/config/config_fixtures.h"

namespace salesaudit {
namespace {

using testing::ConnectorTypes;
using testing::LoadOk;

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
      {"an email receiver's from and to that are not addresses",
       "alerts:\n  receivers:\n    - {name: m, type: email, smtp_url: 'smtp://127.0.0.1:25', "
       "from: salesaudit, to: ['Ops <ops@example.com>', 'ops at example.com']}\n",
       {"t.yaml:3:69: alerts.receivers[0].from: not an email address (name@example.com, or "
        "\"Name <name@example.com>\" with the quotes), got 'salesaudit'",
        "t.yaml:3:111: alerts.receivers[0].to[1]: not an email address (name@example.com, or "
        "\"Name <name@example.com>\" with the quotes), got 'ops at example.com'"}},
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

}  // namespace
}  // namespace salesaudit

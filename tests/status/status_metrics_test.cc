// The daemon's /metrics end to end: the real `salesaudit run` against a
// HubSpot simulator, a real store file and a real webhook receiver. /metrics
// goes through a strict parser of Prometheus' text format and must agree with
// the syncs, alerts and reloads that happened, before and after a restart.
#include <signal.h>

#include <catch2/catch.hpp>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "core/time_util.h"
#include "core/version.h"
#include "tests/status/status_endpoints_fixture.h"

namespace salesaudit::testing {
namespace {

using std::chrono::seconds;

TEST_CASE("/metrics parses strictly and agrees with the syncs, alerts and reloads that happened",
          "[daemon][status_endpoints][metrics]") {
  DaemonFixture f;
  TestHttpServer receiver;
  receiver.SetHandler([](const TestHttpRequest&) { return TestHttpResponse{.status = 200}; });
  // The first request is throttled (no Retry-After: the connector's 5 ms
  // backoff applies) and then retried.
  f.sim.InjectFault(
      {.kind = sim::FaultKind::kRateLimitWithoutRetryAfter, .path_prefix = "", .count = 1});
  const std::string alerts = LeadsAlertTo(receiver, "", "      severity: warning\n");
  f.WriteConfig(kAnyPort, alerts);
  const double started = static_cast<double>(NowMs()) / 1000.0;
  f.Start();

  // Synced, audited, the alert fired and its notification was delivered.
  const auto done = [&](const PrometheusExposition& m) {
    for (const std::string& stream : kStreams) {
      if (ValueOf(m, "salesaudit_syncs_total",
                  {{"connector", "crm"}, {"stream", stream}, {"result", "ok"}}) != 1) {
        return false;
      }
    }
    return ValueOf(m, "salesaudit_alerts", {{"alertname", "leads"}, {"state", "firing"}}) == 1 &&
           ValueOf(m, "salesaudit_notifications_total",
                   {{"receiver", "hook"}, {"result", "delivered"}}) == 1;
  };
  {
    const bool reached = f.WaitForMetrics(done, seconds(60));
    INFO(f.Log());
    REQUIRE(reached);
  }
  const PrometheusExposition m = f.Metrics();
  const double now = static_cast<double>(NowMs()) / 1000.0;

  // Each family is there with the type its name promises.
  const std::map<std::string, std::string> types = {
      {"salesaudit_syncs_total", "counter"},
      {"salesaudit_records_synced_total", "counter"},
      {"salesaudit_records_deleted_total", "counter"},
      {"salesaudit_last_success_timestamp_seconds", "gauge"},
      {"salesaudit_sync_duration_seconds", "histogram"},
      {"salesaudit_cursor_lag_seconds", "gauge"},
      {"salesaudit_api_requests_total", "counter"},
      {"salesaudit_api_throttled_total", "counter"},
      {"salesaudit_rate_limit_wait_seconds_total", "counter"},
      {"salesaudit_snapshots_total", "counter"},
      {"salesaudit_snapshot_duration_seconds", "gauge"},
      {"salesaudit_snapshot_age_seconds", "gauge"},
      {"salesaudit_alerts", "gauge"},
      {"salesaudit_notifications_total", "counter"},
      {"salesaudit_notifications_waiting", "gauge"},
      {"salesaudit_config_reloads_total", "counter"},
      {"salesaudit_config_last_reload_successful", "gauge"},
      {"salesaudit_config_last_reload_success_timestamp_seconds", "gauge"},
      {"salesaudit_store_healthy", "gauge"},
      {"salesaudit_store_errors_total", "counter"},
      {"salesaudit_build_info", "gauge"},
      {"process_start_time_seconds", "gauge"},
      {"process_cpu_seconds_total", "counter"},
      {"process_resident_memory_bytes", "gauge"},
      {"process_open_fds", "gauge"},
  };
  for (const auto& [name, type] : types) {
    INFO(name);
    const PrometheusFamily* family = m.Find(name);
    REQUIRE(family != nullptr);
    CHECK(family->type == type);
    CHECK(family->help.has_value());
  }

  // The syncs: each stream once and ok, every contact of the portal committed.
  const std::map<std::string, std::string> crm = {{"connector", "crm"}};
  for (const std::string& stream : kStreams) {
    INFO(stream);
    const std::map<std::string, std::string> labels = {{"connector", "crm"}, {"stream", stream}};
    auto with = [&](const std::string& name, const std::string& value) {
      auto l = labels;
      l[name] = value;
      return l;
    };
    CHECK(ValueOf(m, "salesaudit_syncs_total", with("result", "ok")) == 1);
    CHECK(ValueOf(m, "salesaudit_syncs_total", with("result", "error")) == 0);
    CHECK(ValueOf(m, "salesaudit_records_synced_total", labels) > 0);
    CHECK(ValueOf(m, "salesaudit_records_deleted_total", labels) >= 0);
    const double last_success = ValueOf(m, "salesaudit_last_success_timestamp_seconds", labels);
    CHECK(last_success >= started - 1);
    CHECK(last_success <= now + 1);
    CHECK(ValueOf(m, "salesaudit_sync_duration_seconds_count", labels) == 1);
    CHECK(ValueOf(m, "salesaudit_sync_duration_seconds_bucket", with("le", "+Inf")) == 1);
    CHECK(ValueOf(m, "salesaudit_sync_duration_seconds_sum", labels) >= 0);
  }
  CHECK(ValueOf(m, "salesaudit_records_synced_total",
                {{"connector", "crm"}, {"stream", "contacts"}}) ==
        static_cast<double>(f.sim.Contacts().size()));
  CHECK(ValueOf(m, "salesaudit_cursor_lag_seconds",
                {{"connector", "crm"}, {"stream", "contacts"}}) >= 0);

  // The API: answers counted by status code, the injected 429 as throttling.
  CHECK(ValueOf(m, "salesaudit_api_requests_total", {{"connector", "crm"}, {"code", "200"}}) > 0);
  CHECK(ValueOf(m, "salesaudit_api_requests_total", {{"connector", "crm"}, {"code", "429"}}) == 1);
  CHECK(ValueOf(m, "salesaudit_api_throttled_total", crm) == 1);
  const auto sim_stats = f.sim.Stats();
  CHECK(ValueOf(m, "salesaudit_api_requests_total", {{"connector", "crm"}, {"code", "200"}}) ==
        static_cast<double>(sim_stats.by_status.count(200) ? sim_stats.by_status.at(200) : 0));
  CHECK(ValueOf(m, "salesaudit_rate_limit_wait_seconds_total", crm) >= 0);

  // The audit, the alert and its delivery.
  CHECK(ValueOf(m, "salesaudit_snapshots_total", {{"result", "ok"}}) >= 1);
  CHECK(ValueOf(m, "salesaudit_snapshots_total", {{"result", "error"}}) == 0);
  CHECK(ValueOf(m, "salesaudit_snapshot_duration_seconds") > 0);
  const double age = ValueOf(m, "salesaudit_snapshot_age_seconds");
  CHECK(age >= 0);
  CHECK(age <= now - started + 1);
  CHECK(ValueOf(m, "salesaudit_alerts", {{"alertname", "leads"}, {"state", "firing"}}) == 1);
  CHECK(ValueOf(m, "salesaudit_notifications_total",
                {{"receiver", "hook"}, {"result", "delivered"}}) == 1);
  CHECK(ValueOf(m, "salesaudit_notifications_waiting") == 0);
  CHECK(receiver.requests().size() == 1);

  // The build and the process.
  CHECK(ValueOf(m, "salesaudit_build_info", {{"version", SALESAUDIT_VERSION}}) == 1);
  // A sound store: healthy, and each error kind listed at 0.
  CHECK(ValueOf(m, "salesaudit_store_healthy") == 1);
  for (const char* kind : {"full", "io", "readonly", "corrupt", "removed", "replaced", "busy"}) {
    INFO(kind);
    CHECK(ValueOf(m, "salesaudit_store_errors_total", {{"kind", kind}}) == 0);
  }
  const double process_start = ValueOf(m, "process_start_time_seconds");
  CHECK(process_start >= started - 1);
  CHECK(process_start <= now);
  CHECK(ValueOf(m, "process_cpu_seconds_total") > 0);
  CHECK(ValueOf(m, "process_resident_memory_bytes") > 1e6);
  CHECK(ValueOf(m, "process_open_fds") > 2);

  // The config as loaded at start: no reload yet.
  CHECK(ValueOf(m, "salesaudit_config_last_reload_successful") == 1);
  CHECK(ValueOf(m, "salesaudit_config_reloads_total", {{"result", "success"}}) == 0);
  const double loaded_at = ValueOf(m, "salesaudit_config_last_reload_success_timestamp_seconds");
  CHECK(loaded_at >= started - 1);
  CHECK(loaded_at <= now);

  // SIGHUP with a valid config, then with an invalid one.
  const double reloaded_after = static_cast<double>(NowMs()) / 1000.0;
  f.daemon->Signal(SIGHUP);
  REQUIRE(f.WaitForMetrics([](const PrometheusExposition& after) {
    return ValueOf(after, "salesaudit_config_reloads_total", {{"result", "success"}}) == 1;
  }));
  const PrometheusExposition valid = f.Metrics();
  CHECK(ValueOf(valid, "salesaudit_config_reloads_total", {{"result", "failure"}}) == 0);
  CHECK(ValueOf(valid, "salesaudit_config_last_reload_successful") == 1);
  CHECK(ValueOf(valid, "salesaudit_config_last_reload_success_timestamp_seconds") >=
        reloaded_after - 0.001);

  WriteFile(f.config_path, f.ConfigText(kAnyPort, alerts) + "no_such_key: 1\n");
  f.daemon->Signal(SIGHUP);
  REQUIRE(f.WaitForMetrics([](const PrometheusExposition& after) {
    return ValueOf(after, "salesaudit_config_reloads_total", {{"result", "failure"}}) == 1;
  }));
  const PrometheusExposition invalid = f.Metrics();
  CHECK(ValueOf(invalid, "salesaudit_config_reloads_total", {{"result", "success"}}) == 1);
  CHECK(ValueOf(invalid, "salesaudit_config_last_reload_successful") == 0);
  // The last success is still the valid reload's.
  CHECK(ValueOf(invalid, "salesaudit_config_last_reload_success_timestamp_seconds") ==
        ValueOf(valid, "salesaudit_config_last_reload_success_timestamp_seconds"));
  CHECK(f.Fetch("/healthz").status == 200);
  f.Stop();
  CHECK_THAT(f.Log(), Catch::Contains("no_such_key"));
}

TEST_CASE(
    "The first scrape has every counter whose labels the config names at 0, and promtool accepts "
    "the exposition",
    "[daemon][status_endpoints][metrics]") {
  DaemonFixture f;
  TestHttpServer receiver;
  // A rule that never fires, so its receiver is never sent anything.
  f.WriteConfig(kAnyPort, AlertTo(receiver, "quiet", "funnel.leads < 0"));
  f.Start();
  const PrometheusExposition m = f.Metrics();
  for (const std::string& stream : kStreams) {
    INFO(stream);
    for (const char* result : {"error", "cancelled"}) {
      CHECK(ValueOf(m, "salesaudit_syncs_total",
                    {{"connector", "crm"}, {"stream", stream}, {"result", result}}) == 0);
    }
    CHECK(ValueOf(m, "salesaudit_records_synced_total",
                  {{"connector", "crm"}, {"stream", stream}}) >= 0);
    CHECK(ValueOf(m, "salesaudit_records_deleted_total",
                  {{"connector", "crm"}, {"stream", stream}}) >= 0);
  }
  CHECK(ValueOf(m, "salesaudit_api_throttled_total", {{"connector", "crm"}}) == 0);
  CHECK(ValueOf(m, "salesaudit_rate_limit_wait_seconds_total", {{"connector", "crm"}}) >= 0);
  for (const char* result : {"delivered", "retried", "dropped"}) {
    CHECK(ValueOf(m, "salesaudit_notifications_total",
                  {{"receiver", "hook"}, {"result", result}}) == 0);
  }
  for (const char* state : {"pending", "firing"}) {
    CHECK(ValueOf(m, "salesaudit_alerts", {{"alertname", "quiet"}, {"state", state}}) == 0);
  }
  for (const char* result : {"success", "failure"}) {
    CHECK(ValueOf(m, "salesaudit_config_reloads_total", {{"result", result}}) == 0);
  }
  CHECK(ValueOf(m, "salesaudit_snapshots_total", {{"result", "error"}}) == 0);
  CHECK(ValueOf(m, "salesaudit_alert_rounds_total", {{"result", "error"}}) == 0);

  // Prometheus' own parser and linter.
  const std::string exposition = f.dir.File("metrics.txt");
  WriteFile(exposition, f.Fetch("/metrics").body);
  REQUIRE(std::string(PROMTOOL_BINARY) != "");  // scripts/install-deps.sh installs prometheus
  const RunResult checked = RunProcess(
      {"/bin/sh", "-c", std::string(PROMTOOL_BINARY) + " check metrics < " + exposition});
  INFO(checked.out << checked.err);
  CHECK(checked.exit_code == 0);
  f.Stop();
}

// The metric names `text` refers to: salesaudit_* and process_* words.
std::set<std::string> MetricNamesIn(const std::string& text) {
  static const std::regex kName(R"(\b(salesaudit|process)_[a-z_]+)");
  std::set<std::string> names;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kName);
       it != std::sregex_iterator(); ++it) {
    names.insert(it->str());
  }
  return names;
}

TEST_CASE(
    "The shipped Prometheus rules pass promtool's checks and unit tests, and they and the Grafana "
    "dashboard use only metric names the daemon serves",
    "[daemon][status_endpoints][metrics]") {
  REQUIRE(std::string(PROMTOOL_BINARY) != "");  // scripts/install-deps.sh installs prometheus
  const std::string monitoring = std::string(SALESAUDIT_SOURCE_DIR) + "/monitoring/";
  const RunResult rules_checked =
      RunProcess({PROMTOOL_BINARY, "check", "rules", monitoring + "salesaudit.rules.yml"});
  INFO(rules_checked.out << rules_checked.err);
  CHECK(rules_checked.exit_code == 0);
  const RunResult rules_tested =
      RunProcess({PROMTOOL_BINARY, "test", "rules", monitoring + "salesaudit.rules.test.yml"});
  INFO(rules_tested.out << rules_tested.err);
  CHECK(rules_tested.exit_code == 0);

  // Every panel of the dashboard queries something.
  const std::string dashboard_text = ReadFile(monitoring + "grafana-dashboard.json");
  const auto dashboard = ParseJson(dashboard_text);
  REQUIRE(dashboard->IsObject());
  REQUIRE((*dashboard)["panels"].IsArray());
  int queried_panels = 0;
  for (const auto& panel : (*dashboard)["panels"].GetArray()) {
    if (std::string(panel["type"].GetString()) == "row") continue;
    INFO(panel["title"].GetString());
    REQUIRE(panel["targets"].IsArray());
    REQUIRE(panel["targets"].Size() > 0);
    for (const auto& target : panel["targets"].GetArray()) {
      CHECK(std::string(target["expr"].GetString()).find('_') != std::string::npos);
    }
    ++queried_panels;
  }
  CHECK(queried_panels >= 15);

  // What a daemon that synced, audited and alerted serves.
  DaemonFixture f;
  TestHttpServer receiver;
  receiver.SetHandler([](const TestHttpRequest&) { return TestHttpResponse{.status = 200}; });
  f.WriteConfig(kAnyPort, LeadsAlertTo(receiver));
  f.Start();
  f.WaitUntilSettled();
  std::set<std::string> served;
  for (const PrometheusFamily& family : f.Metrics().families) {
    served.insert(family.name);
    if (family.type == "histogram") {
      for (const char* suffix : {"_bucket", "_sum", "_count"}) served.insert(family.name + suffix);
    }
  }
  f.Stop();
  for (const std::string& file :
       {std::string("salesaudit.rules.yml"), std::string("salesaudit.rules.test.yml"),
        std::string("grafana-dashboard.json")}) {
    const std::set<std::string> used = MetricNamesIn(ReadFile(monitoring + file));
    CHECK(used.size() >= 5);
    for (const std::string& name : used) {
      INFO(file << " uses " << name);
      CHECK(served.count(name) == 1);
    }
  }
}

TEST_CASE("After a restart the cursor lag is known before any new data arrives",
          "[daemon][status_endpoints][metrics]") {
  DaemonFixture f;
  f.WriteConfig();
  f.Start();
  f.WaitUntilSettled();
  f.Stop();
  // Every request fails now: whatever the restarted daemon knows of the
  // data's age, it read from the store.
  f.sim.InjectFault({.kind = sim::FaultKind::kMissingScopes, .path_prefix = "", .count = 100000});
  auto newest = f.store->NewestChangeAt(RecordKind::kContact, "crm");
  REQUIRE(newest.ok());
  REQUIRE(newest->has_value());
  f.Start();
  const std::map<std::string, std::string> contacts = {{"connector", "crm"},
                                                       {"stream", "contacts"}};
  double lag = -1;
  const double before = static_cast<double>(NowMs() - **newest) / 1000.0;
  CHECK(f.WaitForMetrics([&](const PrometheusExposition& m) {
    lag = ValueOf(m, "salesaudit_cursor_lag_seconds", contacts);
    return lag >= 0;
  }));
  const double after = static_cast<double>(NowMs() - **newest) / 1000.0;
  CHECK(lag >= before - 0.001);
  CHECK(lag <= after + 0.001);
  f.Stop();
}

}  // namespace
}  // namespace salesaudit::testing

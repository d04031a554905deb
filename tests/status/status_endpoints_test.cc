// The daemon's status endpoints and live dashboard end to end (issue 6,
// "Endpoints"): the real `salesaudit run` against a HubSpot simulator, a real
// store file and a real webhook receiver, all on 127.0.0.1. /metrics goes
// through a strict parser of Prometheus' text format and must agree with what
// happened; the dashboard is loaded by headless Chromium (Debian's
// `chromium`; a missing Chromium fails the test).
#include <rapidjson/document.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "core/time_util.h"
#include "core/version.h"
#include "net/http_client.h"
#include "tests/connectors/hubspot/hubspot_fixture.h"
#include "tests/support/chromium.h"
#include "tests/support/file_faults.h"
#include "tests/support/prometheus_text.h"
#include "tests/support/test_http_server.h"

namespace salesaudit::testing {
namespace {

using std::chrono::seconds;
using Headers = std::vector<std::pair<std::string, std::string>>;

const std::string kBinary = SALESAUDIT_BINARY;
const std::vector<std::string> kStreams = {"owners", "contacts", "deals", "email_campaigns",
                                           "email_events"};
constexpr char kAnyPort[] = "status:\n  listen: 127.0.0.1:0\n";

// One request through libcurl; nullopt when no answer came (for polling).
std::optional<HttpResponse> TryFetch(const std::string& url, const std::string& method = "GET",
                                     Headers headers = {}) {
  HttpClient http(HttpClient::Options{.timeout = seconds(10)}, nullptr, nullptr);
  Result<HttpResponse> response =
      http.Send({.method = method, .url = url, .headers = std::move(headers)});
  if (!response.ok()) return std::nullopt;
  return *response;
}

size_t Occurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// A JSON text parsed; an empty document (kNullType) when it does not parse.
std::unique_ptr<rapidjson::Document> ParseJson(const std::string& text) {
  auto doc = std::make_unique<rapidjson::Document>();
  doc->Parse(text.c_str(), text.size());
  if (doc->HasParseError()) doc->SetNull();
  return doc;
}

// A sample's value, or -1 when the exposition lacks it (every value here is
// non-negative, and Catch prints a double where it would not an optional).
double ValueOf(const PrometheusExposition& metrics, const std::string& sample,
               const std::map<std::string, std::string>& labels = {}) {
  return metrics.Value(sample, labels).value_or(-1);
}

// An alerts section (`section_extra` lines first) with rule `leads`
// (funnel.leads > 0, then `rule_extra` lines) routed to a webhook on `receiver`.
std::string LeadsAlertTo(const TestHttpServer& receiver, const std::string& section_extra = "",
                         const std::string& rule_extra = "") {
  return "alerts:\n" + section_extra +
         "  rules:\n"
         "    - name: leads\n"
         "      when: funnel.leads > 0\n" +
         rule_extra +
         "  receivers:\n"
         "    - name: hook\n"
         "      type: webhook\n"
         "      url: " +
         receiver.base_url() +
         "/alerts\n"
         "  route:\n"
         "    receivers: [hook]\n";
}

// A `salesaudit run` on a small simulated portal, with its status server on
// a free port; the test reads the same store file.
struct DaemonFixture : HubSpotFixture {
  DaemonFixture() : HubSpotFixture(SmallPortal()) {
    config_path = dir.File("config.yaml");
    env = {{"TEST_HUBSPOT_TOKEN", options.token}};
  }

  // The simulator's connector with `status` as the status section, an audit
  // right after each sync that changed data, then the top-level `extra`.
  std::string ConfigText(const std::string& status = kAnyPort, const std::string& extra = "") {
    std::string yaml = ConfigYaml();
    const size_t at = yaml.find(kAnyPort);
    REQUIRE(at != std::string::npos);
    yaml.replace(at, std::string(kAnyPort).size(), status);
    return yaml + "audit:\n  every: 1h\n  min_interval: 0s\n" + extra;
  }
  void WriteConfig(const std::string& status = kAnyPort, const std::string& extra = "") {
    WriteFile(config_path, ConfigText(status, extra));
  }

  // Starts the daemon and waits for the port its log names.
  void Start() {
    daemon = std::make_unique<ChildProcess>(
        std::vector<std::string>{kBinary, "--config", config_path, "run"}, dir.path(), env);
    REQUIRE(WaitFor(
        [&] {
          port = PortFromLog(daemon->Stderr());
          return port != 0 || !daemon->running();
        },
        seconds(30)));
    INFO(daemon->Stderr());
    REQUIRE(port != 0);
  }

  // SIGTERM; the daemon exits 0.
  void Stop() {
    daemon->Signal(SIGTERM);
    CHECK(daemon->Wait(seconds(10)) == 0);
  }

  std::string Log() const { return daemon->Stdout() + daemon->Stderr(); }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port) + path;
  }

  HttpResponse Fetch(const std::string& path, const std::string& method = "GET",
                     Headers headers = {}) {
    auto response = TryFetch(Url(path), method, std::move(headers));
    INFO(method << " " << path);
    REQUIRE(response.has_value());
    return *response;
  }

  PrometheusExposition Metrics(Headers headers = {}) {
    HttpResponse response = Fetch("/metrics", "GET", std::move(headers));
    REQUIRE(response.status == 200);
    CHECK(response.Header("content-type") == "text/plain; version=0.0.4; charset=utf-8");
    auto parsed = ParsePrometheusText(response.body);
    INFO(response.body);
    INFO(parsed.status().message());
    REQUIRE(parsed.ok());
    return *parsed;
  }

  // Polls /metrics until `condition` holds on it.
  bool WaitForMetrics(const std::function<bool(const PrometheusExposition&)>& condition,
                      std::chrono::milliseconds timeout = seconds(30)) {
    return WaitFor(
        [&] {
          auto response = TryFetch(Url("/metrics"));
          if (!response || response->status != 200) return false;
          auto parsed = ParsePrometheusText(response->body);
          return parsed.ok() && condition(*parsed);
        },
        timeout);
  }

  // Every stream synced and the audit after that sync stored: the daemon
  // stores one snapshot at start and one after the first sync (which
  // changed data; an audit still running then is followed by another), and
  // with poll_interval and audit.every at 1h nothing more is due.
  void WaitUntilSettled() {
    const bool settled =
        WaitFor([&] { return Occurrences(daemon->Stderr(), "audit snapshot ") >= 2; }, seconds(60));
    INFO(Log());
    REQUIRE(settled);
  }

  // The latest stored snapshot, read through the test's own store handle.
  SnapshotRow LatestSnapshot() {
    auto latest = store->LatestSnapshot();
    REQUIRE(latest.ok());
    REQUIRE(latest->has_value());
    return **latest;
  }

  std::string config_path;
  std::map<std::string, std::string> env;
  std::unique_ptr<ChildProcess> daemon;
  uint16_t port = 0;
};

TEST_CASE("The daemon answers /healthz and /readyz, 404 for unknown paths and 405 for POST",
          "[daemon][status_endpoints]") {
  DaemonFixture f;
  f.WriteConfig();
  f.Start();

  HttpResponse health = f.Fetch("/healthz");
  CHECK(health.status == 200);
  CHECK(health.body == "ok\n");

  // The server answers before the schedules are armed: ready shortly after.
  REQUIRE(WaitFor(
      [&] {
        auto ready = TryFetch(f.Url("/readyz"));
        return ready && ready->status == 200;
      },
      seconds(10)));
  HttpResponse ready = f.Fetch("/readyz");
  CHECK(ready.body == "ok\n");
  HttpResponse verbose = f.Fetch("/readyz?verbose");
  CHECK(verbose.status == 200);
  INFO(verbose.body);
  CHECK_THAT(verbose.body, Catch::Contains("[+]store ok"));
  CHECK_THAT(verbose.body, Catch::Contains("[+]config ok"));
  CHECK_THAT(verbose.body, Catch::Contains("[+]schedules ok"));
  CHECK_THAT(verbose.body, !Catch::Contains("[-]"));
  CHECK_THAT(verbose.body, Catch::EndsWith("readyz check passed\n"));

  CHECK(f.Fetch("/nope").status == 404);
  CHECK(f.Fetch("/healthz/").status == 404);
  for (const char* path : {"/healthz", "/metrics", "/"}) {
    INFO(path);
    HttpResponse post = f.Fetch(path, "POST");
    CHECK(post.status == 405);
    CHECK(post.Header("allow") == "GET, HEAD");
  }
  f.Stop();
}

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
    CHECK(ValueOf(m, "salesaudit_syncs_total", with("result", "error")) == -1);
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
  CHECK(ValueOf(m, "salesaudit_snapshots_total", {{"result", "error"}}) == -1);
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
  CHECK(ValueOf(m, "salesaudit_config_reloads_total", {{"result", "success"}}) == -1);
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
  CHECK(ValueOf(valid, "salesaudit_config_reloads_total", {{"result", "failure"}}) == -1);
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

TEST_CASE("/api/v1/snapshot is the stored snapshot and /api/v1/status what `status` prints",
          "[daemon][status_endpoints]") {
  DaemonFixture f;
  f.WriteConfig();
  f.Start();
  f.WaitUntilSettled();

  // Compared only while the store's latest snapshot stayed the same around
  // the reads (the daemon may store one meanwhile; then read again).
  bool compared = false;
  for (int attempt = 0; attempt < 5 && !compared; ++attempt) {
    const SnapshotRow before = f.LatestSnapshot();
    HttpResponse snapshot = f.Fetch("/api/v1/snapshot");
    RunResult cli = RunProcess({kBinary, "--config", f.config_path, "status", "--format", "json"},
                               seconds(60), f.env);
    HttpResponse status = f.Fetch("/api/v1/status");
    if (f.LatestSnapshot().id != before.id) continue;
    compared = true;

    CHECK(snapshot.status == 200);
    CHECK(snapshot.Header("content-type") == "application/json");
    auto served_snapshot = ParseJson(snapshot.body);
    auto stored_snapshot = ParseJson(before.json);
    INFO("served: " << snapshot.body);
    INFO("stored: " << before.json);
    REQUIRE(served_snapshot->IsObject());
    REQUIRE(stored_snapshot->IsObject());
    CHECK(*served_snapshot == *stored_snapshot);

    INFO(cli.err);
    REQUIRE(cli.exit_code == 0);
    CHECK(status.status == 200);
    CHECK(status.Header("content-type") == "application/json");
    auto served_status = ParseJson(status.body);
    auto printed_status = ParseJson(cli.out);
    INFO("served: " << status.body);
    INFO("printed: " << cli.out);
    REQUIRE(served_status->IsObject());
    REQUIRE(printed_status->IsObject());
    CHECK(*served_status == *printed_status);
    // Not two empty documents: the streams and the snapshot are in it.
    REQUIRE((*served_status)["connectors"].IsArray());
    REQUIRE((*served_status)["connectors"].Size() == 1);
    CHECK((*served_status)["connectors"][0]["streams"].Size() == kStreams.size());
    REQUIRE((*served_status)["snapshot"].IsObject());
    CHECK((*served_status)["snapshot"]["id"].GetInt64() == before.id);
  }
  CHECK(compared);
  f.Stop();
}

TEST_CASE("With status.token_file only /healthz and /readyz answer without the bearer token",
          "[daemon][status_endpoints][secrets]") {
  DaemonFixture f;
  const std::string token = "statustok-5f2a91c7e3";
  const std::string token_file = f.dir.File("status_token");
  WriteFile(token_file, token + "\n");
  f.WriteConfig("status:\n  listen: 127.0.0.1:0\n  token_file: " + token_file + "\n",
                "log:\n  level: debug\n");
  f.Start();
  f.WaitUntilSettled();

  const Headers right = {{"Authorization", "Bearer " + token}};
  const Headers wrong = {{"Authorization", "Bearer " + token + "x"}};
  for (const char* path : {"/metrics", "/api/v1/snapshot", "/api/v1/status", "/"}) {
    INFO(path);
    HttpResponse without = f.Fetch(path);
    CHECK(without.status == 401);
    CHECK_THAT(without.Header("www-authenticate"), Catch::StartsWith("Bearer"));
    CHECK_THAT(without.body, !Catch::Contains(token));
    CHECK(f.Fetch(path, "GET", wrong).status == 401);
    HttpResponse with = f.Fetch(path, "GET", right);
    CHECK(with.status == 200);
    CHECK_FALSE(with.body.empty());
  }
  // The scrape with the token parses too.
  CHECK(f.Metrics(right).Find("salesaudit_syncs_total") != nullptr);
  for (const char* path : {"/healthz", "/readyz", "/readyz?verbose"}) {
    INFO(path);
    CHECK(f.Fetch(path).status == 200);
  }
  f.Stop();
  const std::string log = f.Log();
  INFO(log);
  CHECK_THAT(log, Catch::Contains("status server on http://127.0.0.1:"));
  CHECK_THAT(log, !Catch::Contains(token));
}

// The element carrying data-metric="key": its data-value and its text ("" when absent).
struct MetricElement {
  std::string value;
  std::string text;
};
MetricElement FindMetric(const std::string& html, const std::string& key) {
  const size_t at = html.find("data-metric=\"" + key + "\"");
  if (at == std::string::npos) return {};
  const size_t open_end = html.find('>', at);
  const size_t close = html.find('<', open_end);
  MetricElement element{.text = html.substr(open_end + 1, close - open_end - 1)};
  const std::string tag = html.substr(at, open_end - at);
  const std::string attribute = "data-value=\"";
  if (const size_t v = tag.find(attribute); v != std::string::npos) {
    const size_t from = v + attribute.size();
    element.value = tag.substr(from, tag.find('"', from) - from);
  }
  return element;
}

// 1234567 as the report shows counts: "1,234,567".
std::string WithThousands(int64_t n) {
  std::string digits = std::to_string(n);
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) digits.insert(i, ",");
  return digits;
}

TEST_CASE("The dashboard in headless Chromium shows the sync status and the snapshot and reloads",
          "[daemon][status_endpoints][browser]") {
  const std::string chromium = FindChromium();
  INFO("Chromium is not installed: run scripts/install-deps.sh (Debian package chromium)");
  REQUIRE_FALSE(chromium.empty());

  DaemonFixture f;
  f.WriteConfig("status:\n  listen: 127.0.0.1:0\n  dashboard_refresh: 1s\n");
  f.Start();
  f.WaitUntilSettled();
  const SnapshotRow latest = f.LatestSnapshot();
  auto snapshot = ParseJson(latest.json);
  REQUIRE(snapshot->IsObject());
  REQUIRE((*snapshot)["funnel"]["leads"].IsInt64());
  const int64_t leads = (*snapshot)["funnel"]["leads"].GetInt64();
  CHECK(leads > 0);

  HttpResponse page = f.Fetch("/");
  CHECK(page.status == 200);
  CHECK(page.Header("content-type") == "text/html; charset=utf-8");
  CHECK_THAT(page.body, Catch::Contains("<meta http-equiv=\"refresh\" content=\"1\">"));

  // Chromium talks to the daemon through a forwarding proxy that counts the
  // page loads. Under virtual time a meta refresh fires at once and
  // Chromium never reaches its budget while the page keeps reloading, so
  // from the fourth load on the proxy drops the refresh tag (and changes
  // nothing else): three reloads come from the daemon's page itself.
  const std::string refresh_tag = "<meta http-equiv=\"refresh\" content=\"1\">\n";
  const std::string daemon_url = f.Url("");
  int page_loads = 0;  // on the proxy's thread while Chromium runs
  TestHttpServer proxy;
  proxy.SetHandler([&](const TestHttpRequest& request) {
    auto answer = TryFetch(daemon_url + request.target, request.method);
    if (!answer) return TestHttpResponse{.status = 502};
    TestHttpResponse response{.status = static_cast<int>(answer->status), .body = answer->body};
    if (!answer->Header("content-type").empty()) {
      response.headers.emplace_back("Content-Type", answer->Header("content-type"));
    }
    if (request.target == "/" && ++page_loads > 3) {
      if (const size_t at = response.body.find(refresh_tag); at != std::string::npos) {
        response.body.erase(at, refresh_tag.size());
      }
    }
    return response;
  });
  const std::string url = proxy.base_url() + "/";

  TempDir browser_dir;
  RunResult dom = RunChromium(chromium, browser_dir, "profile-dom",
                              {"--dump-dom", "--virtual-time-budget=3000"}, url);
  INFO(dom.err);
  REQUIRE(dom.exit_code == 0);
  REQUIRE_THAT(dom.out, Catch::Contains("<h1>Sales audit</h1>"));
  CHECK_THAT(dom.out, Catch::Contains("<section id=\"sync-status\">"));
  for (const std::string& stream : kStreams) {
    INFO(stream);
    CHECK_THAT(dom.out, Catch::Contains("<tr data-stream=\"crm/" + stream + "\">"));
  }
  CHECK_THAT(dom.out, Catch::Contains("Every stream's last run succeeded."));
  CHECK_THAT(dom.out, Catch::Contains("Latest snapshot #" + std::to_string(latest.id) + " at "));
  const MetricElement shown = FindMetric(dom.out, "funnel.leads");
  CHECK(shown.value == std::to_string(leads));
  CHECK(shown.text == WithThousands(leads));
  const auto requests = proxy.requests();
  const auto gets = std::count_if(requests.begin(), requests.end(), [](const auto& r) {
    return r.method == "GET" && r.target == "/";
  });
  // The first load, three refreshes, and no more once the tag was gone.
  CHECK(gets == 4);

  const std::string shot = browser_dir.File("dashboard.png");
  RunResult screenshot =
      RunChromium(chromium, browser_dir, "profile-shot", {"--screenshot=" + shot}, url);
  INFO(screenshot.err);
  REQUIRE(screenshot.exit_code == 0);
  const std::string png = ReadFile(shot);
  REQUIRE(png.size() > 24);
  CHECK(png.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0);
  // A blank page of this size compresses to a few KiB.
  CHECK(png.size() > 30 * 1024);
  f.Stop();
}

TEST_CASE(
    "A hand-run audit for another window leaves the dashboard, the snapshot API and the alert "
    "values as the daemon's own audit left them",
    "[daemon][status_endpoints][audit]") {
  DaemonFixture f;
  TestHttpServer receiver;
  receiver.SetHandler([](const TestHttpRequest&) { return TestHttpResponse{.status = 200}; });
  f.WriteConfig(kAnyPort, LeadsAlertTo(receiver, "  evaluate_every: 1s\n"));
  f.Start();
  f.WaitUntilSettled();
  REQUIRE(f.WaitForMetrics([](const PrometheusExposition& m) {
    return ValueOf(m, "salesaudit_alerts", {{"alertname", "leads"}, {"state", "firing"}}) == 1;
  }));
  const SnapshotRow live = f.LatestSnapshot();
  const int64_t live_leads = (*ParseJson(live.json))["funnel"]["leads"].GetInt64();
  auto alert_value = [&]() -> double {
    auto states = f.store->AlertStates();
    REQUIRE(states.ok());
    REQUIRE(states->size() == 1);
    return (*states)[0].value.value_or(-1);
  };
  CHECK(alert_value() == static_cast<double>(live_leads));

  RunResult by_hand = RunProcess({kBinary, "--config", f.config_path, "audit", "--from",
                                  "2020-01-01", "--to", "2020-02-01", "--format", "json"},
                                 seconds(60), f.env);
  INFO(by_hand.err);
  REQUIRE(by_hand.exit_code == 0);
  auto hand_snapshot = ParseJson(by_hand.out);
  REQUIRE(hand_snapshot->IsObject());
  REQUIRE((*hand_snapshot)["funnel"]["leads"].GetInt64() < live_leads);

  // Two alert rounds later (rounds run every second) nothing read the
  // hand-run snapshot.
  const double rounds = ValueOf(f.Metrics(), "salesaudit_alert_rounds_total", {{"result", "ok"}});
  REQUIRE(f.WaitForMetrics([&](const PrometheusExposition& m) {
    return ValueOf(m, "salesaudit_alert_rounds_total", {{"result", "ok"}}) >= rounds + 2;
  }));
  CHECK(alert_value() == static_cast<double>(live_leads));
  CHECK(f.LatestSnapshot().id == live.id);
  HttpResponse api = f.Fetch("/api/v1/snapshot");
  CHECK(api.status == 200);
  CHECK(*ParseJson(api.body) == *ParseJson(live.json));
  HttpResponse page = f.Fetch("/");
  CHECK(FindMetric(page.body, "funnel.leads").value == std::to_string(live_leads));

  // The history keeps the hand-run snapshot, marked for what it was.
  auto one_off = f.store->LatestSnapshot(SnapshotPurpose::kOneOff);
  REQUIRE(one_off.ok());
  REQUIRE(one_off->has_value());
  CHECK((*one_off)->window_from == ParseTimestampMs("2020-01-01T00:00:00Z"));
  f.Stop();
}

// The config `f` writes, with the store at `store_path` instead.
std::string WithStore(DaemonFixture& f, const std::string& store_path) {
  std::string yaml = f.ConfigText();
  const std::string current = "path: " + f.dir.File("salesaudit.db");
  const size_t at = yaml.find(current);
  REQUIRE(at != std::string::npos);
  return yaml.replace(at, current.size(), "path: " + store_path);
}

TEST_CASE(
    "Under umask 022 the daemon's store files are 0600, and store backup and check work "
    "beside it",
    "[daemon][store]") {
  DaemonFixture f;
  // A store the daemon creates itself (the fixture's own file exists already).
  const std::string store_path = f.dir.File("own.db");
  WriteFile(f.config_path, WithStore(f, store_path));
  {
    ScopedUmask umask_022(022);
    f.Start();
  }
  f.WaitUntilSettled();
  for (const char* suffix : {"", "-wal", "-shm"}) {
    INFO(store_path + suffix);
    CHECK(FileMode(store_path + suffix) == 0600);
  }

  // An online backup while the daemon runs, checked and owner-only.
  const std::string backup = f.dir.File("backup.db");
  RunResult copied;
  {
    ScopedUmask umask_022(022);
    copied = RunProcess({kBinary, "--config", f.config_path, "store", "backup", backup},
                        seconds(60), f.env);
  }
  INFO(copied.out << copied.err);
  REQUIRE(copied.exit_code == 0);
  CHECK(FileMode(backup) == 0600);
  RunResult check = RunProcess({kBinary, "store", "check", backup});
  CHECK(check.exit_code == 0);
  CHECK_THAT(check.out, Catch::Contains("store " + backup + ": ok"));
  RunResult check_live =
      RunProcess({kBinary, "--config", f.config_path, "store", "check"}, seconds(60), f.env);
  CHECK(check_live.exit_code == 0);
  f.Stop();

  // The same copy with 64 KB of garbage inside: check names the damage, and
  // a command that opens it reports the damage rather than carrying on.
  WriteGarbage(backup);
  RunResult damaged = RunProcess({kBinary, "store", "check", backup});
  INFO(damaged.out << damaged.err);
  CHECK(damaged.exit_code == 1);
  CHECK_THAT(damaged.out, Catch::Contains("store " + backup + ": DAMAGED") &&
                              Catch::Contains("Recovering a damaged store"));
  WriteFile(f.config_path, WithStore(f, backup));
  RunResult status = RunProcess({kBinary, "--config", f.config_path, "status"}, seconds(60), f.env);
  CHECK(status.exit_code == 1);
  CHECK_THAT(status.err, Catch::Contains(backup) && Catch::Contains("damaged"));
}

TEST_CASE("A store file deleted under the running daemon makes /readyz 503 and syncs fail",
          "[daemon][store]") {
  DaemonFixture f;
  // Syncs every second, so that one runs after the deletion.
  std::string yaml = f.ConfigText();
  const size_t interval = yaml.find("poll_interval: 1h");
  REQUIRE(interval != std::string::npos);
  WriteFile(f.config_path, yaml.replace(interval, 17, "poll_interval: 1s"));
  f.Start();
  REQUIRE(WaitFor(
      [&] {
        auto ready = TryFetch(f.Url("/readyz"));
        return ready && ready->status == 200;
      },
      seconds(10)));
  CHECK(ValueOf(f.Metrics(), "salesaudit_store_healthy") == 1);

  const std::string store_path = f.dir.File("salesaudit.db");
  REQUIRE(unlink(store_path.c_str()) == 0);
  HttpResponse verbose = f.Fetch("/readyz?verbose");
  INFO(verbose.body);
  CHECK(verbose.status == 503);
  CHECK_THAT(verbose.body,
             Catch::Contains("[-]store failed: store file " + store_path + " was removed"));
  CHECK_THAT(verbose.body, !Catch::Contains("[+]store ok"));
  CHECK(f.Fetch("/readyz").status == 503);
  CHECK(ValueOf(f.Metrics(), "salesaudit_store_healthy") == 0);
  // The loop notices too, and says so once in the log.
  CHECK(WaitFor([&] { return f.Log().find("store unhealthy (removed)") != std::string::npos; },
                seconds(10)));
  // A sync after the deletion fails, saying why, rather than committing
  // into the unlinked file.
  CHECK(WaitFor(
      [&] {
        const std::string log = f.Log();
        const size_t failed = log.find("FAILED");
        return failed != std::string::npos &&
               log.find("nothing more is committed", failed) != std::string::npos;
      },
      seconds(20)));
  CHECK(ValueOf(f.Metrics(), "salesaudit_store_errors_total", {{"kind", "removed"}}) >= 1);
  f.Stop();
}

// A tmpfs mounted on a directory for one test, unmounted after.
class TmpfsMount {
 public:
  TmpfsMount(const std::string& dir, const std::string& size) : dir_(dir) {
    std::filesystem::create_directory(dir_);
    const std::string options = "size=" + size + ",mode=0700";
    mounted_ = mount("tmpfs", dir_.c_str(), "tmpfs", 0, options.c_str()) == 0;
    error_ = mounted_ ? "" : std::strerror(errno);
  }
  ~TmpfsMount() {
    if (mounted_) umount2(dir_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }

 private:
  std::string dir_;
  bool mounted_ = false;
  std::string error_;
};

// Sets RLIMIT_FSIZE for the processes this one starts while it lives:
// their writes past `bytes` into any file fail with EFBIG (SIGXFSZ ignored).
class FileSizeLimit {
 public:
  explicit FileSizeLimit(uint64_t bytes) {
    signal(SIGXFSZ, SIG_IGN);
    getrlimit(RLIMIT_FSIZE, &saved_);
    rlimit limit = saved_;
    limit.rlim_cur = bytes;
    setrlimit(RLIMIT_FSIZE, &limit);
  }
  ~FileSizeLimit() { setrlimit(RLIMIT_FSIZE, &saved_); }

 private:
  rlimit saved_{};
};

// A 2 MB tmpfs filled but for 40 KiB: enough to open the store and its WAL
// index, not for the first sync. Where no tmpfs can be mounted (no
// CAP_SYS_ADMIN), the daemon runs under a file-size limit 40 KiB above the
// store instead: its writes then fail with EFBIG, an I/O error to SQLite.
TEST_CASE("A full file system under the store makes /readyz 503 and the store metrics say so",
          "[daemon][store]") {
  DaemonFixture f;
  const std::string mount_dir = f.dir.File("small");
  TmpfsMount small(mount_dir, "2m");
  const std::string store_path = mount_dir + "/salesaudit.db";
  REQUIRE(Store::Open(store_path).ok());
  WriteFile(f.config_path, WithStore(f, store_path));
  std::vector<std::string> kinds = {"full"};
  if (small.mounted()) {
    struct statvfs fs {};
    REQUIRE(statvfs(mount_dir.c_str(), &fs) == 0);
    const uint64_t free_bytes = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
    REQUIRE(free_bytes > 40 * 1024);
    WriteFile(mount_dir + "/filler", std::string(free_bytes - 40 * 1024, 'x'));
    f.Start();
  } else {
    WARN("tmpfs not mounted (" << small.error() << "): using a file-size limit");
    kinds = {"io", "full"};
    FileSizeLimit limit(std::filesystem::file_size(store_path) + 40 * 1024);
    f.Start();
  }

  const bool failed = f.WaitForMetrics([&](const PrometheusExposition& m) {
    double errors = 0;
    for (const auto& kind : kinds) {
      errors += m.Value("salesaudit_store_errors_total", {{"kind", kind}}).value_or(0);
    }
    return errors >= 1 && m.Value("salesaudit_store_healthy").value_or(-1) == 0;
  });
  INFO(f.Log());
  REQUIRE(failed);
  HttpResponse verbose = f.Fetch("/readyz?verbose");
  INFO(verbose.body);
  CHECK(verbose.status == 503);
  CHECK_THAT(verbose.body, Catch::Contains("[-]store failed: cannot commit"));
  if (small.mounted()) CHECK_THAT(verbose.body, Catch::Contains("full"));
  CHECK(f.Fetch("/healthz").status == 200);
  f.Stop();
}

}  // namespace
}  // namespace salesaudit::testing

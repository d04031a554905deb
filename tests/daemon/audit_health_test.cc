// Issue 11 items 2 and 3 end to end: the real `salesaudit run` on a real
// store file holding what a BI tool or an older salesaudit may have written
// (deal amounts of 1e308, dates in year -3 million, a snapshot stored as
// invalid JSON), and on a store that refuses the audit's and the alert
// round's writes. The daemon must keep its snapshot valid and small, and
// /readyz, /metrics and the built-in alert checks must tell the truth. And
// issue 17: SIGTERM cancels an audit in flight without a snapshot.
#include <rapidjson/document.h>
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/time_util.h"
#include "net/http_client.h"
#include "store/store.h"
#include "tests/support/build_flavor.h"
#include "tests/support/file_faults.h"
#include "tests/support/prometheus_text.h"
#include "tests/support/sql_exec.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_http_server.h"

namespace salesaudit::testing {
namespace {

// What a BI tool (or an older salesaudit) may have written into the store.
void Sql(const std::string& path, const std::string& sql) {
  INFO(sql);
  REQUIRE(ExecSql(path, sql) == "");
}

using std::chrono::seconds;

constexpr int64_t kDayMs = 24LL * 3600 * 1000;

std::optional<HttpResponse> TryFetch(const std::string& url) {
  HttpClient http(HttpClient::Options{.timeout = seconds(10)}, nullptr, nullptr);
  Result<HttpResponse> response = http.Send({.method = "GET", .url = url});
  if (!response.ok()) return std::nullopt;
  return *response;
}

// `salesaudit run` without connectors, auditing every second, on a store
// file the test writes into with plain SQL first.
struct AuditDaemon {
  AuditDaemon() {
    auto opened = Store::Open(store_path);  // the schema, as the daemon makes it
    REQUIRE(opened.ok());
  }
  ~AuditDaemon() {
    if (daemon && daemon->running()) daemon->Signal(SIGTERM), daemon->Wait(seconds(10));
  }

  void Start(const std::string& extra_yaml) {
    WriteFile(config_path, "store:\n  path: " + store_path +
                               "\nstatus:\n  listen: 127.0.0.1:0\n"
                               "audit:\n  every: 1s\n  min_interval: 0s\n" +
                               extra_yaml);
    daemon = std::make_unique<ChildProcess>(
        std::vector<std::string>{SALESAUDIT_BINARY, "--config", config_path, "run"}, dir.path());
    const std::string marker = "status server on http://127.0.0.1:";
    REQUIRE(WaitFor(
        [&] {
          const std::string log = daemon->Stderr();
          const size_t at = log.find(marker);
          if (at != std::string::npos) {
            port = static_cast<uint16_t>(std::stoi(log.substr(at + marker.size())));
          }
          return port != 0 || !daemon->running();
        },
        seconds(30)));
    INFO(daemon->Stderr());
    REQUIRE(port != 0);
  }

  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port) + path;
  }

  HttpResponse Fetch(const std::string& path) {
    auto response = TryFetch(Url(path));
    INFO(path);
    REQUIRE(response.has_value());
    return *response;
  }

  // Polls /metrics until `condition` holds.
  bool WaitForMetrics(const std::function<bool(const PrometheusExposition&)>& condition) {
    return WaitFor(
        [&] {
          auto response = TryFetch(Url("/metrics"));
          if (!response || response->status != 200) return false;
          auto parsed = ParsePrometheusText(response->body);
          return parsed.ok() && condition(*parsed);
        },
        seconds(30));
  }

  // Polls /readyz?verbose until its status is `status` and its body holds `text`.
  bool WaitForReadiness(int status, const std::string& text) {
    return WaitFor(
        [&] {
          auto response = TryFetch(Url("/readyz?verbose"));
          return response && response->status == status &&
                 response->body.find(text) != std::string::npos;
        },
        seconds(30));
  }

  TempDir dir;
  std::string store_path = dir.File("store.db");
  std::string config_path = dir.File("config.yaml");
  std::unique_ptr<ChildProcess> daemon;
  uint16_t port = 0;
};

// Stores `pages` pages of 10,000 contacts of source crm, created yesterday,
// in the store at `path`.
void StoreContacts(const std::string& path, int pages) {
  auto store = Store::Open(path);
  REQUIRE(store.ok());
  for (int page_no = 0; page_no < pages; ++page_no) {
    Page page;
    page.stream = "contacts";
    page.cursor = std::to_string(page_no);
    for (int i = 0; i < 10000; ++i) {
      Contact c;
      c.id = std::to_string(page_no) + "-" + std::to_string(i);
      c.email = "person" + c.id + "@example.com";
      c.created_at = NowMs() - kDayMs;
      page.contacts.push_back(std::move(c));
    }
    REQUIRE((*store)->CommitPage("crm", page).ok());
  }
}

double ValueOf(const PrometheusExposition& m, const std::string& sample,
               const std::map<std::string, std::string>& labels = {}) {
  return m.Value(sample, labels).value_or(-1);
}

TEST_CASE(
    "Amounts of 1e308 and absurd dates in the store leave the daemon's snapshot valid and small, "
    "and /readyz, /metrics and the dashboard honest",
    "[daemon][audit_health]") {
  AuditDaemon f;
  const int64_t now = NowMs();
  const std::string created = std::to_string(now - 20 * kDayMs);
  const std::string closed = std::to_string(now - 10 * kDayMs);
  // The contacts' dates: year -3 million and 0001-01-01, as epoch ms; and
  // the snapshot an older salesaudit stored for the same amounts.
  Sql(f.store_path,
      "INSERT INTO contacts (source, id, created_at) VALUES ('bi', 'c1', " + created +
          "), ('bi', 'ancient', -99999999999999999), ('bi', 'year1', -62135596800000);"
          "INSERT INTO deals (source, id, amount, is_won, is_closed, closed_at) VALUES "
          "('bi', 'd1', 1e308, 1, 1, " +
          closed + "), ('bi', 'd2', 1.5e308, 1, 1, " + closed +
          ");"
          "INSERT INTO deal_contacts (source, deal_id, contact_id) VALUES "
          "('bi', 'd1', 'c1'), ('bi', 'd2', 'c1');"
          "INSERT INTO audit_snapshots (computed_at, json) VALUES (" +
          std::to_string(now - 60000) + ", '{\"revenue\":{\"total\":,\"won_deals\":2}}');");
  f.Start(
      "alerts:\n"
      "  evaluate_every: 1s\n"
      "  rules:\n"
      "    - {name: revenue, when: revenue.total > 0}\n"
      "    - {name: stale, snapshot_stale: 1h}\n");

  // Audited, and an alert round ran on the new snapshot.
  const bool settled = f.WaitForMetrics([](const PrometheusExposition& m) {
    return ValueOf(m, "salesaudit_snapshots_total", {{"result", "ok"}}) >= 1 &&
           ValueOf(m, "salesaudit_alert_rounds_total", {{"result", "ok"}}) >= 1;
  });
  INFO(f.daemon->Stderr());
  REQUIRE(settled);
  REQUIRE(f.WaitForReadiness(200, "[+]alerts ok"));

  HttpResponse api = f.Fetch("/api/v1/snapshot");
  CHECK(api.status == 200);
  CHECK(api.body.size() < 20000);
  rapidjson::Document doc;
  doc.Parse(api.body.c_str(), api.body.size());
  INFO(api.body);
  REQUIRE_FALSE(doc.HasParseError());
  CHECK(doc["revenue"]["total"].GetDouble() == 0);
  CHECK(doc["revenue"]["won_deals"].GetInt64() == 2);
  CHECK(doc["data_quality"]["implausible_amounts"]["count"].GetInt64() == 2);
  CHECK(doc["data_quality"]["implausible_dates"]["count"].GetInt64() == 2);
  CHECK(doc["lead_volume"]["series"].Size() <= 4);

  HttpResponse ready = f.Fetch("/readyz?verbose");
  CHECK(ready.status == 200);
  CHECK_THAT(ready.body, Catch::Contains("[+]audit ok") && Catch::Contains("[+]alerts ok"));
  CHECK(f.Fetch("/").status == 200);

  auto metrics = ParsePrometheusText(f.Fetch("/metrics").body);
  REQUIRE(metrics.ok());
  CHECK(ValueOf(*metrics, "salesaudit_snapshots_total", {{"result", "error"}}) == 0);
  const double now_s = static_cast<double>(NowMs()) / 1000;
  CHECK(ValueOf(*metrics, "salesaudit_snapshot_last_success_timestamp_seconds") > now_s - 60);
  CHECK(ValueOf(*metrics, "salesaudit_alert_round_last_success_timestamp_seconds") > now_s - 60);
  if (kMemoryGoalsApply) {
    CHECK(ValueOf(*metrics, "process_resident_memory_bytes") < 64.0 * 1024 * 1024);
  }
  f.daemon->Signal(SIGTERM);
  CHECK(f.daemon->Wait(seconds(10)) == 0);
}

TEST_CASE(
    "A failing audit and a failing alert round turn /readyz 503 with the reason, count in "
    "/metrics and fire snapshot_stale, until they succeed again",
    "[daemon][audit_health]") {
  AuditDaemon f;
  TestHttpServer receiver;
  receiver.SetHandler([](const TestHttpRequest&) { return TestHttpResponse{.status = 200}; });
  Sql(f.store_path,
      "CREATE TRIGGER refuse_snapshots BEFORE INSERT ON audit_snapshots "
      "BEGIN SELECT RAISE(ABORT, 'snapshots refused by the test'); END;");
  f.Start(
      "alerts:\n"
      "  evaluate_every: 1s\n"
      "  rules:\n"
      "    - {name: stale, snapshot_stale: 2s}\n"
      "  receivers:\n"
      "    - {name: hook, type: webhook, url: '" +
      receiver.base_url() +
      "/alerts'}\n"
      "  route: {receivers: [hook]}\n");

  {
    const bool refused = f.WaitForReadiness(
        503, "[-]audit failed: the last audit failed: audit: saving the snapshot: ");
    INFO(f.daemon->Stderr());
    REQUIRE(refused);
  }
  CHECK_THAT(f.Fetch("/readyz?verbose").body, Catch::Contains("snapshots refused by the test") &&
                                                  Catch::EndsWith("readyz check failed\n"));
  CHECK(f.Fetch("/readyz").status == 503);
  // No snapshot for longer than 2 s: the built-in check fires and is delivered.
  {
    const bool fired = f.WaitForMetrics([](const PrometheusExposition& m) {
      return ValueOf(m, "salesaudit_snapshots_total", {{"result", "error"}}) >= 2 &&
             ValueOf(m, "salesaudit_snapshot_last_success_timestamp_seconds") == 0 &&
             ValueOf(m, "salesaudit_alerts", {{"alertname", "stale"}, {"state", "firing"}}) == 1;
    });
    INFO(f.daemon->Stderr());
    REQUIRE(fired);
  }
  REQUIRE(WaitFor(
      [&] {
        for (const TestHttpRequest& r : receiver.requests()) {
          if (r.body.find("\"alertname\":\"stale\"") != std::string::npos) return true;
        }
        return false;
      },
      seconds(30)));

  // The store refuses the alert round too.
  Sql(f.store_path,
      "CREATE TRIGGER refuse_alerts BEFORE INSERT ON alert_states "
      "BEGIN SELECT RAISE(ABORT, 'alert states refused by the test'); END;");
  {
    const bool failing = f.WaitForReadiness(503, "[-]alerts failed: the last alert round failed: ");
    INFO(f.daemon->Stderr());
    REQUIRE(failing);
  }
  CHECK_THAT(f.Fetch("/readyz?verbose").body, Catch::Contains("alert states refused by the test"));
  CHECK(f.WaitForMetrics([](const PrometheusExposition& m) {
    return ValueOf(m, "salesaudit_alert_rounds_total", {{"result", "error"}}) >= 1;
  }));

  // Both recover: ready again, with fresh success times.
  Sql(f.store_path, "DROP TRIGGER refuse_snapshots; DROP TRIGGER refuse_alerts;");
  {
    const bool recovered = f.WaitForReadiness(200, "[+]audit ok\n[+]alerts ok\n");
    INFO(f.daemon->Stderr());
    REQUIRE(recovered);
  }
  CHECK(f.WaitForMetrics([](const PrometheusExposition& m) {
    return ValueOf(m, "salesaudit_snapshot_last_success_timestamp_seconds") > 0 &&
           ValueOf(m, "salesaudit_alert_round_last_success_timestamp_seconds") > 0;
  }));
  f.daemon->Signal(SIGTERM);
  CHECK(f.daemon->Wait(seconds(10)) == 0);
}

TEST_CASE(
    "SIGTERM during an audit cancels it: the daemon exits 0, logs the cancel and stores no "
    "snapshot",
    "[daemon][audit_health]") {
  AuditDaemon f;
  // Enough contacts that the audit is still reading them when the signal
  // comes, right after it logs its start: 200,000 take it about 0.8 s here,
  // some 40 times the 20 ms the test takes to see the line.
  StoreContacts(f.store_path, 20);
  f.Start("log:\n  level: debug\n");
  {
    const bool auditing = WaitFor(
        [&] {
          return f.daemon->Stderr().find("audit: computing the live snapshot") !=
                     std::string::npos ||
                 !f.daemon->running();
        },
        seconds(30));
    INFO(f.daemon->Stderr());
    REQUIRE(auditing);
  }
  f.daemon->Signal(SIGTERM);
  CHECK(f.daemon->Wait(seconds(10)) == 0);
  const std::string log = f.daemon->Stderr();
  INFO(log);
  CHECK_THAT(log, Catch::Contains("audit cancelled"));
  CHECK_THAT(log, !Catch::Contains("audit snapshot ") && !Catch::Contains("[error]"));
  auto store = Store::OpenReadOnly(f.store_path);
  REQUIRE(store.ok());
  auto latest = (*store)->LatestSnapshot();
  REQUIRE(latest.ok());
  CHECK_FALSE(latest->has_value());
}

TEST_CASE(
    "A store the integrity check at open finds damaged stops the daemon with exit 1 and takes "
    "no commit",
    "[daemon][audit_health]") {
  AuditDaemon f;
  StoreContacts(f.store_path, 1);  // 1 MB, for the garbage to land in
  WriteGarbage(f.store_path);
  const std::string damaged = ReadFile(f.store_path);
  // The status server answers before the check ends; the check's finding
  // then stops the daemon as a damaged store stopped its start before.
  f.Start("");
  CHECK(f.daemon->Wait(seconds(30)) == 1);
  const std::string log = f.daemon->Stderr();
  INFO(log);
  CHECK_THAT(log, Catch::Contains("cannot open store: ") && Catch::Contains("damaged") &&
                      Catch::Contains(f.store_path));
  // The status server was up before the check's finding was known.
  CHECK(log.find("status server on") < log.find("cannot open store: "));
  CHECK_THAT(log, !Catch::Contains("audit snapshot "));
  const bool unchanged = ReadFile(f.store_path) == damaged;
  CHECK(unchanged);
}

}  // namespace
}  // namespace salesaudit::testing

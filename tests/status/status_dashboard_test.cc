// The daemon's live dashboard end to end: loaded by headless Chromium
// (Debian's `chromium`; a missing Chromium fails the test) from the real
// `salesaudit run`, and checked against the snapshot API and the store after a
// hand-run audit.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "core/time_util.h"
#include "tests/status/status_endpoints_fixture.h"
#include "tests/support/chromium.h"

namespace salesaudit::testing {
namespace {

using std::chrono::seconds;

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
  CHECK_THAT(dom.out, Catch::Contains("<td class=\"label\">changes through "));
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

}  // namespace
}  // namespace salesaudit::testing

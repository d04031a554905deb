// The README's demo, as a user runs it with --serve: scripts/demo.sh starts
// the four simulators, syncs and audits, then keeps them up under the daemon
// and prints the dashboard's URL; Ctrl-C stops everything. The binaries are
// this build's (SALESAUDIT_DEMO_SKIP_BUILD).
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "net/http_client.h"
#include "tests/support/subprocess.h"

namespace salesaudit::testing {
namespace {

using std::chrono::seconds;

std::optional<HttpResponse> TryGet(const std::string& url) {
  HttpClient http(HttpClient::Options{.timeout = seconds(10)}, nullptr, nullptr);
  Result<HttpResponse> response = http.Send({.url = url});
  if (!response.ok()) return std::nullopt;
  return *response;
}

// The first match of `pattern`'s group 1 in the demo's output so far.
std::string Captured(const ChildProcess& demo, const std::string& pattern) {
  const std::string out = demo.Stdout();
  std::smatch match;
  return std::regex_search(out, match, std::regex(pattern)) ? match[1].str() : "";
}

TEST_CASE(
    "The demo with --serve keeps the simulators up under the daemon, whose dashboard answers, "
    "and Ctrl-C stops them all",
    "[demo]") {
  TempDir dir;
  const std::string build_dir = std::filesystem::path(SALESAUDIT_BINARY).parent_path().string();
  ChildProcess demo({std::string(SALESAUDIT_SOURCE_DIR) + "/scripts/demo.sh", "--serve"},
                    dir.path(),
                    {{"SALESAUDIT_DEMO_SKIP_BUILD", "1"},
                     {"SALESAUDIT_BUILD_DIR", build_dir},
                     {"SALESAUDIT_DEMO_DIR", dir.File("demo")}});
  const bool served = WaitFor(
      [&] { return !Captured(demo, "\nDashboard: (http://[^ ]+) ").empty() || !demo.running(); },
      seconds(240));
  INFO(demo.Stdout() << demo.Stderr());
  REQUIRE(served);
  const std::string dashboard = Captured(demo, "\nDashboard: (http://[^ ]+) ");
  REQUIRE(!dashboard.empty());
  // The one-shot part ran first: the audit and the report.
  CHECK(demo.Stdout().find("== salesaudit audit --format text") != std::string::npos);
  CHECK(std::filesystem::exists(dir.File("demo/report.html")));

  const auto page = TryGet(dashboard);
  REQUIRE(page.has_value());
  CHECK(page->status == 200);
  CHECK(page->body.find("<html") != std::string::npos);
  // The daemon syncs against the simulators the demo kept running.
  const std::string synced =
      "salesaudit_syncs_total{connector=\"hubspot\",stream=\"contacts\",result=\"ok\"} 1";
  const bool daemon_synced = WaitFor(
      [&] {
        const auto metrics = TryGet(dashboard + "metrics");
        return metrics && metrics->body.find(synced) != std::string::npos;
      },
      seconds(120));
  CHECK(daemon_synced);

  const std::vector<std::string> simulators = {Captured(demo, "\nHubSpot +(http://[^ ]+) "),
                                               Captured(demo, "\nMailchimp +(http://[^ ]+) "),
                                               Captured(demo, "\nSalesforce +(http://[^ ]+) "),
                                               Captured(demo, "\nPipedrive +(http://[^ ]+) ")};
  for (const std::string& url : simulators) CHECK(!url.empty());

  demo.Signal(SIGINT);
  CHECK(demo.Wait(seconds(30)) == 130);
  // Nothing the demo started answers any more.
  CHECK_FALSE(TryGet(dashboard).has_value());
  for (const std::string& url : simulators) {
    INFO(url);
    if (!url.empty()) CHECK_FALSE(TryGet(url).has_value());
  }
}

}  // namespace
}  // namespace salesaudit::testing

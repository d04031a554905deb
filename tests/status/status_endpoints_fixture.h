// What the tests of the daemon's status endpoints share: `salesaudit run` on
// a small simulated HubSpot portal with its status server on a free port
// (DaemonFixture), a libcurl fetch that tolerates no answer (for polling),
// and readers of the JSON and Prometheus text the endpoints serve. Each
// helper fails the running Catch2 test when its step fails.
#pragma once

#include <rapidjson/document.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "net/http_client.h"
#include "tests/connectors/hubspot/hubspot_fixture.h"
#include "tests/support/prometheus_text.h"
#include "tests/support/test_http_server.h"

namespace salesaudit::testing {

using Headers = std::vector<std::pair<std::string, std::string>>;

extern const std::string kBinary;  // the salesaudit binary under test
// The streams of the simulator's connector.
extern const std::vector<std::string> kStreams;
inline constexpr char kAnyPort[] = "status:\n  listen: 127.0.0.1:0\n";

// One request through libcurl; nullopt when no answer came (for polling).
std::optional<HttpResponse> TryFetch(const std::string& url, const std::string& method = "GET",
                                     Headers headers = {});

size_t Occurrences(const std::string& text, const std::string& what);

// A JSON text parsed; an empty document (kNullType) when it does not parse.
std::unique_ptr<rapidjson::Document> ParseJson(const std::string& text);

// A sample's value, or -1 when the exposition lacks it (every value here is
// non-negative, and Catch prints a double where it would not an optional).
double ValueOf(const PrometheusExposition& metrics, const std::string& sample,
               const std::map<std::string, std::string>& labels = {});

// An alerts section (`section_extra` lines first) with one rule, `rule`
// (`when`, then `rule_extra` lines), routed to a webhook on `receiver`.
std::string AlertTo(const TestHttpServer& receiver, const std::string& rule,
                    const std::string& when, const std::string& section_extra = "",
                    const std::string& rule_extra = "");
// AlertTo with rule `leads`: funnel.leads > 0.
std::string LeadsAlertTo(const TestHttpServer& receiver, const std::string& section_extra = "",
                         const std::string& rule_extra = "");

// A `salesaudit run` on a small simulated portal, with its status server on
// a free port; the test reads the same store file. Used from the test's
// thread only.
struct DaemonFixture : HubSpotFixture {
  DaemonFixture();

  // The simulator's connector with `status` as the status section, an audit
  // right after each sync that changed data, then the top-level `extra`.
  std::string ConfigText(const std::string& status = kAnyPort, const std::string& extra = "");
  void WriteConfig(const std::string& status = kAnyPort, const std::string& extra = "");

  // Starts the daemon and waits for the port its log names.
  void Start();
  // SIGTERM; the daemon exits 0.
  void Stop();

  std::string Log() const;
  std::string Url(const std::string& path) const;

  HttpResponse Fetch(const std::string& path, const std::string& method = "GET",
                     Headers headers = {});
  PrometheusExposition Metrics(Headers headers = {});

  // Polls /metrics until `condition` holds on it.
  bool WaitForMetrics(const std::function<bool(const PrometheusExposition&)>& condition,
                      std::chrono::milliseconds timeout = std::chrono::seconds(30));

  // Every stream synced and the audit after that sync stored: the daemon
  // stores one snapshot at start and one after the first sync (which
  // changed data; an audit still running then is followed by another), and
  // with poll_interval and audit.every at 1h nothing more is due.
  void WaitUntilSettled();

  // The latest stored snapshot, read through the test's own store handle.
  SnapshotRow LatestSnapshot();

  std::string config_path;
  std::map<std::string, std::string> env;
  std::unique_ptr<ChildProcess> daemon;
  uint16_t port = 0;
};

}  // namespace salesaudit::testing

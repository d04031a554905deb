// The daemon's scheduling promises and its JSON logs, end to end: the real
// salesaudit binary against simulators on loopback, a real SQLite file.
#include <rapidjson/document.h>
#include <signal.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <functional>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

#include "connectors/connector.h"
#include "net/http_client.h"
#include "tests/connectors/hubspot/hubspot_fixture.h"
#include "tests/support/test_http_server.h"

namespace salesaudit::testing {
namespace {

const std::string kBinary = SALESAUDIT_BINARY;

// Every stream of the hubspot connector, in the order a run syncs them.
std::vector<std::string> HubspotStreams() {
  return BuiltinConnectors().Find("hubspot")->StreamNames();
}

sim::PortalSpec Portal(int contacts) {
  sim::PortalSpec spec;
  spec.seed = 23;
  spec.contacts = contacts;
  spec.deals = 120;
  spec.owners = 4;
  return spec;
}

// A connectors: list item for the config file.
std::string ConnectorYaml(const std::string& name, const std::string& base_url,
                          const std::string& poll_interval) {
  return "  - name: " + name +
         "\n"
         "    type: hubspot\n"
         "    base_url: " +
         base_url +
         "\n"
         "    auth: {token: \"${TEST_HUBSPOT_TOKEN}\"}\n"
         "    poll_interval: " +
         poll_interval +
         "\n"
         "    rate_limit: off\n"
         "    retry_backoff: 5ms\n"
         "    retry_backoff_max: 200ms\n";
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The stream of each "sync CONNECTOR STREAM: ..." summary line, in order.
std::vector<std::string> SyncedStreams(const std::string& log, const std::string& connector) {
  std::vector<std::string> streams;
  const std::regex summary("\\] sync " + connector + " (\\w+): ");
  for (const auto& line : Lines(log)) {
    std::smatch m;
    if (std::regex_search(line, m, summary)) streams.push_back(m[1]);
  }
  return streams;
}

struct JsonLogRecord {
  std::string time;
  std::string level;
  std::string message;
};

// The record a JSON log line holds, or nullopt (with the reason in the test
// log) unless it is exactly one object of three strings: a UTC time with
// milliseconds, a level name and the message.
std::optional<JsonLogRecord> ParseJsonLogLine(const std::string& line) {
  static const std::regex kIsoUtcMs(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
  static const std::set<std::string> kLevels = {"trace",   "debug", "info",
                                                "warning", "error", "critical"};
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(line.c_str(), line.size());
  auto field = [&](const char* name) -> std::optional<std::string> {
    auto it = doc.FindMember(name);
    if (it == doc.MemberEnd() || !it->value.IsString()) return std::nullopt;
    return std::string(it->value.GetString(), it->value.GetStringLength());
  };
  if (doc.HasParseError() || !doc.IsObject() || doc.MemberCount() != 3) {
    UNSCOPED_INFO("not a JSON object of three members: " << line);
    return std::nullopt;
  }
  auto time = field("time");
  auto level = field("level");
  auto message = field("message");
  if (!time || !level || !message || !std::regex_match(*time, kIsoUtcMs) ||
      kLevels.count(*level) == 0) {
    UNSCOPED_INFO("bad time, level or message: " << line);
    return std::nullopt;
  }
  return JsonLogRecord{*time, *level, *message};
}

int64_t Rows(Store& store, const std::string& source) {
  auto n = store.CountRows(RecordKind::kContact, source, true);
  return n.ok() ? *n : -1;
}

// An HTTP proxy on loopback in front of a simulator: runs `before` on each
// request, forwards it, and answers `delay` late. The TestHttpServer under it
// records which TCP connection each request came on.
// Threading: requests are handled one at a time on the server's thread.
class ForwardingProxy {
 public:
  ForwardingProxy(
      std::string upstream_url, std::chrono::milliseconds delay,
      std::function<void()> before = [] {})
      : upstream_url_(std::move(upstream_url)),
        delay_(delay),
        before_(std::move(before)),
        upstream_(HttpClient::Options{.timeout = std::chrono::seconds(10)}, nullptr, nullptr) {
    server_.SetHandler([this](const TestHttpRequest& request) { return Forward(request); });
  }
  std::string base_url() const { return server_.base_url(); }
  std::vector<TestHttpRequest> requests() const { return server_.requests(); }

 private:
  TestHttpResponse Forward(const TestHttpRequest& request) {
    before_();
    HttpRequest forward{
        .method = request.method, .url = upstream_url_ + request.target, .body = request.body};
    for (const char* name : {"authorization", "content-type"}) {
      if (!request.Header(name).empty()) forward.headers.emplace_back(name, request.Header(name));
    }
    auto response = upstream_.Send(forward);
    if (!response.ok()) {
      return TestHttpResponse{.status = 502, .body = response.status().message()};
    }
    TestHttpResponse answer{
        .status = static_cast<int>(response->status), .body = response->body, .delay = delay_};
    if (!response->Header("content-type").empty()) {
      answer.headers.emplace_back("Content-Type", response->Header("content-type"));
    }
    return answer;
  }

  const std::string upstream_url_;
  const std::chrono::milliseconds delay_;
  const std::function<void()> before_;
  HttpClient upstream_;    // used on the server's thread only
  TestHttpServer server_;  // last: stops before what its handler uses goes away
};

TEST_CASE("A slow connector never blocks another", "[daemon]") {
  HubSpotFixture slow(Portal(3000));
  HubSpotFixture fast(Portal(1000));
  // Every contacts page of `slow` takes a second: its contacts stream needs
  // 30 s, far longer than `fast` needs for everything.
  slow.sim.InjectFault({sim::FaultKind::kSlow, "/crm/v3/objects/contacts", 1000, 1000});
  // `fast` is answered only once a contacts request of `slow` is in flight,
  // so a scheduler running connectors in turn fails this test whichever of
  // the two it picked first.
  auto slow_in_flight = [&] { return slow.sim.Stats().by_path["/crm/v3/objects/contacts"] >= 1; };
  ForwardingProxy fast_proxy(fast.sim.base_url(), std::chrono::milliseconds(0),
                             [&] { WaitFor(slow_in_flight, std::chrono::seconds(10)); });
  const std::string config_path = slow.dir.File("config.yaml");
  WriteFile(config_path, "store:\n  path: " + slow.dir.File("salesaudit.db") +
                             "\nstatus: {listen: '127.0.0.1:0'}\nconnectors:\n" +
                             ConnectorYaml("slow", slow.sim.base_url(), "1h") +
                             ConnectorYaml("fast", fast_proxy.base_url(), "1h"));
  ChildProcess daemon({kBinary, "--config", config_path, "run"}, slow.dir.path(),
                      {{"TEST_HUBSPOT_TOKEN", slow.options.token}});

  // Done once every stream of `fast` logged its result (email_events last,
  // after deals: waiting for deals alone read the log one stream early).
  const bool fast_done =
      WaitFor([&] { return SyncedStreams(daemon.Stderr(), "fast") == HubspotStreams(); },
              std::chrono::seconds(25));
  INFO(daemon.Stderr());
  REQUIRE(fast_done);
  CHECK(Rows(*slow.store, "fast") == 1000);
  // Meanwhile `slow` is still in the middle of its contacts: only the
  // stream before them has logged its result, as it ended.
  CHECK(Rows(*slow.store, "slow") < 3000);
  CHECK(SyncedStreams(daemon.Stderr(), "slow") == std::vector<std::string>{"owners"});

  daemon.Signal(SIGTERM);
  CHECK(daemon.Wait(std::chrono::seconds(10)) == 0);
}

TEST_CASE("One connector never runs twice at once, even when a run outlasts its poll interval",
          "[daemon]") {
  HubSpotFixture f(Portal(1000));
  // Every answer comes 150 ms late, so the first run (10 contacts pages
  // alone) takes well over the 1 s poll interval. Each run has an HTTP
  // client, hence a connection, of its own: runs that overlapped would
  // interleave their connections' requests.
  constexpr auto kDelay = std::chrono::milliseconds(150);
  ForwardingProxy proxy(f.sim.base_url(), kDelay);
  const std::string config_path = f.dir.File("config.yaml");
  WriteFile(config_path, "store:\n  path: " + f.dir.File("salesaudit.db") +
                             "\nstatus: {listen: '127.0.0.1:0'}\nconnectors:\n" +
                             ConnectorYaml("crm", proxy.base_url(), "1s"));
  const std::map<std::string, std::string> env = {{"TEST_HUBSPOT_TOKEN", f.options.token}};
  auto check =
      RunProcess({kBinary, "--config", config_path, "check"}, std::chrono::seconds(30), env);
  INFO(check.err);
  REQUIRE(check.exit_code == 0);

  ChildProcess daemon({kBinary, "--config", config_path, "run"}, f.dir.path(), env);
  auto completed_runs = [&] {
    auto streams = SyncedStreams(daemon.Stderr(), "crm");
    return std::count(streams.begin(), streams.end(), "deals");
  };
  const bool two_runs = WaitFor([&] { return completed_runs() >= 2; }, std::chrono::seconds(30));
  daemon.Signal(SIGTERM);
  const int code = daemon.Wait(std::chrono::seconds(10));
  const std::string log = daemon.Stderr();
  INFO(log);
  REQUIRE(two_runs);
  CHECK(code == 0);
  CHECK(Rows(*f.store, "crm") == 1000);

  const auto requests = proxy.requests();
  std::map<int, int> per_connection;
  int previous = 0;
  bool interleaved = false;
  for (const auto& r : requests) {
    ++per_connection[r.connection];
    if (r.connection < previous) interleaved = true;
    previous = std::max(previous, r.connection);
  }
  INFO(requests.size() << " requests on " << per_connection.size() << " connections");
  CHECK_FALSE(interleaved);
  REQUIRE(per_connection.size() >= 2);
  // The premise: the first run alone lasted longer than the poll interval.
  CHECK(per_connection.begin()->second * kDelay > std::chrono::seconds(1));
  // Each finished run synced its streams in order, one run after the other.
  const auto streams = SyncedStreams(log, "crm");
  for (size_t i = 0; i < streams.size(); ++i) {
    CHECK(streams[i] == HubspotStreams()[i % HubspotStreams().size()]);
  }
}

TEST_CASE("With log.format json every stderr line of a sync is a JSON object",
          "[daemon][logging]") {
  HubSpotFixture f(Portal(300));
  // Server errors make the engine log its retries as warnings.
  f.sim.InjectFault({sim::FaultKind::kServerError, "", 3});
  const std::string config_path = f.dir.File("config.yaml");
  WriteFile(config_path, f.ConfigYaml() + "log:\n  level: debug\n  format: json\n");
  auto r = RunProcess({kBinary, "--config", config_path, "sync"}, std::chrono::seconds(60),
                      {{"TEST_HUBSPOT_TOKEN", f.options.token}});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("crm contacts: ok"));
  CHECK_THAT(r.err, !Catch::Contains(f.options.token));

  const auto lines = Lines(r.err);
  REQUIRE_FALSE(lines.empty());
  int warnings = 0;
  for (const auto& line : lines) {
    const auto record = ParseJsonLogLine(line);
    REQUIRE(record);
    if (record->level == "warning") ++warnings;
  }
  CHECK(warnings >= 3);
}

// `salesaudit run` on `f`'s config, written to config.yaml, once its first
// run has synced every stream.
struct SyncedDaemon {
  explicit SyncedDaemon(HubSpotFixture& f)
      : config_path(WrittenConfig(f)),
        process({kBinary, "--config", config_path, "run"}, f.dir.path(),
                {{"TEST_HUBSPOT_TOKEN", f.options.token}}) {
    REQUIRE(WaitFor(
        [&] { return SyncedStreams(process.Stderr(), "crm").size() == HubspotStreams().size(); },
        std::chrono::seconds(30)));
  }
  static std::string WrittenConfig(HubSpotFixture& f) {
    const std::string path = f.dir.File("config.yaml");
    WriteFile(path, f.ConfigYaml());
    return path;
  }
  const std::string config_path;
  ChildProcess process;
};

// `text` with its first `from` replaced by `to`.
std::string Replaced(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

TEST_CASE("A reload logs each change, names a changed token without it, and warns of restarts",
          "[daemon]") {
  HubSpotFixture f(Portal(50));
  SyncedDaemon synced(f);
  ChildProcess& daemon = synced.process;
  const std::string& config_path = synced.config_path;
  const std::string rotated = "pat-na1-rotated-token-7731";
  std::string changed = Replaced(f.ConfigYaml(), "poll_interval: 1h", "poll_interval: 30m");
  changed = Replaced(changed, "${TEST_HUBSPOT_TOKEN}", rotated);
  changed = Replaced(changed, "listen: 127.0.0.1:0", "listen: 127.0.0.1:9");
  WriteFile(config_path, changed + "    streams: [contacts, deals]\nlog:\n  level: debug\n");
  auto reloads = [&] {
    const std::string log = daemon.Stderr();
    size_t count = 0;
    for (size_t at = log.find("configuration reloaded"); at != std::string::npos;
         at = log.find("configuration reloaded", at + 1)) {
      ++count;
    }
    return count;
  };
  daemon.Signal(SIGHUP);
  REQUIRE(WaitFor([&] { return reloads() == 1; }, std::chrono::seconds(10)));
  // Again, unchanged.
  daemon.Signal(SIGHUP);
  REQUIRE(WaitFor([&] { return reloads() == 2; }, std::chrono::seconds(10)));
  daemon.Signal(SIGTERM);
  CHECK(daemon.Wait(std::chrono::seconds(10)) == 0);
  const std::string log = daemon.Stderr();
  INFO(log);
  CHECK_THAT(log, Catch::Contains("[warning] reload: status.listen changed (127.0.0.1:0 -> "
                                  "127.0.0.1:9); it takes effect after a restart, the running "
                                  "value is kept\n"));
  CHECK_THAT(log, Catch::Contains("[info] reload: connector crm: token changed, poll_interval 1h "
                                  "-> 30m, streams (all) -> [contacts,deals]\n"));
  CHECK_THAT(log, Catch::Contains("[info] reload: log: level info -> debug\n"));
  CHECK_THAT(log, Catch::Contains("[info] reload: no changes\n"));
  CHECK(log.find(rotated) == std::string::npos);
  CHECK(log.find(f.options.token) == std::string::npos);
  // The status server kept its port: the status line of the start is the only one.
  CHECK(log.find("status server on") == log.rfind("status server on"));
}

TEST_CASE("A reload switches the daemon's log format without a restart", "[daemon][logging]") {
  HubSpotFixture f(Portal(200));
  SyncedDaemon synced(f);
  ChildProcess& daemon = synced.process;
  const std::string& config_path = synced.config_path;
  WriteFile(config_path, f.ConfigYaml() + "log:\n  format: json\n");
  daemon.Signal(SIGHUP);
  const bool reloaded =
      WaitFor([&] { return daemon.Stderr().find("configuration reloaded") != std::string::npos; },
              std::chrono::seconds(10));
  daemon.Signal(SIGTERM);
  CHECK(daemon.Wait(std::chrono::seconds(10)) == 0);
  const auto lines = Lines(daemon.Stderr());
  INFO(daemon.Stderr());
  REQUIRE(reloaded);
  // Text up to the reload, JSON from the line announcing it to the last one.
  auto first_json = std::find_if(lines.begin(), lines.end(), [](const std::string& line) {
    return line.find("configuration reloaded") != std::string::npos;
  });
  REQUIRE(first_json != lines.end());
  CHECK_FALSE(ParseJsonLogLine(lines.front()));
  for (auto it = first_json; it != lines.end(); ++it) CHECK(ParseJsonLogLine(*it));
  const auto last = ParseJsonLogLine(lines.back());
  REQUIRE(last);
  CHECK(last->message == "salesaudit stopped");
}

}  // namespace
}  // namespace salesaudit::testing

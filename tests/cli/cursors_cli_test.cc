// What `salesaudit status` and `salesaudit sync --dry-run` say of the stored
// cursors, through the binary, on stores synced from the HubSpot simulator:
// readable times, the next run's window, interrupted runs, and cursors that
// do not parse.
#include <rapidjson/document.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <regex>
#include <string>

#include "core/time_util.h"
#include "tests/cli/cli_fixture.h"
#include "tests/support/sql_exec.h"

namespace salesaudit::testing {
namespace {

constexpr int64_t kLookbackMs = 10 * 60 * 1000;   // the connector's default lookback
constexpr int64_t kPollIntervalMs = 3600 * 1000;  // the fixture's poll_interval: 1h

// The `since` of a stream's stored cursor: where its last window ended.
int64_t CursorSince(Store& store, const std::string& stream) {
  auto cursor = store.GetCursor("crm", stream);
  REQUIRE(cursor.ok());
  rapidjson::Document doc;
  doc.Parse(cursor->c_str());
  INFO(*cursor);
  REQUIRE(
      (!doc.HasParseError() && doc.IsObject() && doc.HasMember("since") && doc["since"].IsInt64()));
  return doc["since"].GetInt64();
}

// The stream object named `stream` in `status --format json`'s output.
const rapidjson::Value& StreamStatus(const rapidjson::Document& status, const std::string& stream) {
  for (const auto& s : status["connectors"][0]["streams"].GetArray()) {
    if (s["stream"].GetString() == stream) return s;
  }
  FAIL("no stream " << stream << " in the status");
  return status;
}

TEST_CASE(
    "sync --dry-run prints each stream's window from its stored cursor less the lookback to now, "
    "contacting no vendor and storing nothing",
    "[cli]") {
  CliFixture f(300);
  const RunResult synced = f.Cli({"sync"});
  INFO(synced.out << synced.err);
  REQUIRE(synced.exit_code == 0);
  const std::string before = StoreFingerprint(*f.store);
  const int64_t requests = f.sim.Stats().requests;

  const int64_t started = NowMs();
  const RunResult r = f.Cli({"sync", "--dry-run"});
  const int64_t ended = NowMs();
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(f.sim.Stats().requests == requests);
  CHECK(StoreFingerprint(*f.store) == before);
  for (const std::string stream : {"contacts", "deals", "email_events"}) {
    INFO(stream);
    const std::string from = FormatIsoMs(CursorSince(*f.store, stream) - kLookbackMs);
    // "crm contacts: changes from A to B (lookback 10m)", B the dry run's now.
    std::smatch line;
    REQUIRE(std::regex_search(r.out, line,
                              std::regex("\ncrm " + stream + ": changes from " + from +
                                         " to (\\S+) \\(lookback 10m\\)\n")));
    const std::optional<int64_t> to = ParseTimestampMs(line[1].str());
    REQUIRE(to);
    CHECK(*to >= started - 1000);  // the printed time has millisecond precision
    CHECK(*to <= ended);
  }
  CHECK_THAT(r.out, Catch::Contains("\ncrm owners: the whole list, as every run does\n"));

  // --full and --stream as sync takes them: the cursor forgotten, one stream.
  const RunResult full = f.Cli({"sync", "--dry-run", "--full", "--stream", "contacts"});
  INFO(full.out << full.err);
  CHECK(full.exit_code == 0);
  CHECK_THAT(full.out, Catch::StartsWith("dry run at ") &&
                           Catch::EndsWith("\ncrm contacts: a full read of every record\n"));
  CHECK(f.sim.Stats().requests == requests);
  CHECK(StoreFingerprint(*f.store) == before);
}

TEST_CASE(
    "status shows each stream's cursor as the time changes were read through and the "
    "connector's next run as its last run plus poll_interval",
    "[cli]") {
  CliFixture f(300);
  REQUIRE(f.Cli({"sync"}).exit_code == 0);
  auto states = f.store->ListStreamStates();
  REQUIRE(states.ok());
  int64_t last_run = 0;
  for (const StreamState& s : *states) {
    last_run = std::max({last_run, s.last_success_at.value_or(0), s.last_error_at.value_or(0)});
  }
  const std::string next_run = FormatIsoMs(last_run + kPollIntervalMs);

  const rapidjson::Document status = JsonOf(f.Cli({"status", "--format", "json"}));
  CHECK(status["connectors"][0]["next_run_due"].GetString() == next_run);
  for (const std::string stream : {"contacts", "deals", "email_events"}) {
    INFO(stream);
    const rapidjson::Value& s = StreamStatus(status, stream);
    CHECK(s["cursor_time"].GetString() == FormatIsoMs(CursorSince(*f.store, stream)));
    CHECK(s["cursor"].GetString() == f.store->GetCursor("crm", stream).value());
    CHECK(s["resumes"].IsNull());
    CHECK(s["cursor_error"].IsNull());
  }
  CHECK(StreamStatus(status, "owners")["cursor_time"].IsNull());
  CHECK(StreamStatus(status, "owners")["cursor_state"].GetString() ==
        std::string("read whole each run"));

  const RunResult text = f.Cli({"status"});
  INFO(text.out << text.err);
  REQUIRE(text.exit_code == 0);
  CHECK_THAT(text.out, Catch::StartsWith("crm (hubspot): next run due " + next_run + "\n"));
  CHECK_THAT(text.out,
             Catch::Matches("[\\s\\S]*\n  contacts +rows 300 +last success \\S+ +"
                            "changes through " +
                            FormatIsoMs(CursorSince(*f.store, "contacts")) + "\n[\\s\\S]*"));
}

TEST_CASE("status and sync --dry-run say where a run stopped part-way resumes", "[cli]") {
  CliFixture f(300);
  // One page per run: the first read of contacts stops after 100 of them.
  WriteFile(f.config_path, f.ConfigYaml() + "    max_pages_per_run: 1\n");
  REQUIRE(f.Cli({"sync", "--stream", "contacts"}).exit_code == 0);

  const RunResult dry = f.Cli({"sync", "--dry-run", "--stream", "contacts"});
  INFO(dry.out << dry.err);
  CHECK(dry.exit_code == 0);
  CHECK_THAT(dry.out, Catch::EndsWith("\ncrm contacts: resumes an interrupted run at the full "
                                      "listing, at a saved page, then a full read of every "
                                      "record\n"));
  const rapidjson::Document status = JsonOf(f.Cli({"status", "--format", "json"}));
  const rapidjson::Value& contacts = StreamStatus(status, "contacts");
  CHECK(contacts["resumes"].GetString() == std::string("the full listing, at a saved page"));
  CHECK(contacts["cursor_time"].IsNull());
  CHECK(contacts["cursor_state"].GetString() ==
        std::string("first read not finished; resumes an interrupted run at the full listing, "
                    "at a saved page"));
  // The paging token the cursor holds is never shown but in the raw cursor.
  rapidjson::Document cursor;
  cursor.Parse(contacts["cursor"].GetString());
  REQUIRE(cursor["after"].IsString());
  const std::string token = cursor["after"].GetString();
  REQUIRE_FALSE(token.empty());
  CHECK(dry.out.find(token) == std::string::npos);
  CHECK(f.Cli({"status"}).out.find(token) == std::string::npos);
}

TEST_CASE(
    "A stored cursor the connector cannot read is reported, escaped, by status (exit 0) and "
    "sync --dry-run (exit 1)",
    "[cli]") {
  CliFixture f(50);
  REQUIRE(f.Cli({"sync", "--stream", "owners"}).exit_code == 0);
  // Not JSON, and JSON whose mode is a terminal escape sequence.
  REQUIRE(ExecSql(f.dir.File("salesaudit.db"),
                  "INSERT OR REPLACE INTO sync_state(connector, stream, cursor) VALUES "
                  "('crm', 'deals', 'not json'), "
                  "('crm', 'contacts', '{\"mode\":\"\\u001b]0;owned\\u0007\"}')") == "");

  const RunResult dry = f.Cli({"sync", "--dry-run"});
  INFO(dry.out << dry.err);
  CHECK(dry.exit_code == 1);
  CHECK_THAT(dry.out, Catch::Contains("\ncrm deals: cursor unreadable: stored cursor is not "
                                      "valid JSON; run `sync --full`\n") &&
                          Catch::Contains("\ncrm contacts: cursor unreadable: stored cursor has "
                                          "unknown mode '"));
  CHECK(dry.out.find('\x1b') == std::string::npos);
  CHECK(dry.out.find('\x07') == std::string::npos);

  const RunResult text = f.Cli({"status"});
  INFO(text.out << text.err);
  CHECK(text.exit_code == 0);
  CHECK_THAT(text.out, Catch::Contains("cursor unreadable: stored cursor is not valid JSON"));
  CHECK(text.out.find('\x1b') == std::string::npos);
  const rapidjson::Document status = JsonOf(f.Cli({"status", "--format", "json"}));
  const rapidjson::Value& deals = StreamStatus(status, "deals");
  CHECK(deals["cursor"].GetString() == std::string("not json"));
  CHECK(deals["cursor_time"].IsNull());
  CHECK(deals["cursor_error"].GetString() ==
        std::string("stored cursor is not valid JSON; run `sync --full`"));
  // The other streams are described as ever.
  CHECK(StreamStatus(status, "owners")["cursor_error"].IsNull());
  CHECK(StreamStatus(status, "email_events")["cursor_state"].GetString() ==
        std::string("no cursor: the next run is a first read"));
}

TEST_CASE("sync --dry-run before any sync says every stream's first run reads everything",
          "[cli]") {
  CliFixture f(50);
  // A store path nothing has created: the dry run must not create it either.
  const std::string path = f.dir.File("fresh.db");
  std::string yaml = f.ConfigYaml();
  const std::string store_line = "  path: " + f.dir.File("salesaudit.db") + "\n";
  yaml.replace(yaml.find(store_line), store_line.size(), "  path: " + path + "\n");
  WriteFile(f.config_path, yaml);
  const RunResult r = f.Cli({"sync", "--dry-run", "--stream", "contacts"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::StartsWith("no store at " + path + " yet") &&
                        Catch::EndsWith("\ncrm contacts: a full read of every record\n"));
  struct stat st {};
  CHECK(stat(path.c_str(), &st) != 0);
  CHECK(f.sim.Stats().requests == 0);
}

}  // namespace
}  // namespace salesaudit::testing

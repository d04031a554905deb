// The status report (what `salesaudit status` prints and /api/v1/status
// serves) on stores synced from the Salesforce and Pipedrive simulators over
// real HTTP: each stream's cursor shown as the time its changes were read
// through, the one its connector stored. (HubSpot's: tests/cli.)
#include "status/status_report.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "connectors/connector.h"
#include "core/time_util.h"
#include "tests/connectors/pipedrive/pipedrive_fixture.h"
#include "tests/connectors/salesforce/salesforce_fixture.h"

namespace salesaudit::testing {
namespace {

// Checks `connector`'s report on `store`: every stream reads its cursor, and
// each of `timed` shows its stored cursor's `since` (where its last window
// ended) as cursor_time, in the JSON and in the text. Returns the JSON.
rapidjson::Document CheckCursorTimes(const ConnectorConfig& connector, Store& store,
                                     const std::vector<std::string>& timed) {
  Config config;
  config.connectors = {connector};
  auto report = ReadStatusReport(config, store, NowMs());
  REQUIRE(report.ok());
  rapidjson::Document doc;
  doc.Parse(report->json.c_str());
  REQUIRE_FALSE(doc.HasParseError());
  size_t shown = 0;
  for (const auto& s : doc["connectors"][0]["streams"].GetArray()) {
    const std::string stream = s["stream"].GetString();
    INFO(stream << ": " << (s["cursor"].IsString() ? s["cursor"].GetString() : "null"));
    CHECK(s["cursor_error"].IsNull());
    if (std::find(timed.begin(), timed.end(), stream) == timed.end()) {
      CHECK(s["cursor_time"].IsNull());
      continue;
    }
    rapidjson::Document cursor;
    cursor.Parse(s["cursor"].GetString());
    REQUIRE((cursor.IsObject() && cursor.HasMember("since") && cursor["since"].IsInt64()));
    const std::string at = FormatIsoMs(cursor["since"].GetInt64());
    CHECK(s["cursor_time"].GetString() == at);
    CHECK(s["cursor_state"].GetString() == "changes through " + at);
    CHECK_THAT(report->text, Catch::Contains(" changes through " + at + "\n"));
    ++shown;
  }
  CHECK(shown == timed.size());
  return doc;
}

// Checks what `sync --dry-run` says of each of `timed`: the changes from its
// stored cursor's `since` less the lookback (10m) to `window_to`.
void CheckNextWindows(const ConnectorConfig& connector, Store& store,
                      const std::vector<std::string>& timed, int64_t now_ms, int64_t window_to) {
  const ConnectorDescriptor& type = *BuiltinConnectors().Find(connector.type);
  for (const std::string& stream : timed) {
    auto stored = store.GetCursor(connector.name, stream);
    REQUIRE(stored.ok());
    INFO(stream << ": " << *stored);
    rapidjson::Document cursor;
    cursor.Parse(stored->c_str());
    REQUIRE((cursor.IsObject() && cursor.HasMember("since") && cursor["since"].IsInt64()));
    const CursorDescription next = DescribeStoredCursor(type, connector, stream, *stored, now_ms);
    CHECK(NextReadText(next, now_ms) == "changes from " +
                                            FormatIsoMs(cursor["since"].GetInt64() - 600000) +
                                            " to " + FormatIsoMs(window_to) + " (lookback 10m)");
  }
}

TEST_CASE("status shows every Salesforce stream's cursor as the time its changes were read through",
          "[status]") {
  SalesforceFixture f(SmallOrg());
  REQUIRE(FailedStreams(f.Sync()).empty());
  const std::vector<std::string> streams = {"users", "leads", "contacts", "opportunities",
                                            "opportunity_contact_roles"};
  CheckCursorTimes(f.config, *f.store, streams);
  // The next window ends at the run's start.
  const int64_t now = NowMs();
  CheckNextWindows(f.config, *f.store, streams, now, now);
}

TEST_CASE(
    "status shows the Pipedrive v2 streams' cursors as the time their changes were read through "
    "and the v1 lists as read whole",
    "[status]") {
  PipedriveFixture f(SmallCompany());
  REQUIRE(FailedStreams(f.Sync()).empty());
  const rapidjson::Document status =
      CheckCursorTimes(f.config, *f.store, {"persons", "deals", "activities"});
  for (const auto& s : status["connectors"][0]["streams"].GetArray()) {
    const std::string stream = s["stream"].GetString();
    if (stream != "users" && stream != "leads") continue;
    INFO(stream);
    CHECK(s["cursor_state"].GetString() == std::string("read whole each run"));
  }
  // The next window ends at the run's start in whole seconds (updated_until).
  const int64_t now = NowMs();
  CheckNextWindows(f.config, *f.store, {"persons", "deals", "activities"}, now, now / 1000 * 1000);
}

}  // namespace
}  // namespace salesaudit::testing

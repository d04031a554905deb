// Audit snapshots kept in a store on real SQLite files: their config hash
// and cursors, the history kept per interval and purpose, the latest one.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "store/store.h"
#include "tests/store/store_fixtures.h"
#include "tests/support/subprocess.h"

namespace salesaudit {
namespace {

using testing::OpenOrDie;
using testing::RawDb;
using testing::TempDir;

TEST_CASE("Snapshots keep their config hash and cursors and old ones are pruned", "[store]") {
  TempDir dir;
  const std::string path = dir.File("s.db");
  auto store = OpenOrDie(path);
  for (int64_t at : {1000, 2000, 3000}) {
    SnapshotRow row;
    row.computed_at = at;
    row.json = "{}";
    row.config_hash = "hash-" + std::to_string(at);
    row.cursors = R"({"crm/contacts":"c"})";
    REQUIRE(store->SaveSnapshot(row, SnapshotRetention{.keep_after_ms = 2000}).ok());
  }
  CHECK(RawDb(path).One("SELECT count(*) FROM audit_snapshots") == "2");
  auto latest = store->LatestSnapshot();
  REQUIRE(latest.ok());
  REQUIRE(latest->has_value());
  CHECK((*latest)->config_hash == "hash-3000");
  CHECK((*latest)->cursors == R"({"crm/contacts":"c"})");
}

TEST_CASE("A one-off snapshot is never the latest live one", "[store]") {
  TempDir dir;
  auto store = OpenOrDie(dir.File("s.db"));
  const SnapshotRetention keep{.live_interval_ms = 1000};
  REQUIRE(store->SaveSnapshot({.computed_at = 1000, .json = "{\"live\":1}"}, keep).ok());
  REQUIRE(store
              ->SaveSnapshot({.purpose = SnapshotPurpose::kOneOff,
                              .computed_at = 5000,
                              .window_from = 10,
                              .window_to = 20,
                              .json = "{\"by_hand\":1}"},
                             keep)
              .ok());
  auto live = store->LatestSnapshot();
  REQUIRE(live.ok());
  REQUIRE(live->has_value());
  CHECK((*live)->json == "{\"live\":1}");
  CHECK((*live)->purpose == SnapshotPurpose::kLive);
  auto one_off = store->LatestSnapshot(SnapshotPurpose::kOneOff);
  REQUIRE(one_off.ok());
  REQUIRE(one_off->has_value());
  CHECK((*one_off)->json == "{\"by_hand\":1}");
  CHECK((*one_off)->purpose == SnapshotPurpose::kOneOff);
  CHECK((*one_off)->window_from == 10);
  RawDb raw(dir.File("s.db"));
  CHECK(raw.One("SELECT count(*) FROM audit_snapshots WHERE purpose = 'one_off'") == "1");
}

TEST_CASE("The history keeps one live snapshot per interval, the newest of each", "[store]") {
  TempDir dir;
  auto store = OpenOrDie(dir.File("s.db"));
  const SnapshotRetention keep{.live_interval_ms = 1000};
  // Three audits in [1000, 2000) (a scheduled one, two after syncs), two in
  // [2000, 3000): the history keeps the last of each interval.
  for (int64_t at : {1000, 1400, 1999, 2000, 2500}) {
    REQUIRE(store->SaveSnapshot({.computed_at = at, .json = std::to_string(at)}, keep).ok());
  }
  // One-off snapshots never replace live ones, nor each other.
  for (int64_t at : {2600, 2700}) {
    REQUIRE(store
                ->SaveSnapshot(
                    {.purpose = SnapshotPurpose::kOneOff, .computed_at = at, .json = "{}"}, keep)
                .ok());
  }
  RawDb raw(dir.File("s.db"));
  CHECK(raw.Column("SELECT json FROM audit_snapshots WHERE purpose = 'live' ORDER BY "
                   "computed_at") == std::vector<std::string>{"1999", "2500"});
  CHECK(raw.One("SELECT count(*) FROM audit_snapshots WHERE purpose = 'one_off'") == "2");
}

TEST_CASE("The history is bounded in count for each purpose", "[store]") {
  TempDir dir;
  auto store = OpenOrDie(dir.File("s.db"));
  const SnapshotRetention keep{.live_interval_ms = 1, .max_live = 3, .max_one_off = 2};
  for (int64_t at = 1; at <= 10; ++at) {
    REQUIRE(store->SaveSnapshot({.computed_at = at, .json = "{}"}, keep).ok());
    REQUIRE(store
                ->SaveSnapshot(
                    {.purpose = SnapshotPurpose::kOneOff, .computed_at = at, .json = "{}"}, keep)
                .ok());
  }
  RawDb raw(dir.File("s.db"));
  CHECK(raw.One("SELECT count(*) FROM audit_snapshots WHERE purpose = 'live'") == "3");
  CHECK(raw.One("SELECT count(*) FROM audit_snapshots WHERE purpose = 'one_off'") == "2");
  auto latest = store->LatestSnapshot(SnapshotPurpose::kOneOff);
  REQUIRE(latest.ok());
  REQUIRE(latest->has_value());
  CHECK((*latest)->computed_at == 10);
}

TEST_CASE("LatestSnapshot returns the most recently computed snapshot", "[store]") {
  TempDir dir;
  const std::string path = dir.File("s.db");
  auto store = OpenOrDie(path);

  auto none = store->LatestSnapshot();
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());

  SnapshotRow first;
  first.computed_at = 1000;
  first.window_from = 10;
  first.window_to = 20;
  first.json = "{\"n\":1}";
  auto id1 = store->SaveSnapshot(first, SnapshotRetention{});
  REQUIRE(id1.ok());
  SnapshotRow second;
  second.computed_at = 2000;
  second.json = "{\"n\":2}";
  auto id2 = store->SaveSnapshot(second, SnapshotRetention{});
  REQUIRE(id2.ok());
  CHECK(*id2 > *id1);

  auto latest = store->LatestSnapshot();
  REQUIRE(latest.ok());
  REQUIRE(latest->has_value());
  const SnapshotRow& row = **latest;
  CHECK(row.id == *id2);
  CHECK(row.computed_at == 2000);
  CHECK_FALSE(row.window_from.has_value());
  CHECK_FALSE(row.window_to.has_value());
  CHECK(row.json == "{\"n\":2}");
  CHECK(RawDb(path).One("SELECT count(*) FROM audit_snapshots") == "2");
}

}  // namespace
}  // namespace salesaudit

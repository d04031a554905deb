// Stage evidence in the store: stage_events written with their page and
// deleted with their contact or origin record, and v_contact_funnel's
// effective dates (README "The store").
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "store/store.h"
#include "tests/store/store_fixtures.h"
#include "tests/support/subprocess.h"

namespace salesaudit {
namespace {

using testing::Jan;
using testing::Lead;
using testing::MakeDeal;
using testing::OpenOrDie;
using testing::RawDb;
using testing::StageEventsText;
using testing::TempDir;

StageEvent Evidence(const std::string& contact, FunnelStage stage, int64_t at,
                    const std::string& origin_id) {
  return StageEvent{contact, stage, at, origin_id};
}

TEST_CASE(
    "v_contact_funnel dates each stage by the earliest of the contact, its stage events "
    "and its linked live deals",
    "[store]") {
  TempDir dir;
  const std::string path = dir.File("s.db");
  auto store = OpenOrDie(path);

  Page contacts;
  contacts.stream = "contacts";
  Contact own = Lead("own");  // its own dates, later evidence changes nothing
  own.mql_at = Jan(2);
  own.contacted_at = Jan(3);
  own.sql_at = Jan(4);
  own.customer_at = Jan(5);
  Contact earlier = Lead("earlier");  // its own dates, earlier evidence wins
  earlier.mql_at = Jan(20);
  earlier.sql_at = Jan(20);
  earlier.customer_at = Jan(25);
  Contact dealt = Lead("dealt");  // no dates: a won deal and a lost one say sql and won
  Contact gone = Lead("gone");
  gone.mql_at = Jan(2);
  contacts.contacts = {own, earlier, dealt, gone, Lead("plain")};
  contacts.stage_events = {Evidence("own", FunnelStage::kMql, Jan(9), "h1"),
                           Evidence("own", FunnelStage::kWon, Jan(9), "h2"),
                           Evidence("earlier", FunnelStage::kMql, Jan(6), "h1"),
                           Evidence("earlier", FunnelStage::kMql, Jan(7), "h2"),
                           Evidence("earlier", FunnelStage::kContacted, Jan(8), "h3")};
  contacts.deletions = {Deletion{RecordKind::kContact, "gone", Jan(30)}};
  REQUIRE(store->CommitPage("crm", contacts).ok());

  Page deals;
  deals.stream = "deals";
  Deal won = MakeDeal("won");  // created Jan 1, closed won Feb 1
  won.created_at = Jan(10);
  won.closed_at = Jan(15);
  won.contact_ids = std::vector<std::string>{"dealt", "earlier", "own"};
  Deal lost = MakeDeal("lost");  // earlier, but lost: sql only
  lost.created_at = Jan(7);
  lost.closed_at = Jan(8);
  lost.is_won = false;
  lost.contact_ids = std::vector<std::string>{"dealt"};
  Deal deleted = MakeDeal("deleted");  // the earliest, but deleted: no evidence
  deleted.created_at = Jan(2);
  deleted.closed_at = Jan(3);
  deleted.contact_ids = std::vector<std::string>{"dealt"};
  deals.deals = {won, lost, deleted};
  deals.deletions = {Deletion{RecordKind::kDeal, "deleted", Jan(30)}};
  REQUIRE(store->CommitPage("crm", deals).ok());

  RawDb raw(path);
  auto funnel = [&](const std::string& id) {
    return raw.One(
        "SELECT created_at || ' ' || ifnull(mql_at, '-') || ' ' || ifnull(contacted_at, '-') || "
        "' ' || ifnull(sql_at, '-') || ' ' || ifnull(won_at, '-') || ' ' || "
        "ifnull(deleted_at, '-') || ' ' || channel || ' ' || owner_id "
        "FROM v_contact_funnel WHERE source = 'crm' AND id = '" +
        id + "'");
  };
  CHECK(funnel("own") ==
        "2024-01-01T00:00:00.000Z 2024-01-02T00:00:00.000Z 2024-01-03T00:00:00.000Z "
        "2024-01-04T00:00:00.000Z 2024-01-05T00:00:00.000Z - PAID_SEARCH o1");
  CHECK(funnel("earlier") ==
        "2024-01-01T00:00:00.000Z 2024-01-06T00:00:00.000Z 2024-01-08T00:00:00.000Z "
        "2024-01-10T00:00:00.000Z 2024-01-15T00:00:00.000Z - PAID_SEARCH o1");
  CHECK(funnel("dealt") ==
        "2024-01-01T00:00:00.000Z - - 2024-01-07T00:00:00.000Z 2024-01-15T00:00:00.000Z - "
        "PAID_SEARCH o1");
  CHECK(funnel("plain") == "2024-01-01T00:00:00.000Z - - - - - PAID_SEARCH o1");
  // A deleted contact stays in the view, marked, with its own dates only.
  CHECK(funnel("gone") ==
        "2024-01-01T00:00:00.000Z 2024-01-02T00:00:00.000Z - - - 2024-01-30T00:00:00.000Z "
        "PAID_SEARCH o1");
  CHECK(raw.One("SELECT count(*) FROM v_contact_funnel") == "5");
}

TEST_CASE("Stage events are upserted by their key and deleted with their contact or origin record",
          "[store]") {
  TempDir dir;
  auto store = OpenOrDie(dir.File("s.db"));
  Page leads;
  leads.stream = "leads";
  leads.contacts = {Lead("l1"), Lead("l2"), Lead("l3"), Lead("l4")};
  leads.stage_events = {Evidence("l1", FunnelStage::kMql, Jan(2), "l1"),
                        Evidence("l2", FunnelStage::kMql, Jan(2), "l2"),
                        Evidence("l3", FunnelStage::kSql, Jan(3), "l3"),
                        Evidence("l3", FunnelStage::kMql, Jan(2), "l3")};
  REQUIRE(store->CommitPage("crm", leads).ok());
  Page history;
  history.stream = "history";
  history.stage_events = {Evidence("l2", FunnelStage::kContacted, Jan(4), "h7"),
                          Evidence("l4", FunnelStage::kSql, Jan(5), "h8")};
  REQUIRE(store->CommitPage("crm", history).ok());
  CHECK(StageEventsText(*store) == std::vector<std::string>{
                                       "l1 mql " + std::to_string(Jan(2)) + " leads/l1",
                                       "l2 contacted " + std::to_string(Jan(4)) + " history/h7",
                                       "l2 mql " + std::to_string(Jan(2)) + " leads/l2",
                                       "l3 mql " + std::to_string(Jan(2)) + " leads/l3",
                                       "l3 sql " + std::to_string(Jan(3)) + " leads/l3",
                                       "l4 sql " + std::to_string(Jan(5)) + " history/h8",
                                   });

  // The same key again moves the date; l1 is deleted, l3 merged into l2
  // (l3's mql from leads/l3 moves, its sql too), and history's h8 deleted.
  Page again;
  again.stream = "leads";
  again.stage_events = {Evidence("l2", FunnelStage::kMql, Jan(3), "l2")};
  again.deletions = {Deletion{RecordKind::kContact, "l1", Jan(9)},
                     Deletion{RecordKind::kContact, "l3", Jan(9), "l2"}};
  REQUIRE(store->CommitPage("crm", again).ok());
  Page history_gone;
  history_gone.stream = "history";
  history_gone.deletions = {Deletion{RecordKind::kContact, "h8", Jan(9)}};
  REQUIRE(store->CommitPage("crm", history_gone).ok());
  CHECK(StageEventsText(*store) == std::vector<std::string>{
                                       "l2 contacted " + std::to_string(Jan(4)) + " history/h7",
                                       "l2 mql " + std::to_string(Jan(3)) + " leads/l2",
                                       "l2 mql " + std::to_string(Jan(2)) + " leads/l3",
                                       "l2 sql " + std::to_string(Jan(3)) + " leads/l3",
                                   });
}

TEST_CASE("A page with a stage event without a contact stores nothing and names the event",
          "[store]") {
  TempDir dir;
  auto store = OpenOrDie(dir.File("s.db"));
  Page page;
  page.stream = "leads";
  page.cursor = "after";
  page.contacts = {Lead("l1")};
  page.stage_events = {Evidence("", FunnelStage::kSql, Jan(2), "h1")};
  const Status status = store->CommitPage("crm", page);
  REQUIRE_FALSE(status.ok());
  CHECK_THAT(status.message(),
             Catch::Contains("stage event sql") && Catch::Contains("from leads record \"h1\""));
  CHECK(testing::Count(*store, RecordKind::kContact, "crm", true) == 0);
  CHECK(StageEventsText(*store).empty());
  CHECK(testing::Cursor(*store, "crm", "leads").empty());
}

TEST_CASE(
    "A page of more stage events than one statement writes stores each under its person and "
    "names a bad one among them",
    "[store]") {
  TempDir dir;
  auto store = OpenOrDie(dir.File("s.db"));
  Page aliases;
  aliases.stream = "leads";
  aliases.cursor = "aliases";
  aliases.contact_aliases = {ContactAlias{"c07", "l07", Jan(1)},
                             ContactAlias{"c09", "l09", Jan(1)}};
  REQUIRE(store->CommitPage("crm", aliases).ok());

  // 70 events: two statements' worth and six more; two of the first name
  // aliases, whose persons are found one lookup after the other.
  Page page;
  page.stream = "leads";
  page.cursor = "after";
  std::vector<std::string> expected;
  for (int i = 0; i < 70; ++i) {
    const std::string n = (i < 10 ? "0" : "") + std::to_string(i);
    const std::string person = "l" + n;
    const std::string contact = i == 7 || i == 9 ? "c" + n : person;
    const std::string channel = i % 3 == 0 ? "Web" : "";
    page.contacts.push_back(Lead(person));
    page.stage_events.push_back(Evidence(contact, FunnelStage::kSql, Jan(2), "h" + n));
    page.stage_events.back().channel = channel;
    expected.push_back(person + " sql " + std::to_string(Jan(2)) + " leads/h" + n +
                       (channel.empty() ? "" : " " + channel));
  }
  REQUIRE(store->CommitPage("crm", page).ok());
  CHECK(StageEventsText(*store) == expected);

  Page bad = page;
  bad.cursor = "bad";
  for (StageEvent& e : bad.stage_events) e.at = Jan(3);
  bad.stage_events[5].contact_id.clear();
  const Status status = store->CommitPage("crm", bad);
  REQUIRE_FALSE(status.ok());
  CHECK_THAT(status.message(),
             Catch::Contains("stage event sql") && Catch::Contains("from leads record \"h05\""));
  CHECK(StageEventsText(*store) == expected);
  CHECK(testing::Cursor(*store, "crm", "leads") == "after");
}

TEST_CASE("A store with stage events passes the integrity checks at open and in store check",
          "[store]") {
  TempDir dir;
  const std::string path = dir.File("s.db");
  {
    auto store = OpenOrDie(path);
    Page page;
    page.stream = "leads";
    page.contacts = {Lead("a"), Lead("b")};
    page.stage_events = {Evidence("a", FunnelStage::kContacted, Jan(3), "a"),
                         Evidence("b", FunnelStage::kSql, Jan(4), "b")};
    page.stage_events[1].channel = "Web forms";
    REQUIRE(store->CommitPage("sf", page).ok());
  }
  // SQLite 3.40 called such a table's `at` NULL in every row (schema v13).
  auto reopened = Store::Open(path);
  INFO((reopened.ok() ? std::string() : reopened.status().ToString()));
  REQUIRE(reopened.ok());
  CHECK(StageEventsText(**reopened).size() == 2);
  auto report = Store::CheckFile(path);
  REQUIRE(report.ok());
  CHECK(report->problems.empty());
  CHECK(report->schema_version == Store::kSchemaVersion);
}

TEST_CASE("Migrating a v12 store to the latest schema keeps every stage event", "[store]") {
  TempDir dir;
  const std::string path = dir.File("s.db");
  {
    auto store = OpenOrDie(path);
    Page page;
    page.stream = "leads";
    page.contacts = {Lead("a")};
    page.stage_events = {Evidence("a", FunnelStage::kMql, Jan(2), "a"),
                         Evidence("a", FunnelStage::kWon, Jan(9), "a")};
    REQUIRE(store->CommitPage("sf", page).ok());
  }
  const std::vector<std::string> before = [&] {
    auto store = OpenOrDie(path);
    return StageEventsText(*store);
  }();
  // The same rows as a v12 store holds them: no channel column, and a view
  // the migrations replace.
  RawDb raw(path);
  raw.Exec(
      "DROP VIEW v_contact_funnel; ALTER TABLE stage_events DROP COLUMN channel; "
      "DROP TABLE deal_stages; "
      "CREATE VIEW v_contact_funnel AS SELECT source, id FROM contacts; "
      "PRAGMA user_version = 12");
  auto migrated = OpenOrDie(path);
  CHECK(StageEventsText(*migrated) == before);
  CHECK(raw.One("PRAGMA user_version") == std::to_string(Store::kSchemaVersion));
  CHECK(raw.One("SELECT count(*) FROM stage_events WHERE channel IS NULL") == "2");
  CHECK(raw.One("SELECT count(*) FROM v_contact_funnel WHERE mql_at IS NOT NULL") == "1");
  CHECK(raw.One("PRAGMA quick_check") == "ok");
}

TEST_CASE(
    "A contact without a channel of its own has its earliest evidence's channel in "
    "v_contact_funnel",
    "[store]") {
  TempDir dir;
  const std::string path = dir.File("s.db");
  auto store = OpenOrDie(path);
  Page persons;
  persons.stream = "persons";
  Contact bare = Lead("bare");
  bare.channel.clear();
  Contact tied = Lead("tied");
  tied.channel.clear();
  Contact own = Lead("own");  // PAID_SEARCH of its own wins over evidence
  Contact none = Lead("none");
  none.channel.clear();
  persons.contacts = {bare, tied, own, none};
  REQUIRE(store->CommitPage("pd", persons).ok());
  Page leads;
  leads.stream = "leads";
  auto lead = [](const std::string& contact, int64_t at, const std::string& id,
                 const std::string& channel) {
    StageEvent e = Evidence(contact, FunnelStage::kMql, at, id);
    e.channel = channel;
    return e;
  };
  leads.stage_events = {
      lead("bare", Jan(5), "x1", "Web forms"), lead("bare", Jan(3), "x2", "Prospector"),
      lead("bare", Jan(2), "x3", ""),  // earliest, but names none
      lead("tied", Jan(4), "x4", "Live chat"), lead("tied", Jan(4), "x5", "API"),
      lead("own", Jan(1), "x6", "Import"),     lead("none", Jan(1), "x7", "")};
  REQUIRE(store->CommitPage("pd", leads).ok());
  RawDb raw(path);
  auto channel = [&](const std::string& id) {
    return raw.One("SELECT ifnull(channel, '-') FROM v_contact_funnel WHERE id = '" + id + "'");
  };
  CHECK(channel("bare") == "Prospector");
  CHECK(channel("tied") == "API");
  CHECK(channel("own") == "PAID_SEARCH");
  CHECK(channel("none") == "-");
  CHECK(raw.One("SELECT mql_at FROM v_contact_funnel WHERE id = 'bare'") ==
        "2024-01-02T00:00:00.000Z");
}

TEST_CASE(
    "A page that restates its records' evidence replaces what they stated, and an evidence "
    "record's deletion drops it",
    "[store]") {
  TempDir dir;
  auto store = OpenOrDie(dir.File("s.db"));
  Page persons;
  persons.stream = "persons";
  persons.contacts = {Lead("p1"), Lead("p2")};
  REQUIRE(store->CommitPage("pd", persons).ok());
  Page activities;
  activities.stream = "activities";
  activities.stage_events = {Evidence("p1", FunnelStage::kContacted, Jan(3), "a1"),
                             Evidence("p1", FunnelStage::kContacted, Jan(4), "a2")};
  REQUIRE(store->CommitPage("pd", activities).ok());
  // a1 moved to p2 and a2 is no longer done; another stream's evidence of
  // the same origin id stays.
  Page leads;
  leads.stream = "leads";
  leads.stage_events = {Evidence("p1", FunnelStage::kMql, Jan(2), "a1")};
  REQUIRE(store->CommitPage("pd", leads).ok());
  Page changed;
  changed.stream = "activities";
  changed.restated_origins = {"a1", "a2"};
  changed.stage_events = {Evidence("p2", FunnelStage::kContacted, Jan(5), "a1")};
  REQUIRE(store->CommitPage("pd", changed).ok());
  CHECK(StageEventsText(*store) ==
        std::vector<std::string>{"p1 mql " + std::to_string(Jan(2)) + " leads/a1",
                                 "p2 contacted " + std::to_string(Jan(5)) + " activities/a1"});
  // Without restating, a page only adds: a1 at p1 again joins p2's.
  Page added;
  added.stream = "activities";
  added.stage_events = {Evidence("p1", FunnelStage::kContacted, Jan(6), "a1")};
  REQUIRE(store->CommitPage("pd", added).ok());
  CHECK(StageEventsText(*store).size() == 3);
  CHECK(testing::Count(*store, RecordKind::kStageEvent, "pd", false) == 3);
  // A deleted evidence record takes what it stated along.
  Page deleted;
  deleted.stream = "activities";
  deleted.deletions = {Deletion{RecordKind::kStageEvent, "a1", Jan(10)}};
  REQUIRE(store->CommitPage("pd", deleted).ok());
  CHECK(StageEventsText(*store) ==
        std::vector<std::string>{"p1 mql " + std::to_string(Jan(2)) + " leads/a1"});
  CHECK(testing::Count(*store, RecordKind::kContact, "pd", false) == 2);
}

}  // namespace
}  // namespace salesaudit

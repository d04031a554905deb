// A store's sync state on real SQLite files: cursors, errors and row counts
// per connector, what survives reopening, and writers on several threads.
#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "store/store.h"
#include "tests/store/store_fixtures.h"
#include "tests/support/subprocess.h"

namespace salesaudit {
namespace {

using testing::AllContacts;
using testing::Count;
using testing::Cursor;
using testing::MakeContact;
using testing::MakeDeal;
using testing::OpenOrDie;
using testing::TempDir;

TEST_CASE("Reopening the file keeps records, cursors, states and snapshots", "[store]") {
  TempDir dir;
  const std::string path = dir.File("s.db");
  {
    auto store = OpenOrDie(path);
    Page page;
    page.stream = "contacts";
    page.contacts = {MakeContact("c1", "a@example.com")};
    page.cursor = "k1";
    REQUIRE(store->CommitPage("hubspot", page).ok());
    REQUIRE(store->RecordSuccess("hubspot", "contacts", 111).ok());
    SnapshotRow row;
    row.computed_at = 5;
    row.json = "{\"a\":1}";
    REQUIRE(store->SaveSnapshot(row, SnapshotRetention{}).ok());
  }
  auto store = OpenOrDie(path);
  CHECK(AllContacts(*store).size() == 1);
  CHECK(Cursor(*store, "hubspot", "contacts") == "k1");
  auto states = store->ListStreamStates();
  REQUIRE(states.ok());
  REQUIRE(states->size() == 1);
  CHECK((*states)[0].last_success_at == 111);
  auto latest = store->LatestSnapshot();
  REQUIRE(latest.ok());
  REQUIRE(latest->has_value());
  CHECK((*latest)->json == "{\"a\":1}");
  auto version = store->SchemaVersion();
  REQUIRE(version.ok());
  CHECK(*version == Store::kSchemaVersion);
}

TEST_CASE("RecordError keeps the cursor and RecordSuccess clears the error", "[store]") {
  TempDir dir;
  auto store = OpenOrDie(dir.File("s.db"));

  Page page;
  page.stream = "contacts";
  page.cursor = "k1";
  REQUIRE(store->CommitPage("hubspot", page).ok());
  REQUIRE(store->RecordSuccess("hubspot", "contacts", 100).ok());
  REQUIRE(store->RecordError("hubspot", "contacts", "HTTP 503", 200).ok());

  auto states = store->ListStreamStates();
  REQUIRE(states.ok());
  REQUIRE(states->size() == 1);
  StreamState st = (*states)[0];
  CHECK(st.connector == "hubspot");
  CHECK(st.stream == "contacts");
  CHECK(st.cursor == "k1");
  CHECK(st.last_success_at == 100);
  CHECK(st.last_error == "HTTP 503");
  CHECK(st.last_error_at == 200);
  CHECK(st.failures_in_a_row == 1);
  REQUIRE(store->RecordError("hubspot", "contacts", "HTTP 502", 250).ok());
  states = store->ListStreamStates();
  REQUIRE(states.ok());
  CHECK((*states)[0].failures_in_a_row == 2);

  REQUIRE(store->RecordSuccess("hubspot", "contacts", 300).ok());
  states = store->ListStreamStates();
  REQUIRE(states.ok());
  st = (*states)[0];
  CHECK(st.cursor == "k1");
  CHECK(st.last_success_at == 300);
  CHECK(st.failures_in_a_row == 0);
  CHECK(st.last_error.empty());
  CHECK_FALSE(st.last_error_at.has_value());

  SECTION("an error on a stream that never committed creates its state without a cursor") {
    REQUIRE(store->RecordError("mailchimp", "campaigns", "HTTP 401", 400).ok());
    CHECK(Cursor(*store, "mailchimp", "campaigns").empty());
    states = store->ListStreamStates();
    REQUIRE(states.ok());
    REQUIRE(states->size() == 2);
    CHECK((*states)[1].connector == "mailchimp");
    CHECK((*states)[1].last_error == "HTTP 401");
    CHECK_FALSE((*states)[1].last_success_at.has_value());
  }
}

TEST_CASE("ResetCursor forgets the cursor and keeps the rows", "[store]") {
  TempDir dir;
  auto store = OpenOrDie(dir.File("s.db"));
  Page page;
  page.stream = "contacts";
  page.contacts = {MakeContact("c1", "a@example.com")};
  page.cursor = "k1";
  REQUIRE(store->CommitPage("hubspot", page).ok());
  REQUIRE(store->RecordSuccess("hubspot", "contacts", 100).ok());

  REQUIRE(store->ResetCursor("hubspot", "contacts").ok());
  CHECK(Cursor(*store, "hubspot", "contacts").empty());
  CHECK(AllContacts(*store).size() == 1);
  auto states = store->ListStreamStates();
  REQUIRE(states.ok());
  CHECK((*states)[0].last_success_at == 100);
  CHECK(store->ResetCursor("hubspot", "never").ok());
}

TEST_CASE("CountRows counts one source's records of each kind, deleted ones only when asked",
          "[store]") {
  TempDir dir;
  auto store = OpenOrDie(dir.File("s.db"));
  for (RecordKind kind :
       {RecordKind::kContact, RecordKind::kDeal, RecordKind::kOwner, RecordKind::kEmailCampaign,
        RecordKind::kEmailEvent, RecordKind::kEmailMember}) {
    INFO(RecordKindName(kind));
    CHECK(Count(*store, kind, "hubspot", true) == 0);
  }
  Page page;
  page.stream = "all";
  page.contacts = {MakeContact("c1", "a@example.com"), MakeContact("c2", "b@example.com")};
  page.deals = {MakeDeal("d1")};
  page.owners = {Owner{.id = "o1"}, Owner{.id = "o2"}};
  page.campaigns = {EmailCampaign{.id = "m1"}};
  page.events = {EmailEvent{.id = "e1"}, EmailEvent{.id = "e2"}};
  page.members = {EmailMember{.id = "x1"}};
  page.deletions = {Deletion{.kind = RecordKind::kContact, .id = "c2", .deleted_at = 5},
                    Deletion{.kind = RecordKind::kOwner, .id = "o2", .deleted_at = 5},
                    Deletion{.kind = RecordKind::kEmailEvent, .id = "e2", .deleted_at = 5}};
  REQUIRE(store->CommitPage("hubspot", page).ok());
  REQUIRE(store->CommitPage("other", Page{.stream = "all", .contacts = {page.contacts[0]}}).ok());

  CHECK(Count(*store, RecordKind::kContact, "hubspot", true) == 2);
  CHECK(Count(*store, RecordKind::kContact, "hubspot", false) == 1);
  CHECK(Count(*store, RecordKind::kContact, "other", false) == 1);
  CHECK(Count(*store, RecordKind::kDeal, "hubspot", false) == 1);
  // A removed owner is an inactive one: it still counts.
  CHECK(Count(*store, RecordKind::kOwner, "hubspot", false) == 2);
  CHECK(Count(*store, RecordKind::kEmailCampaign, "hubspot", false) == 1);
  CHECK(Count(*store, RecordKind::kEmailEvent, "hubspot", true) == 2);
  CHECK(Count(*store, RecordKind::kEmailEvent, "hubspot", false) == 1);
  CHECK(Count(*store, RecordKind::kEmailMember, "hubspot", false) == 1);
}

TEST_CASE("Commits from several threads all land", "[store]") {
  TempDir dir;
  auto store = OpenOrDie(dir.File("s.db"));
  constexpr int kThreads = 4;
  constexpr int kPages = 20;
  std::vector<std::thread> threads;
  std::vector<int> failures(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int p = 0; p < kPages; ++p) {
        Page page;
        page.stream = "s" + std::to_string(t);
        page.contacts = {MakeContact(std::to_string(t) + "-" + std::to_string(p), "x@y.z")};
        page.cursor = std::to_string(p);
        if (!store->CommitPage("src", page).ok()) ++failures[t];
      }
    });
  }
  for (std::thread& th : threads) th.join();
  CHECK(failures == std::vector<int>(kThreads, 0));
  CHECK(Count(*store, RecordKind::kContact, "src", false) == kThreads * kPages);
  for (int t = 0; t < kThreads; ++t) {
    CHECK(Cursor(*store, "src", "s" + std::to_string(t)) == std::to_string(kPages - 1));
  }
}

TEST_CASE("A second Store on the same file sees the first one's commits", "[store]") {
  TempDir dir;
  const std::string path = dir.File("s.db");
  auto writer = OpenOrDie(path);
  auto reader = OpenOrDie(path);
  Page page;
  page.stream = "contacts";
  page.contacts = {MakeContact("c1", "a@example.com")};
  page.cursor = "k";
  REQUIRE(writer->CommitPage("hubspot", page).ok());
  CHECK(AllContacts(*reader).size() == 1);
  CHECK(Cursor(*reader, "hubspot", "contacts") == "k");
}

TEST_CASE("NewestChangeAt reads the latest change of a source's records of a kind", "[store]") {
  TempDir dir;
  auto store = OpenOrDie(dir.File("s.db"));
  Page page;
  page.stream = "contacts";
  page.contacts = {Contact{.id = "1", .updated_at = 500}, Contact{.id = "2", .updated_at = 900},
                   Contact{.id = "3"}};
  page.events = {EmailEvent{
      .id = "e", .campaign_id = "m", .email = "a@x.com", .type = "open", .occurred_at = 700}};
  REQUIRE(store->CommitPage("crm", page).ok());
  Page other;
  other.stream = "contacts";
  other.contacts = {Contact{.id = "9", .updated_at = 5000}};
  REQUIRE(store->CommitPage("other", other).ok());
  CHECK(*store->NewestChangeAt(RecordKind::kContact, "crm") == 900);
  CHECK(*store->NewestChangeAt(RecordKind::kEmailEvent, "crm") == 700);
  CHECK(*store->NewestChangeAt(RecordKind::kContact, "other") == 5000);
  CHECK_FALSE(store->NewestChangeAt(RecordKind::kDeal, "crm")->has_value());
  CHECK_FALSE(store->NewestChangeAt(RecordKind::kOwner, "crm")->has_value());
  // The same reading as a page's own.
  CHECK(page.NewestChangeAt() == 900);
}

}  // namespace
}  // namespace salesaudit

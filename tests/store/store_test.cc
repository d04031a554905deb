// Store tests on real SQLite files in a fresh temporary directory per test.
#include "store/store.h"

#include <sqlite3.h>
#include <stdlib.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace salesaudit {
namespace {

namespace fs = std::filesystem;

// A directory removed with everything in it when the test ends.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "store_test_XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

// A second, raw connection to the file, as a user's BI tool would open it.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    REQUIRE(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                            nullptr) == SQLITE_OK);
  }
  ~RawDb() { sqlite3_close_v2(db_); }

  void Exec(const std::string& sql) {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    std::string message = err != nullptr ? err : "";
    sqlite3_free(err);
    INFO(sql << ": " << message);
    REQUIRE(rc == SQLITE_OK);
  }

  // The first column of every row, as text ("NULL" for NULL).
  std::vector<std::string> Column(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    INFO(sql);
    REQUIRE(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK);
    std::vector<std::string> out;
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      const unsigned char* text = sqlite3_column_text(stmt, 0);
      out.push_back(text == nullptr ? "NULL" : reinterpret_cast<const char*>(text));
    }
    sqlite3_finalize(stmt);
    return out;
  }

  std::string One(const std::string& sql) {
    std::vector<std::string> rows = Column(sql);
    INFO(sql);
    REQUIRE(rows.size() == 1);
    return rows[0];
  }

 private:
  sqlite3* db_ = nullptr;
};

std::unique_ptr<Store> OpenOrDie(const std::string& path) {
  auto store = Store::Open(path);
  INFO(store.status().ToString());
  REQUIRE(store.ok());
  return std::move(store).value();
}

Contact MakeContact(const std::string& id, const std::string& email) {
  Contact c;
  c.id = id;
  c.email = email;
  c.first_name = "Ada";
  c.last_name = "Lovelace";
  c.owner_id = "o1";
  c.channel = "PAID_SEARCH";
  c.lifecycle_stage = "lead";
  c.created_at = 1704878130234;  // 2024-01-10T09:15:30.234Z
  c.updated_at = 1704878130234;
  return c;
}

Deal MakeDeal(const std::string& id) {
  Deal d;
  d.id = id;
  d.name = "Big deal";
  d.owner_id = "o1";
  d.pipeline = "default";
  d.stage = "closedwon";
  d.amount = 1234.5;
  d.currency = "EUR";
  d.created_at = 1704067200000;  // 2024-01-01T00:00:00.000Z
  d.closed_at = 1706745600000;   // 2024-02-01T00:00:00.000Z
  d.is_closed = true;
  d.is_won = true;
  return d;
}

std::vector<StoredContact> AllContacts(Store& store) {
  std::vector<StoredContact> out;
  REQUIRE(store.ForEachContact([&](const StoredContact& c) { out.push_back(c); }).ok());
  return out;
}

std::vector<StoredDeal> AllDeals(Store& store) {
  std::vector<StoredDeal> out;
  REQUIRE(store.ForEachDeal([&](const StoredDeal& d) { out.push_back(d); }).ok());
  return out;
}

std::vector<StoredOwner> AllOwners(Store& store) {
  std::vector<StoredOwner> out;
  REQUIRE(store.ForEachOwner([&](const StoredOwner& o) { out.push_back(o); }).ok());
  return out;
}

std::string Cursor(Store& store, const std::string& connector, const std::string& stream) {
  auto cursor = store.GetCursor(connector, stream);
  REQUIRE(cursor.ok());
  return *cursor;
}

int64_t Count(Store& store, RecordKind kind, const std::string& source, bool include_deleted) {
  auto n = store.CountRows(kind, source, include_deleted);
  INFO(n.status().ToString());
  REQUIRE(n.ok());
  return *n;
}

// The version 1 schema exactly as released, to build files an older
// salesaudit left behind.
constexpr const char* kV1Schema = R"sql(
CREATE TABLE contacts (source TEXT NOT NULL CHECK (source <> ''),
  id TEXT NOT NULL CHECK (id <> ''), email TEXT, first_name TEXT, last_name TEXT,
  owner_id TEXT, channel TEXT, lifecycle_stage TEXT, lead_status TEXT, created_at INTEGER,
  mql_at INTEGER, contacted_at INTEGER, sql_at INTEGER, customer_at INTEGER,
  updated_at INTEGER, deleted_at INTEGER, PRIMARY KEY (source, id)) WITHOUT ROWID;
CREATE TABLE deals (source TEXT NOT NULL CHECK (source <> ''),
  id TEXT NOT NULL CHECK (id <> ''), name TEXT, owner_id TEXT, pipeline TEXT, stage TEXT,
  amount REAL, currency TEXT, created_at INTEGER, closed_at INTEGER,
  is_closed INTEGER NOT NULL DEFAULT 0 CHECK (is_closed IN (0, 1)),
  is_won INTEGER NOT NULL DEFAULT 0 CHECK (is_won IN (0, 1)), updated_at INTEGER,
  deleted_at INTEGER, PRIMARY KEY (source, id)) WITHOUT ROWID;
CREATE TABLE deal_contacts (source TEXT NOT NULL CHECK (source <> ''),
  deal_id TEXT NOT NULL CHECK (deal_id <> ''), contact_id TEXT NOT NULL CHECK (contact_id <> ''),
  PRIMARY KEY (source, deal_id, contact_id)) WITHOUT ROWID;
CREATE TABLE owners (source TEXT NOT NULL CHECK (source <> ''),
  id TEXT NOT NULL CHECK (id <> ''), email TEXT, name TEXT,
  active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  PRIMARY KEY (source, id)) WITHOUT ROWID;
CREATE TABLE email_campaigns (source TEXT NOT NULL CHECK (source <> ''),
  id TEXT NOT NULL CHECK (id <> ''), name TEXT, subject TEXT, kind TEXT, sent_at INTEGER,
  deleted_at INTEGER, PRIMARY KEY (source, id)) WITHOUT ROWID;
CREATE TABLE email_events (source TEXT NOT NULL CHECK (source <> ''),
  id TEXT NOT NULL CHECK (id <> ''), campaign_id TEXT, email TEXT, type TEXT,
  occurred_at INTEGER, url TEXT, deleted_at INTEGER, PRIMARY KEY (source, id)) WITHOUT ROWID;
CREATE TABLE sync_state (connector TEXT NOT NULL CHECK (connector <> ''),
  stream TEXT NOT NULL CHECK (stream <> ''), cursor TEXT, last_success_at INTEGER,
  last_error TEXT, last_error_at INTEGER, PRIMARY KEY (connector, stream)) WITHOUT ROWID;
CREATE TABLE audit_snapshots (id INTEGER PRIMARY KEY, computed_at INTEGER NOT NULL,
  window_from INTEGER, window_to INTEGER, json TEXT NOT NULL);
PRAGMA user_version = 1;
)sql";

TEST_CASE("Open creates the latest schema in WAL mode", "[store]") {
  TempDir dir;
  const std::string path = dir.File("new.db");
  auto store = OpenOrDie(path);

  auto version = store->SchemaVersion();
  REQUIRE(version.ok());
  CHECK(*version == Store::kSchemaVersion);

  RawDb raw(path);
  CHECK(raw.One("PRAGMA journal_mode") == "wal");
  CHECK(raw.One("PRAGMA user_version") == std::to_string(Store::kSchemaVersion));
  std::vector<std::string> objects =
      raw.Column("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY name");
  CHECK(objects == std::vector<std::string>{"alert_groups",
                                            "alert_states",
                                            "audit_snapshots",
                                            "contacts",
                                            "deal_contacts",
                                            "deals",
                                            "email_campaign_recipients",
                                            "email_campaign_stats",
                                            "email_campaigns",
                                            "email_events",
                                            "email_members",
                                            "notification_outbox",
                                            "owners",
                                            "silences",
                                            "sync_state",
                                            "v_contacts",
                                            "v_deals",
                                            "v_email_events",
                                            "v_email_members",
                                            "value_issues"});
  // The documented columns, in order.
  CHECK(raw.Column("SELECT name FROM pragma_table_info('contacts')") ==
        std::vector<std::string>{"source", "id", "email", "first_name", "last_name", "owner_id",
                                 "channel", "lifecycle_stage", "lead_status", "created_at",
                                 "mql_at", "contacted_at", "sql_at", "customer_at", "updated_at",
                                 "deleted_at"});
  CHECK(raw.Column("SELECT name FROM pragma_table_info('deals')") ==
        std::vector<std::string>{"source", "id", "name", "owner_id", "pipeline", "stage", "amount",
                                 "currency", "created_at", "closed_at", "is_closed", "is_won",
                                 "updated_at", "deleted_at"});
  CHECK(raw.Column("SELECT name FROM sqlite_master WHERE type = 'index' AND "
                   "name NOT LIKE 'sqlite_%' ORDER BY name") ==
        std::vector<std::string>{"audit_snapshots_computed_at", "audit_snapshots_purpose",
                                 "deal_contacts_contact", "deals_source_owner",
                                 "email_events_clicks", "notification_outbox_due"});
  // New events are counted by CommitPage, per page; triggers count the rest.
  CHECK(raw.Column("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name") ==
        std::vector<std::string>{"email_campaign_recipients_counted",
                                 "email_campaign_recipients_recounted", "email_events_recounted",
                                 "email_events_uncounted"});
}

TEST_CASE("Open fails as unavailable when the directory does not exist", "[store]") {
  TempDir dir;
  const std::string path = dir.File("missing/sub/store.db");
  auto store = Store::Open(path);
  REQUIRE_FALSE(store.ok());
  CHECK(store.status().code() == StatusCode::kUnavailable);
  CHECK_THAT(store.status().message(),
             Catch::Contains(path) &&
                 Catch::Contains("directory " + dir.File("missing/sub") + " does not exist"));
  CHECK_FALSE(fs::exists(dir.File("missing")));
}

TEST_CASE("Open refuses a file that is not an SQLite database", "[store]") {
  TempDir dir;
  const std::string path = dir.File("notes.txt");
  std::ofstream(path) << "these are notes, not a database; long enough to fill a header\n";
  auto store = Store::Open(path);
  REQUIRE_FALSE(store.ok());
  CHECK(store.status().code() == StatusCode::kInvalidArgument);
  CHECK_THAT(store.status().message(), Catch::Contains(path));
}

TEST_CASE("Opening an up-to-date file does not wait for another writer", "[store]") {
  TempDir dir;
  const std::string path = dir.File("s.db");
  auto first = OpenOrDie(path);
  RawDb writer(path);
  writer.Exec("BEGIN IMMEDIATE; INSERT INTO owners (source, id) VALUES ('x', 'o1');");
  auto second = Store::Open(path);
  INFO(second.status().ToString());
  CHECK(second.ok());
  writer.Exec("ROLLBACK");
}

TEST_CASE("Open migrates a version 1 file to the latest version and keeps its rows", "[store]") {
  TempDir dir;
  const std::string path = dir.File("old.db");
  {
    RawDb raw(path);
    raw.Exec(kV1Schema);
    raw.Exec(
        "INSERT INTO contacts (source, id, email, created_at) "
        "VALUES ('hubspot', 'c1', 'a@example.com', 1704878130234);"
        "INSERT INTO sync_state (connector, stream, cursor) VALUES ('hubspot', 'contacts', 'k9');"
        "INSERT INTO sync_state (connector, stream, last_success_at, last_error, last_error_at) "
        "VALUES ('hubspot', 'deals', 100, 'HTTP 503', 200), ('hubspot', 'owners', 300, NULL, NULL);"
        "INSERT INTO owners (source, id, name) VALUES ('hubspot', 'o1', 'Grace');");
  }

  auto store = OpenOrDie(path);
  auto version = store->SchemaVersion();
  REQUIRE(version.ok());
  CHECK(*version == Store::kSchemaVersion);

  std::vector<StoredContact> contacts = AllContacts(*store);
  REQUIRE(contacts.size() == 1);
  CHECK(contacts[0].source == "hubspot");
  CHECK(contacts[0].contact.id == "c1");
  CHECK(contacts[0].contact.email == "a@example.com");
  CHECK(contacts[0].contact.created_at == 1704878130234);
  CHECK(Cursor(*store, "hubspot", "contacts") == "k9");
  CHECK(AllOwners(*store).size() == 1);
  // A stream whose last run failed counts one failure in a row (v7).
  auto states = store->ListStreamStates();
  REQUIRE(states.ok());
  REQUIRE(states->size() == 3);
  CHECK((*states)[0].failures_in_a_row == 0);  // contacts
  CHECK((*states)[1].failures_in_a_row == 1);  // deals
  CHECK((*states)[2].failures_in_a_row == 0);  // owners

  RawDb raw(path);
  CHECK(raw.One("PRAGMA journal_mode") == "wal");
  CHECK(raw.One("SELECT created_at FROM v_contacts") == "2024-01-10T09:15:30.234Z");
  CHECK(raw.One("SELECT count(*) FROM sqlite_master WHERE name = 'deals_source_owner'") == "1");
}

TEST_CASE("Open refuses a file from a newer salesaudit and leaves it untouched", "[store]") {
  TempDir dir;
  const std::string path = dir.File("future.db");
  const int future = Store::kSchemaVersion + 1;
  {
    RawDb raw(path);
    raw.Exec("CREATE TABLE later (x); PRAGMA user_version = " + std::to_string(future));
  }

  auto store = Store::Open(path);
  REQUIRE_FALSE(store.ok());
  CHECK(store.status().code() == StatusCode::kInvalidArgument);
  CHECK_THAT(store.status().message(), Catch::Contains(path));
  CHECK_THAT(store.status().message(), Catch::Contains(std::to_string(future)));
  CHECK_THAT(store.status().message(),
             Catch::Contains("(" + std::to_string(Store::kSchemaVersion) + ")"));

  RawDb raw(path);
  CHECK(raw.One("PRAGMA user_version") == std::to_string(future));
  CHECK(raw.One("PRAGMA journal_mode") == "delete");
}

TEST_CASE("CommitPage stores the records and the cursor together", "[store]") {
  TempDir dir;
  auto store = OpenOrDie(dir.File("s.db"));

  Page page;
  page.stream = "contacts";
  page.contacts = {MakeContact("c1", "a@example.com"), MakeContact("c2", "b@example.com")};
  page.cursor = "after-c2";
  REQUIRE(store->CommitPage("hubspot", page).ok());

  std::vector<StoredContact> contacts = AllContacts(*store);
  REQUIRE(contacts.size() == 2);
  const StoredContact& c1 = contacts[0];
  CHECK(c1.source == "hubspot");
  CHECK(c1.contact.id == "c1");
  CHECK(c1.contact.first_name == "Ada");
  CHECK(c1.contact.last_name == "Lovelace");
  CHECK(c1.contact.owner_id == "o1");
  CHECK(c1.contact.channel == "PAID_SEARCH");
  CHECK(c1.contact.lifecycle_stage == "lead");
  CHECK(c1.contact.lead_status.empty());
  CHECK(c1.contact.created_at == 1704878130234);
  CHECK_FALSE(c1.contact.mql_at.has_value());
  CHECK_FALSE(c1.deleted_at.has_value());
  CHECK(contacts[1].contact.id == "c2");
  CHECK(Cursor(*store, "hubspot", "contacts") == "after-c2");
  CHECK(Cursor(*store, "hubspot", "deals").empty());
  CHECK(Count(*store, RecordKind::kContact, "hubspot", false) == 2);
  CHECK(Count(*store, RecordKind::kContact, "other", true) == 0);
}

TEST_CASE("CommitPage stores every record kind of a page", "[store]") {
  TempDir dir;
  const std::string path = dir.File("s.db");
  auto store = OpenOrDie(path);

  Page page;
  page.stream = "mixed";
  page.deals = {MakeDeal("d1")};
  page.deals[0].contact_ids = std::vector<std::string>{"c1", "c2"};
  Owner owner;
  owner.id = "o1";
  owner.email = "Grace@Example.COM";
  owner.name = "Grace Hopper";
  page.owners = {owner};
  EmailCampaign campaign;
  campaign.id = "m1";
  campaign.name = "January news";
  campaign.subject = "Hello";
  campaign.kind = "regular";
  campaign.sent_at = 1704067200000;
  page.campaigns = {campaign};
  EmailEvent event;
  event.id = "e1";
  event.campaign_id = "m1";
  event.email = "a@example.com";
  event.type = "click";
  event.occurred_at = 1704067260000;
  event.url = "https://example.com/x";
  page.events = {event};
  page.cursor = "c";
  REQUIRE(store->CommitPage("crm", page).ok());

  std::vector<StoredDeal> deals = AllDeals(*store);
  REQUIRE(deals.size() == 1);
  const Deal& d = deals[0].deal;
  CHECK(deals[0].source == "crm");
  CHECK(d.name == "Big deal");
  CHECK(d.pipeline == "default");
  CHECK(d.stage == "closedwon");
  CHECK(d.amount == 1234.5);
  CHECK(d.currency == "EUR");
  CHECK(d.closed_at == 1706745600000);
  CHECK(d.is_closed);
  CHECK(d.is_won);
  CHECK_FALSE(d.contact_ids.has_value());

  std::vector<StoredOwner> owners = AllOwners(*store);
  REQUIRE(owners.size() == 1);
  CHECK(owners[0].owner.email == "grace@example.com");
  CHECK(owners[0].owner.name == "Grace Hopper");
  CHECK(owners[0].owner.active);

  auto pairs = store->DealContacts("crm");
  REQUIRE(pairs.ok());
  CHECK(*pairs == std::vector<std::pair<std::string, std::string>>{{"d1", "c1"}, {"d1", "c2"}});

  CHECK(Count(*store, RecordKind::kDeal, "crm", false) == 1);
  CHECK(pairs->size() == 2);
  CHECK(Count(*store, RecordKind::kOwner, "crm", false) == 1);
  CHECK(Count(*store, RecordKind::kEmailCampaign, "crm", false) == 1);
  CHECK(Count(*store, RecordKind::kEmailEvent, "crm", false) == 1);
  auto states = store->ListStreamStates();
  REQUIRE(states.ok());
  CHECK(std::count_if(states->begin(), states->end(),
                      [](const StreamState& st) { return st.connector == "crm"; }) == 1);

  std::vector<StoredEmailCampaign> campaigns;
  REQUIRE(store->ForEachEmailCampaign([&](const StoredEmailCampaign& c) { campaigns.push_back(c); })
              .ok());
  REQUIRE(campaigns.size() == 1);
  CHECK(campaigns[0].source == "crm");
  CHECK(campaigns[0].campaign.id == "m1");
  CHECK(campaigns[0].campaign.name == "January news");
  CHECK(campaigns[0].campaign.subject == "Hello");
  CHECK(campaigns[0].campaign.kind == "regular");
  CHECK(campaigns[0].campaign.sent_at == 1704067200000);
  CHECK_FALSE(campaigns[0].deleted_at.has_value());

  std::vector<StoredEmailEvent> events;
  REQUIRE(store->ForEachEmailEvent([&](const StoredEmailEvent& e) { events.push_back(e); }).ok());
  REQUIRE(events.size() == 1);
  CHECK(events[0].source == "crm");
  CHECK(events[0].event.id == "e1");
  CHECK(events[0].event.campaign_id == "m1");
  CHECK(events[0].event.email == "a@example.com");
  CHECK(events[0].event.type == "click");
  CHECK(events[0].event.occurred_at == 1704067260000);
  CHECK(events[0].event.url == "https://example.com/x");

  RawDb raw(path);
  CHECK(raw.One("SELECT typeof(amount) FROM deals") == "real");
  CHECK(raw.One("SELECT is_won FROM deals") == "1");
}

TEST_CASE("A page with a bad record stores nothing, keeps the cursor and names the record",
          "[store]") {
  TempDir dir;
  auto store = OpenOrDie(dir.File("s.db"));

  Page first;
  first.stream = "contacts";
  first.contacts = {MakeContact("c1", "a@example.com")};
  first.cursor = "one";
  REQUIRE(store->CommitPage("hubspot", first).ok());

  Page bad;
  bad.stream = "contacts";
  bad.contacts = {MakeContact("c2", "b@example.com"), MakeContact("", "c@example.com")};
  bad.contacts[0].first_name = "Changed";
  bad.deletions = {{RecordKind::kContact, "c1", 1704067200000}};
  bad.cursor = "two";
  Status status = store->CommitPage("hubspot", bad);
  REQUIRE_FALSE(status.ok());
  CHECK(status.code() == StatusCode::kDataLoss);
  CHECK_THAT(status.message(), Catch::Contains("hubspot/contacts"));
  CHECK_THAT(status.message(), Catch::Contains("contact \"\""));
  CHECK_THAT(status.message(), Catch::Contains("contacts.id"));

  std::vector<StoredContact> contacts = AllContacts(*store);
  REQUIRE(contacts.size() == 1);
  CHECK(contacts[0].contact.id == "c1");
  CHECK_FALSE(contacts[0].deleted_at.has_value());
  CHECK(Cursor(*store, "hubspot", "contacts") == "one");

  SECTION("a bad associated contact id names the deal and the contact") {
    Page deals;
    deals.stream = "deals";
    deals.deals = {MakeDeal("d7")};
    deals.deals[0].contact_ids = std::vector<std::string>{"c1", ""};
    deals.cursor = "d";
    Status s = store->CommitPage("hubspot", deals);
    REQUIRE_FALSE(s.ok());
    CHECK_THAT(s.message(), Catch::Contains("hubspot/deals: deal \"d7\" contact \"\""));
    CHECK(AllDeals(*store).empty());
    CHECK(Cursor(*store, "hubspot", "deals").empty());
  }
  SECTION("the store keeps working after the failed page") {
    Page next;
    next.stream = "contacts";
    next.contacts = {MakeContact("c3", "d@example.com")};
    next.cursor = "three";
    REQUIRE(store->CommitPage("hubspot", next).ok());
    CHECK(AllContacts(*store).size() == 2);
    CHECK(Cursor(*store, "hubspot", "contacts") == "three");
  }
}

TEST_CASE(
    "A page's value issues are counted by connector and stream and property in its transaction",
    "[store]") {
  TempDir dir;
  auto store = OpenOrDie(dir.File("s.db"));
  Page page;
  page.stream = "contacts";
  page.contacts = {MakeContact("c1", "a@example.com"), MakeContact("c2", "b@example.com")};
  page.value_issues = {
      {RecordKind::kContact, "c1", "createdate", "= \"x\" is not a date; stored as unknown"},
      {RecordKind::kContact, "c2", "createdate", "= \"y\" is not a date; stored as unknown"},
      {RecordKind::kContact, "", "id", "is empty: contact #3 of the page dropped"}};
  page.cursor = "one";
  REQUIRE(store->CommitPage("hubspot", page).ok());
  page.value_issues.resize(1);
  page.cursor = "two";
  REQUIRE(store->CommitPage("hubspot", page).ok());

  auto rows = store->ValueIssueCounts();
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 2);
  const ValueIssueCount& dates = (*rows)[0];
  CHECK(dates.connector == "hubspot");
  CHECK(dates.stream == "contacts");
  CHECK(dates.property == "createdate");
  CHECK(dates.count == 3);
  CHECK(dates.last_record_id == "c1");
  CHECK_THAT(dates.last_problem, Catch::Contains("\"x\" is not a date"));
  CHECK(dates.last_seen_at > 0);
  const ValueIssueCount& ids = (*rows)[1];
  CHECK(ids.property == "id");
  CHECK(ids.count == 1);
  CHECK(ids.last_record_id.empty());

  SECTION("a page that fails counts none of its issues") {
    Page bad = page;
    bad.contacts.push_back(MakeContact("", "c@example.com"));  // the store refuses it
    REQUIRE_FALSE(store->CommitPage("hubspot", bad).ok());
    auto after = store->ValueIssueCounts();
    REQUIRE(after.ok());
    CHECK((*after)[0].count == 3);
  }
}

TEST_CASE("CommitPage refuses an empty source or stream", "[store]") {
  TempDir dir;
  auto store = OpenOrDie(dir.File("s.db"));
  Page page;
  page.contacts = {MakeContact("c1", "a@example.com")};
  CHECK(store->CommitPage("hubspot", page).code() == StatusCode::kInvalidArgument);
  page.stream = "contacts";
  CHECK(store->CommitPage("", page).code() == StatusCode::kInvalidArgument);
  CHECK(AllContacts(*store).empty());
}

TEST_CASE("An upsert replaces every column and clears deleted_at", "[store]") {
  TempDir dir;
  auto store = OpenOrDie(dir.File("s.db"));

  Page page;
  page.stream = "contacts";
  page.contacts = {MakeContact("c1", "a@example.com")};
  page.contacts[0].lead_status = "NEW";
  page.cursor = "1";
  REQUIRE(store->CommitPage("hubspot", page).ok());

  Page deletion;
  deletion.stream = "contacts";
  deletion.deletions = {{RecordKind::kContact, "c1", 1704100000000}};
  deletion.cursor = "2";
  REQUIRE(store->CommitPage("hubspot", deletion).ok());
  REQUIRE(AllContacts(*store)[0].deleted_at == 1704100000000);

  Contact changed;
  changed.id = "c1";
  changed.email = "new@example.com";
  changed.channel = "ORGANIC_SEARCH";
  changed.mql_at = 1704200000000;
  Page update;
  update.stream = "contacts";
  update.contacts = {changed};
  update.cursor = "3";
  REQUIRE(store->CommitPage("hubspot", update).ok());

  std::vector<StoredContact> contacts = AllContacts(*store);
  REQUIRE(contacts.size() == 1);
  const Contact& c = contacts[0].contact;
  CHECK(c.email == "new@example.com");
  CHECK(c.channel == "ORGANIC_SEARCH");
  // Fields the new version lacks are unknown now, not the old values.
  CHECK(c.first_name.empty());
  CHECK(c.lead_status.empty());
  CHECK_FALSE(c.created_at.has_value());
  CHECK(c.mql_at == 1704200000000);
  CHECK_FALSE(contacts[0].deleted_at.has_value());
  CHECK(Count(*store, RecordKind::kContact, "hubspot", false) == 1);
}

TEST_CASE("Deletions mark rows deleted, owners inactive, and ignore unknown ids", "[store]") {
  TempDir dir;
  const std::string path = dir.File("s.db");
  auto store = OpenOrDie(path);

  Page page;
  page.stream = "all";
  page.contacts = {MakeContact("c1", "a@example.com"), MakeContact("c2", "b@example.com")};
  page.deals = {MakeDeal("d1")};
  Owner owner;
  owner.id = "o1";
  page.owners = {owner};
  EmailCampaign campaign;
  campaign.id = "m1";
  page.campaigns = {campaign};
  EmailEvent event;
  event.id = "e1";
  event.type = "open";
  page.events = {event};
  REQUIRE(store->CommitPage("src", page).ok());

  Page deletions;
  deletions.stream = "all";
  deletions.deletions = {
      {RecordKind::kContact, "c1", 1000},    {RecordKind::kDeal, "d1", 2000},
      {RecordKind::kOwner, "o1", 3000},      {RecordKind::kEmailCampaign, "m1", 4000},
      {RecordKind::kEmailEvent, "e1", 5000}, {RecordKind::kContact, "never-stored", 6000},
  };
  REQUIRE(store->CommitPage("src", deletions).ok());

  std::vector<StoredContact> contacts = AllContacts(*store);
  REQUIRE(contacts.size() == 2);
  CHECK(contacts[0].deleted_at == 1000);
  CHECK_FALSE(contacts[1].deleted_at.has_value());
  CHECK(AllDeals(*store)[0].deleted_at == 2000);
  CHECK_FALSE(AllOwners(*store)[0].owner.active);

  CHECK(Count(*store, RecordKind::kContact, "src", false) == 1);
  CHECK(Count(*store, RecordKind::kContact, "src", true) == 2);
  CHECK(Count(*store, RecordKind::kDeal, "src", false) == 0);
  CHECK(Count(*store, RecordKind::kDeal, "src", true) == 1);
  CHECK(Count(*store, RecordKind::kEmailCampaign, "src", false) == 0);
  CHECK(Count(*store, RecordKind::kEmailEvent, "src", false) == 0);
  CHECK(Count(*store, RecordKind::kEmailEvent, "src", true) == 1);
  // owners have no deleted_at: an inactive owner is still counted.
  CHECK(Count(*store, RecordKind::kOwner, "src", false) == 1);

  std::vector<int64_t> deleted;
  REQUIRE(store
              ->ForEachEmailCampaign([&](const StoredEmailCampaign& c) {
                deleted.push_back(c.deleted_at.value_or(-1));
              })
              .ok());
  REQUIRE(store
              ->ForEachEmailEvent(
                  [&](const StoredEmailEvent& e) { deleted.push_back(e.deleted_at.value_or(-1)); })
              .ok());
  CHECK(deleted == std::vector<int64_t>{4000, 5000});

  RawDb raw(path);
  CHECK(raw.One("SELECT count(*) FROM contacts WHERE id = 'never-stored'") == "0");
}

TEST_CASE("deal_contacts are replaced only when a deal carries contact_ids", "[store]") {
  TempDir dir;
  auto store = OpenOrDie(dir.File("s.db"));
  auto pairs_of = [&](const std::string& source) {
    auto pairs = store->DealContacts(source);
    REQUIRE(pairs.ok());
    return *pairs;
  };
  using Pairs = std::vector<std::pair<std::string, std::string>>;

  Page page;
  page.stream = "deals";
  page.deals = {MakeDeal("d1"), MakeDeal("d2")};
  page.deals[0].contact_ids = std::vector<std::string>{"c1", "c2", "c2"};
  page.deals[1].contact_ids = std::vector<std::string>{"c3"};
  REQUIRE(store->CommitPage("hubspot", page).ok());
  CHECK(pairs_of("hubspot") == Pairs{{"d1", "c1"}, {"d1", "c2"}, {"d2", "c3"}});

  Page unset;
  unset.stream = "deals";
  unset.deals = {MakeDeal("d1")};
  REQUIRE(store->CommitPage("hubspot", unset).ok());
  CHECK(pairs_of("hubspot") == Pairs{{"d1", "c1"}, {"d1", "c2"}, {"d2", "c3"}});

  Page replaced;
  replaced.stream = "deals";
  replaced.deals = {MakeDeal("d1")};
  replaced.deals[0].contact_ids = std::vector<std::string>{"c4"};
  REQUIRE(store->CommitPage("hubspot", replaced).ok());
  CHECK(pairs_of("hubspot") == Pairs{{"d1", "c4"}, {"d2", "c3"}});

  Page emptied;
  emptied.stream = "deals";
  emptied.deals = {MakeDeal("d2")};
  emptied.deals[0].contact_ids = std::vector<std::string>{};
  REQUIRE(store->CommitPage("hubspot", emptied).ok());
  CHECK(pairs_of("hubspot") == Pairs{{"d1", "c4"}});
  CHECK(pairs_of("other").empty());
}

TEST_CASE("An older copy of a contact or deal never overwrites a newer one", "[store]") {
  TempDir dir;
  auto store = OpenOrDie(dir.File("s.db"));
  Page fresh;
  fresh.stream = "contacts";
  fresh.contacts = {MakeContact("c1", "new@example.com")};
  fresh.contacts[0].updated_at = 2000;
  fresh.deals = {MakeDeal("d1")};
  fresh.deals[0].updated_at = 2000;
  fresh.deals[0].stage = "closedwon";
  REQUIRE(store->CommitPage("hubspot", fresh).ok());

  Page stale = fresh;
  stale.contacts[0].email = "old@example.com";
  stale.contacts[0].updated_at = 1000;
  stale.deals[0].stage = "qualifiedtobuy";
  stale.deals[0].updated_at = 1000;
  REQUIRE(store->CommitPage("hubspot", stale).ok());
  CHECK(AllContacts(*store)[0].contact.email == "new@example.com");
  CHECK(AllDeals(*store)[0].deal.stage == "closedwon");

  Page same_time = fresh;
  same_time.contacts[0].email = "same@example.com";
  REQUIRE(store->CommitPage("hubspot", same_time).ok());
  CHECK(AllContacts(*store)[0].contact.email == "same@example.com");
}

TEST_CASE("A deletion keeps the first deleted_at and a merge moves deal links to the survivor",
          "[store]") {
  TempDir dir;
  auto store = OpenOrDie(dir.File("s.db"));
  Page page;
  page.stream = "contacts";
  page.contacts = {MakeContact("c1", "a@example.com"), MakeContact("c2", "b@example.com"),
                   MakeContact("c3", "c@example.com")};
  page.deals = {MakeDeal("d1"), MakeDeal("d2")};
  page.deals[0].contact_ids = std::vector<std::string>{"c1", "c2"};
  page.deals[1].contact_ids = std::vector<std::string>{"c2"};
  REQUIRE(store->CommitPage("hubspot", page).ok());

  // c2 merged into c1: d1 already links c1 (stays one link), d2 moves to c1.
  Page merge;
  merge.stream = "contacts";
  merge.deletions = {Deletion{RecordKind::kContact, "c2", 1000, "c1"},
                     Deletion{RecordKind::kContact, "c3", 1000}};
  REQUIRE(store->CommitPage("hubspot", merge).ok());
  auto pairs = store->DealContacts("hubspot");
  REQUIRE(pairs.ok());
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  CHECK(*pairs == Pairs{{"d1", "c1"}, {"d2", "c1"}});

  // Reported again later: the first deletion time stays.
  merge.deletions[0].deleted_at = 9000;
  merge.deletions[1].deleted_at = 9000;
  REQUIRE(store->CommitPage("hubspot", merge).ok());
  for (const auto& c : AllContacts(*store)) {
    if (c.contact.id != "c1") CHECK(c.deleted_at == 1000);
  }
}

TEST_CASE("Text fields are stored as NULL when empty and emails normalized", "[store]") {
  TempDir dir;
  const std::string path = dir.File("s.db");
  auto store = OpenOrDie(path);

  Page page;
  page.stream = "contacts";
  Contact c;
  c.id = "c1";
  c.email = "  Mixed.Case@Example.COM \t";
  page.contacts = {c};
  EmailEvent e;
  e.id = "e1";
  e.email = "X@Y.Z";
  page.events = {e};
  REQUIRE(store->CommitPage("hubspot", page).ok());

  RawDb raw(path);
  CHECK(raw.One("SELECT email FROM contacts") == "mixed.case@example.com");
  CHECK(raw.One("SELECT email FROM email_events") == "x@y.z");
  CHECK(raw.One("SELECT count(*) FROM contacts WHERE first_name IS NULL AND owner_id IS NULL "
                "AND channel IS NULL AND created_at IS NULL") == "1");
  CHECK(raw.One("SELECT count(*) FROM email_events WHERE url IS NULL AND type IS NULL") == "1");
}

TEST_CASE("The views show the same rows with ISO-8601 text times", "[store]") {
  TempDir dir;
  const std::string path = dir.File("s.db");
  auto store = OpenOrDie(path);

  Page page;
  page.stream = "all";
  Contact c = MakeContact("c1", "a@example.com");
  c.customer_at = 0;
  c.mql_at = 1704878130999;
  page.contacts = {c};
  page.deals = {MakeDeal("d1")};
  EmailEvent e;
  e.id = "e1";
  e.type = "open";
  e.occurred_at = 1704067200001;
  page.events = {e};
  REQUIRE(store->CommitPage("hubspot", page).ok());

  RawDb raw(path);
  CHECK(raw.One("SELECT created_at FROM v_contacts") == "2024-01-10T09:15:30.234Z");
  CHECK(raw.One("SELECT mql_at FROM v_contacts") == "2024-01-10T09:15:30.999Z");
  CHECK(raw.One("SELECT customer_at FROM v_contacts") == "1970-01-01T00:00:00.000Z");
  CHECK(raw.One("SELECT sql_at FROM v_contacts") == "NULL");
  CHECK(raw.One("SELECT email || channel FROM v_contacts") == "a@example.comPAID_SEARCH");
  CHECK(raw.One("SELECT closed_at FROM v_deals") == "2024-02-01T00:00:00.000Z");
  CHECK(raw.One("SELECT amount FROM v_deals") == "1234.5");
  CHECK(raw.One("SELECT occurred_at FROM v_email_events") == "2024-01-01T00:00:00.001Z");
  CHECK(raw.One("SELECT typeof(created_at) FROM v_deals") == "text");
}

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

}  // namespace
}  // namespace salesaudit

namespace salesaudit {
namespace {

EmailEvent MakeEvent(const std::string& id, const std::string& campaign, const std::string& email,
                     const std::string& type, int64_t at, bool machine = false) {
  EmailEvent e;
  e.id = id;
  e.campaign_id = campaign;
  e.email = email;
  e.type = type;
  e.occurred_at = at;
  e.machine = machine;
  return e;
}

void CommitEvents(Store& store, const std::vector<EmailEvent>& events,
                  const std::vector<Deletion>& deletions = {}) {
  Page page;
  page.stream = "email_events";
  page.events = events;
  page.deletions = deletions;
  page.cursor = "x";
  Status s = store.CommitPage("esp", page);
  INFO(s.ToString());
  REQUIRE(s.ok());
}

std::vector<EmailCampaignTotals> AllTotals(Store& store) {
  std::vector<EmailCampaignTotals> out;
  REQUIRE(store.ForEachEmailCampaignTotals([&](const EmailCampaignTotals& t) { out.push_back(t); })
              .ok());
  return out;
}

// The totals as "campaign sent/delivered/opened/machine/clicked/bounced/unsub/spam first".
std::vector<std::string> TotalsText(Store& store) {
  std::vector<std::string> out;
  for (const EmailCampaignTotals& t : AllTotals(store)) {
    out.push_back(t.source + "/" + t.campaign_id + " " + std::to_string(t.sent) + "/" +
                  std::to_string(t.delivered) + "/" + std::to_string(t.opened) + "/" +
                  std::to_string(t.machine_opened) + "/" + std::to_string(t.clicked) + "/" +
                  std::to_string(t.bounced) + "/" + std::to_string(t.unsubscribed) + "/" +
                  std::to_string(t.spam_reported) + " " +
                  (t.first_event_at ? std::to_string(*t.first_event_at) : "NULL"));
  }
  return out;
}

// The same figures recomputed from the live events with plain SQL, as a BI
// user would: what the triggers must agree with.
std::vector<std::string> RecomputedTotalsText(const std::string& path) {
  RawDb raw(path);
  return raw.Column(
      "SELECT source || '/' || campaign_id || ' ' || "
      "count(DISTINCT CASE WHEN type = 'sent' THEN email END) || '/' || "
      "count(DISTINCT CASE WHEN type = 'delivered' THEN email END) || '/' || "
      "count(DISTINCT CASE WHEN type = 'open' AND machine = 0 THEN email END) || '/' || "
      "count(DISTINCT CASE WHEN type = 'open' AND machine = 1 THEN email END) || '/' || "
      "count(DISTINCT CASE WHEN type = 'click' AND machine = 0 THEN email END) || '/' || "
      "count(DISTINCT CASE WHEN type = 'bounce' THEN email END) || '/' || "
      "count(DISTINCT CASE WHEN type = 'unsubscribe' THEN email END) || '/' || "
      "count(DISTINCT CASE WHEN type = 'spam' THEN email END) || ' ' || "
      "coalesce(min(occurred_at), 'NULL') "
      "FROM email_events WHERE deleted_at IS NULL AND campaign_id IS NOT NULL "
      "AND email IS NOT NULL GROUP BY source, campaign_id ORDER BY source, campaign_id");
}

TEST_CASE("Campaign totals count distinct recipients and never a machine open or click as human",
          "[store]") {
  TempDir dir;
  const std::string path = dir.File("s.db");
  auto store = OpenOrDie(path);
  CommitEvents(*store, {
                           MakeEvent("1", "m1", "a@x.com", "sent", 500),
                           MakeEvent("2", "m1", "a@x.com", "delivered", 510),
                           MakeEvent("3", "m1", "a@x.com", "open", 600),
                           MakeEvent("4", "m1", "A@X.com ", "open", 700),  // same recipient
                           MakeEvent("5", "m1", "a@x.com", "click", 800),
                           MakeEvent("6", "m1", "a@x.com", "click", 900),
                           MakeEvent("7", "m1", "b@x.com", "sent", 400),
                           MakeEvent("8", "m1", "b@x.com", "delivered", 410),
                           MakeEvent("9", "m1", "b@x.com", "open", 420, true),  // machine only
                           MakeEvent("10", "m1", "c@x.com", "sent", 450),
                           MakeEvent("11", "m1", "c@x.com", "bounce", 460),
                           MakeEvent("12", "m2", "a@x.com", "unsubscribe", 1000),
                           MakeEvent("13", "m2", "b@x.com", "spam", 1100),
                           MakeEvent("16", "m2", "c@x.com", "click", 1200, true),  // a scanner
                           MakeEvent("14", "", "d@x.com", "open", 10),             // no campaign
                           MakeEvent("15", "m2", "", "open", 20),                  // no recipient
                       });
  CHECK(TotalsText(*store) ==
        std::vector<std::string>{"esp/m1 3/2/1/1/1/1/0/0 400", "esp/m2 0/0/0/0/0/0/1/1 1000"});
  CHECK(TotalsText(*store) == RecomputedTotalsText(path));

  RawDb raw(path);
  CHECK(raw.One("SELECT human_opens || '/' || machine_opens || '/' || clicks FROM "
                "email_campaign_recipients WHERE campaign_id = 'm1' AND email = 'a@x.com'") ==
        "2/0/2");
  CHECK(raw.One("SELECT machine FROM v_email_events WHERE id = '9'") == "1");
  std::vector<StoredEmailEvent> events;
  REQUIRE(store->ForEachEmailEvent([&](const StoredEmailEvent& e) { events.push_back(e); }).ok());
  REQUIRE(events.size() == 16);
  for (const StoredEmailEvent& e : events) {
    CHECK(e.event.machine == (e.event.id == "9" || e.event.id == "16"));
  }
  std::vector<std::string> clicks;
  REQUIRE(store
              ->ForEachEmailClick(
                  [&](const EmailClick& c) { clicks.push_back(c.campaign_id + "/" + c.email); })
              .ok());
  CHECK(clicks == std::vector<std::string>{"m1/a@x.com", "m1/a@x.com"});
  CHECK(raw.One("SELECT count(*) FROM email_campaign_stats WHERE source = 'esp'") == "2");
}

TEST_CASE("Campaign totals follow re-synced, changed and deleted events", "[store]") {
  struct Step {
    const char* what;
    std::vector<EmailEvent> events;
    std::vector<Deletion> deletions;
    std::vector<std::string> expected;
  };
  const Step steps[] = {
      {"first events",
       {MakeEvent("1", "m1", "a@x.com", "open", 100), MakeEvent("2", "m1", "a@x.com", "open", 200),
        MakeEvent("3", "m1", "b@x.com", "click", 300)},
       {},
       {"esp/m1 0/0/1/0/1/0/0/0 100"}},
      {"an identical re-sync changes nothing",
       {MakeEvent("1", "m1", "a@x.com", "open", 100)},
       {},
       {"esp/m1 0/0/1/0/1/0/0/0 100"}},
      {"one of two opens deleted: the recipient still opened, the first event moves",
       {},
       {Deletion{RecordKind::kEmailEvent, "1", 5000, ""}},
       {"esp/m1 0/0/1/0/1/0/0/0 200"}},
      {"the other open becomes a machine open",
       {MakeEvent("2", "m1", "a@x.com", "open", 200, true)},
       {},
       {"esp/m1 0/0/0/1/1/0/0/0 200"}},
      {"a deleted event comes back when the source lists it again",
       {MakeEvent("1", "m1", "a@x.com", "open", 100)},
       {},
       {"esp/m1 0/0/1/1/1/0/0/0 100"}},
      {"an event moved to another campaign and type",
       {MakeEvent("3", "m2", "b@x.com", "delivered", 50)},
       {},
       {"esp/m1 0/0/1/1/0/0/0/0 100", "esp/m2 0/1/0/0/0/0/0/0 50"}},
      {"every event of a campaign deleted",
       {},
       {Deletion{RecordKind::kEmailEvent, "3", 6000, ""}},
       {"esp/m1 0/0/1/1/0/0/0/0 100", "esp/m2 0/0/0/0/0/0/0/0 NULL"}},
  };
  TempDir dir;
  const std::string path = dir.File("s.db");
  auto store = OpenOrDie(path);
  for (const Step& step : steps) {
    INFO(step.what);
    CommitEvents(*store, step.events, step.deletions);
    CHECK(TotalsText(*store) == step.expected);
  }
}

TEST_CASE("Campaign totals agree with a recount after many random writes", "[store]") {
  TempDir dir;
  const std::string path = dir.File("s.db");
  auto store = OpenOrDie(path);
  const char* types[] = {"sent", "delivered", "open", "click", "bounce", "unsubscribe", "spam"};
  uint64_t seed = 12345;
  auto next = [&seed](uint64_t n) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return (seed >> 33) % n;
  };
  for (int round = 0; round < 40; ++round) {
    std::vector<EmailEvent> events;
    std::vector<Deletion> deletions;
    for (int i = 0; i < 25; ++i) {
      const std::string id = std::to_string(next(60));
      if (next(5) == 0) {
        deletions.push_back(Deletion{RecordKind::kEmailEvent, id, 1000 + round, ""});
      } else {
        events.push_back(MakeEvent(id, "m" + std::to_string(next(3)),
                                   "r" + std::to_string(next(6)) + "@x.com", types[next(7)],
                                   static_cast<int64_t>(next(1000)), next(4) == 0));
      }
    }
    CommitEvents(*store, events, deletions);
  }
  std::vector<std::string> totals = TotalsText(*store);
  CHECK(totals.size() == 3);
  // Campaigns whose every event is gone keep a zero row; the recount has none.
  std::vector<std::string> live;
  for (const std::string& t : totals) {
    if (t.find(" 0/0/0/0/0/0/0/0 NULL") == std::string::npos) live.push_back(t);
  }
  CHECK(live == RecomputedTotalsText(path));
}

// The recipients' counters as "campaign email sent/delivered/human/machine opens/clicks/
// machine clicks/bounces/unsub/spam", each row, by campaign then email.
std::vector<std::string> RecipientsText(const std::string& path) {
  RawDb raw(path);
  return raw.Column(
      "SELECT campaign_id || ' ' || email || ' ' || sent || '/' || delivered || '/' || "
      "human_opens || '/' || machine_opens || '/' || clicks || '/' || machine_clicks || '/' || "
      "bounces || '/' || unsubscribes || '/' || spam_reports FROM email_campaign_recipients "
      "ORDER BY source, campaign_id, email");
}

TEST_CASE("A page holding the same event twice counts it once, as its last version", "[store]") {
  TempDir dir;
  const std::string path = dir.File("s.db");
  auto store = OpenOrDie(path);
  CommitEvents(*store, {
                           MakeEvent("1", "m1", "a@x.com", "open", 100),
                           MakeEvent("2", "m1", "a@x.com", "sent", 50),
                           MakeEvent("1", "m1", "a@x.com", "open", 100),  // repeated as is
                           MakeEvent("3", "m1", "b@x.com", "click", 200),
                           MakeEvent("3", "m1", "b@x.com", "delivered", 30),  // changed
                           MakeEvent("4", "m2", "c@x.com", "open", 300),
                           MakeEvent("4", "m2", "c@x.com", "open", 300, true),  // now a machine's
                       });
  CHECK(TotalsText(*store) ==
        std::vector<std::string>{"esp/m1 1/1/1/0/0/0/0/0 30", "esp/m2 0/0/0/1/0/0/0/0 300"});
  CHECK(TotalsText(*store) == RecomputedTotalsText(path));
  CHECK(RecipientsText(path) == std::vector<std::string>{"m1 a@x.com 1/0/1/0/0/0/0/0/0",
                                                         "m1 b@x.com 0/1/0/0/0/0/0/0/0",
                                                         "m2 c@x.com 0/0/0/1/0/0/0/0/0"});
  CHECK(Count(*store, RecordKind::kEmailEvent, "esp", true) == 4);
}

TEST_CASE("An event re-synced with a new type beside new events of its recipient is moved",
          "[store]") {
  TempDir dir;
  const std::string path = dir.File("s.db");
  auto store = OpenOrDie(path);
  CommitEvents(*store, {MakeEvent("1", "m1", "a@x.com", "open", 100),
                        MakeEvent("2", "m1", "b@x.com", "open", 150)});
  CHECK(TotalsText(*store) == std::vector<std::string>{"esp/m1 0/0/2/0/0/0/0/0 100"});
  // New events of a@x.com and of a new campaign before and after the
  // re-synced one, which is now a click, earlier than anything stored.
  CommitEvents(*store, {
                           MakeEvent("3", "m1", "a@x.com", "sent", 40),
                           MakeEvent("4", "m2", "a@x.com", "sent", 45),
                           MakeEvent("1", "m1", "a@x.com", "click", 20),
                           MakeEvent("5", "m1", "a@x.com", "delivered", 60),
                           MakeEvent("6", "m1", "a@x.com", "click", 70),
                       });
  CHECK(TotalsText(*store) ==
        std::vector<std::string>{"esp/m1 1/1/1/0/1/0/0/0 20", "esp/m2 1/0/0/0/0/0/0/0 45"});
  CHECK(TotalsText(*store) == RecomputedTotalsText(path));
  CHECK(RecipientsText(path) == std::vector<std::string>{"m1 a@x.com 1/1/0/0/2/0/0/0/0",
                                                         "m1 b@x.com 0/0/1/0/0/0/0/0/0",
                                                         "m2 a@x.com 1/0/0/0/0/0/0/0/0"});
  // Deleted in the page that adds others for the same recipient.
  CommitEvents(*store, {MakeEvent("7", "m1", "a@x.com", "open", 10)},
               {Deletion{RecordKind::kEmailEvent, "1", 900, ""},
                Deletion{RecordKind::kEmailEvent, "6", 900, ""}});
  CHECK(TotalsText(*store) ==
        std::vector<std::string>{"esp/m1 1/1/2/0/0/0/0/0 10", "esp/m2 1/0/0/0/0/0/0/0 45"});
  CHECK(TotalsText(*store) == RecomputedTotalsText(path));
}

TEST_CASE("ForEachEmailClick lists live timed clicks in campaign, email and time order",
          "[store]") {
  TempDir dir;
  auto store = OpenOrDie(dir.File("s.db"));
  EmailEvent untimed = MakeEvent("6", "m1", "a@x.com", "click", 0);
  untimed.occurred_at.reset();
  CommitEvents(
      *store,
      {MakeEvent("1", "m2", "a@x.com", "click", 300), MakeEvent("2", "m1", "b@x.com", "click", 100),
       MakeEvent("3", "m1", "a@x.com", "click", 200), MakeEvent("4", "m1", "a@x.com", "click", 50),
       MakeEvent("5", "m1", "a@x.com", "open", 10), untimed,
       MakeEvent("7", "m1", "c@x.com", "click", 70)},
      {Deletion{RecordKind::kEmailEvent, "7", 900, ""}});
  std::vector<std::string> clicks;
  REQUIRE(store
              ->ForEachEmailClick([&](const EmailClick& c) {
                clicks.push_back(c.source + "/" + c.campaign_id + " " + c.email + " " +
                                 std::to_string(c.occurred_at));
              })
              .ok());
  CHECK(clicks == std::vector<std::string>{"esp/m1 a@x.com 50", "esp/m1 a@x.com 200",
                                           "esp/m1 b@x.com 100", "esp/m2 a@x.com 300"});
}

// A version 2 file as far as later versions touch it: the v1 tables, the
// index on campaigns and a v_email_events view (v3 replaces it), then `sql`.
void WriteVersion2File(const std::string& path, const std::string& sql) {
  RawDb raw(path);
  raw.Exec(kV1Schema);
  raw.Exec(
      "CREATE INDEX email_events_campaign ON email_events (source, campaign_id);"
      "CREATE VIEW v_email_events AS SELECT source, id FROM email_events;"
      "PRAGMA user_version = 2;");
  raw.Exec(sql.c_str());
}

TEST_CASE("Open migrates a version 2 file with email events and counts them", "[store]") {
  TempDir dir;
  const std::string path = dir.File("v2.db");
  {
    WriteVersion2File(
        path,
        "INSERT INTO email_events (source, id, campaign_id, email, type, occurred_at) VALUES "
        "('esp', '1', 'm1', 'a@x.com', 'open', 300), ('esp', '2', 'm1', 'a@x.com', 'open', 200),"
        "('esp', '3', 'm1', 'b@x.com', 'delivered', 100),"
        "('esp', '4', 'm1', 'c@x.com', 'click', 400);"
        "INSERT INTO email_events (source, id, campaign_id, email, type, occurred_at, deleted_at) "
        "VALUES ('esp', '5', 'm1', 'd@x.com', 'click', 50, 60);");
  }
  auto store = OpenOrDie(path);
  auto version = store->SchemaVersion();
  REQUIRE(version.ok());
  CHECK(*version == Store::kSchemaVersion);
  CHECK(TotalsText(*store) == std::vector<std::string>{"esp/m1 0/1/1/0/1/0/0/0 100"});
  RawDb raw(path);
  CHECK(raw.One("SELECT group_concat(machine) FROM v_email_events") == "0,0,0,0,0");
  CHECK(raw.One("SELECT count(*) FROM email_campaign_recipients") == "3");

  // The triggers run from now on.
  CommitEvents(*store, {MakeEvent("6", "m1", "b@x.com", "open", 500)});
  CHECK(TotalsText(*store) == std::vector<std::string>{"esp/m1 0/1/2/0/1/0/0/0 100"});
}

TEST_CASE("Open rewrites HubSpot event ids of a version 2 file to start with their time",
          "[store]") {
  TempDir dir;
  const std::string path = dir.File("v2.db");
  {
    WriteVersion2File(
        path,
        "INSERT INTO email_events (source, id, campaign_id, email, type, occurred_at) VALUES "
        // HubSpot's "<id>:<created>": rewritten.
        "('hs', 'a1b2-c3:1706810460123', 'm1', 'a@x.com', 'open', 1706810460123),"
        "('hs', 'a1b2-c3:1706810470000', 'm1', 'a@x.com', 'open', 1706810470000),"
        "('hs', '77:5', 'm1', 'b@x.com', 'sent', 5),"
        // Mailchimp's "<campaign>:<email id>:<action>:<time>", and ids of no
        // HubSpot form: kept.
        "('mc', 'c1:e9:open:2024-02-01T10:00:00+00:00', 'c1', 'a@x.com', 'open', 1706781600000),"
        "('hs', 'x:12a', 'm1', 'c@x.com', 'open', 7), ('hs', 'y:', 'm1', 'c@x.com', 'open', 8),"
        "('hs', 'plain', 'm1', 'c@x.com', 'open', 9);");
  }
  auto store = OpenOrDie(path);
  RawDb raw(path);
  CHECK(raw.Column("SELECT source || ' ' || id FROM email_events ORDER BY source, id") ==
        std::vector<std::string>{"hs 0000000000005:77", "hs 1706810460123:a1b2-c3",
                                 "hs 1706810470000:a1b2-c3", "hs plain", "hs x:12a",
                                 "hs y:", "mc c1:e9:open:2024-02-01T10:00:00+00:00"});
  CHECK(TotalsText(*store) ==
        std::vector<std::string>{"hs/m1 1/0/2/0/0/0/0/0 5", "mc/c1 0/0/1/0/0/0/0/0 1706781600000"});
  // The connector's key for one of them now updates the stored row.
  Page page;
  page.stream = "email_events";
  page.events = {MakeEvent("1706810460123:a1b2-c3", "m1", "a@x.com", "click", 1706810460123)};
  page.cursor = "x";
  REQUIRE(store->CommitPage("hs", page).ok());
  CHECK(Count(*store, RecordKind::kEmailEvent, "hs", true) == 6);
  CHECK(TotalsText(*store) ==
        std::vector<std::string>{"hs/m1 1/0/2/0/1/0/0/0 5", "mc/c1 0/0/1/0/0/0/0/0 1706781600000"});
}

TEST_CASE("Email members are kept apart from contacts, newest change winning", "[store]") {
  TempDir dir;
  const std::string path = dir.File("s.db");
  auto store = OpenOrDie(path);
  auto member = [](const std::string& id, const std::string& email, const std::string& status,
                   int64_t updated) {
    EmailMember m;
    m.id = id;
    m.email = email;
    m.first_name = "Ana";
    m.status = status;
    m.opted_in_at = 1000;
    m.updated_at = updated;
    return m;
  };
  Page page;
  page.stream = "members";
  page.cursor = "c1";
  page.members = {member("m1", " Ana@X.com", "subscribed", 5000),
                  member("m2", "ben@x.com", "subscribed", 5000)};
  REQUIRE(store->CommitPage("mc", page).ok());
  // An older copy (another list's, read later) does not overwrite a newer one.
  page.members = {member("m1", "ana@x.com", "cleaned", 4000),
                  member("m2", "ben@x.com", "unsubscribed", 6000)};
  page.cursor = "c2";
  REQUIRE(store->CommitPage("mc", page).ok());
  Page deletion;
  deletion.stream = "members";
  deletion.cursor = "c3";
  deletion.deletions = {Deletion{RecordKind::kEmailMember, "m2", 7000, ""}};
  REQUIRE(store->CommitPage("mc", deletion).ok());

  std::vector<StoredEmailMember> rows;
  REQUIRE(store->ForEachEmailMember([&](const StoredEmailMember& m) { rows.push_back(m); }).ok());
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].member.email == "ana@x.com");
  CHECK(rows[0].member.status == "subscribed");
  CHECK(rows[0].member.updated_at == 5000);
  CHECK(rows[0].member.opted_in_at == 1000);
  CHECK_FALSE(rows[0].deleted_at.has_value());
  CHECK(rows[1].member.status == "unsubscribed");
  CHECK(rows[1].deleted_at == 7000);
  CHECK(Count(*store, RecordKind::kContact, "mc", true) == 0);
  CHECK(Count(*store, RecordKind::kEmailMember, "mc", false) == 1);
  CHECK(Count(*store, RecordKind::kEmailMember, "mc", true) == 2);
  RawDb raw(path);
  CHECK(raw.One("SELECT opted_in_at FROM v_email_members WHERE id = 'm1'") ==
        "1970-01-01T00:00:01.000Z");
}

TEST_CASE("Campaign counters the source reports are stored, unknown ones as NULL", "[store]") {
  TempDir dir;
  const std::string path = dir.File("s.db");
  auto store = OpenOrDie(path);
  Page page;
  page.stream = "campaigns";
  page.cursor = "c";
  EmailCampaign& c = page.campaigns.emplace_back();
  c.id = "m1";
  c.reported.sent = 1500;
  c.reported.unique_opens = 610;
  c.reported.opens = 900;
  c.reported.clicks = 0;
  REQUIRE(store->CommitPage("mc", page).ok());
  std::vector<EmailCampaign> stored;
  REQUIRE(store
              ->ForEachEmailCampaign(
                  [&](const StoredEmailCampaign& s) { stored.push_back(s.campaign); })
              .ok());
  REQUIRE(stored.size() == 1);
  const EmailCampaignCounters& r = stored[0].reported;
  CHECK(r.sent == 1500);
  CHECK(r.opens == 900);
  CHECK(r.unique_opens == 610);
  CHECK(r.clicks == 0);
  CHECK_FALSE(r.delivered.has_value());
  CHECK_FALSE(r.unique_clicks.has_value());
  RawDb raw(path);
  CHECK(raw.One("SELECT coalesce(reported_delivered, 'NULL') || '/' || reported_sent "
                "FROM email_campaigns") == "NULL/1500");
}

TEST_CASE("An alert round keeps states, group memories and queued notifications together",
          "[store][alerts]") {
  TempDir dir;
  auto store = OpenOrDie(dir.File("s.db"));
  AlertStateRow firing{.rule = "lead-shortfall",
                       .phase = "firing",
                       .active_since = 1000,
                       .fired_at = 2000,
                       .last_held_at = 3000,
                       .value = 12.5,
                       .labels_json = R"({"team":"sales"})"};
  AlertGroupRow group{
      .group_id = "hook\n{}:{team=\"sales\"}", .last_sent_at = 3000, .firing_json = R"(["a1b2"])"};
  OutboxRow note{.idempotency_key = "n-1",
                 .receiver = "hook",
                 .created_at = 3000,
                 .payload = R"({"status":"firing"})",
                 .next_attempt_at = 3000};
  REQUIRE(store->SaveAlertRound({firing}, {}, {group}, {note}).ok());
  // Queuing the same key again (a crash between delivery and the round's
  // end, then the round redone) keeps one notification.
  OutboxRow again = note;
  again.payload = "changed";
  firing.last_held_at = 4000;
  REQUIRE(store->SaveAlertRound({firing}, {}, {}, {again}).ok());

  auto states = store->AlertStates();
  REQUIRE(states.ok());
  REQUIRE(states->size() == 1);
  CHECK((*states)[0].phase == "firing");
  CHECK((*states)[0].last_held_at == 4000);
  CHECK((*states)[0].value == 12.5);
  CHECK((*states)[0].labels_json == R"({"team":"sales"})");
  CHECK_FALSE((*states)[0].resolved_at.has_value());
  auto groups = store->AlertGroups();
  REQUIRE(groups.ok());
  REQUIRE(groups->size() == 1);
  CHECK((*groups)[0].firing_json == R"(["a1b2"])");

  auto due = store->DueNotifications(3000, 10);
  REQUIRE(due.ok());
  REQUIRE(due->size() == 1);
  CHECK((*due)[0].payload == R"({"status":"firing"})");
  CHECK(store->DueNotifications(2999, 10)->empty());

  // An attempt counts when it starts; a failed one waits for its next try;
  // a delivered one is done.
  const int64_t id = (*due)[0].id;
  CHECK((*due)[0].attempts == 0);
  CHECK_FALSE((*due)[0].last_attempt_at.has_value());
  REQUIRE(store->RecordNotificationAttempt(id, 3000).ok());
  REQUIRE(store->MarkNotificationFailed(id, "HTTP 503", 5000).ok());
  CHECK(store->DueNotifications(4999, 10)->empty());
  due = store->DueNotifications(5000, 10);
  REQUIRE(due->size() == 1);
  CHECK((*due)[0].attempts == 1);
  CHECK((*due)[0].last_attempt_at == 3000);
  CHECK((*due)[0].last_error == "HTTP 503");
  REQUIRE(store->RecordNotificationAttempt(id, 5000).ok());
  REQUIRE(store->MarkNotificationDelivered(id, 5100).ok());
  CHECK(store->DueNotifications(10000, 10)->empty());
  auto recent = store->RecentNotifications(10);
  REQUIRE(recent.ok());
  REQUIRE(recent->size() == 1);
  CHECK((*recent)[0].delivered_at == 5100);
  CHECK((*recent)[0].attempts == 2);
  CHECK((*recent)[0].last_attempt_at == 5000);
  CHECK((*recent)[0].last_error.empty());

  OutboxRow bad = note;
  bad.idempotency_key = "n-2";
  REQUIRE(store->SaveAlertRound({}, {}, {}, {bad}).ok());
  const int64_t bad_id = (*store->DueNotifications(10000, 10))[0].id;
  REQUIRE(store->MarkNotificationDropped(bad_id, "HTTP 404: permanent", 6000).ok());
  CHECK(store->DueNotifications(10000, 10)->empty());
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

TEST_CASE("Alert states are kept per rule and connector, and removed by key", "[store][alerts]") {
  TempDir dir;
  auto store = OpenOrDie(dir.File("s.db"));
  const AlertStateRow crm{.rule = "stale", .instance = "crm", .phase = "firing"};
  const AlertStateRow mail{.rule = "stale", .instance = "mail", .phase = "pending"};
  const AlertStateRow plain{.rule = "shortfall", .phase = "inactive"};
  REQUIRE(store->SaveAlertRound({crm, mail, plain}, {}, {}, {}).ok());
  auto states = store->AlertStates();
  REQUIRE(states.ok());
  REQUIRE(states->size() == 3);
  CHECK((*states)[0].rule == "shortfall");
  CHECK((*states)[1].instance == "crm");
  CHECK((*states)[2].instance == "mail");
  CHECK((*states)[2].phase == "pending");

  REQUIRE(store->SaveAlertRound({}, {AlertKey{"stale", "crm"}}, {}, {}).ok());
  states = store->AlertStates();
  REQUIRE(states.ok());
  REQUIRE(states->size() == 2);
  CHECK((*states)[1].instance == "mail");
}

TEST_CASE("A failed alert round leaves nothing of itself", "[store][alerts]") {
  TempDir dir;
  auto store = OpenOrDie(dir.File("s.db"));
  AlertStateRow ok{.rule = "a", .phase = "firing"};
  AlertStateRow bad{.rule = "b", .phase = "exploded"};  // fails its CHECK
  OutboxRow note{.idempotency_key = "n", .receiver = "r", .payload = "{}"};
  CHECK_FALSE(store->SaveAlertRound({ok, bad}, {}, {}, {note}).ok());
  CHECK(store->AlertStates()->empty());
  CHECK(store->DueNotifications(1LL << 60, 10)->empty());
}

TEST_CASE("Silences are kept until they end, and expiring one ends it now", "[store][alerts]") {
  TempDir dir;
  auto store = OpenOrDie(dir.File("s.db"));
  auto id = store->AddSilence({.matchers_json = R"(["alertname=lead-shortfall"])",
                               .starts_at = 1000,
                               .ends_at = 9000,
                               .created_by = "ops",
                               .comment = "hiring"});
  REQUIRE(id.ok());
  REQUIRE(store->ExpireSilence(*id, 5000).ok());
  REQUIRE(store->ExpireSilence(*id, 7000).ok());  // ends at the earlier time
  auto silences = store->Silences();
  REQUIRE(silences.ok());
  REQUIRE(silences->size() == 1);
  CHECK((*silences)[0].ends_at == 5000);
  CHECK((*silences)[0].created_by == "ops");
  CHECK(store->ExpireSilence(*id + 1, 5000).code() == StatusCode::kNotFound);
}

}  // namespace
}  // namespace salesaudit

// Store::Open on real SQLite files: the schema a new file gets, files it
// refuses, and the migrations of files older versions left behind.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "store/store.h"
#include "tests/store/store_fixtures.h"
#include "tests/support/subprocess.h"

namespace salesaudit {
namespace {

namespace fs = std::filesystem;
using testing::AllContacts;
using testing::AllOwners;
using testing::CommitEvents;
using testing::Count;
using testing::Cursor;
using testing::MakeEvent;
using testing::OpenOrDie;
using testing::RawDb;
using testing::TempDir;
using testing::TotalsText;

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
                                            "contact_aliases",
                                            "contacts",
                                            "deal_contacts",
                                            "deal_links",
                                            "deal_stages",
                                            "deals",
                                            "email_campaign_recipients",
                                            "email_campaign_stats",
                                            "email_campaigns",
                                            "email_events",
                                            "email_members",
                                            "notification_outbox",
                                            "owners",
                                            "silences",
                                            "stage_events",
                                            "sync_state",
                                            "v_contact_funnel",
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
  CHECK(raw.Column("SELECT name FROM pragma_table_info('deal_links')") ==
        std::vector<std::string>{"source", "id", "deal_id", "contact_id", "deleted_at"});
  CHECK(raw.Column("SELECT name FROM pragma_table_info('contact_aliases')") ==
        std::vector<std::string>{"source", "alias_id", "contact_id", "at"});
  CHECK(raw.Column("SELECT name FROM sqlite_master WHERE type = 'index' AND "
                   "name NOT LIKE 'sqlite_%' ORDER BY name") ==
        std::vector<std::string>{
            "audit_snapshots_computed_at", "audit_snapshots_purpose", "contact_aliases_contact",
            "deal_contacts_contact", "deal_links_contact", "deal_links_pair", "deals_source_owner",
            "email_events_clicks", "notification_outbox_due", "stage_events_origin"});
  // New events are counted by CommitPage, per page; triggers count the rest.
  CHECK(raw.Column("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name") ==
        std::vector<std::string>{"email_events_recounted", "email_events_uncounted"});
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

TEST_CASE(
    "OpenReadOnly reads a store without writing it: no file created, an older schema refused "
    "unmigrated, writes refused",
    "[store]") {
  TempDir dir;
  const std::string missing = dir.File("missing.db");
  auto none = Store::OpenReadOnly(missing);
  REQUIRE_FALSE(none.ok());
  CHECK(none.status().code() == StatusCode::kNotFound);
  CHECK_FALSE(fs::exists(missing));

  const std::string old = dir.File("v1.db");
  {
    RawDb raw(old);
    raw.Exec(kV1Schema);
  }
  auto older = Store::OpenReadOnly(old);
  REQUIRE_FALSE(older.ok());
  CHECK(older.status().code() == StatusCode::kInvalidArgument);
  CHECK_THAT(older.status().message(), Catch::Contains("schema version 1, not"));
  CHECK(RawDb(old).One("PRAGMA user_version") == "1");

  const std::string path = dir.File("current.db");
  {
    auto store = OpenOrDie(path);
    Page page;
    page.stream = "contacts";
    page.cursor = "{\"v\":1,\"since\":5}";
    REQUIRE(store->CommitPage("crm", page).ok());
  }
  auto store = Store::OpenReadOnly(path);
  REQUIRE(store.ok());
  CHECK((*store)->GetCursor("crm", "contacts").value() == "{\"v\":1,\"since\":5}");
  CHECK_FALSE((*store)->ResetCursor("crm", "contacts").ok());
  CHECK(Cursor(**store, "crm", "contacts") == "{\"v\":1,\"since\":5}");
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

}  // namespace
}  // namespace salesaudit

#include "tests/store/store_fixtures.h"

#include <sqlite3.h>

#include <catch2/catch.hpp>

namespace salesaudit::testing {

RawDb::RawDb(const std::string& path) {
  REQUIRE(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                          nullptr) == SQLITE_OK);
}
RawDb::~RawDb() { sqlite3_close_v2(db_); }

void RawDb::Exec(const std::string& sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  std::string message = err != nullptr ? err : "";
  sqlite3_free(err);
  INFO(sql << ": " << message);
  REQUIRE(rc == SQLITE_OK);
}

std::vector<std::string> RawDb::Column(const std::string& sql) {
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

std::string RawDb::One(const std::string& sql) {
  std::vector<std::string> rows = Column(sql);
  INFO(sql);
  REQUIRE(rows.size() == 1);
  return rows[0];
}

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

int64_t Jan(int day) {
  constexpr int64_t kJan1 = 1704067200000;  // 2024-01-01T00:00:00.000Z
  constexpr int64_t kDayMs = 86400000;
  return kJan1 + (day - 1) * kDayMs;
}

Contact Lead(const std::string& id) {
  Contact c = MakeContact(id, id + "@example.com");
  c.created_at = Jan(1);
  c.updated_at = Jan(1);
  return c;
}

std::vector<std::string> StageEventsText(Store& store) {
  std::vector<std::string> out;
  REQUIRE(store
              .ForEachStageEvent([&](const StoredStageEvent& row) {
                out.push_back(row.event.contact_id + " " + FunnelStageName(row.event.stage) + " " +
                              std::to_string(row.event.at) + " " + row.origin + "/" +
                              row.event.origin_id +
                              (row.event.channel.empty() ? "" : " " + row.event.channel));
              })
              .ok());
  return out;
}

EmailEvent MakeEvent(const std::string& id, const std::string& campaign, const std::string& email,
                     const std::string& type, int64_t at, bool machine) {
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
                  const std::vector<Deletion>& deletions) {
  Page page;
  page.stream = "email_events";
  page.events = events;
  page.deletions = deletions;
  page.cursor = "x";
  Status s = store.CommitPage("esp", page);
  INFO(s.ToString());
  REQUIRE(s.ok());
}

namespace {

std::vector<EmailCampaignTotals> AllTotals(Store& store) {
  std::vector<EmailCampaignTotals> out;
  REQUIRE(store.ForEachEmailCampaignTotals([&](const EmailCampaignTotals& t) { out.push_back(t); })
              .ok());
  return out;
}

}  // namespace

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

}  // namespace salesaudit::testing

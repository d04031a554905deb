// What the store tests share: a raw SQLite connection beside the store, an
// opened store, sample records and readers of what a store holds. Each
// helper fails the running Catch2 test when its step fails.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "store/store.h"

struct sqlite3;

namespace salesaudit::testing {

// A second, raw connection to the file, as a user's BI tool would open it.
// Owned by the test; one thread.
class RawDb {
 public:
  explicit RawDb(const std::string& path);
  ~RawDb();
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  void Exec(const std::string& sql);
  // The first column of every row, as text ("NULL" for NULL).
  std::vector<std::string> Column(const std::string& sql);
  std::string One(const std::string& sql);

 private:
  sqlite3* db_ = nullptr;
};

std::unique_ptr<Store> OpenOrDie(const std::string& path);
Contact MakeContact(const std::string& id, const std::string& email);
Deal MakeDeal(const std::string& id);
EmailEvent MakeEvent(const std::string& id, const std::string& campaign, const std::string& email,
                     const std::string& type, int64_t at, bool machine = false);
// Commits `events` and `deletions` as one email_events page of source "esp".
void CommitEvents(Store& store, const std::vector<EmailEvent>& events,
                  const std::vector<Deletion>& deletions = {});

std::vector<StoredContact> AllContacts(Store& store);
std::vector<StoredDeal> AllDeals(Store& store);
std::vector<StoredOwner> AllOwners(Store& store);
std::string Cursor(Store& store, const std::string& connector, const std::string& stream);
int64_t Count(Store& store, RecordKind kind, const std::string& source, bool include_deleted);
// Midnight UTC of a day of January 2024.
int64_t Jan(int day);
// A contact created on Jan 1 without stage dates of its own.
Contact Lead(const std::string& id);
// "contact stage at origin/origin_id" for every stage event, in key order.
std::vector<std::string> StageEventsText(Store& store);
// The totals as "campaign sent/delivered/opened/machine/clicked/bounced/unsub/spam first".
std::vector<std::string> TotalsText(Store& store);

}  // namespace salesaudit::testing

// The seeded random store the snapshot's outside verifier reads
// (snapshot_recompute_test.cc), with the calendar arithmetic its windows and
// periods are written in.
#pragma once

#include <cstdint>
#include <memory>

#include "audit/snapshot.h"
#include "store/store.h"
#include "tests/support/subprocess.h"

struct sqlite3;

namespace salesaudit::verifier {

inline constexpr int64_t kDay = 24LL * 3600 * 1000;

// Days since 1970-01-01 of a civil date (proleptic Gregorian).
constexpr int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

constexpr int64_t Date(int64_t y, int64_t m, int64_t d) { return DaysFromCivil(y, m, d) * kDay; }

// The start of the ISO week (Monday 00:00 UTC) or calendar month holding t.
int64_t PeriodStart(AuditPeriod period, int64_t t);
int64_t NextPeriod(AuditPeriod period, int64_t start);

inline constexpr int64_t kNow = Date(2024, 7, 1) + 9 * 3600000;  // nothing is stamped later
inline constexpr int64_t kQuietWeek = Date(2024, 5, 6);          // a Monday; its leads never win
inline constexpr int64_t kWindowFrom = Date(2024, 1, 10) + 13 * 3600000;  // a Wednesday afternoon
inline constexpr int64_t kWindowTo = Date(2024, 4, 17) + 5 * 3600000;     // a Wednesday morning

AuditSettings RandomStoreSettings();

// The seeded store, opened both through Store and read-only through the
// sqlite3 C API, as a verifier would open the file.
class RandomStore {
 public:
  RandomStore();
  ~RandomStore();
  RandomStore(const RandomStore&) = delete;
  RandomStore& operator=(const RandomStore&) = delete;

  Store& store() { return *store_; }
  sqlite3* db() { return db_; }

 private:
  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
  sqlite3* db_ = nullptr;
};

}  // namespace salesaudit::verifier

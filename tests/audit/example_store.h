// The hand-computed example store the snapshot tests read, the sample records
// it is built from, and helpers that compute and read its snapshot. Each
// helper fails the running Catch2 test when its step fails.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "audit/snapshot.h"
#include "store/store.h"
#include "tests/support/subprocess.h"

namespace salesaudit::testing {

// What a BI tool (or an older salesaudit) may have written into the store.
void Sql(const std::string& path, const std::string& sql);

inline constexpr int64_t kDay = 24LL * 3600 * 1000;
inline constexpr int64_t kJan1 = 1704067200000;  // 2024-01-01T00:00Z, a Monday

// Day `d` after 2024-01-01 (fractions for times of day); none for none.
TimeMs Day(std::optional<double> d);

// A contact by the days of its stages.
struct C {
  const char* id;
  std::optional<double> created, mql, contacted, sql, won;
  const char* channel = "";
  const char* owner = "";
  const char* email = "";
};

Contact MakeContact(const C& c);

// A deal by its outcome and the days it closed and was last updated.
struct D {
  const char* id;
  bool won;
  std::optional<double> closed;
  std::optional<double> amount;
  std::vector<std::string> contacts;
  const char* owner = "";
  std::optional<double> updated = std::nullopt;
};

Deal MakeDeal(const D& d);
Owner MakeOwner(const char* id, const char* name, const char* email, bool active);

// A small hand-computed store: a
// window from Wed 2024-01-03 to Wed 2024-01-24 (days 2 to 23 after Jan 1).
class ExampleStore {
 public:
  ExampleStore();

  Store& store() { return *store_; }

 private:
  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

// The window of the example store and the time its snapshots are taken at.
extern const AuditWindow kWindow;
extern const int64_t kNow;

AuditSettings ExampleSettings();

Snapshot Compute(Store& store, const AuditSettings& settings, const AuditWindow& window,
                 int64_t now = kNow);

// The channel row named `name`, failing the test when there is none.
const ChannelRow& Channel(const Snapshot& s, const std::string& name);

}  // namespace salesaudit::testing

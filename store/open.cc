// A Store's life: Open (the file checked, WAL, migrations, every statement
// prepared), its schema version and health, and its close.
#include <memory>
#include <utility>

#include "store/schema.h"
#include "store/store_impl.h"

namespace salesaudit {

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Store::~Store() = default;

Result<std::unique_ptr<Store>> Store::Open(const std::string& path,
                                           std::chrono::milliseconds check_budget,
                                           CheckTiming timing) {
  return OpenFile(path, check_budget, /*read_only=*/false, timing);
}

Result<std::unique_ptr<Store>> Store::OpenReadOnly(const std::string& path) {
  return OpenFile(path, kOpenCheckBudget, /*read_only=*/true, CheckTiming::kBeforeReturning);
}

Result<std::unique_ptr<Store>> Store::OpenFile(const std::string& path,
                                               std::chrono::milliseconds check_budget,
                                               bool read_only, CheckTiming timing) {
  auto impl = std::make_unique<Impl>();
  Database& db = impl->db;
  Status status = db.Open(path, check_budget, read_only, timing == CheckTiming::kInBackground);
  // A read-only store has the current schema already (Database::Open).
  if (status.ok() && !read_only) status = MigrateSchema(db);
  // Opened after the migrations, so it prepares against the current schema.
  for (ReadLane& lane : impl->lanes) {
    if (status.ok()) status = lane.db.OpenReader(db);
  }
  if (status.ok()) status = impl->writer.Prepare();
  if (status.ok()) status = impl->sync_state.Prepare(db);
  for (ReadLane& lane : impl->lanes) {
    if (!status.ok()) break;
    // In memory only lane 0 is used, on `db`.
    if (lane.db.handle() != nullptr || &lane == &impl->lanes[0]) {
      status = lane.statements.Prepare(lane.db.handle() != nullptr ? lane.db : db);
    }
  }
  if (status.ok()) status = impl->snapshots.Prepare(db);
  if (!status.ok()) return status;
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

Result<int> Store::SchemaVersion() {
  auto lock = impl_->db.Lock();
  return impl_->db.ReadUserVersion();
}

const std::vector<std::string>& Store::warnings() const { return impl_->db.warnings(); }

const StoreOpenCheck& Store::open_check() const { return impl_->db.open_check(); }

Status Store::OpenCheckOutcome() const { return impl_->db.OpenCheckOutcome(); }

void Store::CancelReads() {
  impl_->db.StopOpenCheck();
  // In memory, the read side is the connection that writes: left alone.
  for (ReadLane& lane : impl_->lanes) {
    if (lane.db.handle() != nullptr) lane.db.CancelReads();
  }
}

HeldReadLane Store::Impl::AcquireReadLane() {
  if (lanes[0].db.handle() == nullptr) return {db, lanes[0].statements, db.Lock()};
  for (ReadLane& lane : lanes) {
    if (std::unique_lock<std::mutex> lock = lane.db.TryLock(); lock.owns_lock()) {
      return {lane.db, lane.statements, std::move(lock)};
    }
  }
  return {lanes[0].db, lanes[0].statements, lanes[0].db.Lock()};
}

StoreHealth Store::Health() { return impl_->db.Health(); }

}  // namespace salesaudit

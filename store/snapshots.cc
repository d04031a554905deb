// The audit's snapshots (audit_snapshots): saved with the retention applied
// in the same transaction, and the latest of a purpose read back.
#include <sqlite3.h>

#include <string_view>
#include <utility>

#include "store/store_impl.h"

namespace salesaudit {

const char* SnapshotPurposeName(SnapshotPurpose purpose) {
  return purpose == SnapshotPurpose::kLive ? "live" : "one_off";
}

// audit_snapshots.purpose, which its CHECK keeps to SnapshotPurposeName's
// values. In the namespace of SnapshotPurpose (static, not in the unnamed
// namespace), where ColumnOf's call finds it.
static void ReadValue(sqlite3_stmt* s, int i, SnapshotPurpose& out) {
  std::string name;
  ReadValue(s, i, name);
  out = name == SnapshotPurposeName(SnapshotPurpose::kOneOff) ? SnapshotPurpose::kOneOff
                                                              : SnapshotPurpose::kLive;
}

namespace {

constexpr Column<SnapshotRow> kSnapshotColumns[] = {
    ColumnOf<&SnapshotRow::id>("id"),
    ColumnOf<&SnapshotRow::computed_at>("computed_at"),
    ColumnOf<&SnapshotRow::window_from>("window_from"),
    ColumnOf<&SnapshotRow::window_to>("window_to"),
    ColumnOf<&SnapshotRow::json>("json"),
    ColumnOf<&SnapshotRow::config_hash>("config_hash"),
    ColumnOf<&SnapshotRow::cursors>("cursors"),
    ColumnOf<&SnapshotRow::purpose>("purpose"),
};

}  // namespace

Status SnapshotStatements::Prepare(Database& db) {
  return db.Prepare({
      {&save,
       "INSERT INTO audit_snapshots (computed_at, window_from, window_to, json, config_hash, "
       "cursors, purpose) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"},
      {&latest, SelectSql<SnapshotRow>(kSnapshotColumns,
                                       "FROM audit_snapshots WHERE purpose = ?1 "
                                       "ORDER BY computed_at DESC, id DESC LIMIT 1")},
      // The live snapshots of one interval [?1, ...): the newest replaces them.
      {&replace_live, "DELETE FROM audit_snapshots WHERE purpose = 'live' AND computed_at >= ?1"},
      {&prune_old, "DELETE FROM audit_snapshots WHERE computed_at < ?1"},
      {&prune_surplus,
       "DELETE FROM audit_snapshots WHERE purpose = ?1 AND id NOT IN (SELECT id FROM "
       "audit_snapshots WHERE purpose = ?1 ORDER BY computed_at DESC, id DESC LIMIT ?2)"},
  });
}

Result<int64_t> Store::SaveSnapshot(const SnapshotRow& row, const SnapshotRetention& retention) {
  if (retention.live_interval_ms <= 0 || retention.max_live < 1 || retention.max_one_off < 1) {
    return Status::InvalidArgument("save snapshot: retention out of range");
  }
  Database& db = impl_->db;
  SnapshotStatements& statements = impl_->snapshots;
  auto lock = db.Lock();
  const std::string context = db.Context() + ": save snapshot";
  Status status = db.Begin(context);
  if (status.ok() && row.purpose == SnapshotPurpose::kLive) {
    // Floor division, so an interval starts at or before computed_at even
    // for a (nonsensical) time before the epoch.
    const int64_t r = row.computed_at % retention.live_interval_ms;
    const int64_t interval_start = row.computed_at - (r < 0 ? r + retention.live_interval_ms : r);
    sqlite3_stmt* s = statements.replace_live.get();
    sqlite3_bind_int64(s, 1, interval_start);
    status = db.RunOrError(s, context);
  }
  int64_t id = 0;
  if (status.ok()) {
    sqlite3_stmt* s = statements.save.get();
    sqlite3_bind_int64(s, 1, row.computed_at);
    BindTime(s, 2, row.window_from);
    BindTime(s, 3, row.window_to);
    // json is NOT NULL: bind even an empty document as text, not as NULL.
    BindRequiredText(s, 4, row.json);
    BindText(s, 5, row.config_hash);
    BindText(s, 6, row.cursors);
    BindRequiredText(s, 7, SnapshotPurposeName(row.purpose));
    status = db.RunOrError(s, context);
    id = static_cast<int64_t>(sqlite3_last_insert_rowid(db.handle()));
  }
  if (status.ok()) {
    sqlite3_stmt* s = statements.prune_old.get();
    sqlite3_bind_int64(s, 1, retention.keep_after_ms);
    status = db.RunOrError(s, context + ": prune");
  }
  for (auto [purpose, keep] : {std::pair{SnapshotPurpose::kLive, retention.max_live},
                               std::pair{SnapshotPurpose::kOneOff, retention.max_one_off}}) {
    if (!status.ok()) break;
    sqlite3_stmt* s = statements.prune_surplus.get();
    BindRequiredText(s, 1, SnapshotPurposeName(purpose));
    sqlite3_bind_int64(s, 2, keep);
    status = db.RunOrError(s, context + ": prune");
  }
  if (status.ok()) status = db.Commit(context);
  if (!status.ok()) db.RollbackIfOpen();
  db.WriteOutcome("snapshot", status);
  if (!status.ok()) return status;
  return id;
}

Result<std::optional<SnapshotRow>> Store::LatestSnapshot(SnapshotPurpose purpose) {
  Database& db = impl_->db;
  auto lock = db.Lock();
  std::optional<SnapshotRow> latest;
  sqlite3_stmt* s = impl_->snapshots.latest.get();
  BindRequiredText(s, 1, SnapshotPurposeName(purpose));
  Status status =
      ReadRows<SnapshotRow>(db, s, db.Context() + ": read latest snapshot", kSnapshotColumns,
                            [&](const SnapshotRow& row) { latest = row; });
  if (!status.ok()) return status;
  return latest;
}

}  // namespace salesaudit

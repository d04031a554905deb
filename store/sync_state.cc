// The sync engine's side of the store: a page committed with its stream's
// cursor, cursors read and reset, and the outcome of each stream run
// (sync_state).
#include <sqlite3.h>

#include "store/store_impl.h"

namespace salesaudit {
namespace {

constexpr Column<StreamState> kStreamStateColumns[] = {
    ColumnOf<&StreamState::connector>("connector"),
    ColumnOf<&StreamState::stream>("stream"),
    ColumnOf<&StreamState::cursor>("cursor"),
    ColumnOf<&StreamState::last_success_at>("last_success_at"),
    ColumnOf<&StreamState::last_error>("last_error"),
    ColumnOf<&StreamState::last_error_at>("last_error_at"),
    ColumnOf<&StreamState::failures_in_a_row>("failures_in_a_row"),
};

}  // namespace

Status SyncStateStatements::Prepare(Database& db) {
  const std::string list_sql =
      SelectSql<StreamState>(kStreamStateColumns, "FROM sync_state ORDER BY connector, stream");
  return db.Prepare({
      {&write_cursor,
       "INSERT INTO sync_state (connector, stream, cursor) VALUES (?1, ?2, ?3) "
       "ON CONFLICT (connector, stream) DO UPDATE SET cursor = excluded.cursor"},
      {&get_cursor, "SELECT cursor FROM sync_state WHERE connector = ?1 AND stream = ?2"},
      {&reset_cursor, "UPDATE sync_state SET cursor = NULL WHERE connector = ?1 AND stream = ?2"},
      {&record_success,
       "INSERT INTO sync_state (connector, stream, last_success_at) VALUES (?1, ?2, ?3) "
       "ON CONFLICT (connector, stream) DO UPDATE SET "
       "last_success_at = excluded.last_success_at, last_error = NULL, last_error_at = NULL, "
       "failures_in_a_row = 0"},
      {&record_error,
       "INSERT INTO sync_state (connector, stream, last_error, last_error_at, failures_in_a_row) "
       "VALUES (?1, ?2, ?3, ?4, 1) "
       "ON CONFLICT (connector, stream) DO UPDATE SET last_error = excluded.last_error, "
       "last_error_at = excluded.last_error_at, failures_in_a_row = failures_in_a_row + 1"},
      {&list_states, list_sql},
  });
}

Status Store::CommitPage(const std::string& source, const Page& page, PageCommitNotes* notes) {
  if (source.empty() || page.stream.empty()) {
    return Status::InvalidArgument("commit page: source and stream must be set (source \"" +
                                   source + "\", stream \"" + page.stream + "\")");
  }
  Database& db = impl_->db;
  auto lock = db.Lock();
  Status status = db.Begin("begin");
  PageCommitNotes written;
  if (status.ok()) status = impl_->writer.WritePage(source, page, written);
  if (status.ok()) {
    sqlite3_stmt* s = impl_->sync_state.write_cursor.get();
    BindText(s, 1, source);
    BindText(s, 2, page.stream);
    BindText(s, 3, page.cursor);
    status = db.RunOrError(s, "cursor");
  }
  if (status.ok()) status = db.Commit("commit");
  if (status.ok() && notes != nullptr) *notes = written;
  if (!status.ok()) {
    db.RollbackIfOpen();
    status = status.WithContext(db.Context() + ": " + source + "/" + page.stream);
  }
  db.WriteOutcome("page " + source + "/" + page.stream, status);
  return status;
}

Result<std::string> Store::GetCursor(const std::string& connector, const std::string& stream) {
  Database& db = impl_->db;
  auto lock = db.Lock();
  sqlite3_stmt* s = impl_->sync_state.get_cursor.get();
  BindText(s, 1, connector);
  BindText(s, 2, stream);
  std::string cursor;
  Status status = db.ForEachRow(s, db.Context() + ": " + connector + "/" + stream + ": read cursor",
                                [&](sqlite3_stmt* row) { ReadValue(row, 0, cursor); });
  if (!status.ok()) return status;
  return cursor;
}

Status Store::ResetCursor(const std::string& connector, const std::string& stream) {
  Database& db = impl_->db;
  auto lock = db.Lock();
  sqlite3_stmt* s = impl_->sync_state.reset_cursor.get();
  BindText(s, 1, connector);
  BindText(s, 2, stream);
  return db.RunOrError(s, db.Context() + ": " + connector + "/" + stream + ": reset cursor");
}

Status Store::RecordSuccess(const std::string& connector, const std::string& stream,
                            int64_t at_ms) {
  Database& db = impl_->db;
  auto lock = db.Lock();
  sqlite3_stmt* s = impl_->sync_state.record_success.get();
  BindText(s, 1, connector);
  BindText(s, 2, stream);
  sqlite3_bind_int64(s, 3, at_ms);
  return db.RunOrError(s, db.Context() + ": " + connector + "/" + stream + ": record success");
}

Status Store::RecordError(const std::string& connector, const std::string& stream,
                          const std::string& message, int64_t at_ms) {
  Database& db = impl_->db;
  auto lock = db.Lock();
  sqlite3_stmt* s = impl_->sync_state.record_error.get();
  BindText(s, 1, connector);
  BindText(s, 2, stream);
  BindText(s, 3, message);
  sqlite3_bind_int64(s, 4, at_ms);
  return db.RunOrError(s, db.Context() + ": " + connector + "/" + stream + ": record error");
}

Result<std::vector<StreamState>> Store::ListStreamStates() {
  Database& db = impl_->db;
  auto lock = db.Lock();
  std::vector<StreamState> states;
  Status status = ReadRows<StreamState>(db, impl_->sync_state.list_states.get(),
                                        db.Context() + ": list stream states", kStreamStateColumns,
                                        [&](const StreamState& state) { states.push_back(state); });
  if (!status.ok()) return status;
  return states;
}

}  // namespace salesaudit

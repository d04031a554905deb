// One SQLite connection of a store and what every operation on it shares:
// opening the file (checked, WAL), the lock, failures turned into statuses
// that name the file, statements stepped, transactions, and the health of
// the file as the operations met it. Internal to store/ (store.h is the
// interface).
//
// Ownership: two per open Store, for its lifetime: Store::Impl::db, the
// connection that writes (and checks the file at open), and Store::Impl::reads,
// a read-only one for the read side (OpenReader), whose faults count in the
// first one's Health().
// Threading: callers hold Lock() for every use of the connection and of any
// statement prepared on it; Health() and WriteOutcome() take only
// `health_mu_`, which is taken under the lock or alone, never the reverse, so
// Health() never waits for a store operation. CancelReads() and
// StopOpenCheck() may be called from any thread at any time.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/status.h"
#include "store/statement.h"
#include "store/store.h"
#include "store/store_file.h"

struct sqlite3;

namespace salesaudit {

// Where an operator is told how to recover a damaged store.
inline constexpr char kRecoveryHint[] = "see README \"Recovering a damaged store\"";

class Database {
 public:
  Database() = default;
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Opens the store at `path` as Store::Open describes, up to and not
  // including its migrations: prepares the file, opens it, refuses a newer
  // schema or a damaged file, enables WAL and prepares the transaction
  // statements. `read_only` (Store::OpenReadOnly): an existing file of the
  // current schema, opened without creating, re-permissioning or
  // configuring it. With `check_in_background` (and a file whose schema
  // needs no migration), the integrity check runs on a connection of its
  // own after Open returns, and every commit waits for it (OnCommit): a
  // check that finds damage makes the store unhealthy for good and every
  // commit fail, so nothing is written to a damaged file either way.
  Status Open(const std::string& path, std::chrono::milliseconds check_budget,
              bool read_only = false, bool check_in_background = false);
  // Opens a second, read-only connection to the file `primary` has open,
  // for reads that must not wait for commits nor hold them up (WAL): its
  // faults count in primary's Health(). For ":memory:", which another
  // connection cannot see, it opens nothing (handle() stays null).
  Status OpenReader(Database& primary);

  sqlite3* handle() const { return db_.get(); }
  const std::string& path() const { return path_; }
  // "store <path>": how every message about this store begins.
  std::string Context() const { return "store " + path_; }

  // Held for every use of the connection and of its statements.
  [[nodiscard]] std::unique_lock<std::mutex> Lock() { return std::unique_lock<std::mutex>(mu_); }
  // Lock() when no one holds it; else a lock that owns nothing.
  [[nodiscard]] std::unique_lock<std::mutex> TryLock() {
    return std::unique_lock<std::mutex>(mu_, std::try_to_lock);
  }
  // What Open() changed or noticed that the operator should know.
  const std::vector<std::string>& warnings() const { return warnings_; }
  // Waits for a check running in the background (Open).
  const StoreOpenCheck& open_check() const;
  // The damage the integrity check at open found, as a kDataLoss status
  // naming the file; OK when it found none. Waits for a check running in
  // the background.
  Status OpenCheckOutcome() const;
  // Cuts a background integrity check short, as if its budget ran out
  // (incomplete, nothing found): commits no longer wait for it.
  void StopOpenCheck();
  // Stopping: every statement running on this connection is interrupted
  // and every one stepped later (ForEachRow) fails, with kCancelled.
  void CancelReads();

  // "<context>: <sqlite message>" with a code that tells retryable failures
  // (busy, I/O) from bad data and bugs. Call before resetting the statement
  // that failed, while the message is still the connection's.
  Status Error(int rc, std::string_view context);
  // Runs `sql` (any number of statements, no parameters).
  Status Exec(const char* sql, std::string_view context);
  // Prepares `sql` once for the connection's lifetime.
  Status Prepare(Statement* stmt, std::string_view sql);
  struct StatementSql {
    Statement* stmt;
    std::string_view sql;
  };
  // Prepares each statement in turn; stops at the first failure.
  Status Prepare(std::initializer_list<StatementSql> statements);

  // Steps a statement that returns no rows and resets it. Returns the SQLite
  // code (SQLITE_OK on success) so the hot path builds no Status; the caller
  // turns a failure into one with Error() right away, then resets.
  static int Run(sqlite3_stmt* s);
  Status RunOrError(sqlite3_stmt* s, std::string_view context);
  // Calls fn(stmt) for each result row, then resets the statement, however
  // it ends, so no statement keeps a read transaction open (which would stop
  // WAL checkpoints).
  Status ForEachRow(sqlite3_stmt* s, std::string_view context,
                    const std::function<void(sqlite3_stmt*)>& fn);
  // Runs `sql` prepared for this call only (alerts and silences change a
  // few rows now and then: no statement kept for them), binding with `bind`
  // and calling `row` for each result row.
  Status RunOnce(const char* sql, std::string_view context,
                 const std::function<void(sqlite3_stmt*)>& bind,
                 const std::function<void(sqlite3_stmt*)>& row = nullptr);

  // Transactions. Begin takes the write lock up front (IMMEDIATE), so a busy
  // file fails there, after the busy timeout, rather than half-way through.
  Status Begin(std::string_view context);
  Status Commit(std::string_view context);
  // Rolls back the transaction if one is still open: SQLite rolls back by
  // itself after some errors (SQLITE_FULL, ...), and a second ROLLBACK would
  // fail.
  void RollbackIfOpen();

  Result<int> ReadUserVersion();

  // What a public write method did: `what` ("page crm/contacts",
  // "snapshot") fails in Health() until it commits again.
  void WriteOutcome(const std::string& what, const Status& status);
  // As Store::Health describes.
  StoreHealth Health();

 private:
  struct Closer {
    void operator()(sqlite3* db) const;
  };
  // A write that failed for a fault of the file, with the time it last
  // failed.
  struct FailingWrite {
    StoreHealth health;
    std::chrono::steady_clock::time_point failed_at;
  };
  // A failing write neither retried nor cleared for this long is forgotten
  // once other writes commit: a stream a reload removed, or one with
  // nothing to write, may never commit again.
  static constexpr std::chrono::hours kUnretriedFaultExpiry{1};

  Status Configure();
  // Runs the integrity check at open on `db` and records its outcome.
  void RunOpenCheck(sqlite3* db, std::chrono::milliseconds budget);
  // The background check: its own connection, so reads and the status
  // server need not wait for it.
  void CheckInBackground(std::chrono::milliseconds budget);
  // False when the open check found damage; waits while it runs.
  bool OpenCheckPassed();
  // sqlite3_progress_handler: non-zero once CancelReads() was called.
  static int OnProgress(void* database);
  // Every failure of a SQLite call on the connection comes here: it counts
  // and notes the fault of the file, if any, for Health().
  Status Failure(int rc, std::string_view context, const char* sqlite_message);
  // SQLite met damage: the store is unhealthy for good, and a full
  // integrity check (once, within the open check's budget, since every store
  // call waits for it) says how far it goes.
  // `db` is the connection that met it (this one or a reader).
  void NoteDamage(const std::string& message, sqlite3* db);
  // True while the path still names the file opened; otherwise notes it
  // removed or replaced. A path that cannot be looked at (EACCES) passes.
  bool FileStillThere();
  // sqlite3_commit_hook: a commit into a file no longer at the path would
  // be lost at exit, so it is turned into a rollback
  // (SQLITE_CONSTRAINT_COMMITHOOK).
  static int OnCommit(void* database);

  std::string path_;
  std::mutex mu_;
  std::vector<std::string> warnings_;
  // Where this connection's faults count: this, or the primary of a reader.
  Database* health_owner_ = this;
  std::atomic<bool> reads_cancelled_{false};

  // The integrity check at open and its outcome; `check_running_` while a
  // background check runs, on `check_db_` (owned by `check_thread_`).
  mutable std::mutex check_mu_;
  mutable std::condition_variable check_done_;
  bool check_running_ = false;
  sqlite3* check_db_ = nullptr;
  bool check_stopped_ = false;  // StopOpenCheck() was called
  StoreOpenCheck open_check_;
  // kDataLoss: the check found damage; kUnavailable: it could not run.
  Status open_check_failure_;
  std::thread check_thread_;
  // Declared before the statements so it is closed after they are finalized.
  std::unique_ptr<sqlite3, Closer> db_;
  Statement begin_immediate_, commit_, rollback_, user_version_;
  // The file opened; unset for ":memory:".
  std::optional<FileIdentity> identity_;
  std::atomic<bool> integrity_checked_after_error_{false};

  // Guards the faults below.
  std::mutex health_mu_;
  StoreHealth lasting_fault_;  // removed, replaced or corrupt: until the process ends
  // The last fault of the file an operation met, until the public method
  // that met it files it in failing_writes_.
  std::optional<StoreHealth> last_fault_;
  // Writes that failed for a fault of the file, by what they write, until
  // that write next commits (or kUnretriedFaultExpiry).
  std::map<std::string, FailingWrite> failing_writes_;
};

// Reads each result row of `s` into a Row through `columns` and calls
// fn(row). One Row serves every row, so its strings keep their capacity.
template <typename Row, typename Fn>
Status ReadRows(Database& db, sqlite3_stmt* s, std::string_view context,
                std::span<const Column<Row>> columns, Fn&& fn) {
  Row row;
  return db.ForEachRow(s, context, [&](sqlite3_stmt* r) {
    ReadRow(r, columns, row);
    fn(row);
  });
}

}  // namespace salesaudit

#include "store/database.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <cerrno>
#include <utility>

#include "core/metrics.h"

namespace salesaudit {
namespace {

StatusCode CodeForSqlite(int rc) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_PROTOCOL:
      return StatusCode::kUnavailable;
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
    case SQLITE_CORRUPT:
      return StatusCode::kDataLoss;
    case SQLITE_NOTADB:
      return StatusCode::kInvalidArgument;
    default:
      return StatusCode::kInternal;
  }
}

Status MakeStatus(StatusCode code, std::string message) {
  switch (code) {
    case StatusCode::kUnavailable:
      return Status::Unavailable(std::move(message));
    case StatusCode::kDataLoss:
      return Status::DataLoss(std::move(message));
    case StatusCode::kInvalidArgument:
      return Status::InvalidArgument(std::move(message));
    default:
      return Status::Internal(std::move(message));
  }
}

// The kinds of salesaudit_store_errors_total: what made an operation fail.
constexpr const char* kFaultKinds[] = {"full",    "io",       "readonly", "corrupt",
                                       "removed", "replaced", "busy"};

CounterFamily& StoreErrors() {
  static CounterFamily& family = GlobalMetrics().Counter(
      "salesaudit_store_errors_total",
      "Store operations that failed, by kind: full (disk or file system), io, readonly, corrupt, "
      "removed or replaced (the file under the open store), busy (locked by another process).",
      {"kind"});
  return family;
}

// The fault kind of a failed SQLite call; nullptr for failures that say
// nothing about the file (bad data, bugs).
const char* FaultKind(int rc) {
  switch (rc & 0xff) {
    case SQLITE_FULL:
      return "full";
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
      return "io";
    case SQLITE_READONLY:
      return "readonly";
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return "corrupt";
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return "busy";
    default:
      return nullptr;
  }
}

}  // namespace

void Database::Closer::operator()(sqlite3* db) const { sqlite3_close_v2(db); }

Status Database::Open(const std::string& path, std::chrono::milliseconds check_budget,
                      bool read_only) {
  path_ = path;
  const std::string context = Context();
  // Every kind from the first open on, so that a rate over it exists
  // before the first error.
  for (const char* kind : kFaultKinds) StoreErrors().WithLabels({kind});
  const bool in_memory = path.empty() || path == ":memory:";
  if (!in_memory && read_only) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0 && errno == ENOENT) {
      return Status::NotFound(context + ": no such file (no sync has stored anything yet)");
    }
  } else if (!in_memory) {
    if (Status s = PrepareStoreFile(path, &warnings_); !s.ok()) return s;
  }
  sqlite3* raw = nullptr;
  // NOMUTEX: mu_ already serialises every use of the connection.
  const int mode = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  int rc = sqlite3_open_v2(path.c_str(), &raw, mode | SQLITE_OPEN_NOMUTEX, nullptr);
  db_.reset(raw);
  if (rc != SQLITE_OK) {
    return Status::Unavailable(
        context + ": cannot open: " + (raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  if (!in_memory) {
    auto identity = IdentityOf(path);
    if (!identity.ok()) return identity.status().WithContext(context);
    identity_ = *identity;
  }
  sqlite3_commit_hook(raw, &Database::OnCommit, this);

  // Not a database at all (SQLITE_NOTADB) shows at the first read.
  Status status = Prepare(&user_version_, "PRAGMA user_version");
  Result<int> version = status.ok() ? ReadUserVersion() : Result<int>(status);
  if (!version.ok()) {
    if (version.status().code() != StatusCode::kInvalidArgument) return version.status();
    return Status::InvalidArgument(version.status().message() + "; " + kRecoveryHint);
  }
  // Refuse a newer file before touching it (not even switching it to WAL):
  // an older binary must not write to a schema it does not know.
  if (*version > Store::kSchemaVersion) {
    return Status::InvalidArgument(context + ": schema version " + std::to_string(*version) +
                                   " is newer than this salesaudit supports (" +
                                   std::to_string(Store::kSchemaVersion) + "); upgrade salesaudit");
  }
  if (read_only && *version != Store::kSchemaVersion) {
    return Status::InvalidArgument(
        context + ": schema version " + std::to_string(*version) + ", not this salesaudit's " +
        std::to_string(Store::kSchemaVersion) + "; a `salesaudit sync` or the daemon upgrades it");
  }
  // Nothing is written to a damaged file (a migration or a sync would build
  // on what is broken).
  auto findings = CheckIntegrity(raw, context, false, check_budget);
  if (!findings.ok()) return findings.status();
  if (!findings->problems.empty()) {
    std::string message =
        context + ": damaged (integrity check at open: " + findings->problems.front();
    if (findings->problems.size() > 1) {
      message += ", and " + std::to_string(findings->problems.size() - 1) + " more";
    }
    return Status::DataLoss(message + "); run `salesaudit store check`; " + kRecoveryHint);
  }
  open_check_ = {.complete = findings->complete, .took = findings->took};
  // WAL is a setting of the file, and a read-only connection changes nothing.
  if (!read_only) {
    if (status = Configure(); !status.ok()) return status;
  }
  for (auto [stmt, sql] : {std::pair{&begin_immediate_, "BEGIN IMMEDIATE"},
                           std::pair{&commit_, "COMMIT"}, std::pair{&rollback_, "ROLLBACK"}}) {
    if (status = Prepare(stmt, sql); !status.ok()) return status;
  }
  return Status::Ok();
}

Status Database::Configure() {
  const std::string context = Context();
  // WAL lets readers (status, BI tools) run beside the one writer; NORMAL
  // sync is durable across application crashes in WAL mode and costs no
  // fsync per commit. The schema has no foreign keys: rows of one source
  // arrive in any order (a deal before its contacts).
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(handle(), "PRAGMA journal_mode=WAL", -1, &stmt, nullptr);
  if (rc != SQLITE_OK) return Error(rc, context + ": enable WAL");
  std::string mode;
  rc = sqlite3_step(stmt);
  if (rc == SQLITE_ROW) ReadValue(stmt, 0, mode);
  Status status =
      (rc == SQLITE_ROW || rc == SQLITE_DONE) ? Status::Ok() : Error(rc, context + ": enable WAL");
  sqlite3_finalize(stmt);
  if (!status.ok()) return status;
  // An in-memory database (":memory:") cannot use WAL and reports "memory".
  if (mode != "wal" && mode != "memory") {
    return Status::Unavailable(context + ": cannot enable WAL (journal_mode is " + mode + ")");
  }
  return Exec("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=OFF;", context + ": configure");
}

Status Database::Error(int rc, std::string_view context) {
  return Failure(rc, context, sqlite3_errmsg(handle()));
}

Status Database::Exec(const char* sql, std::string_view context) {
  char* err = nullptr;
  int rc = sqlite3_exec(handle(), sql, nullptr, nullptr, &err);
  if (rc == SQLITE_OK) return Status::Ok();
  Status status = Failure(rc, context, err != nullptr ? err : sqlite3_errstr(rc));
  sqlite3_free(err);
  return status;
}

Status Database::Failure(int rc, std::string_view context, const char* sqlite_message) {
  std::string message(context);
  message += ": ";
  if (rc == SQLITE_CONSTRAINT_COMMITHOOK) {
    // OnCommit refused the commit: the file is no longer there.
    std::lock_guard<std::mutex> lock(health_mu_);
    StoreErrors().WithLabels({lasting_fault_.kind}).Increment();
    return Status::Unavailable(message + lasting_fault_.problem);
  }
  message += sqlite_message;
  if (const char* kind = FaultKind(rc)) {
    StoreErrors().WithLabels({kind}).Increment();
    if (std::string_view(kind) == "corrupt") {
      NoteDamage(message);
    } else if (std::string_view(kind) != "busy") {
      std::lock_guard<std::mutex> lock(health_mu_);
      last_fault_ = StoreHealth{.ok = false, .kind = kind, .problem = message};
    }
  }
  return MakeStatus(CodeForSqlite(rc), std::move(message));
}

void Database::NoteDamage(const std::string& message) {
  std::string problem = "store " + path_ + " is damaged: " + message;
  if (!integrity_checked_after_error_) {
    integrity_checked_after_error_ = true;
    auto findings = CheckIntegrity(handle(), Context(), true, Store::kOpenCheckBudget);
    if (findings.ok() && !findings->problems.empty()) {
      problem += "; integrity check: " + findings->problems.front();
      if (findings->problems.size() > 1) {
        problem += " (and " + std::to_string(findings->problems.size() - 1) + " more)";
      }
    }
  }
  problem += "; ";
  problem += kRecoveryHint;
  std::lock_guard<std::mutex> lock(health_mu_);
  if (lasting_fault_.ok)
    lasting_fault_ = StoreHealth{.ok = false, .kind = "corrupt", .problem = problem};
}

bool Database::FileStillThere() {
  if (!identity_) return true;
  Result<FileIdentity> now = IdentityOf(path_);
  const bool removed = now.status().code() == StatusCode::kNotFound;
  if (!removed && (!now.ok() || *now == *identity_)) return true;
  std::lock_guard<std::mutex> lock(health_mu_);
  if (lasting_fault_.ok || lasting_fault_.kind == "corrupt") {
    lasting_fault_ = StoreHealth{
        .ok = false,
        .kind = removed ? "removed" : "replaced",
        .problem = "store file " + path_ + " was " +
                   (removed ? "removed" : "replaced by another file") +
                   " while salesaudit had it open: nothing more is committed (restart to open "
                   "the file at the path; " +
                   kRecoveryHint + ")"};
  }
  return false;
}

int Database::OnCommit(void* database) {
  return static_cast<Database*>(database)->FileStillThere() ? 0 : 1;
}

void Database::WriteOutcome(const std::string& what, const Status& status) {
  std::lock_guard<std::mutex> lock(health_mu_);
  const auto now = std::chrono::steady_clock::now();
  if (status.ok()) {
    failing_writes_.erase(what);
    std::erase_if(failing_writes_, [&](const auto& entry) {
      return now - entry.second.failed_at >= kUnretriedFaultExpiry;
    });
  } else if (last_fault_) {
    FailingWrite& fault = failing_writes_[what];
    fault.health = *last_fault_;
    fault.health.problem = "cannot commit " + what + ": " + status.message();
    fault.failed_at = now;
  }
  last_fault_.reset();
}

StoreHealth Database::Health() {
  FileStillThere();
  std::lock_guard<std::mutex> lock(health_mu_);
  if (!lasting_fault_.ok) return lasting_fault_;
  if (!failing_writes_.empty()) return failing_writes_.begin()->second.health;
  return StoreHealth{};
}

Status Database::Prepare(Statement* stmt, std::string_view sql) {
  int rc = sqlite3_prepare_v3(handle(), sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, stmt->out(), nullptr);
  if (rc != SQLITE_OK) return Error(rc, Context() + ": prepare");
  return Status::Ok();
}

Status Database::Prepare(std::initializer_list<StatementSql> statements) {
  for (const StatementSql& s : statements) {
    if (Status status = Prepare(s.stmt, s.sql); !status.ok()) return status;
  }
  return Status::Ok();
}

int Database::Run(sqlite3_stmt* s) {
  int rc = sqlite3_step(s);
  if (rc == SQLITE_DONE) {
    sqlite3_reset(s);
    return SQLITE_OK;
  }
  return rc;  // the caller reads the message, then resets
}

Status Database::RunOrError(sqlite3_stmt* s, std::string_view context) {
  int rc = Run(s);
  if (rc == SQLITE_OK) return Status::Ok();
  Status status = Error(rc, context);
  sqlite3_reset(s);
  return status;
}

Status Database::ForEachRow(sqlite3_stmt* s, std::string_view context,
                            const std::function<void(sqlite3_stmt*)>& fn) {
  struct ResetOnExit {
    sqlite3_stmt* stmt;
    ~ResetOnExit() { sqlite3_reset(stmt); }
  } reset{s};
  while (true) {
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
      fn(s);
    } else if (rc == SQLITE_DONE) {
      return Status::Ok();
    } else {
      return Error(rc, context);
    }
  }
}

Status Database::RunOnce(const char* sql, std::string_view context,
                         const std::function<void(sqlite3_stmt*)>& bind,
                         const std::function<void(sqlite3_stmt*)>& row) {
  Statement st;
  int rc = sqlite3_prepare_v2(handle(), sql, -1, st.out(), nullptr);
  if (rc != SQLITE_OK) return Error(rc, context);
  if (bind) bind(st.get());
  return ForEachRow(st.get(), context, [&](sqlite3_stmt* r) {
    if (row) row(r);
  });
}

Status Database::Begin(std::string_view context) {
  return RunOrError(begin_immediate_.get(), context);
}

Status Database::Commit(std::string_view context) { return RunOrError(commit_.get(), context); }

void Database::RollbackIfOpen() {
  if (sqlite3_get_autocommit(handle()) == 0) {
    sqlite3_step(rollback_.get());
    sqlite3_reset(rollback_.get());
  }
}

Result<int> Database::ReadUserVersion() {
  int version = 0;
  Status s = ForEachRow(user_version_.get(), Context() + ": read user_version",
                        [&](sqlite3_stmt* row) { version = sqlite3_column_int(row, 0); });
  if (!s.ok()) return s;
  return version;
}

}  // namespace salesaudit

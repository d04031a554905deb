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
    case SQLITE_INTERRUPT:  // only CancelReads() interrupts a store operation
      return StatusCode::kCancelled;
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
    case StatusCode::kCancelled:
      return Status::Cancelled(std::move(message));
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

// ":memory:" (or no path): a database of the connection alone.
bool IsInMemory(const std::string& path) { return path.empty() || path == ":memory:"; }

// How many SQLite VM steps a read runs between two looks at CancelReads():
// a few microseconds' work, so a cancelled scan stops at once.
constexpr int kProgressSteps = 1000;

// Opens a connection to the store file at `path` with `flags`, extended
// result codes and the busy timeout; *db is the caller's to close, also on
// failure. NOMUTEX: a lock of ours serialises every use of a connection.
Status OpenConnection(const std::string& path, int flags, const std::string& context,
                      sqlite3** db) {
  const int rc = sqlite3_open_v2(path.c_str(), db, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    return Status::Unavailable(context + ": cannot open: " +
                               (*db != nullptr ? sqlite3_errmsg(*db) : sqlite3_errstr(rc)));
  }
  sqlite3_extended_result_codes(*db, 1);
  sqlite3_busy_timeout(*db, kBusyTimeoutMs);
  return Status::Ok();
}

}  // namespace

void Database::Closer::operator()(sqlite3* db) const { sqlite3_close_v2(db); }

Database::~Database() {
  StopOpenCheck();
  if (check_thread_.joinable()) check_thread_.join();
}

Status Database::Open(const std::string& path, std::chrono::milliseconds check_budget,
                      bool read_only, bool check_in_background) {
  path_ = path;
  const std::string context = Context();
  // Every kind from the first open on, so that a rate over it exists
  // before the first error.
  for (const char* kind : kFaultKinds) StoreErrors().WithLabels({kind});
  const bool in_memory = IsInMemory(path);
  if (!in_memory && read_only) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0 && errno == ENOENT) {
      return Status::NotFound(context + ": no such file (no sync has stored anything yet)");
    }
  } else if (!in_memory) {
    if (Status s = PrepareStoreFile(path, &warnings_); !s.ok()) return s;
  }
  sqlite3* raw = nullptr;
  const int mode = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  Status opened = OpenConnection(path, mode, context, &raw);
  db_.reset(raw);
  if (!opened.ok()) return opened;
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
  // on what is broken). A migration writes as the store opens, so a file
  // that needs one is checked first; otherwise the check may run beside the
  // store's use, every commit waiting for it (OnCommit).
  const bool in_background =
      check_in_background && !read_only && !in_memory && *version == Store::kSchemaVersion;
  if (!in_background) {
    RunOpenCheck(raw, check_budget);
    if (!open_check_failure_.ok()) return open_check_failure_;
  }
  // WAL is a setting of the file, and a read-only connection changes nothing.
  if (!read_only) {
    if (status = Configure(); !status.ok()) return status;
  }
  for (auto [stmt, sql] : {std::pair{&begin_immediate_, "BEGIN IMMEDIATE"},
                           std::pair{&commit_, "COMMIT"}, std::pair{&rollback_, "ROLLBACK"}}) {
    if (status = Prepare(stmt, sql); !status.ok()) return status;
  }
  if (in_background) {
    check_running_ = true;
    check_thread_ = std::thread([this, check_budget] { CheckInBackground(check_budget); });
  }
  return Status::Ok();
}

Status Database::OpenReader(Database& primary) {
  // Another connection to ":memory:" would be another database.
  if (IsInMemory(primary.path_)) return Status::Ok();
  path_ = primary.path_;
  health_owner_ = &primary;
  sqlite3* raw = nullptr;
  Status opened = OpenConnection(path_, SQLITE_OPEN_READONLY, Context() + " (reads)", &raw);
  db_.reset(raw);
  if (!opened.ok()) return opened;
  // sqlite3_interrupt alone reaches only the statements running when it is
  // called; the handler also stops one that a scan starts just after.
  sqlite3_progress_handler(raw, kProgressSteps, &Database::OnProgress, this);
  return Prepare(&user_version_, "PRAGMA user_version");
}

void Database::RunOpenCheck(sqlite3* db, std::chrono::milliseconds budget) {
  const std::string context = Context();
  auto findings = CheckIntegrity(db, context, false, budget);
  std::lock_guard<std::mutex> lock(check_mu_);
  if (!findings.ok()) {
    open_check_ = {.complete = false};
    open_check_failure_ = findings.status();
    return;
  }
  open_check_ = {.complete = findings->complete, .took = findings->took};
  if (findings->problems.empty()) return;
  std::string message =
      context + ": damaged (integrity check at open: " + findings->problems.front();
  if (findings->problems.size() > 1) {
    message += ", and " + std::to_string(findings->problems.size() - 1) + " more";
  }
  open_check_failure_ =
      Status::DataLoss(message + "); run `salesaudit store check`; " + kRecoveryHint);
}

void Database::CheckInBackground(std::chrono::milliseconds budget) {
  sqlite3* raw = nullptr;
  Status opened =
      OpenConnection(path_, SQLITE_OPEN_READONLY, Context() + ": integrity check", &raw);
  if (opened.ok()) {
    bool stopped = false;
    {
      std::lock_guard<std::mutex> lock(check_mu_);
      stopped = check_stopped_;
      if (!stopped) check_db_ = raw;
    }
    if (stopped) {
      std::lock_guard<std::mutex> lock(check_mu_);
      open_check_ = {.complete = false};
    } else {
      RunOpenCheck(raw, budget);
    }
  } else {
    std::lock_guard<std::mutex> lock(check_mu_);
    open_check_ = {.complete = false};
    open_check_failure_ = opened;
  }
  // Only this thread writes the outcome while the check runs.
  if (open_check_failure_.code() == StatusCode::kDataLoss) {
    // Damage found by the check at open lasts, as damage met later does;
    // noted before any waiting commit is refused for it (Failure).
    std::lock_guard<std::mutex> lock(health_mu_);
    lasting_fault_ =
        StoreHealth{.ok = false, .kind = "corrupt", .problem = open_check_failure_.message()};
  }
  {
    std::lock_guard<std::mutex> lock(check_mu_);
    check_db_ = nullptr;
    check_running_ = false;
  }
  sqlite3_close_v2(raw);
  check_done_.notify_all();
}

void Database::StopOpenCheck() {
  std::lock_guard<std::mutex> lock(check_mu_);
  check_stopped_ = true;
  if (check_db_ != nullptr) sqlite3_interrupt(check_db_);
}

const StoreOpenCheck& Database::open_check() const {
  std::unique_lock<std::mutex> lock(check_mu_);
  check_done_.wait(lock, [this] { return !check_running_; });
  return open_check_;
}

Status Database::OpenCheckOutcome() const {
  std::unique_lock<std::mutex> lock(check_mu_);
  check_done_.wait(lock, [this] { return !check_running_; });
  return open_check_failure_;
}

bool Database::OpenCheckPassed() {
  return OpenCheckOutcome().code() != StatusCode::kDataLoss;
}

void Database::CancelReads() {
  reads_cancelled_ = true;
  if (db_ != nullptr) sqlite3_interrupt(db_.get());
}

int Database::OnProgress(void* database) {
  return static_cast<Database*>(database)->reads_cancelled_.load() ? 1 : 0;
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
      health_owner_->NoteDamage(message, handle());
    } else if (std::string_view(kind) != "busy" && health_owner_ == this) {
      // A reader's other faults are not filed: WriteOutcome files a write's.
      std::lock_guard<std::mutex> lock(health_mu_);
      last_fault_ = StoreHealth{.ok = false, .kind = kind, .problem = message};
    }
  }
  return MakeStatus(CodeForSqlite(rc), std::move(message));
}

void Database::NoteDamage(const std::string& message, sqlite3* db) {
  std::string problem = "store " + path_ + " is damaged: " + message;
  if (!integrity_checked_after_error_.exchange(true)) {
    auto findings = CheckIntegrity(db, Context(), true, Store::kOpenCheckBudget);
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
  auto* self = static_cast<Database*>(database);
  return self->OpenCheckPassed() && self->FileStillThere() ? 0 : 1;
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
  if (reads_cancelled_.load()) return Status::Cancelled(std::string(context) + ": cancelled");
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

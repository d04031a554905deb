// `salesaudit store check` and `store backup`: a store file checked or
// copied by a connection of its own, without opening it as a Store (never
// created or migrated), also while a daemon has it open.
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>

#include "store/store.h"
#include "store/store_file.h"

namespace salesaudit {
namespace {

struct Connection {
  sqlite3* db = nullptr;
  ~Connection() { sqlite3_close_v2(db); }
};

// Opens an existing store file (never creating it) for statements that only
// read. Read-write if the file allows, like any SQLite client: a read-only
// connection would leave behind the -wal and -shm files it had to create,
// where the last read-write one to close removes them.
Status OpenExisting(const std::string& path, sqlite3** db) {
  const int rc = sqlite3_open_v2(path.c_str(), db, SQLITE_OPEN_READWRITE, nullptr);
  if (rc != SQLITE_OK) {
    return Status::Unavailable("store " + path + ": cannot open: " +
                               (*db != nullptr ? sqlite3_errmsg(*db) : sqlite3_errstr(rc)));
  }
  sqlite3_extended_result_codes(*db, 1);
  sqlite3_busy_timeout(*db, kBusyTimeoutMs);
  return Status::Ok();
}

// One integer a PRAGMA returns, or the SQLite message when it fails.
Result<int64_t> PragmaValue(sqlite3* db, const std::string& context, const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr);
  int64_t value = 0;
  if (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    value = sqlite3_column_int64(stmt, 0);
    rc = SQLITE_OK;
  }
  const std::string message = sqlite3_errmsg(db);
  sqlite3_finalize(stmt);
  if (rc != SQLITE_OK) {
    const int primary = rc & 0xff;
    if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) return Status::DataLoss(message);
    return Status::Unavailable(context + ": " + sql + ": " + message);
  }
  return value;
}

void SyncPath(const std::string& path, int flags) {
  const int fd = open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return;
  fsync(fd);
  close(fd);
}

}  // namespace

Result<StoreCheckReport> Store::CheckFile(const std::string& path) {
  const std::string context = "store " + path;
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::NotFound(context + " does not exist");
    return Status::Unavailable(context + ": " + ErrnoText(errno));
  }
  StoreCheckReport report;
  report.bytes = static_cast<int64_t>(st.st_size);
  for (const char* suffix : {"", "-wal", "-shm"}) {
    const std::string file = path + suffix;
    struct stat sibling {};
    if (stat(file.c_str(), &sibling) == 0 && (sibling.st_mode & 077) != 0) {
      report.warnings.push_back(file + " is mode " + ModeText(sibling.st_mode) +
                                ": open to other users (the daemon makes it 0600 at start)");
    }
  }
  Connection raw;
  if (Status s = OpenExisting(path, &raw.db); !s.ok()) return s;
  auto version = PragmaValue(raw.db, context, "PRAGMA user_version");
  if (!version.ok()) {
    if (version.status().code() != StatusCode::kDataLoss) return version.status();
    report.problems.push_back(version.status().message());
    return report;
  }
  report.schema_version = static_cast<int>(*version);
  if (*version > kSchemaVersion) {
    report.warnings.push_back("schema version " + std::to_string(*version) +
                              " is newer than this salesaudit knows (" +
                              std::to_string(kSchemaVersion) + ")");
  }
  auto findings = CheckIntegrity(raw.db, context, true, std::chrono::milliseconds(0));
  if (!findings.ok()) return findings.status();
  report.problems = std::move(findings->problems);
  report.took = findings->took;
  return report;
}

Status Store::Backup(const std::string& path, const std::string& destination) {
  const std::string context = "store backup " + path + " -> " + destination;
  auto source_identity = IdentityOf(path);
  if (!source_identity.ok()) return source_identity.status().WithContext("store backup");
  const std::string dir = DirectoryOf(destination);
  struct stat st {};
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Status::InvalidArgument(context + ": directory " + dir + " does not exist");
  }
  if (auto target = IdentityOf(destination); target.ok() && *target == *source_identity) {
    return Status::InvalidArgument(context + ": the destination is the store itself");
  }
  // The copy's own name, made 0600 whatever the umask (mkstemp's mode is
  // 0600 less the umask); SQLite gives its journal the same mode.
  std::string temp = destination + ".tmp-XXXXXX";
  const int fd = mkstemp(temp.data());
  if (fd < 0)
    return Status::Unavailable(context + ": cannot create a temporary file: " + ErrnoText(errno));
  const bool owner_only = fchmod(fd, kOwnerOnly) == 0;
  close(fd);
  auto fail = [&](Status status) {
    for (const char* suffix : {"", "-journal", "-wal", "-shm"}) unlink((temp + suffix).c_str());
    return status;
  };
  if (!owner_only) return fail(Status::Unavailable(context + ": cannot set mode 0600"));

  Connection source;
  Connection copy;
  if (Status s = OpenExisting(path, &source.db); !s.ok()) return fail(s);
  if (Status s = OpenExisting(temp, &copy.db); !s.ok()) return fail(s);
  // One step for all pages: the copy is read in one transaction, so it is
  // the store at one instant, and a daemon writing meanwhile (into its WAL)
  // neither waits nor restarts the copy.
  sqlite3_backup* backup = sqlite3_backup_init(copy.db, "main", source.db, "main");
  if (backup == nullptr) {
    return fail(Status::Unavailable(context + ": " + sqlite3_errmsg(copy.db)));
  }
  int rc = sqlite3_backup_step(backup, -1);
  for (int tries = 0; (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && tries < 50; ++tries) {
    sqlite3_sleep(100);
    rc = sqlite3_backup_step(backup, -1);
  }
  sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE) {
    const int primary = rc & 0xff;
    const std::string why = sqlite3_errstr(rc);
    if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) {
      return fail(Status::DataLoss(context + ": the store is damaged: " + why));
    }
    return fail(Status::Unavailable(context + ": " + why));
  }
  auto findings = CheckIntegrity(copy.db, context, false, std::chrono::milliseconds(0));
  if (!findings.ok()) return fail(findings.status());
  if (!findings->problems.empty()) {
    return fail(Status::DataLoss(context +
                                 ": the copy fails its integrity check, so the store is "
                                 "damaged: " +
                                 findings->problems.front()));
  }
  sqlite3_close_v2(copy.db);
  copy.db = nullptr;
  // Durable before it takes the name, and the name durable after.
  SyncPath(temp, O_RDONLY);
  if (rename(temp.c_str(), destination.c_str()) != 0) {
    return fail(Status::Unavailable(context + ": cannot rename " + temp + ": " + ErrnoText(errno)));
  }
  SyncPath(dir, O_RDONLY | O_DIRECTORY);
  return Status::Ok();
}

}  // namespace salesaudit

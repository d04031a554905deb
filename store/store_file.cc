#include "store/store_file.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <thread>

namespace salesaudit {

std::string ModeText(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

std::string ErrnoText(int error) { return std::strerror(error); }

std::string DirectoryOf(const std::string& path) {
  const std::string dir = std::filesystem::path(path).parent_path().string();
  return dir.empty() ? "." : dir;
}

namespace {

// Calls sqlite3_interrupt on `db` once `budget` has passed, unless Finish()
// came first; Finish() returns only once no interrupt can follow, so none
// reaches a later statement.
class InterruptAfter {
 public:
  InterruptAfter(sqlite3* db, std::chrono::milliseconds budget) {
    if (budget.count() <= 0) return;
    const auto deadline = std::chrono::steady_clock::now() + budget;
    thread_ = std::thread([this, db, deadline] {
      std::unique_lock<std::mutex> lock(mu_);
      if (!cv_.wait_until(lock, deadline, [this] { return finished_; })) {
        sqlite3_interrupt(db);
      }
    });
  }
  ~InterruptAfter() { Finish(); }
  InterruptAfter(const InterruptAfter&) = delete;
  InterruptAfter& operator=(const InterruptAfter&) = delete;

  void Finish() {
    if (thread_.joinable()) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        finished_ = true;
      }
      cv_.notify_all();
      thread_.join();
    }
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool finished_ = false;
  std::thread thread_;
};

}  // namespace

Status PrepareStoreFile(const std::string& path, std::vector<std::string>* warnings) {
  const std::string context = "store " + path;
  const std::string dir = DirectoryOf(path);
  struct stat st {};
  if (stat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT) {
      return Status::Unavailable(context + ": directory " + dir +
                                 " does not exist (create it, owned by the user salesaudit runs "
                                 "as, mode 0700)");
    }
    return Status::Unavailable(context + ": directory " + dir + ": " + ErrnoText(errno));
  }
  if (!S_ISDIR(st.st_mode)) {
    return Status::Unavailable(context + ": " + dir + " is not a directory");
  }
  // Created here rather than by SQLite, which would create it 0644 less the
  // umask. The descriptor is closed before SQLite opens the file: closing a
  // second descriptor of a file SQLite has open would drop its POSIX locks.
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, kOwnerOnly);
  if (fd >= 0) {
    // The umask may have taken the owner's bits too (umask 0277).
    const bool fixed = fchmod(fd, kOwnerOnly) == 0;
    const int error = errno;
    close(fd);
    if (!fixed) return Status::Unavailable(context + ": cannot set mode 0600: " + ErrnoText(error));
  } else if (errno != EEXIST) {
    return Status::Unavailable(context + ": cannot create: " + ErrnoText(errno));
  }
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    const std::string file = path + suffix;
    if (stat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    const mode_t mode = st.st_mode & 07777;
    if ((mode & 077) == 0) continue;
    const mode_t tightened = mode & ~static_cast<mode_t>(077);
    if (chmod(file.c_str(), tightened) == 0) {
      warnings->push_back("store file " + file + " was mode " + ModeText(mode) +
                          " (open to other users); changed to " + ModeText(tightened));
    } else {
      warnings->push_back("store file " + file + " is mode " + ModeText(mode) +
                          " (open to other users) and cannot be changed: " + ErrnoText(errno));
    }
  }
  return Status::Ok();
}

Result<FileIdentity> IdentityOf(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::NotFound(path + " does not exist");
    return Status::Unavailable(path + ": " + ErrnoText(errno));
  }
  return FileIdentity{.device = st.st_dev, .inode = st.st_ino};
}

Result<IntegrityFindings> CheckIntegrity(sqlite3* db, const std::string& context, bool thorough,
                                         std::chrono::milliseconds budget) {
  const auto started = std::chrono::steady_clock::now();
  IntegrityFindings findings;
  // At most 100 problems: enough to tell a torn page from a wrecked file.
  const char* sql = thorough ? "PRAGMA integrity_check(100)" : "PRAGMA quick_check(100)";
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr);
  if (rc == SQLITE_OK) {
    // The b-tree walk is one step of the statement, so only
    // sqlite3_interrupt (which it polls) can cut it short, not a progress
    // handler; an interrupted check returns no row at all.
    InterruptAfter interrupt(db, budget);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
      const std::string line = text != nullptr ? text : "";
      if (line != "ok") findings.problems.push_back(line);
    }
    // A budget that ran out just after the last step cut nothing short.
    interrupt.Finish();
    findings.complete = rc == SQLITE_DONE;
  }
  const std::string message = sqlite3_errmsg(db);
  sqlite3_finalize(stmt);
  findings.took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  switch (rc & 0xff) {
    case SQLITE_DONE:
      break;
    case SQLITE_INTERRUPT:
      findings.complete = false;
      break;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      findings.problems.push_back(message);
      break;
    default:
      return Status::Unavailable(context + ": integrity check: " + message);
  }
  return findings;
}

}  // namespace salesaudit

// The store's file on disk, apart from its schema: created owner-only
// whatever the umask, told apart from a file put in its place, and checked
// for damage. Internal to store/ (store.h is the interface); the SQLite
// connection is passed as the opaque sqlite3 handle.
//
// Threading: the functions keep no state; a connection passed in must not be
// used by another thread meanwhile.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "core/status.h"

struct sqlite3;

namespace salesaudit {

// The mode of every file of a store: it holds people's names and emails.
inline constexpr mode_t kOwnerOnly = 0600;
// How long a connection to a store file waits for another's lock.
inline constexpr int kBusyTimeoutMs = 5000;

// "0644": a file mode as ls and chmod write it.
std::string ModeText(mode_t mode);
// strerror's text for an errno value.
std::string ErrnoText(int error);
// The directory `path` is in ("." for a bare file name).
std::string DirectoryOf(const std::string& path);

// Makes `path` ready for SQLite to open. Its directory must exist
// (kUnavailable naming the directory otherwise). A missing file is created
// empty with mode 0600 whatever the umask; SQLite gives the -wal, -shm and
// -journal files it creates the database file's mode, so they are 0600 too.
// The file and any of those siblings already there with a permission for
// group or others lose it, and `warnings` says so (the store holds people's
// names and emails).
Status PrepareStoreFile(const std::string& path, std::vector<std::string>* warnings);

// What a path names on its file system: the same pair means the same file.
struct FileIdentity {
  dev_t device = 0;
  ino_t inode = 0;
  bool operator==(const FileIdentity&) const = default;
};

// The identity of the file at `path`; kNotFound when there is none.
Result<FileIdentity> IdentityOf(const std::string& path);

// The findings of PRAGMA quick_check or integrity_check.
struct IntegrityFindings {
  bool complete = true;               // false: the time budget ran out first
  std::vector<std::string> problems;  // SQLite's own words; empty: none found
  std::chrono::milliseconds took{0};
};

// Checks the database open on `db`: `thorough` runs integrity_check (also
// compares every index with its table), otherwise quick_check (the b-tree
// structure of every page: 2.5 s of CPU for a 1 GB store, integrity_check
// 2.8 s). A non-zero `budget` interrupts the check after that long
// (complete false, and nothing found: SQLite reports only at the end). A file
// SQLite cannot read as a database is a problem found, not a failure; the
// check fails only when it cannot run (I/O error, locked).
Result<IntegrityFindings> CheckIntegrity(sqlite3* db, const std::string& context, bool thorough,
                                         std::chrono::milliseconds budget);

}  // namespace salesaudit

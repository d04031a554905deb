// File-level conditions for store tests: a umask for one scope, a file's
// permission bits, and garbage written into a file as a failing disk or a
// stray writer would leave it. Uses Catch's REQUIRE: include after catch.hpp.
// Threading: the umask is process-wide; use from the test thread only.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <string>

namespace salesaudit::testing {

// Sets the process umask (which child processes inherit) for one scope.
class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t mask) : previous_(umask(mask)) {}
  ~ScopedUmask() { umask(previous_); }
  ScopedUmask(const ScopedUmask&) = delete;
  ScopedUmask& operator=(const ScopedUmask&) = delete;

 private:
  mode_t previous_;
};

// The permission bits of the file at `path` (0755 and the like).
inline mode_t FileMode(const std::string& path) {
  struct stat st {};
  REQUIRE(stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

// Overwrites 64 KiB in the middle of the file at `path` (at least 128 KiB
// long) with a byte pattern no page of SQLite's looks like.
inline void WriteGarbage(const std::string& path) {
  constexpr size_t kBytes = 64 * 1024;
  const int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  const off_t size = lseek(fd, 0, SEEK_END);
  REQUIRE(size >= static_cast<off_t>(2 * kBytes));
  std::string garbage(kBytes, '\0');
  for (size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<char>((i * 131 + 7) % 251);
  const ssize_t written = pwrite(fd, garbage.data(), garbage.size(), size / 2);
  close(fd);
  REQUIRE(written == static_cast<ssize_t>(garbage.size()));
}

}  // namespace salesaudit::testing

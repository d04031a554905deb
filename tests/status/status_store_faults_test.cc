// The daemon's store under file-system trouble, seen through its status
// endpoints: file modes under umask 022, a store file deleted under the
// running daemon, and a full file system.
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/status/status_endpoints_fixture.h"
#include "tests/support/file_faults.h"

namespace salesaudit::testing {
namespace {

using std::chrono::seconds;

// The config `f` writes, with the store at `store_path` instead.
std::string WithStore(DaemonFixture& f, const std::string& store_path) {
  std::string yaml = f.ConfigText();
  const std::string current = "path: " + f.dir.File("salesaudit.db");
  const size_t at = yaml.find(current);
  REQUIRE(at != std::string::npos);
  return yaml.replace(at, current.size(), "path: " + store_path);
}

TEST_CASE(
    "Under umask 022 the daemon's store files are 0600, and store backup and check work "
    "beside it",
    "[daemon][store]") {
  DaemonFixture f;
  // A store the daemon creates itself (the fixture's own file exists already).
  const std::string store_path = f.dir.File("own.db");
  WriteFile(f.config_path, WithStore(f, store_path));
  {
    ScopedUmask umask_022(022);
    f.Start();
  }
  f.WaitUntilSettled();
  for (const char* suffix : {"", "-wal", "-shm"}) {
    INFO(store_path + suffix);
    CHECK(FileMode(store_path + suffix) == 0600);
  }

  // An online backup while the daemon runs, checked and owner-only.
  const std::string backup = f.dir.File("backup.db");
  RunResult copied;
  {
    ScopedUmask umask_022(022);
    copied = RunProcess({kBinary, "--config", f.config_path, "store", "backup", backup},
                        seconds(60), f.env);
  }
  INFO(copied.out << copied.err);
  REQUIRE(copied.exit_code == 0);
  CHECK(FileMode(backup) == 0600);
  RunResult check = RunProcess({kBinary, "store", "check", backup});
  CHECK(check.exit_code == 0);
  CHECK_THAT(check.out, Catch::Contains("store " + backup + ": ok"));
  RunResult check_live =
      RunProcess({kBinary, "--config", f.config_path, "store", "check"}, seconds(60), f.env);
  CHECK(check_live.exit_code == 0);
  f.Stop();

  // The same copy with 64 KB of garbage inside: check names the damage, and
  // a command that opens it reports the damage rather than carrying on.
  WriteGarbage(backup);
  RunResult damaged = RunProcess({kBinary, "store", "check", backup});
  INFO(damaged.out << damaged.err);
  CHECK(damaged.exit_code == 1);
  CHECK_THAT(damaged.out, Catch::Contains("store " + backup + ": DAMAGED") &&
                              Catch::Contains("Recovering a damaged store"));
  WriteFile(f.config_path, WithStore(f, backup));
  RunResult status = RunProcess({kBinary, "--config", f.config_path, "status"}, seconds(60), f.env);
  CHECK(status.exit_code == 1);
  CHECK_THAT(status.err, Catch::Contains(backup) && Catch::Contains("damaged"));
}

TEST_CASE("A store file deleted under the running daemon makes /readyz 503 and syncs fail",
          "[daemon][store]") {
  DaemonFixture f;
  // Syncs every second, so that one runs after the deletion.
  std::string yaml = f.ConfigText();
  const size_t interval = yaml.find("poll_interval: 1h");
  REQUIRE(interval != std::string::npos);
  WriteFile(f.config_path, yaml.replace(interval, 17, "poll_interval: 1s"));
  f.Start();
  REQUIRE(WaitFor(
      [&] {
        auto ready = TryFetch(f.Url("/readyz"));
        return ready && ready->status == 200;
      },
      seconds(10)));
  CHECK(ValueOf(f.Metrics(), "salesaudit_store_healthy") == 1);

  const std::string store_path = f.dir.File("salesaudit.db");
  REQUIRE(unlink(store_path.c_str()) == 0);
  HttpResponse verbose = f.Fetch("/readyz?verbose");
  INFO(verbose.body);
  CHECK(verbose.status == 503);
  CHECK_THAT(verbose.body,
             Catch::Contains("[-]store failed: store file " + store_path + " was removed"));
  CHECK_THAT(verbose.body, !Catch::Contains("[+]store ok"));
  CHECK(f.Fetch("/readyz").status == 503);
  CHECK(ValueOf(f.Metrics(), "salesaudit_store_healthy") == 0);
  // The loop notices too, and says so once in the log.
  CHECK(WaitFor([&] { return f.Log().find("store unhealthy (removed)") != std::string::npos; },
                seconds(10)));
  // A sync after the deletion fails, saying why, rather than committing
  // into the unlinked file.
  CHECK(WaitFor(
      [&] {
        const std::string log = f.Log();
        const size_t failed = log.find("FAILED");
        return failed != std::string::npos &&
               log.find("nothing more is committed", failed) != std::string::npos;
      },
      seconds(20)));
  CHECK(ValueOf(f.Metrics(), "salesaudit_store_errors_total", {{"kind", "removed"}}) >= 1);
  f.Stop();
}

// A tmpfs mounted on a directory for one test, unmounted after.
class TmpfsMount {
 public:
  TmpfsMount(const std::string& dir, const std::string& size) : dir_(dir) {
    std::filesystem::create_directory(dir_);
    const std::string options = "size=" + size + ",mode=0700";
    mounted_ = mount("tmpfs", dir_.c_str(), "tmpfs", 0, options.c_str()) == 0;
    error_ = mounted_ ? "" : std::strerror(errno);
  }
  ~TmpfsMount() {
    if (mounted_) umount2(dir_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }

 private:
  std::string dir_;
  bool mounted_ = false;
  std::string error_;
};

// Sets RLIMIT_FSIZE for the processes this one starts while it lives:
// their writes past `bytes` into any file fail with EFBIG (SIGXFSZ ignored).
class FileSizeLimit {
 public:
  explicit FileSizeLimit(uint64_t bytes) {
    signal(SIGXFSZ, SIG_IGN);
    getrlimit(RLIMIT_FSIZE, &saved_);
    rlimit limit = saved_;
    limit.rlim_cur = bytes;
    setrlimit(RLIMIT_FSIZE, &limit);
  }
  ~FileSizeLimit() { setrlimit(RLIMIT_FSIZE, &saved_); }

 private:
  rlimit saved_{};
};

// A 2 MB tmpfs filled but for 40 KiB: enough to open the store and its WAL
// index, not for the first sync. Where no tmpfs can be mounted (no
// CAP_SYS_ADMIN), the daemon runs under a file-size limit 40 KiB above the
// store instead: its writes then fail with EFBIG, an I/O error to SQLite.
TEST_CASE("A full file system under the store makes /readyz 503 and the store metrics say so",
          "[daemon][store]") {
  DaemonFixture f;
  const std::string mount_dir = f.dir.File("small");
  TmpfsMount small(mount_dir, "2m");
  const std::string store_path = mount_dir + "/salesaudit.db";
  REQUIRE(Store::Open(store_path).ok());
  WriteFile(f.config_path, WithStore(f, store_path));
  std::vector<std::string> kinds = {"full"};
  if (small.mounted()) {
    struct statvfs fs {};
    REQUIRE(statvfs(mount_dir.c_str(), &fs) == 0);
    const uint64_t free_bytes = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
    REQUIRE(free_bytes > 40 * 1024);
    WriteFile(mount_dir + "/filler", std::string(free_bytes - 40 * 1024, 'x'));
    f.Start();
  } else {
    WARN("tmpfs not mounted (" << small.error() << "): using a file-size limit");
    kinds = {"io", "full"};
    FileSizeLimit limit(std::filesystem::file_size(store_path) + 40 * 1024);
    f.Start();
  }

  const bool failed = f.WaitForMetrics([&](const PrometheusExposition& m) {
    double errors = 0;
    for (const auto& kind : kinds) {
      errors += m.Value("salesaudit_store_errors_total", {{"kind", kind}}).value_or(0);
    }
    return errors >= 1 && m.Value("salesaudit_store_healthy").value_or(-1) == 0;
  });
  INFO(f.Log());
  REQUIRE(failed);
  HttpResponse verbose = f.Fetch("/readyz?verbose");
  INFO(verbose.body);
  CHECK(verbose.status == 503);
  CHECK_THAT(verbose.body, Catch::Contains("[-]store failed: cannot commit"));
  if (small.mounted()) CHECK_THAT(verbose.body, Catch::Contains("full"));
  CHECK(f.Fetch("/healthz").status == 200);
  f.Stop();
}

}  // namespace
}  // namespace salesaudit::testing

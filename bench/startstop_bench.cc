// startstop_bench: how soon `salesaudit run` on a big store answers /readyz,
// and how soon it exits on SIGTERM with the audit it started at launch in
// flight. On a copy of the store given (never the file itself), three runs:
// each starts the daemon (no connectors), polls /readyz every 10 ms until
// the first 200, sends SIGTERM 1 s later and waits for the exit.
//
//   build/startstop_bench --db PATH [--salesaudit BINARY] [--runs 3]
//
// Build a store once with `build/audit_bench --scale 1 --db PATH` (1 GB).
// --salesaudit measures another build (default: this build's salesaudit).
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_util.h"
#include "net/http_client.h"

namespace salesaudit {
namespace {

using Ms = std::chrono::duration<double, std::milli>;
using SteadyClock = std::chrono::steady_clock;

// A port free now: bound to 0, read back, released. The daemon binds it
// right after; a race with another process is unlikely and fails the run.
int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

std::string ReadWhole(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

struct RunTimes {
  double readyz_ms = -1;
  double sigterm_ms = -1;
  int exit_code = -1;
  bool audit_stored = false;  // the launch audit ran to its end before the exit
};

// One start and stop of `binary` with the config at `config`; its log goes
// to `log`.
bool RunOnce(const std::string& binary, const std::string& config, const std::string& log,
             int port, RunTimes& times) {
  const auto started = SteadyClock::now();
  const pid_t pid = fork();
  if (pid == 0) {
    FILE* out = freopen(log.c_str(), "w", stderr);
    if (out == nullptr) _exit(127);
    execl(binary.c_str(), binary.c_str(), "--config", config.c_str(), "run",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  if (pid < 0) return false;
  HttpClient http(HttpClient::Options{.timeout = std::chrono::seconds(2)}, nullptr, nullptr);
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/readyz";
  int status = 0;
  while (true) {
    if (waitpid(pid, &status, WNOHANG) == pid) {
      fprintf(stderr, "salesaudit exited before it was ready; its log:\n%s\n",
              ReadWhole(log).c_str());
      return false;
    }
    auto response = http.Send({.method = "GET", .url = url});
    if (response.ok() && response->status == 200) break;
    if (SteadyClock::now() - started > std::chrono::seconds(60)) {
      fprintf(stderr, "not ready after 60 s; its log:\n%s\n", ReadWhole(log).c_str());
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const auto ready = SteadyClock::now();
  times.readyz_ms = Ms(ready - started).count();
  std::this_thread::sleep_until(ready + std::chrono::seconds(1));
  const auto signalled = SteadyClock::now();
  kill(pid, SIGTERM);
  waitpid(pid, &status, 0);
  times.sigterm_ms = Ms(SteadyClock::now() - signalled).count();
  times.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  times.audit_stored = ReadWhole(log).find("audit snapshot ") != std::string::npos;
  return true;
}

int Run(int argc, char** argv) {
  std::string source;
  std::string binary = SALESAUDIT_BINARY;
  int runs = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--db") == 0) {
      source = argv[i + 1];
    } else if (strcmp(argv[i], "--salesaudit") == 0) {
      binary = argv[i + 1];
    } else if (strcmp(argv[i], "--runs") == 0) {
      runs = std::max(1, atoi(argv[i + 1]));
    }
  }
  if (source.empty()) {
    fprintf(stderr,
            "usage: startstop_bench --db PATH [--salesaudit BINARY] [--runs 3]\n"
            "(build a store with `build/audit_bench --scale 1 --db PATH`)\n");
    return 2;
  }
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_regular_file(source, ec)) {
    fprintf(stderr, "%s: no such store file\n", source.c_str());
    return 1;
  }
  char dir_template[] = "/tmp/startstop_bench.XXXXXX";
  if (mkdtemp(dir_template) == nullptr) {
    perror("mkdtemp");
    return 1;
  }
  const std::string dir = dir_template;
  const std::string db = dir + "/store.db";
  // The file and its WAL as they are: the source must not be written meanwhile.
  fs::copy_file(source, db, ec);
  if (!ec && fs::exists(source + "-wal")) fs::copy_file(source + "-wal", db + "-wal", ec);
  if (ec) {
    fprintf(stderr, "copy %s: %s\n", source.c_str(), ec.message().c_str());
    fs::remove_all(dir);
    return 1;
  }
  fs::permissions(db, fs::perms::owner_read | fs::perms::owner_write, ec);
  printf("store %s (%.0f MiB), copied to %s; salesaudit %s\n", source.c_str(),
         static_cast<double>(fs::file_size(db)) / (1024.0 * 1024.0), db.c_str(), binary.c_str());

  std::vector<double> readyz;
  std::vector<double> sigterm;
  bool ok = true;
  for (int run = 1; run <= runs && ok; ++run) {
    const int port = FreePort();
    const std::string config = dir + "/config.yaml";
    std::ofstream(config) << "store:\n  path: " << db << "\nstatus:\n  listen: 127.0.0.1:" << port
                          << "\n";
    RunTimes times;
    ok = RunOnce(binary, config, dir + "/run" + std::to_string(run) + ".log", port, times);
    if (!ok) break;
    printf("run %d: /readyz 200 after %.0f ms; exit %d after SIGTERM in %.0f ms (%s)\n", run,
           times.readyz_ms, times.exit_code, times.sigterm_ms,
           times.audit_stored ? "the launch audit ran to its end first"
                              : "the launch audit was cut short");
    readyz.push_back(times.readyz_ms);
    sigterm.push_back(times.sigterm_ms);
  }
  fs::remove_all(dir);
  if (!ok) return 1;
  printf("median of %d: /readyz %.0f ms, SIGTERM to exit %.0f ms\n", runs, Median(readyz),
         Median(sigterm));
  bench::PrintFigure("readyz_ms", Median(readyz), "ms");
  bench::PrintFigure("sigterm_ms", Median(sigterm), "ms");
  return 0;
}

}  // namespace
}  // namespace salesaudit

int main(int argc, char** argv) { return salesaudit::Run(argc, argv); }

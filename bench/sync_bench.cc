// sync_bench: syncs N contacts from the HubSpot simulator (a separate
// process, rate limits off) into a fresh store and prints records/s, client
// CPU microseconds per record and peak RSS of this process (the client).
//
//   build/sync_bench [N=200000]
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "connectors/connector.h"
#include "daemon/sync_engine.h"
#include "store/store.h"

namespace {

constexpr char kToken[] = "pat-na1-bench-token";

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

double PeakRssMiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;  // ru_maxrss is in KiB on Linux
}

// Starts crm-sim and returns its pid and base URL (read from its first line).
pid_t StartSimulator(int contacts, std::string& base_url) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    std::string n = std::to_string(contacts);
    execl(CRM_SIM_BINARY, CRM_SIM_BINARY, "--port", "0", "--seed", "3", "--contacts", n.c_str(),
          "--deals", "10", "--owners", "5", "--token", kToken, static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  std::string line;
  char c;
  while (read(fds[0], &c, 1) == 1 && c != '\n') line += c;
  close(fds[0]);
  const std::string prefix = "listening on ";
  if (line.rfind(prefix, 0) != 0) return -1;
  base_url = line.substr(prefix.size());
  return pid;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace salesaudit;
  const int contacts = argc > 1 ? std::atoi(argv[1]) : 200000;
  std::string base_url;
  std::printf("sync_bench: generating a portal of %d contacts in crm-sim...\n", contacts);
  pid_t sim = StartSimulator(contacts, base_url);
  if (sim < 0) {
    std::fprintf(stderr, "sync_bench: crm-sim did not start\n");
    return 1;
  }
  const std::string dir =
      std::filesystem::temp_directory_path() / ("sync_bench-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);

  auto store = Store::Open(dir + "/bench.db");
  if (!store.ok()) {
    std::fprintf(stderr, "sync_bench: %s\n", store.status().ToString().c_str());
    return 1;
  }
  ConnectorConfig config;
  config.name = "bench";
  config.type = "hubspot";
  config.base_url = base_url;
  config.auth["token"] = kToken;
  config.rate_limit = RateLimit{};  // off
  SyncEngine engine(**store, BuiltinConnectors());
  std::atomic<bool> cancel{false};
  SyncRequest request;
  request.streams = {"contacts"};

  const double cpu_before = CpuSeconds();
  const auto wall_before = std::chrono::steady_clock::now();
  auto results = engine.RunConnector(config, request, cancel);
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_before).count();
  const double cpu = CpuSeconds() - cpu_before;

  kill(sim, SIGTERM);
  waitpid(sim, nullptr, 0);
  std::filesystem::remove_all(dir);
  if (results.empty() || !results[0].status.ok()) {
    std::fprintf(stderr, "sync_bench: sync failed: %s\n",
                 results.empty() ? "no result" : results[0].Summary().c_str());
    return 1;
  }
  const double records = static_cast<double>(results[0].records);
  std::printf("contacts synced:        %.0f\n", records);
  std::printf("wall time:              %.2f s\n", wall);
  std::printf("records/s:              %.0f\n", records / wall);
  std::printf("client CPU per record:  %.2f us (target <= 20 us)\n", cpu * 1e6 / records);
  std::printf("peak RSS (client):      %.1f MiB (target < 64 MiB)\n", PeakRssMiB());
  return 0;
}

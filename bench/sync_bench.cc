// sync_bench: syncs N contacts from the HubSpot simulator (a separate
// process, rate limits off) into a fresh store and prints records/s, client
// CPU microseconds per record and peak RSS of this process (the client).
//
//   build/sync_bench [N=200000]
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "bench/bench_sync.h"
#include "bench/bench_util.h"
#include "connectors/connector.h"
#include "core/heap_policy.h"
#include "store/store.h"

namespace {

constexpr char kToken[] = "pat-na1-bench-token";

}  // namespace

int main(int argc, char** argv) {
  using namespace salesaudit;
  KeepFreedHeapForReuse();
  using bench::PeakRssMiB;
  using bench::ProcessCpuSeconds;
  const int contacts = argc > 1 ? std::atoi(argv[1]) : 200000;
  std::string base_url;
  std::printf("sync_bench: generating a portal of %d contacts in crm-sim...\n", contacts);
  pid_t sim =
      bench::StartSimulator(CRM_SIM_BINARY,
                            {"--port", "0", "--seed", "3", "--contacts", std::to_string(contacts),
                             "--deals", "10", "--owners", "5", "--token", kToken,
                             // The bench measures our side, not HubSpot's limits.
                             "--no-rate-limits"},
                            base_url);
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
  SyncRequest request;
  request.streams = {"contacts"};
  const bench::TimedSync timed = bench::RunTimed(engine, config, request);
  const auto& results = timed.results;
  const double wall = timed.wall_s;
  const double cpu = timed.cpu_s;

  bench::StopSimulator(sim);
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

// salesforce_bench: syncs N leads (with their status history) from the
// Salesforce simulator (a separate process) into a fresh store and prints
// client CPU microseconds per lead, peak RSS of this process (the client)
// and the requests sent per 1,000 leads (query batches of 2,000 mean about
// one lead query and one history query per 2,000).
//
//   build/salesforce_bench [N=200000]
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

constexpr char kClientId[] = "bench-consumer-key";
constexpr char kClientSecret[] = "bench-consumer-secret";
constexpr char kRefreshToken[] = "bench-refresh-token";

}  // namespace

int main(int argc, char** argv) {
  using namespace salesaudit;
  KeepFreedHeapForReuse();
  using bench::PeakRssMiB;
  using bench::ProcessCpuSeconds;
  const int leads = argc > 1 ? std::atoi(argv[1]) : 200000;
  std::string base_url;
  std::printf("salesforce_bench: generating an org of %d leads in salesforce-sim...\n", leads);
  pid_t sim =
      bench::StartSimulator(SALESFORCE_SIM_BINARY,
                            {"--port", "0", "--seed", "3", "--leads", std::to_string(leads),
                             "--users", "5", "--opportunities", "10", "--client-id", kClientId,
                             "--client-secret", kClientSecret, "--refresh-token", kRefreshToken},
                            base_url);
  if (sim < 0) {
    std::fprintf(stderr, "salesforce_bench: salesforce-sim did not start\n");
    return 1;
  }
  const std::string dir =
      std::filesystem::temp_directory_path() / ("salesforce_bench-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);

  auto store = Store::Open(dir + "/bench.db");
  if (!store.ok()) {
    std::fprintf(stderr, "salesforce_bench: %s\n", store.status().ToString().c_str());
    return 1;
  }
  ConnectorConfig config;
  config.name = "bench";
  config.type = "salesforce";
  config.state_dir = dir;
  config.auth["client_id"] = kClientId;
  config.auth["client_secret"] = kClientSecret;
  config.auth["refresh_token"] = kRefreshToken;
  config.auth["login_url"] = base_url;
  config.rate_limit = RateLimit{};  // off
  SyncEngine engine(**store, BuiltinConnectors());
  SyncRequest request;
  request.streams = {"leads"};
  const bench::TimedSync timed = bench::RunTimed(engine, config, request);
  const auto& results = timed.results;
  const double wall = timed.wall_s;
  const double cpu = timed.cpu_s;

  bench::StopSimulator(sim);
  std::filesystem::remove_all(dir);
  if (results.empty() || !results[0].status.ok()) {
    std::fprintf(stderr, "salesforce_bench: sync failed: %s\n",
                 results.empty() ? "no result" : results[0].Summary().c_str());
    return 1;
  }
  const double records = static_cast<double>(leads);
  const double requests = bench::CounterOf("salesaudit_api_requests_total", config.name);
  std::printf("leads synced:           %.0f (%lld records with stage events and links)\n", records,
              static_cast<long long>(results[0].records));
  std::printf("wall time:              %.2f s\n", wall);
  std::printf("leads/s:                %.0f\n", records / wall);
  std::printf("client CPU per lead:    %.2f us (target <= 15 us)\n", cpu * 1e6 / records);
  std::printf("peak RSS (client):      %.1f MiB (target < 64 MiB)\n", PeakRssMiB());
  std::printf("requests per 1,000:     %.2f (%.0f in all, the token exchange included)\n",
              requests * 1000 / records, requests);
  return 0;
}

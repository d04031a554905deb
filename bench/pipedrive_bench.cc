// pipedrive_bench: syncs N persons and M deals from the Pipedrive simulator
// (a separate process, its 2-second window enforced at the Professional
// plan's 80 requests) into a fresh store and prints client CPU microseconds
// per person and per deal, peak RSS of this process (the client), and the
// share of the plan's request window the backfill used: requests over what
// the window allows in the run's time (the budget follows the x-ratelimit
// headers less its 5% reserve; no 429 may come back). A rolling window lets
// a run shorter than a few windows read above 100% (the deals alone: up to
// a window's worth sent in its last seconds); the whole backfill's is the
// figure.
//
//   build/pipedrive_bench [PERSONS=200000] [DEALS=50000]
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

constexpr char kToken[] = "pd-bench-token-0123456789abcdef";
// The Professional plan's api_token window: 80 requests per 2 s.
constexpr int kPlanRequests = 80;
constexpr double kPlanWindowSeconds = 2;

}  // namespace

int main(int argc, char** argv) {
  using namespace salesaudit;
  KeepFreedHeapForReuse();
  const int persons = argc > 1 ? std::atoi(argv[1]) : 200000;
  const int deals = argc > 2 ? std::atoi(argv[2]) : 50000;
  std::string base_url;
  std::printf("pipedrive_bench: generating a company of %d persons and %d deals...\n", persons,
              deals);
  pid_t sim = bench::StartSimulator(
      PIPEDRIVE_SIM_BINARY,
      {"--port", "0", "--seed", "3", "--persons", std::to_string(persons), "--deals",
       std::to_string(deals), "--leads", "10", "--activities", "10", "--users", "5", "--api-token",
       kToken, "--rate-limit", std::to_string(kPlanRequests)},
      base_url);
  if (sim < 0) {
    std::fprintf(stderr, "pipedrive_bench: pipedrive-sim did not start\n");
    return 1;
  }
  const std::string dir =
      std::filesystem::temp_directory_path() / ("pipedrive_bench-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto store = Store::Open(dir + "/bench.db");
  if (!store.ok()) {
    std::fprintf(stderr, "pipedrive_bench: %s\n", store.status().ToString().c_str());
    return 1;
  }
  ConnectorConfig config;
  config.name = "bench";
  config.type = "pipedrive";
  config.base_url = base_url;
  config.auth["api_token"] = kToken;  // the default rate_limit: the budget follows the headers

  // One engine, as in a daemon: the deals run's budget knows the window the
  // persons run left.
  SyncEngine engine(**store, BuiltinConnectors());
  int failed = 0;
  double requests_before = 0;
  double wall_s = 0;
  for (const char* stream : {"persons", "deals"}) {
    SyncRequest request;
    request.streams = {stream};
    const bench::TimedSync timed = bench::RunTimed(engine, config, request);
    if (timed.results.empty() || !timed.results[0].status.ok()) {
      std::fprintf(stderr, "pipedrive_bench: %s failed: %s\n", stream,
                   timed.results.empty() ? "no result" : timed.results[0].Summary().c_str());
      failed = 1;
      break;
    }
    const double records = static_cast<double>(timed.results[0].records);
    const double requests =
        bench::CounterOf("salesaudit_api_requests_total", config.name) - requests_before;
    requests_before += requests;
    wall_s += timed.wall_s;
    const double allowed = timed.wall_s / kPlanWindowSeconds * kPlanRequests;
    std::printf("%-8s synced:         %.0f in %.2f s, %.0f requests\n", stream, records,
                timed.wall_s, requests);
    std::printf("client CPU per record:  %.2f us (target <= 15 us)\n", timed.cpu_s * 1e6 / records);
    std::printf("window used:            %.0f%% of the plan's %d per 2 s (target >= 90%%)\n",
                100 * requests / allowed, kPlanRequests);
  }
  std::printf("backfill window used:   %.0f%% (%.0f requests in %.2f s; target >= 90%%)\n",
              100 * requests_before / (wall_s / kPlanWindowSeconds * kPlanRequests),
              requests_before, wall_s);
  std::printf("429s received:          %.0f (target 0)\n",
              bench::CounterOf("salesaudit_api_throttled_total", config.name));
  std::printf("peak RSS (client):      %.1f MiB (target < 64 MiB)\n", bench::PeakRssMiB());
  bench::StopSimulator(sim);
  std::filesystem::remove_all(dir);
  return failed;
}

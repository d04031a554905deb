// sync_bench: syncs N contacts from the HubSpot simulator (a separate
// process, rate limits off) into a fresh store and prints records/s, client
// CPU microseconds per record and peak RSS of this process (the client).
//
// With --quota, the backfill of N contacts (default 50,000) runs against a
// simulated Professional portal instead (190 requests per 10 s, enforced and
// stated in X-HubSpot-RateLimit-* headers), twice: with the old default
// budget as a ceiling (rate_limit 100/10s, the baseline) and with no
// rate_limit (the budget follows the portal, less its 5% reserve). It prints
// the share of the portal's quota each used, their ratio, and the 429s. The
// share is the least time the portal's rolling window lets that many requests
// take (190 at once, 190 more each 10 s after) over the run's time: 100% is a
// client that sends every request the moment the window allows it. The
// average rate's share (requests over 19/s times the run's time) is printed
// too; a run of a few windows reads above 100% by it, as the window lets a
// whole window's worth go at the start.
//
//   build/sync_bench [N=200000]
//   build/sync_bench --quota [N=50000]
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include "bench/bench_sync.h"
#include "bench/bench_util.h"
#include "connectors/connector.h"
#include "core/heap_policy.h"
#include "store/store.h"

namespace {

constexpr char kToken[] = "pat-na1-bench-token";

// A Professional portal's limit: 190 requests per 10 s.
constexpr int kPortalRequests = 190;
constexpr double kPortalWindowSeconds = 10;

// The share of the portal's quota one backfill of `contacts` used, with
// `rate_limit` (nullopt: none configured), against a fresh simulator and store.
int QuotaRun(int contacts, std::optional<salesaudit::RateLimit> rate_limit, const char* label,
             double* share) {
  using namespace salesaudit;
  std::string base_url;
  const std::string connector = std::string("quota-") + label;
  pid_t sim = bench::StartSimulator(
      CRM_SIM_BINARY,
      {"--port", "0", "--seed", "3", "--contacts", std::to_string(contacts), "--deals", "10",
       "--owners", "5", "--token", kToken, "--ten-secondly-limit", std::to_string(kPortalRequests)},
      base_url);
  if (sim < 0) {
    std::fprintf(stderr, "sync_bench: crm-sim did not start\n");
    return 1;
  }
  const std::string dir = std::filesystem::temp_directory_path() /
                          ("sync_bench-" + connector + "-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto store = Store::Open(dir + "/bench.db");
  int failed = 0;
  if (!store.ok()) {
    std::fprintf(stderr, "sync_bench: %s\n", store.status().ToString().c_str());
    failed = 1;
  } else {
    ConnectorConfig config;
    config.name = connector;
    config.type = "hubspot";
    config.base_url = base_url;
    config.auth["token"] = kToken;
    config.rate_limit = rate_limit;
    SyncEngine engine(**store, BuiltinConnectors());
    SyncRequest request;
    request.streams = {"contacts"};
    const bench::TimedSync timed = bench::RunTimed(engine, config, request);
    if (timed.results.empty() || !timed.results[0].status.ok()) {
      std::fprintf(stderr, "sync_bench: %s sync failed: %s\n", label,
                   timed.results.empty() ? "no result" : timed.results[0].Summary().c_str());
      failed = 1;
    } else {
      const double requests = bench::CounterOf("salesaudit_api_requests_total", connector);
      const double least_s =
          std::floor((requests - 1) / kPortalRequests) * kPortalWindowSeconds;
      *share = least_s / timed.wall_s;
      const double average_share =
          requests / (timed.wall_s / kPortalWindowSeconds * kPortalRequests);
      std::printf("%-9s %.0f contacts, %.0f requests in %.2f s (the window allows %.0f s at "
                  "the least): %.0f%% of the portal's quota (%.0f%% of its average rate), "
                  "%.0f 429s\n",
                  label, static_cast<double>(timed.results[0].records), requests, timed.wall_s,
                  least_s, 100 * *share, 100 * average_share,
                  bench::CounterOf("salesaudit_api_throttled_total", connector));
    }
  }
  bench::StopSimulator(sim);
  std::filesystem::remove_all(dir);
  return failed;
}

int QuotaBench(int contacts) {
  using namespace salesaudit;
  std::printf("sync_bench --quota: a %d-contact backfill from a portal allowing %d per 10 s\n",
              contacts, kPortalRequests);
  double baseline = 0;
  double following = 0;
  if (QuotaRun(contacts, RateLimit{100, std::chrono::seconds(10)}, "baseline", &baseline) != 0 ||
      QuotaRun(contacts, std::nullopt, "following", &following) != 0) {
    return 1;
  }
  std::printf("quota used:             %.0f%% (target >= 90%%, no 429 we caused); %.2fx the "
              "baseline's %.0f%%\n",
              100 * following, following / baseline, 100 * baseline);
  bench::PrintFigure("quota_share_pct", 100 * following, "%");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace salesaudit;
  KeepFreedHeapForReuse();
  using bench::PeakRssMiB;
  using bench::ProcessCpuSeconds;
  if (argc > 1 && std::string(argv[1]) == "--quota") {
    return QuotaBench(argc > 2 ? std::atoi(argv[2]) : 50000);
  }
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
  bench::PrintFigure("contacts_cpu_us", cpu * 1e6 / records, "us");
  bench::PrintFigure("contacts_per_s", records / wall, "1/s");
  bench::PrintFigure("contacts_rss_mib", PeakRssMiB(), "MiB");
  return 0;
}

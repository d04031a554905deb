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
// With --cli, the same contacts sync runs end to end as a user runs it: a
// config file for the simulator and `salesaudit sync` as a child process,
// its logging and metrics included; the figure is that process's CPU per
// contact (from wait4) and its peak RSS.
//
// With --deals, N deals (default 20,000), each with 1-3 contacts, sync with
// their contact associations (one batch request per page of deals).
//
//   build/sync_bench [N=200000]
//   build/sync_bench --cli [N=100000]
//   build/sync_bench --deals [N=20000]
//   build/sync_bench --quota [N=50000]
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "bench/bench_sync.h"
#include "bench/bench_util.h"
#include "connectors/connector.h"
#include "core/heap_policy.h"
#include "store/store.h"

namespace {

using salesaudit::ConnectorConfig;
using salesaudit::RateLimit;

constexpr char kToken[] = "pat-na1-bench-token";

// A Professional portal's limit: 190 requests per 10 s.
constexpr int kPortalRequests = 190;
constexpr double kPortalWindowSeconds = 10;

// The bench measures our side, not HubSpot's limits.
const std::vector<std::string> kNoRateLimits = {"--no-rate-limits"};

// What every mode syncs against: crm-sim (a separate process) serving a
// generated portal, started with `limit_flags`, and a fresh directory for
// the store; both go with it.
class BenchPortal {
 public:
  BenchPortal(const std::string& label, int contacts, int deals,
              const std::vector<std::string>& limit_flags)
      : dir_(std::filesystem::temp_directory_path() /
             ("sync_bench-" + label + "-" + std::to_string(getpid()))) {
    std::vector<std::string> args = {"--port",  "0", "--seed",  "3", "--contacts",
                                     std::to_string(contacts), "--deals", std::to_string(deals),
                                     "--owners", "5", "--token", kToken};
    args.insert(args.end(), limit_flags.begin(), limit_flags.end());
    sim_ = salesaudit::bench::StartSimulator(CRM_SIM_BINARY, args, base_url_);
    if (sim_ < 0) std::fprintf(stderr, "sync_bench: crm-sim did not start\n");
    std::filesystem::create_directories(dir_);
  }
  ~BenchPortal() {
    if (sim_ >= 0) salesaudit::bench::StopSimulator(sim_);
    std::filesystem::remove_all(dir_);
  }
  BenchPortal(const BenchPortal&) = delete;
  BenchPortal& operator=(const BenchPortal&) = delete;

  bool started() const { return sim_ >= 0; }
  const std::string& base_url() const { return base_url_; }
  std::string File(const std::string& name) const { return dir_ + "/" + name; }
  std::string StorePath() const { return File("bench.db"); }

  // The connector entry `name` for this portal, with `rate_limit` (nullopt:
  // none configured, the budget follows the portal).
  ConnectorConfig Config(const std::string& name, std::optional<RateLimit> rate_limit) const {
    ConnectorConfig config;
    config.name = name;
    config.type = "hubspot";
    config.base_url = base_url_;
    config.auth["token"] = kToken;
    config.rate_limit = rate_limit;
    return config;
  }

 private:
  std::string dir_;
  std::string base_url_;
  pid_t sim_ = -1;
};

// One in-process sync of `stream` with `config` into the portal's store,
// timed; nullopt (said on stderr) unless it synced.
std::optional<salesaudit::bench::TimedSync> SyncStream(const BenchPortal& portal,
                                                       const ConnectorConfig& config,
                                                       const char* stream) {
  using namespace salesaudit;
  auto store = Store::Open(portal.StorePath());
  if (!store.ok()) {
    std::fprintf(stderr, "sync_bench: %s\n", store.status().ToString().c_str());
    return std::nullopt;
  }
  SyncEngine engine(**store, BuiltinConnectors());
  SyncRequest request;
  request.streams = {stream};
  bench::TimedSync timed = bench::RunTimed(engine, config, request);
  if (timed.results.empty() || !timed.results[0].status.ok()) {
    std::fprintf(stderr, "sync_bench: %s sync failed: %s\n", stream,
                 timed.results.empty() ? "no result" : timed.results[0].Summary().c_str());
    return std::nullopt;
  }
  return timed;
}

// The human lines of one sync of `records` records.
void PrintSync(const char* what, double records, double wall_s, double cpu_s, double rss_mib,
               double target_us) {
  std::printf("%-23s %.0f\n", (std::string(what) + " synced:").c_str(), records);
  std::printf("wall time:              %.2f s\n", wall_s);
  std::printf("records/s:              %.0f\n", records / wall_s);
  std::printf("client CPU per record:  %.2f us (target <= %.0f us)\n", cpu_s * 1e6 / records,
              target_us);
  std::printf("peak RSS (client):      %.1f MiB (target < 64 MiB)\n", rss_mib);
}

int ContactsBench(int contacts) {
  using namespace salesaudit;
  std::printf("sync_bench: generating a portal of %d contacts in crm-sim...\n", contacts);
  BenchPortal portal("contacts", contacts, 10, kNoRateLimits);
  if (!portal.started()) return 1;
  const auto timed = SyncStream(portal, portal.Config("bench", RateLimit{}), "contacts");
  if (!timed) return 1;
  const double records = static_cast<double>(timed->results[0].records);
  PrintSync("contacts", records, timed->wall_s, timed->cpu_s, bench::PeakRssMiB(), 20);
  bench::PrintFigure("contacts_cpu_us", timed->cpu_s * 1e6 / records, "us");
  bench::PrintFigure("contacts_per_s", records / timed->wall_s, "1/s");
  bench::PrintFigure("contacts_rss_mib", bench::PeakRssMiB(), "MiB");
  return 0;
}

int DealsBench(int deals) {
  using namespace salesaudit;
  std::printf("sync_bench --deals: generating a portal of %d deals with contacts in crm-sim...\n",
              deals);
  BenchPortal portal("deals", deals, deals, kNoRateLimits);
  if (!portal.started()) return 1;
  const auto timed = SyncStream(portal, portal.Config("bench", RateLimit{}), "deals");
  if (!timed) return 1;
  const double records = static_cast<double>(timed->results[0].records);
  PrintSync("deals", records, timed->wall_s, timed->cpu_s, bench::PeakRssMiB(), 15);
  bench::PrintFigure("deals_cpu_us", timed->cpu_s * 1e6 / records, "us");
  return 0;
}

// `salesaudit sync` as a user runs it, against a config file for the portal.
int CliBench(int contacts) {
  using namespace salesaudit;
  std::printf("sync_bench --cli: generating a portal of %d contacts in crm-sim...\n", contacts);
  BenchPortal portal("cli", contacts, 10, kNoRateLimits);
  if (!portal.started()) return 1;
  const std::string token_path = portal.File("token");
  std::ofstream(token_path) << kToken << "\n";
  const std::string config_path = portal.File("salesaudit.yaml");
  std::ofstream(config_path) << "store:\n  path: " << portal.StorePath()
                             << "\nconnectors:\n"
                                "  - name: bench\n"
                                "    type: hubspot\n"
                                "    base_url: "
                             << portal.base_url()
                             << "\n    auth:\n      token_file: " << token_path
                             << "\n    streams: [contacts]\n"
                                "    rate_limit: off\n";
  const std::string output_path = portal.File("sync.out");
  const auto wall_before = std::chrono::steady_clock::now();
  const bench::ChildRun run =
      bench::RunChild(SALESAUDIT_BINARY, {"--config", config_path, "sync"}, output_path);
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_before).count();
  std::ifstream output(output_path);
  const std::string printed((std::istreambuf_iterator<char>(output)),
                            std::istreambuf_iterator<char>());
  if (run.exit_code != 0) {
    std::fprintf(stderr, "sync_bench: salesaudit sync exited %d:\n%s", run.exit_code,
                 printed.c_str());
    return 1;
  }
  auto store = Store::Open(portal.StorePath());
  auto rows = store.ok() ? (*store)->CountRows(RecordKind::kContact, "bench", true)
                         : Result<int64_t>(store.status());
  if (!rows.ok() || *rows == 0) {
    std::fprintf(stderr, "sync_bench: no contacts stored: %s\n",
                 rows.ok() ? "0 rows" : rows.status().ToString().c_str());
    return 1;
  }
  const double records = static_cast<double>(*rows);
  PrintSync("contacts", records, wall_s, run.cpu_s, run.peak_rss_mib, 8);
  bench::PrintFigure("contacts_cli_cpu_us", run.cpu_s * 1e6 / records, "us");
  bench::PrintFigure("contacts_cli_rss_mib", run.peak_rss_mib, "MiB");
  return 0;
}

// The share of the portal's quota one backfill of `contacts` used, with
// `rate_limit` (nullopt: none configured), against a fresh simulator and store.
int QuotaRun(int contacts, std::optional<RateLimit> rate_limit, const char* label,
             double* share) {
  using namespace salesaudit;
  const std::string connector = std::string("quota-") + label;
  BenchPortal portal(connector, contacts, 10,
                     {"--ten-secondly-limit", std::to_string(kPortalRequests)});
  if (!portal.started()) return 1;
  const auto timed = SyncStream(portal, portal.Config(connector, rate_limit), "contacts");
  if (!timed) return 1;
  const double requests = bench::CounterOf("salesaudit_api_requests_total", connector);
  const double least_s = std::floor((requests - 1) / kPortalRequests) * kPortalWindowSeconds;
  *share = least_s / timed->wall_s;
  const double average_share = requests / (timed->wall_s / kPortalWindowSeconds * kPortalRequests);
  std::printf("%-9s %.0f contacts, %.0f requests in %.2f s (the window allows %.0f s at the "
              "least): %.0f%% of the portal's quota (%.0f%% of its average rate), %.0f 429s\n",
              label, static_cast<double>(timed->results[0].records), requests, timed->wall_s,
              least_s, 100 * *share, 100 * average_share,
              bench::CounterOf("salesaudit_api_throttled_total", connector));
  return 0;
}

int QuotaBench(int contacts) {
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
  salesaudit::bench::PrintFigure("quota_share_pct", 100 * following, "%");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  salesaudit::KeepFreedHeapForReuse();
  const std::string mode = argc > 1 && argv[1][0] == '-' ? argv[1] : "";
  const char* size = argc > (mode.empty() ? 1 : 2) ? argv[mode.empty() ? 1 : 2] : nullptr;
  auto n = [&](int fallback) { return size != nullptr ? std::atoi(size) : fallback; };
  if (mode.empty()) return ContactsBench(n(200000));
  if (mode == "--cli") return CliBench(n(100000));
  if (mode == "--deals") return DealsBench(n(20000));
  if (mode == "--quota") return QuotaBench(n(50000));
  std::fprintf(stderr, "usage: sync_bench [--cli | --deals | --quota] [N]\n");
  return 2;
}

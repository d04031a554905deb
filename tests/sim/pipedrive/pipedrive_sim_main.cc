// pipedrive-sim: the Pipedrive simulator as a process, for the demo and for
// trying a connector against a local company. Prints one
// "listening on http://127.0.0.1:PORT" line when ready and serves until
// SIGTERM or SIGINT.
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

#include "tests/sim/common/sim_main.h"
#include "tests/sim/pipedrive/pipedrive_sim.h"

namespace {

void PrintUsage() {
  std::fprintf(stderr,
               "usage: pipedrive-sim [--port N] [--seed N] [--api-token T]\n"
               "                     [--users N] [--persons N] [--deals N] [--leads N]\n"
               "                     [--activities N] [--pipelines N] [--history-days N]\n"
               "                     [--bulk-updated-persons N] [--bulk-updated-deals N]\n"
               "                     [--rate-limit N] [--enforce-rate-limit 0|1]\n"
               "                     [--daily-token-budget N]\n");
}

// Applies one "--flag value" pair; false for an unknown flag or a bad value.
bool ApplyFlag(const std::string& flag, const char* value, salesaudit::sim::PdCompanySpec& spec,
               salesaudit::sim::PipedriveSimOptions& options, int64_t& port) {
  if (flag == "--api-token") {
    options.api_token = value;
    return !options.api_token.empty();
  }
  int64_t n = 0;
  if (!salesaudit::sim::ParseInt64Flag(value, false, n)) return false;
  constexpr int64_t kMaxRecords = 10'000'000;
  auto records = [&](int& field) {
    if (n > kMaxRecords) return false;
    field = static_cast<int>(n);
    return true;
  };
  if (flag == "--port") {
    port = n;
    return n <= 65535;
  }
  if (flag == "--seed") {
    spec.seed = static_cast<uint64_t>(n);
    return true;
  }
  if (flag == "--users") return n >= 1 && records(spec.users);
  if (flag == "--persons") return records(spec.persons);
  if (flag == "--deals") return records(spec.deals);
  if (flag == "--leads") return records(spec.leads);
  if (flag == "--activities") return records(spec.activities);
  if (flag == "--pipelines") return n >= 1 && n <= 100 && records(spec.pipelines);
  if (flag == "--history-days") return n >= 1 && n <= 36'500 && records(spec.history_days);
  if (flag == "--bulk-updated-persons") return records(spec.bulk_updated_persons);
  if (flag == "--bulk-updated-deals") return records(spec.bulk_updated_deals);
  if (flag == "--rate-limit") return n >= 1 && records(options.rate_limit);
  if (flag == "--enforce-rate-limit") {
    options.enforce_rate_limit = n == 1;
    return n <= 1;
  }
  if (flag == "--daily-token-budget") {
    options.daily_token_budget = n;
    return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  salesaudit::sim::PdCompanySpec spec;
  salesaudit::sim::PipedriveSimOptions options;
  int64_t port = 0;
  if (std::optional<int> exit_code = salesaudit::sim::ForEachSimFlag(
          "pipedrive-sim", argc, argv, PrintUsage, [&](const std::string& flag, const char* value) {
            return ApplyFlag(flag, value, spec, options, port);
          })) {
    return *exit_code;
  }
  if (spec.bulk_updated_persons > spec.persons || spec.bulk_updated_deals > spec.deals) {
    std::fprintf(stderr, "pipedrive-sim: more bulk-updated records than records\n");
    return salesaudit::sim::kSimExitUsage;
  }

  // Before the server threads start, so they inherit the mask.
  salesaudit::sim::BlockStopSignals();
  salesaudit::sim::PipedriveSim sim(spec, options);
  return salesaudit::sim::ServeUntilStopSignal("pipedrive-sim", sim, port);
}

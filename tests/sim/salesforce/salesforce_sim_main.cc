// salesforce-sim: the Salesforce simulator as a process, for the demo and
// for trying a connector against a local org. Prints one
// "listening on http://127.0.0.1:PORT" line when ready and serves until
// SIGTERM or SIGINT.
#include <cstdint>
#include <cstdio>
#include <string>

#include "tests/sim/common/sim_main.h"
#include "tests/sim/salesforce/salesforce_sim.h"

namespace {

using salesaudit::sim::kSimExitUsage;

void PrintUsage() {
  std::fprintf(stderr,
               "usage: salesforce-sim [--port N] [--seed N] [--leads N] [--users N]\n"
               "                      [--opportunities N] [--contacts N]\n"
               "                      [--client-id ID] [--client-secret S] [--refresh-token T]\n"
               "                      [--rotate-refresh-token 0|1] [--daily-limit N]\n"
               "                      [--session-lifetime-ms N] [--commit-lag-ms N]\n"
               "                      [--multi-currency 0|1]\n");
}

}  // namespace

int main(int argc, char** argv) {
  salesaudit::sim::OrgSpec spec;
  salesaudit::sim::SalesforceSimOptions options;
  int64_t port = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      PrintUsage();
      return 0;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "salesforce-sim: %s needs a value\n", flag.c_str());
      PrintUsage();
      return kSimExitUsage;
    }
    const char* value = argv[++i];
    if (flag == "--client-id") {
      options.client_id = value;
      continue;
    }
    if (flag == "--client-secret") {
      options.client_secret = value;
      continue;
    }
    if (flag == "--refresh-token") {
      options.refresh_token = value;
      continue;
    }
    int64_t n = 0;
    if (!salesaudit::sim::ParseInt64Flag(value, false, n)) {
      std::fprintf(stderr, "salesforce-sim: %s: not a valid number: %s\n", flag.c_str(), value);
      return kSimExitUsage;
    }
    constexpr int64_t kMaxRecords = 10'000'000;
    if (flag == "--port" && n <= 65535) {
      port = n;
    } else if (flag == "--seed") {
      spec.seed = static_cast<uint64_t>(n);
    } else if (flag == "--leads" && n <= kMaxRecords) {
      spec.leads = static_cast<int>(n);
    } else if (flag == "--users" && n >= 1 && n <= 10'000) {
      spec.users = static_cast<int>(n);
    } else if (flag == "--opportunities" && n <= kMaxRecords) {
      spec.opportunities = static_cast<int>(n);
    } else if (flag == "--contacts" && n <= kMaxRecords) {
      spec.contacts_without_lead = static_cast<int>(n);
    } else if (flag == "--rotate-refresh-token" && n <= 1) {
      options.rotate_refresh_token = n == 1;
    } else if (flag == "--multi-currency" && n <= 1) {
      spec.multi_currency = n == 1;
    } else if (flag == "--daily-limit") {
      options.daily_api_limit = n;
    } else if (flag == "--session-lifetime-ms" && n >= 1) {
      options.session_lifetime_ms = n;
    } else if (flag == "--commit-lag-ms") {
      options.commit_lag_ms = n;
    } else {
      std::fprintf(stderr, "salesforce-sim: unknown or out-of-range flag: %s %s\n", flag.c_str(),
                   value);
      PrintUsage();
      return kSimExitUsage;
    }
  }

  // Before the server threads start, so they inherit the mask.
  salesaudit::sim::BlockStopSignals();
  salesaudit::sim::SalesforceSim sim(spec, options);
  return salesaudit::sim::ServeUntilStopSignal("salesforce-sim", sim, port);
}

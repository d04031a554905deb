// crm-sim: the HubSpot simulator as a process, for the demo and the bench.
// Prints one "listening on http://127.0.0.1:PORT" line when ready and serves
// until SIGTERM or SIGINT.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

#include "tests/sim/common/sim_main.h"
#include "tests/sim/hubspot/hubspot_sim.h"

namespace {

using salesaudit::sim::kSimExitUsage;

void PrintUsage() {
  std::fprintf(stderr,
               "usage: crm-sim [--port N] [--seed N] [--contacts N] [--deals N] [--owners N]\n"
               "               [--token T] [--ten-secondly-limit N] [--search-per-second N]\n"
               "               [--index-lag-ms N] [--max-contacts-per-deal N]\n"
               "               [--association-page-size N] [--clock-offset-ms [-]N]\n");
}

}  // namespace

int main(int argc, char** argv) {
  salesaudit::sim::PortalSpec spec;
  salesaudit::sim::SimOptions options;
  int64_t port = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      PrintUsage();
      return 0;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "crm-sim: %s needs a value\n", flag.c_str());
      PrintUsage();
      return kSimExitUsage;
    }
    const char* value = argv[++i];
    if (flag == "--token") {
      options.token = value;
      continue;
    }
    int64_t n = 0;
    // Only --clock-offset-ms takes a negative value (a HubSpot clock behind ours).
    if (!salesaudit::sim::ParseInt64Flag(value, flag == "--clock-offset-ms", n)) {
      std::fprintf(stderr, "crm-sim: %s: not a valid number: %s\n", flag.c_str(), value);
      return kSimExitUsage;
    }
    if (flag == "--port" && n <= 65535) {
      port = n;
    } else if (flag == "--seed") {
      spec.seed = static_cast<uint64_t>(n);
    } else if (flag == "--contacts") {
      spec.contacts = static_cast<int>(n);
    } else if (flag == "--deals") {
      spec.deals = static_cast<int>(n);
    } else if (flag == "--owners") {
      spec.owners = static_cast<int>(n);
    } else if (flag == "--ten-secondly-limit") {
      options.ten_secondly_limit = static_cast<int>(n);
    } else if (flag == "--search-per-second") {
      options.search_per_second_limit = static_cast<int>(n);
    } else if (flag == "--index-lag-ms") {
      options.index_lag_ms = n;
    } else if (flag == "--max-contacts-per-deal") {
      spec.max_contacts_per_deal = static_cast<int>(n);
    } else if (flag == "--association-page-size" && n >= 1) {
      options.association_page_size = static_cast<int>(n);
    } else if (flag == "--clock-offset-ms") {
      options.clock_offset_ms = n;
    } else {
      std::fprintf(stderr, "crm-sim: unknown or out-of-range flag: %s %s\n", flag.c_str(), value);
      PrintUsage();
      return kSimExitUsage;
    }
  }

  // Before the server threads start, so they inherit the mask.
  salesaudit::sim::BlockStopSignals();

  salesaudit::sim::HubSpotSim sim(options);
  sim.Generate(spec);
  return salesaudit::sim::ServeUntilStopSignal("crm-sim", sim, port);
}

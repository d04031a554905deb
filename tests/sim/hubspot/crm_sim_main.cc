// crm-sim: the HubSpot simulator as a process, for the demo and the bench.
// Prints one "listening on http://127.0.0.1:PORT" line when ready and serves
// until SIGTERM or SIGINT.
#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "tests/sim/hubspot/hubspot_sim.h"

namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

void PrintUsage() {
  std::fprintf(stderr,
               "usage: crm-sim [--port N] [--seed N] [--contacts N] [--deals N] [--owners N]\n"
               "               [--token T] [--ten-secondly-limit N] [--search-per-second N]\n"
               "               [--index-lag-ms N] [--max-contacts-per-deal N]\n"
               "               [--association-page-size N] [--clock-offset-ms [-]N]\n");
}

// Only --clock-offset-ms takes a negative value (a HubSpot clock behind ours).
bool ParseInt64(const char* text, bool allow_negative, int64_t& out) {
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || (v < 0 && !allow_negative)) return false;
  out = v;
  return true;
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
      return kExitUsage;
    }
    const char* value = argv[++i];
    if (flag == "--token") {
      options.token = value;
      continue;
    }
    int64_t n = 0;
    if (!ParseInt64(value, flag == "--clock-offset-ms", n)) {
      std::fprintf(stderr, "crm-sim: %s: not a valid number: %s\n", flag.c_str(), value);
      return kExitUsage;
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
      return kExitUsage;
    }
  }

  // Block the stop signals before the server threads start so they inherit
  // the mask and only sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  salesaudit::sim::HubSpotSim sim(options);
  sim.Generate(spec);
  const uint16_t bound = sim.Start(static_cast<uint16_t>(port));
  if (bound == 0) {
    std::fprintf(stderr, "crm-sim: cannot listen on 127.0.0.1:%lld\n",
                 static_cast<long long>(port));
    return kExitFailure;
  }
  std::printf("listening on %s\n", sim.base_url().c_str());
  std::fflush(stdout);

  int received = 0;
  sigwait(&stop_signals, &received);
  sim.Stop();
  return 0;
}

// crm-sim: the HubSpot simulator as a process, for the demo and the bench.
// Prints one "listening on http://127.0.0.1:PORT" line when ready and serves
// until SIGTERM or SIGINT. --emails-out writes the contacts' addresses first,
// for mailchimp-sim --emails-file, so both simulators share people. HubSpot's
// rate limits are on unless --no-rate-limits is given.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "tests/sim/common/sim_main.h"
#include "tests/sim/hubspot/hubspot_sim.h"

namespace {

using salesaudit::sim::kSimExitUsage;

void PrintUsage() {
  std::fprintf(stderr,
               "usage: crm-sim [--port N] [--seed N] [--contacts N] [--deals N] [--owners N]\n"
               "               [--token T] [--no-rate-limits] [--ten-secondly-limit N]\n"
               "               [--daily-limit N] [--search-per-second N]\n"
               "               [--index-lag-ms N] [--max-contacts-per-deal N]\n"
               "               [--association-page-size N] [--clock-offset-ms [-]N]\n"
               "               [--emails-out PATH] [--email-campaigns N]\n"
               "               [--events-per-campaign N]\n");
}

// One line per contact with a non-empty email, as the portal holds it (mixed
// case, stray spaces and duplicates included), in id order.
bool WriteContactEmails(const salesaudit::sim::HubSpotSim& sim, const std::string& path) {
  std::ofstream out(path, std::ios::trunc);
  for (const salesaudit::sim::SimObject& contact : sim.Contacts()) {
    auto email = contact.properties.find("email");
    if (email != contact.properties.end() && !email->second.empty()) out << email->second << '\n';
  }
  out.close();
  return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
  salesaudit::sim::PortalSpec spec;
  salesaudit::sim::SimOptions options;
  int64_t port = 0;
  std::string emails_out;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      PrintUsage();
      return 0;
    }
    if (flag == "--no-rate-limits") {
      options.rate_limits = false;
      continue;
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
    if (flag == "--emails-out") {
      emails_out = value;
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
    } else if (flag == "--daily-limit") {
      options.daily_limit = static_cast<int>(std::min<int64_t>(n, INT32_MAX));
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
    } else if (flag == "--email-campaigns" && n <= 1'000'000) {
      spec.email_campaigns = static_cast<int>(n);
    } else if (flag == "--events-per-campaign" && n <= 100'000'000) {
      spec.events_per_campaign = static_cast<int>(n);
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
  // Before "listening on", so a script that waits for that line finds the file whole.
  if (!emails_out.empty() && !WriteContactEmails(sim, emails_out)) {
    std::fprintf(stderr, "crm-sim: cannot write %s\n", emails_out.c_str());
    return salesaudit::sim::kSimExitFailure;
  }
  return salesaudit::sim::ServeUntilStopSignal("crm-sim", sim, port);
}

// mailchimp-sim: the Mailchimp simulator as a process, for the demo. Prints
// one "listening on http://127.0.0.1:PORT/3.0" line when ready and serves
// until SIGTERM or SIGINT. --emails-file gives member addresses (one per
// line, e.g. the CRM simulator's contacts) so both sources share people.
// Mailchimp's limit of 10 simultaneous connections applies unless
// --no-rate-limits is given.
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>

#include "tests/sim/common/sim_main.h"
#include "tests/sim/mailchimp/mailchimp_sim.h"

namespace {

using salesaudit::sim::kSimExitUsage;

void PrintUsage() {
  std::fprintf(stderr,
               "usage: mailchimp-sim [--port N] [--seed N] [--lists N] [--members N]\n"
               "                     [--campaigns N] [--api-key KEY] [--oauth-token T]\n"
               "                     [--emails-file PATH] [--no-rate-limits]\n"
               "                     [--max-connections N]\n");
}

}  // namespace

int main(int argc, char** argv) {
  salesaudit::sim::MailchimpSpec spec;
  salesaudit::sim::MailchimpSimOptions options;
  int64_t port = 0;
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
      std::fprintf(stderr, "mailchimp-sim: %s needs a value\n", flag.c_str());
      PrintUsage();
      return kSimExitUsage;
    }
    const char* value = argv[++i];
    if (flag == "--api-key") {
      options.api_key = value;
      continue;
    }
    if (flag == "--oauth-token") {
      options.oauth_token = value;
      continue;
    }
    if (flag == "--emails-file") {
      std::ifstream in(value);
      if (!in) {
        std::fprintf(stderr, "mailchimp-sim: cannot read %s\n", value);
        return kSimExitUsage;
      }
      for (std::string line; std::getline(in, line);) {
        if (!line.empty()) spec.emails.push_back(line);
      }
      continue;
    }
    int64_t n = 0;
    if (!salesaudit::sim::ParseInt64Flag(value, /*allow_negative=*/false, n)) {
      std::fprintf(stderr, "mailchimp-sim: %s: not a valid number: %s\n", flag.c_str(), value);
      return kSimExitUsage;
    }
    if (flag == "--port" && n <= 65535) {
      port = n;
    } else if (flag == "--seed") {
      spec.seed = static_cast<uint64_t>(n);
    } else if (flag == "--lists" && n >= 1) {
      spec.lists = static_cast<int>(n);
    } else if (flag == "--members") {
      spec.members_per_list = static_cast<int>(n);
    } else if (flag == "--campaigns") {
      spec.sent_campaigns = static_cast<int>(n);
    } else if (flag == "--max-connections" && n >= 1 && n <= 10000) {
      options.max_connections = static_cast<int>(n);
    } else {
      std::fprintf(stderr, "mailchimp-sim: unknown or out-of-range flag: %s %s\n", flag.c_str(),
                   value);
      PrintUsage();
      return kSimExitUsage;
    }
  }

  // Before the server threads start, so they inherit the mask.
  salesaudit::sim::BlockStopSignals();

  salesaudit::sim::MailchimpSim sim(options);
  sim.Generate(spec);
  return salesaudit::sim::ServeUntilStopSignal("mailchimp-sim", sim, port);
}

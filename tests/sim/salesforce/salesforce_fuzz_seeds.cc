// Records the Salesforce connector's connector_page fuzz seeds: each stream
// run (the token exchange, its queries and their batches) against the
// simulator on a small generated org (fuzz/seed_recording.h).
// scripts/fuzz-seeds.sh runs it into fuzz/corpus/connector_page/.
//
//   salesforce-fuzz-seeds OUT_DIR
#include "fuzz/seed_recording.h"
#include "tests/sim/salesforce/salesforce_sim.h"

int main(int argc, char** argv) {
  using namespace salesaudit;
  return fuzz::RecordSeedsMain(argc, argv, [](const fuzz::SeedRecorder& record, uint64_t seed) {
    sim::OrgSpec spec;
    spec.seed = seed;
    spec.users = 2;
    spec.queues = 1;
    spec.leads = 6;
    spec.contacts_without_lead = 2;
    spec.opportunities = 3;
    spec.converted_share = 0.5;
    spec.history_days = 30;
    spec.multi_currency = seed % 2 == 0;
    sim::SalesforceSim org(spec);
    if (org.Start() == 0) return false;
    const sim::SalesforceSimOptions options;
    return record("salesforce", org.base_url(),
                  {{"client_id", options.client_id},
                   {"client_secret", options.client_secret},
                   {"refresh_token", options.refresh_token}});
  });
}

// Records the Pipedrive connector's connector_page fuzz seeds: each stream
// run (its v1 and v2 pages) against the simulator on a small generated
// company (fuzz/seed_recording.h). scripts/fuzz-seeds.sh runs it into
// fuzz/corpus/connector_page/.
//
//   pipedrive-fuzz-seeds OUT_DIR
#include "fuzz/seed_recording.h"
#include "tests/sim/pipedrive/pipedrive_sim.h"

int main(int argc, char** argv) {
  using namespace salesaudit;
  return fuzz::RecordSeedsMain(argc, argv, [](const fuzz::SeedRecorder& record, uint64_t seed) {
    sim::PdCompanySpec spec;
    spec.seed = seed;
    spec.users = 2;
    spec.persons = 8;
    spec.deals = 4;
    spec.leads = 4;
    spec.activities = 6;
    spec.history_days = 30;
    spec.multi_email_share = 0.5;
    sim::PipedriveSim company(spec);
    if (company.Start() == 0) return false;
    return record("pipedrive", company.base_url(), {{"api_token", company.api_token()}});
  });
}

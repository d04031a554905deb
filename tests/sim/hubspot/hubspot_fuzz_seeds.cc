// Records the HubSpot connector's connector_page fuzz seeds: each stream run
// against the simulator on a small generated portal (fuzz/seed_recording.h).
// scripts/fuzz-seeds.sh runs it into fuzz/corpus/connector_page/.
//
//   hubspot-fuzz-seeds OUT_DIR
#include "fuzz/seed_recording.h"
#include "tests/sim/hubspot/hubspot_sim.h"

int main(int argc, char** argv) {
  using namespace salesaudit;
  return fuzz::RecordSeedsMain(argc, argv, [](const fuzz::SeedRecorder& record, uint64_t seed) {
    sim::HubSpotSim hubspot;
    hubspot.Generate(sim::PortalSpec{.seed = seed,
                                     .contacts = 4,
                                     .deals = 3,
                                     .owners = 2,
                                     .history_days = 30,
                                     .max_contacts_per_deal = 2,
                                     .email_campaigns = 2,
                                     .events_per_campaign = 4});
    if (hubspot.Start() == 0) return false;
    return record("hubspot", hubspot.base_url(), {{"token", sim::SimOptions{}.token}});
  });
}

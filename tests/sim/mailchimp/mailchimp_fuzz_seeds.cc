// Records the Mailchimp connector's connector_page fuzz seeds: each stream
// run against the simulator on a small generated account
// (fuzz/seed_recording.h). scripts/fuzz-seeds.sh runs it into
// fuzz/corpus/connector_page/.
//
//   mailchimp-fuzz-seeds OUT_DIR
#include "fuzz/seed_recording.h"
#include "tests/sim/mailchimp/mailchimp_sim.h"

int main(int argc, char** argv) {
  using namespace salesaudit;
  return fuzz::RecordSeedsMain(argc, argv, [](const fuzz::SeedRecorder& record, uint64_t seed) {
    sim::MailchimpSim mailchimp;
    mailchimp.Generate(sim::MailchimpSpec{.seed = seed,
                                          .lists = 1,
                                          .members_per_list = 3,
                                          .sent_campaigns = 2,
                                          .draft_campaigns = 1,
                                          .history_days = 30});
    if (mailchimp.Start() == 0) return false;
    return record("mailchimp", mailchimp.base_url(),
                  {{"api_key", sim::MailchimpSimOptions{}.api_key}});
  });
}

// The simulated portal's marketing email: email campaigns and the legacy
// email events API (docs/vendors/hubspot.md "Marketing email events"),
// generated deterministically from
// the portal's seed for recipients taken from its contacts, so email activity
// overlaps the CRM by email. Also the endpoints that serve them:
// GET /email/public/v1/campaigns/by-id, /email/public/v1/campaigns/{id} and
// /email/public/v1/events.
//
// Not thread-safe: owned by Portal, which SimService guards with its mutex.
#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "tests/sim/hubspot/hubspot_sim.h"

namespace salesaudit::sim {

// One endpoint's answer, before the service wraps it in an ApiResponse.
struct EmailApiAnswer {
  int status = 200;
  std::string body;  // JSON; an error's message when status != 200
};

class EmailPortal {
 public:
  // Replaces campaigns and events: spec.email_campaigns campaigns sent over
  // the last min(history_days, 360) days, each with about
  // spec.events_per_campaign events for recipients drawn from `emails` (the
  // contacts' email properties, as stored in the CRM).
  void Generate(const PortalSpec& spec, const std::vector<std::string>& emails, int64_t now_ms);

  // Adds `count` OPEN and CLICK events (some filtered) at `at_ms` to
  // existing campaigns; returns the keys "<id>:<created>" added.
  std::vector<std::string> AddEvents(int count, int64_t at_ms);

  EmailApiAnswer ListCampaigns(const std::map<std::string, std::string>& query) const;
  EmailApiAnswer GetCampaign(const std::string& id) const;
  EmailApiAnswer ListEvents(const std::map<std::string, std::string>& query,
                            int max_page_size) const;

  const std::vector<SimEmailCampaign>& campaigns() const { return campaigns_; }
  // Ordered by (created, id); the events endpoint pages in the reverse
  // order, newest first.
  const std::vector<SimEmailEvent>& events() const { return events_; }

 private:
  uint64_t Next() { return rng_(); }
  int64_t Below(int64_t n) {
    return n <= 0 ? 0 : static_cast<int64_t>(Next() % static_cast<uint64_t>(n));
  }
  bool Chance(double p) { return static_cast<double>(Next() >> 11) * 0x1.0p-53 < p; }
  std::string NewEventId();
  SimEmailEvent MakeEvent(const SimEmailCampaign& campaign, const std::string& type,
                          const std::string& recipient, int64_t created);
  void Sort();

  std::mt19937_64 rng_;
  std::vector<std::string> recipients_;
  std::vector<SimEmailCampaign> campaigns_;
  std::vector<SimEmailEvent> events_;
};

}  // namespace salesaudit::sim

// One alert round, run after each stored snapshot: every configured rule is
// evaluated against the snapshot and stepped through its lifecycle from its
// stored state; the firing and just-resolved alerts are planned against the
// route, the silences and what each receiver was last told; and the new
// states, memories and the notifications they call for (rendered for each
// receiver: Alertmanager or Slack JSON, or an email) are saved in one
// transaction, for the notifier to deliver.
//
// Threading: blocks on the store; run it where the audit runs.
#pragma once

#include <cstdint>
#include <string>

#include "config/config.h"
#include "core/status.h"
#include "store/store.h"

namespace salesaudit {

struct AlertRoundResult {
  int rules = 0;
  int firing = 0;
  int queued = 0;  // notifications added to the outbox
};

// `external_url` is where the dashboard is ("" if none), shown in
// notifications. A rule whose `when` cannot be read fails the round
// (kInvalidArgument naming the rule) before anything is saved.
Result<AlertRoundResult> RunAlertRound(Store& store, const AlertsConfig& alerts,
                                       const std::string& snapshot_json,
                                       const std::string& external_url, int64_t now_ms);

}  // namespace salesaudit

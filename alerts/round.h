// One alert round, run after each stored snapshot and every
// alerts.evaluate_every: every configured rule is evaluated (a condition on
// the latest snapshot, or a built-in check on the connectors' sync state or
// the snapshot's age) and stepped through its lifecycle from its stored
// state; the firing and just-resolved alerts are planned against the route,
// the silences and what each receiver was last told; and the new states,
// memories and the notifications they call for (rendered for each receiver:
// Alertmanager or Slack JSON, or an email) are saved in one transaction, for
// the notifier to deliver.
//
// A connector check raises one alert per configured connector (label
// `connector`); an alert whose rule or connector left the config is resolved
// (receivers told it fired hear so) and forgotten.
//
// Threading: blocks on the store; one round at a time.
//
//   auto inputs = ReadAlertInputs(store, started_ms);
//   auto round = RunAlertRound(store, config, *inputs, {}, NowMs());
//
// Notifications link the dashboard at config.status.external_url, and
// nowhere without it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "alerts/figure.h"
#include "config/config.h"
#include "core/status.h"
#include "store/store.h"

namespace salesaudit {

// What a round reads from the store besides its own state.
struct AlertInputs {
  std::optional<std::string> snapshot_json;  // the latest snapshot; none yet: nullopt
  int64_t snapshot_computed_at = 0;
  std::vector<StreamState> streams;
  // Since when the caller has been watching: a stream that never succeeded,
  // or a store without snapshots, counts as stale from here.
  int64_t watching_since_ms = 0;
};

Result<AlertInputs> ReadAlertInputs(Store& store, int64_t watching_since_ms);

struct AlertRoundOptions {
  std::string only_rule;  // "": every rule; else just this one (others stay as they are)
};

// One alert's evaluation in a round.
struct AlertEvaluation {
  AlertKey key;
  std::optional<double> value;      // seconds for the stale checks, runs for connector_failing
  FigureUnit unit;                  // what value is, for people (a removed rule's: kNumber)
  std::vector<FigureLine> context;  // the snapshot figures that explain it
  bool holds = false;
  std::string phase_before;  // inactive | pending | firing
  std::string phase_after;
  bool fired = false;     // became firing this round
  bool resolved = false;  // stopped firing this round (or its rule or connector left)
  bool silenced = false;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  int64_t fired_at_ms = 0;
};

// Everything a round would save.
struct AlertRoundPlan {
  // Why the latest snapshot could not be read ("" when it could): the round
  // still runs the built-in checks, with no snapshot (so snapshot_stale
  // counts from inputs.watching_since_ms), while conditions have no value.
  std::string snapshot_problem;
  std::vector<AlertEvaluation> evaluations;  // in config order, then removed alerts
  std::vector<AlertStateRow> states;
  std::vector<AlertKey> removed;
  std::vector<AlertGroupRow> memories;
  std::vector<OutboxRow> queued;  // payload rendered for its receiver
};

// Plans a round without saving it (reads the stored states, memories and
// silences). A rule whose `when` cannot be read fails the plan
// (kInvalidArgument naming the rule); `only_rule` naming no rule is kNotFound.
Result<AlertRoundPlan> PlanAlertRound(Store& store, const Config& config, const AlertInputs& inputs,
                                      const AlertRoundOptions& options, int64_t now_ms);

struct AlertRoundResult {
  std::string snapshot_problem;  // as in AlertRoundPlan
  int rules = 0;
  int queued = 0;  // notifications added to the outbox
  // (rule, phase) -> how many of the rule's alerts are pending or firing.
  std::map<std::pair<std::string, std::string>, int> active;

  int firing() const {
    int n = 0;
    for (const auto& [key, count] : active) n += key.second == "firing" ? count : 0;
    return n;
  }
};

// Plans a round and saves it in one transaction.
Result<AlertRoundResult> RunAlertRound(Store& store, const Config& config,
                                       const AlertInputs& inputs, const AlertRoundOptions& options,
                                       int64_t now_ms);

// What each receiver of the route would get if `evaluations` fired now,
// whatever `for`, the conditions, the memories and the silences say:
// `salesaudit alerts test` shows these.
// An email is shown as its Subject and text part.
std::vector<OutboxRow> PreviewNotifications(const Config& config,
                                            const std::vector<AlertEvaluation>& evaluations,
                                            int64_t now_ms);

}  // namespace salesaudit

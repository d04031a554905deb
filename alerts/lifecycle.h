// One alert rule's lifecycle, as Prometheus rules and Alertmanager run it:
// inactive -> pending (the condition holds, not yet for `for`) -> firing ->
// resolved (inactive again, with the time it ended). `keep_firing_for` holds a
// firing alert through short dips of the condition, so it does not flap.
// An evaluation without a value (the path leads nowhere or to null) counts as
// the condition not holding. Pure functions over plain values; the caller
// keeps the state (in the store, so a restart neither forgets nor re-sends).
//
//   AlertStep step = StepAlert(stored_state, rule, EvaluateCondition(c, snapshot), now_ms);
//   if (step.change == AlertChange::kFired) Enqueue(...);
//   Save(step.state);
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "alerts/condition.h"
#include "alerts/figure.h"
#include "core/status.h"

namespace salesaudit {

enum class AlertPhase { kInactive, kPending, kFiring };

const char* AlertPhaseName(AlertPhase phase);  // "inactive" "pending" "firing"

struct AlertState {
  AlertPhase phase = AlertPhase::kInactive;
  int64_t active_since_ms = 0;  // pending or firing: since when the condition holds
  int64_t fired_at_ms = 0;      // firing: when it fired (Alertmanager's startsAt)
  int64_t last_held_ms = 0;     // the last evaluation at which the condition held
  int64_t resolved_at_ms = 0;   // inactive after firing: when it ended (endsAt); else 0
  std::optional<double> value;  // at the last evaluation
};

// What the timing of one rule needs.
struct AlertTiming {
  std::chrono::milliseconds for_duration{0};
  std::chrono::milliseconds keep_firing_for{0};
};

enum class AlertChange {
  kNone,      // same phase (a firing alert stays firing: reminders are the router's)
  kPending,   // began to hold, waiting out `for`
  kCleared,   // pending, then stopped holding before `for`: nothing was sent
  kFired,     // now firing: notify
  kResolved,  // was firing, now inactive: notify receivers that want resolved
};

struct AlertStep {
  AlertState state;
  AlertChange change = AlertChange::kNone;
};

// The next state after an evaluation at `now_ms` with `result`.
AlertStep StepAlert(const AlertState& previous, const AlertTiming& timing,
                    const ConditionResult& result, int64_t now_ms);

// What a summary or description template may show: {{ value }} and
// {{ threshold }} (formatted for the figure's kind: FigureText), {{ period }}
// ("week" or "month", the snapshot's period), {{ rule }}, {{ severity }},
// {{ state }}, {{ labels.NAME }}, and {{ value | duration }} for a value in
// seconds shown as "2h 5m" (as Prometheus' humanizeDuration). Spaces inside
// the braces are optional.
struct AlertTemplateValues {
  std::optional<double> value;  // shown as "n/a" when unknown
  double threshold = 0;
  FigureUnit unit;  // what value and threshold are
  std::string rule;
  std::string severity;
  std::string state;
  std::map<std::string, std::string> labels;
};

// The template with its placeholders filled. A placeholder it does not know
// (which CheckAlertTemplate refuses) and an unclosed one stay as written; a
// label the alert lacks shows as nothing.
std::string RenderAlertTemplate(std::string_view text, const AlertTemplateValues& values);

// OK, or kInvalidArgument naming the first placeholder that is unknown (a
// misspelt "{{ valeu }}": "unknown placeholder {{ valeu }} (use value,
// threshold, period, rule, severity, state, labels.NAME; value | duration)")
// or unclosed; `labels` are the rule's labels.
Status CheckAlertTemplate(std::string_view text, const std::map<std::string, std::string>& labels);

}  // namespace salesaudit

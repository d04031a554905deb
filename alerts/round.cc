#include "alerts/round.h"

#include <algorithm>
#include <map>
#include <set>
#include <vector>

#include "alerts/condition.h"
#include "alerts/email_message.h"
#include "alerts/lifecycle.h"
#include "alerts/notification.h"
#include "alerts/router.h"
#include "alerts/silence.h"
#include "alerts/stored_json.h"
#include "connectors/connector.h"

namespace salesaudit {
namespace {

// What a built-in check says when the rule gives no summary.
constexpr char kConnectorStaleSummary[] =
    "Connector {{ labels.connector }} has not synced successfully for {{ value | duration }}";
constexpr char kConnectorFailingSummary[] =
    "Connector {{ labels.connector }} failed its last {{ value }} sync runs";
constexpr char kSnapshotStaleSummary[] = "The latest audit snapshot is {{ value | duration }} old";

AlertPhase PhaseFrom(const std::string& name) {
  if (name == "pending") return AlertPhase::kPending;
  if (name == "firing") return AlertPhase::kFiring;
  return AlertPhase::kInactive;
}

AlertState StateFrom(const AlertStateRow& row) {
  AlertState s;
  s.phase = PhaseFrom(row.phase);
  s.active_since_ms = row.active_since.value_or(0);
  s.fired_at_ms = row.fired_at.value_or(0);
  s.last_held_ms = row.last_held_at.value_or(0);
  s.resolved_at_ms = row.resolved_at.value_or(0);
  s.value = row.value;
  return s;
}

TimeMs Known(int64_t ms) { return ms != 0 ? TimeMs(ms) : std::nullopt; }

// One alert a rule raises this round, before its lifecycle step.
struct Observation {
  std::string instance;  // the connector, for a connector check
  ConditionResult result;
  FigureUnit unit;                  // what the value is
  std::vector<FigureLine> context;  // the snapshot figures beside it
};

double SecondsSince(int64_t since_ms, int64_t now_ms) {
  return static_cast<double>(now_ms - since_ms) / 1000.0;
}

// The streams a connector syncs: those configured, else all its type offers.
std::vector<std::string> StreamsOf(const ConnectorConfig& connector) {
  if (!connector.streams.empty()) return connector.streams;
  const ConnectorDescriptor* d = BuiltinConnectors().Find(connector.type);
  return d != nullptr ? d->StreamNames() : std::vector<std::string>{};
}

// What the rule sees this round: one observation, or one per connector.
// `threshold` gets what the value is compared with, for templates.
Result<std::vector<Observation>> Observe(const AlertRuleConfig& rule, const Config& config,
                                         const AlertInputs& inputs,
                                         const std::optional<SnapshotDocument>& snapshot,
                                         int64_t now_ms, double* threshold) {
  const double stale_seconds = static_cast<double>(rule.stale_after.count()) / 1000.0;
  std::vector<Observation> out;
  switch (rule.kind) {
    case AlertRuleKind::kCondition: {
      auto condition = ParseCondition(rule.when);
      if (!condition.ok()) {
        return condition.status().WithContext("alerts: rule \"" + rule.name + "\": when");
      }
      *threshold = condition->threshold;
      // No snapshot yet: a condition on it has no value, so it does not hold.
      if (!snapshot) {
        out.push_back({});
        return out;
      }
      const ConditionSurroundings around = SurroundingsOf(*condition, *snapshot);
      out.push_back({.result = EvaluateCondition(*condition, *snapshot),
                     .unit = SnapshotFigureUnit(around),
                     .context = SnapshotContext(around)});
      return out;
    }
    case AlertRuleKind::kSnapshotStale: {
      *threshold = stale_seconds;
      const int64_t since = snapshot ? inputs.snapshot_computed_at : inputs.watching_since_ms;
      const double age = SecondsSince(since, now_ms);
      out.push_back({.result = {.value = age, .holds = age > stale_seconds},
                     .unit = {.kind = FigureKind::kSeconds}});
      return out;
    }
    case AlertRuleKind::kConnectorStale:
    case AlertRuleKind::kConnectorFailing:
      break;
  }
  const bool stale = rule.kind == AlertRuleKind::kConnectorStale;
  *threshold = stale ? stale_seconds : rule.failing_runs;
  for (const ConnectorConfig& connector : config.connectors) {
    // A connector is as stale as its stalest stream; a stream that never
    // succeeded is stale since the caller began watching.
    int64_t oldest_success = now_ms;
    int64_t failures = 0;
    for (const std::string& stream : StreamsOf(connector)) {
      const StreamState* state = nullptr;
      for (const StreamState& s : inputs.streams) {
        if (s.connector == connector.name && s.stream == stream) state = &s;
      }
      const int64_t success = state != nullptr && state->last_success_at ? *state->last_success_at
                                                                         : inputs.watching_since_ms;
      oldest_success = std::min(oldest_success, success);
      if (state != nullptr) failures = std::max(failures, state->failures_in_a_row);
    }
    ConditionResult r;
    if (stale) {
      r.value = SecondsSince(oldest_success, now_ms);
      r.holds = *r.value > stale_seconds;
    } else {
      r.value = static_cast<double>(failures);
      r.holds = failures >= rule.failing_runs;
    }
    out.push_back({.instance = connector.name,
                   .result = r,
                   .unit = stale ? FigureUnit{.kind = FigureKind::kSeconds}
                                 : FigureUnit{.kind = FigureKind::kCount, .noun = "failed runs"}});
  }
  return out;
}

std::string DefaultSummary(AlertRuleKind kind) {
  switch (kind) {
    case AlertRuleKind::kConnectorStale:
      return kConnectorStaleSummary;
    case AlertRuleKind::kConnectorFailing:
      return kConnectorFailingSummary;
    case AlertRuleKind::kSnapshotStale:
      return kSnapshotStaleSummary;
    case AlertRuleKind::kCondition:
      break;
  }
  return "";
}

AlertNotice NoticeOf(const AlertEvaluation& e, bool firing, int64_t now_ms) {
  return AlertNotice{.firing = firing,
                     .labels = e.labels,
                     .annotations = e.annotations,
                     .starts_at_ms = e.fired_at_ms != 0 ? e.fired_at_ms : now_ms,
                     .ends_at_ms = firing ? 0 : now_ms,
                     .value = e.value,
                     .unit = e.unit,
                     .context = e.context};
}

// What a receiver gets: the format it asked for. `readable`: an email as a
// person reads it (Subject and the text part) instead of its MIME encoding.
std::string Payload(const NotificationGroup& group, const ReceiverConfig& receiver,
                    const std::string& key, int64_t now_ms, bool readable) {
  if (receiver.type == "email" && readable) {
    return "Subject: " + AlertEmailSubject(group) + "\n\n" + AlertEmailText(group);
  }
  if (receiver.type == "email") {
    return AlertEmail(group, {.from = receiver.from, .to = receiver.to}, key, now_ms);
  }
  return receiver.format == "slack" ? SlackWebhookBody(group) : AlertmanagerWebhookBody(group);
}

// The outbox row of a planned notification, rendered for its receiver;
// nullopt when the route names a receiver the config lacks (`check` refuses
// that).
std::optional<OutboxRow> Render(NotificationPlan& plan, const Config& config, int64_t now_ms,
                                bool readable = false) {
  const ReceiverConfig* receiver = config.alerts.FindReceiver(plan.group.receiver);
  if (receiver == nullptr) return std::nullopt;
  plan.group.external_url = config.status.external_url;
  // One key per (group, round): a round redone after a crash before its
  // commit queues under a new time, and one that committed is not redone.
  const std::string key =
      "n-" + AlertFingerprint({{"group", plan.group_id}, {"at", std::to_string(now_ms)}});
  return OutboxRow{.idempotency_key = key,
                   .receiver = receiver->name,
                   .created_at = now_ms,
                   .payload = Payload(plan.group, *receiver, key, now_ms, readable),
                   .next_attempt_at = now_ms};
}

}  // namespace

Result<AlertInputs> ReadAlertInputs(Store& store, int64_t watching_since_ms) {
  AlertInputs inputs;
  inputs.watching_since_ms = watching_since_ms;
  auto latest = store.LatestSnapshot();
  if (!latest.ok()) return latest.status();
  if (*latest) {
    inputs.snapshot_json = std::move((*latest)->json);
    inputs.snapshot_computed_at = (*latest)->computed_at;
  }
  auto streams = store.ListStreamStates();
  if (!streams.ok()) return streams.status();
  inputs.streams = std::move(*streams);
  return inputs;
}

Result<AlertRoundPlan> PlanAlertRound(Store& store, const Config& config, const AlertInputs& inputs,
                                      const AlertRoundOptions& options, int64_t now_ms) {
  const AlertsConfig& alerts = config.alerts;
  if (!options.only_rule.empty() &&
      std::none_of(alerts.rules.begin(), alerts.rules.end(),
                   [&](const AlertRuleConfig& r) { return r.name == options.only_rule; })) {
    return Status::NotFound("alerts: no rule \"" + options.only_rule + "\"");
  }
  AlertRoundPlan plan;
  // An unreadable snapshot (stored by an older version) must not stop the
  // built-in checks: they are what says that audits are not working.
  std::optional<SnapshotDocument> snapshot;
  if (inputs.snapshot_json) {
    auto parsed = SnapshotDocument::Parse(*inputs.snapshot_json);
    if (parsed.ok()) {
      snapshot = std::move(*parsed);
    } else {
      plan.snapshot_problem = "the latest snapshot is unreadable: " + parsed.status().message();
    }
  }
  auto stored = store.AlertStates();
  if (!stored.ok()) return stored.status();
  auto silence_rows = store.Silences();
  if (!silence_rows.ok()) return silence_rows.status();
  std::vector<Silence> silences;
  for (const SilenceRow& row : *silence_rows) silences.push_back(SilenceFromRow(row));

  std::set<AlertKey> seen;
  std::map<AlertKey, const AlertStateRow*> previous;
  for (const AlertStateRow& row : *stored) previous[{row.rule, row.instance}] = &row;
  for (const AlertRuleConfig& rule : alerts.rules) {
    if (!options.only_rule.empty() && rule.name != options.only_rule) continue;
    double threshold = 0;
    auto observations = Observe(rule, config, inputs, snapshot, now_ms, &threshold);
    if (!observations.ok()) return observations.status();
    for (const Observation& o : *observations) {
      AlertEvaluation e;
      e.key = {rule.name, o.instance};
      seen.insert(e.key);
      auto before = previous.find(e.key);
      const AlertState state_before =
          before == previous.end() ? AlertState{} : StateFrom(*before->second);
      const AlertStep step =
          StepAlert(state_before,
                    {.for_duration = rule.for_duration, .keep_firing_for = rule.keep_firing_for},
                    o.result, now_ms);
      e.value = step.state.value;
      e.holds = o.result.holds;
      e.phase_before = AlertPhaseName(state_before.phase);
      e.phase_after = AlertPhaseName(step.state.phase);
      e.fired = step.change == AlertChange::kFired;
      e.resolved = step.change == AlertChange::kResolved;
      e.fired_at_ms = step.state.fired_at_ms;
      e.unit = o.unit;
      e.context = o.context;
      e.labels = rule.labels;
      e.labels["alertname"] = rule.name;
      if (!rule.severity.empty()) e.labels["severity"] = rule.severity;
      if (!o.instance.empty()) e.labels["connector"] = o.instance;
      const AlertTemplateValues values{.value = step.state.value,
                                       .threshold = threshold,
                                       .unit = o.unit,
                                       .rule = rule.name,
                                       .severity = rule.severity,
                                       .state = AlertPhaseName(step.state.phase),
                                       .labels = e.labels};
      const std::string summary = rule.summary.empty() ? DefaultSummary(rule.kind) : rule.summary;
      if (!summary.empty()) e.annotations["summary"] = RenderAlertTemplate(summary, values);
      if (!rule.description.empty()) {
        e.annotations["description"] = RenderAlertTemplate(rule.description, values);
      }
      e.silenced = IsSilenced(e.labels, silences, now_ms);
      plan.states.push_back(AlertStateRow{.rule = rule.name,
                                          .instance = o.instance,
                                          .phase = e.phase_after,
                                          .active_since = Known(step.state.active_since_ms),
                                          .fired_at = Known(step.state.fired_at_ms),
                                          .last_held_at = Known(step.state.last_held_ms),
                                          .resolved_at = Known(step.state.resolved_at_ms),
                                          .value = step.state.value,
                                          .labels_json = LabelSetToJson(e.labels),
                                          .annotations_json = LabelSetToJson(e.annotations)});
      plan.evaluations.push_back(std::move(e));
    }
  }
  // Alerts whose rule or connector left the config: resolved, then forgotten.
  for (const auto& [key, row] : previous) {
    if (seen.count(key) != 0) continue;
    if (!options.only_rule.empty() && key.rule != options.only_rule) continue;
    plan.removed.push_back(key);
    AlertEvaluation e;
    e.key = key;
    e.value = row->value;
    e.phase_before = row->phase;
    e.phase_after = "inactive";
    e.resolved = row->phase == "firing";
    e.fired_at_ms = row->fired_at.value_or(0);
    e.labels = LabelSetFromJson(row->labels_json);
    e.annotations = LabelSetFromJson(row->annotations_json);
    e.silenced = IsSilenced(e.labels, silences, now_ms);
    plan.evaluations.push_back(std::move(e));
  }

  std::vector<AlertNotice> notices;
  for (const AlertEvaluation& e : plan.evaluations) {
    const bool firing = e.phase_after == "firing";
    if (firing || e.resolved) notices.push_back(NoticeOf(e, firing, now_ms));
  }
  auto groups = store.AlertGroups();
  if (!groups.ok()) return groups.status();
  std::map<std::string, GroupMemory> memory;
  for (const AlertGroupRow& g : *groups) {
    GroupMemory& m = memory[g.group_id];
    m.last_sent_ms = g.last_sent_at.value_or(0);
    for (std::string& f : StringsFromJson(g.firing_json)) m.firing.insert(std::move(f));
  }
  for (NotificationPlan& p : PlanNotifications(notices, alerts, memory, silences, now_ms)) {
    plan.memories.push_back(AlertGroupRow{
        .group_id = p.group_id,
        .last_sent_at = Known(p.memory_after.last_sent_ms),
        .firing_json =
            StringsToJson({p.memory_after.firing.begin(), p.memory_after.firing.end()})});
    if (p.group.alerts.empty()) continue;
    if (auto row = Render(p, config, now_ms)) {
      plan.queued.push_back(std::move(*row));
    }
  }
  return plan;
}

Result<AlertRoundResult> RunAlertRound(Store& store, const Config& config,
                                       const AlertInputs& inputs, const AlertRoundOptions& options,
                                       int64_t now_ms) {
  // The router's memories cover every rule, so a round of one rule would
  // make the others' groups forget what they were told.
  if (!options.only_rule.empty()) {
    return Status::InvalidArgument("alerts: a round of one rule is a preview; it is not saved");
  }
  auto plan = PlanAlertRound(store, config, inputs, options, now_ms);
  if (!plan.ok()) return plan.status();
  if (Status s = store.SaveAlertRound(plan->states, plan->removed, plan->memories, plan->queued);
      !s.ok()) {
    return s;
  }
  AlertRoundResult result;
  result.snapshot_problem = plan->snapshot_problem;
  result.rules = static_cast<int>(config.alerts.rules.size());
  for (const AlertEvaluation& e : plan->evaluations) {
    if (e.phase_after != "inactive") ++result.active[{e.key.rule, e.phase_after}];
  }
  result.queued = static_cast<int>(plan->queued.size());
  return result;
}

std::vector<OutboxRow> PreviewNotifications(const Config& config,
                                            const std::vector<AlertEvaluation>& evaluations,
                                            int64_t now_ms) {
  std::vector<AlertNotice> notices;
  for (const AlertEvaluation& e : evaluations) notices.push_back(NoticeOf(e, true, now_ms));
  std::vector<OutboxRow> out;
  for (NotificationPlan& p : PlanNotifications(notices, config.alerts, {}, {}, now_ms)) {
    if (p.group.alerts.empty()) continue;
    if (auto row = Render(p, config, now_ms, /*readable=*/true)) {
      out.push_back(std::move(*row));
    }
  }
  return out;
}

}  // namespace salesaudit

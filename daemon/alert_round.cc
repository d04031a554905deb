#include "daemon/alert_round.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <map>
#include <vector>

#include "alerts/condition.h"
#include "alerts/email_message.h"
#include "alerts/lifecycle.h"
#include "alerts/notification.h"
#include "alerts/router.h"
#include "alerts/silence.h"

namespace salesaudit {
namespace {

std::string LabelSetJson(const LabelSet& labels) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  for (const auto& [k, v] : labels) {
    w.Key(k.c_str(), static_cast<rapidjson::SizeType>(k.size()));
    w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
  }
  w.EndObject();
  return buf.GetString();
}

std::string StringsJson(const std::set<std::string>& values) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartArray();
  for (const std::string& v : values) {
    w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
  }
  w.EndArray();
  return buf.GetString();
}

// The strings of a JSON array; empty for anything else.
std::vector<std::string> StringsFromJson(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse(json.c_str(), json.size());
  std::vector<std::string> out;
  if (doc.HasParseError() || !doc.IsArray()) return out;
  for (const auto& v : doc.GetArray()) {
    if (v.IsString()) out.emplace_back(v.GetString(), v.GetStringLength());
  }
  return out;
}

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

AlertStateRow RowFrom(const std::string& rule, const AlertState& s, const LabelSet& labels,
                      const LabelSet& annotations) {
  return AlertStateRow{.rule = rule,
                       .phase = AlertPhaseName(s.phase),
                       .active_since = Known(s.active_since_ms),
                       .fired_at = Known(s.fired_at_ms),
                       .last_held_at = Known(s.last_held_ms),
                       .resolved_at = Known(s.resolved_at_ms),
                       .value = s.value,
                       .labels_json = LabelSetJson(labels),
                       .annotations_json = LabelSetJson(annotations)};
}

// What a receiver gets: the format it asked for.
std::string Payload(const NotificationGroup& group, const ReceiverConfig& receiver,
                    const std::string& key, int64_t now_ms) {
  if (receiver.type == "email") {
    return AlertEmail(group, {.from = receiver.from, .to = receiver.to}, key, now_ms);
  }
  return receiver.format == "slack" ? SlackWebhookBody(group) : AlertmanagerWebhookBody(group);
}

}  // namespace

Result<AlertRoundResult> RunAlertRound(Store& store, const AlertsConfig& alerts,
                                       const std::string& snapshot_json,
                                       const std::string& external_url, int64_t now_ms) {
  auto snapshot = SnapshotDocument::Parse(snapshot_json);
  if (!snapshot.ok()) return snapshot.status().WithContext("alerts");
  auto stored = store.AlertStates();
  if (!stored.ok()) return stored.status();
  std::map<std::string, AlertState> previous;
  for (const AlertStateRow& row : *stored) previous[row.rule] = StateFrom(row);

  AlertRoundResult result;
  std::vector<AlertStateRow> states;
  std::vector<AlertNotice> notices;
  for (const AlertRuleConfig& rule : alerts.rules) {
    auto condition = ParseCondition(rule.when);
    if (!condition.ok()) {
      return condition.status().WithContext("alerts: rule \"" + rule.name + "\": when");
    }
    const AlertStep step =
        StepAlert(previous[rule.name],
                  {.for_duration = rule.for_duration, .keep_firing_for = rule.keep_firing_for},
                  EvaluateCondition(*condition, *snapshot), now_ms);
    LabelSet labels = rule.labels;
    labels["alertname"] = rule.name;
    if (!rule.severity.empty()) labels["severity"] = rule.severity;
    const AlertTemplateValues values{.value = step.state.value,
                                     .threshold = condition->threshold,
                                     .rule = rule.name,
                                     .severity = rule.severity,
                                     .state = AlertPhaseName(step.state.phase),
                                     .labels = labels};
    LabelSet annotations;
    if (!rule.summary.empty()) annotations["summary"] = RenderAlertTemplate(rule.summary, values);
    if (!rule.description.empty()) {
      annotations["description"] = RenderAlertTemplate(rule.description, values);
    }
    states.push_back(RowFrom(rule.name, step.state, labels, annotations));
    ++result.rules;
    const bool firing = step.state.phase == AlertPhase::kFiring;
    if (!firing && step.change != AlertChange::kResolved) continue;
    result.firing += firing ? 1 : 0;
    notices.push_back(AlertNotice{.firing = firing,
                                  .labels = labels,
                                  .annotations = annotations,
                                  .starts_at_ms = step.state.fired_at_ms,
                                  .ends_at_ms = firing ? 0 : step.state.resolved_at_ms,
                                  .value = step.state.value});
  }

  auto groups = store.AlertGroups();
  if (!groups.ok()) return groups.status();
  std::map<std::string, GroupMemory> memory;
  for (const AlertGroupRow& g : *groups) {
    GroupMemory& m = memory[g.group_id];
    m.last_sent_ms = g.last_sent_at.value_or(0);
    for (std::string& f : StringsFromJson(g.firing_json)) m.firing.insert(std::move(f));
  }
  auto silence_rows = store.Silences();
  if (!silence_rows.ok()) return silence_rows.status();
  std::vector<Silence> silences;
  for (const SilenceRow& row : *silence_rows) {
    Silence s{.id = row.id, .starts_at_ms = row.starts_at, .ends_at_ms = row.ends_at};
    for (const std::string& text : StringsFromJson(row.matchers_json)) {
      auto m = ParseMatcher(text);
      if (m.ok()) s.matchers.push_back(*m);
    }
    silences.push_back(std::move(s));
  }

  std::vector<AlertGroupRow> memories;
  std::vector<OutboxRow> queued;
  for (NotificationPlan& plan :
       PlanNotifications(notices, alerts.route, memory, silences, now_ms)) {
    memories.push_back(AlertGroupRow{.group_id = plan.group_id,
                                     .last_sent_at = Known(plan.memory_after.last_sent_ms),
                                     .firing_json = StringsJson(plan.memory_after.firing)});
    if (plan.group.alerts.empty()) continue;
    const ReceiverConfig* receiver = nullptr;
    for (const ReceiverConfig& r : alerts.receivers) {
      if (r.name == plan.group.receiver) receiver = &r;
    }
    if (receiver == nullptr) continue;  // `check` refuses routes to unknown receivers
    plan.group.external_url = external_url;
    // One key per (group, round): a round redone after a crash before its
    // commit queues under a new time, and one that committed is not redone.
    const std::string key =
        "n-" + AlertFingerprint({{"group", plan.group_id}, {"at", std::to_string(now_ms)}});
    queued.push_back(OutboxRow{.idempotency_key = key,
                               .receiver = receiver->name,
                               .created_at = now_ms,
                               .payload = Payload(plan.group, *receiver, key, now_ms),
                               .next_attempt_at = now_ms});
  }
  if (Status s = store.SaveAlertRound(states, memories, queued); !s.ok()) return s;
  result.queued = static_cast<int>(queued.size());
  return result;
}

}  // namespace salesaudit

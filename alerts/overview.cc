#include "alerts/overview.h"

#include "alerts/lifecycle.h"
#include "alerts/stored_json.h"
#include "core/text_table.h"
#include "core/time_util.h"

namespace salesaudit {

Result<AlertsOverview> ReadAlertsOverview(Store& store, int64_t now_ms) {
  auto states = store.AlertStates();
  if (!states.ok()) return states.status();
  auto silences = store.Silences();
  if (!silences.ok()) return silences.status();
  auto waiting = store.WaitingNotifications();
  if (!waiting.ok()) return waiting.status();
  AlertsOverview overview;
  for (AlertStateRow& row : *states) {
    if (row.phase != "pending" && row.phase != "firing") continue;
    ++(row.phase == "firing" ? overview.firing : overview.pending);
    overview.active.push_back(std::move(row));
  }
  for (const SilenceRow& row : *silences) {
    overview.silences_active += row.starts_at <= now_ms && now_ms < row.ends_at ? 1 : 0;
  }
  overview.notifications_pending = waiting->waiting;
  return overview;
}

std::string AlertsOverviewJson(const AlertsOverview& overview) {
  JsonWriter w;
  w.StartObject();
  w.Key("firing");
  w.Int(overview.firing);
  w.Key("pending");
  w.Int(overview.pending);
  w.Key("silences_active");
  w.Int(overview.silences_active);
  w.Key("notifications_pending");
  w.Int64(overview.notifications_pending);
  w.Key("active");
  w.StartArray();
  for (const AlertStateRow& row : overview.active) {
    w.StartObject();
    WriteAlertFields(w, row, AlertSummary(row));
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return w.TakeString();
}

std::string AlertsOverviewText(const AlertsOverview& overview) {
  std::string out = "alerts: " + std::to_string(overview.firing) + " firing, " +
                    std::to_string(overview.pending) + " pending, " +
                    std::to_string(overview.silences_active) + " silence(s) active, " +
                    std::to_string(overview.notifications_pending) + " notification(s) waiting\n";
  TextTable table("  ");
  for (const AlertStateRow& row : overview.active) {
    const TimeMs since = AlertSince(row);
    table.Add({row.rule, row.instance.empty() ? "-" : row.instance, row.phase,
               "since " + (since ? FormatIsoMs(*since) : "-"),
               "value " + AlertValueText(row.value)});
  }
  return out + table.Render();
}

TimeMs AlertSince(const AlertStateRow& row) {
  if (row.phase == "pending") return row.active_since;
  if (row.phase == "firing") return row.fired_at;
  return row.resolved_at;
}

std::string AlertSummary(const AlertStateRow& row) {
  const LabelSet annotations = LabelSetFromJson(row.annotations_json);
  const auto summary = annotations.find("summary");
  return summary == annotations.end() ? "" : summary->second;
}

std::string AlertValueText(const std::optional<double>& value, const FigureUnit& unit) {
  return value ? FigureWithUnit(*value, unit) : std::string("n/a");
}

void WriteAlertConnector(JsonWriter& w, const std::string& instance) {
  if (instance.empty()) {
    w.Null();
  } else {
    w.String(instance);
  }
}

void WriteAlertFields(JsonWriter& w, const AlertStateRow& row, const std::string& summary) {
  w.Key("rule");
  w.String(row.rule);
  w.Key("connector");
  WriteAlertConnector(w, row.instance);
  w.Key("phase");
  w.String(row.phase);
  w.Key("since");
  w.Time(AlertSince(row));
  w.Key("value");
  w.OptionalDouble(row.value);
  w.Key("summary");
  w.OptionalString(summary.empty() ? nullptr : &summary);
}

}  // namespace salesaudit

// The alerts as the operator sees them: the pending and firing ones with
// counts of silences and waiting notifications (what `salesaudit status` and
// /api/v1/status show), and the fields every view of one alert shares
// (`alerts`, `alerts test`, `status`).
//
// Threading: free functions; the store does its own locking.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "alerts/figure.h"
#include "core/json_writer.h"
#include "core/records.h"
#include "core/status.h"
#include "store/store.h"

namespace salesaudit {

struct AlertsOverview {
  std::vector<AlertStateRow> active;  // pending or firing, by rule then connector
  int firing = 0;
  int pending = 0;
  int silences_active = 0;
  int64_t notifications_pending = 0;  // neither delivered nor dropped
};

Result<AlertsOverview> ReadAlertsOverview(Store& store, int64_t now_ms);

// {"firing":N,"pending":N,"silences_active":N,"notifications_pending":N,
//  "active":[{"rule","connector","phase","since","value","summary"}]}, times ISO-8601.
std::string AlertsOverviewJson(const AlertsOverview& overview);

// "alerts: 1 firing, 0 pending, ..." and one indented line per active alert.
std::string AlertsOverviewText(const AlertsOverview& overview);

// When the alert entered its phase: pending since the condition began to
// hold, firing since it fired, inactive since it resolved (never fired: none).
TimeMs AlertSince(const AlertStateRow& row);

// The alert's `summary` annotation, "" when it has none.
std::string AlertSummary(const AlertStateRow& row);

// A value as text with its unit; "n/a" when there is none. Stored states
// keep no unit: their values show as plain numbers.
std::string AlertValueText(const std::optional<double>& value, const FigureUnit& unit = {});

// The connector member of an alert: its name, or null for a rule's only alert.
void WriteAlertConnector(JsonWriter& w, const std::string& instance);

// The members every JSON view of an alert has: rule, connector, phase,
// since, value, summary (null when empty).
void WriteAlertFields(JsonWriter& w, const AlertStateRow& row, const std::string& summary);

}  // namespace salesaudit

// The alert operator commands (issue 5): `salesaudit alerts` lists the alert
// states, the active silences and the notification outbox; `alerts test
// RULE` evaluates one rule now and shows what would be sent, saving nothing;
// `silence add|list|expire` manage silences. Also the alerts part of
// `salesaudit status`. Each command returns the process exit code (0 success,
// 1 failure, 2 usage or config error). Output never holds a secret: payloads
// are shown only by `alerts test`, with every configured secret redacted.
// Called on the main thread.
//
//   if (command == "silence") return SilenceCommand(config_path, rest);
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "store/store.h"

namespace salesaudit {

// `salesaudit alerts [--format text|json]` and `alerts test RULE [...]`;
// `args` follow the word "alerts".
int AlertsCommand(const std::string& config_path, const std::vector<std::string>& args);

// `salesaudit silence add|list|expire ...`; `args` follow the word "silence".
int SilenceCommand(const std::string& config_path, const std::vector<std::string>& args);

// What `status` shows of the alerts: the pending and firing ones and counts.
struct AlertsOverview {
  std::vector<AlertStateRow> active;  // pending or firing, by rule then connector
  int firing = 0;
  int pending = 0;
  int silences_active = 0;
  int64_t notifications_pending = 0;  // neither delivered nor dropped
};

Result<AlertsOverview> ReadAlertsOverview(Store& store, int64_t now_ms);

// {"firing":N,"pending":N,"silences_active":N,"notifications_pending":N,
//  "active":[{"rule","connector","phase","since","value"}]}, times ISO-8601.
std::string AlertsOverviewJson(const AlertsOverview& overview);

// "alerts: 1 firing, 0 pending, ..." and one indented line per active alert.
std::string AlertsOverviewText(const AlertsOverview& overview);

}  // namespace salesaudit

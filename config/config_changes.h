// What a reload changes: the running config against the one just loaded,
// as the lines the daemon logs on SIGHUP. Secret values (auth values,
// receiver secrets and passwords, the status token) are never shown: a
// changed one reads "token changed". Pure functions of two Configs; no I/O.
//
//   std::vector<std::string> warnings = KeepStartOnlySettings(running, &next);
//   for (const std::string& line : DescribeConfigChanges(running, next, types)) log(line);
#pragma once

#include <string>
#include <vector>

#include "config/config.h"

namespace salesaudit {

// The settings the daemon reads only when it starts (store.path, and with
// it the connectors' state_dir; status.listen, token, max_connections,
// request_timeout and dashboard_refresh, which set up the status server)
// take `running`'s values in `next`. Returns one warning per such setting
// that `next` changed, naming the key and saying the running value is kept
// until a restart.
std::vector<std::string> KeepStartOnlySettings(const Config& running, Config* next);

// One line per change from `running` to `next`: a connector, receiver or
// alert rule added or removed; for one that changed, its name and each key
// that changed ("connector crm: poll_interval 15m -> 5m, streams [contacts,
// deals] -> [contacts], token changed"); the route, alerts, audit, team,
// spend, status and log sections likewise. {"no changes"} when none. The
// connectors' own options are compared through their type's schema among
// `connector_types`, so an option left out reads as its default.
std::vector<std::string> DescribeConfigChanges(const Config& running, const Config& next,
                                               const ConnectorSchemas& connector_types);

}  // namespace salesaudit

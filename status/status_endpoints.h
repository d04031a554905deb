// The status server's routes (issue: "Endpoints"): /healthz (the daemon's
// loop answers), /readyz (store open, config loaded, schedules running;
// ?verbose lists each check), /metrics (GlobalMetrics in Prometheus' text
// format), /api/v1/snapshot (the latest snapshot JSON), /api/v1/status (what
// `salesaudit status --format json` prints, at most 5 s old: it counts rows)
// and / (the live dashboard: the HTML report of the latest snapshot with the
// sync status, reloading itself).
//
// Threading: the handlers run on the server's thread and read the daemon
// only through DaemonView, whose functions must be thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "status/status_server.h"
#include "store/store.h"

namespace salesaudit {

struct ReadinessCheck {
  std::string name;  // "store", "config", "schedules"
  bool ok = false;
  std::string detail;  // why not, when not ok
};

// What the endpoints may read of the running daemon.
struct DaemonView {
  // True when the daemon's loop ran a task posted to it within `timeout`.
  std::function<bool(std::chrono::milliseconds timeout)> loop_answers;
  std::function<std::vector<ReadinessCheck>()> readiness;
  std::function<std::shared_ptr<const Config>()> config;  // the running one
  Store* store = nullptr;                                 // thread-safe; outlives the server
  int dashboard_refresh_seconds = 30;
};

void RegisterStatusEndpoints(StatusServer& server, DaemonView view);

}  // namespace salesaudit

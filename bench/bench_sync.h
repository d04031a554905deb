// What the sync benchmarks share: one timed connector run and the requests
// it sent.
#pragma once

#include <string>
#include <vector>

#include "sync/sync_engine.h"

namespace salesaudit::bench {

// One RunConnector of `engine`, timed: its results, wall seconds and the
// client's CPU seconds (user + system of this process). Runs of one engine
// share its request budgets, as a daemon's polls do.
struct TimedSync {
  std::vector<StreamSyncResult> results;
  double wall_s = 0;
  double cpu_s = 0;
};
TimedSync RunTimed(SyncEngine& engine, const ConnectorConfig& config, const SyncRequest& request);

// The sum of the series of the counter `family` labelled with `connector`
// (salesaudit_api_requests_total: the requests it sent).
double CounterOf(const std::string& family, const std::string& connector);

}  // namespace salesaudit::bench

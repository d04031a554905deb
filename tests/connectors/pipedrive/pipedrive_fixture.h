// Shared set-up for the Pipedrive connector tests: a simulator on loopback,
// a store in a temp dir, a connector config pointing at the simulator, and an
// independent check that the store holds exactly the simulator's company:
// persons (primary emails, owners, channels), deals with their person,
// owners, and the effective stage dates, recomputed from the company's own
// leads, activities and deals.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "store/store.h"
#include "sync/sync_engine.h"
#include "tests/sim/pipedrive/pipedrive_sim.h"
#include "tests/support/differences.h"
#include "tests/support/subprocess.h"
#include "tests/support/sync_results.h"

namespace salesaudit::testing {

// A person's effective funnel, as v_contact_funnel gives it.
struct PersonFunnel {
  std::optional<int64_t> created_at, mql_at, contacted_at, sql_at, won_at;
  std::string channel;
  bool operator==(const PersonFunnel&) const = default;
};

struct PipedriveFixture {
  // The simulator and every Sync() read `clock`, which must outlive the
  // fixture: a ManualClock moves the company and the engine together.
  explicit PipedriveFixture(const sim::PdCompanySpec& spec, sim::PipedriveSimOptions options = {},
                            const Clock& clock = Clock::Default());

  // One sync pass of every stream, as `salesaudit sync` does.
  std::vector<StreamSyncResult> Sync(bool full = false);

  // Describes every difference between the store and the company; empty
  // when they agree. `channel_field`: the person field `fields: {channel:}`
  // names ("" when none: channels then come from leads).
  std::vector<std::string> DifferencesFromCompany(const std::string& channel_field = "");

  TempDir dir;
  const Clock& clock;
  sim::PipedriveSim sim;
  std::unique_ptr<Store> store;
  ConnectorConfig config;
};

// A company small enough that a first sync takes well under a second.
sim::PdCompanySpec SmallCompany();

}  // namespace salesaudit::testing

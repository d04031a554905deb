// Shared set-up for the HubSpot connector tests: a simulator on loopback, a
// store in a temp dir, a connector config pointing at the simulator, and an
// independent check that the store holds exactly the simulator's portal.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "store/store.h"
#include "sync/sync_engine.h"
#include "tests/sim/hubspot/hubspot_sim.h"
#include "tests/support/subprocess.h"

namespace salesaudit::testing {

struct HubSpotFixture {
  // The simulator and every Sync() read `clock`, which must outlive the
  // fixture: a ManualClock moves the portal and the engine together.
  explicit HubSpotFixture(const sim::PortalSpec& spec,
                          sim::SimOptions options = sim::SimOptions::WithoutRateLimits(),
                          const Clock& clock = Clock::Default());

  // One sync pass of every stream, as `salesaudit sync` does.
  std::vector<StreamSyncResult> Sync(bool full = false);

  // Describes every difference between the store and the portal (contacts,
  // deals, associations of live deals, owners); empty when they agree.
  std::vector<std::string> DifferencesFromPortal();

  // The config file text for the salesaudit binary against this simulator.
  std::string ConfigYaml() const;

  TempDir dir;
  const Clock& clock;
  sim::SimOptions options;
  sim::HubSpotSim sim;
  std::unique_ptr<Store> store;
  ConnectorConfig config;
};

// A portal small enough that a first sync takes well under a second.
sim::PortalSpec SmallPortal();

// For tests that run the daemon on the fixture's config: the port of
// "status server on http://127.0.0.1:PORT/ (dashboard, ...)" in its log, or 0.
uint16_t PortFromLog(const std::string& log);

// Row counts of the data tables, a digest of contacts' modified dates and,
// when include_cursors, every cursor: to compare a store before and after.
std::string StoreFingerprint(Store& store, bool include_cursors = true);

}  // namespace salesaudit::testing

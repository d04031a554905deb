// Shared set-up for the Salesforce connector tests: a simulator on loopback,
// a store in a temp dir, a connector config pointing at the simulator, and an
// independent check that the store holds exactly the simulator's org: one
// row per person, owners, deals, links and the effective stage dates,
// recomputed from the org's own records.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "store/store.h"
#include "sync/sync_engine.h"
#include "tests/sim/salesforce/salesforce_sim.h"
#include "tests/support/differences.h"
#include "tests/support/subprocess.h"
#include "tests/support/sync_results.h"

namespace salesaudit::testing {

// A person's effective funnel dates, as v_contact_funnel gives them.
struct FunnelRow {
  std::optional<int64_t> created_at, mql_at, contacted_at, sql_at, won_at, deleted_at;
  std::string channel, owner_id;
  bool operator==(const FunnelRow&) const = default;
};

struct SalesforceFixture {
  // The simulator and every Sync() read `clock`, which must outlive the
  // fixture: a ManualClock moves the org and the engine together.
  explicit SalesforceFixture(const sim::OrgSpec& spec, sim::SalesforceSimOptions options = {},
                             const Clock& clock = Clock::Default());

  // One sync pass of every stream, as `salesaudit sync` does.
  // `on_page` runs after each committed page (SyncRequest::on_page).
  std::vector<StreamSyncResult> Sync(bool full = false,
                                     std::function<void(const SyncProgress&)> on_page = {});

  // Describes every difference between the store and the org (persons,
  // deals, links of live deals, owners, effective stage dates); empty when
  // they agree.
  std::vector<std::string> DifferencesFromOrg();

  // v_contact_funnel's rows of this connector, by person id.
  std::map<std::string, FunnelRow> StoredFunnel() const;
  // What v_contact_funnel must hold, computed from the org's records.
  std::map<std::string, FunnelRow> ExpectedFunnel() const;

  // The config file text for the salesaudit binary against this simulator
  // (credentials from TEST_SF_CLIENT_ID, TEST_SF_CLIENT_SECRET and
  // TEST_SF_REFRESH_TOKEN).
  std::string ConfigYaml() const;

  TempDir dir;
  const Clock& clock;
  sim::SalesforceSimOptions options;
  sim::SalesforceSim sim;
  std::unique_ptr<Store> store;
  ConnectorConfig config;
};

// An org small enough that a first sync takes well under a second.
sim::OrgSpec SmallOrg();

}  // namespace salesaudit::testing

// Three CRMs end to end: a HubSpot portal, a Salesforce org (leads with
// status history, conversions, contact roles, queue-owned leads) and a
// Pipedrive company (persons dated by leads, done activities and deals; their
// channels from leads) synced over HTTP into one store; the audit snapshot is then checked against
// the outside verifier's recomputation from the store's documented tables and views (recompute.h),
// source by source and together.
#include <sqlite3.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <stdexcept>

#include "audit/snapshot.h"
#include "connectors/connector.h"
#include "connectors/salesforce/salesforce_streams.h"
#include "store/store.h"
#include "sync/sync_engine.h"
#include "tests/audit/recompute.h"
#include "tests/audit/recompute_checks.h"
#include "tests/sim/hubspot/hubspot_sim.h"
#include "tests/sim/pipedrive/pipedrive_sim.h"
#include "tests/sim/salesforce/salesforce_sim.h"
#include "tests/support/subprocess.h"

namespace salesaudit::testing {
namespace {

using verifier::At;
using verifier::Channel;
using verifier::CheckAllFinite;
using verifier::CheckCounts;
using verifier::CheckMoney;
using verifier::CheckRates;
using verifier::CheckStats;
using verifier::Expected;

constexpr int64_t kDayMs = 86'400'000;

// The three simulators synced into one store in a temp dir.
struct ThreeCrms {
  ThreeCrms() : salesforce(OrgSpec()), pipedrive(CompanySpec()) {
    sim::PortalSpec portal;
    portal.seed = 31;
    portal.contacts = 400;
    portal.deals = 80;
    portal.owners = 4;
    portal.email_campaigns = 0;
    hubspot.Generate(portal);
    if (hubspot.Start() == 0 || salesforce.Start() == 0 || pipedrive.Start() == 0) {
      throw std::runtime_error("a simulator did not start");
    }
    auto opened = Store::Open(dir.File("salesaudit.db"));
    if (!opened.ok()) throw std::runtime_error(opened.status().ToString());
    store = std::move(opened).value();

    ConnectorConfig crm;
    crm.name = "crm";
    crm.type = "hubspot";
    crm.base_url = hubspot.base_url();
    crm.auth["token"] = sim::SimOptions{}.token;
    crm.streams = {"owners", "contacts", "deals"};
    ConnectorConfig sf;
    sf.name = "sf";
    sf.type = "salesforce";
    sf.state_dir = dir.path();
    const sim::SalesforceSimOptions org;
    sf.auth = {{"client_id", org.client_id},
               {"client_secret", org.client_secret},
               {"refresh_token", org.refresh_token},
               {"login_url", salesforce.base_url()}};
    sf.options.Set(salesforce::kCurrencyOption, std::string("USD"));
    ConnectorConfig pd;
    pd.name = "pd";
    pd.type = "pipedrive";
    pd.base_url = pipedrive.base_url();
    pd.auth["api_token"] = pipedrive.api_token();
    for (ConnectorConfig* c : {&crm, &sf, &pd}) {
      c->rate_limit = RateLimit{};
      SyncEngine engine(*store, BuiltinConnectors());
      std::atomic<bool> cancel{false};
      for (const StreamSyncResult& r : engine.RunConnector(*c, SyncRequest{}, cancel)) {
        if (!r.status.ok()) throw std::runtime_error(r.Summary());
      }
    }
  }

  static sim::OrgSpec OrgSpec() {
    sim::OrgSpec spec;
    spec.seed = 37;
    spec.leads = 600;
    spec.contacts_without_lead = 60;
    spec.opportunities = 60;
    return spec;
  }

  static sim::PdCompanySpec CompanySpec() {
    sim::PdCompanySpec spec;
    spec.seed = 41;
    spec.persons = 500;
    spec.deals = 150;
    spec.leads = 300;
    spec.activities = 600;
    spec.channel_share = 0;  // channels from leads alone
    return spec;
  }

  Expected Recompute(const AuditSettings& settings, int64_t from, int64_t to, int64_t now) {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(dir.File("salesaudit.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr) !=
        SQLITE_OK) {
      sqlite3_close(db);
      throw std::runtime_error("cannot open the store");
    }
    Expected e = verifier::Recompute(db, settings, from, to, now);
    sqlite3_close(db);
    return e;
  }

  TempDir dir;
  sim::HubSpotSim hubspot{sim::SimOptions::WithoutRateLimits()};
  sim::SalesforceSim salesforce;
  sim::PipedriveSim pipedrive;
  std::unique_ptr<Store> store;
};

TEST_CASE(
    "The audit over a HubSpot portal, a Salesforce org and a Pipedrive company in one store "
    "matches the verifier's recomputation",
    "[audit][recompute][salesforce][pipedrive]") {
  ThreeCrms crms;
  const int64_t now = Clock::Default().NowMs();
  AuditSettings settings;
  settings.period = AuditPeriod::kWeek;
  settings.leads_per_rep_per_week = 25;
  for (int64_t days : {400, 90}) {
    INFO("window: the last " << days << " days");
    const int64_t from = now - days * kDayMs;
    auto snapshot = ComputeSnapshot(*crms.store, settings, AuditWindow{from, now}, now);
    REQUIRE(snapshot.ok());
    auto json = SnapshotJson(*snapshot);
    REQUIRE(json.ok());
    rapidjson::Document doc;
    doc.Parse(json->c_str());
    REQUIRE_FALSE(doc.HasParseError());
    CheckAllFinite(doc);
    const Expected e = crms.Recompute(settings, from, now, now);

    // Both CRMs feed the funnel: their leads, conversions and won deals.
    REQUIRE(e.funnel.leads > 100);
    CHECK(e.funnel.contacted > 0);
    CHECK(e.funnel.sql > 0);
    CHECK(e.funnel.won > 0);
    const rapidjson::Value& funnel = At(doc, "funnel");
    CheckCounts(funnel, e.funnel);
    CheckRates(At(funnel, "rates"), e.funnel);
    const rapidjson::Value& by_channel = At(funnel, "by_channel");
    for (const auto& [channel, counts] : e.by_channel) {
      INFO("channel " << channel);
      const rapidjson::Value& row = Channel(by_channel, channel);
      CheckCounts(row, counts);
      CheckRates(At(row, "rates"), counts);
    }
    // Salesforce's LeadSource values, HubSpot's sources and the sources of
    // Pipedrive's leads are all channels.
    CHECK(e.by_channel.count("Web") == 1);
    CHECK(e.by_channel.count("PAID_SEARCH") == 1);
    CHECK(e.by_channel.count("Prospector") == 1);

    const rapidjson::Value& cycle = At(doc, "cycle_time_days");
    CheckStats(At(cycle, "all"), e.cycle_all);
    for (const auto& [channel, days_to_win] : e.cycle_by_channel) {
      INFO("cycle time of channel " << channel);
      CheckStats(At(At(cycle, "by_channel"), channel.c_str()), days_to_win);
    }

    const rapidjson::Value& revenue = At(doc, "revenue");
    CHECK(At(revenue, "won_deals").GetInt64() == e.won_deals);
    CHECK(At(revenue, "deals_with_amount").GetInt64() == e.deals_with_amount);
    CheckMoney(revenue, "total", e.total);
    CheckMoney(revenue, "unattributed", e.unattributed);

    const rapidjson::Value& quality = At(doc, "data_quality");
    for (const auto& [check, issue] : e.quality) {
      INFO("data quality check " << check);
      CHECK(At(At(quality, check.c_str()), "count").GetInt64() == issue.count);
    }
  }
}

}  // namespace
}  // namespace salesaudit::testing

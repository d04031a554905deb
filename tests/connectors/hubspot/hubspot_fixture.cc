#include "tests/connectors/hubspot/hubspot_fixture.h"

#include <cmath>
#include <map>
#include <set>

#include "connectors/connector.h"
#include "connectors/hubspot/hubspot_connector.h"
#include "core/time_util.h"
#include "tests/support/differences.h"

namespace salesaudit::testing {
namespace {

// What a property holds on the wire: absent or "" both mean unknown.
std::string Prop(const sim::SimObject& o, const std::string& name) {
  auto it = o.properties.find(name);
  return it == o.properties.end() ? std::string() : it->second;
}

TimeMs PropTime(const sim::SimObject& o, const std::string& name) {
  return ParseTimestampMs(Prop(o, name));
}

void CompareTime(std::vector<std::string>& diffs, const std::string& what, const TimeMs& stored,
                 const TimeMs& expected) {
  testing::CompareTime(diffs, what, stored, expected, "portal");
}

}  // namespace

sim::PortalSpec SmallPortal() {
  sim::PortalSpec spec;
  spec.seed = 23;
  spec.contacts = 150;
  spec.deals = 30;
  spec.owners = 3;
  spec.email_campaigns = 2;
  spec.events_per_campaign = 20;
  return spec;
}

uint16_t PortFromLog(const std::string& log) {
  const std::string marker = "status server on http://127.0.0.1:";
  const size_t at = log.find(marker);
  if (at == std::string::npos) return 0;
  const size_t digits = at + marker.size();
  const size_t end = log.find('/', digits);
  if (end == std::string::npos || end == digits) return 0;
  return static_cast<uint16_t>(std::stoi(log.substr(digits, end - digits)));
}

HubSpotFixture::HubSpotFixture(const sim::PortalSpec& spec, sim::SimOptions opts, const Clock& c)
    : clock(c), options(opts), sim(opts, c) {
  sim.Generate(spec);
  sim.Start();
  auto opened = Store::Open(dir.File("salesaudit.db"));
  if (!opened.ok()) throw std::runtime_error(opened.status().ToString());
  store = std::move(opened).value();
  config.name = "crm";
  config.type = "hubspot";
  config.base_url = sim.base_url();
  config.auth["token"] = opts.token;
  config.rate_limit = RateLimit{};  // off: the simulator's limits are off too
  config.retry_backoff = std::chrono::milliseconds(5);
  config.retry_backoff_max = std::chrono::milliseconds(200);
  config.request_timeout = std::chrono::seconds(10);
  config.options.Set(kHubSpotDeletionScanEveryOption, std::chrono::milliseconds(0));
}

std::vector<StreamSyncResult> HubSpotFixture::Sync(bool full) {
  SyncEngine engine(*store, BuiltinConnectors(), clock);
  std::atomic<bool> cancel{false};
  SyncRequest request;
  request.full = full;
  return engine.RunConnector(config, request, cancel);
}

std::string HubSpotFixture::ConfigYaml() const {
  return "store:\n  path: " + dir.File("salesaudit.db") +
         "\n"
         "status:\n  listen: 127.0.0.1:0\n"  // tests run daemons side by side
         "connectors:\n"
         "  - name: crm\n"
         "    type: hubspot\n"
         "    base_url: " +
         sim.base_url() +
         "\n"
         "    auth:\n"
         "      token: ${TEST_HUBSPOT_TOKEN}\n"
         "    poll_interval: 1h\n"
         "    rate_limit: off\n"
         "    retry_backoff: 5ms\n"
         "    retry_backoff_max: 200ms\n"
         "    deletion_scan_every: 0s\n";
}

std::vector<std::string> HubSpotFixture::DifferencesFromPortal() {
  std::vector<std::string> diffs;
  const std::string source = config.name;

  std::map<std::string, StoredContact> contacts;
  (void)store->ForEachContact([&](const StoredContact& c) {
    if (c.source == source) contacts[c.contact.id] = c;
  });
  auto portal_contacts = sim.Contacts();
  // Rows the portal no longer has (merged away) must be marked deleted.
  std::set<std::string> portal_ids;
  for (const auto& p : portal_contacts) portal_ids.insert(p.id);
  for (const auto& [id, row] : contacts) {
    if (portal_ids.count(id) == 0 && !row.deleted_at) {
      diffs.push_back("contact " + id + " is live in the store but gone from the portal");
    }
  }
  for (const auto& p : portal_contacts) {
    auto it = contacts.find(p.id);
    const std::string what = "contact " + p.id;
    if (it == contacts.end()) {
      diffs.push_back(what + " missing");
      continue;
    }
    const Contact& c = it->second.contact;
    if (it->second.deleted_at.has_value() != p.archived) diffs.push_back(what + ": deleted flag");
    Compare(diffs, what + " email", c.email, NormalizeEmail(Prop(p, "email")));
    Compare(diffs, what + " first_name", c.first_name, Prop(p, "firstname"));
    Compare(diffs, what + " last_name", c.last_name, Prop(p, "lastname"));
    Compare(diffs, what + " owner_id", c.owner_id, Prop(p, "hubspot_owner_id"));
    Compare(diffs, what + " channel", c.channel, Prop(p, "hs_analytics_source"));
    Compare(diffs, what + " lifecycle_stage", c.lifecycle_stage, Prop(p, "lifecyclestage"));
    Compare(diffs, what + " lead_status", c.lead_status, Prop(p, "hs_lead_status"));
    CompareTime(diffs, what + " created_at", c.created_at, PropTime(p, "createdate"));
    CompareTime(diffs, what + " mql_at", c.mql_at,
                PropTime(p, "hs_lifecyclestage_marketingqualifiedlead_date"));
    CompareTime(diffs, what + " contacted_at", c.contacted_at,
                PropTime(p, "hs_sa_first_engagement_date"));
    CompareTime(diffs, what + " sql_at", c.sql_at,
                PropTime(p, "hs_lifecyclestage_salesqualifiedlead_date"));
    CompareTime(diffs, what + " customer_at", c.customer_at,
                PropTime(p, "hs_lifecyclestage_customer_date"));
    CompareTime(diffs, what + " updated_at", c.updated_at, p.updated_at_ms);
  }

  std::map<std::string, StoredDeal> deals;
  (void)store->ForEachDeal([&](const StoredDeal& d) {
    if (d.source == source) deals[d.deal.id] = d;
  });
  auto portal_deals = sim.Deals();
  if (deals.size() != portal_deals.size()) {
    diffs.push_back("deals: store has " + std::to_string(deals.size()) + ", portal " +
                    std::to_string(portal_deals.size()));
  }
  std::set<std::string> live_deals;
  for (const auto& p : portal_deals) {
    auto it = deals.find(p.id);
    const std::string what = "deal " + p.id;
    if (it == deals.end()) {
      diffs.push_back(what + " missing");
      continue;
    }
    if (!p.archived) live_deals.insert(p.id);
    const Deal& d = it->second.deal;
    if (it->second.deleted_at.has_value() != p.archived) diffs.push_back(what + ": deleted flag");
    Compare(diffs, what + " name", d.name, Prop(p, "dealname"));
    Compare(diffs, what + " stage", d.stage, Prop(p, "dealstage"));
    Compare(diffs, what + " pipeline", d.pipeline, Prop(p, "pipeline"));
    Compare(diffs, what + " owner_id", d.owner_id, Prop(p, "hubspot_owner_id"));
    Compare(diffs, what + " currency", d.currency, Prop(p, "deal_currency_code"));
    const std::string amount = Prop(p, "amount");
    if (amount.empty() != !d.amount.has_value() ||
        (d.amount && std::fabs(*d.amount - std::stod(amount)) > 1e-6)) {
      diffs.push_back(what + " amount: portal '" + amount + "'");
    }
    Compare(diffs, what + " is_won", d.is_won, Prop(p, "hs_is_closed_won") == "true");
    Compare(diffs, what + " is_closed", d.is_closed, Prop(p, "hs_is_closed") == "true");
    CompareTime(diffs, what + " closed_at", d.closed_at, PropTime(p, "closedate"));
    CompareTime(diffs, what + " created_at", d.created_at, PropTime(p, "createdate"));
  }

  std::map<std::string, std::set<std::string>> stored_links;
  auto links = store->DealContacts(source);
  if (links.ok()) {
    for (const auto& [deal, contact] : *links) stored_links[deal].insert(contact);
  }
  for (const auto& [deal, contact_ids] : sim.DealContactIds()) {
    if (live_deals.count(deal) == 0) continue;
    std::set<std::string> expected(contact_ids.begin(), contact_ids.end());
    if (stored_links[deal] != expected) diffs.push_back("deal " + deal + " associations differ");
  }

  std::map<std::string, StoredOwner> owners;
  (void)store->ForEachOwner([&](const StoredOwner& o) {
    if (o.source == source) owners[o.owner.id] = o;
  });
  auto portal_owners = sim.Owners();
  if (owners.size() != portal_owners.size()) diffs.push_back("owners: counts differ");
  for (const auto& p : portal_owners) {
    auto it = owners.find(p.id);
    if (it == owners.end()) {
      diffs.push_back("owner " + p.id + " missing");
      continue;
    }
    Compare(diffs, "owner " + p.id + " active", it->second.owner.active, !p.archived);
    Compare(diffs, "owner " + p.id + " email", it->second.owner.email, NormalizeEmail(p.email));
    Compare(diffs, "owner " + p.id + " name", it->second.owner.name,
            p.first_name + " " + p.last_name);
  }
  return diffs;
}

std::string StoreFingerprint(Store& store, bool include_cursors) {
  std::string out;
  for (RecordKind kind : {RecordKind::kContact, RecordKind::kDeal, RecordKind::kOwner}) {
    auto all = store.CountRows(kind, "crm", true);
    auto live = store.CountRows(kind, "crm", false);
    out += std::string(RecordKindName(kind)) + "=" + (all.ok() ? std::to_string(*all) : "?") + "/" +
           (live.ok() ? std::to_string(*live) : "?") + ";";
  }
  auto links = store.DealContacts("crm");
  out += "deal_contacts=" + (links.ok() ? std::to_string(links->size()) : "?") + ";";
  auto states = store.ListStreamStates();
  if (include_cursors && states.ok()) {
    for (const auto& s : *states) out += s.stream + ":" + s.cursor + ";";
  }
  int64_t updated_sum = 0;
  (void)store.ForEachContact(
      [&](const StoredContact& c) { updated_sum += c.contact.updated_at.value_or(0) % 1000003; });
  out += "updated_sum=" + std::to_string(updated_sum);
  return out;
}

}  // namespace salesaudit::testing

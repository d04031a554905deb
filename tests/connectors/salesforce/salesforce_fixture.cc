#include "tests/connectors/salesforce/salesforce_fixture.h"

#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <stdexcept>

#include "connectors/connector.h"
#include "core/time_util.h"
#include "tests/support/differences.h"

namespace salesaudit::testing {
namespace {

using sim::SfRecord;
using sim::SfValue;

std::string Text(const SfRecord& r, const std::string& field) {
  auto it = r.fields.find(field);
  if (it == r.fields.end()) return "";
  const std::string* s = std::get_if<std::string>(&it->second);
  return s != nullptr ? *s : "";
}

std::optional<int64_t> Time(const SfRecord& r, const std::string& field) {
  auto it = r.fields.find(field);
  if (it == r.fields.end()) return std::nullopt;
  const double* ms = std::get_if<double>(&it->second);
  if (ms == nullptr) return std::nullopt;
  return static_cast<int64_t>(std::llround(*ms));
}

bool Flag(const SfRecord& r, const std::string& field) {
  auto it = r.fields.find(field);
  if (it == r.fields.end()) return false;
  const bool* b = std::get_if<bool>(&it->second);
  return b != nullptr && *b;
}

std::optional<double> Number(const SfRecord& r, const std::string& field) {
  auto it = r.fields.find(field);
  if (it == r.fields.end()) return std::nullopt;
  const double* d = std::get_if<double>(&it->second);
  if (d == nullptr) return std::nullopt;
  return *d;
}

void Earliest(std::optional<int64_t>& slot, std::optional<int64_t> at) {
  if (at && (!slot || *at < *slot)) slot = at;
}

// The status evidence of one lead, with the default mapping (Working -
// Contacted -> contacted, Closed - Converted -> sql): the first status at the
// lead's creation, each change at its time, a conversion at the history's
// conversion row (else ConvertedDate, not before the creation).
void AddLeadEvidence(const SfRecord& lead, const std::vector<const SfRecord*>& history,
                     FunnelRow& row) {
  const std::optional<int64_t> created = Time(lead, "CreatedDate");
  std::vector<const SfRecord*> changes;
  bool created_row = false;
  std::optional<int64_t> converted_row;
  for (const SfRecord* h : history) {
    const std::string field = Text(*h, "Field");
    if (field == "Status") changes.push_back(h);
    if (field == "created") created_row = true;
    if (field == "leadConverted") Earliest(converted_row, Time(*h, "CreatedDate"));
  }
  std::sort(changes.begin(), changes.end(), [](const SfRecord* a, const SfRecord* b) {
    return Time(*a, "CreatedDate") < Time(*b, "CreatedDate");
  });
  std::vector<std::pair<std::string, std::optional<int64_t>>> statuses;
  if (!changes.empty()) {
    statuses.emplace_back(Text(*changes.front(), "OldValue"), created);
  } else if (created_row) {
    statuses.emplace_back(Text(lead, "Status"), created);
  }
  for (const SfRecord* h : changes)
    statuses.emplace_back(Text(*h, "NewValue"), Time(*h, "CreatedDate"));
  for (const auto& [status, at] : statuses) {
    if (status == "Working - Contacted") Earliest(row.contacted_at, at);
    if (status == "Closed - Converted") Earliest(row.sql_at, at);
  }
  if (Flag(lead, "IsConverted")) {
    std::optional<int64_t> converted = converted_row;
    if (!converted) {
      converted = Time(lead, "ConvertedDate");
      if (converted && created) converted = std::max(*converted, *created);
    }
    Earliest(row.sql_at, converted);
  }
}

}  // namespace

sim::OrgSpec SmallOrg() {
  sim::OrgSpec spec;
  spec.seed = 29;
  spec.users = 4;
  spec.queues = 1;
  spec.leads = 300;
  spec.contacts_without_lead = 40;
  spec.opportunities = 30;
  return spec;
}

SalesforceFixture::SalesforceFixture(const sim::OrgSpec& spec, sim::SalesforceSimOptions opts,
                                     const Clock& c)
    : clock(c), options(opts), sim(spec, opts, c) {
  if (sim.Start() == 0) throw std::runtime_error("salesforce sim did not start");
  auto opened = Store::Open(dir.File("salesaudit.db"));
  if (!opened.ok()) throw std::runtime_error(opened.status().ToString());
  store = std::move(opened).value();
  config.name = "sf";
  config.type = "salesforce";
  config.state_dir = dir.path();
  config.auth["client_id"] = opts.client_id;
  config.auth["client_secret"] = opts.client_secret;
  config.auth["refresh_token"] = opts.refresh_token;
  config.auth["login_url"] = sim.base_url();
  config.rate_limit = RateLimit{};  // off: the simulator has no per-second limit
  config.retry_backoff = std::chrono::milliseconds(5);
  config.retry_backoff_max = std::chrono::milliseconds(200);
  config.request_timeout = std::chrono::seconds(10);
}

std::vector<StreamSyncResult> SalesforceFixture::Sync(
    bool full, std::function<void(const SyncProgress&)> on_page) {
  SyncEngine engine(*store, BuiltinConnectors(), clock);
  std::atomic<bool> cancel{false};
  SyncRequest request;
  request.full = full;
  request.on_page = std::move(on_page);
  return engine.RunConnector(config, request, cancel);
}

std::string SalesforceFixture::ConfigYaml() const {
  return "store:\n  path: " + dir.File("salesaudit.db") +
         "\n"
         "status:\n  listen: 127.0.0.1:0\n"
         "connectors:\n"
         "  - name: sf\n"
         "    type: salesforce\n"
         "    auth:\n"
         "      client_id: ${TEST_SF_CLIENT_ID}\n"
         "      client_secret: ${TEST_SF_CLIENT_SECRET}\n"
         "      refresh_token: ${TEST_SF_REFRESH_TOKEN}\n"
         "      login_url: " +
         sim.base_url() +
         "\n"
         "    poll_interval: 1h\n"
         "    rate_limit: off\n"
         "    retry_backoff: 5ms\n"
         "    retry_backoff_max: 200ms\n";
}

std::map<std::string, FunnelRow> SalesforceFixture::StoredFunnel() const {
  std::map<std::string, FunnelRow> rows;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(dir.File("salesaudit.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr) !=
      SQLITE_OK) {
    sqlite3_close(db);
    throw std::runtime_error("cannot open the store");
  }
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db,
                     "SELECT id, channel, owner_id, created_at, mql_at, contacted_at, sql_at, "
                     "won_at, deleted_at FROM v_contact_funnel WHERE source = 'sf'",
                     -1, &st, nullptr);
  auto text = [st](int column) {
    const unsigned char* t = sqlite3_column_text(st, column);
    return t == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(t));
  };
  auto time = [&text](int column) { return ParseTimestampMs(text(column)); };
  while (st != nullptr && sqlite3_step(st) == SQLITE_ROW) {
    FunnelRow row{time(3), time(4), time(5), time(6), time(7), time(8), text(1), text(2)};
    rows[text(0)] = row;
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return rows;
}

std::map<std::string, FunnelRow> SalesforceFixture::ExpectedFunnel() const {
  // The person of a contact id: the lead it was converted from, else itself.
  std::map<std::string, std::string> person_of;
  std::map<std::string, std::vector<const SfRecord*>> history_of;
  const std::vector<SfRecord> leads = sim.Records("Lead", /*include_deleted=*/true);
  const std::vector<SfRecord> history = sim.Records("LeadHistory", /*include_deleted=*/true);
  for (const SfRecord& h : history) history_of[Text(h, "LeadId")].push_back(&h);
  for (const SfRecord& lead : leads) {
    if (Flag(lead, "IsConverted") && !Text(lead, "ConvertedContactId").empty()) {
      person_of[Text(lead, "ConvertedContactId")] = lead.id;
    }
  }
  std::map<std::string, FunnelRow> rows;
  for (const SfRecord& lead : leads) {
    if (Flag(lead, "IsDeleted")) continue;
    FunnelRow& row = rows[lead.id];
    row.created_at = Time(lead, "CreatedDate");
    row.channel = Text(lead, "LeadSource");
    row.owner_id = Text(lead, "OwnerId");
    AddLeadEvidence(lead, history_of[lead.id], row);
  }
  // A lead merged into another is the same person: what it said counts
  // for the survivor (the store kept it from an earlier sync).
  for (const SfRecord& lead : leads) {
    auto survivor = rows.find(Text(lead, "MasterRecordId"));
    if (Flag(lead, "IsDeleted") && survivor != rows.end()) {
      AddLeadEvidence(lead, history_of[lead.id], survivor->second);
    }
  }
  for (const SfRecord& contact : sim.Records("Contact")) {
    if (person_of.count(contact.id) != 0) continue;
    FunnelRow& row = rows[contact.id];
    row.created_at = Time(contact, "CreatedDate");
    row.channel = Text(contact, "LeadSource");
    row.owner_id = Text(contact, "OwnerId");
  }
  // Linked live opportunities: sql from their creation, won from their close.
  std::map<std::string, const SfRecord*> opportunities;
  const std::vector<SfRecord> opps = sim.Records("Opportunity");
  for (const SfRecord& o : opps) opportunities[o.id] = &o;
  auto link = [&](const std::string& person, const std::string& opportunity) {
    auto row = rows.find(person);
    auto opp = opportunities.find(opportunity);
    if (row == rows.end() || opp == opportunities.end()) return;
    Earliest(row->second.sql_at, Time(*opp->second, "CreatedDate"));
    if (Flag(*opp->second, "IsWon") && Flag(*opp->second, "IsClosed")) {
      Earliest(row->second.won_at, Time(*opp->second, "CloseDate"));
    }
  };
  for (const SfRecord& role : sim.Records("OpportunityContactRole")) {
    const std::string contact = Text(role, "ContactId");
    auto person = person_of.find(contact);
    link(person != person_of.end() ? person->second : contact, Text(role, "OpportunityId"));
  }
  for (const SfRecord& lead : leads) {
    if (!Text(lead, "ConvertedOpportunityId").empty()) {
      link(lead.id, Text(lead, "ConvertedOpportunityId"));
    }
  }
  return rows;
}

std::vector<std::string> SalesforceFixture::DifferencesFromOrg() {
  std::vector<std::string> diffs;
  const std::string source = config.name;

  std::map<std::string, StoredContact> contacts;
  (void)store->ForEachContact([&](const StoredContact& c) {
    if (c.source == source && !c.deleted_at) contacts[c.contact.id] = c;
  });
  std::set<std::string> aliases;
  std::map<std::string, SfRecord> persons;
  for (const SfRecord& lead : sim.Records("Lead")) {
    if (Flag(lead, "IsConverted")) aliases.insert(Text(lead, "ConvertedContactId"));
    persons[lead.id] = lead;
  }
  for (const SfRecord& contact : sim.Records("Contact")) {
    if (aliases.count(contact.id) == 0) persons[contact.id] = contact;
  }
  for (const auto& [id, row] : contacts) {
    if (persons.count(id) == 0) diffs.push_back("contact " + id + " is live in the store only");
  }
  for (const auto& [id, p] : persons) {
    auto it = contacts.find(id);
    const std::string what = "person " + id;
    if (it == contacts.end()) {
      diffs.push_back(what + " missing");
      continue;
    }
    const Contact& c = it->second.contact;
    Compare(diffs, what + " email", c.email, NormalizeEmail(Text(p, "Email")));
    Compare(diffs, what + " first_name", c.first_name, Text(p, "FirstName"));
    Compare(diffs, what + " last_name", c.last_name, Text(p, "LastName"));
    Compare(diffs, what + " owner_id", c.owner_id, Text(p, "OwnerId"));
    Compare(diffs, what + " channel", c.channel, Text(p, "LeadSource"));
    Compare(diffs, what + " lead_status", c.lead_status, Text(p, "Status"));
    Compare(diffs, what + " created_at", c.created_at, Time(p, "CreatedDate"));
    Compare(diffs, what + " updated_at", c.updated_at, Time(p, "SystemModstamp"));
  }

  std::map<std::string, StoredDeal> deals;
  (void)store->ForEachDeal([&](const StoredDeal& d) {
    if (d.source == source && !d.deleted_at) deals[d.deal.id] = d;
  });
  const std::vector<SfRecord> opps = sim.Records("Opportunity");
  if (deals.size() != opps.size()) {
    diffs.push_back("deals: store has " + std::to_string(deals.size()) + " live, org " +
                    std::to_string(opps.size()));
  }
  for (const SfRecord& o : opps) {
    auto it = deals.find(o.id);
    const std::string what = "deal " + o.id;
    if (it == deals.end()) {
      diffs.push_back(what + " missing");
      continue;
    }
    const Deal& d = it->second.deal;
    Compare(diffs, what + " name", d.name, Text(o, "Name"));
    Compare(diffs, what + " stage", d.stage, Text(o, "StageName"));
    Compare(diffs, what + " owner_id", d.owner_id, Text(o, "OwnerId"));
    Compare(diffs, what + " currency", d.currency, Text(o, "CurrencyIsoCode"));
    Compare(diffs, what + " amount", d.amount, Number(o, "Amount"));
    Compare(diffs, what + " is_won", d.is_won, Flag(o, "IsWon"));
    Compare(diffs, what + " is_closed", d.is_closed, Flag(o, "IsClosed"));
    Compare(diffs, what + " created_at", d.created_at, Time(o, "CreatedDate"));
    const std::optional<int64_t> closed =
        Flag(o, "IsClosed") ? Time(o, "CloseDate") : std::optional<int64_t>();
    CompareTime(diffs, what + " closed_at", d.closed_at, closed, "org");
  }

  // Links of live deals: contact roles (a converted contact names its
  // lead) and the opportunity a conversion made.
  std::map<std::string, std::string> person_of;
  for (const auto& [id, p] : persons) {
    if (Flag(p, "IsConverted")) person_of[Text(p, "ConvertedContactId")] = id;
  }
  std::map<std::string, std::set<std::string>> expected_links;
  for (const SfRecord& role : sim.Records("OpportunityContactRole")) {
    const std::string contact = Text(role, "ContactId");
    auto person = person_of.find(contact);
    expected_links[Text(role, "OpportunityId")].insert(person != person_of.end() ? person->second
                                                                                 : contact);
  }
  for (const auto& [id, p] : persons) {
    if (!Text(p, "ConvertedOpportunityId").empty()) {
      expected_links[Text(p, "ConvertedOpportunityId")].insert(id);
    }
  }
  std::map<std::string, std::set<std::string>> stored_links;
  auto links = store->DealContacts(source);
  if (links.ok()) {
    for (const auto& [deal, contact] : *links) stored_links[deal].insert(contact);
  }
  for (const auto& [id, d] : deals) {
    if (stored_links[id] != expected_links[id]) diffs.push_back("deal " + id + " links differ");
  }

  std::map<std::string, StoredOwner> owners;
  (void)store->ForEachOwner([&](const StoredOwner& o) {
    if (o.source == source) owners[o.owner.id] = o;
  });
  const std::vector<SfRecord> users = sim.Records("User");
  if (owners.size() != users.size()) diffs.push_back("owners: counts differ");
  for (const SfRecord& u : users) {
    auto it = owners.find(u.id);
    if (it == owners.end()) {
      diffs.push_back("owner " + u.id + " missing");
      continue;
    }
    Compare(diffs, "owner " + u.id + " active", it->second.owner.active, Flag(u, "IsActive"));
    Compare(diffs, "owner " + u.id + " email", it->second.owner.email,
            NormalizeEmail(Text(u, "Email")));
    Compare(diffs, "owner " + u.id + " name", it->second.owner.name, Text(u, "Name"));
  }

  const std::map<std::string, FunnelRow> expected = ExpectedFunnel();
  std::map<std::string, FunnelRow> stored = StoredFunnel();
  for (const auto& [id, row] : expected) {
    auto it = stored.find(id);
    if (it == stored.end() || it->second.deleted_at) continue;  // reported above
    const FunnelRow& s = it->second;
    const std::string what = "person " + id;
    CompareTime(diffs, what + " created_at", s.created_at, row.created_at, "org");
    CompareTime(diffs, what + " mql_at", s.mql_at, row.mql_at, "org");
    CompareTime(diffs, what + " contacted_at", s.contacted_at, row.contacted_at, "org");
    CompareTime(diffs, what + " sql_at", s.sql_at, row.sql_at, "org");
    CompareTime(diffs, what + " won_at", s.won_at, row.won_at, "org");
  }
  return diffs;
}

}  // namespace salesaudit::testing

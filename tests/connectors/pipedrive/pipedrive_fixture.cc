#include "tests/connectors/pipedrive/pipedrive_fixture.h"

#include <sqlite3.h>

#include <functional>
#include <set>
#include <stdexcept>

#include "connectors/connector.h"
#include "core/time_util.h"
#include "tests/support/differences.h"

namespace salesaudit::testing {
namespace {

std::string IdText(int64_t id) { return id == 0 ? "" : std::to_string(id); }
std::string IdText(const std::optional<int64_t>& id) { return id ? IdText(*id) : ""; }

void Earliest(std::optional<int64_t>& slot, std::optional<int64_t> at) {
  if (at && (!slot || *at < *slot)) slot = at;
}

// The primary e-mail, else the first; "" when none.
std::string PrimaryEmail(const sim::PdPerson& p) {
  for (const sim::PdContactValue& e : p.emails) {
    if (e.primary && !e.value.empty()) return e.value;
  }
  for (const sim::PdContactValue& e : p.emails) {
    if (!e.value.empty()) return e.value;
  }
  return "";
}

// The label of the person's value in the custom field `key`: an option's
// label, or the text itself.
std::string FieldLabel(const sim::PipedriveSim& sim, const sim::PdPerson& p,
                       const std::string& key) {
  auto it = p.custom_fields.find(key);
  if (it == p.custom_fields.end()) return "";
  if (const std::string* text = std::get_if<std::string>(&it->second)) return *text;
  const int64_t* option = std::get_if<int64_t>(&it->second);
  if (option == nullptr) return "";
  for (const sim::PdPersonField& field : sim.PersonFields()) {
    if (field.key != key) continue;
    for (const auto& [id, label] : field.options) {
      if (id == *option) return label;
    }
  }
  return std::to_string(*option);
}

// Each row `sql` reads from the store at `path`, handed to `take` as a
// reader of its columns as text ("" for NULL).
void ForEachStoredRow(const std::string& path, const char* sql,
                      const std::function<void(const std::function<std::string(int)>&)>& take) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    throw std::runtime_error("cannot open the store");
  }
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, sql, -1, &st, nullptr);
  const std::function<std::string(int)> text = [st](int column) {
    const unsigned char* t = sqlite3_column_text(st, column);
    return t == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(t));
  };
  while (st != nullptr && sqlite3_step(st) == SQLITE_ROW) take(text);
  sqlite3_finalize(st);
  sqlite3_close(db);
}

std::map<std::string, PersonFunnel> StoredFunnel(const std::string& path) {
  std::map<std::string, PersonFunnel> rows;
  ForEachStoredRow(path,
                   "SELECT id, channel, created_at, mql_at, contacted_at, sql_at, won_at "
                   "FROM v_contact_funnel WHERE source = 'pd' AND deleted_at IS NULL",
                   [&](const std::function<std::string(int)>& text) {
                     auto time = [&text](int column) { return ParseTimestampMs(text(column)); };
                     rows[text(0)] =
                         PersonFunnel{time(2), time(3), time(4), time(5), time(6), text(1)};
                   });
  return rows;
}

// v_deals' pipeline and stage names of the live deals, by deal id.
std::map<std::string, std::pair<std::string, std::string>> StoredDealNames(
    const std::string& path) {
  std::map<std::string, std::pair<std::string, std::string>> names;
  ForEachStoredRow(path,
                   "SELECT id, pipeline_name, stage_name FROM v_deals "
                   "WHERE source = 'pd' AND deleted_at IS NULL",
                   [&](const std::function<std::string(int)>& text) {
                     names[text(0)] = {text(1), text(2)};
                   });
  return names;
}

}  // namespace

sim::PdCompanySpec SmallCompany() {
  sim::PdCompanySpec spec;
  spec.seed = 31;
  spec.users = 4;
  spec.persons = 600;
  spec.deals = 200;
  spec.leads = 250;
  spec.activities = 500;
  return spec;
}

PipedriveFixture::PipedriveFixture(const sim::PdCompanySpec& spec, sim::PipedriveSimOptions opts,
                                   const Clock& c)
    : clock(c), sim(spec, opts, c) {
  if (sim.Start() == 0) throw std::runtime_error("pipedrive sim did not start");
  auto opened = Store::Open(dir.File("salesaudit.db"));
  if (!opened.ok()) throw std::runtime_error(opened.status().ToString());
  store = std::move(opened).value();
  config.name = "pd";
  config.type = "pipedrive";
  config.base_url = sim.base_url();
  config.state_dir = dir.path();
  config.auth["api_token"] = sim.api_token();
  config.retry_backoff = std::chrono::milliseconds(5);
  config.retry_backoff_max = std::chrono::milliseconds(200);
  config.request_timeout = std::chrono::seconds(10);
}

std::vector<StreamSyncResult> PipedriveFixture::Sync(bool full) {
  SyncEngine engine(*store, BuiltinConnectors(), clock);
  std::atomic<bool> cancel{false};
  SyncRequest request;
  request.full = full;
  return engine.RunConnector(config, request, cancel);
}

std::vector<std::string> PipedriveFixture::DifferencesFromCompany(
    const std::string& channel_field) {
  std::vector<std::string> diffs;
  const std::string source = config.name;

  std::map<std::string, StoredContact> contacts;
  (void)store->ForEachContact([&](const StoredContact& c) {
    if (c.source == source && !c.deleted_at) contacts[c.contact.id] = c;
  });
  std::map<std::string, sim::PdPerson> persons;
  for (const sim::PdPerson& p : sim.Persons()) persons[std::to_string(p.id)] = p;
  for (const auto& [id, row] : contacts) {
    if (persons.count(id) == 0) diffs.push_back("contact " + id + " is live in the store only");
  }
  const std::string channel_key = channel_field.empty() ? "" : sim.PersonFieldKey(channel_field);
  for (const auto& [id, p] : persons) {
    auto it = contacts.find(id);
    const std::string what = "person " + id;
    if (it == contacts.end()) {
      diffs.push_back(what + " missing");
      continue;
    }
    const Contact& c = it->second.contact;
    Compare(diffs, what + " email", c.email, NormalizeEmail(PrimaryEmail(p)));
    Compare(diffs, what + " first_name", c.first_name, p.first_name);
    Compare(diffs, what + " last_name", c.last_name, p.last_name);
    Compare(diffs, what + " owner_id", c.owner_id, IdText(p.owner_id));
    Compare(diffs, what + " channel", c.channel,
            channel_key.empty() ? std::string() : FieldLabel(sim, p, channel_key));
    CompareTime(diffs, what + " created_at", c.created_at, p.add_time_ms, "company");
    CompareTime(diffs, what + " updated_at", c.updated_at, p.update_time_ms, "company");
  }

  std::map<std::string, StoredDeal> deals;
  (void)store->ForEachDeal([&](const StoredDeal& d) {
    if (d.source == source && !d.deleted_at) deals[d.deal.id] = d;
  });
  const std::vector<sim::PdDeal> company_deals = sim.Deals();
  if (deals.size() != company_deals.size()) {
    diffs.push_back("deals: store has " + std::to_string(deals.size()) + " live, company " +
                    std::to_string(company_deals.size()));
  }
  std::map<std::string, std::set<std::string>> stored_links;
  if (auto links = store->DealContacts(source); links.ok()) {
    for (const auto& [deal, contact] : *links) stored_links[deal].insert(contact);
  }
  for (const sim::PdDeal& d : company_deals) {
    const std::string id = std::to_string(d.id);
    auto it = deals.find(id);
    const std::string what = "deal " + id;
    if (it == deals.end()) {
      diffs.push_back(what + " missing");
      continue;
    }
    const Deal& s = it->second.deal;
    const bool won = d.status == "won";
    const bool closed = won || d.status == "lost";
    Compare(diffs, what + " name", s.name, d.title);
    Compare(diffs, what + " owner_id", s.owner_id, IdText(d.owner_id));
    Compare(diffs, what + " pipeline", s.pipeline, IdText(d.pipeline_id));
    Compare(diffs, what + " stage", s.stage, IdText(d.stage_id));
    Compare(diffs, what + " amount", s.amount, std::optional<double>(d.value));
    Compare(diffs, what + " currency", s.currency, d.currency);
    Compare(diffs, what + " is_won", s.is_won, won);
    Compare(diffs, what + " is_closed", s.is_closed, closed);
    CompareTime(diffs, what + " created_at", s.created_at, d.add_time_ms, "company");
    CompareTime(diffs, what + " closed_at", s.closed_at,
                closed ? (won ? d.won_time_ms : d.lost_time_ms) : std::nullopt, "company");
    const std::set<std::string> expected =
        d.person_id ? std::set<std::string>{IdText(d.person_id)} : std::set<std::string>{};
    if (stored_links[id] != expected) diffs.push_back(what + " person differs");
  }

  // Each deal's pipeline and stage by name, as v_deals gives them.
  std::map<int64_t, std::string> pipeline_names;
  for (const sim::PdPipeline& p : sim.Pipelines()) pipeline_names[p.id] = p.name;
  std::map<int64_t, std::pair<std::string, std::string>> stage_names;
  for (const sim::PdStage& st : sim.Stages()) {
    stage_names[st.id] = {pipeline_names[st.pipeline_id], st.name};
  }
  const std::map<std::string, std::pair<std::string, std::string>> stored_names =
      StoredDealNames(dir.File("salesaudit.db"));
  for (const sim::PdDeal& d : company_deals) {
    auto stored = stored_names.find(std::to_string(d.id));
    if (stored != stored_names.end() && stored->second != stage_names[d.stage_id]) {
      diffs.push_back("deal " + std::to_string(d.id) + " pipeline and stage names differ");
    }
  }

  std::map<std::string, StoredOwner> owners;
  (void)store->ForEachOwner([&](const StoredOwner& o) {
    if (o.source == source) owners[o.owner.id] = o;
  });
  const std::vector<sim::PdUser> users = sim.Users();
  if (owners.size() != users.size()) diffs.push_back("owners: counts differ");
  for (const sim::PdUser& u : users) {
    auto it = owners.find(std::to_string(u.id));
    const std::string what = "owner " + std::to_string(u.id);
    if (it == owners.end()) {
      diffs.push_back(what + " missing");
      continue;
    }
    Compare(diffs, what + " active", it->second.owner.active, u.active);
    Compare(diffs, what + " email", it->second.owner.email, NormalizeEmail(u.email));
    Compare(diffs, what + " name", it->second.owner.name, u.name);
  }

  // Effective funnel: mql from the earliest lead (archived ones too), whose
  // source is the channel of a person without one of its own; contacted
  // from the earliest done activity; sql and won from linked live deals.
  std::map<std::string, PersonFunnel> expected;
  std::map<std::string, std::pair<int64_t, std::string>> first_lead;
  for (const auto& [id, p] : persons) {
    PersonFunnel& row = expected[id];
    row.created_at = p.add_time_ms;
    if (!channel_key.empty()) row.channel = FieldLabel(sim, p, channel_key);
  }
  for (const sim::PdLead& lead : sim.Leads()) {
    auto row = expected.find(IdText(lead.person_id));
    if (row == expected.end()) continue;
    Earliest(row->second.mql_at, lead.add_time_ms);
    auto [first, added] =
        first_lead.emplace(row->first, std::pair(lead.add_time_ms, lead.source_name));
    if (!added && std::pair(lead.add_time_ms, lead.source_name) < first->second) {
      first->second = {lead.add_time_ms, lead.source_name};
    }
  }
  for (const auto& [id, lead] : first_lead) {
    PersonFunnel& row = expected[id];
    if (row.channel.empty()) row.channel = lead.second;
  }
  for (const sim::PdActivity& a : sim.Activities()) {
    auto row = expected.find(IdText(a.person_id));
    if (row != expected.end() && a.done)
      Earliest(row->second.contacted_at, a.marked_as_done_time_ms);
  }
  for (const sim::PdDeal& d : company_deals) {
    auto row = expected.find(IdText(d.person_id));
    if (row == expected.end()) continue;
    Earliest(row->second.sql_at, d.add_time_ms);
    if (d.status == "won") Earliest(row->second.won_at, d.won_time_ms);
  }
  const std::map<std::string, PersonFunnel> stored = StoredFunnel(dir.File("salesaudit.db"));
  for (const auto& [id, row] : expected) {
    auto it = stored.find(id);
    if (it == stored.end()) continue;  // reported above
    const PersonFunnel& s = it->second;
    const std::string what = "person " + id;
    CompareTime(diffs, what + " mql_at", s.mql_at, row.mql_at, "company");
    CompareTime(diffs, what + " contacted_at", s.contacted_at, row.contacted_at, "company");
    CompareTime(diffs, what + " sql_at", s.sql_at, row.sql_at, "company");
    CompareTime(diffs, what + " won_at", s.won_at, row.won_at, "company");
    if (s.channel != row.channel) {
      diffs.push_back(what + " funnel channel: stored \"" + s.channel + "\", company \"" +
                      row.channel + "\"");
    }
  }
  return diffs;
}

}  // namespace salesaudit::testing

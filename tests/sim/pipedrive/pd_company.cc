#include "tests/sim/pipedrive/pd_company.h"

#include <algorithm>
#include <stdexcept>

#include "core/encoding.h"
#include "core/time_util.h"
#include "tests/sim/common/sim_people.h"

namespace salesaudit::sim {
namespace {

constexpr int64_t kDayMs = 86'400'000;

// Pipedrive's default stages of a new pipeline, with their deal probability.
const std::vector<std::pair<std::string, int>> kStageNames = {
    {"Qualified", 10},     {"Contact made", 20},         {"Demo scheduled", 40},
    {"Proposal made", 60}, {"Negotiations started", 80}, {"Contract sent", 90}};
const std::vector<std::string> kPipelineNames = {"Sales", "Partners", "Renewals", "Enterprise"};
const std::vector<std::string> kChannelLabels = {"Google Ads", "Referral",      "Trade show",
                                                 "Website",    "Cold outreach", "LinkedIn"};
// Lead sources as Pipedrive names them, with the origin each sets.
const std::vector<std::pair<std::string, std::string>> kLeadSources = {
    {"Manually created", "ManuallyCreated"},
    {"Web forms", "WebForms"},
    {"Prospector", "Prospector"},
    {"Import", "Import"},
    {"API", "API"},
    {"Leadbooster", "LeadBooster"}};
const std::vector<std::string> kActivityTypes = {"call", "meeting", "email", "task"};
const std::vector<std::string> kCampaigns = {"spring-webinar", "q3-outbound", "newsletter",
                                             "partner-summit"};

template <typename T>
T& ById(std::vector<T>& records, int64_t id, const char* what) {
  auto it = std::lower_bound(records.begin(), records.end(), id,
                             [](const T& r, int64_t v) { return r.id < v; });
  if (it == records.end() || it->id != id) {
    throw std::invalid_argument(std::string("no ") + what + " " + std::to_string(id));
  }
  return *it;
}

template <typename T>
const T* FindById(const std::vector<T>& records, int64_t id) {
  auto it = std::lower_bound(records.begin(), records.end(), id,
                             [](const T& r, int64_t v) { return r.id < v; });
  return it == records.end() || it->id != id ? nullptr : &*it;
}

template <typename T>
int64_t NextId(const std::vector<T>& records) {
  return records.empty() ? 1 : records.back().id + 1;
}

template <typename T>
std::vector<int64_t> TouchLive(std::vector<T>& records, int n, int64_t at_ms,
                               std::mt19937_64& rng) {
  std::vector<T*> live;
  for (T& r : records) {
    if (!r.is_deleted) live.push_back(&r);
  }
  std::shuffle(live.begin(), live.end(), rng);
  if (n < 0 || static_cast<size_t>(n) > live.size()) {
    throw std::invalid_argument("cannot touch " + std::to_string(n) + " of " +
                                std::to_string(live.size()) + " live records");
  }
  std::vector<int64_t> ids;
  for (int i = 0; i < n; ++i) {
    live[i]->update_time_ms = WholeSecond(at_ms);
    ids.push_back(live[i]->id);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace

int64_t WholeSecond(int64_t ms) { return ms - ((ms % 1000) + 1000) % 1000; }

Company::Company(const PdCompanySpec& spec, int64_t now_ms)
    : rng_(spec.seed * 0x9E3779B97F4A7C15ull) {
  Generate(spec, WholeSecond(now_ms));
}

const PdPersonField& Company::CustomField(const std::string& name) const {
  for (const PdPersonField& f : person_fields_) {
    if (f.is_custom && f.name == name) return f;
  }
  throw std::invalid_argument("no custom person field " + name);
}

const PdPerson* Company::FindPerson(int64_t id) const { return FindById(persons_, id); }
const PdDeal* Company::FindDeal(int64_t id) const { return FindById(deals_, id); }
PdPerson& Company::Person(int64_t id) { return ById(persons_, id, "person"); }
PdDeal& Company::Deal(int64_t id) { return ById(deals_, id, "deal"); }
PdActivity& Company::Activity(int64_t id) { return ById(activities_, id, "activity"); }

const PdStage& Company::Stage(int64_t id) const {
  const PdStage* stage = FindById(stages_, id);
  if (stage == nullptr) throw std::invalid_argument("no stage " + std::to_string(id));
  return *stage;
}

PdLead& Company::Lead(const std::string& id) {
  auto it = lead_index_.find(id);
  if (it == lead_index_.end()) throw std::invalid_argument("no lead " + id);
  return leads_[it->second];
}

std::string Company::NewLeadId() {
  // A version-4 UUID from the generator's random stream.
  const std::string hex = HexEncode(std::to_string(rng_()) + std::to_string(rng_()));
  std::string h = Sha256Hex(hex).substr(0, 32);
  h[12] = '4';
  h[16] = "89ab"[rng_() % 4];
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20);
}

void Company::AddPersonFields(int64_t now_ms) {
  struct Standard {
    const char* key;
    const char* name;
    const char* type;
  };
  const Standard standard[] = {{"name", "Name", "varchar"},
                               {"first_name", "First name", "varchar"},
                               {"last_name", "Last name", "varchar"},
                               {"email", "Email", "varchar"},
                               {"phone", "Phone", "phone"},
                               {"owner_id", "Owner", "user"},
                               {"org_id", "Organization", "org"},
                               {"add_time", "Person created", "date"},
                               {"update_time", "Update time", "date"},
                               {"visible_to", "Visible to", "visible_to"}};
  int64_t id = 9000;
  for (const Standard& s : standard) {
    person_fields_.push_back(PdPersonField{++id, s.key, s.name, s.type, false, {}});
  }
  // Custom fields have 40-character hex keys that differ per company.
  const std::string salt = std::to_string(rng_());
  PdPersonField channel{++id, Sha256Hex(salt + "Channel").substr(0, 40), "Channel", "enum", true,
                        {}};
  int64_t option_id = 30;
  for (const std::string& label : kChannelLabels) channel.options.emplace_back(++option_id, label);
  person_fields_.push_back(std::move(channel));
  person_fields_.push_back(PdPersonField{
      ++id, Sha256Hex(salt + "Campaign").substr(0, 40), "Campaign", "varchar", true, {}});
  person_fields_update_ms_ = now_ms;
}

PdPerson Company::GeneratePerson(int64_t add_ms) {
  PdPerson p;
  p.first_name = kFirstNames[rng_() % kFirstNames.size()];
  p.last_name = kLastNames[rng_() % kLastNames.size()];
  p.name = p.first_name + " " + p.last_name;
  p.owner_id = users_[rng_() % users_.size()].id;
  p.add_time_ms = add_ms;
  p.phones.push_back(
      PdContactValue{"+3725" + std::to_string(1000000 + rng_() % 8999999), "work", true});
  return p;
}

void Company::Generate(const PdCompanySpec& spec, int64_t now_ms) {
  std::uniform_real_distribution<double> unit(0, 1);
  const int64_t history_ms = std::max<int64_t>(1, spec.history_days) * kDayMs;
  auto time_after = [&](int64_t from_ms) {
    return WholeSecond(from_ms +
                       static_cast<int64_t>(unit(rng_) * static_cast<double>(now_ms - from_ms)));
  };
  const int64_t start_ms = now_ms - history_ms;
  // Generated deletions are recent enough that the API still shows them.
  const int64_t recent_ms = now_ms - kPermanentDeletionMs + kDayMs;
  for (int i = 0; i < std::max(1, spec.users); ++i) {
    PdUser u;
    u.id = 100 + i;
    const std::string first = kFirstNames[(i * 7) % kFirstNames.size()];
    const std::string last = kLastNames[(i * 5) % kLastNames.size()];
    u.name = first + " " + last;
    u.email = first + "." + last + "@pipedrive-sim.test";
    std::transform(u.email.begin(), u.email.end(), u.email.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    u.is_admin = i == 0;
    u.created_ms = WholeSecond(start_ms - kDayMs * (30 + i));
    u.modified_ms = time_after(start_ms);
    users_.push_back(u);
  }
  AddPersonFields(start_ms);
  const PdPersonField& channel = CustomField("Channel");
  const std::string campaign_key = CustomField("Campaign").key;
  for (int pi = 0; pi < std::max(1, spec.pipelines); ++pi) {
    PdPipeline pipeline{
        pi + 1,
        kPipelineNames[pi % kPipelineNames.size()] +
            (pi >= static_cast<int>(kPipelineNames.size()) ? " " + std::to_string(pi + 1) : ""),
        pi + 1, start_ms, start_ms};
    pipelines_.push_back(pipeline);
    for (int si = 0; si < std::max(1, spec.stages_per_pipeline); ++si) {
      const auto& [name, probability] = kStageNames[si % kStageNames.size()];
      stages_.push_back(PdStage{static_cast<int64_t>(stages_.size()) + 1, name, si + 1, pipeline.id,
                                probability, start_ms, start_ms});
    }
  }

  for (int i = 0; i < spec.persons; ++i) {
    PdPerson p = GeneratePerson(time_after(start_ms));
    p.id = i + 1;
    p.update_time_ms = time_after(p.add_time_ms);
    const double roll = unit(rng_);
    const std::string local = p.first_name + "." + p.last_name + std::to_string(p.id);
    std::string lower;
    for (char c : local) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const std::string domain = kDomains[rng_() % kDomains.size()];
    if (roll < spec.no_email_share) {
      // No e-mail at all.
    } else if (roll < spec.no_email_share + spec.multi_email_share) {
      const size_t count = 2 + rng_() % 2;
      const size_t primary = 1 + rng_() % (count - 1);  // never the first
      for (size_t e = 0; e < count; ++e) {
        p.emails.push_back(PdContactValue{lower + (e == 0 ? "" : "+" + std::to_string(e)) + "@" +
                                              (e == primary ? domain : "mail.test"),
                                          e == primary ? "work" : "home", e == primary});
      }
    } else {
      p.emails.push_back(PdContactValue{lower + "@" + domain, "work", true});
    }
    if (unit(rng_) < spec.channel_share) {
      p.custom_fields[channel.key] = channel.options[rng_() % channel.options.size()].first;
    }
    if (unit(rng_) < 0.3) p.custom_fields[campaign_key] = kCampaigns[rng_() % kCampaigns.size()];
    if (unit(rng_) < spec.deleted_person_share) {
      p.is_deleted = true;
      p.update_time_ms = p.delete_time_ms = time_after(std::max(p.update_time_ms, recent_ms));
    }
    persons_.push_back(std::move(p));
  }

  for (int i = 0; i < spec.deals; ++i) {
    PdDeal d;
    d.id = i + 1;
    d.owner_id = d.creator_user_id = users_[rng_() % users_.size()].id;
    if (!persons_.empty()) d.person_id = persons_[rng_() % persons_.size()].id;
    const PdStage& stage = stages_[rng_() % stages_.size()];
    d.stage_id = stage.id;
    d.pipeline_id = stage.pipeline_id;
    d.value = static_cast<double>(500 + (rng_() % 200) * 250);
    d.currency = rng_() % 4 == 0 ? "USD" : "EUR";
    d.title = "Deal " + std::to_string(d.id);
    d.add_time_ms = time_after(start_ms);
    d.stage_change_time_ms = time_after(d.add_time_ms);
    d.update_time_ms = d.stage_change_time_ms;
    const double roll = unit(rng_);
    if (roll < spec.won_share + spec.lost_share) {
      const int64_t closed = time_after(d.stage_change_time_ms);
      d.status = roll < spec.won_share ? "won" : "lost";
      (d.status == "won" ? d.won_time_ms : d.lost_time_ms) = closed;
      if (d.status == "lost") d.lost_reason = "No budget";
      d.close_time_ms = closed;
      d.update_time_ms = closed;
    }
    if (unit(rng_) < spec.deleted_deal_share) {
      d.is_deleted = true;
      d.update_time_ms = d.delete_time_ms = time_after(std::max(d.update_time_ms, recent_ms));
    }
    deals_.push_back(std::move(d));
  }

  for (int i = 0; i < spec.leads && !persons_.empty(); ++i) {
    PdLead l;
    l.id = NewLeadId();
    l.title = "Lead " + std::to_string(i + 1);
    l.owner_id = l.creator_id = users_[rng_() % users_.size()].id;
    l.person_id = persons_[rng_() % persons_.size()].id;
    const auto& [source, origin] = kLeadSources[rng_() % kLeadSources.size()];
    l.source_name = source;
    l.origin = origin;
    if (rng_() % 3 == 0) l.channel = 1 + static_cast<int64_t>(rng_() % 5);
    if (rng_() % 2 == 0) l.value_amount = static_cast<double>(1000 + (rng_() % 40) * 500);
    l.add_time_ms = time_after(start_ms);
    l.update_time_ms = time_after(l.add_time_ms);
    l.is_archived = unit(rng_) < spec.archived_lead_share;
    lead_index_[l.id] = leads_.size();
    leads_.push_back(std::move(l));
  }
  // Leads are listed in creation order.
  std::stable_sort(leads_.begin(), leads_.end(),
                   [](const PdLead& a, const PdLead& b) { return a.add_time_ms < b.add_time_ms; });
  lead_index_.clear();
  for (size_t i = 0; i < leads_.size(); ++i) lead_index_[leads_[i].id] = i;

  for (int i = 0; i < spec.activities && !persons_.empty(); ++i) {
    PdActivity a;
    a.id = i + 1;
    a.type = kActivityTypes[rng_() % kActivityTypes.size()];
    a.subject = a.type + " " + std::to_string(a.id);
    a.owner_id = users_[rng_() % users_.size()].id;
    a.person_id = persons_[rng_() % persons_.size()].id;
    if (!deals_.empty() && rng_() % 2 == 0) a.deal_id = deals_[rng_() % deals_.size()].id;
    a.add_time_ms = time_after(start_ms);
    a.due_date = FormatIsoMs(time_after(a.add_time_ms)).substr(0, 10);
    a.update_time_ms = a.add_time_ms;
    if (unit(rng_) < spec.done_activity_share) {
      a.done = true;
      a.marked_as_done_time_ms = time_after(a.add_time_ms);
      a.update_time_ms = *a.marked_as_done_time_ms;
    }
    activities_.push_back(std::move(a));
  }
  // The bulk edits: one second, a few hours ago, on many records at once.
  const int64_t bulk_second = WholeSecond(now_ms - 5 * 3600 * 1000);
  auto live = [](const auto& records) {
    return static_cast<int>(
        std::count_if(records.begin(), records.end(), [](const auto& r) { return !r.is_deleted; }));
  };
  TouchPersons(std::min(spec.bulk_updated_persons, live(persons_)), bulk_second);
  TouchDeals(std::min(spec.bulk_updated_deals, live(deals_)), bulk_second);
}

int64_t Company::CreatePerson(PdPerson person, int64_t now_ms) {
  person.id = NextId(persons_);
  person.add_time_ms = person.update_time_ms = WholeSecond(now_ms);
  person.is_deleted = false;
  persons_.push_back(std::move(person));
  return persons_.back().id;
}

void Company::UpdatePerson(int64_t id, const std::function<void(PdPerson&)>& change,
                           int64_t now_ms) {
  PdPerson& person = Person(id);
  PdPerson updated = person;
  change(updated);
  updated.id = person.id;
  updated.add_time_ms = person.add_time_ms;
  updated.update_time_ms = WholeSecond(now_ms);
  person = std::move(updated);
}

void Company::DeletePerson(int64_t id, int64_t now_ms) {
  PdPerson& person = Person(id);
  person.is_deleted = true;
  person.delete_time_ms = person.update_time_ms = WholeSecond(now_ms);
}

void Company::StampDealChange(const PdDeal& before, PdDeal& deal, int64_t now_ms) {
  if (deal.status != "open" && deal.status != "won" && deal.status != "lost") {
    throw std::invalid_argument("deal status must be open, won or lost: " + deal.status);
  }
  if (deal.status != before.status) {
    deal.won_time_ms.reset();
    deal.lost_time_ms.reset();
    deal.close_time_ms.reset();
    if (deal.status == "won") deal.won_time_ms = deal.close_time_ms = now_ms;
    if (deal.status == "lost") deal.lost_time_ms = deal.close_time_ms = now_ms;
  }
  if (deal.status != "lost") deal.lost_reason.reset();
  if (deal.stage_id != before.stage_id) deal.stage_change_time_ms = now_ms;
}

int64_t Company::CreateDeal(PdDeal deal, int64_t now_ms) {
  const int64_t now = WholeSecond(now_ms);
  deal.id = NextId(deals_);
  if (deal.stage_id == 0) deal.stage_id = stages_.front().id;
  deal.pipeline_id = Stage(deal.stage_id).pipeline_id;
  deal.add_time_ms = deal.update_time_ms = deal.stage_change_time_ms = now;
  deal.is_deleted = false;
  PdDeal open;
  open.stage_id = deal.stage_id;
  StampDealChange(open, deal, now);
  deals_.push_back(std::move(deal));
  return deals_.back().id;
}

void Company::UpdateDeal(int64_t id, const std::function<void(PdDeal&)>& change, int64_t now_ms) {
  const int64_t now = WholeSecond(now_ms);
  PdDeal& deal = Deal(id);
  PdDeal updated = deal;
  change(updated);
  updated.id = deal.id;
  updated.add_time_ms = deal.add_time_ms;
  updated.pipeline_id = Stage(updated.stage_id).pipeline_id;
  StampDealChange(deal, updated, now);
  updated.update_time_ms = now;
  deal = std::move(updated);
}

void Company::DeleteDeal(int64_t id, int64_t now_ms) {
  PdDeal& deal = Deal(id);
  deal.is_deleted = true;
  deal.delete_time_ms = deal.update_time_ms = WholeSecond(now_ms);
}

std::string Company::CreateLead(PdLead lead, int64_t now_ms) {
  if (!lead.person_id && !lead.organization_id) {
    throw std::invalid_argument("a lead needs a person or an organization");
  }
  lead.id = NewLeadId();
  lead.add_time_ms = lead.update_time_ms = WholeSecond(now_ms);
  lead.is_deleted = false;
  lead_index_[lead.id] = leads_.size();
  leads_.push_back(std::move(lead));
  return leads_.back().id;
}

void Company::ArchiveLead(const std::string& id, int64_t now_ms) {
  PdLead& lead = Lead(id);
  lead.is_archived = true;
  lead.update_time_ms = WholeSecond(now_ms);
}

void Company::DeleteLead(const std::string& id, int64_t now_ms) {
  PdLead& lead = Lead(id);
  lead.is_deleted = true;
  lead.update_time_ms = WholeSecond(now_ms);
}

int64_t Company::CreateActivity(PdActivity activity, int64_t now_ms) {
  const int64_t now = WholeSecond(now_ms);
  activity.id = NextId(activities_);
  activity.add_time_ms = activity.update_time_ms = now;
  activity.marked_as_done_time_ms.reset();
  if (activity.done) activity.marked_as_done_time_ms = now;
  if (activity.due_date.empty()) activity.due_date = FormatIsoMs(now).substr(0, 10);
  activities_.push_back(std::move(activity));
  return activities_.back().id;
}

void Company::MarkActivityDone(int64_t id, int64_t now_ms) {
  PdActivity& activity = Activity(id);
  activity.done = true;
  activity.marked_as_done_time_ms = activity.update_time_ms = WholeSecond(now_ms);
}

void Company::MergePersons(int64_t survivor_id, int64_t loser_id, int64_t now_ms) {
  if (survivor_id == loser_id) throw std::invalid_argument("a person cannot merge with itself");
  const int64_t now = WholeSecond(now_ms);
  PdPerson& loser = Person(loser_id);
  PdPerson& survivor = Person(survivor_id);
  // The survivor's values win; only what it lacks comes from the loser.
  if (survivor.emails.empty()) survivor.emails = loser.emails;
  if (survivor.phones.empty()) survivor.phones = loser.phones;
  for (const auto& [key, value] : loser.custom_fields) survivor.custom_fields.emplace(key, value);
  survivor.update_time_ms = now;
  loser.is_deleted = true;
  loser.delete_time_ms = loser.update_time_ms = now;
  for (PdDeal& d : deals_) {
    if (d.person_id == loser_id) {
      d.person_id = survivor_id;
      d.update_time_ms = now;
    }
  }
  for (PdLead& l : leads_) {
    if (l.person_id == loser_id) {
      l.person_id = survivor_id;
      l.update_time_ms = now;
    }
  }
  for (PdActivity& a : activities_) {
    if (a.person_id == loser_id) {
      a.person_id = survivor_id;
      a.update_time_ms = now;
    }
  }
}

std::vector<int64_t> Company::TouchPersons(int n, int64_t at_ms) {
  return TouchLive(persons_, n, at_ms, rng_);
}

std::vector<int64_t> Company::TouchDeals(int n, int64_t at_ms) {
  return TouchLive(deals_, n, at_ms, rng_);
}

void Company::SetPersonFieldOptionLabel(const std::string& key, int64_t option_id,
                                        const std::string& label, int64_t now_ms) {
  for (PdPersonField& field : person_fields_) {
    if (field.key != key) continue;
    for (auto& [id, text] : field.options) {
      if (id == option_id) {
        text = label;
        person_fields_update_ms_ = WholeSecond(now_ms);
        return;
      }
    }
    throw std::invalid_argument("person field " + key + " has no option " +
                                std::to_string(option_id));
  }
  throw std::invalid_argument("no person field " + key);
}

}  // namespace salesaudit::sim

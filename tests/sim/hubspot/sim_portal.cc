#include "tests/sim/hubspot/sim_portal.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <utility>

#include "core/time_util.h"
#include "tests/sim/common/sim_people.h"
#include "tests/sim/common/sim_text.h"

namespace salesaudit::sim {
namespace {

constexpr int64_t kDayMs = 86'400'000;

// Default lifecycle stages in funnel order (docs/vendors/hubspot.md
// "Lifecycle stages and contact properties"); `other`
// sits outside the funnel.
const std::vector<std::string> kFunnel = {
    "subscriber", "lead",      "marketingqualifiedlead", "salesqualifiedlead", "opportunity",
    "customer",   "evangelist"};

// Per-mille share of contacts currently in each stage: most are leads and
// each later stage holds fewer, as in a real funnel.
struct StageShare {
  const char* stage;
  int per_mille;
};
constexpr std::array<StageShare, 8> kStageShares = {{{"subscriber", 50},
                                                     {"lead", 450},
                                                     {"marketingqualifiedlead", 200},
                                                     {"salesqualifiedlead", 120},
                                                     {"opportunity", 70},
                                                     {"customer", 90},
                                                     {"evangelist", 10},
                                                     {"other", 10}}};

const std::vector<std::string> kSources = {"ORGANIC_SEARCH", "PAID_SEARCH", "EMAIL_MARKETING",
                                           "SOCIAL_MEDIA",   "REFERRALS",   "OTHER_CAMPAIGNS",
                                           "DIRECT_TRAFFIC", "OFFLINE",     "PAID_SOCIAL"};
const std::vector<std::string> kEarlyLeadStatus = {
    "NEW", "OPEN", "ATTEMPTED_TO_CONTACT", "CONNECTED", "UNQUALIFIED", "BAD_TIMING"};
const std::vector<std::string> kLateLeadStatus = {"CONNECTED", "IN_PROGRESS", "OPEN_DEAL"};

const std::vector<std::string> kDealKinds = {"renewal", "new business", "upsell"};

struct DealStage {
  const char* id;
  const char* probability;
  int per_mille;
};
// The default pipeline's stages (docs/vendors/hubspot.md "Deals and pipelines").
constexpr std::array<DealStage, 7> kDealStages = {{{"appointmentscheduled", "0.2", 200},
                                                   {"qualifiedtobuy", "0.4", 150},
                                                   {"presentationscheduled", "0.6", 120},
                                                   {"decisionmakerboughtin", "0.8", 100},
                                                   {"contractsent", "0.9", 80},
                                                   {"closedwon", "1.0", 200},
                                                   {"closedlost", "0.0", 150}}};

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

bool AllDigits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int FunnelIndex(const std::string& stage) {
  auto it = std::find(kFunnel.begin(), kFunnel.end(), stage);
  return it == kFunnel.end() ? -1 : static_cast<int>(it - kFunnel.begin());
}

std::string StageDateProperty(const std::string& stage) {
  return "hs_lifecyclestage_" + stage + "_date";
}

std::optional<int64_t> ParseId(const std::string& id) {
  int64_t key = 0;
  const auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), key);
  if (id.empty() || ec != std::errc() || end != id.data() + id.size()) return std::nullopt;
  return key;
}

}  // namespace

const char* ModifiedDateProperty(ObjectType type) {
  return type == ObjectType::kContacts ? "lastmodifieddate" : "hs_lastmodifieddate";
}

std::optional<ObjectType> ObjectTypeNamed(std::string_view name) {
  if (name == "contacts") return ObjectType::kContacts;
  if (name == "deals") return ObjectType::kDeals;
  return std::nullopt;
}

Portal::Portal() {
  contacts_.schema = {"email",
                      "firstname",
                      "lastname",
                      "hubspot_owner_id",
                      "hs_analytics_source",
                      "lifecyclestage",
                      "hs_lead_status",
                      "createdate",
                      "lastmodifieddate",
                      "hs_object_id",
                      "hs_sa_first_engagement_date",
                      "hs_merged_object_ids"};
  for (const std::string& stage : kFunnel) contacts_.schema.insert(StageDateProperty(stage));
  contacts_.schema.insert(StageDateProperty("other"));
  deals_.schema = {"dealname",
                   "dealstage",
                   "pipeline",
                   "amount",
                   "deal_currency_code",
                   "closedate",
                   "createdate",
                   "hs_lastmodifieddate",
                   "hubspot_owner_id",
                   "hs_is_closed",
                   "hs_is_closed_won",
                   "hs_object_id",
                   "hs_deal_stage_probability"};
}

std::string Portal::DateValue(int64_t ms) {
  return Chance(epoch_date_share_) ? std::to_string(ms) : FormatIsoMs(ms);
}

void Portal::KeepIndexedVersion(ObjectType type, const SimObject& object,
                                const PortalClock& clock) {
  if (object.indexed_at_ms > clock.now_ms) return;
  // Portal ids are generated digits, so this always parses.
  if (std::optional<int64_t> key = ParseId(object.id)) {
    table(type).indexed.insert_or_assign(*key, object);
  }
}

void Portal::Touch(ObjectType type, SimObject& object, int64_t at_ms, const PortalClock& clock) {
  object.updated_at_ms = at_ms;
  object.indexed_at_ms = at_ms + clock.index_lag_ms;
  if (object.indexed_at_ms <= clock.now_ms) {
    if (std::optional<int64_t> key = ParseId(object.id)) table(type).indexed.erase(*key);
  }
  std::string& value = object.properties[ModifiedDateProperty(type)];
  value = AllDigits(value) ? std::to_string(at_ms) : FormatIsoMs(at_ms);
}

std::string Portal::PickOwnerId() {
  if (owners_.empty()) return "";
  auto it = owners_.begin();
  std::advance(it, Below(static_cast<int64_t>(owners_.size())));
  return it->second.id;
}

std::vector<int64_t> Portal::PickLive(ObjectType type, int count) {
  std::vector<int64_t> live;
  const ObjectTable& t = table(type);
  for (size_t i = 0; i < t.records.size(); ++i) {
    if (!t.records[i].archived) live.push_back(t.ids[i]);
  }
  const size_t n = std::min(live.size(), static_cast<size_t>(std::max(count, 0)));
  for (size_t i = 0; i < n; ++i) {
    std::swap(live[i], live[i + static_cast<size_t>(Below(static_cast<int64_t>(live.size() - i)))]);
  }
  live.resize(n);
  std::sort(live.begin(), live.end());
  return live;
}

void Portal::GenerateOwners(int count, int64_t now_ms, int history_days) {
  owners_.clear();
  while (static_cast<int>(owners_.size()) < count) {
    const int64_t id = 40'000'000 + Below(60'000'000);
    if (owners_.count(id) != 0) continue;
    SimOwner owner;
    owner.id = std::to_string(id);
    owner.first_name = Pick(kFirstNames);
    owner.last_name = Pick(kLastNames);
    owner.email = Lower(owner.first_name + "." + owner.last_name) + "@salesco.example";
    owner.user_id = 9'000'000 + Below(1'000'000);
    // Reps join early in the portal's history, before most of their records.
    const int64_t history = static_cast<int64_t>(std::max(history_days, 1)) * kDayMs;
    owner.created_at_ms = now_ms - history + Below(history / 10 + 1);
    owner.updated_at_ms = owner.created_at_ms + Below(now_ms - owner.created_at_ms + 1);
    owners_[id] = owner;
  }
  // A deactivated rep: listed only with archived=true, yet still the owner
  // of some records, as happens when a user leaves the portal.
  if (count >= 2) {
    auto it = owners_.begin();
    std::advance(it, Below(count));
    it->second.archived = true;
  }
}

SimObject Portal::MakeContact(int64_t id, int64_t created_ms, int64_t updated_ms,
                              int64_t index_lag_ms) {
  SimObject c;
  c.id = std::to_string(id);
  c.created_at_ms = created_ms;
  c.updated_at_ms = updated_ms;
  c.indexed_at_ms = updated_ms + index_lag_ms;
  auto& p = c.properties;
  p["hs_object_id"] = c.id;
  p["createdate"] = DateValue(created_ms);
  p["lastmodifieddate"] = DateValue(updated_ms);

  const std::string first = Pick(kFirstNames);
  const std::string last = Pick(kLastNames);
  p["firstname"] = first;
  if (!Chance(0.03)) p["lastname"] = last;

  if (!emails_.empty() && Chance(0.02)) {
    // A duplicate contact: same address, maybe typed in another case.
    std::string dup = Pick(emails_);
    p["email"] = Chance(0.5) ? dup : Lower(dup);
  } else if (!Chance(0.02)) {
    std::string email = Lower(first + "." + last) + std::to_string(id) + "@" + Pick(kDomains);
    emails_.push_back(email);
    // As typed by people: mixed case, stray spaces.
    if (Chance(0.06)) email = first + "." + last + std::to_string(id) + "@" + Upper(Pick(kDomains));
    if (Chance(0.03)) email = "  " + email + " ";
    p["email"] = email;
  }

  if (!Chance(0.10)) p["hubspot_owner_id"] = PickOwnerId();
  if (Chance(0.02)) {
    p["hs_analytics_source"] = "";
  } else if (!Chance(0.07)) {
    p["hs_analytics_source"] = Pick(kSources);
  }

  int roll = static_cast<int>(Below(1000));
  std::string stage = "lead";
  for (const StageShare& share : kStageShares) {
    if (roll < share.per_mille) {
      stage = share.stage;
      break;
    }
    roll -= share.per_mille;
  }
  p["lifecyclestage"] = stage;

  // Stage entry dates from creation up to the current stage, increasing; an
  // intermediate stage is sometimes skipped (a customer with no SQL date),
  // as happens when a rep jumps a contact forward.
  std::vector<std::string> path;
  const int current = FunnelIndex(stage);
  const int start = (stage == "subscriber" || Chance(0.15)) ? 0 : 1;
  if (current < 0) {
    path = {"lead", "other"};
  } else {
    for (int i = std::min(start, current); i <= current; ++i) path.push_back(kFunnel[i]);
  }
  const int64_t span = std::max<int64_t>(updated_ms - created_ms, 0);
  for (size_t i = 0; i < path.size(); ++i) {
    const bool edge = i == 0 || i + 1 == path.size();
    if (!edge && Chance(0.12)) continue;
    int64_t at = created_ms;
    if (i > 0) at = created_ms + span * static_cast<int64_t>(i) / static_cast<int64_t>(path.size());
    p[StageDateProperty(path[i])] = DateValue(at);
  }

  const bool late = current >= FunnelIndex("salesqualifiedlead");
  if (Chance(0.03)) {
    p["hs_lead_status"] = "";
  } else if (!Chance(0.10)) {
    p["hs_lead_status"] = late ? Pick(kLateLeadStatus) : Pick(kEarlyLeadStatus);
  }
  const std::string& status = p.count("hs_lead_status") ? p["hs_lead_status"] : "";
  const bool engaged = current >= FunnelIndex("marketingqualifiedlead") || status == "CONNECTED" ||
                       status == "ATTEMPTED_TO_CONTACT";
  if (engaged && Chance(0.7)) {
    p["hs_sa_first_engagement_date"] = DateValue(created_ms + span * Below(1000) / 1000);
  }
  return c;
}

void Portal::SetDealStage(SimObject& deal, const std::string& stage, int64_t at_ms) {
  auto& p = deal.properties;
  p["dealstage"] = stage;
  for (const DealStage& s : kDealStages) {
    if (stage == s.id) p["hs_deal_stage_probability"] = s.probability;
  }
  const bool won = stage == "closedwon";
  const bool closed = won || stage == "closedlost";
  p["hs_is_closed"] = closed ? "true" : "false";
  p["hs_is_closed_won"] = won ? "true" : "false";
  if (closed) p["closedate"] = DateValue(at_ms);
}

std::vector<std::string> Portal::PickDealContacts() {
  std::vector<std::string> ids;
  if (contact_ids_.empty() || Chance(0.08)) return ids;
  const int64_t want = 1 + Below(std::max(max_contacts_per_deal_, 1));
  // A few retries per wanted contact: a pick may be archived, merged away
  // or already chosen.
  const int64_t attempts = std::max<int64_t>(10, 3 * want);
  for (int64_t attempt = 0; attempt < attempts && static_cast<int64_t>(ids.size()) < want;
       ++attempt) {
    const int64_t id = Pick(contact_ids_);
    const SimObject* contact = contacts_.Find(id);
    if (contact == nullptr || contact->archived) continue;
    if (std::find(ids.begin(), ids.end(), contact->id) == ids.end()) ids.push_back(contact->id);
  }
  return ids;
}

SimObject Portal::MakeDeal(int64_t id, int64_t created_ms, int64_t updated_ms, int64_t now_ms,
                           int64_t index_lag_ms) {
  SimObject d;
  d.id = std::to_string(id);
  d.created_at_ms = created_ms;
  d.updated_at_ms = updated_ms;
  d.indexed_at_ms = updated_ms + index_lag_ms;
  auto& p = d.properties;
  p["hs_object_id"] = d.id;
  p["createdate"] = DateValue(created_ms);
  p["hs_lastmodifieddate"] = DateValue(updated_ms);
  p["pipeline"] = "default";
  p["dealname"] = Pick(kLastNames) + " " + Pick(kDealKinds);
  if (Chance(0.15)) {
    // amount unset: HubSpot sends null.
  } else if (Chance(0.3)) {
    p["amount"] = std::to_string(1000 * (1 + Below(50)));
  } else {
    const int64_t cents = 50'000 + Below(5'000'000);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%lld.%02lld", static_cast<long long>(cents / 100),
                  static_cast<long long>(cents % 100));
    p["amount"] = buf;
  }
  if (!Chance(0.05)) p["deal_currency_code"] = Chance(0.85) ? "USD" : "EUR";
  if (!Chance(0.05)) p["hubspot_owner_id"] = PickOwnerId();

  int roll = static_cast<int>(Below(1000));
  std::string stage = kDealStages[0].id;
  for (const DealStage& s : kDealStages) {
    if (roll < s.per_mille) {
      stage = s.id;
      break;
    }
    roll -= s.per_mille;
  }
  const int64_t span = std::max<int64_t>(updated_ms - created_ms, 0);
  SetDealStage(d, stage, created_ms + span * Below(1000) / 1000);
  if (p["hs_is_closed"] == "false" && !Chance(0.1)) {
    // An expected close date, often in the future.
    p["closedate"] =
        DateValue(std::max(created_ms, now_ms - 30 * kDayMs) + (1 + Below(90)) * kDayMs);
  }
  return d;
}

void Portal::Generate(const PortalSpec& spec, const PortalClock& clock) {
  const int64_t now_ms = clock.now_ms;
  const int64_t index_lag_ms = clock.index_lag_ms;
  rng_.seed(spec.seed);
  epoch_date_share_ = spec.epoch_date_share;
  max_contacts_per_deal_ = spec.max_contacts_per_deal;
  contacts_.Clear();
  deals_.Clear();
  deal_contacts_.clear();
  contact_ids_.clear();
  emails_.clear();
  contacts_.next_id = 101;
  deals_.next_id = 101;
  GenerateOwners(spec.owners, now_ms, spec.history_days);

  // Creation dates rise with the id, as in a portal filled over time.
  const int64_t history = static_cast<int64_t>(std::max(spec.history_days, 1)) * kDayMs;
  auto created_at = [&](int i, int n) {
    const int64_t step = history / std::max(n, 1);
    return now_ms - history + step * i + Below(step);
  };
  for (int i = 0; i < spec.contacts; ++i) {
    const int64_t id = contacts_.next_id;
    contacts_.next_id += 1 + Below(3);
    const int64_t created = created_at(i, spec.contacts);
    const int64_t updated = created + Below(now_ms - created + 1);
    contacts_.Append(id, MakeContact(id, created, updated, index_lag_ms));
    contact_ids_.push_back(id);
  }
  for (int i = 0; i < spec.deals; ++i) {
    const int64_t id = deals_.next_id;
    deals_.next_id += 1 + Below(3);
    const int64_t created = created_at(i, spec.deals);
    const int64_t updated = created + Below(now_ms - created + 1);
    SimObject deal = MakeDeal(id, created, updated, now_ms, index_lag_ms);
    std::vector<std::string> contacts = PickDealContacts();
    if (!contacts.empty()) deal_contacts_[deal.id] = std::move(contacts);
    deals_.Append(id, std::move(deal));
  }
  std::vector<std::string> emails;
  for (const SimObject& c : contacts_.records) {
    auto it = c.properties.find("email");
    if (it != c.properties.end()) emails.push_back(it->second);
  }
  email_.Generate(spec, emails, now_ms);
}

std::vector<std::string> Portal::UpdateContacts(int count, int64_t at_ms,
                                                const PortalClock& clock) {
  std::vector<std::string> touched;
  for (int64_t id : PickLive(ObjectType::kContacts, count)) {
    SimObject& c = *contacts_.Find(id);
    KeepIndexedVersion(ObjectType::kContacts, c, clock);
    auto& p = c.properties;
    // Move the contact one stage down the funnel, or change its lead status.
    const int current = FunnelIndex(p["lifecyclestage"]);
    if (current >= 0 && current + 1 < static_cast<int>(kFunnel.size()) && Chance(0.5)) {
      p["lifecyclestage"] = kFunnel[current + 1];
      p[StageDateProperty(kFunnel[current + 1])] = DateValue(at_ms);
    } else {
      p["hs_lead_status"] = Pick(kEarlyLeadStatus);
    }
    if (Chance(0.2)) p["hubspot_owner_id"] = PickOwnerId();
    Touch(ObjectType::kContacts, c, at_ms, clock);
    touched.push_back(c.id);
  }
  return touched;
}

std::vector<std::string> Portal::BulkUpdateContacts(int count, int distinct_timestamps,
                                                    const PortalClock& clock) {
  std::vector<std::string> touched;
  const int64_t distinct = std::max(distinct_timestamps, 1);
  int64_t n = 0;
  for (int64_t id : PickLive(ObjectType::kContacts, count)) {
    SimObject& c = *contacts_.Find(id);
    KeepIndexedVersion(ObjectType::kContacts, c, clock);
    c.properties["hs_lead_status"] = Pick(kEarlyLeadStatus);
    // An import stamps rows with a handful of times, all already past.
    Touch(ObjectType::kContacts, c, clock.now_ms - (n++ % distinct), clock);
    touched.push_back(c.id);
  }
  return touched;
}

std::vector<std::string> Portal::AddContacts(int count, const PortalClock& clock) {
  std::vector<std::string> added;
  for (int i = 0; i < count; ++i) {
    const int64_t id = contacts_.next_id++;
    contacts_.Append(id, MakeContact(id, clock.now_ms, clock.now_ms, clock.index_lag_ms));
    contact_ids_.push_back(id);
    added.push_back(std::to_string(id));
  }
  return added;
}

std::vector<std::string> Portal::Archive(ObjectType type, int count, int64_t now_ms) {
  std::vector<std::string> archived;
  for (int64_t id : PickLive(type, count)) {
    // Archiving sets archivedAt and leaves the modified date alone
    // (docs/vendors/hubspot.md "List and archived records"), so modified-since
    // queries never see it.
    SimObject& object = *table(type).Find(id);
    object.archived = true;
    object.archived_at_ms = now_ms;
    archived.push_back(object.id);
  }
  return archived;
}

std::vector<std::string> Portal::MergeContacts(int count, const PortalClock& clock) {
  const std::vector<int64_t> picked = PickLive(ObjectType::kContacts, 2 * count);
  std::vector<std::string> merged_away;
  for (size_t i = 0; i + 1 < picked.size(); i += 2) {
    SimObject& survivor = *contacts_.Find(picked[i]);
    const std::string loser = std::to_string(picked[i + 1]);
    // HubSpot moves the merged-away contact's deal associations to the
    // survivor and, as far as is known, leaves the deals' modified dates
    // alone: a client reading deals by modified date never sees the move.
    for (auto& [deal, contacts] : deal_contacts_) {
      auto it = std::find(contacts.begin(), contacts.end(), loser);
      if (it == contacts.end()) continue;
      if (std::find(contacts.begin(), contacts.end(), survivor.id) == contacts.end()) {
        *it = survivor.id;
      } else {
        contacts.erase(it);
      }
    }
    // The survivor lists the ids merged into it; the other id disappears:
    // it is neither listed, searchable nor archived.
    KeepIndexedVersion(ObjectType::kContacts, survivor, clock);
    std::string& ids = survivor.properties["hs_merged_object_ids"];
    ids = ids.empty() ? loser : ids + ";" + loser;
    Touch(ObjectType::kContacts, survivor, clock.now_ms, clock);
    contacts_.Erase(picked[i + 1]);
    merged_away.push_back(loser);
  }
  return merged_away;
}

std::vector<std::string> Portal::UpdateDeals(int count, const PortalClock& clock) {
  std::vector<std::string> touched;
  for (int64_t id : PickLive(ObjectType::kDeals, count)) {
    SimObject& d = *deals_.Find(id);
    KeepIndexedVersion(ObjectType::kDeals, d, clock);
    if (d.properties["hs_is_closed"] == "false") {
      SetDealStage(d, kDealStages[static_cast<size_t>(Below(kDealStages.size()))].id, clock.now_ms);
    }
    d.properties["amount"] = std::to_string(1000 * (1 + Below(80)));
    std::vector<std::string> contacts = PickDealContacts();
    if (contacts.empty()) {
      deal_contacts_.erase(d.id);
    } else {
      deal_contacts_[d.id] = std::move(contacts);
    }
    Touch(ObjectType::kDeals, d, clock.now_ms, clock);
    touched.push_back(d.id);
  }
  return touched;
}

std::vector<std::string> Portal::AddDeals(int count, const PortalClock& clock) {
  std::vector<std::string> added;
  for (int i = 0; i < count; ++i) {
    const int64_t id = deals_.next_id++;
    SimObject deal = MakeDeal(id, clock.now_ms, clock.now_ms, clock.now_ms, clock.index_lag_ms);
    std::vector<std::string> contacts = PickDealContacts();
    if (!contacts.empty()) deal_contacts_[deal.id] = std::move(contacts);
    added.push_back(deal.id);
    deals_.Append(id, std::move(deal));
  }
  return added;
}

std::vector<std::string> Portal::AssociateContacts(const std::string& deal_id, int count,
                                                   const PortalClock& clock, bool touch_deal) {
  std::vector<std::string> added;
  const std::optional<int64_t> key = ParseId(deal_id);
  SimObject* deal = key ? deals_.Find(*key) : nullptr;
  if (deal == nullptr || deal->archived || count <= 0) return added;
  auto existing = deal_contacts_.find(deal->id);
  const std::set<std::string> linked =
      existing == deal_contacts_.end()
          ? std::set<std::string>()
          : std::set<std::string>(existing->second.begin(), existing->second.end());
  // A random sample large enough to hold `count` contacts not yet linked.
  for (int64_t id : PickLive(ObjectType::kContacts, count + static_cast<int>(linked.size()))) {
    if (static_cast<int>(added.size()) == count) break;
    std::string contact = std::to_string(id);
    if (linked.count(contact) == 0) added.push_back(std::move(contact));
  }
  if (added.empty()) return added;
  if (touch_deal) KeepIndexedVersion(ObjectType::kDeals, *deal, clock);
  std::vector<std::string>& contacts = deal_contacts_[deal->id];
  contacts.insert(contacts.end(), added.begin(), added.end());
  if (touch_deal) Touch(ObjectType::kDeals, *deal, clock.now_ms, clock);
  return added;
}

void Portal::SetContactProperty(const std::string& id, const std::string& name,
                                const std::optional<std::string>& value, int64_t at_ms,
                                const PortalClock& clock) {
  const std::optional<int64_t> key = ParseId(id);
  SimObject* contact = key ? contacts_.Find(*key) : nullptr;
  if (contact == nullptr) return;
  KeepIndexedVersion(ObjectType::kContacts, *contact, clock);
  contacts_.schema.insert(name);
  if (value) {
    contact->properties[name] = *value;
  } else {
    contact->properties.erase(name);
  }
  Touch(ObjectType::kContacts, *contact, at_ms, clock);
}

}  // namespace salesaudit::sim

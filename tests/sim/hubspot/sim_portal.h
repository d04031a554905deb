// The simulated HubSpot portal: contacts, deals, owners and deal->contact
// associations, their deterministic generation and the mutations tests apply
// between syncs.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tests/sim/hubspot/hubspot_sim.h"
#include "tests/sim/hubspot/sim_email.h"

namespace salesaudit::sim {

enum class ObjectType { kContacts, kDeals };

// The property that holds the modified date: `lastmodifieddate` on contacts,
// `hs_lastmodifieddate` on deals (docs/vendors/hubspot.md "Search").
const char* ModifiedDateProperty(ObjectType type);

// The type a path names ("contacts", "deals"); nullopt for any other.
std::optional<ObjectType> ObjectTypeNamed(std::string_view name);

// HubSpot's clock for one mutation: `now_ms` is ours plus
// SimOptions::clock_offset_ms, and a change becomes searchable index_lag_ms
// after the time it is stamped with.
struct PortalClock {
  int64_t now_ms = 0;
  int64_t index_lag_ms = 0;
};

// One object type's records in ascending numeric id order. Ids only grow (a
// new record takes next_id), so appending keeps the order: a list cursor is a
// binary search away and a search scans contiguous memory.
struct ObjectTable {
  std::vector<int64_t> ids;  // ids[i] is records[i]'s id as a number
  std::vector<SimObject> records;
  // Property names the portal defines for this type: a requested property
  // outside it is omitted from responses, one inside it but unset is null.
  std::set<std::string> schema;
  int64_t next_id = 101;
  // The search index's copy of records whose latest version it has not
  // caught up with (now < indexed_at_ms): the version it last indexed, which
  // search keeps matching and returning meanwhile. A record created since
  // has no entry and so is not searchable at all. Entries whose record is
  // searchable again are dead weight, dropped on the record's next change.
  std::map<int64_t, SimObject> indexed;

  // REQUIRES: `id` is larger than every id held.
  void Append(int64_t id, SimObject object) {
    ids.push_back(id);
    records.push_back(std::move(object));
  }
  // The version of records[i] search sees at `now_ms`: the record itself once
  // indexed, else its previously indexed copy; nullptr when there is none.
  const SimObject* Searchable(size_t i, int64_t now_ms) const {
    if (records[i].indexed_at_ms <= now_ms) return &records[i];
    auto it = indexed.find(ids[i]);
    return it == indexed.end() ? nullptr : &it->second;
  }
  // Index of the first record with an id >= `id`.
  size_t LowerBound(int64_t id) const {
    return static_cast<size_t>(std::lower_bound(ids.begin(), ids.end(), id) - ids.begin());
  }
  // nullptr when there is no record with this id.
  SimObject* Find(int64_t id) {
    const size_t i = LowerBound(id);
    return i < ids.size() && ids[i] == id ? &records[i] : nullptr;
  }
  void Clear() {
    ids.clear();
    records.clear();
    indexed.clear();
  }
  // Removes the record with this id, if any (a merged-away contact).
  void Erase(int64_t id) {
    const size_t i = LowerBound(id);
    if (i == ids.size() || ids[i] != id) return;
    ids.erase(ids.begin() + static_cast<std::ptrdiff_t>(i));
    records.erase(records.begin() + static_cast<std::ptrdiff_t>(i));
    indexed.erase(id);
  }
};

// Portal owns all records and the seeded random stream that generation and
// mutations draw from, so a given sequence of calls is reproducible.
// Not thread-safe: HubSpotSim guards it with one mutex.
class Portal {
 public:
  Portal();

  // Generated records are indexed index_lag_ms after their modified date,
  // with no earlier version: a recently modified one is not yet searchable.
  void Generate(const PortalSpec& spec, const PortalClock& clock);

  // The mutations behind HubSpotSim's; `at_ms` is the modified date to stamp.
  std::vector<std::string> UpdateContacts(int count, int64_t at_ms, const PortalClock& clock);
  std::vector<std::string> BulkUpdateContacts(int count, int distinct_timestamps,
                                              const PortalClock& clock);
  std::vector<std::string> AddContacts(int count, const PortalClock& clock);
  std::vector<std::string> Archive(ObjectType type, int count, int64_t now_ms);
  std::vector<std::string> MergeContacts(int count, const PortalClock& clock);
  std::vector<std::string> UpdateDeals(int count, const PortalClock& clock);
  std::vector<std::string> AddDeals(int count, const PortalClock& clock);
  std::vector<std::string> AssociateContacts(const std::string& deal_id, int count,
                                             const PortalClock& clock, bool touch_deal);
  void SetContactProperty(const std::string& id, const std::string& name,
                          const std::optional<std::string>& value, int64_t at_ms,
                          const PortalClock& clock);

  ObjectTable& table(ObjectType type) { return type == ObjectType::kContacts ? contacts_ : deals_; }
  const ObjectTable& table(ObjectType type) const {
    return type == ObjectType::kContacts ? contacts_ : deals_;
  }
  EmailPortal& email() { return email_; }
  const EmailPortal& email() const { return email_; }
  // Ordered by numeric id, as /crm/v3/owners lists them.
  const std::map<int64_t, SimOwner>& owners() const { return owners_; }
  // deal id -> contact ids, each list in association order.
  const std::map<std::string, std::vector<std::string>>& deal_contacts() const {
    return deal_contacts_;
  }

 private:
  uint64_t Next() { return rng_(); }
  // Uniform in [0, n) by modulo: std distributions differ across libstdc++
  // versions and the data must stay the same for a seed.
  int64_t Below(int64_t n) {
    return n <= 0 ? 0 : static_cast<int64_t>(Next() % static_cast<uint64_t>(n));
  }
  bool Chance(double p) { return static_cast<double>(Next() >> 11) * 0x1.0p-53 < p; }
  template <typename T>
  const T& Pick(const std::vector<T>& values) {
    return values[static_cast<size_t>(Below(static_cast<int64_t>(values.size())))];
  }

  // Formats a datetime property as ISO or, for a seeded share, epoch-ms.
  std::string DateValue(int64_t ms);
  // Call before changing `object`: when its current version is searchable it
  // becomes the one search serves until the change is indexed; when it is
  // not, search keeps serving whatever it served (an older version or
  // nothing), as an index that has not caught up would.
  void KeepIndexedVersion(ObjectType type, const SimObject& object, const PortalClock& clock);
  // Call after changing `object`: stamps the modified date (in the wire form
  // it had) and the time the change becomes searchable.
  void Touch(ObjectType type, SimObject& object, int64_t at_ms, const PortalClock& clock);
  std::vector<int64_t> PickLive(ObjectType type, int count);
  std::string PickOwnerId();

  SimObject MakeContact(int64_t id, int64_t created_ms, int64_t updated_ms, int64_t index_lag_ms);
  SimObject MakeDeal(int64_t id, int64_t created_ms, int64_t updated_ms, int64_t now_ms,
                     int64_t index_lag_ms);
  void SetDealStage(SimObject& deal, const std::string& stage, int64_t at_ms);
  std::vector<std::string> PickDealContacts();
  void GenerateOwners(int count, int64_t now_ms, int history_days);

  std::mt19937_64 rng_;
  double epoch_date_share_ = 0.2;
  int max_contacts_per_deal_ = 3;
  ObjectTable contacts_;
  ObjectTable deals_;
  std::map<int64_t, SimOwner> owners_;
  std::map<std::string, std::vector<std::string>> deal_contacts_;
  // Every contact id ever created, for O(1) random picks.
  std::vector<int64_t> contact_ids_;
  // Emails handed out so far, so a few new contacts can duplicate one.
  std::vector<std::string> emails_;
  EmailPortal email_;
};

}  // namespace salesaudit::sim

// ComputeSnapshot (audit/snapshot.h) and the machinery behind it, shared by
// the files that implement it; nothing outside audit/snapshot_*.cc includes
// this.
#pragma once

#include <climits>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "audit/email_audit.h"
#include "audit/forecast.h"
#include "audit/snapshot.h"
#include "audit/stage_evidence.h"

namespace salesaudit::snapshot_detail {

// created_at of a contact that has none.
constexpr int64_t kNoTime = INT64_MIN;

// Counts one more of `issue`, keeping the first kQualityExamples examples.
inline void AddIssue(QualityIssue& issue, std::string example) {
  ++issue.count;
  if (issue.examples.size() < kQualityExamples) issue.examples.push_back(std::move(example));
}

// Strings appended end to end, addressed by index: 1M contact ids cost their
// bytes plus 4 bytes each instead of a std::string apiece.
class StringArena {
 public:
  StringArena() { ends_.push_back(0); }
  void Add(std::string_view s) {
    bytes_.append(s);
    ends_.push_back(static_cast<uint32_t>(bytes_.size()));
  }
  std::string_view Get(size_t i) const {
    return std::string_view(bytes_).substr(ends_[i], ends_[i + 1] - ends_[i]);
  }

 private:
  std::string bytes_;
  std::vector<uint32_t> ends_;
};

// Small sets of names (sources, channels, owners) mapped to dense indexes.
class Interner {
 public:
  uint32_t Intern(std::string_view name) {
    if (auto it = index_.find(name); it != index_.end()) return it->second;
    const auto i = static_cast<uint32_t>(names_.size());
    names_.emplace_back(name);
    index_.emplace(names_.back(), i);
    return i;
  }
  std::optional<uint32_t> Find(std::string_view name) const {
    auto it = index_.find(name);
    if (it == index_.end()) return std::nullopt;
    return it->second;
  }
  const std::string& Name(uint32_t i) const { return names_[i]; }
  size_t size() const { return names_.size(); }

 private:
  // Looked up by string_view, so a lookup (one per contact) copies nothing.
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, uint32_t, Hash, std::equal_to<>> index_;
  std::vector<std::string> names_;
};

// One live contact, as the passes after the contact scan need it.
struct ContactFacts {
  int64_t created_at = kNoTime;
  uint32_t channel = 0;
  uint16_t source = 0;
  uint16_t won_deals = 0;  // live won deals closed before the window end
  bool in_cohort = false;
  bool customer_by_end = false;  // customer_at before the window end
};

// One live won deal closed before the window end.
// 16 bytes: one per won deal in the store.
struct WonDeal {
  uint16_t source = 0;
  bool in_window = false;
  bool has_amount = false;
  uint32_t currency = 0;  // in SnapshotBuilder::currency_codes_
  double amount = 0;
};

struct ChannelAgg {
  int64_t live_contacts = 0;  // in the whole store, for channel_variants
  FunnelCounts counts;
  std::vector<double> cycle_days;
  int64_t won_deals = 0;
  MoneyByCurrency revenue;
  double spend = 0;
};

struct OwnerAgg {
  std::string source;
  std::string id;
  std::string name;
  std::string email;
  bool in_table = false;
  bool active = false;
  FunnelCounts counts;
  std::vector<double> cycle_days;
  int64_t won_deals = 0;
  MoneyByCurrency revenue;
};

struct SourceFacts {
  bool sets_owner = false;    // owner rows, or a contact with an owner
  bool sets_channel = false;  // a contact with a channel
  QualityIssue missing_owner;
  QualityIssue missing_channel;
};

// The state of one ComputeSnapshot call. Its passes over the store
// (snapshot_passes.cc) fill the aggregates above, one read of each table;
// its sections (snapshot_sections.cc) turn them into the Snapshot's parts;
// Build (snapshot_builder.cc) runs the two in order. Made, used and dropped by one
// ComputeSnapshot call on one thread; it holds references to the store and
// settings it is given.
class SnapshotBuilder {
 public:
  SnapshotBuilder(Store& store, const AuditSettings& settings, const AuditWindow& window,
                  int64_t now_ms)
      : store_(store), settings_(settings), requested_(window), now_(now_ms) {}

  Result<Snapshot> Build();

 private:
  // snap_.forecast, from the lead volume.
  Status ForecastOnePeriod();
  Status ReadOwners();
  Status ReadContacts();
  Status ReadDeals();
  Status JoinDealContacts();
  Status ApplySpend();
  void FinishLeadVolume();
  void FinishChannels();
  void FinishReps();
  void FinishCapacity();
  void FinishCustomers();
  void FinishDataQuality();
  void FindDuplicateEmails();
  void FindChannelVariants();

  uint16_t SourceIndex(const std::string& source);
  uint32_t OwnerIndex(uint16_t source, const std::string& owner_id);
  std::string Example(uint16_t source, std::string_view id) const {
    return sources_.Name(source) + ":" + std::string(id);
  }
  bool InWindow(int64_t t) const { return t >= from_ && t < to_; }
  // Inside the requested window and after the earliest period an open start may reach.
  bool InCohortWindow(int64_t t) const {
    return requested_.Contains(t) && t >= earliest_start_ && t < to_;
  }

  Store& store_;
  const AuditSettings& settings_;
  const AuditWindow requested_;
  const int64_t now_;
  int64_t from_ = 0;
  int64_t to_ = 0;
  // The start of the earliest period the audit covers (kMaxAuditPeriods).
  int64_t earliest_start_ = 0;

  Interner sources_;
  std::vector<SourceFacts> source_facts_;
  Interner channels_;
  std::vector<ChannelAgg> channel_aggs_;
  Interner owner_keys_;
  std::vector<OwnerAgg> owners_;
  std::string owner_key_;

  // Every contact's stage evidence: ReadContacts, the email audit and the
  // forecast read effective dates through it.
  StageEvidence evidence_;
  // The email audit's passes, fed each live contact by ReadContacts.
  std::optional<EmailAuditPasses> email_;
  // The forecast's passes, fed by ReadContacts and ReadDeals.
  std::optional<ForecastPasses> forecast_;
  std::vector<ContactFacts> contacts_;
  StringArena contact_ids_;
  StringArena contact_emails_;
  std::vector<WonDeal> won_deals_;
  StringArena won_deal_ids_;

  std::vector<double> cycle_all_;
  std::vector<double> lead_to_mql_, mql_to_contacted_, contacted_to_sql_, sql_to_won_;
  // Normalised currency codes of the won deals ("" unknown), and those of
  // the window's.
  Interner currency_codes_;
  std::set<std::string> currencies_;
  // The unit of the window's revenue (the reporting currency, or the one
  // currency of all its won deals): an empty sum of money is stated in it.
  std::optional<std::string> unit_;

  Snapshot snap_;
};

}  // namespace salesaudit::snapshot_detail

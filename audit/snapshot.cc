#include "audit/snapshot.h"

#include <algorithm>
#include <cctype>
#include <climits>
#include <cmath>
#include <functional>
#include <map>
#include <numeric>
#include <set>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "core/time_util.h"

namespace salesaudit {
namespace {

constexpr int64_t kNoTime = INT64_MIN;
constexpr int64_t kDayMs = 24LL * 3600 * 1000;
constexpr int64_t kWeekMs = 7 * kDayMs;
// Mean weeks in a Gregorian month: 365.2425 / 12 / 7.
constexpr double kWeeksPerMonth = 365.2425 / 12.0 / 7.0;

// nullopt when the denominator is 0, or the quotient does not fit a double
// (a revenue target over a tiny average deal): an unknown, never inf.
std::optional<double> Ratio(double numerator, double denominator) {
  if (denominator == 0) return std::nullopt;
  const double ratio = numerator / denominator;
  if (!std::isfinite(ratio)) return std::nullopt;
  return ratio;
}

void AddCounts(const FunnelCounts& d, FunnelCounts& into) {
  into.leads += d.leads;
  into.mql += d.mql;
  into.contacted += d.contacted;
  into.sql += d.sql;
  into.won += d.won;
}

void AddIssue(QualityIssue& issue, std::string example) {
  ++issue.count;
  if (issue.examples.size() < kQualityExamples) issue.examples.push_back(std::move(example));
}

// Linear interpolation between closest ranks (the median of an even count is
// the mean of the middle two); `sorted` is not empty.
double Percentile(const std::vector<double>& sorted, double p) {
  const double pos = p * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - static_cast<double>(lo));
}

DurationStats StatsOf(std::vector<double>& days) {
  DurationStats s;
  s.count = static_cast<int64_t>(days.size());
  if (days.empty()) return s;
  std::sort(days.begin(), days.end());
  s.mean = std::accumulate(days.begin(), days.end(), 0.0) / static_cast<double>(days.size());
  s.median = Percentile(days, 0.5);
  s.p90 = Percentile(days, 0.9);
  return s;
}

std::optional<double> Median(std::vector<double> values) {
  if (values.empty()) return std::nullopt;
  std::sort(values.begin(), values.end());
  return Percentile(values, 0.5);
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = FloorDiv(y, 400);
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

int64_t MonthStartMs(int64_t month_index) {
  return DaysFromCivil(FloorDiv(month_index, 12), month_index - FloorDiv(month_index, 12) * 12 + 1,
                       1) *
         kDayMs;
}

// 1970-01-01 was a Thursday: Monday 1969-12-29 is the origin of ISO weeks.
constexpr int64_t kMondayOriginMs = -3 * kDayMs;

int64_t PeriodIndex(int64_t ms, AuditPeriod period) {
  return period == AuditPeriod::kWeek ? FloorDiv(ms - kMondayOriginMs, kWeekMs) : MonthIndex(ms);
}

int64_t PeriodStartMs(int64_t index, AuditPeriod period) {
  return period == AuditPeriod::kWeek ? kMondayOriginMs + index * kWeekMs : MonthStartMs(index);
}

// "YYYY-MM" -> month index, or nullopt.
std::optional<int64_t> ParseMonth(std::string_view text) {
  if (text.size() != 7 || text[4] != '-') return std::nullopt;
  for (size_t i : {0, 1, 2, 3, 5, 6}) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
  }
  const int64_t year = std::stoll(std::string(text.substr(0, 4)));
  const int64_t month = std::stoll(std::string(text.substr(5, 2)));
  if (month < 1 || month > 12) return std::nullopt;
  return year * 12 + month - 1;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
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
    key_.assign(name);
    auto [it, inserted] = index_.try_emplace(key_, static_cast<uint32_t>(names_.size()));
    if (inserted) names_.push_back(key_);
    return it->second;
  }
  std::optional<uint32_t> Find(std::string_view name) {
    key_.assign(name);
    auto it = index_.find(key_);
    if (it == index_.end()) return std::nullopt;
    return it->second;
  }
  const std::string& Name(uint32_t i) const { return names_[i]; }
  size_t size() const { return names_.size(); }

 private:
  std::string key_;  // reused, so a lookup allocates nothing
  std::unordered_map<std::string, uint32_t> index_;
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

// The state of one ComputeSnapshot call.
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

uint16_t SnapshotBuilder::SourceIndex(const std::string& source) {
  const uint32_t i = sources_.Intern(source);
  if (i >= source_facts_.size()) source_facts_.resize(i + 1);
  return static_cast<uint16_t>(i);
}

uint32_t SnapshotBuilder::OwnerIndex(uint16_t source, const std::string& owner_id) {
  // The unit separator cannot occur in a source name from the config.
  owner_key_.assign(sources_.Name(source));
  owner_key_.push_back('\x1f');
  owner_key_.append(owner_id);
  const uint32_t i = owner_keys_.Intern(owner_key_);
  if (i >= owners_.size()) {
    owners_.resize(i + 1);
    owners_[i].source = sources_.Name(source);
    owners_[i].id = owner_id;
  }
  return i;
}

Status SnapshotBuilder::ReadOwners() {
  return store_.ForEachOwner([&](const StoredOwner& row) {
    const uint16_t source = SourceIndex(row.source);
    source_facts_[source].sets_owner = true;
    OwnerAgg& o = owners_[OwnerIndex(source, row.owner.id)];
    o.in_table = true;
    o.active = row.owner.active;
    o.name = row.owner.name;
    o.email = row.owner.email;  // stored in NormalizeEmail's form
  });
}

Status SnapshotBuilder::ReadContacts() {
  int64_t earliest = INT64_MAX;
  std::string last_source;
  uint16_t source = 0;
  Status status = store_.ForEachContact([&](const StoredContact& row) {
    if (row.deleted_at) return;
    if (contacts_.empty() || row.source != last_source) {
      last_source = row.source;
      source = SourceIndex(row.source);
    }
    const std::optional<Contact> cleaned = WithoutImplausibleValues(row.contact);
    if (cleaned) AddIssue(snap_.data_quality.implausible_dates, Example(source, row.contact.id));
    const Contact& c = cleaned ? *cleaned : row.contact;
    SourceFacts& sf = source_facts_[source];
    ContactFacts& f = contacts_.emplace_back();
    contact_ids_.Add(c.id);
    contact_emails_.Add(c.email);
    f.source = source;
    f.channel = channels_.Intern(c.channel.empty() ? std::string_view(kNoChannel) : c.channel);
    if (f.channel >= channel_aggs_.size()) channel_aggs_.resize(f.channel + 1);
    ++channel_aggs_[f.channel].live_contacts;
    f.customer_by_end = c.customer_at && *c.customer_at < to_;
    if (!c.channel.empty()) sf.sets_channel = true;
    if (!c.owner_id.empty()) sf.sets_owner = true;
    if (!c.created_at) {
      AddIssue(snap_.data_quality.contacts_without_created_date, Example(source, c.id));
      return;
    }
    f.created_at = *c.created_at;
    if (!requested_.from && f.created_at < earliest_start_) {
      AddIssue(snap_.data_quality.contacts_before_window, Example(source, c.id));
      return;
    }
    earliest = std::min(earliest, f.created_at);
    f.in_cohort = InCohortWindow(f.created_at);
    if (!f.in_cohort) return;

    FunnelCounts d;
    CountFunnelStages(c, d);
    AddCounts(d, snap_.counts);
    ChannelAgg& channel = channel_aggs_[f.channel];
    AddCounts(d, channel.counts);
    OwnerAgg* owner = nullptr;
    if (c.owner_id.empty()) {
      AddCounts(d, snap_.unowned);
      AddIssue(sf.missing_owner, Example(source, c.id));
    } else {
      owner = &owners_[OwnerIndex(source, c.owner_id)];
      AddCounts(d, owner->counts);
    }
    if (c.channel.empty()) AddIssue(sf.missing_channel, Example(source, c.id));
    if (c.email.empty()) AddIssue(snap_.data_quality.contacts_without_email, Example(source, c.id));

    // Stage dates that are known must not go backwards; skipped stages are fine.
    const TimeMs stages[] = {c.created_at, c.mql_at, c.contacted_at, c.sql_at, c.customer_at};
    int64_t previous = kNoTime;
    bool in_order = true;
    for (const TimeMs& t : stages) {
      if (!t) continue;
      if (*t < previous) in_order = false;
      previous = *t;
    }
    if (!in_order) AddIssue(snap_.data_quality.stage_dates_out_of_order, Example(source, c.id));

    auto days_between = [](const TimeMs& a, const TimeMs& b, std::vector<double>& into) {
      if (a && b && *b >= *a) into.push_back(static_cast<double>(*b - *a) / kDayMs);
    };
    if (c.customer_at && *c.customer_at >= f.created_at) {
      const double days = static_cast<double>(*c.customer_at - f.created_at) / kDayMs;
      cycle_all_.push_back(days);
      channel.cycle_days.push_back(days);
      if (owner) owner->cycle_days.push_back(days);
    }
    days_between(c.created_at, c.mql_at, lead_to_mql_);
    days_between(c.mql_at, c.contacted_at, mql_to_contacted_);
    days_between(c.contacted_at, c.sql_at, contacted_to_sql_);
    days_between(c.sql_at, c.customer_at, sql_to_won_);
  });
  if (!status.ok()) return status;
  if (requested_.from) {
    from_ = *requested_.from;
  } else if (snap_.data_quality.contacts_before_window.count > 0) {
    from_ = earliest_start_;  // the data goes back further than the audit does
  } else {
    from_ = earliest == INT64_MAX ? to_ : earliest;
  }
  return Status::Ok();
}

Status SnapshotBuilder::ReadDeals() {
  const int64_t stale_before = now_ - settings_.stale_deal_age_ms;
  std::string last_source;
  uint16_t source = 0;
  bool first = true;
  DataQuality& dq = snap_.data_quality;
  return store_.ForEachDeal([&](const StoredDeal& row) {
    if (row.deleted_at) return;
    if (first || row.source != last_source) {
      first = false;
      last_source = row.source;
      source = SourceIndex(row.source);
    }
    const std::optional<Deal> cleaned = WithoutImplausibleValues(row.deal);
    if (cleaned && cleaned->amount != row.deal.amount) {
      AddIssue(dq.implausible_amounts, Example(source, row.deal.id));
    }
    if (cleaned &&
        (cleaned->created_at != row.deal.created_at || cleaned->closed_at != row.deal.closed_at ||
         cleaned->updated_at != row.deal.updated_at)) {
      AddIssue(dq.implausible_dates, Example(source, row.deal.id));
    }
    const Deal& d = cleaned ? *cleaned : row.deal;
    if (!d.is_closed && !d.is_won) {
      const TimeMs last = d.updated_at ? d.updated_at : d.created_at;
      if (last && *last < stale_before) AddIssue(dq.stale_open_deals, Example(source, d.id));
      return;
    }
    if (!d.is_won) return;
    if (!d.closed_at) {
      AddIssue(dq.won_deals_without_close_date, Example(source, d.id));
      return;
    }
    if (*d.closed_at >= to_) return;
    WonDeal& w = won_deals_.emplace_back();
    won_deal_ids_.Add(d.id);
    w.source = source;
    w.in_window = *d.closed_at >= from_;
    w.has_amount = d.amount.has_value();
    w.amount = d.amount.value_or(0);
    const std::string currency = NormalizeCurrency(d.currency);
    w.currency = currency_codes_.Intern(currency);
    if (!w.in_window) return;
    currencies_.insert(currency);
    Revenue& revenue = snap_.revenue;
    ++revenue.won_deals;
    if (d.amount) {
      ++revenue.deals_with_amount;
      revenue.total.Add(currency, *d.amount);
      if (currency.empty()) {
        AddIssue(dq.won_deals_without_currency, Example(source, d.id));
      } else if (!settings_.currency.report_in.empty() && !settings_.currency.RateOf(currency)) {
        AddIssue(dq.won_deals_without_rate, Example(source, d.id));
      }
    } else {
      AddIssue(dq.won_deals_without_amount, Example(source, d.id));
    }
    if (!d.owner_id.empty()) {
      OwnerAgg& o = owners_[OwnerIndex(source, d.owner_id)];
      ++o.won_deals;
      if (d.amount) o.revenue.Add(currency, *d.amount);
    }
  });
}

Status SnapshotBuilder::JoinDealContacts() {
  // Contacts and won deals in (source, id) order; the store already returns
  // them so, and then the sorts are a linear check.
  auto contact_less = [&](uint32_t a, uint32_t b) {
    if (contacts_[a].source != contacts_[b].source)
      return contacts_[a].source < contacts_[b].source;
    return contact_ids_.Get(a) < contact_ids_.Get(b);
  };
  std::vector<uint32_t> contact_order(contacts_.size());
  std::iota(contact_order.begin(), contact_order.end(), 0);
  if (!std::is_sorted(contact_order.begin(), contact_order.end(), contact_less)) {
    std::sort(contact_order.begin(), contact_order.end(), contact_less);
  }
  auto deal_less = [&](uint32_t a, uint32_t b) {
    if (won_deals_[a].source != won_deals_[b].source) {
      return won_deals_[a].source < won_deals_[b].source;
    }
    return won_deal_ids_.Get(a) < won_deal_ids_.Get(b);
  };
  std::vector<uint32_t> deal_order(won_deals_.size());
  std::iota(deal_order.begin(), deal_order.end(), 0);
  if (!std::is_sorted(deal_order.begin(), deal_order.end(), deal_less)) {
    std::sort(deal_order.begin(), deal_order.end(), deal_less);
  }

  auto find_contact = [&](uint16_t source, std::string_view id) -> std::optional<uint32_t> {
    auto it = std::lower_bound(contact_order.begin(), contact_order.end(), 0, [&](uint32_t a, int) {
      if (contacts_[a].source != source) {
        return contacts_[a].source < source;
      }
      return contact_ids_.Get(a) < id;
    });
    if (it == contact_order.end() || contacts_[*it].source != source ||
        contact_ids_.Get(*it) != id) {
      return std::nullopt;
    }
    return *it;
  };

  std::vector<uint32_t> matched;
  size_t next = 0;
  while (next < deal_order.size()) {
    const uint16_t source = won_deals_[deal_order[next]].source;
    size_t end = next;
    while (end < deal_order.size() && won_deals_[deal_order[end]].source == source) ++end;
    auto pairs = store_.DealContacts(sources_.Name(source));
    if (!pairs.ok()) return pairs.status();
    auto& links = *pairs;
    if (!std::is_sorted(links.begin(), links.end())) std::sort(links.begin(), links.end());
    size_t j = 0;
    for (size_t k = next; k < end; ++k) {
      const uint32_t deal = deal_order[k];
      const std::string_view id = won_deal_ids_.Get(deal);
      while (j < links.size() && std::string_view(links[j].first) < id) ++j;
      matched.clear();
      for (; j < links.size() && std::string_view(links[j].first) == id; ++j) {
        if (auto c = find_contact(source, links[j].second)) matched.push_back(*c);
      }
      for (uint32_t c : matched) {
        if (contacts_[c].won_deals < UINT16_MAX) ++contacts_[c].won_deals;
      }
      const WonDeal& w = won_deals_[deal];
      if (!w.in_window) continue;
      const std::string& currency = currency_codes_.Name(w.currency);
      if (matched.empty()) {
        if (w.has_amount) snap_.revenue.unattributed.Add(currency, w.amount);
        AddIssue(snap_.data_quality.won_deals_without_contacts, Example(source, id));
        continue;
      }
      // The deal's channel is that of the contact who came first: the
      // channel that brought the account in earns the revenue.
      uint32_t first = matched.front();
      for (uint32_t c : matched) {
        const int64_t created = contacts_[c].created_at;
        const int64_t best = contacts_[first].created_at;
        if (created != kNoTime && (best == kNoTime || created < best)) first = c;
      }
      ChannelAgg& channel = channel_aggs_[contacts_[first].channel];
      ++channel.won_deals;
      if (w.has_amount) channel.revenue.Add(currency, w.amount);
    }
    next = end;
  }
  return Status::Ok();
}

Status SnapshotBuilder::ApplySpend() {
  const int64_t first_month = MonthIndex(from_);
  const int64_t last_month = to_ > from_ ? MonthIndex(to_ - 1) : first_month - 1;
  std::set<std::string> unknown;
  for (const ChannelSpend& entry : settings_.spend) {
    const std::optional<int64_t> month = ParseMonth(entry.month);
    if (!month) {
      return Status::InvalidArgument("audit: spend for channel " + entry.channel + ": month \"" +
                                     entry.month + "\" is not YYYY-MM");
    }
    std::optional<uint32_t> channel = channels_.Find(entry.channel);
    if (!channel) {
      unknown.insert(entry.channel);
      channel = channels_.Intern(entry.channel);
      channel_aggs_.resize(channels_.size());
    }
    if (*month >= first_month && *month <= last_month)
      channel_aggs_[*channel].spend += entry.amount;
  }
  for (const std::string& name : unknown) {
    AddIssue(snap_.data_quality.spend_channels_not_in_store, name);
  }
  return Status::Ok();
}

void SnapshotBuilder::FinishLeadVolume() {
  LeadVolume& lv = snap_.lead_volume;
  lv.period = settings_.period;
  if (to_ <= from_) return;
  const int64_t first = PeriodIndex(from_, lv.period);
  const int64_t last = PeriodIndex(to_ - 1, lv.period);
  for (int64_t i = first; i <= last; ++i) {
    PeriodLeads& p = lv.series.emplace_back();
    p.start_ms = PeriodStartMs(i, lv.period);
    p.end_ms = PeriodStartMs(i + 1, lv.period);
    p.complete = p.start_ms >= from_ && p.end_ms <= to_ && p.end_ms <= now_;
  }
  for (const ContactFacts& f : contacts_) {
    if (f.in_cohort) ++lv.series[PeriodIndex(f.created_at, lv.period) - first].leads;
  }
  // Least squares over the complete periods, x = position in the series.
  double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (size_t i = 0; i < lv.series.size(); ++i) {
    if (!lv.series[i].complete) continue;
    const double x = static_cast<double>(i);
    const double y = static_cast<double>(lv.series[i].leads);
    n += 1;
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
  }
  lv.complete_periods = static_cast<int64_t>(n);
  lv.average = Ratio(sy, n);
  if (n >= 2) lv.trend = (n * sxy - sx * sy) / (n * sxx - sx * sx);
}

void SnapshotBuilder::FinishChannels() {
  const FunnelCounts& all = snap_.counts;
  LeadQuality& lq = snap_.lead_quality;
  lq.overall_mql_to_sql = Ratio(all.sql, all.mql);
  lq.min_mqls = settings_.min_sample;
  for (uint32_t i = 0; i < channel_aggs_.size(); ++i) {
    ChannelAgg& agg = channel_aggs_[i];
    if (agg.counts.leads == 0 && agg.won_deals == 0 && agg.spend == 0) continue;
    ChannelRow& row = snap_.channels.emplace_back();
    row.channel = channels_.Name(i);
    row.counts = agg.counts;
    row.rates = FunnelRatesFrom(agg.counts);
    row.mql_to_sql = Ratio(agg.counts.sql, agg.counts.mql);
    row.mql_stalls = lq.overall_mql_to_sql && row.mql_to_sql &&
                     agg.counts.mql >= settings_.min_sample &&
                     *row.mql_to_sql < 0.5 * *lq.overall_mql_to_sql;
    row.cycle = StatsOf(agg.cycle_days);
    row.won_deals = agg.won_deals;
    row.revenue = agg.revenue;
    row.revenue_stated = TotalOf(agg.revenue, settings_.currency, unit_);
    row.spend = agg.spend;
    // Spend is in the revenue's unit (the reporting currency, or the one
    // currency of the channel's deals): revenue in several has no return.
    row.return_on_spend = MoneyRatio(row.revenue_stated, agg.spend);
    if (row.return_on_spend) {
      row.below_target = *row.return_on_spend < settings_.return_on_spend_target;
    }
  }
  std::sort(snap_.channels.begin(), snap_.channels.end(),
            [](const ChannelRow& a, const ChannelRow& b) {
              if (a.counts.leads != b.counts.leads) return a.counts.leads > b.counts.leads;
              return a.channel < b.channel;
            });
  for (const ChannelRow& row : snap_.channels) {
    if (row.mql_stalls) lq.stalling_channels.push_back(row.channel);
  }
}

void SnapshotBuilder::FinishReps() {
  for (OwnerAgg& o : owners_) {
    if (!(o.in_table && o.active) && o.counts.leads == 0 && o.won_deals == 0) continue;
    RepRow& r = snap_.reps.emplace_back();
    r.source = o.source;
    r.owner_id = o.id;
    r.name = o.name;
    r.active = o.in_table && o.active;
    r.counts = o.counts;
    r.contact_rate = Ratio(o.counts.contacted, o.counts.leads);
    r.sql_rate = Ratio(o.counts.sql, o.counts.contacted);
    r.win_rate = Ratio(o.counts.won, o.counts.sql);
    r.median_cycle_days = Median(o.cycle_days);
    r.won_deals = o.won_deals;
    r.revenue = o.revenue;
    r.revenue_stated = TotalOf(o.revenue, settings_.currency, unit_);
  }
  std::sort(snap_.reps.begin(), snap_.reps.end(), [](const RepRow& a, const RepRow& b) {
    return std::tie(a.source, a.owner_id) < std::tie(b.source, b.owner_id);
  });
  auto median_of = [&](const std::function<std::optional<double>(const RepRow&)>& get) {
    std::vector<double> values;
    for (const RepRow& r : snap_.reps) {
      if (auto v = get(r)) values.push_back(*v);
    }
    return Median(std::move(values));
  };
  TeamMedians& t = snap_.team;
  t.leads = median_of([](const RepRow& r) { return static_cast<double>(r.counts.leads); });
  t.contacted = median_of([](const RepRow& r) { return static_cast<double>(r.counts.contacted); });
  t.sql = median_of([](const RepRow& r) { return static_cast<double>(r.counts.sql); });
  t.won = median_of([](const RepRow& r) { return static_cast<double>(r.counts.won); });
  t.contact_rate = median_of([](const RepRow& r) { return r.contact_rate; });
  t.sql_rate = median_of([](const RepRow& r) { return r.sql_rate; });
  t.win_rate = median_of([](const RepRow& r) { return r.win_rate; });
  t.median_cycle_days = median_of([](const RepRow& r) { return r.median_cycle_days; });
  // A median of revenue only over one unit: each rep's revenue one number,
  // all in one currency (reps without deals are 0 in any).
  std::set<std::string> rep_currencies;
  bool all_stated = true;
  for (const RepRow& r : snap_.reps) {
    all_stated = all_stated && r.revenue_stated.amount.has_value();
    if (!r.revenue.empty() && r.revenue_stated.currency) {
      rep_currencies.insert(*r.revenue_stated.currency);
    }
  }
  if (all_stated && rep_currencies.size() <= 1) {
    t.revenue = median_of([](const RepRow& r) { return r.revenue_stated.amount; });
    t.revenue_currency = rep_currencies.empty() ? unit_ : *rep_currencies.begin();
  }
}

void SnapshotBuilder::FinishCapacity() {
  Capacity& cap = snap_.capacity;
  if (settings_.reps) {
    cap.reps = *settings_.reps;
    cap.reps_configured = true;
  } else {
    // One person may be an owner in two CRMs: count active owners once per email.
    std::set<std::string> emails;
    for (const OwnerAgg& o : owners_) {
      if (!(o.in_table && o.active)) continue;
      if (o.email.empty() || emails.insert(o.email).second) ++cap.reps;
    }
  }
  cap.leads_per_rep_per_period = settings_.period == AuditPeriod::kWeek
                                     ? settings_.leads_per_rep_per_week
                                     : settings_.leads_per_rep_per_week * kWeeksPerMonth;
  cap.capacity_per_period = static_cast<double>(cap.reps) * cap.leads_per_rep_per_period;
  cap.incoming_per_period = snap_.lead_volume.average;
  if (cap.incoming_per_period) {
    const double incoming = *cap.incoming_per_period;
    cap.shortfall_per_period = std::max(0.0, cap.capacity_per_period - incoming);
    cap.surplus_per_period = std::max(0.0, incoming - cap.capacity_per_period);
    if (cap.leads_per_rep_per_period > 0) {
      // The tolerance keeps 100.0000000001 / 25 from asking for a fifth rep.
      cap.reps_needed =
          static_cast<int64_t>(std::ceil(incoming / cap.leads_per_rep_per_period - 1e-9));
      cap.reps_to_hire = std::max<int64_t>(0, *cap.reps_needed - cap.reps);
    }
  }
  cap.revenue_target = settings_.revenue_target;
  cap.revenue_target_currency = snap_.revenue.total_stated.currency;
  const auto& average_deal = snap_.revenue.average_won_deal;
  const auto& lead_to_won = snap_.rates.lead_to_won;
  if (cap.revenue_target && average_deal && lead_to_won && *average_deal * *lead_to_won > 0) {
    cap.leads_needed_for_revenue_target = *cap.revenue_target / (*average_deal * *lead_to_won);
  }
}

void SnapshotBuilder::FinishCustomers() {
  Customers& cu = snap_.customers;
  for (const ContactFacts& f : contacts_) {
    if (f.customer_by_end || f.won_deals > 0) ++cu.customers;
    if (f.won_deals >= 2) ++cu.repeat_customers;
  }
  cu.repeat_rate = Ratio(cu.repeat_customers, cu.customers);
  cu.referral_channels = settings_.referral_channels;
  for (uint32_t i = 0; i < channel_aggs_.size(); ++i) {
    for (const std::string& referral : settings_.referral_channels) {
      if (EqualsIgnoreCase(channels_.Name(i), referral)) {
        cu.referral_leads += channel_aggs_[i].counts.leads;
        break;
      }
    }
  }
  cu.referral_share = Ratio(cu.referral_leads, snap_.counts.leads);
}

void SnapshotBuilder::FindDuplicateEmails() {
  std::vector<std::pair<uint64_t, uint32_t>> by_hash;
  by_hash.reserve(contacts_.size());
  std::hash<std::string_view> hasher;
  for (uint32_t i = 0; i < contacts_.size(); ++i) {
    const std::string_view email = contact_emails_.Get(i);
    if (!email.empty()) by_hash.emplace_back(hasher(email), i);
  }
  std::sort(by_hash.begin(), by_hash.end());
  std::vector<std::string> within_examples, across_examples;
  std::vector<uint32_t> group;
  DataQuality& dq = snap_.data_quality;
  for (size_t i = 0; i < by_hash.size();) {
    size_t end = i + 1;
    while (end < by_hash.size() && by_hash[end].first == by_hash[i].first) ++end;
    if (end - i >= 2) {
      // Equal hashes: split by the actual address (a collision is not a duplicate).
      group.clear();
      for (size_t k = i; k < end; ++k) group.push_back(by_hash[k].second);
      std::sort(group.begin(), group.end(), [&](uint32_t a, uint32_t b) {
        const auto ea = contact_emails_.Get(a), eb = contact_emails_.Get(b);
        return ea != eb ? ea < eb : contacts_[a].source < contacts_[b].source;
      });
      for (size_t g = 0; g < group.size();) {
        const std::string_view email = contact_emails_.Get(group[g]);
        size_t ge = g + 1;
        while (ge < group.size() && contact_emails_.Get(group[ge]) == email) ++ge;
        bool touches_cohort = false;
        for (size_t k = g; k < ge; ++k) touches_cohort |= contacts_[group[k]].in_cohort;
        if (ge - g >= 2 && touches_cohort) {
          int64_t sources = 0, within_contacts = 0;
          for (size_t k = g; k < ge;) {
            size_t ke = k + 1;
            while (ke < ge && contacts_[group[ke]].source == contacts_[group[k]].source) ++ke;
            ++sources;
            if (ke - k >= 2) within_contacts += static_cast<int64_t>(ke - k);
            k = ke;
          }
          if (within_contacts > 0) {
            ++dq.duplicate_emails_within_source.count;
            dq.duplicate_contacts_within_source += within_contacts;
            within_examples.emplace_back(email);
          }
          if (sources >= 2) {
            ++dq.duplicate_emails_across_sources.count;
            dq.duplicate_contacts_across_sources += static_cast<int64_t>(ge - g);
            across_examples.emplace_back(email);
          }
        }
        g = ge;
      }
    }
    i = end;
  }
  // The alphabetically first addresses, so the examples do not depend on hashing.
  auto first_few = [](std::vector<std::string>& all) {
    std::sort(all.begin(), all.end());
    all.resize(std::min(all.size(), kQualityExamples));
    return all;
  };
  dq.duplicate_emails_within_source.examples = first_few(within_examples);
  dq.duplicate_emails_across_sources.examples = first_few(across_examples);
}

void SnapshotBuilder::FindChannelVariants() {
  std::map<std::string, std::vector<uint32_t>> by_key;
  for (uint32_t i = 0; i < channel_aggs_.size(); ++i) {
    if (channel_aggs_[i].live_contacts > 0 && channels_.Name(i) != kNoChannel)
      by_key[ChannelKey(channels_.Name(i))].push_back(i);
  }
  DataQuality& dq = snap_.data_quality;
  for (auto& [key, group] : by_key) {
    if (group.size() < 2) continue;
    std::sort(group.begin(), group.end(), [&](uint32_t a, uint32_t b) {
      const int64_t na = channel_aggs_[a].live_contacts, nb = channel_aggs_[b].live_contacts;
      return na != nb ? na > nb : channels_.Name(a) < channels_.Name(b);
    });
    std::string example;
    for (uint32_t i : group) {
      dq.channel_variant_contacts += channel_aggs_[i].live_contacts;
      example += (example.empty() ? "'" : ", '") + channels_.Name(i) + "' " +
                 std::to_string(channel_aggs_[i].live_contacts);
    }
    AddIssue(dq.channel_variants, example);
  }
}

void SnapshotBuilder::FinishDataQuality() {
  DataQuality& dq = snap_.data_quality;
  // A source that never sets a field (a CRM without owners) is not dirty for
  // lacking it.
  auto merge = [](QualityIssue& into, const QualityIssue& part) {
    into.count += part.count;
    for (const std::string& e : part.examples) {
      if (into.examples.size() < kQualityExamples) into.examples.push_back(e);
    }
  };
  for (const SourceFacts& sf : source_facts_) {
    if (sf.sets_owner) merge(dq.contacts_without_owner, sf.missing_owner);
    if (sf.sets_channel) merge(dq.contacts_without_channel, sf.missing_channel);
  }
  FindDuplicateEmails();
}

Result<Snapshot> SnapshotBuilder::Build() {
  to_ = requested_.to ? *requested_.to : now_;
  // A given start counts to the end the audit will use, given or not.
  if (Status s = CheckAuditWindow(AuditWindow{requested_.from, to_}, settings_.period); !s.ok()) {
    return s;
  }
  snap_.generated_at = now_;
  snap_.period = settings_.period;
  earliest_start_ =
      requested_.from ? *requested_.from
                      : PeriodStartMs(PeriodIndex(to_ - 1, settings_.period) - kMaxAuditPeriods + 1,
                                      settings_.period);
  if (Status s = ReadOwners(); !s.ok()) return s.WithContext("audit: owners");
  if (Status s = ReadContacts(); !s.ok()) return s.WithContext("audit: contacts");
  snap_.window = AuditWindow{from_, to_};
  if (Status s = ReadDeals(); !s.ok()) return s.WithContext("audit: deals");
  if (Status s = JoinDealContacts(); !s.ok()) return s.WithContext("audit: deal contacts");
  if (Status s = ApplySpend(); !s.ok()) return s;
  snap_.rates = FunnelRatesFrom(snap_.counts);
  Revenue& revenue = snap_.revenue;
  revenue.currencies.assign(currencies_.begin(), currencies_.end());
  revenue.currency = settings_.currency;
  revenue.return_on_spend_target = settings_.return_on_spend_target;
  revenue.total_stated = TotalOf(revenue.total, settings_.currency, std::nullopt);
  unit_ = revenue.total_stated.currency;
  revenue.unattributed_stated = TotalOf(revenue.unattributed, settings_.currency, unit_);
  revenue.average_won_deal =
      MoneyRatio(revenue.total_stated, static_cast<double>(revenue.deals_with_amount));

  snap_.cycle_times.all = StatsOf(cycle_all_);
  snap_.cycle_times.lead_to_mql = StatsOf(lead_to_mql_);
  snap_.cycle_times.mql_to_contacted = StatsOf(mql_to_contacted_);
  snap_.cycle_times.contacted_to_sql = StatsOf(contacted_to_sql_);
  snap_.cycle_times.sql_to_won = StatsOf(sql_to_won_);
  FinishLeadVolume();
  FinishChannels();
  FinishReps();
  FinishCapacity();
  FinishCustomers();
  FinishDataQuality();
  FindChannelVariants();

  auto email = ComputeEmailAudit(store_, snap_.window, settings_.email);
  if (!email.ok()) return email.status();
  snap_.email = std::move(email).value();
  const EmailMatching& matching = snap_.email.matching;
  DataQuality& dq = snap_.data_quality;
  dq.email_events_unmatched = {matching.events_unmatched, matching.recipients_unmatched_examples};
  dq.email_recipients_unmatched = matching.recipients_unmatched;
  dq.email_members_not_in_crm = {matching.members_not_in_crm, matching.members_not_in_crm_examples};
  auto rejected = store_.ValueIssueCounts();
  if (!rejected.ok()) return rejected.status().WithContext("audit: value issues");
  std::sort(rejected->begin(), rejected->end(),
            [](const auto& a, const auto& b) { return a.last_seen_at > b.last_seen_at; });
  for (const ValueIssueCount& v : *rejected) {
    dq.values_rejected.count += v.count;
    if (dq.values_rejected.examples.size() < kQualityExamples) {
      dq.values_rejected.examples.push_back(v.connector + ":" + v.last_record_id + " " + v.stream +
                                            "." + v.property);
    }
  }
  if (Status s = ForecastOnePeriod(); !s.ok()) return s.WithContext("audit: forecast");
  return std::move(snap_);
}

Status SnapshotBuilder::ForecastOnePeriod() {
  const std::optional<double>& average = snap_.lead_volume.average;
  if (!average || std::llround(*average) < 1) return Status::Ok();
  auto forecast = ComputeForecast(
      store_,
      ForecastRequest{.leads = std::min<int64_t>(std::llround(*average), kMaxForecastLeads),
                      .now_ms = now_},
      ForecastOptionsFrom(settings_));
  if (!forecast.ok()) return forecast.status();
  snap_.forecast = std::move(forecast).value();
  return Status::Ok();
}

}  // namespace

const char* AuditPeriodName(AuditPeriod period) {
  return period == AuditPeriod::kWeek ? "week" : "month";
}

ForecastOptions ForecastOptionsFrom(const AuditSettings& settings) {
  return ForecastOptions{.min_channel_leads = settings.forecast_min_channel_leads,
                         .currency = settings.currency};
}

Status CheckAuditWindow(const AuditWindow& window, AuditPeriod period) {
  for (const auto& [bound, name] : {std::pair{window.from, "start"}, std::pair{window.to, "end"}}) {
    if (bound && !IsPlausibleTimeMs(*bound)) {
      return Status::InvalidArgument(std::string("the window ") + name + " " + FormatIsoMs(*bound) +
                                     " lies outside the span the audit accepts, " +
                                     FormatIsoMs(kEarliestPlausibleMs) + " to " +
                                     FormatIsoMs(kLatestPlausibleMs));
    }
  }
  if (window.from && window.to && *window.to > *window.from) {
    const int64_t periods =
        PeriodIndex(*window.to - 1, period) - PeriodIndex(*window.from, period) + 1;
    if (periods > kMaxAuditPeriods) {
      return Status::InvalidArgument(
          "the window spans " + std::to_string(periods) + " " + AuditPeriodName(period) +
          "s; an audit covers at most " + std::to_string(kMaxAuditPeriods) +
          ": choose a later start" +
          (period == AuditPeriod::kWeek ? " or audit.period: month" : ""));
    }
  }
  return Status::Ok();
}

Result<Snapshot> ComputeSnapshot(Store& store, const AuditSettings& settings,
                                 const AuditWindow& window, int64_t now_ms) {
  Result<Snapshot> snapshot = SnapshotBuilder(store, settings, window, now_ms).Build();
  if (snapshot.ok()) LinkQualityExamples(settings.record_urls, snapshot->data_quality);
  return snapshot;
}

}  // namespace salesaudit

// SnapshotBuilder's passes over the store: owners, contacts, deals and the
// won deals' contacts, each read once, and the configured spend.
#include <algorithm>
#include <numeric>

#include "audit/snapshot_builder.h"
#include "core/time_util.h"

namespace salesaudit::snapshot_detail {
namespace {

constexpr int64_t kDayMs = 24LL * 3600 * 1000;

void AddCounts(const FunnelCounts& d, FunnelCounts& into) {
  into.leads += d.leads;
  into.mql += d.mql;
  into.contacted += d.contacted;
  into.sql += d.sql;
  into.won += d.won;
}

}  // namespace

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
    const Contact& own = cleaned ? *cleaned : row.contact;
    const Contact& c = evidence_.Effective(row.source, own);
    email_->AddContact(c);
    forecast_->AddContact(row, c);
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

    // The contact's own stage dates that are known must not go backwards;
    // skipped stages are fine. Evidence from other records may well predate
    // them (a deal opened before the CRM's lifecycle caught up): the
    // earliest is taken, which is no fault of the contact's record.
    const TimeMs stages[] = {own.created_at, own.mql_at, own.contacted_at, own.sql_at,
                             own.customer_at};
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
    forecast_->AddDeal(row, d);
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

}  // namespace salesaudit::snapshot_detail

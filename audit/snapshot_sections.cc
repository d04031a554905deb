// SnapshotBuilder's sections: lead volume, channels, reps, capacity,
// customers and data quality, each finished from what the passes gathered.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <map>

#include "audit/snapshot_builder.h"

namespace salesaudit::snapshot_detail {
namespace {

// Mean weeks in a Gregorian month: 365.2425 / 12 / 7.
constexpr double kWeeksPerMonth = 365.2425 / 12.0 / 7.0;

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

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

}  // namespace salesaudit::snapshot_detail

#include "audit/forecast.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <utility>
#include <vector>

#include "core/time_util.h"

namespace salesaudit {
namespace {

constexpr double kMsPerDay = 86400000.0;
// Terms below e^-50 of the largest carry no mass a double CDF can see.
constexpr double kLogCutoff = 50.0;
// A CDF this close to a quantile reaches it (see BetaBinomialInterval).
constexpr double kQuantileSlack = 1e-9;
constexpr char kFallback[] = "; forecast from all channels";

// Nearest-rank 90th percentile; 0 for no values.
int64_t Percentile90(std::vector<int64_t> values) {
  if (values.empty()) return 0;
  const size_t rank = static_cast<size_t>(std::ceil(0.9 * static_cast<double>(values.size())));
  auto nth = values.begin() + static_cast<long>(rank - 1);
  std::nth_element(values.begin(), nth, values.end());
  return *nth;
}

const char* ScopeName(ForecastBasis::Scope scope) {
  return scope == ForecastBasis::Scope::kChannel ? "channel" : "all_channels";
}

// `contact` is the row's contact with its implausible times unset.
bool IsLive(const StoredContact& row, const Contact& contact) {
  return !row.deleted_at && contact.created_at;
}

// Cycle times (ms) of the live won contacts, for the requested channel and overall.
struct CycleTimes {
  std::vector<int64_t> channel;
  std::vector<int64_t> all;
};

// A won deal of the history with a known amount.
struct WonDeal {
  std::string source;
  std::string id;
  double amount = 0;
  std::string currency;  // NormalizeCurrency's form
};

MoneyByCurrency AmountsOf(const std::vector<const WonDeal*>& deals) {
  MoneyByCurrency amounts;
  for (const WonDeal* d : deals) amounts.Add(d->currency, d->amount);
  return amounts;
}

// The live won deals with an amount, closed (or, without a close date,
// created) inside the history window; undated deals only when it is open.
Result<std::vector<WonDeal>> WonDealsOf(Store& store, const AuditWindow& history) {
  std::vector<WonDeal> deals;
  Status s = store.ForEachDeal([&](const StoredDeal& row) {
    const std::optional<Deal> cleaned = WithoutImplausibleValues(row.deal);
    const Deal& d = cleaned ? *cleaned : row.deal;
    if (row.deleted_at || !d.is_won || !d.amount) return;
    const TimeMs when = d.closed_at ? d.closed_at : d.created_at;
    if (when ? !history.Contains(*when) : (history.from || history.to)) return;
    deals.push_back(WonDeal{row.source, d.id, *d.amount, NormalizeCurrency(d.currency)});
  });
  if (!s.ok()) return s;
  return deals;
}

// The deals among `deals` associated with one of `contacts` (source, id).
Result<std::vector<const WonDeal*>> DealsOfContacts(
    Store& store, const std::vector<WonDeal>& deals,
    const std::set<std::pair<std::string, std::string>>& contacts) {
  std::set<std::string> sources;
  for (const WonDeal& d : deals) sources.insert(d.source);
  std::set<std::pair<std::string, std::string>> linked;
  for (const std::string& source : sources) {
    auto pairs = store.DealContacts(source);
    if (!pairs.ok()) return pairs.status();
    for (const auto& [deal_id, contact_id] : *pairs) {
      if (contacts.count({source, contact_id})) linked.insert({source, deal_id});
    }
  }
  std::vector<const WonDeal*> out;
  for (const WonDeal& d : deals) {
    if (linked.count({d.source, d.id})) out.push_back(&d);
  }
  return out;
}

std::string FormatNumber(double value) {
  char buf[64];
  snprintf(buf, sizeof buf, "%.2f", value);
  return buf;
}

std::string FormatRate(const std::optional<double>& rate) {
  if (!rate) return "-";
  char buf[32];
  snprintf(buf, sizeof buf, "%.1f%%", *rate * 100.0);
  return buf;
}

}  // namespace

CountInterval BetaBinomialInterval(int64_t n, double alpha, double beta, double level) {
  CountInterval interval{0, 0, level};
  if (n <= 0) return interval;
  const double nd = static_cast<double>(n);
  // log pmf(k+1) - log pmf(k).
  auto log_ratio = [&](int64_t k) {
    const double kd = static_cast<double>(k);
    return std::log((nd - kd) * (kd + alpha)) - std::log((kd + 1.0) * (nd - kd - 1.0 + beta));
  };
  const int64_t start =
      std::clamp(static_cast<int64_t>(nd * alpha / (alpha + beta)), int64_t{0}, n);
  // Pass 1: walk out from the mean on both sides until the terms vanish,
  // keeping the largest log term and the sum of the terms scaled by it. Log
  // pmf is known up to a constant (0 at `start`); the sum normalises it. O(1)
  // memory, so a wide distribution costs time, never space.
  double top = 0.0;
  double total = 1.0;
  auto add = [&](double lp) {
    if (lp > top) {
      total = total * std::exp(top - lp) + 1.0;
      top = lp;
    } else {
      total += std::exp(lp - top);
    }
  };
  double lp = 0.0;
  for (int64_t k = start; k < n; ++k) {
    lp += log_ratio(k);
    add(lp);
    if (lp < top - kLogCutoff) break;
  }
  int64_t first = start;
  lp = 0.0;
  while (first > 0) {
    lp -= log_ratio(first - 1);
    --first;
    add(lp);
    if (lp < top - kLogCutoff) break;
  }
  // Pass 2: the CDF upward from the lowest term walked.
  const double q_low = (1.0 - level) / 2.0;
  const double q_high = (1.0 + level) / 2.0;
  bool have_low = false;
  double cdf = 0;
  for (int64_t k = first;; ++k) {
    cdf += std::exp(lp - top) / total;
    if (!have_low && cdf >= q_low - kQuantileSlack) {
      interval.low = k;
      have_low = true;
    }
    if (cdf >= q_high - kQuantileSlack || k == n) {
      interval.high = k;
      break;
    }
    lp += log_ratio(k);
  }
  return interval;
}

Result<Forecast> ComputeForecast(Store& store, const ForecastRequest& request,
                                 const ForecastOptions& options) {
  if (request.leads <= 0 || request.leads > kMaxForecastLeads)
    return Status::InvalidArgument("forecast: leads must be from 1 to " +
                                   std::to_string(kMaxForecastLeads));
  if (request.spend && !(*request.spend >= 0))
    return Status::InvalidArgument("forecast: spend must not be negative");
  if (!(options.level > 0 && options.level < 1))
    return Status::InvalidArgument("forecast: level must lie between 0 and 1");
  if (options.min_channel_leads < 0)
    return Status::InvalidArgument("forecast: min_channel_leads must not be negative");

  auto in_channel = [&](const Contact& c) {
    return request.channel && c.channel == *request.channel;
  };

  // Pass 1: cycle times, for the maturity horizons.
  CycleTimes cycles;
  Status s = store.ForEachContact([&](const StoredContact& row) {
    const std::optional<Contact> cleaned = WithoutImplausibleValues(row.contact);
    const Contact& c = cleaned ? *cleaned : row.contact;
    if (!IsLive(row, c) || !c.customer_at) return;
    const int64_t cycle = *c.customer_at - *c.created_at;
    if (cycle < 0) return;
    cycles.all.push_back(cycle);
    if (in_channel(c)) cycles.channel.push_back(cycle);
  });
  if (!s.ok()) return s.WithContext("audit: forecast");
  const int64_t all_horizon = Percentile90(std::move(cycles.all));
  const int64_t channel_horizon =
      cycles.channel.empty() ? all_horizon : Percentile90(std::move(cycles.channel));

  // Pass 2: the matured cohorts, and the channel's contacts for its deals.
  FunnelCounts channel_counts;
  FunnelCounts all_counts;
  std::set<std::pair<std::string, std::string>> channel_contacts;
  s = store.ForEachContact([&](const StoredContact& row) {
    const std::optional<Contact> cleaned = WithoutImplausibleValues(row.contact);
    const Contact& c = cleaned ? *cleaned : row.contact;
    if (!IsLive(row, c)) return;
    const bool channel = in_channel(c);
    if (channel) channel_contacts.insert({row.source, c.id});
    if (!request.history.Contains(*c.created_at)) return;
    if (*c.created_at < request.now_ms - all_horizon) CountFunnelStages(c, all_counts);
    if (channel && *c.created_at < request.now_ms - channel_horizon)
      CountFunnelStages(c, channel_counts);
  });
  if (!s.ok()) return s.WithContext("audit: forecast");

  Forecast f;
  f.channel = request.channel;
  f.leads = request.leads;
  f.spend = request.spend;
  f.level = options.level;
  ForecastBasis& basis = f.basis;
  basis.min_channel_leads = options.min_channel_leads;
  const bool channel_scope = request.channel && channel_counts.leads >= options.min_channel_leads &&
                             channel_counts.leads > 0;
  if (request.channel) {
    basis.channel_matured_leads = channel_counts.leads;
    if (!channel_scope && channel_counts.leads == 0) {
      basis.reason = "channel '" + *request.channel + "' has no matured leads" + kFallback;
    } else if (!channel_scope) {
      basis.reason = "channel '" + *request.channel + "' has " +
                     std::to_string(channel_counts.leads) +
                     " matured leads, fewer than the minimum of " +
                     std::to_string(options.min_channel_leads) + kFallback;
    }
  }
  basis.scope = channel_scope ? ForecastBasis::Scope::kChannel : ForecastBasis::Scope::kAllChannels;
  f.counts = channel_scope ? channel_counts : all_counts;
  basis.maturity_horizon_ms = channel_scope ? channel_horizon : all_horizon;
  basis.matured_before_ms = request.now_ms - basis.maturity_horizon_ms;
  basis.cohort_leads = f.counts.leads;
  basis.cohort_won = f.counts.won;
  f.rates = FunnelRatesFrom(f.counts);

  if (f.rates.lead_to_won) {
    f.expected_customers = static_cast<double>(request.leads) * *f.rates.lead_to_won;
    const double won = static_cast<double>(f.counts.won);
    const double lost = static_cast<double>(f.counts.leads - f.counts.won);
    f.interval = BetaBinomialInterval(request.leads, 1.0 + won, 1.0 + lost, options.level);
  } else {
    basis.reason += std::string(basis.reason.empty() ? "" : "; ") +
                    "no matured leads in the history, so no forecast";
  }

  auto deals = WonDealsOf(store, request.history);
  if (!deals.ok()) return deals.status().WithContext("audit: forecast");
  std::vector<const WonDeal*> all_deals;
  for (const WonDeal& d : *deals) all_deals.push_back(&d);
  basis.deal_amounts = AmountsOf(all_deals);
  basis.deal_scope = ForecastBasis::Scope::kAllChannels;
  if (channel_scope) {
    auto channel_deals = DealsOfContacts(store, *deals, channel_contacts);
    if (!channel_deals.ok()) return channel_deals.status().WithContext("audit: forecast");
    if (!channel_deals->empty()) {
      basis.deal_amounts = AmountsOf(*channel_deals);
      basis.deal_scope = ForecastBasis::Scope::kChannel;
    }
  }
  basis.won_deals = basis.deal_amounts.count();
  const MoneyTotal deals_total = TotalOf(basis.deal_amounts, options.currency, std::nullopt);
  basis.average_deal = MoneyRatio(deals_total, static_cast<double>(basis.won_deals));
  f.currency = deals_total.currency;
  f.converted = deals_total.converted;
  f.rates_used = RatesUsed(basis.deal_amounts, options.currency);
  if (f.expected_customers && basis.won_deals > 0) {
    f.expected_revenue_by_currency =
        basis.deal_amounts.Scaled(*f.expected_customers / static_cast<double>(basis.won_deals));
    f.expected_revenue =
        TotalOf(f.expected_revenue_by_currency, options.currency, std::nullopt).amount;
  }
  // A spend so small that the ratio overflows (1e-310) says nothing: no ratio.
  if (f.expected_revenue && f.spend && *f.spend > 0 &&
      std::isfinite(*f.expected_revenue / *f.spend)) {
    f.return_on_spend = *f.expected_revenue / *f.spend;
  }
  return f;
}

std::string ForecastJson(const Forecast& f) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  auto number = [&](const char* key, const std::optional<double>& v) {
    w.Key(key);
    if (v) {
      w.Double(*v);
    } else {
      w.Null();
    }
  };
  auto text = [&](const char* key, const std::string& v) {
    w.Key(key);
    if (v.empty()) {
      w.Null();
    } else {
      w.String(v.c_str());
    }
  };
  const ForecastBasis& b = f.basis;
  w.StartObject();
  w.Key("channel");
  if (f.channel) {
    w.String(f.channel->c_str());
  } else {
    w.Null();
  }
  w.Key("leads");
  w.Int64(f.leads);
  WriteFunnelRatesJson(w, f.rates);
  number("expected_customers", f.expected_customers);
  w.Key("interval");
  w.StartObject();
  w.Key("low");
  f.interval ? w.Int64(f.interval->low) : w.Null();
  w.Key("high");
  f.interval ? w.Int64(f.interval->high) : w.Null();
  w.Key("level");
  w.Double(f.level);
  w.EndObject();
  const MoneyTotal unit{
      .amount = f.expected_revenue, .currency = f.currency, .converted = f.converted};
  WriteMoneyJson(w, "expected_revenue", f.expected_revenue_by_currency, unit);
  WriteMoneyUnitJson(w, unit);
  WriteRatesJson(w, "rates_used", f.rates_used);
  number("spend", f.spend);
  number("return_on_spend", f.return_on_spend);
  w.Key("basis");
  w.StartObject();
  w.Key("scope");
  w.String(ScopeName(b.scope));
  text("reason", b.reason);
  w.Key("cohort_leads");
  w.Int64(b.cohort_leads);
  w.Key("cohort_won");
  w.Int64(b.cohort_won);
  w.Key("cohort");
  w.StartObject();
  WriteFunnelCountsJson(w, f.counts);
  w.EndObject();
  w.Key("channel_matured_leads");
  b.channel_matured_leads ? w.Int64(*b.channel_matured_leads) : w.Null();
  w.Key("min_channel_leads");
  w.Int64(b.min_channel_leads);
  w.Key("maturity_days");
  w.Double(static_cast<double>(b.maturity_horizon_ms) / kMsPerDay);
  w.Key("matured_before");
  w.String(FormatIsoMs(b.matured_before_ms).c_str());
  w.Key("prior");
  w.String("beta(1,1)");
  w.Key("deal_scope");
  w.String(ScopeName(b.deal_scope));
  w.Key("won_deals");
  w.Int64(b.won_deals);
  WriteMoneyJson(w, "average_deal", b.deal_amounts.Averages(),
                 MoneyTotal{.amount = b.average_deal, .currency = f.currency});
  w.EndObject();
  w.EndObject();
  return buf.GetString();
}

std::string ForecastText(const Forecast& f) {
  const ForecastBasis& b = f.basis;
  std::string out = "Forecast for " + std::to_string(f.leads) + " new leads" +
                    (f.channel ? " of channel " + *f.channel : std::string()) + "\n";
  auto row = [&](const char* label, const std::string& value) {
    char line[192];
    snprintf(line, sizeof line, "  %-20s %s\n", label, value.c_str());
    out += line;
  };
  row("expected customers", f.expected_customers ? FormatNumber(*f.expected_customers) : "-");
  if (f.interval) {
    char interval[96];
    snprintf(interval, sizeof interval, "%lld to %lld", static_cast<long long>(f.interval->low),
             static_cast<long long>(f.interval->high));
    char label[32];
    snprintf(label, sizeof label, "%.0f%% interval", f.interval->level * 100.0);
    row(label, interval);
  }
  // Money with its currency, or by currency where it has no one unit.
  auto money = [&](const MoneyByCurrency& parts, const std::optional<double>& total) {
    return parts.empty() ? std::string("-")
                         : MoneyText(parts, MoneyTotal{.amount = total, .currency = f.currency});
  };
  row("expected revenue", money(f.expected_revenue_by_currency, f.expected_revenue));
  row("spend", AmountText(f.spend, f.currency));
  row("return on spend", f.return_on_spend ? FormatNumber(*f.return_on_spend) : "-");
  row("lead to mql", FormatRate(f.rates.lead_to_mql));
  row("mql to contacted", FormatRate(f.rates.mql_to_contacted));
  row("contacted to sql", FormatRate(f.rates.contacted_to_sql));
  row("sql to won", FormatRate(f.rates.sql_to_won));
  row("lead to won", FormatRate(f.rates.lead_to_won));
  out += "Based on " + std::to_string(b.cohort_leads) + " matured leads (" +
         std::to_string(b.cohort_won) + " won) of " +
         (b.scope == ForecastBasis::Scope::kChannel ? "the channel" : std::string("all channels")) +
         ", created before " + FormatIsoMs(b.matured_before_ms) + " (p90 cycle " +
         FormatNumber(static_cast<double>(b.maturity_horizon_ms) / kMsPerDay) + " days); " +
         std::to_string(b.won_deals) + " won deals, average " +
         money(b.deal_amounts.Averages(), b.average_deal) + "\n";
  if (f.converted) out += "Amounts converted to " + *f.currency + " at the configured rates\n";
  if (!b.reason.empty()) out += "Note: " + b.reason + "\n";
  return out;
}

}  // namespace salesaudit

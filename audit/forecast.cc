#include "audit/forecast.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <unordered_map>
#include <utility>
#include <vector>

#include "audit/number_text.h"
#include "core/json_writer.h"
#include "core/text_util.h"
#include "core/time_util.h"

namespace salesaudit {
namespace {

constexpr double kMsPerDay = 86400000.0;
// Terms below e^-50 of the largest carry no mass a double CDF can see.
constexpr double kLogCutoff = 50.0;
// A CDF this close to a quantile reaches it (see BetaBinomialInterval).
constexpr double kQuantileSlack = 1e-9;
// The months' spread must exceed binomial noise by this many of its standard
// errors (a one-sided 5% dispersion test) to count as drift: below it, the
// estimate is mostly noise, and would widen every stable forecast.
constexpr double kDriftTestZ = 1.645;
// A sum of Beta parameters below 2 could make the pmf U-shaped.
constexpr double kMinPredictiveStrength = 2.0;
// Known channels an error lists before "and N more".
constexpr size_t kListedChannels = 20;

// Nearest-rank 90th percentile; 0 for no values.
int64_t Percentile90(std::vector<int64_t> values) {
  if (values.empty()) return 0;
  const size_t rank = static_cast<size_t>(std::ceil(0.9 * static_cast<double>(values.size())));
  auto nth = values.begin() + static_cast<long>(rank - 1);
  std::nth_element(values.begin(), nth, values.end());
  return *nth;
}

const char* ScopeName(ForecastBasis::Scope scope) {
  switch (scope) {
    case ForecastBasis::Scope::kChannel:
      return "channel";
    case ForecastBasis::Scope::kChannelPooled:
      return "channel_pooled";
    case ForecastBasis::Scope::kAllChannels:
      break;
  }
  return "all_channels";
}

// Matured leads and won of one month, or of one group's months together.
struct Cell {
  int64_t leads = 0;
  int64_t won = 0;
};
using MonthSeries = std::map<int64_t, Cell>;  // MonthIndex -> matured counts

// The matured history the interval is fitted on (forecast.h "Pooled rate").
struct RateHistory {
  std::vector<MonthSeries> channels;  // every channel's, by the all-channel horizon
  std::optional<size_t> requested;    // the requested channel's index in `channels`
  MonthSeries all;                    // `channels` added up
  MonthSeries own;                    // the scope's: the channel's (its horizon), else `all`
};

// A series' months before `end`, dropping the empty ones.
std::vector<Cell> MonthsBefore(const MonthSeries& series, int64_t end) {
  std::vector<Cell> out;
  for (auto it = series.begin(); it != series.end() && it->first < end; ++it) {
    if (it->second.leads > 0) out.push_back(it->second);
  }
  return out;
}

Cell SumOf(const std::vector<Cell>& groups) {
  Cell total;
  for (const Cell& g : groups) {
    total.leads += g.leads;
    total.won += g.won;
  }
  return total;
}

// sum n_g^2 / N^2: the share of a drift that stays in the groups' pooled rate
// (1 / G for G equal groups); 0 without leads.
double Concentration(const std::vector<Cell>& groups) {
  const double n = static_cast<double>(SumOf(groups).leads);
  double squares = 0;
  for (const Cell& g : groups) squares += static_cast<double>(g.leads) * g.leads;
  return n > 0 ? squares / (n * n) : 0.0;
}

// The method of moments for the variance of true rates across groups
// (Fleiss): E[sum n_g (r_g - r)^2] = (G - 1) r (1 - r) + t2 (N - sum n_g^2 / N),
// so t2 = excess / spread.
struct Dispersion {
  size_t groups = 0;  // with leads
  double rate = 0;    // pooled r
  double excess = 0;  // sum n_g (r_g - r)^2 - (G - 1) r (1 - r)
  double spread = 0;  // N - sum n_g^2 / N
};

Dispersion DispersionOf(const std::vector<Cell>& groups) {
  Dispersion d;
  const Cell total = SumOf(groups);
  if (total.leads == 0) return d;
  const double n = static_cast<double>(total.leads);
  d.rate = static_cast<double>(total.won) / n;
  double sum_sq = 0;
  for (const Cell& g : groups) {
    if (g.leads == 0) continue;
    ++d.groups;
    const double gn = static_cast<double>(g.leads);
    const double diff = static_cast<double>(g.won) / gn - d.rate;
    d.excess += gn * diff * diff;
    sum_sq += gn * gn;
  }
  d.excess -= static_cast<double>(d.groups - 1) * d.rate * (1 - d.rate);
  d.spread = n - sum_sq / n;
  return d;
}

// The interval's model fitted on the months before `end` (forecast.h).
struct RateFit {
  double pool_rate = 0;
  double prior_leads = 0;
  double rate = 0;
  double relative_drift = 0;
  int64_t drift_months = 0;
  double alpha = 0;  // Beta of the next month's rate
  double beta = 0;
};

std::optional<RateFit> FitRate(const RateHistory& h, int64_t end, int64_t min_channel_leads) {
  std::vector<Cell> channel_totals;
  for (const MonthSeries& series : h.channels)
    channel_totals.push_back(SumOf(MonthsBefore(series, end)));
  const std::vector<Cell> own_months = MonthsBefore(h.own, end);
  const std::vector<Cell> pool_months = MonthsBefore(h.all, end);
  const Cell own = SumOf(own_months);
  const Cell pool = SumOf(pool_months);
  if (own.leads == 0 && pool.leads == 0) return std::nullopt;

  RateFit fit;
  const double m =
      pool.leads > 0 ? static_cast<double>(pool.won) / static_cast<double>(pool.leads) : 0.0;
  fit.pool_rate = m;
  if (h.requested) {
    const double others = static_cast<double>(pool.leads - channel_totals[*h.requested].leads);
    const Dispersion between = DispersionOf(channel_totals);
    if (others <= 0) {
      fit.prior_leads = 0;
    } else if (between.groups < 2) {
      fit.prior_leads = std::min(others, static_cast<double>(min_channel_leads));
    } else {
      const double t2 = std::max(0.0, between.excess / between.spread);
      fit.prior_leads = t2 > 0 ? std::clamp(m * (1 - m) / t2 - 1, 0.0, others) : others;
    }
  }
  const double k = fit.prior_leads;
  const double alpha = 1 + k * m + static_cast<double>(own.won);
  const double beta = 1 + k * (1 - m) + static_cast<double>(own.leads - own.won);
  const double strength = alpha + beta;
  const double p = alpha / strength;
  // The point leaves out the uniform prior, which is there so that a cohort
  // without a win still has an interval: without pooling it is the observed
  // rate itself (150 x 12.5% = 18.75).
  const double pooled_leads = k + static_cast<double>(own.leads);
  fit.rate = pooled_leads > 0 ? (k * m + static_cast<double>(own.won)) / pooled_leads : p;

  // Each series' relative excess has variance 2 (T - 1) odds^2 without
  // drift whatever its size, so a channel of one lead a month would add as
  // much noise as one of a thousand: each is weighed by the inverse of its
  // estimate's variance without drift.
  double numerator = 0;
  double denominator = 0;
  double null_variance = 0;  // of `numerator` when no rate moves
  auto add_series = [&](const MonthSeries& series) {
    const Dispersion d = DispersionOf(MonthsBefore(series, end));
    if (d.groups < 2 || d.rate <= 0 || d.rate >= 1) return;
    const double odds = (1 - d.rate) / d.rate;
    const double degrees = static_cast<double>(d.groups - 1);
    const double weight = d.spread / (degrees * odds * odds);
    numerator += weight * d.excess / (d.rate * d.rate);
    denominator += weight * d.spread;
    null_variance += weight * weight * 2.0 * degrees * odds * odds;
    fit.drift_months += static_cast<int64_t>(d.groups);
  };
  if (h.requested) {
    for (const MonthSeries& series : h.channels) add_series(series);
  } else {
    add_series(h.all);
  }
  const bool drifts = denominator > 0 && numerator > kDriftTestZ * std::sqrt(null_variance);
  const double drift2 = drifts ? numerator / denominator : 0.0;
  fit.relative_drift = std::sqrt(drift2);
  if (drift2 == 0) {
    fit.alpha = alpha;
    fit.beta = beta;
    return fit;
  }
  const double posterior_var = alpha * beta / (strength * strength * (strength + 1));
  const double own_weight = static_cast<double>(own.leads) / strength;
  const double pool_weight = k / strength;
  const double variance =
      posterior_var + drift2 * p * p *
                          (1 + own_weight * own_weight * Concentration(own_months) +
                           pool_weight * pool_weight * Concentration(pool_months));
  const double predictive = std::max(p * (1 - p) / variance - 1, kMinPredictiveStrength);
  fit.alpha = p * predictive;
  fit.beta = (1 - p) * predictive;
  return fit;
}

// Rolling origin over the scope's months (forecast.h "backtest").
ForecastBacktest Backtest(const RateHistory& h, int64_t min_channel_leads, double level) {
  ForecastBacktest out;
  out.level = level;
  std::vector<int64_t> months;
  int64_t pool_months_before = 0;
  auto pool = h.all.begin();
  for (const auto& [month, cell] : h.own) {
    for (; pool != h.all.end() && pool->first < month; ++pool) {
      if (pool->second.leads > 0) ++pool_months_before;
    }
    if (cell.leads >= kBacktestMinLeads && pool_months_before >= kBacktestMinHistory)
      months.push_back(month);
  }
  const size_t first = months.size() > static_cast<size_t>(kBacktestMaxPeriods)
                           ? months.size() - kBacktestMaxPeriods
                           : 0;
  for (size_t i = first; i < months.size(); ++i) {
    const Cell& actual = h.own.at(months[i]);
    const std::optional<RateFit> fit = FitRate(h, months[i], min_channel_leads);
    if (!fit) continue;
    const CountInterval interval = BetaBinomialInterval(actual.leads, fit->alpha, fit->beta, level);
    ++out.periods;
    if (actual.won >= interval.low && actual.won <= interval.high) ++out.covered;
  }
  if (out.periods >= kBacktestMinPeriods) {
    out.coverage = static_cast<double>(out.covered) / static_cast<double>(out.periods);
  } else {
    out.reason = std::to_string(out.periods) + " past months with " +
                 std::to_string(kBacktestMinLeads) + "+ matured leads and " +
                 std::to_string(kBacktestMinHistory) + "+ earlier months; " +
                 std::to_string(kBacktestMinPeriods) + " needed";
  }
  return out;
}

// The error for a channel no live contact carries: the known channels, and
// first those that differ from it only by case or spaces.
Status UnknownChannel(const std::string& channel, const std::set<std::string>& known) {
  const std::string key = ChannelKey(channel);
  std::string suggestions;
  for (const std::string& k : known) {
    if (ChannelKey(k) == key)
      suggestions += (suggestions.empty() ? "'" : "' or '") + EscapeControlCharacters(k);
  }
  std::string message = "forecast: unknown channel '" + EscapeControlCharacters(channel) + "'";
  if (!suggestions.empty()) message += " (did you mean " + suggestions + "'?)";
  if (known.empty()) return Status::InvalidArgument(message + "; the store holds no channels");
  message += "; known channels: ";
  size_t listed = 0;
  for (const std::string& k : known) {
    if (listed == kListedChannels) {
      message += ", and " + std::to_string(known.size() - listed) + " more";
      break;
    }
    message += (listed++ == 0 ? "'" : ", '") + EscapeControlCharacters(k) + "'";
  }
  return Status::InvalidArgument(message);
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

// A live contact of the history window, kept small (16 bytes) to count by
// month once the horizons are known: a second scan of a million contacts
// cost more than keeping them.
struct HistoryLead {
  int64_t created_at;
  uint32_t channel;  // index into State::channel_names
  uint8_t stages;    // StagesReached
  bool in_channel;
};

Status CheckRequest(const ForecastRequest& request, const ForecastOptions& options) {
  if (request.leads <= 0 || request.leads > kMaxForecastLeads)
    return Status::InvalidArgument("forecast: leads must be from 1 to " +
                                   std::to_string(kMaxForecastLeads));
  if (request.spend && !(*request.spend >= 0))
    return Status::InvalidArgument("forecast: spend must not be negative");
  if (!(options.level > 0 && options.level < 1))
    return Status::InvalidArgument("forecast: level must lie between 0 and 1");
  if (options.min_channel_leads < 0)
    return Status::InvalidArgument("forecast: min_channel_leads must not be negative");
  return Status::Ok();
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
  auto evidence = StageEvidence::Read(store);
  if (!evidence.ok()) return evidence.status().WithContext("audit: forecast");
  return ComputeForecast(store, *evidence, request, options);
}

Result<Forecast> ComputeForecast(Store& store, StageEvidence& evidence,
                                 const ForecastRequest& request, const ForecastOptions& options) {
  if (Status s = CheckRequest(request, options); !s.ok()) return s;
  ForecastPasses passes(request, options);
  Status s = store.ForEachContact([&](const StoredContact& row) {
    if (row.deleted_at) return;
    const std::optional<Contact> cleaned = WithoutImplausibleValues(row.contact);
    passes.AddContact(row, evidence.Effective(row.source, cleaned ? *cleaned : row.contact));
  });
  if (!s.ok()) return s.WithContext("audit: forecast");
  s = store.ForEachDeal([&](const StoredDeal& row) {
    if (row.deleted_at) return;
    const std::optional<Deal> cleaned = WithoutImplausibleValues(row.deal);
    passes.AddDeal(row, cleaned ? *cleaned : row.deal);
  });
  if (!s.ok()) return s.WithContext("audit: forecast");
  return passes.Finish(store, request.leads);
}

struct ForecastPasses::State {
  ForecastRequest request;
  ForecastOptions options;
  // The live contacts' channels, in order of first appearance, and which of
  // them a contact record names itself: only those can be requested (a
  // channel the stage evidence gives counts in the history all the same).
  std::vector<std::string> channel_names;
  std::vector<bool> channel_named;
  std::unordered_map<std::string, uint32_t> channel_of;
  CycleTimes cycles;
  std::set<std::pair<std::string, std::string>> channel_contacts;
  std::vector<HistoryLead> history_leads;
  std::vector<WonDeal> deals;  // live, won, with an amount, of the history window
};

ForecastPasses::ForecastPasses(const ForecastRequest& request, const ForecastOptions& options)
    : state_(std::make_unique<State>()) {
  state_->request = request;
  state_->options = options;
}
ForecastPasses::ForecastPasses(ForecastPasses&&) noexcept = default;
ForecastPasses& ForecastPasses::operator=(ForecastPasses&&) noexcept = default;
ForecastPasses::~ForecastPasses() = default;

// The known channels, the cycle times for the maturity horizons, and the
// live contacts of the history window.
void ForecastPasses::AddContact(const StoredContact& row, const Contact& c) {
  State& st = *state_;
  auto [it, added] =
      st.channel_of.try_emplace(c.channel, static_cast<uint32_t>(st.channel_names.size()));
  if (added) {
    st.channel_names.push_back(c.channel);
    st.channel_named.push_back(false);
  }
  // The effective channel is the record's own whenever it names one.
  if (!row.contact.channel.empty()) st.channel_named[it->second] = true;
  if (!c.created_at) return;
  const bool in_channel = st.request.channel && c.channel == *st.request.channel;
  if (c.customer_at && *c.customer_at >= *c.created_at) {
    const int64_t cycle = *c.customer_at - *c.created_at;
    st.cycles.all.push_back(cycle);
    if (in_channel) st.cycles.channel.push_back(cycle);
  }
  if (in_channel) st.channel_contacts.insert({row.source, c.id});
  if (!st.request.history.Contains(*c.created_at)) return;
  st.history_leads.push_back(
      HistoryLead{*c.created_at, it->second, static_cast<uint8_t>(StagesReached(c)), in_channel});
}

// The won deals with an amount, closed (or, without a close date, created)
// inside the history window; undated deals only when it is open.
void ForecastPasses::AddDeal(const StoredDeal& row, const Deal& d) {
  const AuditWindow& history = state_->request.history;
  if (!d.is_won || !d.amount) return;
  const TimeMs when = d.closed_at ? d.closed_at : d.created_at;
  if (when ? !history.Contains(*when) : (history.from || history.to)) return;
  state_->deals.push_back(WonDeal{row.source, d.id, *d.amount, NormalizeCurrency(d.currency)});
}

Result<Forecast> ForecastPasses::Finish(Store& store, int64_t leads) {
  State& st = *state_;
  ForecastRequest& request = st.request;
  request.leads = leads;
  const ForecastOptions& options = st.options;
  if (Status s = CheckRequest(request, options); !s.ok()) return s;
  std::set<std::string> known_channels;
  for (size_t i = 0; i < st.channel_names.size(); ++i) {
    if (st.channel_named[i]) known_channels.insert(st.channel_names[i]);
  }
  if (request.channel && !known_channels.count(*request.channel))
    return UnknownChannel(*request.channel, known_channels);
  const int64_t all_horizon = Percentile90(std::move(st.cycles.all));
  const int64_t channel_horizon =
      st.cycles.channel.empty() ? all_horizon : Percentile90(std::move(st.cycles.channel));
  const std::vector<std::string>& channel_names = st.channel_names;

  // The matured cohorts by month, in the contacts' order.
  FunnelCounts channel_counts;
  FunnelCounts all_counts;
  RateHistory history;
  std::map<std::string, size_t> channel_index;
  std::vector<std::optional<size_t>> history_channel(channel_names.size());
  for (const HistoryLead& lead : st.history_leads) {
    const int64_t month = MonthIndex(lead.created_at);
    const int64_t won = lead.stages >= 4 ? 1 : 0;
    if (lead.created_at < request.now_ms - all_horizon) {
      CountFunnelStages(lead.stages, all_counts);
      std::optional<size_t>& index = history_channel[lead.channel];
      if (!index) {
        index = history.channels.size();
        channel_index.emplace(channel_names[lead.channel], *index);
        history.channels.emplace_back();
      }
      Cell& cell = history.channels[*index][month];
      ++cell.leads;
      cell.won += won;
    }
    if (lead.in_channel && lead.created_at < request.now_ms - channel_horizon) {
      CountFunnelStages(lead.stages, channel_counts);
      Cell& cell = history.own[month];
      ++cell.leads;
      cell.won += won;
    }
  }
  for (const MonthSeries& series : history.channels) {
    for (const auto& [month, cell] : series) {
      history.all[month].leads += cell.leads;
      history.all[month].won += cell.won;
    }
  }
  if (request.channel) {
    auto it = channel_index.find(*request.channel);
    if (it == channel_index.end()) {
      it = channel_index.emplace(*request.channel, history.channels.size()).first;
      history.channels.emplace_back();
    }
    history.requested = it->second;
  } else {
    history.own = history.all;
  }

  Forecast f;
  f.channel = request.channel;
  f.leads = request.leads;
  f.spend = request.spend;
  f.level = options.level;
  ForecastBasis& basis = f.basis;
  basis.min_channel_leads = options.min_channel_leads;
  const bool channel_scope = request.channel && channel_counts.leads >= options.min_channel_leads &&
                             channel_counts.leads > 0;
  const bool pooled = request.channel && !channel_scope;
  basis.scope = channel_scope ? ForecastBasis::Scope::kChannel
                : pooled      ? ForecastBasis::Scope::kChannelPooled
                              : ForecastBasis::Scope::kAllChannels;
  f.counts = request.channel ? channel_counts : all_counts;
  basis.maturity_horizon_ms = request.channel ? channel_horizon : all_horizon;
  basis.matured_before_ms = request.now_ms - basis.maturity_horizon_ms;
  basis.cohort_leads = f.counts.leads;
  basis.cohort_won = f.counts.won;
  f.rates = FunnelRatesFrom(f.counts);
  if (request.channel) {
    basis.channel_matured_leads = channel_counts.leads;
    const std::string key = ChannelKey(*request.channel);
    for (const std::string& known : known_channels) {
      if (known != *request.channel && ChannelKey(known) == key)
        basis.channel_variants.push_back(known);
    }
  }

  const std::optional<RateFit> fit = FitRate(history, INT64_MAX, options.min_channel_leads);
  if (pooled) {
    basis.reason = "channel '" + *request.channel + "' has " +
                   (channel_counts.leads == 0 ? std::string("no matured leads")
                                              : std::to_string(channel_counts.leads) +
                                                    " matured leads, fewer than the minimum of " +
                                                    std::to_string(options.min_channel_leads));
    if (fit) {
      basis.reason += "; its rate is pooled with all channels', weighed as " +
                      FixedText(fit->prior_leads, 2) + " leads";
    }
  }
  if (fit) {
    f.expected_customers = static_cast<double>(request.leads) * fit->rate;
    f.interval = BetaBinomialInterval(request.leads, fit->alpha, fit->beta, options.level);
    basis.pool_rate = fit->pool_rate;
    basis.prior_leads = fit->prior_leads;
    basis.rate = fit->rate;
    basis.relative_drift = fit->relative_drift;
    basis.drift_months = fit->drift_months;
  } else {
    basis.reason += std::string(basis.reason.empty() ? "" : "; ") +
                    "no matured leads in the history, so no forecast";
  }
  f.backtest = Backtest(history, options.min_channel_leads, options.level);

  std::vector<const WonDeal*> all_deals;
  for (const WonDeal& d : st.deals) all_deals.push_back(&d);
  basis.deal_amounts = AmountsOf(all_deals);
  basis.deal_scope = ForecastBasis::Scope::kAllChannels;
  if (channel_scope) {
    auto channel_deals = DealsOfContacts(store, st.deals, st.channel_contacts);
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

std::string ForecastJson(const Forecast& forecast) {
  JsonWriter w;
  WriteForecastJson(w, forecast);
  return w.TakeString();
}

void WriteForecastJson(JsonWriter& w, const Forecast& f) {
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
  w.Key("expected_customers");
  w.OptionalDouble(f.expected_customers);
  w.Key("interval");
  w.StartObject();
  w.Key("low");
  f.interval ? w.Int64(f.interval->low) : w.Null();
  w.Key("high");
  f.interval ? w.Int64(f.interval->high) : w.Null();
  w.Key("level");
  w.Double(f.level);
  w.EndObject();
  const ForecastBacktest& bt = f.backtest;
  w.Key("backtest");
  w.StartObject();
  w.Key("periods");
  w.Int64(bt.periods);
  w.Key("covered");
  w.Int64(bt.covered);
  w.Key("coverage");
  w.OptionalDouble(bt.coverage);
  w.Key("level");
  w.Double(bt.level);
  w.Key("period");
  w.String("month");
  text("reason", bt.reason);
  w.EndObject();
  const MoneyTotal unit{
      .amount = f.expected_revenue, .currency = f.currency, .converted = f.converted};
  WriteMoneyJson(w, "expected_revenue", f.expected_revenue_by_currency, unit);
  WriteMoneyUnitJson(w, unit);
  WriteRatesJson(w, "rates_used", f.rates_used);
  w.Key("spend");
  w.OptionalDouble(f.spend);
  w.Key("return_on_spend");
  w.OptionalDouble(f.return_on_spend);
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
  w.String("beta(1 + prior_leads x pool_rate, 1 + prior_leads x (1 - pool_rate))");
  w.Key("pool_rate");
  w.OptionalDouble(b.pool_rate);
  w.Key("prior_leads");
  w.OptionalDouble(b.prior_leads);
  w.Key("rate");
  w.OptionalDouble(b.rate);
  w.Key("relative_drift");
  w.OptionalDouble(b.relative_drift);
  w.Key("drift_months");
  w.Int64(b.drift_months);
  w.Key("channel_variants");
  w.StartArray();
  for (const std::string& v : b.channel_variants) w.String(v.c_str());
  w.EndArray();
  w.Key("deal_scope");
  w.String(ScopeName(b.deal_scope));
  w.Key("won_deals");
  w.Int64(b.won_deals);
  WriteMoneyJson(w, "average_deal", b.deal_amounts.Averages(),
                 MoneyTotal{.amount = b.average_deal, .currency = f.currency});
  w.EndObject();
  w.EndObject();
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
  row("expected won leads", FixedText(f.expected_customers, 2));
  if (f.interval) {
    char interval[96];
    snprintf(interval, sizeof interval, "%lld to %lld", static_cast<long long>(f.interval->low),
             static_cast<long long>(f.interval->high));
    char label[32];
    snprintf(label, sizeof label, "%.0f%% interval", f.interval->level * 100.0);
    row(label, interval);
    const ForecastBacktest& bt = f.backtest;
    char backtest[160];
    if (bt.coverage) {
      snprintf(backtest, sizeof backtest,
               "%.0f%% of %lld past months in their %.0f%% interval (%lld covered)",
               *bt.coverage * 100.0, static_cast<long long>(bt.periods), bt.level * 100.0,
               static_cast<long long>(bt.covered));
    } else {
      snprintf(backtest, sizeof backtest, "- (%s)", bt.reason.c_str());
    }
    row("backtest coverage", backtest);
  }
  // Money with its currency, or by currency where it has no one unit.
  auto money = [&](const MoneyByCurrency& parts, const std::optional<double>& total) {
    return parts.empty() ? std::string("-")
                         : MoneyText(parts, MoneyTotal{.amount = total, .currency = f.currency});
  };
  row("expected revenue", money(f.expected_revenue_by_currency, f.expected_revenue));
  row("spend", AmountText(f.spend, f.currency));
  row("return on spend", FixedText(f.return_on_spend, 2));
  row("lead to mql", PercentText(f.rates.lead_to_mql));
  row("mql to contacted", PercentText(f.rates.mql_to_contacted));
  row("contacted to sql", PercentText(f.rates.contacted_to_sql));
  row("sql to won", PercentText(f.rates.sql_to_won));
  row("lead to won", PercentText(f.rates.lead_to_won));
  out += "Based on " + std::to_string(b.cohort_leads) + " matured leads (" +
         std::to_string(b.cohort_won) + " won) of " +
         (b.scope == ForecastBasis::Scope::kAllChannels ? "all channels"
                                                        : std::string("the channel")) +
         ", created before " + FormatIsoMs(b.matured_before_ms) + " (p90 cycle " +
         FixedText(static_cast<double>(b.maturity_horizon_ms) / kMsPerDay, 2) + " days); " +
         std::to_string(b.won_deals) + " won deals, average " +
         money(b.deal_amounts.Averages(), b.average_deal) + "\n";
  if (f.converted) out += "Amounts converted to " + *f.currency + " at the configured rates\n";
  if (b.rate) {
    out += "Rate " + PercentText(b.rate) +
           (f.channel ? ": the channel's leads with all channels' " + PercentText(b.pool_rate) +
                            " weighed as " + FixedText(*b.prior_leads, 2) + " leads"
                      : std::string()) +
           "; rates move " + PercentText(b.relative_drift) + " between months (over " +
           std::to_string(b.drift_months) + (f.channel ? " channel-months)\n" : " months)\n");
  }
  if (!b.reason.empty()) out += "Note: " + b.reason + "\n";
  for (const std::string& v : b.channel_variants) {
    out += "Note: the channel is also stored as '" + EscapeControlCharacters(v) +
           "', which this forecast leaves out (data quality: channel_variants)\n";
  }
  return out;
}

}  // namespace salesaudit

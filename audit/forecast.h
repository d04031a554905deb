// The forecast (docs/contracts.md "Forecast JSON", docs/audit.md "Forecast"): how many
// customers, how much revenue and what return on spend N new leads of a
// channel can be expected to bring, judged by the matured cohorts in the store.
//
//   ForecastRequest request{.leads = 150, .channel = "podcast", .spend = 5000.0,
//                           .history = {}, .now_ms = NowMs()};
//   auto forecast = ComputeForecast(store, request, ForecastOptions{});
//   if (!forecast.ok()) return forecast.status();
//   std::cout << ForecastJson(*forecast);
//
// Definitions (docs/audit.md repeats them). A contact's stage dates
// (customer_at for won) are its effective ones (audit/stage_evidence.h).
// - Known channels: the distinct channel values of live contacts in the
//   store. A requested channel must be one of them exactly, else the
//   forecast fails with kInvalidArgument listing them and suggesting those
//   with the same ChannelKey (audit/funnel.h: case and spaces ignored).
//   Known channels with the requested one's ChannelKey are named in
//   basis.channel_variants: the forecast leaves them out.
// - Maturity horizon of a scope: the 90th percentile (nearest rank) of
//   customer_at - created_at over every live won contact of the scope in the
//   store (not only the history window: a narrow recent window holds only the
//   fast closers). A channel without won contacts borrows the all-channel
//   horizon; a store without any is horizon 0. Negative cycles (dates out of
//   order) are left out.
// - Matured cohort: live contacts of the scope created inside `history` and
//   more than the horizon before `now_ms`, so their outcome is mostly known.
//   The pool is every channel's matured cohort by the all-channel horizon;
//   a month is the calendar month (UTC) of created_at.
// - Scope: the requested channel when its matured cohort has at least
//   `min_channel_leads` leads (kChannel); a requested channel with fewer
//   (kChannelPooled, `basis.reason` says so); every channel when none was
//   asked for (kAllChannels). counts and rates are the scope's own cohort.
// - Rate (basis.rate) = (k m + won) / (k + leads) over the scope's own
//   matured cohort: its rate pulled toward m, the pool's lead_to_won
//   (basis.pool_rate), by k (basis.prior_leads), the pool's weight in leads.
//   Without a channel k = 0, and the rate is the observed one.
// - k, for a channel, is an empirical-Bayes estimate from how much the
//   channels' rates differ: with the between-channel variance t2 of the true
//   rates (method of moments over the channels' matured totals n_j, r_j:
//   t2 = max(0, (sum n_j (r_j - m)^2 - (J - 1) m (1 - m)) /
//   (N - sum n_j^2 / N))), k = m (1 - m) / t2 - 1, at most the other
//   channels' leads (all of them when t2 is 0) and at least 0; with fewer
//   than two channels holding matured leads, k = min(min_channel_leads, the
//   other channels' leads). A small channel thus rests on its own leads and
//   the pool, a large one mostly on its own.
// - expected_customers = leads x the rate: for a cohort alone in its pool
//   (no channel asked, or the only channel) the observed rate, so 150 leads
//   at 50% reached and 25% of those won give exactly 18.75. Null without a
//   matured lead in the scope nor the pool.
// - Posterior: Beta(1 + k m + won, 1 + k (1 - m) + leads - won), the
//   uniform Beta(1, 1) with k leads of the pool and the own cohort, so that a
//   cohort without a win still has an interval; p is its mean.
// - Drift (basis.relative_drift, w): how much a rate moves between months,
//   as a fraction of the rate; the method of moments over the matured months
//   of every channel (without a channel: of the all-channel series), each
//   series g with T_g >= 2 months and a rate r_g strictly between 0 and 1,
//   odds o_g = (1 - r_g) / r_g, D_g = N_g - sum_t n_t^2 / N_g and
//   S_g = sum_t n_t (r_t - r_g)^2: w^2 = sum_g c_g (S_g / r_g^2 - (T_g - 1)
//   o_g) / sum_g c_g D_g, each series weighed by c_g = D_g / ((T_g - 1)
//   o_g^2), the inverse variance of its own estimate without drift (a
//   channel of one lead a month would otherwise add as much noise as one of
//   a thousand). Counted only when the numerator exceeds 1.645 x its
//   standard deviation without drift, sqrt(sum_g c_g^2 2 (T_g - 1) o_g^2)
//   (a one-sided 5% dispersion test; below it the estimate is mostly
//   noise), else 0.
// - interval: the central `level` interval of BetaBinomial(leads, A, B),
//   the Beta moment-matched to the next month's rate: mean p, variance
//   V = Vpost + w^2 p^2 (1 + a^2 h_own + b^2 h_pool), with Vpost the
//   posterior's variance, a and b the weights of the own leads and of k in
//   the posterior mean (leads / (alpha + beta), k / (alpha + beta)), and
//   h = sum_t n_t^2 / n^2 over the months of the own cohort and the pool
//   (how much the drift of the past months stays in their average). A + B
//   = p (1 - p) / V - 1, at least 2; without drift A and B are the
//   posterior's own parameters. Null without a matured lead.
// - backtest (rolling origin): for each month of the scope's matured cohort
//   with at least kBacktestMinLeads leads and at least kBacktestMinHistory
//   earlier pool months with leads (the last kBacktestMaxPeriods of them),
//   the interval above fitted on the earlier months only, for that month's
//   leads; covered when the month's won count lies in it. coverage =
//   covered / periods, null with a reason under kBacktestMinPeriods.
//   Outcomes are as known now, so the months are judged as this forecast is.
// - expected_revenue = expected_customers x the average amount of live won
//   deals with a known amount, of the channel in scope kChannel (a deal
//   belongs to the channels of its associated live contacts), else of every
//   channel, closed (created, when no close date) inside `history`; the
//   channel's deals fall back to every deal when it has none
//   (basis.deal_scope). Null when there are none.
//   Money is kept per currency (audit/money.h): expected_revenue_by_currency
//   = expected_customers x each currency's share of the deals' amounts
//   (its sum over the number of deals); expected_revenue is their sum only
//   where the deals share one currency, or converted into the reporting
//   currency with the configured rates; else null.
// - return_on_spend = expected_revenue / spend when spend > 0, else null;
//   spend is in expected_revenue's currency (the reporting currency when set).
//
// Pure functions over the store's read side; thread-safe as the Store is.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "audit/funnel.h"
#include "audit/money.h"
#include "audit/stage_evidence.h"
#include "config/audit_defaults.h"
#include "core/json_writer.h"
#include "core/status.h"
#include "store/store.h"

namespace salesaudit {

// Far beyond any campaign; keeps the interval's O(width) walk to seconds even
// when rates drift so much that the interval spans most of 0..N.
constexpr int64_t kMaxForecastLeads = 100000000;

// The backtest: a month needs this many matured leads of the scope and this
// many earlier pool months with leads to be forecast; only the last
// kBacktestMaxPeriods such months are, which bounds its cost; under
// kBacktestMinPeriods months its coverage says too little to print.
constexpr int64_t kBacktestMinLeads = 10;
constexpr int64_t kBacktestMinHistory = 3;
constexpr int64_t kBacktestMaxPeriods = 24;
constexpr int64_t kBacktestMinPeriods = 6;

struct ForecastRequest {
  int64_t leads = 0;                   // N new leads: 1 to kMaxForecastLeads
  std::optional<std::string> channel;  // nullopt: every channel
  std::optional<double> spend;         // money for those leads; must not be negative
  AuditWindow history;                 // narrows the cohorts by created_at
  int64_t now_ms = 0;                  // "now" for maturity
};

struct ForecastOptions {
  // Fewer matured leads than this in the channel: scope kChannelPooled (a
  // note says its rate leans on the pool), revenue from every channel's
  // deals, and the pool's weight in leads when the channels' spread cannot
  // be estimated.
  int64_t min_channel_leads = audit_defaults::kForecastMinChannelLeads;
  // Probability mass of the interval (0 < level < 1).
  double level = 0.8;
  // The reporting currency and its rates; empty report_in: no conversion.
  CurrencySettings currency;
};

// A central interval of a count distribution.
struct CountInterval {
  int64_t low = 0;
  int64_t high = 0;
  double level = 0;
};

// Where the forecast's numbers come from.
struct ForecastBasis {
  enum class Scope { kChannel, kChannelPooled, kAllChannels };
  Scope scope = Scope::kAllChannels;
  // Why the channel's expected customers come from the pooled rate, or why
  // there is no forecast (no matured leads); "" otherwise.
  std::string reason;
  int64_t cohort_leads = 0;
  int64_t cohort_won = 0;
  // Matured leads of the requested channel (nullopt when none was asked for).
  std::optional<int64_t> channel_matured_leads;
  int64_t maturity_horizon_ms = 0;
  int64_t matured_before_ms = 0;  // cohort leads were created before this
  Scope deal_scope = Scope::kAllChannels;
  int64_t won_deals = 0;               // deals behind average_deal
  int64_t min_channel_leads = 0;       // the option in force
  MoneyByCurrency deal_amounts;        // of those deals
  std::optional<double> average_deal;  // in Forecast::currency; nullopt when mixed
  // The interval's model (nullopt without a matured lead): the pool's rate,
  // its weight in leads, the pooled rate, the relative drift between months
  // and how many months it was estimated over.
  std::optional<double> pool_rate;
  std::optional<double> prior_leads;
  std::optional<double> rate;
  std::optional<double> relative_drift;
  int64_t drift_months = 0;
  // The requested channel's other spellings in the store (same ChannelKey),
  // which the forecast leaves out: one channel split in two.
  std::vector<std::string> channel_variants;
};

// How often the interval's method covered the past months (see above).
struct ForecastBacktest {
  int64_t periods = 0;             // months forecast
  int64_t covered = 0;             // of them, with the won count inside the interval
  std::optional<double> coverage;  // covered / periods; nullopt: too few
  double level = 0;
  std::string reason;  // why coverage is null; "" otherwise
};

struct Forecast {
  std::optional<std::string> channel;  // as requested
  int64_t leads = 0;
  FunnelCounts counts;  // the matured cohort of the scope
  FunnelRates rates;
  std::optional<double> expected_customers;
  std::optional<CountInterval> interval;  // nullopt without a matured cohort
  double level = 0;                       // the interval's, as requested
  ForecastBacktest backtest;
  std::optional<double> expected_revenue;  // in `currency`
  MoneyByCurrency expected_revenue_by_currency;
  // The unit of expected_revenue, spend and average_deal: nullopt when the
  // deals are in several currencies and none is configured to report in.
  std::optional<std::string> currency;
  bool converted = false;  // deals in other currencies were converted with the rates
  std::map<std::string, double> rates_used;  // code -> rate, for those conversions
  std::optional<double> spend;
  std::optional<double> return_on_spend;
  ForecastBasis basis;
};

// Computes the forecast. Fails with kInvalidArgument when request.leads is
// not in 1..kMaxForecastLeads, spend is negative, options are out of range,
// or the channel is not a known channel (the message lists them and
// suggests the ones differing only by case or spaces); with the store's
// status when reading fails. The contacts' stage dates are their effective
// ones (audit/stage_evidence.h): read from the store, or `evidence` already
// read by the caller.
Result<Forecast> ComputeForecast(Store& store, const ForecastRequest& request,
                                 const ForecastOptions& options);
Result<Forecast> ComputeForecast(Store& store, StageEvidence& evidence,
                                 const ForecastRequest& request, const ForecastOptions& options);

// ComputeForecast in steps, for a caller that reads the contacts and deals for
// its own figures too (the snapshot), so they are read once: AddContact takes
// each live contact row with its effective contact (implausible times unset,
// then the stage evidence folded in), AddDeal each live deal row with its
// implausible values unset, and Finish computes the forecast for `leads`
// (request.leads is not read before it), failing as ComputeForecast does.
class ForecastPasses {
 public:
  ForecastPasses(const ForecastRequest& request, const ForecastOptions& options);
  ForecastPasses(ForecastPasses&&) noexcept;
  ForecastPasses& operator=(ForecastPasses&&) noexcept;
  ~ForecastPasses();

  void AddContact(const StoredContact& row, const Contact& effective);
  void AddDeal(const StoredDeal& row, const Deal& cleaned);
  // Once, after the last AddContact and AddDeal.
  Result<Forecast> Finish(Store& store, int64_t leads);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The central `level` interval of BetaBinomial(n, alpha, beta) (alpha, beta
// > 0 with alpha + beta >= 2, so at most one is below 1 and the pmf has one
// mode or none inside; n >= 0): low is the smallest k with
// P(X <= k) >= (1 - level) / 2, high the smallest k with P(X <= k) >=
// (1 + level) / 2. Exact pmf summation: log pmf by the term ratio
// pmf(k+1)/pmf(k) = (n-k)(k+alpha) / ((k+1)(n-k-1+beta)) outward from the
// mean, stopping on each side where terms fall below e^-50 of the largest,
// then normalised by their sum (so no lgamma constant, nor its rounding at
// large arguments, enters). O(width of the distribution) time, O(1) memory:
// n in the millions takes milliseconds. A CDF within 1e-9 of a quantile counts as reaching it, so
// rounding cannot move a bound off an exact tie.
CountInterval BetaBinomialInterval(int64_t n, double alpha, double beta, double level);

// {"channel","leads","rates":{...},"expected_customers","interval":{low,high,level},
//  "backtest":{periods,covered,coverage,level,period,reason},
//  "expected_revenue","spend","return_on_spend","basis":{...}}
std::string ForecastJson(const Forecast& forecast);
// The same object, written as the next value of `w`.
void WriteForecastJson(JsonWriter& w, const Forecast& forecast);

// A few aligned lines for a terminal.
std::string ForecastText(const Forecast& forecast);

}  // namespace salesaudit

// The forecast (DESIGN.md "Forecast JSON", issue 3 "Forecast"): how many
// customers, how much revenue and what return on spend N new leads of a
// channel can be expected to bring, judged by the matured cohorts in the store.
//
//   ForecastRequest request{.leads = 150, .channel = "podcast", .spend = 5000.0,
//                           .history = {}, .now_ms = NowMs()};
//   auto forecast = ComputeForecast(store, request, ForecastOptions{});
//   if (!forecast.ok()) return forecast.status();
//   std::cout << ForecastJson(*forecast);
//
// Definitions (docs/audit.md repeats them):
// - Maturity horizon of a scope: the 90th percentile (nearest rank) of
//   customer_at - created_at over every live won contact of the scope in the
//   store (not only the history window: a narrow recent window holds only the
//   fast closers). A channel without won contacts borrows the all-channel
//   horizon; a store without any is horizon 0. Negative cycles (dates out of
//   order) are left out.
// - Matured cohort: live contacts of the scope created inside `history` and
//   more than the horizon before `now_ms`, so their outcome is mostly known.
// - Scope: the requested channel (exact match on the stored channel value)
//   when its matured cohort has at least `min_channel_leads` leads, otherwise
//   every channel, with `basis.reason` saying why.
// - expected_customers = leads x lead_to_won of the matured cohort (the
//   observed rate, so 150 leads at 50% reached and 25% of those won give
//   exactly 18.75). Null when the matured cohort is empty.
// - interval: the central `level` interval of the posterior predictive
//   BetaBinomial(leads, 1 + won, 1 + cohort_leads - won), i.e. a uniform
//   Beta(1, 1) prior on the rate updated with the cohort; low and high are
//   the (1 - level) / 2 and (1 + level) / 2 quantiles of that discrete
//   distribution. Null when the matured cohort is empty.
// - expected_revenue = expected_customers x the average amount of live won
//   deals with a known amount, of the scope's channel (a deal belongs to the
//   channels of its associated live contacts) and closed (created, when no
//   close date) inside `history`; the channel's deals fall back to every
//   deal when it has none (basis.deal_scope). Null when there are none.
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
#include <optional>
#include <string>

#include "audit/funnel.h"
#include "audit/money.h"
#include "core/status.h"
#include "store/store.h"

namespace salesaudit {

// Far beyond any campaign; keeps the interval's O(width) walk to about a second.
constexpr int64_t kMaxForecastLeads = 100000000;

struct ForecastRequest {
  int64_t leads = 0;                   // N new leads: 1 to kMaxForecastLeads
  std::optional<std::string> channel;  // nullopt: every channel
  std::optional<double> spend;         // money for those leads; must not be negative
  AuditWindow history;                 // narrows the cohorts by created_at
  int64_t now_ms = 0;                  // "now" for maturity
};

struct ForecastOptions {
  // Fewer matured leads than this in the channel: forecast from every channel.
  int64_t min_channel_leads = 30;
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
  enum class Scope { kChannel, kAllChannels };
  Scope scope = Scope::kAllChannels;
  // Why the scope is all channels although a channel was asked for, or why
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
};

struct Forecast {
  std::optional<std::string> channel;  // as requested
  int64_t leads = 0;
  FunnelCounts counts;  // the matured cohort of the scope
  FunnelRates rates;
  std::optional<double> expected_customers;
  std::optional<CountInterval> interval;   // nullopt without a matured cohort
  double level = 0;                        // the interval's, as requested
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
// not in 1..kMaxForecastLeads, spend is negative, or options are out of
// range; with the store's status when reading fails.
Result<Forecast> ComputeForecast(Store& store, const ForecastRequest& request,
                                 const ForecastOptions& options);

// The central `level` interval of BetaBinomial(n, alpha, beta) (alpha, beta
// >= 1, so the pmf is unimodal; n >= 0): low is the smallest k with
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
//  "expected_revenue","spend","return_on_spend","basis":{...}}
std::string ForecastJson(const Forecast& forecast);

// A few aligned lines for a terminal.
std::string ForecastText(const Forecast& forecast);

}  // namespace salesaudit

// The funnel (docs/contracts.md "Funnel semantics"): stages lead -> mql -> contacted
// -> sql -> won over the cohort of contacts created in a window. A contact
// counts at a stage if it has that stage's timestamp or any later one (CRMs
// skip stages). Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/json_writer.h"
#include "core/records.h"
#include "core/status.h"

namespace salesaudit {

// The most examples any audit check lists (data quality, email matching).
inline constexpr size_t kQualityExamples = 5;

// [from, to) in epoch ms; an unset bound is open.
struct AuditWindow {
  TimeMs from;
  TimeMs to;
  bool Contains(int64_t t) const { return (!from || t >= *from) && (!to || t < *to); }
};

struct FunnelCounts {
  int64_t leads = 0;
  int64_t mql = 0;
  int64_t contacted = 0;
  int64_t sql = 0;
  int64_t won = 0;
};

// Stage-to-stage rates as fractions; nullopt when the denominator is zero.
struct FunnelRates {
  std::optional<double> lead_to_mql;
  std::optional<double> mql_to_contacted;
  std::optional<double> contacted_to_sql;
  std::optional<double> sql_to_won;
  std::optional<double> lead_to_won;
};

// Values the audit takes as unknown, whatever the store holds (old stores, BI
// tools writing into it): a time outside IsPlausibleTimeMs (core/time_util.h)
// and a deal amount that is not a finite number within +-kMaxPlausibleAmount
// (core/records.h).

// A copy of `contact` with its implausible times unset; nullopt when every
// time is plausible (the common case, which copies nothing).
std::optional<Contact> WithoutImplausibleValues(const Contact& contact);

// A copy of `deal` with its implausible times and amount unset; nullopt when
// all are plausible.
std::optional<Deal> WithoutImplausibleValues(const Deal& deal);

// A channel value as the audit compares spellings: ASCII lower case, without
// leading and trailing whitespace, inner whitespace runs as one space. Two
// stored channels with one key ("PAID_SOCIAL", " paid_social") are one
// channel split by a typing difference (data quality channel_variants; the
// forecast's "did you mean").
std::string ChannelKey(std::string_view channel);

// The Wilson score interval of a proportion (successes of trials, trials >
// 0) at normal quantile z (1.96: 95%): unlike the normal approximation it
// stays inside [0, 1] and holds for small samples and rates near 0 or 1.
struct ProportionInterval {
  double low = 0;
  double high = 0;
};
ProportionInterval WilsonInterval(int64_t successes, int64_t trials, double z);

// How many stages past lead a contact reached (0 to 4: mql, contacted, sql,
// won); reaching a later stage implies every earlier one.
int StagesReached(const Contact& contact);
// Adds one contact of the cohort that reached `stages` (StagesReached) to
// `counts` at every stage it reached.
void CountFunnelStages(int stages, FunnelCounts& counts);
// Adds one contact of the cohort to `counts` at every stage it reached.
void CountFunnelStages(const Contact& contact, FunnelCounts& counts);

FunnelRates FunnelRatesFrom(const FunnelCounts& counts);

// Writes the members leads, mql, contacted, sql, won into the JSON object
// `w` is inside.
void WriteFunnelCountsJson(JsonWriter& w, const FunnelCounts& counts);

// Writes the member "rates": {lead_to_mql, ..., lead_to_won}, null where a
// rate is unknown.
void WriteFunnelRatesJson(JsonWriter& w, const FunnelRates& rates);

}  // namespace salesaudit

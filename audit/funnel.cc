#include "audit/funnel.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "audit/statistics.h"
#include "core/json_writer.h"
#include "core/time_util.h"

namespace salesaudit {
namespace {

void DropImplausible(TimeMs& t) {
  if (t && !IsPlausibleTimeMs(*t)) t.reset();
}

bool IsPlausibleTime(const TimeMs& t) { return !t || IsPlausibleTimeMs(*t); }

}  // namespace

std::string ChannelKey(std::string_view channel) {
  std::string key;
  bool space = false;
  for (char c : channel) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = true;
      continue;
    }
    if (space && !key.empty()) key.push_back(' ');
    space = false;
    key.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return key;
}

std::optional<Contact> WithoutImplausibleValues(const Contact& contact) {
  const Contact& c = contact;
  if (IsPlausibleTime(c.created_at) && IsPlausibleTime(c.mql_at) &&
      IsPlausibleTime(c.contacted_at) && IsPlausibleTime(c.sql_at) &&
      IsPlausibleTime(c.customer_at) && IsPlausibleTime(c.updated_at)) {
    return std::nullopt;
  }
  Contact out = contact;
  for (TimeMs* t : {&out.created_at, &out.mql_at, &out.contacted_at, &out.sql_at, &out.customer_at,
                    &out.updated_at}) {
    DropImplausible(*t);
  }
  return out;
}

std::optional<Deal> WithoutImplausibleValues(const Deal& deal) {
  const bool amount_ok = !deal.amount || IsPlausibleAmount(*deal.amount);
  if (amount_ok && IsPlausibleTime(deal.created_at) && IsPlausibleTime(deal.closed_at) &&
      IsPlausibleTime(deal.updated_at)) {
    return std::nullopt;
  }
  Deal out = deal;
  if (!amount_ok) out.amount.reset();
  for (TimeMs* t : {&out.created_at, &out.closed_at, &out.updated_at}) DropImplausible(*t);
  return out;
}

int StagesReached(const Contact& c) {
  if (c.customer_at) return 4;
  if (c.sql_at) return 3;
  if (c.contacted_at) return 2;
  return c.mql_at ? 1 : 0;
}

void CountFunnelStages(int stages, FunnelCounts& counts) {
  ++counts.leads;
  counts.mql += stages >= 1;
  counts.contacted += stages >= 2;
  counts.sql += stages >= 3;
  counts.won += stages >= 4;
}

void CountFunnelStages(const Contact& c, FunnelCounts& counts) {
  CountFunnelStages(StagesReached(c), counts);
}

FunnelRates FunnelRatesFrom(const FunnelCounts& n) {
  return FunnelRates{Ratio(n.mql, n.leads), Ratio(n.contacted, n.mql), Ratio(n.sql, n.contacted),
                     Ratio(n.won, n.sql), Ratio(n.won, n.leads)};
}

void WriteFunnelCountsJson(JsonWriter& w, const FunnelCounts& c) {
  w.Key("leads");
  w.Int64(c.leads);
  w.Key("mql");
  w.Int64(c.mql);
  w.Key("contacted");
  w.Int64(c.contacted);
  w.Key("sql");
  w.Int64(c.sql);
  w.Key("won");
  w.Int64(c.won);
}

void WriteFunnelRatesJson(JsonWriter& w, const FunnelRates& r) {
  w.Key("rates");
  w.StartObject();
  w.Key("lead_to_mql");
  w.OptionalDouble(r.lead_to_mql);
  w.Key("mql_to_contacted");
  w.OptionalDouble(r.mql_to_contacted);
  w.Key("contacted_to_sql");
  w.OptionalDouble(r.contacted_to_sql);
  w.Key("sql_to_won");
  w.OptionalDouble(r.sql_to_won);
  w.Key("lead_to_won");
  w.OptionalDouble(r.lead_to_won);
  w.EndObject();
}

ProportionInterval WilsonInterval(int64_t successes, int64_t trials, double z) {
  const double n = static_cast<double>(trials);
  const double p = static_cast<double>(successes) / n;
  const double z2 = z * z;
  const double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const double half = z * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n);
  return {.low = std::max(0.0, centre - half), .high = std::min(1.0, centre + half)};
}

}  // namespace salesaudit

#include "alerts/figure.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string_view>

#include "audit/labels.h"
#include "audit/money.h"

namespace salesaudit {
namespace {

// The snapshot's figures by key (docs/audit.md gives each key's unit); keys
// not here fall to the suffix rules in KindOf, then to kNumber.
struct KnownFigure {
  std::string_view key;
  FigureKind kind;
  std::string_view noun;
};

constexpr KnownFigure kKnownFigures[] = {
    {"leads", FigureKind::kCount, "leads"},
    {"referral_leads", FigureKind::kCount, "leads"},
    {"mql", FigureKind::kCount, "contacts"},
    {"contacted", FigureKind::kCount, "contacts"},
    {"sql", FigureKind::kCount, "contacts"},
    {"won", FigureKind::kCount, "won leads"},  // audit/labels.h
    {"contacts", FigureKind::kCount, "contacts"},
    {"customers", FigureKind::kCount, "customers"},
    {"repeat_customers", FigureKind::kCount, "customers"},
    {"won_deals", FigureKind::kCount, "deals"},
    {"deals_with_amount", FigureKind::kCount, "deals"},
    {"reps", FigureKind::kCount, "reps"},
    {"reps_needed", FigureKind::kCount, "reps"},
    {"reps_to_hire", FigureKind::kCount, "reps"},
    {"recipients", FigureKind::kCount, "recipients"},
    {"complete_periods", FigureKind::kCount, "periods"},
    {"min_mqls", FigureKind::kCount, "MQLs"},
    {"count", FigureKind::kCount, ""},
    {"min_sample", FigureKind::kCount, ""},
    {"median_min_delivered", FigureKind::kCount, ""},
    {"capacity_per_period", FigureKind::kPerPeriod, "leads"},
    {"incoming_per_period", FigureKind::kPerPeriod, "leads"},
    {"shortfall_per_period", FigureKind::kPerPeriod, "leads"},
    {"surplus_per_period", FigureKind::kPerPeriod, "leads"},
    {"leads_needed_for_revenue_target", FigureKind::kPerPeriod, "leads"},
    {"leads_per_rep_per_period", FigureKind::kPerPeriod, "leads per rep"},
    {"average", FigureKind::kPerPeriod, "leads"},  // lead_volume.average
    {"revenue", FigureKind::kMoney, ""},
    {"total", FigureKind::kMoney, ""},
    {"unattributed", FigureKind::kMoney, ""},
    {"average_won_deal", FigureKind::kMoney, ""},
    {"spend", FigureKind::kMoney, ""},
    {"revenue_target", FigureKind::kMoney, ""},
    {"expected_revenue", FigureKind::kMoney, ""},
    {"return_on_spend", FigureKind::kRatio, ""},
    {"return_on_spend_target", FigureKind::kRatio, ""},
    {"mql_to_sql", FigureKind::kRate, ""},
    {"lead_to_won", FigureKind::kRate, ""},
    {"overall_mql_to_sql", FigureKind::kRate, ""},
    // forecast (audit/forecast.h): the interval and the backtest.
    {"expected_customers", FigureKind::kNumber, ""},
    {"low", FigureKind::kCount, "won leads"},
    {"high", FigureKind::kCount, "won leads"},
    {"level", FigureKind::kRate, ""},
    {"coverage", FigureKind::kRate, ""},
    {"periods", FigureKind::kCount, "months"},
    {"covered", FigureKind::kCount, "months"},
    {"cohort_leads", FigureKind::kCount, "leads"},
    {"cohort_won", FigureKind::kCount, "won leads"},
    {"channel_matured_leads", FigureKind::kCount, "leads"},
    {"min_channel_leads", FigureKind::kCount, "leads"},
    {"drift_months", FigureKind::kCount, "months"},
    {"pool_rate", FigureKind::kRate, ""},
    {"rate", FigureKind::kRate, ""},
    {"relative_drift", FigureKind::kRate, ""},
    {"average_deal", FigureKind::kMoney, ""},
    {"median_cycle_days", FigureKind::kDays, ""},
    {"attribution_window_days", FigureKind::kDays, ""},
};

constexpr std::string_view kByCurrencySuffix = "_by_currency";

bool IsUnitField(std::string_view key) { return key == "currency" || key.ends_with("_currency"); }

const SnapshotField* FieldOf(const std::vector<SnapshotField>& fields, std::string_view key) {
  for (const SnapshotField& f : fields) {
    if (f.key == key) return &f;
  }
  return nullptr;
}

// The kind of the figure at `keys`, its last key being the figure's own.
KnownFigure KindOf(const std::vector<std::string>& keys) {
  if (keys.empty()) return {"", FigureKind::kNumber, ""};
  std::string_view key = keys.back();
  std::string_view parent = keys.size() >= 2 ? std::string_view(keys[keys.size() - 2]) : "";
  if (parent.ends_with(kByCurrencySuffix)) return {key, FigureKind::kMoney, ""};
  // vs_team.<metric>.{team_median, difference} are in the metric's unit.
  if ((key == "team_median" || key == "difference") && !parent.empty()) {
    key = parent;
    parent = keys.size() >= 3 ? std::string_view(keys[keys.size() - 3]) : "";
  }
  const bool in_cycle_times = std::find(keys.begin(), keys.end(), "cycle_time_days") != keys.end();
  if (in_cycle_times && (key == "mean" || key == "median" || key == "p90")) {
    return {key, FigureKind::kDays, ""};
  }
  if (parent == "rates") return {key, FigureKind::kRate, ""};
  for (const KnownFigure& known : kKnownFigures) {
    if (known.key == key) return known;
  }
  if (key.ends_with("_rate") || key.ends_with("_share") || key.ends_with("_rate_floor")) {
    return {key, FigureKind::kRate, ""};
  }
  if (key.ends_with("_days")) return {key, FigureKind::kDays, ""};
  return {key, FigureKind::kNumber, ""};
}

// The unit of the figure at `keys` among `fields` (the object holding it).
FigureUnit UnitOf(const std::vector<std::string>& keys, const std::vector<SnapshotField>& fields,
                  const std::string& period) {
  const KnownFigure known = KindOf(keys);
  FigureUnit unit{.kind = known.kind, .noun = std::string(known.noun), .period = period};
  if (unit.kind != FigureKind::kMoney) return unit;
  const std::string_view parent =
      keys.size() >= 2 ? std::string_view(keys[keys.size() - 2]) : std::string_view();
  if (parent.ends_with(kByCurrencySuffix)) {
    if (keys.back() != kUnknownCurrency) unit.currency = keys.back();
    return unit;
  }
  // The object says the unit: `revenue_target_currency` beside
  // `revenue_target`, else one `currency` for all its money.
  for (const std::string& name : {keys.back() + "_currency", std::string("currency")}) {
    if (const SnapshotField* f = FieldOf(fields, name); f != nullptr && f->text) {
      unit.currency = *f->text;
      return unit;
    }
  }
  return unit;
}

// "1234567" -> "1,234,567" on the digits before any '.'.
std::string WithSeparators(std::string digits) {
  const size_t start = !digits.empty() && digits[0] == '-' ? 1 : 0;
  size_t end = digits.find('.');
  if (end == std::string::npos) end = digits.size();
  for (size_t at = end; at > start + 3; at -= 3) digits.insert(at - 3, ",");
  return digits;
}

// `value` with `decimals` decimals, trailing zeros cut unless `keep_zeros`.
std::string Fixed(double value, int decimals, bool keep_zeros = false) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  std::string out = buf;
  if (!keep_zeros && out.find('.') != std::string::npos) {
    while (out.back() == '0') out.pop_back();
    if (out.back() == '.') out.pop_back();
  }
  if (out == "-0") out = "0";
  return WithSeparators(out);
}

// A number of seconds as people read an age: "45s", "5m 30s", "2h 5m", "3d 4h".
std::string Age(double seconds) {
  const int64_t total = static_cast<int64_t>(seconds < 0 ? 0 : seconds + 0.5);
  const int64_t d = total / 86400, h = total % 86400 / 3600, m = total % 3600 / 60, s = total % 60;
  auto part = [](int64_t n, const char* unit) { return std::to_string(n) + unit; };
  if (d > 0) return part(d, "d") + (h > 0 ? " " + part(h, "h") : "");
  if (h > 0) return part(h, "h") + (m > 0 ? " " + part(m, "m") : "");
  if (m > 0) return part(m, "m") + (s > 0 ? " " + part(s, "s") : "");
  return part(s, "s");
}

// Beyond this, rounding for people means nothing (and past int64 the ages
// could not be converted): such values are shown as %g.
constexpr double kLargestRounded = 1e15;

std::string Plain(double value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", value);
  return buf;
}

std::string PeriodName(const FigureUnit& unit) {
  return unit.period.empty() ? "period" : unit.period;
}

// "100 leads/week": a per-period figure in a sentence.
std::string PerPeriodShort(const SnapshotField* field, const FigureUnit& unit,
                           std::string_view noun) {
  if (field == nullptr || !field->number) return "n/a";
  return FigureText(*field->number, unit) + (noun.empty() ? "" : " ") + std::string(noun) + "/" +
         PeriodName(unit);
}

// The capacity section in one line: capacity 100 leads/week (4 reps x 25),
// incoming 95.9/week.
std::string CapacityAccount(const ConditionSurroundings& around) {
  const FigureUnit per_period{.kind = FigureKind::kPerPeriod, .period = around.period};
  const SnapshotField* reps = FieldOf(around.fields, "reps");
  const SnapshotField* per_rep = FieldOf(around.fields, "leads_per_rep_per_period");
  std::string out = "capacity " + PerPeriodShort(FieldOf(around.fields, "capacity_per_period"),
                                                 per_period, "leads");
  if (reps != nullptr && reps->number && per_rep != nullptr && per_rep->number) {
    out += " (" + FigureText(*reps->number, {.kind = FigureKind::kCount}) + " reps x " +
           FigureText(*per_rep->number, per_period) + ")";
  }
  return out + ", incoming " +
         PerPeriodShort(FieldOf(around.fields, "incoming_per_period"), per_period, "");
}

// "leads_per_rep_per_period" -> "leads per rep per week".
std::string LabelOf(std::string_view key, const std::string& period) {
  std::string out;
  size_t start = 0;
  while (start <= key.size()) {
    size_t end = key.find('_', start);
    if (end == std::string_view::npos) end = key.size();
    std::string_view word = key.substr(start, end - start);
    if (!out.empty()) out += ' ';
    out += word == "period" && !period.empty() ? std::string_view(period) : word;
    start = end + 1;
  }
  return out;
}

// "2026-12-06T19:02:30.920Z" -> "2026-12-06 19:02 UTC".
std::string Minutes(const std::string& iso) {
  if (iso.size() < 16 || iso[10] != 'T') return iso;
  return iso.substr(0, 10) + " " + iso.substr(11, 5) + " UTC";
}

}  // namespace

FigureUnit SnapshotFigureUnit(const ConditionSurroundings& around) {
  return UnitOf(around.keys, around.fields, around.period);
}

std::string FigureText(double value, const FigureUnit& unit) {
  const double shown = unit.kind == FigureKind::kRate ? value * 100 : value;
  if (!(std::fabs(shown) < kLargestRounded)) return Plain(value);
  const double size = std::fabs(shown);
  switch (unit.kind) {
    case FigureKind::kCount:
      return Fixed(value, 0);
    case FigureKind::kPerPeriod:
    case FigureKind::kDays:
      return Fixed(value, size >= 1000 ? 0 : 1);
    case FigureKind::kRate:
      return Fixed(shown, size < 1 ? 2 : 1) + "%";
    case FigureKind::kMoney: {
      const bool whole = size >= 1000 || value == std::round(value);
      return Fixed(value, whole ? 0 : 2, /*keep_zeros=*/true) +
             (unit.currency.empty() ? "" : " " + unit.currency);
    }
    case FigureKind::kRatio:
      return Fixed(value, 2);
    case FigureKind::kNumber:
    case FigureKind::kSeconds:
      break;
  }
  return Fixed(value, size >= 1000 ? 0 : size >= 10 ? 1 : 2);
}

std::string FigureWithUnit(double value, const FigureUnit& unit) {
  const std::string text = FigureText(value, unit);
  const std::string noun = unit.noun.empty() ? "" : " " + unit.noun;
  switch (unit.kind) {
    case FigureKind::kCount:
      return text + noun;
    case FigureKind::kPerPeriod:
      return text + noun + " per " + PeriodName(unit);
    case FigureKind::kDays:
      return text + (text == "1" ? " day" : " days");
    case FigureKind::kRatio:
      return text + "x";
    case FigureKind::kSeconds:
      return value < 9.2e18 ? Age(value) : Plain(value);  // NaN too: Plain
    case FigureKind::kRate:
    case FigureKind::kMoney:
    case FigureKind::kNumber:
      break;
  }
  return text;
}

std::vector<FigureLine> SnapshotContext(const ConditionSurroundings& around) {
  std::vector<FigureLine> lines;
  if (around.fields.empty()) return lines;
  if (!around.keys.empty() && around.keys.front() == "capacity") {
    lines.push_back({"", CapacityAccount(around)});
  }
  const std::vector<std::string> holder_keys(
      around.keys.begin(), around.keys.begin() + static_cast<std::ptrdiff_t>(around.holder_depth));
  const std::string path_prefix = around.holder_path.empty() ? "" : around.holder_path + ".";
  size_t shown = 0;
  for (const SnapshotField& field : around.fields) {
    if (shown == kMaxContextFields) break;
    if (IsUnitField(field.key) || (!field.number && !field.text && !field.is_null)) continue;
    std::vector<std::string> keys = holder_keys;
    keys.push_back(field.key);
    std::string text = field.text ? *field.text : "n/a";
    if (field.number) {
      // The label names what is counted and per what: "reps needed: 4",
      // "capacity per week: 100".
      const FigureUnit unit = UnitOf(keys, around.fields, around.period);
      const bool label_says_unit =
          unit.kind == FigureKind::kCount || unit.kind == FigureKind::kPerPeriod;
      text =
          label_says_unit ? FigureText(*field.number, unit) : FigureWithUnit(*field.number, unit);
    }
    // A quantity with a name of its own (audit/labels.h) is shown under it,
    // with what it counts, as the report shows it.
    if (const QuantityLabel* named = FindQuantityLabel(path_prefix + field.key)) {
      lines.push_back({InlineName(named->name), text + " (" + std::string(named->meaning) + ")"});
    } else {
      lines.push_back({LabelOf(field.key, around.period), std::move(text)});
    }
    ++shown;
  }
  if (!around.window_from.empty() && !around.window_to.empty()) {
    lines.push_back({"window", Minutes(around.window_from) + " to " + Minutes(around.window_to) +
                                   (around.period.empty() ? "" : ", by " + around.period)});
  }
  return lines;
}

}  // namespace salesaudit

// Alert values as people read them (issue 12, finding 7): what a snapshot
// figure is (a count, a rate, money, leads per week...) decided from its path
// in one table, and the one formatter that the email, the webhook's human
// text, templates and `salesaudit alerts test` use. The exact value still
// travels beside it where machines read it (the webhook's `value`).
// Pure functions over plain values; thread-safe.
//
//   ConditionSurroundings around = SurroundingsOf(condition, snapshot);
//   FigureUnit unit = SnapshotFigureUnit(around);
//   FigureText(4.1176, unit);      // "4.1"
//   FigureWithUnit(4.1176, unit);  // "4.1 leads per week"
//   SnapshotContext(around);       // capacity 100 leads/week (4 reps x 25), ...
#pragma once

#include <string>
#include <vector>

#include "alerts/condition.h"

namespace salesaudit {

enum class FigureKind {
  kNumber,     // a number without a known unit: at most 2 decimals
  kCount,      // whole things (leads, deals, reps): an integer
  kPerPeriod,  // things per week or month (an average): at most 1 decimal
  kRate,       // a fraction in [0, 1], shown as a percent
  kMoney,      // an amount in `currency`
  kRatio,      // revenue per unit spent: "2.35x"
  kDays,       // a duration in days
  kSeconds,    // an age in seconds, shown as "2h 5m"
};

struct FigureUnit {
  FigureKind kind = FigureKind::kNumber;
  std::string noun;      // kCount, kPerPeriod: what is counted ("leads"); may be ""
  std::string currency;  // kMoney: an ISO 4217 code; "" when unknown
  std::string period;    // kPerPeriod: "week" or "month"; "" when unknown
};

// What the figure at the end of `around.keys` is; the fields beside it give
// money its currency, the snapshot's window its period. Unknown paths are
// kNumber.
FigureUnit SnapshotFigureUnit(const ConditionSurroundings& around);

// The number as a template's {{ value }} shows it: rounded for its kind,
// with thousands separators; a percent sign for rates and the currency code
// for money, since they belong to the number; nouns are the template's own
// words ("4.1", "12.5%", "12,500 EUR", "3.5"). A kSeconds figure is its
// seconds as a number; not finite or beyond 1e15: the number as %g.
std::string FigureText(double value, const FigureUnit& unit);

// The number with its unit, as the email's value line shows it: "4.1 leads
// per week", "25 reps", "3.5 days", "2.35x", "2h 5m".
std::string FigureWithUnit(double value, const FigureUnit& unit);

// One line of context under an alert: a label and its formatted figure.
struct FigureLine {
  std::string label;
  std::string text;
};

// The figures that explain a condition's value: for the capacity section a
// one-line account (capacity 100 leads/week (4 reps x 25), incoming
// 95.9/week), then the scalar fields of the snapshot object the value
// belongs to, the value's own included (formatted for their kinds, null as
// "n/a", currency codes folded into the money they state), at most
// kMaxContextFields, then the snapshot's window. Empty when the path leads
// nowhere.
inline constexpr size_t kMaxContextFields = 12;
std::vector<FigureLine> SnapshotContext(const ConditionSurroundings& around);

}  // namespace salesaudit

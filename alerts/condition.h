// An alert rule's `when` (README "Configuration reference", alerts): a path into the
// snapshot JSON, a comparison and a number.
//
//   capacity.shortfall_per_period > 0
//   channels[channel=PAID_SOCIAL].return_on_spend < 2
//   funnel.rates.sql_to_won < 0.2
//
// A path is dot-separated object keys; a key may be followed by
// `[field=value]`, which picks the first element of that array whose `field`
// equals `value` (a string, or a number written the same way). Comparisons:
// < <= > >= == !=. Value types and functions only; thread-safe.
//
//   auto condition = ParseCondition("funnel.rates.sql_to_won < 0.2");
//   if (!condition.ok()) return condition.status();  // names the column
//   auto snapshot = SnapshotDocument::Parse(latest_snapshot_text);
//   ConditionResult r = EvaluateCondition(*condition, *snapshot);
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace salesaudit {

struct PathStep {
  std::string key;
  // [field=value]: the element of the array at `key` whose field matches.
  std::optional<std::string> select_field;
  std::string select_value;
};

enum class Comparison { kLess, kLessEqual, kGreater, kGreaterEqual, kEqual, kNotEqual };

struct Condition {
  std::string text;  // as written, trimmed
  std::vector<PathStep> path;
  Comparison comparison = Comparison::kGreater;
  double threshold = 0;
};

// Parses `text`; an error says what is wrong and at which 1-based column of
// `text` ("column 12: expected a comparison (< <= > >= == !=)").
Result<Condition> ParseCondition(std::string_view text);

// The path as written back: "channels[channel=PAID_SOCIAL].return_on_spend".
std::string PathText(const std::vector<PathStep>& path);

// A parsed snapshot JSON document, read by conditions. Immutable once
// parsed; copies share it; safe to read from any thread.
class SnapshotDocument {
 public:
  // kInvalidArgument "snapshot: <why>" when `json` is not JSON or is nested
  // deeper than kMaxJsonDepth (ParseJson, core/json_reader.h), and
  // "snapshot is not a JSON object" when its top level is something else.
  static Result<SnapshotDocument> Parse(std::string_view json);

  struct Document;  // the parsed tree (defined where the JSON library is used)
  const Document& document() const { return *document_; }

 private:
  explicit SnapshotDocument(std::shared_ptr<const Document> document)
      : document_(std::move(document)) {}
  std::shared_ptr<const Document> document_;
};

struct ConditionResult {
  // The number at the path; nullopt when the path leads nowhere in this
  // snapshot (no such channel yet), or to null (a rate with no denominator)
  // or to something that is not a number.
  std::optional<double> value;
  bool holds = false;  // value is set and the comparison holds
};

ConditionResult EvaluateCondition(const Condition& condition, const SnapshotDocument& snapshot);

// A scalar field of a snapshot object, as plain data.
struct SnapshotField {
  std::string key;
  std::optional<double> number;     // a number's value
  std::optional<std::string> text;  // a string's value
  bool is_null = false;             // JSON null (a rate without a denominator)
  // None of them: a bool, an object or a list.
};

// What surrounds the value a condition reads in one snapshot, for people
// reading the alert: the path's keys, the scalar fields of the object that
// holds the value (for a part of a `*_by_currency` object, of the object
// holding that), and the snapshot's window.
struct ConditionSurroundings {
  std::vector<std::string> keys;  // the path's keys, selectors left out
  // The path of the object holding `fields`, list elements as []:
  // "channels[]", "capacity", "" for the snapshot itself; it is the first
  // holder_depth of `keys`.
  std::string holder_path;
  size_t holder_depth = 0;
  std::vector<SnapshotField> fields;  // in snapshot order; empty: the path leads nowhere
  std::string period;                 // window.period ("week", "month"); "" unknown
  std::string window_from;            // window.from / window.to as stored (ISO 8601)
  std::string window_to;
};

ConditionSurroundings SurroundingsOf(const Condition& condition, const SnapshotDocument& snapshot);

// Whether the path can exist in snapshots shaped like `shape` (a snapshot
// whose arrays hold at least one element each): every key exists, every
// selector's field exists in the array's elements, and the path ends at a
// number or null. OK or kInvalidArgument naming the first step that fails
// ("channels[channel=PAID_SOCIAL].return_on_spnd: no key 'return_on_spnd'
// (keys: channel, leads, ...)"). Selector values are not checked: a channel
// can appear later.
Status CheckConditionPath(const Condition& condition, const SnapshotDocument& shape);

// Whether each selector of the path picks an element in `snapshot` (a real
// one, not a shape): OK, or kNotFound naming the first that picks none, with
// the values the list holds and the likely typo ("channels[channel=PAID_SOCAIL]:
// no element has channel 'PAID_SOCAIL' (values: ORGANIC_SEARCH, PAID_SOCIAL);
// did you mean 'PAID_SOCIAL'?"). Only a warning for `check`: the value may
// appear in a later snapshot.
Status CheckSelectorValues(const Condition& condition, const SnapshotDocument& snapshot);

}  // namespace salesaudit

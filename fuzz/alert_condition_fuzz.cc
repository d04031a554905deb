// Fuzz target for alert conditions: the input's first line is a rule's
// `when`, the rest a snapshot JSON document. Runs what `check` and an alert
// round run: ParseCondition, PathText, SnapshotDocument::Parse,
// CheckConditionPath and EvaluateCondition.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "alerts/condition.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace salesaudit;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t newline = input.find('\n');
  const std::string_view when = input.substr(0, newline);
  const std::string_view snapshot_text =
      newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);
  const Result<Condition> condition = ParseCondition(when);
  if (!condition.ok()) return 0;
  (void)PathText(condition->path);
  const Result<SnapshotDocument> snapshot = SnapshotDocument::Parse(snapshot_text);
  if (!snapshot.ok()) return 0;
  (void)CheckConditionPath(*condition, *snapshot);
  const ConditionResult result = EvaluateCondition(*condition, *snapshot);
  // condition.h: a condition holds only on a value.
  if (result.holds && !result.value.has_value()) std::abort();
  return 0;
}

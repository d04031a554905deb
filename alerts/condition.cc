#include "alerts/condition.h"

#include <rapidjson/document.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "core/json_reader.h"
#include "core/text_util.h"

namespace salesaudit {

struct SnapshotDocument::Document {
  rapidjson::Document doc;
};

namespace {

bool IsKeyChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
}

// A recursive-descent reader over one condition's text; `pos` is the next
// character. Errors name the 1-based column.
class ConditionReader {
 public:
  explicit ConditionReader(std::string_view text) : text_(text) {}

  Result<Condition> Read() {
    Condition c;
    c.text = std::string(text_);
    SkipSpace();
    if (Status s = ReadPath(c.path); !s.ok()) return s;
    SkipSpace();
    if (Status s = ReadComparison(c.comparison); !s.ok()) return s;
    SkipSpace();
    if (Status s = ReadNumber(c.threshold); !s.ok()) return s;
    SkipSpace();
    if (pos_ != text_.size()) return Error("unexpected text after the number");
    return c;
  }

 private:
  Status Error(const std::string& what) const {
    return Status::InvalidArgument("column " + std::to_string(pos_ + 1) + ": " + what);
  }

  void SkipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_])) != 0) {
      ++pos_;
    }
  }

  std::string ReadWhile(bool (*accept)(char)) {
    const size_t start = pos_;
    while (pos_ < text_.size() && accept(text_[pos_])) ++pos_;
    return std::string(text_.substr(start, pos_ - start));
  }

  Status ReadPath(std::vector<PathStep>& path) {
    while (true) {
      PathStep step;
      step.key = ReadWhile(IsKeyChar);
      if (step.key.empty()) return Error("expected a snapshot key (letters, digits, _ or -)");
      if (pos_ < text_.size() && text_[pos_] == '[') {
        ++pos_;
        SkipSpace();
        step.select_field = ReadWhile(IsKeyChar);
        if (step.select_field->empty()) return Error("expected a field name after '['");
        SkipSpace();
        if (pos_ >= text_.size() || text_[pos_] != '=')
          return Error("expected '=' in the selector");
        ++pos_;
        SkipSpace();
        step.select_value = ReadWhile(
            [](char c) { return c != ']' && std::isspace(static_cast<unsigned char>(c)) == 0; });
        if (step.select_value.empty()) return Error("expected a value after '='");
        SkipSpace();
        if (pos_ >= text_.size() || text_[pos_] != ']') return Error("expected ']'");
        ++pos_;
      }
      path.push_back(std::move(step));
      if (pos_ >= text_.size() || text_[pos_] != '.') return Status::Ok();
      ++pos_;
    }
  }

  Status ReadComparison(Comparison& out) {
    static constexpr std::pair<std::string_view, Comparison> kOps[] = {
        {"<=", Comparison::kLessEqual}, {">=", Comparison::kGreaterEqual},
        {"==", Comparison::kEqual},     {"!=", Comparison::kNotEqual},
        {"<", Comparison::kLess},       {">", Comparison::kGreater}};
    for (const auto& [symbol, op] : kOps) {
      if (text_.substr(pos_, symbol.size()) == symbol) {
        pos_ += symbol.size();
        out = op;
        return Status::Ok();
      }
    }
    return Error("expected a comparison (< <= > >= == !=)");
  }

  Status ReadNumber(double& out) {
    const char* begin = text_.data() + pos_;
    const char* end = text_.data() + text_.size();
    auto [next, ec] = std::from_chars(begin, end, out);
    if (ec != std::errc() || !std::isfinite(out)) return Error("expected a number");
    pos_ += static_cast<size_t>(next - begin);
    return Status::Ok();
  }

  std::string_view text_;
  size_t pos_ = 0;
};

// The selector matches a string field equal to the value, or a number field
// whose value the text spells.
bool Selected(const rapidjson::Value& element, const PathStep& step) {
  const rapidjson::Value* field = GetMember(element, *step.select_field);
  if (field == nullptr) return false;
  const rapidjson::Value& v = *field;
  if (v.IsString()) return step.select_value == v.GetString();
  if (v.IsNumber()) {
    double wanted = 0;
    const char* end = step.select_value.data() + step.select_value.size();
    auto [next, ec] = std::from_chars(step.select_value.data(), end, wanted);
    return ec == std::errc() && next == end && wanted == v.GetDouble();
  }
  return false;
}

// Follows one step from `at`; nullptr when it leads nowhere.
const rapidjson::Value* Follow(const rapidjson::Value& at, const PathStep& step) {
  const rapidjson::Value* member = GetMember(at, step.key);
  if (member == nullptr) return nullptr;
  if (!step.select_field) return member;
  if (!member->IsArray()) return nullptr;
  for (const auto& element : member->GetArray()) {
    if (Selected(element, step)) return &element;
  }
  return nullptr;
}

std::string KeysOf(const rapidjson::Value& object) {
  std::string keys;
  for (const auto& m : object.GetObject()) {
    keys += (keys.empty() ? "" : ", ") + std::string(m.name.GetString());
  }
  return keys;
}

bool Compare(double value, Comparison op, double threshold) {
  switch (op) {
    case Comparison::kLess:
      return value < threshold;
    case Comparison::kLessEqual:
      return value <= threshold;
    case Comparison::kGreater:
      return value > threshold;
    case Comparison::kGreaterEqual:
      return value >= threshold;
    case Comparison::kEqual:
      return value == threshold;
    case Comparison::kNotEqual:
      return value != threshold;
  }
  return false;
}

}  // namespace

Result<SnapshotDocument> SnapshotDocument::Parse(std::string_view json) {
  auto document = std::make_shared<Document>();
  if (Status s = ParseJson(json, &document->doc); !s.ok()) {
    return Status::InvalidArgument("snapshot: " + s.message());
  }
  if (!document->doc.IsObject()) return Status::InvalidArgument("snapshot is not a JSON object");
  return SnapshotDocument(std::move(document));
}

Result<Condition> ParseCondition(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0) {
    text.remove_suffix(1);
  }
  return ConditionReader(text).Read();
}

std::string PathText(const std::vector<PathStep>& path) {
  std::string out;
  for (const PathStep& step : path) {
    if (!out.empty()) out += '.';
    out += step.key;
    if (step.select_field) out += "[" + *step.select_field + "=" + step.select_value + "]";
  }
  return out;
}

ConditionResult EvaluateCondition(const Condition& condition, const SnapshotDocument& snapshot) {
  const rapidjson::Value* at = &snapshot.document().doc;
  for (const PathStep& step : condition.path) {
    at = Follow(*at, step);
    if (at == nullptr) return {};
  }
  if (!at->IsNumber()) return {};
  ConditionResult result;
  result.value = at->GetDouble();
  result.holds = Compare(*result.value, condition.comparison, condition.threshold);
  return result;
}

ConditionSurroundings SurroundingsOf(const Condition& condition, const SnapshotDocument& snapshot) {
  ConditionSurroundings around;
  const rapidjson::Value& root = snapshot.document().doc;
  if (const rapidjson::Value* window = GetObject(root, "window")) {
    around.period = GetStringOrEmpty(*window, "period");
    around.window_from = GetStringOrEmpty(*window, "from");
    around.window_to = GetStringOrEmpty(*window, "to");
  }
  // The objects the path passes through: the value's own is the last one.
  std::vector<const rapidjson::Value*> objects;
  const rapidjson::Value* at = &root;
  for (const PathStep& step : condition.path) {
    around.keys.push_back(step.key);
    objects.push_back(at);
    at = Follow(*at, step);
    if (at == nullptr) return around;
  }
  const bool currency_part =
      around.keys.size() >= 2 && around.keys[around.keys.size() - 2].ends_with("_by_currency");
  around.holder_depth = condition.path.size() - (currency_part ? 2 : 1);
  for (size_t i = 0; i < around.holder_depth; ++i) {
    const PathStep& step = condition.path[i];
    around.holder_path += (i == 0 ? "" : ".") + step.key + (step.select_field ? "[]" : "");
  }
  const rapidjson::Value* holder = objects[around.holder_depth];
  for (const auto& m : holder->GetObject()) {
    SnapshotField field{.key = m.name.GetString()};
    if (m.value.IsNumber()) field.number = m.value.GetDouble();
    if (m.value.IsString()) field.text = m.value.GetString();
    field.is_null = m.value.IsNull();
    around.fields.push_back(std::move(field));
  }
  return around;
}

Status CheckConditionPath(const Condition& condition, const SnapshotDocument& shape) {
  const rapidjson::Value* at = &shape.document().doc;
  std::vector<PathStep> walked;
  for (const PathStep& step : condition.path) {
    walked.push_back(step);
    auto fail = [&](const std::string& why) {
      return Status::InvalidArgument(PathText(walked) + ": " + why);
    };
    if (!at->IsObject()) return fail("the value before it has no keys");
    const rapidjson::Value* member = GetMember(*at, step.key);
    if (member == nullptr) {
      // A *_by_currency object holds the currencies of the shape's deals; a
      // rule may name one that appears later, as it may name a later channel.
      const bool currency_breakdown = walked.size() >= 2 &&
                                      walked[walked.size() - 2].key.ends_with("_by_currency") &&
                                      walked.size() == condition.path.size() && !step.select_field;
      if (currency_breakdown) return Status::Ok();
      return fail("no key '" + step.key + "' (keys: " + KeysOf(*at) + ")");
    }
    at = member;
    if (!step.select_field) continue;
    if (!at->IsArray()) return fail("'" + step.key + "' is not a list; a selector needs one");
    if (at->Empty() || !(*at)[0].IsObject()) {
      return fail("'" + step.key + "' holds no objects to select from");
    }
    const rapidjson::Value& element = (*at)[0];
    if (GetMember(element, *step.select_field) == nullptr) {
      return fail("the elements of '" + step.key + "' have no field '" + *step.select_field +
                  "' (fields: " + KeysOf(element) + ")");
    }
    at = &element;
  }
  if (!at->IsNumber() && !at->IsNull()) {
    return Status::InvalidArgument(PathText(condition.path) +
                                   ": not a number (compare a number, e.g. a count or a rate)");
  }
  return Status::Ok();
}

Status CheckSelectorValues(const Condition& condition, const SnapshotDocument& snapshot) {
  // Lists of a snapshot are short (channels, reps); the message stays short too.
  constexpr size_t kMaxValuesShown = 20;
  const rapidjson::Value* at = &snapshot.document().doc;
  std::vector<PathStep> walked;
  for (const PathStep& step : condition.path) {
    walked.push_back(step);
    const rapidjson::Value* next = Follow(*at, step);
    if (next != nullptr) {
      at = next;
      continue;
    }
    const rapidjson::Value* list = GetMember(*at, step.key);
    // Only a selector that finds no element is this check's business; a
    // missing key is CheckConditionPath's.
    if (!step.select_field || list == nullptr || !list->IsArray()) return Status::Ok();
    std::vector<std::string> values;
    for (const auto& element : list->GetArray()) {
      const rapidjson::Value* field = GetMember(element, *step.select_field);
      if (field != nullptr && field->IsString()) values.emplace_back(field->GetString());
    }
    std::string shown;
    for (size_t i = 0; i < values.size() && i < kMaxValuesShown; ++i) {
      shown += (i == 0 ? "" : ", ") + values[i];
    }
    if (values.size() > kMaxValuesShown) {
      shown += ", and " + std::to_string(values.size() - kMaxValuesShown) + " more";
    }
    const std::optional<std::string> typo = LikelyTypoOf(step.select_value, values);
    return Status::NotFound(PathText(walked) + ": no element has " + *step.select_field + " '" +
                            step.select_value + "' (values: " + (shown.empty() ? "none" : shown) +
                            ")" + (typo ? "; did you mean '" + *typo + "'?" : ""));
  }
  return Status::Ok();
}

}  // namespace salesaudit

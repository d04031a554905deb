#include "tests/support/prometheus_text.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <set>

namespace salesaudit {
namespace {

constexpr std::string_view kTypes[] = {"counter", "gauge", "histogram", "summary", "untyped"};

Status LineError(int line, const std::string& message) {
  return Status::InvalidArgument("line " + std::to_string(line) + ": " + message);
}

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

bool IsNameStart(char c, bool colon_allowed) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         (colon_allowed && c == ':');
}

bool IsNameChar(char c, bool colon_allowed) {
  return IsNameStart(c, colon_allowed) || (c >= '0' && c <= '9');
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() > suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// What Go's strconv.ParseFloat (Prometheus' parser) reads, minus hex floats
// and underscores: [+-]digits[.digits][e[+-]digits], [+-]Inf(inity), NaN.
std::optional<double> ParseValue(std::string_view text) {
  std::string_view body = text;
  bool negative = false;
  if (!body.empty() && (body.front() == '+' || body.front() == '-')) {
    negative = body.front() == '-';
    body.remove_prefix(1);
  }
  const std::string lower = Lower(body);
  if (lower == "inf" || lower == "infinity") {
    return negative ? -std::numeric_limits<double>::infinity()
                    : std::numeric_limits<double>::infinity();
  }
  if (lower == "nan" && body.size() == text.size()) return std::numeric_limits<double>::quiet_NaN();
  size_t i = 0;
  size_t mantissa_digits = 0;
  while (i < body.size() && std::isdigit(static_cast<unsigned char>(body[i])))
    ++i, ++mantissa_digits;
  if (i < body.size() && body[i] == '.') {
    ++i;
    while (i < body.size() && std::isdigit(static_cast<unsigned char>(body[i]))) {
      ++i, ++mantissa_digits;
    }
  }
  if (mantissa_digits == 0) return std::nullopt;
  if (i < body.size() && (body[i] == 'e' || body[i] == 'E')) {
    ++i;
    if (i < body.size() && (body[i] == '+' || body[i] == '-')) ++i;
    size_t exponent_digits = 0;
    while (i < body.size() && std::isdigit(static_cast<unsigned char>(body[i]))) {
      ++i, ++exponent_digits;
    }
    if (exponent_digits == 0) return std::nullopt;
  }
  if (i != body.size()) return std::nullopt;
  double value = 0;
  const auto [end, ec] = std::from_chars(body.data(), body.data() + body.size(), value);
  if (ec != std::errc() || end != body.data() + body.size()) return std::nullopt;
  return negative ? -value : value;
}

std::optional<int64_t> ParseTimestamp(std::string_view text) {
  if (text.empty()) return std::nullopt;
  const size_t digits_from = text.front() == '-' ? 1 : 0;
  if (digits_from == text.size()) return std::nullopt;
  for (size_t i = digits_from; i < text.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
  }
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// A cursor over one line.
class LineReader {
 public:
  explicit LineReader(std::string_view line) : line_(line) {}

  bool AtEnd() const { return pos_ >= line_.size(); }
  char Peek() const { return line_[pos_]; }
  void Advance() { ++pos_; }
  // True if at least one blank was skipped.
  bool SkipBlanks() {
    const size_t from = pos_;
    while (!AtEnd() && IsBlank(line_[pos_])) ++pos_;
    return pos_ > from;
  }
  std::string_view Token() {
    const size_t from = pos_;
    while (!AtEnd() && !IsBlank(line_[pos_])) ++pos_;
    return line_.substr(from, pos_ - from);
  }
  // A metric name (colons allowed) or label name; "" if none starts here.
  std::string_view Name(bool colon_allowed) {
    const size_t from = pos_;
    if (AtEnd() || !IsNameStart(line_[pos_], colon_allowed)) return {};
    while (!AtEnd() && IsNameChar(line_[pos_], colon_allowed)) ++pos_;
    return line_.substr(from, pos_ - from);
  }
  std::string_view Rest() const { return line_.substr(std::min(pos_, line_.size())); }

 private:
  std::string_view line_;
  size_t pos_ = 0;
};

struct FamilyLines {
  int first = 0;  // the line that opened the family's group
  int help = 0;
  int type = 0;
};

// The labels of a sample without `except`, as a key for grouping.
std::vector<std::pair<std::string, std::string>> LabelsWithout(const PrometheusSample& sample,
                                                               std::string_view except) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& label : sample.labels) {
    if (label.first != except) out.push_back(label);
  }
  std::sort(out.begin(), out.end());
  return out;
}

class Parser {
 public:
  Result<PrometheusExposition> Parse(std::string_view text) {
    int line_number = 0;
    size_t from = 0;
    while (from < text.size()) {
      ++line_number;
      const size_t newline = text.find('\n', from);
      if (newline == std::string_view::npos) {
        return LineError(line_number, "the last line does not end with a newline");
      }
      const Status status = ParseLine(text.substr(from, newline - from), line_number);
      if (!status.ok()) return status;
      from = newline + 1;
    }
    for (size_t i = 0; i < out_.families.size(); ++i) {
      const Status status = CheckFamily(out_.families[i], lines_[i]);
      if (!status.ok()) return status;
    }
    return std::move(out_);
  }

 private:
  Status ParseLine(std::string_view line, int number) {
    LineReader reader(line);
    reader.SkipBlanks();
    if (reader.AtEnd()) return Status::Ok();  // empty lines are allowed
    if (reader.Peek() == '#') {
      reader.Advance();
      reader.SkipBlanks();
      const std::string_view keyword = reader.Token();
      if (keyword == "HELP") return ParseHelp(reader, number);
      if (keyword == "TYPE") return ParseType(reader, number);
      return Status::Ok();  // any other comment
    }
    return ParseSample(reader, number);
  }

  // The family `name`, opening its group at `line`; an error if its lines
  // appeared before and another family's came in between.
  Result<size_t> Enter(const std::string& name, int line) {
    if (auto it = index_.find(name); it != index_.end()) {
      if (static_cast<int>(it->second) != current_) {
        return LineError(line, "lines of \"" + name + "\" are not in one group (it began on line " +
                                   std::to_string(lines_[it->second].first) + ")");
      }
      return it->second;
    }
    index_.emplace(name, out_.families.size());
    out_.families.push_back(PrometheusFamily{.name = name});
    lines_.push_back(FamilyLines{.first = line});
    current_ = static_cast<int>(out_.families.size() - 1);
    return out_.families.size() - 1;
  }

  Status ParseHelp(LineReader& reader, int number) {
    if (!reader.SkipBlanks()) return LineError(number, "HELP needs a metric name");
    const std::string name(reader.Name(true));
    if (name.empty() || (!reader.AtEnd() && !IsBlank(reader.Peek()))) {
      return LineError(number, "HELP: invalid metric name");
    }
    reader.SkipBlanks();
    std::string help;
    const std::string_view raw = reader.Rest();
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] != '\\') {
        help += raw[i];
        continue;
      }
      if (i + 1 < raw.size() && raw[i + 1] == '\\') {
        help += '\\';
      } else if (i + 1 < raw.size() && raw[i + 1] == 'n') {
        help += '\n';
      } else {
        return LineError(number, "HELP: invalid escape (only \\\\ and \\n)");
      }
      ++i;
    }
    Result<size_t> family = Enter(name, number);
    if (!family.ok()) return family.status();
    PrometheusFamily& f = out_.families[*family];
    FamilyLines& lines = lines_[*family];
    if (lines.help != 0) {
      return LineError(number, "second HELP for \"" + name + "\" (the first is on line " +
                                   std::to_string(lines.help) + ")");
    }
    if (!f.samples.empty()) return LineError(number, "HELP for \"" + name + "\" after its samples");
    lines.help = number;
    f.help = std::move(help);
    return Status::Ok();
  }

  Status ParseType(LineReader& reader, int number) {
    if (!reader.SkipBlanks()) return LineError(number, "TYPE needs a metric name");
    const std::string name(reader.Name(true));
    if (name.empty() || !reader.SkipBlanks()) return LineError(number, "TYPE: invalid metric name");
    const std::string type(reader.Token());
    reader.SkipBlanks();
    if (std::find(std::begin(kTypes), std::end(kTypes), type) == std::end(kTypes)) {
      return LineError(number, "TYPE: unknown type \"" + type + "\"");
    }
    if (!reader.AtEnd()) return LineError(number, "TYPE: unexpected text after the type");
    Result<size_t> family = Enter(name, number);
    if (!family.ok()) return family.status();
    PrometheusFamily& f = out_.families[*family];
    FamilyLines& lines = lines_[*family];
    if (lines.type != 0) {
      return LineError(number, "second TYPE for \"" + name + "\" (the first is on line " +
                                   std::to_string(lines.type) + ")");
    }
    if (!f.samples.empty()) return LineError(number, "TYPE for \"" + name + "\" after its samples");
    lines.type = number;
    f.type = type;
    return Status::Ok();
  }

  // The family a sample name belongs to: `x` for x_bucket/x_sum/x_count of a
  // histogram `x` (x_sum/x_count of a summary), else the name itself.
  std::string FamilyOf(const std::string& sample_name) const {
    for (std::string_view suffix : {"_bucket", "_sum", "_count"}) {
      if (!EndsWith(sample_name, suffix)) continue;
      const std::string base = sample_name.substr(0, sample_name.size() - suffix.size());
      auto it = index_.find(base);
      if (it == index_.end()) continue;
      const std::string& type = out_.families[it->second].type;
      if (type == "histogram" || (type == "summary" && suffix != "_bucket")) return base;
    }
    return sample_name;
  }

  Status ParseSample(LineReader& reader, int number) {
    PrometheusSample sample{.line = number};
    sample.name = std::string(reader.Name(true));
    if (sample.name.empty()) return LineError(number, "expected a metric name");
    if (!reader.AtEnd() && reader.Peek() == '{') {
      reader.Advance();
      const Status labels = ParseLabels(reader, number, &sample);
      if (!labels.ok()) return labels;
    }
    if (!reader.SkipBlanks()) return LineError(number, "expected a blank, then the value");
    const std::string_view value_text = reader.Token();
    const std::optional<double> value = ParseValue(value_text);
    if (!value) return LineError(number, "invalid value \"" + std::string(value_text) + "\"");
    sample.value = *value;
    reader.SkipBlanks();
    if (!reader.AtEnd()) {
      const std::string_view timestamp_text = reader.Token();
      sample.timestamp_ms = ParseTimestamp(timestamp_text);
      if (!sample.timestamp_ms) {
        return LineError(number, "invalid timestamp \"" + std::string(timestamp_text) + "\"");
      }
      reader.SkipBlanks();
      if (!reader.AtEnd()) return LineError(number, "unexpected text after the timestamp");
    }

    std::string series = sample.name + "{";
    for (const auto& [label, label_value] : LabelsWithout(sample, "")) {
      series += label + "=" + label_value + '\0';
    }
    if (!series_.insert(series).second) {
      return LineError(number, "the series of \"" + sample.name + "\" appears twice");
    }
    Result<size_t> family = Enter(FamilyOf(sample.name), number);
    if (!family.ok()) return family.status();
    out_.families[*family].samples.push_back(std::move(sample));
    return Status::Ok();
  }

  // After the '{' of a sample: name="value" pairs, ',' between, an optional
  // trailing ',', then '}'.
  Status ParseLabels(LineReader& reader, int number, PrometheusSample* sample) {
    std::set<std::string> seen;
    while (true) {
      reader.SkipBlanks();
      if (reader.AtEnd()) return LineError(number, "labels: missing '}'");
      if (reader.Peek() == '}') {
        reader.Advance();
        return Status::Ok();
      }
      const std::string label(reader.Name(false));
      if (label.empty()) return LineError(number, "labels: invalid label name");
      if (label.rfind("__", 0) == 0) {
        return LineError(number, "labels: \"" + label + "\" is reserved (starts with __)");
      }
      if (!seen.insert(label).second) {
        return LineError(number, "labels: \"" + label + "\" given twice");
      }
      reader.SkipBlanks();
      if (reader.AtEnd() || reader.Peek() != '=') {
        return LineError(number, "labels: expected '=' after " + label);
      }
      reader.Advance();
      reader.SkipBlanks();
      if (reader.AtEnd() || reader.Peek() != '"') {
        return LineError(number, "labels: the value of " + label + " must be quoted");
      }
      reader.Advance();
      std::string value;
      while (true) {
        if (reader.AtEnd()) return LineError(number, "labels: unterminated value of " + label);
        const char c = reader.Peek();
        reader.Advance();
        if (c == '"') break;
        if (c != '\\') {
          value += c;
          continue;
        }
        if (reader.AtEnd()) return LineError(number, "labels: unterminated value of " + label);
        const char escaped = reader.Peek();
        reader.Advance();
        if (escaped == '\\' || escaped == '"') {
          value += escaped;
        } else if (escaped == 'n') {
          value += '\n';
        } else {
          return LineError(number, "labels: invalid escape in the value of " + label);
        }
      }
      sample->labels.emplace_back(label, std::move(value));
      reader.SkipBlanks();
      if (reader.AtEnd()) return LineError(number, "labels: missing '}'");
      if (reader.Peek() == ',') {
        reader.Advance();
      } else if (reader.Peek() != '}') {
        return LineError(number, "labels: expected ',' or '}' after the value of " + label);
      }
    }
  }

  Status CheckFamily(const PrometheusFamily& family, const FamilyLines& lines) {
    const int type_line = lines.type != 0 ? lines.type : lines.first;
    if (family.type == "histogram") return CheckHistogram(family);
    if (family.type == "summary") return CheckSummary(family);
    if (family.type == "counter" && !EndsWith(family.name, "_total")) {
      return LineError(type_line, "counter \"" + family.name + "\" is not named *_total");
    }
    for (const PrometheusSample& s : family.samples) {
      if (family.type == "counter" && !(s.value >= 0)) {
        return LineError(s.line, "counter \"" + family.name + "\" has a negative or NaN value");
      }
    }
    return Status::Ok();
  }

  Status CheckHistogram(const PrometheusFamily& family) {
    struct Group {
      std::vector<const PrometheusSample*> buckets;
      const PrometheusSample* sum = nullptr;
      const PrometheusSample* count = nullptr;
    };
    std::map<std::vector<std::pair<std::string, std::string>>, Group> groups;
    for (const PrometheusSample& s : family.samples) {
      if (s.name == family.name + "_bucket") {
        if (!s.Label("le")) return LineError(s.line, "histogram bucket without an le label");
        groups[LabelsWithout(s, "le")].buckets.push_back(&s);
      } else if (s.name == family.name + "_sum" || s.name == family.name + "_count") {
        if (s.Label("le")) return LineError(s.line, "le on a histogram's _sum or _count");
        Group& group = groups[LabelsWithout(s, "")];
        (s.name == family.name + "_sum" ? group.sum : group.count) = &s;
      } else {
        return LineError(s.line, "\"" + s.name + "\" in histogram \"" + family.name +
                                     "\" (only _bucket, _sum and _count)");
      }
    }
    for (const auto& [labels, group] : groups) {
      const PrometheusSample* any =
          group.buckets.empty() ? (group.sum ? group.sum : group.count) : group.buckets.front();
      double previous_le = -std::numeric_limits<double>::infinity();
      double previous_count = 0;
      for (size_t i = 0; i < group.buckets.size(); ++i) {
        const PrometheusSample& b = *group.buckets[i];
        const std::optional<double> le = ParseValue(*b.Label("le"));
        if (!le || std::isnan(*le)) return LineError(b.line, "le is not a number");
        if (i > 0 && !(*le > previous_le)) {
          return LineError(b.line, "histogram buckets are not in increasing le order");
        }
        if (!(b.value >= 0) || b.value < previous_count) {
          return LineError(b.line, "histogram bucket counts must not decrease");
        }
        previous_le = *le;
        previous_count = b.value;
      }
      if (group.buckets.empty() || !std::isinf(previous_le) || previous_le < 0) {
        return LineError(any->line, "histogram \"" + family.name + "\" has no le=\"+Inf\" bucket");
      }
      if (group.count == nullptr) {
        return LineError(any->line, "histogram \"" + family.name + "\" has no _count");
      }
      if (group.sum == nullptr) {
        return LineError(any->line, "histogram \"" + family.name + "\" has no _sum");
      }
      if (group.count->value != previous_count) {
        return LineError(group.count->line, "_count differs from the +Inf bucket");
      }
    }
    return Status::Ok();
  }

  Status CheckSummary(const PrometheusFamily& family) {
    struct Group {
      int first_line = 0;
      bool sum = false;
      bool count = false;
    };
    std::map<std::vector<std::pair<std::string, std::string>>, Group> groups;
    for (const PrometheusSample& s : family.samples) {
      Group& group = groups[LabelsWithout(s, "quantile")];
      if (group.first_line == 0) group.first_line = s.line;
      if (s.name == family.name) {
        const std::optional<std::string> quantile = s.Label("quantile");
        const std::optional<double> q = quantile ? ParseValue(*quantile) : std::nullopt;
        if (!q || !(*q >= 0 && *q <= 1)) {
          return LineError(s.line, "summary sample needs a quantile label in [0, 1]");
        }
      } else if (s.Label("quantile")) {
        return LineError(s.line, "quantile on a summary's _sum or _count");
      } else {
        (s.name == family.name + "_sum" ? group.sum : group.count) = true;
      }
    }
    for (const auto& [labels, group] : groups) {
      if (!group.sum || !group.count) {
        return LineError(group.first_line, "summary \"" + family.name + "\" lacks _sum or _count");
      }
    }
    return Status::Ok();
  }

  PrometheusExposition out_;
  std::vector<FamilyLines> lines_;  // parallel to out_.families
  std::map<std::string, size_t> index_;
  int current_ = -1;
  std::set<std::string> series_;
};

}  // namespace

std::optional<std::string> PrometheusSample::Label(std::string_view label_name) const {
  for (const auto& [name, value] : labels) {
    if (name == label_name) return value;
  }
  return std::nullopt;
}

const PrometheusFamily* PrometheusExposition::Find(std::string_view family_name) const {
  for (const PrometheusFamily& f : families) {
    if (f.name == family_name) return &f;
  }
  return nullptr;
}

std::optional<double> PrometheusExposition::Value(
    std::string_view sample_name, const std::map<std::string, std::string>& labels) const {
  for (const PrometheusFamily& f : families) {
    for (const PrometheusSample& s : f.samples) {
      if (s.name != sample_name || s.labels.size() != labels.size()) continue;
      if (std::all_of(s.labels.begin(), s.labels.end(), [&](const auto& label) {
            auto it = labels.find(label.first);
            return it != labels.end() && it->second == label.second;
          })) {
        return s.value;
      }
    }
  }
  return std::nullopt;
}

Result<PrometheusExposition> ParsePrometheusText(std::string_view text) {
  return Parser().Parse(text);
}

}  // namespace salesaudit

#include "alerts/silence.h"

#include <cctype>

#include "core/text_util.h"

namespace salesaudit {
namespace {

bool IsNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

}  // namespace

bool Matcher::Matches(const LabelSet& labels) const {
  auto it = labels.find(name);
  const std::string& actual = it == labels.end() ? std::string() : it->second;
  switch (op) {
    case MatchOp::kEqual:
      return actual == value;
    case MatchOp::kNotEqual:
      return actual != value;
    case MatchOp::kRegex:
      return std::regex_match(actual, *regex);
    case MatchOp::kNotRegex:
      return !std::regex_match(actual, *regex);
  }
  return false;
}

std::string Matcher::ToString() const {
  static const char* kOps[] = {"=", "!=", "=~", "!~"};
  std::string quoted;
  for (char c : value) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return name + kOps[static_cast<int>(op)] + "\"" + quoted + "\"";
}

Result<Matcher> ParseMatcher(std::string_view text) {
  text = TrimSpace(text);
  Matcher m;
  size_t pos = 0;
  while (pos < text.size() && IsNameChar(text[pos])) ++pos;
  m.name = std::string(text.substr(0, pos));
  if (m.name.empty()) {
    return Status::InvalidArgument("matcher '" + std::string(text) +
                                   "': expected a label name (letters, digits, _)");
  }
  const std::string_view rest = TrimSpace(text.substr(pos));
  if (rest.substr(0, 2) == "=~") {
    m.op = MatchOp::kRegex;
  } else if (rest.substr(0, 2) == "!~") {
    m.op = MatchOp::kNotRegex;
  } else if (rest.substr(0, 2) == "!=") {
    m.op = MatchOp::kNotEqual;
  } else if (rest.substr(0, 1) == "=") {
    m.op = MatchOp::kEqual;
  } else {
    return Status::InvalidArgument("matcher '" + std::string(text) +
                                   "': expected one of = != =~ !~ after the label name");
  }
  std::string_view value = TrimSpace(rest.substr(m.op == MatchOp::kEqual ? 1 : 2));
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    value = value.substr(1, value.size() - 2);
    for (size_t i = 0; i < value.size(); ++i) {
      if (value[i] == '\\' && i + 1 < value.size()) ++i;
      m.value += value[i];
    }
  } else {
    m.value = std::string(value);
  }
  if (m.op == MatchOp::kRegex || m.op == MatchOp::kNotRegex) {
    try {
      m.regex = std::make_shared<const std::regex>(m.value, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      return Status::InvalidArgument("matcher '" + std::string(text) +
                                     "': invalid regex: " + e.what());
    }
  }
  return m;
}

bool IsSilenced(const LabelSet& labels, const std::vector<Silence>& silences, int64_t now_ms) {
  for (const Silence& s : silences) {
    if (!s.ActiveAt(now_ms) || s.matchers.empty()) continue;
    bool all = true;
    for (const Matcher& m : s.matchers) all = all && m.Matches(labels);
    if (all) return true;
  }
  return false;
}

}  // namespace salesaudit

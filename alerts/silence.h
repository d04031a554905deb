// Silences (as in Alertmanager): label matchers with an expiry; an alert
// whose labels satisfy every matcher of an unexpired silence sends nothing.
// Matchers are written `name=value`, `name!=value`, `name=~regex` or
// `name!~regex`; a value may be double-quoted; a regex must match the whole
// value (Alertmanager anchors them). Value types; thread-safe.
//
//   auto m = ParseMatcher("severity=~\"warn|info\"");
//   Silence s{.matchers = {*m}, .ends_at_ms = now + 3600000};
//   if (IsSilenced(alert.labels, {s}, now)) ...
#pragma once

#include <cstdint>
#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "alerts/notification.h"
#include "core/status.h"

namespace salesaudit {

enum class MatchOp { kEqual, kNotEqual, kRegex, kNotRegex };

struct Matcher {
  std::string name;
  MatchOp op = MatchOp::kEqual;
  std::string value;
  std::shared_ptr<const std::regex> regex;  // set for kRegex / kNotRegex

  // A missing label matches as the empty string, as in Alertmanager.
  bool Matches(const LabelSet& labels) const;
  std::string ToString() const;  // name=~"value", quoted
};

// kInvalidArgument naming what is wrong ("expected one of = != =~ !~ after
// the label name", "invalid regex ...").
Result<Matcher> ParseMatcher(std::string_view text);

struct Silence {
  int64_t id = 0;
  std::vector<Matcher> matchers;
  int64_t starts_at_ms = 0;
  int64_t ends_at_ms = 0;  // expiry
  std::string created_by;
  std::string comment;

  bool ActiveAt(int64_t now_ms) const { return starts_at_ms <= now_ms && now_ms < ends_at_ms; }
};

// True when a silence active at `now_ms` matches every label constraint.
bool IsSilenced(const LabelSet& labels, const std::vector<Silence>& silences, int64_t now_ms);

}  // namespace salesaudit

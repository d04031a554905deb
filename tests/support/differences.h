// How the connector fixtures list what differs between the store and a
// simulator's records: one line per field, "<what> differs" or, for times,
// both values. Header-only; pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace salesaudit::testing {

inline std::string ShowTime(const std::optional<int64_t>& t) {
  return t ? std::to_string(*t) : "null";
}

template <typename T>
void Compare(std::vector<std::string>& diffs, const std::string& what, const T& stored,
             const T& expected) {
  if (!(stored == expected)) diffs.push_back(what + " differs");
}

// `source` names the simulator's side in the line: "portal", "org".
inline void CompareTime(std::vector<std::string>& diffs, const std::string& what,
                        const std::optional<int64_t>& stored,
                        const std::optional<int64_t>& expected, const std::string& source) {
  if (stored != expected) {
    diffs.push_back(what + ": stored " + ShowTime(stored) + ", " + source + " " +
                    ShowTime(expected));
  }
}

// The first few differences, for a failing check's message.
inline std::string FirstDifferences(const std::vector<std::string>& diffs) {
  std::string out = std::to_string(diffs.size()) + " differences";
  for (size_t i = 0; i < diffs.size() && i < 5; ++i) out += "\n  " + diffs[i];
  return out;
}

}  // namespace salesaudit::testing

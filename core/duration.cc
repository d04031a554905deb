#include "core/duration.h"

#include <charconv>
#include <cstdint>
#include <limits>

namespace salesaudit {
namespace {

struct Unit {
  std::string_view suffix;
  int64_t ms;
};

// Largest first, the order they are written in.
constexpr Unit kUnits[] = {
    {"d", 86'400'000}, {"h", 3'600'000}, {"m", 60'000}, {"s", 1000}, {"ms", 1}};

}  // namespace

std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  std::string_view rest = text;
  if (rest.empty()) return std::nullopt;
  int64_t total = 0;
  while (!rest.empty()) {
    size_t digits = 0;
    while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') ++digits;
    if (digits == 0) return std::nullopt;
    int64_t number = 0;
    const auto [end, ec] = std::from_chars(rest.data(), rest.data() + digits, number);
    if (ec != std::errc()) return std::nullopt;
    rest.remove_prefix(digits);
    // The longest suffix that fits: "250ms" is 250 milliseconds, not 250
    // minutes and a stray "s".
    const Unit* unit = nullptr;
    for (const Unit& candidate : kUnits) {
      if (rest.starts_with(candidate.suffix) &&
          (unit == nullptr || candidate.suffix.size() > unit->suffix.size())) {
        unit = &candidate;
      }
    }
    if (unit == nullptr) return std::nullopt;
    rest.remove_prefix(unit->suffix.size());
    if (number > (std::numeric_limits<int64_t>::max() - total) / unit->ms) return std::nullopt;
    total += number * unit->ms;
  }
  return std::chrono::milliseconds(total);
}

std::string FormatDuration(std::chrono::milliseconds duration) {
  int64_t ms = duration.count();
  if (ms <= 0) return "0s";
  std::string out;
  for (const Unit& unit : kUnits) {
    if (ms < unit.ms) continue;
    out += std::to_string(ms / unit.ms) + std::string(unit.suffix);
    ms %= unit.ms;
  }
  return out;
}

}  // namespace salesaudit

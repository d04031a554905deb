#include "core/backoff.h"

#include <algorithm>
#include <cstdint>

namespace salesaudit {

std::chrono::milliseconds BackoffDelay(int attempt, std::chrono::milliseconds base,
                                       std::chrono::milliseconds cap, std::mt19937_64& rng) {
  const int64_t cap_ms = std::max<int64_t>(0, cap.count());
  int64_t window = std::clamp<int64_t>(base.count(), 0, cap_ms);
  // Doubling stops at the cap, so large attempt numbers cannot overflow.
  for (int i = 0; i < attempt && window < cap_ms; ++i) window = std::min(cap_ms, window * 2);
  std::uniform_int_distribution<int64_t> pick(0, window);
  return std::chrono::milliseconds(pick(rng));
}

}  // namespace salesaudit

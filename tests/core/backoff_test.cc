#include "core/backoff.h"

#include <algorithm>
#include <catch2/catch.hpp>

namespace salesaudit {
namespace {

using namespace std::chrono_literals;

TEST_CASE(
    "backoff delays stay between zero and min(cap, base * 2^attempt) and use the whole window") {
  struct Case {
    int attempt;
    std::chrono::milliseconds window;
  };
  const Case cases[] = {{0, 500ms}, {1, 1000ms}, {3, 4000ms}, {6, 32000ms},
                        {7, 60s},   {8, 60s},    {1000, 60s}};
  std::mt19937_64 rng(42);
  for (const Case& c : cases) {
    INFO("attempt " << c.attempt);
    std::chrono::milliseconds lowest = c.window;
    std::chrono::milliseconds highest(0);
    for (int i = 0; i < 2000; ++i) {
      std::chrono::milliseconds d = BackoffDelay(c.attempt, 500ms, 60s, rng);
      REQUIRE(d >= 0ms);
      REQUIRE(d <= c.window);
      lowest = std::min(lowest, d);
      highest = std::max(highest, d);
    }
    // Full jitter: both ends of the window get used.
    CHECK(lowest < c.window / 10);
    CHECK(highest > c.window * 9 / 10);
  }
}

TEST_CASE("backoff with a base above the cap or a zero cap is bounded by the cap") {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 100; ++i) {
    REQUIRE(BackoffDelay(0, 10s, 2s, rng) <= 2s);
    REQUIRE(BackoffDelay(5, 500ms, 0ms, rng) == 0ms);
  }
}

}  // namespace
}  // namespace salesaudit

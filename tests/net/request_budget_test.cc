#include <catch2/catch.hpp>
#include <chrono>
#include <future>

#include "net/http_client.h"

namespace salesaudit {
namespace {

using namespace std::chrono_literals;

// A set cancel flag makes Acquire return false exactly when it would have to
// wait, which checks the token counts without timing anything.
const std::atomic<bool> kCancelled{true};

TEST_CASE("a budget starts full and is empty after its burst") {
  RequestBudget budget;
  budget.SetBucket("", {.requests = 3, .per = 10min});
  CHECK(budget.Acquire("", &kCancelled));
  CHECK(budget.Acquire("", &kCancelled));
  CHECK(budget.Acquire("", &kCancelled));
  CHECK_FALSE(budget.Acquire("", &kCancelled));
}

TEST_CASE("a named bucket and the default bucket are both drawn from") {
  RequestBudget budget;
  budget.SetBucket("", {.requests = 3, .per = 10min});
  budget.SetBucket("search", {.requests = 2, .per = 10min});
  CHECK(budget.Acquire("search", &kCancelled));
  CHECK(budget.Acquire("search", &kCancelled));
  CHECK_FALSE(budget.Acquire("search", &kCancelled));  // search is empty
  CHECK(budget.Acquire("", &kCancelled));              // default had one left
  CHECK_FALSE(budget.Acquire("", &kCancelled));
}

TEST_CASE("an unconfigured named bucket only draws from the default bucket") {
  RequestBudget budget;
  budget.SetBucket("", {.requests = 1, .per = 10min});
  CHECK(budget.Acquire("unknown", &kCancelled));
  CHECK_FALSE(budget.Acquire("unknown", &kCancelled));
}

TEST_CASE("a budget without buckets or with zero requests never waits") {
  RequestBudget none;
  RequestBudget unlimited;
  unlimited.SetBucket("", {.requests = 0, .per = 1s});
  for (int i = 0; i < 1000; ++i) {
    REQUIRE(none.Acquire("search", &kCancelled));
    REQUIRE(unlimited.Acquire("", &kCancelled));
  }
}

TEST_CASE("resetting a bucket refills it") {
  RequestBudget budget;
  budget.SetBucket("", {.requests = 1, .per = 10min});
  CHECK(budget.Acquire("", &kCancelled));
  CHECK_FALSE(budget.Acquire("", &kCancelled));
  budget.SetBucket("", {.requests = 1, .per = 10min});
  CHECK(budget.Acquire("", &kCancelled));
}

// Bounds the real time a test waits for another thread to reach its wait.
constexpr auto kRealTimeout = 10s;

TEST_CASE("a released request counts from its answer, not from its send") {
  ManualClock clock;
  RequestBudget budget(clock);
  budget.SetBucket("", {.requests = 1, .per = 150ms});
  std::atomic<bool> never{false};
  REQUIRE(budget.Acquire("", &never));
  clock.Advance(100ms);  // the request is in flight
  budget.Release("");
  const SteadyTime released = clock.SteadyNow();
  auto acquired = std::async(std::launch::async, [&] { return budget.Acquire("", &never); });
  REQUIRE(clock.AwaitWaiters(1, kRealTimeout));
  // Waits for the window from the answer, not the 50 ms left of the send's.
  CHECK(clock.WaitDeadlines() == std::vector<SteadyTime>{released + 150ms});
  clock.Advance(149ms);
  CHECK(acquired.wait_for(20ms) == std::future_status::timeout);
  clock.Advance(1ms);
  REQUIRE(acquired.wait_for(kRealTimeout) == std::future_status::ready);
  CHECK(acquired.get());
}

TEST_CASE("an empty bucket refills over its period and Acquire waits for it") {
  ManualClock clock;
  RequestBudget budget(clock);
  budget.SetBucket("", {.requests = 2, .per = 200ms});
  std::atomic<bool> never{false};
  REQUIRE(budget.Acquire("", &never));
  clock.Advance(100ms);
  REQUIRE(budget.Acquire("", &never));
  // Both tokens taken: the third waits until the first leaves the window.
  auto third = std::async(std::launch::async, [&] { return budget.Acquire("", &never); });
  REQUIRE(clock.AwaitWaiters(1, kRealTimeout));
  CHECK(clock.WaitDeadlines().front() - clock.SteadyNow() == 100ms);
  clock.Advance(100ms);
  REQUIRE(third.wait_for(kRealTimeout) == std::future_status::ready);
  CHECK(third.get());
  CHECK_FALSE(budget.Acquire("", &kCancelled));  // the second and third fill it again
}

TEST_CASE("changing a bucket's limit wakes a request waiting for the old one") {
  ManualClock clock;
  RequestBudget budget(clock);
  budget.SetBucket("", {.requests = 1, .per = 1h});
  std::atomic<bool> never{false};
  REQUIRE(budget.Acquire("", &never));
  auto waiting = std::async(std::launch::async, [&] { return budget.Acquire("", &never); });
  REQUIRE(clock.AwaitWaiters(1, kRealTimeout));
  budget.SetBucket("", {.requests = 5, .per = 1h});  // the clock does not move
  REQUIRE(waiting.wait_for(kRealTimeout) == std::future_status::ready);
  CHECK(waiting.get());
}

TEST_CASE("cancelling a request that waits for the budget ends its wait with false") {
  ManualClock clock;
  RequestBudget budget(clock);
  budget.SetBucket("search", {.requests = 1, .per = 1h});
  std::atomic<bool> cancel{false};
  REQUIRE(budget.Acquire("search", &cancel));
  auto waiting = std::async(std::launch::async, [&] { return budget.Acquire("search", &cancel); });
  REQUIRE(clock.AwaitWaiters(1, kRealTimeout));
  cancel = true;
  REQUIRE(waiting.wait_for(kRealTimeout) == std::future_status::ready);
  CHECK_FALSE(waiting.get());
}

}  // namespace
}  // namespace salesaudit

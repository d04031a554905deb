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

TEST_CASE("a vendor's stated limit below the configured one becomes the budget's, never above") {
  ManualClock clock;
  RequestBudget budget(clock);
  budget.SetBucket("", {.requests = 100, .per = 2s});
  std::atomic<bool> never{false};
  REQUIRE(budget.Acquire("", &never));
  const VendorRateLimit essential{.limit = 20, .per = 2s, .remaining = 19, .reset = 2s};
  budget.Release("", &essential);
  CHECK(budget.DefaultLimit().requests == 20);
  CHECK(budget.DefaultLimit().per == 2s);
  for (int i = 1; i < 20; ++i) REQUIRE(budget.Acquire("", &kCancelled));
  CHECK_FALSE(budget.Acquire("", &kCancelled));  // 20 in the window
  // A vendor allowing more leaves the configured ceiling, over its own window:
  // 100 per 2 s is 500 per 10 s, under 600.
  const VendorRateLimit generous{.limit = 600, .per = 10s, .remaining = 500, .reset = 10s};
  budget.Release("", &generous);
  CHECK(budget.DefaultLimit().requests == 100);
  CHECK(budget.DefaultLimit().per == 2s);
  // 100 per 2 s is 50 per second: a vendor saying 40 per second wins.
  const VendorRateLimit tighter{.limit = 40, .per = 1s, .remaining = 30, .reset = 1s};
  budget.Release("", &tighter);
  CHECK(budget.DefaultLimit().requests == 40);
  CHECK(budget.DefaultLimit().per == 1s);
}

TEST_CASE("a starting point, the type's default, follows the vendor's stated limit up and down") {
  ManualClock clock;
  RequestBudget budget(clock);
  budget.SetBucket("", {.requests = 100, .per = 10s}, RequestBudget::VendorLimits::kStartingPoint);
  budget.SetVendorReserve(0.05);
  std::atomic<bool> never{false};
  const auto said = [&](int limit, std::chrono::milliseconds per) {
    REQUIRE(budget.Acquire("", &never));
    const VendorRateLimit stated{.limit = limit, .per = per, .remaining = limit - 1};
    budget.Release("", &stated);
    clock.Advance(per);  // the request leaves the window
    return budget.DefaultLimit();
  };
  CHECK(budget.DefaultLimit().requests == 100);  // before any answer
  // A Professional portal's 190 per 10 s, less 5%: where a ceiling stays at 100.
  RequestBudget::Bucket fitted = said(190, 10s);
  CHECK(fitted.requests == 180);
  CHECK(fitted.per == 10s);
  for (int i = 0; i < 180; ++i) REQUIRE(budget.Acquire("", &kCancelled));
  CHECK_FALSE(budget.Acquire("", &kCancelled));
  clock.Advance(10s);
  fitted = said(20, 1s);  // and down again
  CHECK(fitted.requests == 19);
  CHECK(fitted.per == 1s);
  // An operator's rate_limit stays a ceiling.
  budget.SetBucket("", {.requests = 100, .per = 10s});
  CHECK(said(190, 10s).requests == 100);
}

TEST_CASE("a reserve leaves a share of the vendor's stated limit, at least one request, unused") {
  ManualClock clock;
  RequestBudget budget(clock);
  budget.SetBucket("", {.requests = 120, .per = 2s});
  budget.SetVendorReserve(0.05);
  std::atomic<bool> never{false};
  const auto said = [&](int limit) {
    REQUIRE(budget.Acquire("", &never));
    const VendorRateLimit stated{.limit = limit, .per = 2s, .remaining = limit - 1, .reset = 2s};
    budget.Release("", &stated);
    clock.Advance(2s);  // the request leaves the window
    return budget.DefaultLimit().requests;
  };
  CHECK(said(80) == 76);
  CHECK(said(120) == 114);  // 5% of 120 is 6, not 7
  CHECK(said(20) == 19);
  CHECK(said(10) == 9);     // half a request reserved is one
  CHECK(said(1) == 1);      // never none
  CHECK(said(200) == 120);  // the configured ceiling is below 190
  budget.SetVendorReserve(0);
  CHECK(said(80) == 80);
  for (int i = 0; i < 80; ++i) REQUIRE(budget.Acquire("", &kCancelled));
  CHECK_FALSE(budget.Acquire("", &kCancelled));  // the window holds 80, none reserved
}

TEST_CASE(
    "a window the vendor says is used up holds requests until it resets, even when ours is off") {
  ManualClock clock;
  RequestBudget budget(clock);
  budget.SetBucket("", {});  // rate_limit: off
  std::atomic<bool> never{false};
  REQUIRE(budget.Acquire("", &never));
  const VendorRateLimit used_up{.limit = 80, .per = 2s, .remaining = 0, .reset = 1500ms};
  budget.Release("", &used_up);
  CHECK(budget.DefaultLimit().requests == 0);  // ours stays off
  auto next = std::async(std::launch::async, [&] { return budget.Acquire("", &never); });
  REQUIRE(clock.AwaitWaiters(1, kRealTimeout));
  CHECK(clock.WaitDeadlines().front() - clock.SteadyNow() == 1500ms);
  clock.Advance(1499ms);
  CHECK(next.wait_for(20ms) == std::future_status::timeout);
  clock.Advance(1ms);
  REQUIRE(next.wait_for(kRealTimeout) == std::future_status::ready);
  CHECK(next.get());
}

}  // namespace
}  // namespace salesaudit

#include "core/clock.h"

#include <catch2/catch.hpp>
#include <future>
#include <thread>

namespace salesaudit {
namespace {

using namespace std::chrono_literals;

// Bounds the real time a test waits for another thread to reach its wait.
constexpr auto kRealTimeout = 10s;

TEST_CASE("a manual clock stands still until advanced, wall and steady time together") {
  ManualClock clock(1'000'000);
  const SteadyTime steady = clock.SteadyNow();
  CHECK(clock.NowMs() == 1'000'000);
  clock.Advance(1500ms);
  CHECK(clock.NowMs() == 1'001'500);
  CHECK(clock.SteadyNow() - steady == 1500ms);
  clock.Advance(-5s);  // time never runs backward
  CHECK(clock.NowMs() == 1'001'500);
}

TEST_CASE("a wait on a manual clock ends when the clock reaches its deadline, not before") {
  ManualClock clock;
  const std::atomic<bool> never{false};
  const SteadyTime deadline = clock.SteadyNow() + 30s;
  auto waited = std::async(std::launch::async, [&] { return clock.WaitUntil(deadline, never); });
  REQUIRE(clock.AwaitWaiters(1, kRealTimeout));
  CHECK(clock.WaitDeadlines() == std::vector<SteadyTime>{deadline});
  clock.Advance(29s);
  CHECK(waited.wait_for(20ms) == std::future_status::timeout);
  clock.Advance(1s);
  REQUIRE(waited.wait_for(kRealTimeout) == std::future_status::ready);
  CHECK(waited.get());
  CHECK(clock.WaitDeadlines().empty());
}

TEST_CASE("a wait whose deadline has passed returns at once") {
  ManualClock clock;
  const std::atomic<bool> never{false};
  CHECK(clock.WaitFor(0ms, never));
  CHECK(clock.WaitUntil(clock.SteadyNow() - 1s, never));
}

TEST_CASE("setting the cancel flag ends a wait that the clock would not end for an hour") {
  ManualClock clock;
  std::atomic<bool> cancel{false};
  auto waited = std::async(std::launch::async, [&] { return clock.WaitFor(1h, cancel); });
  REQUIRE(clock.AwaitWaiters(1, kRealTimeout));
  cancel = true;
  REQUIRE(waited.wait_for(kRealTimeout) == std::future_status::ready);
  CHECK_FALSE(waited.get());
}

TEST_CASE("the real clock's wait also stops on cancel well before its deadline") {
  std::atomic<bool> cancel{true};
  const auto started = std::chrono::steady_clock::now();
  CHECK_FALSE(Clock::Default().WaitFor(1h, cancel));
  CHECK(std::chrono::steady_clock::now() - started < 1s);
}

TEST_CASE("a notify after the ticket ends the wait, even one that came before the wait began") {
  ManualClock clock;
  ClockWaiter waiter(clock);
  const uint64_t early = waiter.Ticket();
  waiter.Notify();
  CHECK(waiter.WaitUntil(early, clock.SteadyNow() + 1h, nullptr) == ClockWaiter::Woken::kNotified);

  const uint64_t ticket = waiter.Ticket();
  auto woken = std::async(std::launch::async, [&] {
    return waiter.WaitUntil(ticket, clock.SteadyNow() + 1h, nullptr);
  });
  REQUIRE(clock.AwaitWaiters(1, kRealTimeout));
  waiter.Notify();
  REQUIRE(woken.wait_for(kRealTimeout) == std::future_status::ready);
  CHECK(woken.get() == ClockWaiter::Woken::kNotified);
}

TEST_CASE("a clock waiter reports the deadline when the manual clock reaches it") {
  ManualClock clock;
  ClockWaiter waiter(clock);
  const uint64_t ticket = waiter.Ticket();
  auto woken = std::async(std::launch::async, [&] {
    return waiter.WaitUntil(ticket, clock.SteadyNow() + 2s, nullptr);
  });
  REQUIRE(clock.AwaitWaiters(1, kRealTimeout));
  clock.Advance(2s);
  REQUIRE(woken.wait_for(kRealTimeout) == std::future_status::ready);
  CHECK(woken.get() == ClockWaiter::Woken::kDeadline);
}

}  // namespace
}  // namespace salesaudit

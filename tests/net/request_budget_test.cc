#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

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

TEST_CASE("a released request counts from its answer, not from its send") {
  RequestBudget budget;
  budget.SetBucket("", {.requests = 1, .per = 150ms});
  std::atomic<bool> never{false};
  REQUIRE(budget.Acquire("", &never));
  std::this_thread::sleep_for(100ms);  // the request is in flight
  budget.Release("");
  const auto released = std::chrono::steady_clock::now();
  REQUIRE(budget.Acquire("", &never));
  CHECK(std::chrono::steady_clock::now() - released >= 145ms);
}

TEST_CASE("an empty bucket refills over its period and Acquire waits for it") {
  const auto start = std::chrono::steady_clock::now();
  RequestBudget budget;
  budget.SetBucket("", {.requests = 2, .per = 200ms});
  std::atomic<bool> never{false};
  for (int i = 0; i < 3; ++i) REQUIRE(budget.Acquire("", &never));
  // Two tokens came from the full bucket; the third needed 200ms / 2 of refill.
  CHECK(std::chrono::steady_clock::now() - start >= 95ms);
}

}  // namespace
}  // namespace salesaudit

// Clock: where the program reads the time and waits for it to pass, as
// leveldb's Env does for time. Code that schedules, backs off, counts a
// request budget or stamps a run takes a `const Clock&` (defaulting to
// Clock::Default(), the real one), so a test can hand it a ManualClock whose
// time moves only when the test says, and never really sleep.
//
//   ManualClock clock;
//   RequestBudget budget(clock);
//   std::thread t([&] { budget.Acquire("", &cancel); });  // the bucket is empty
//   REQUIRE(clock.AwaitWaiters(1, 5s));  // t waits on the clock...
//   clock.Advance(10s);                  // ...and wakes now, not in ten real seconds
//
// Waits come in two kinds: Clock::WaitUntil for a deadline or a cancel flag
// (the sync engine's backoff), and a ClockWaiter for waits that another
// thread can also end early (the request budget, woken when a request
// returns its token).
//
// Threading: every Clock is safe to use from any thread. A ManualClock must
// outlive everything that uses it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <set>
#include <vector>

namespace salesaudit {

using SteadyTime = std::chrono::steady_clock::time_point;

class ClockWaiter;

class Clock {
 public:
  virtual ~Clock() = default;

  // The process-wide real clock (a SystemClock); never destroyed.
  static const Clock& Default();

  // Wall time, Unix epoch milliseconds: for what is stored or shown.
  virtual int64_t NowMs() const = 0;
  // Monotonic time: for durations, deadlines and schedules.
  virtual SteadyTime SteadyNow() const = 0;

  // Waits until SteadyNow() reaches `deadline`, or until `cancel` turns true
  // (noticed within 50 ms). Returns true at the deadline, false when
  // cancelled.
  bool WaitUntil(SteadyTime deadline, const std::atomic<bool>& cancel) const;
  bool WaitFor(std::chrono::milliseconds delay, const std::atomic<bool>& cancel) const {
    return WaitUntil(SteadyNow() + delay, cancel);
  }

 private:
  friend class ClockWaiter;
  // Blocks on `cv` (releasing `lock`, which guards the waiter's state) until
  // it is notified or, as this clock counts, `deadline` comes; returns early
  // after a short real time when `polling` (the caller watches a flag no one
  // notifies). Spurious returns are allowed: callers look again.
  virtual void Block(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                     SteadyTime deadline, bool polling) const = 0;
  // A ClockWaiter is created or destroyed, a thread starts or stops waiting
  // on one: a ManualClock keeps count, to wake them when it moves and to
  // tell tests who waits.
  virtual void Attach(ClockWaiter*) const {}
  virtual void Detach(ClockWaiter*) const {}
  virtual void WaitBegins(SteadyTime /*deadline*/) const {}
  virtual void WaitEnds(SteadyTime /*deadline*/) const {}
};

// The real clock: system_clock for wall time, steady_clock for the rest.
class SystemClock final : public Clock {
 public:
  int64_t NowMs() const override;
  SteadyTime SteadyNow() const override;

 private:
  void Block(std::unique_lock<std::mutex>& lock, std::condition_variable& cv, SteadyTime deadline,
             bool polling) const override;
};

// A place where threads wait for a deadline on a clock, unless another
// thread ends the wait first with Notify() or a cancel flag turns true.
// Take a ticket while holding the lock that guards what you wait for, release
// that lock, then wait with the ticket: a Notify() after the ticket was taken
// ends the wait at once, so no wake-up is lost between the two.
//
// Owned by the object whose state the waits are about (RequestBudget).
// Threading: any number of threads may wait and notify at once.
class ClockWaiter {
 public:
  explicit ClockWaiter(const Clock& clock);
  ~ClockWaiter();
  ClockWaiter(const ClockWaiter&) = delete;
  ClockWaiter& operator=(const ClockWaiter&) = delete;

  enum class Woken { kDeadline, kNotified, kCancelled };

  uint64_t Ticket();
  // Waits until `deadline` on the clock, a Notify() since `ticket`, or
  // `cancel` (may be null) turning true, whichever comes first.
  Woken WaitUntil(uint64_t ticket, SteadyTime deadline, const std::atomic<bool>* cancel);
  // Ends every wait whose ticket is older.
  void Notify();

 private:
  friend class ManualClock;
  void Wake();  // a ManualClock moved: waiters look at its time again

  const Clock& clock_;
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t notified_ = 0;  // Notify() calls so far; tickets are its values
};

// A clock for tests: its time stands still until Advance() moves it, wall
// and steady time together. Waits end when Advance() reaches their deadline
// (or when notified or cancelled), so a test never sleeps to let time pass.
//
// Owned by the test; must outlive every user. Threading: any thread.
class ManualClock final : public Clock {
 public:
  // 2026-01-01T00:00:00Z: a fixed start keeps a test's times reproducible.
  static constexpr int64_t kDefaultStartMs = 1767225600000;
  explicit ManualClock(int64_t start_ms = kDefaultStartMs);

  int64_t NowMs() const override;
  SteadyTime SteadyNow() const override;

  // Moves the time forward by `by` (not backward) and wakes the waits
  // whose deadline it reaches.
  void Advance(std::chrono::milliseconds by);

  // Blocks (in real time, at most `timeout`) until at least `count` threads
  // wait on this clock; false on timeout. For a test to know the code under
  // test reached its wait before it moves the time.
  bool AwaitWaiters(size_t count, std::chrono::milliseconds timeout) const;
  // The deadlines of the threads waiting now, earliest first.
  std::vector<SteadyTime> WaitDeadlines() const;

 private:
  void Block(std::unique_lock<std::mutex>& lock, std::condition_variable& cv, SteadyTime deadline,
             bool polling) const override;
  void Attach(ClockWaiter* waiter) const override;
  void Detach(ClockWaiter* waiter) const override;
  void WaitBegins(SteadyTime deadline) const override;
  void WaitEnds(SteadyTime deadline) const override;

  const int64_t start_ms_;
  std::atomic<int64_t> elapsed_ms_{0};
  // Lock order: waiters_mu_, then a waiter's own mutex, then waiting_mu_.
  mutable std::mutex waiters_mu_;
  mutable std::set<ClockWaiter*> waiters_;
  mutable std::mutex waiting_mu_;
  mutable std::condition_variable waiting_cv_;
  mutable std::multiset<SteadyTime> waiting_;
};

}  // namespace salesaudit

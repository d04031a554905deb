#include "core/clock.h"

#include <algorithm>

namespace salesaudit {
namespace {

// How often a wait looks at a cancel flag that no one notifies: the daemon
// sets it on stop, and a sync in its backoff must stop within this.
constexpr std::chrono::milliseconds kCancelPoll(50);
// The same for a ManualClock, in real time: short, so a test that cancels
// does not wait for it.
constexpr std::chrono::milliseconds kManualCancelPoll(1);

}  // namespace

const Clock& Clock::Default() {
  static const SystemClock* clock = new SystemClock();  // used until exit, never destroyed
  return *clock;
}

bool Clock::WaitUntil(SteadyTime deadline, const std::atomic<bool>& cancel) const {
  ClockWaiter waiter(*this);
  return waiter.WaitUntil(waiter.Ticket(), deadline, &cancel) != ClockWaiter::Woken::kCancelled;
}

int64_t SystemClock::NowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

SteadyTime SystemClock::SteadyNow() const { return std::chrono::steady_clock::now(); }

void SystemClock::Block(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                        SteadyTime deadline, bool polling) const {
  cv.wait_until(lock, polling ? std::min(deadline, SteadyNow() + kCancelPoll) : deadline);
}

ClockWaiter::ClockWaiter(const Clock& clock) : clock_(clock) { clock_.Attach(this); }

ClockWaiter::~ClockWaiter() { clock_.Detach(this); }

uint64_t ClockWaiter::Ticket() {
  std::lock_guard<std::mutex> lock(mu_);
  return notified_;
}

ClockWaiter::Woken ClockWaiter::WaitUntil(uint64_t ticket, SteadyTime deadline,
                                          const std::atomic<bool>* cancel) {
  std::unique_lock<std::mutex> lock(mu_);
  clock_.WaitBegins(deadline);
  Woken woken;
  while (true) {
    if (notified_ != ticket) {
      woken = Woken::kNotified;
      break;
    }
    if (cancel != nullptr && cancel->load()) {
      woken = Woken::kCancelled;
      break;
    }
    if (clock_.SteadyNow() >= deadline) {
      woken = Woken::kDeadline;
      break;
    }
    clock_.Block(lock, cv_, deadline, cancel != nullptr);
  }
  clock_.WaitEnds(deadline);
  return woken;
}

void ClockWaiter::Notify() {
  std::lock_guard<std::mutex> lock(mu_);
  ++notified_;
  cv_.notify_all();
}

void ClockWaiter::Wake() {
  // Under the mutex: a waiter between reading the time and blocking cannot
  // miss it.
  std::lock_guard<std::mutex> lock(mu_);
  cv_.notify_all();
}

ManualClock::ManualClock(int64_t start_ms) : start_ms_(start_ms) {}

int64_t ManualClock::NowMs() const { return start_ms_ + elapsed_ms_.load(); }

SteadyTime ManualClock::SteadyNow() const {
  // Away from the epoch, so that a deadline minus a duration stays positive.
  return SteadyTime(std::chrono::hours(1) + std::chrono::milliseconds(elapsed_ms_.load()));
}

void ManualClock::Advance(std::chrono::milliseconds by) {
  elapsed_ms_ += std::max<int64_t>(0, by.count());
  std::lock_guard<std::mutex> lock(waiters_mu_);
  for (ClockWaiter* waiter : waiters_) waiter->Wake();
}

bool ManualClock::AwaitWaiters(size_t count, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(waiting_mu_);
  return waiting_cv_.wait_for(lock, timeout, [&] { return waiting_.size() >= count; });
}

std::vector<SteadyTime> ManualClock::WaitDeadlines() const {
  std::lock_guard<std::mutex> lock(waiting_mu_);
  return std::vector<SteadyTime>(waiting_.begin(), waiting_.end());
}

void ManualClock::Block(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                        SteadyTime /*deadline*/, bool polling) const {
  // Advance() wakes every waiter; only a cancel flag needs looking at.
  if (polling) {
    cv.wait_for(lock, kManualCancelPoll);
  } else {
    cv.wait(lock);
  }
}

void ManualClock::Attach(ClockWaiter* waiter) const {
  std::lock_guard<std::mutex> lock(waiters_mu_);
  waiters_.insert(waiter);
}

void ManualClock::Detach(ClockWaiter* waiter) const {
  std::lock_guard<std::mutex> lock(waiters_mu_);
  waiters_.erase(waiter);
}

void ManualClock::WaitBegins(SteadyTime deadline) const {
  std::lock_guard<std::mutex> lock(waiting_mu_);
  waiting_.insert(deadline);
  waiting_cv_.notify_all();
}

void ManualClock::WaitEnds(SteadyTime deadline) const {
  std::lock_guard<std::mutex> lock(waiting_mu_);
  waiting_.erase(waiting_.find(deadline));
}

}  // namespace salesaudit

#include "daemon/serial_job.h"

#include <algorithm>
#include <boost/asio/post.hpp>

namespace salesaudit {

bool SerialSchedule::RunNoLaterThan(SteadyTime at) {
  cancelled_ = false;
  if (running_) {
    again_ = true;
    return false;
  }
  if (next_run_ && *next_run_ <= at) return false;
  next_run_ = at;
  return true;
}

bool SerialSchedule::RunSoon() {
  const SteadyTime now = clock_.SteadyNow();
  return RunNoLaterThan(last_end_ ? std::max(now, *last_end_ + min_gap_) : now);
}

bool SerialSchedule::RescheduleAt(SteadyTime at) {
  if (running_ || cancelled_) return false;
  next_run_ = at;
  return true;
}

void SerialSchedule::Cancel() {
  cancelled_ = true;
  again_ = false;
  next_run_.reset();
}

bool SerialSchedule::Begin() {
  if (running_ || !next_run_ || clock_.SteadyNow() < *next_run_) return false;
  running_ = true;
  again_ = false;
  next_run_.reset();
  return true;
}

bool SerialSchedule::Finish(std::chrono::milliseconds next) {
  const SteadyTime now = clock_.SteadyNow();
  running_ = false;
  last_end_ = now;
  if (cancelled_) return false;
  next_run_ = now + (again_ ? min_gap_ : next);
  again_ = false;
  return true;
}

SerialJob::SerialJob(boost::asio::io_context& io, boost::asio::thread_pool& pool,
                     const Clock& clock, Start start)
    : io_(io), pool_(pool), clock_(clock), start_(std::move(start)), schedule_(clock), timer_(io) {}

void SerialJob::RunNoLaterThan(SteadyTime at) {
  if (schedule_.RunNoLaterThan(at)) SetTimer();
}

void SerialJob::RunSoon() {
  if (schedule_.RunSoon()) SetTimer();
}

void SerialJob::RescheduleAt(SteadyTime at) {
  if (schedule_.RescheduleAt(at)) SetTimer();
}

void SerialJob::Cancel() {
  schedule_.Cancel();
  timer_.cancel();
}

void SerialJob::SetTimer() {
  // The timer counts in real time: the clock's delay, not its time point.
  timer_.expires_after(
      std::max(SteadyTime::duration::zero(), *schedule_.next_run() - clock_.SteadyNow()));
  timer_.async_wait([this](const boost::system::error_code& ec) {
    // A cancelled or replaced wait: this job may be gone, touch nothing.
    if (ec || !schedule_.Begin()) return;
    Run();
  });
}

void SerialJob::Run() {
  boost::asio::post(pool_, [this, work = start_()] {
    boost::asio::post(io_, [this, completion = work()] {
      if (schedule_.Finish(completion())) SetTimer();
    });
  });
}

}  // namespace salesaudit

// How the daemon runs each piece of recurring work (one connector's syncs,
// the audit, the alert rounds, notification delivery): on the pool, at most
// one run at a time, on a schedule each run extends when it ends.
//
// SerialSchedule makes the decisions on a Clock, without timers or threads,
// so tests drive it with a ManualClock. SerialJob is its shell on the
// daemon's loop: an Asio timer for the next run, the work posted to the
// pool, the completion posted back.
//
//   SerialJob audit(io, pool, clock, [this] {              // on the loop
//     auto config_copy = std::make_shared<const Config>(config);
//     return [this, config_copy]() -> SerialJob::Completion {  // on the pool
//       Status s = ...;
//       return [this, s] { return config.audit.every; };    // on the loop
//     };
//   });
//   audit.RunSoon();  // data changed
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <utility>

#include "core/clock.h"

namespace salesaudit {

// When a serial job runs next. Requests made while a run is in progress are
// not lost: the job runs again when it is done.
//
// Owned by its SerialJob (or a test). Threading: not thread-safe; the
// daemon calls it on the loop thread only.
class SerialSchedule {
 public:
  explicit SerialSchedule(const Clock& clock) : clock_(clock) {}

  // A run asked for with RunSoon() starts no sooner than this after the
  // previous run ended (the audit's audit.min_interval); 0 by default.
  void set_min_gap(std::chrono::milliseconds gap) { min_gap_ = gap; }

  // Asks for a run no later than `at`. Idle: the next run moves to `at` if
  // it was later or none was due. Running: the job runs again when done.
  // True when next_run() changed (the timer must be set again).
  bool RunNoLaterThan(SteadyTime at);
  // RunNoLaterThan(the end of the last run + min_gap, or now if later).
  bool RunSoon();
  // Idle: the next run is at `at`, earlier or later than before. Running:
  // nothing; the run's end decides. True when next_run() changed.
  bool RescheduleAt(SteadyTime at);
  // Nothing runs again until asked: no next run, and a run asked for while
  // one is in progress is forgotten. A run in progress goes on to its end.
  void Cancel();

  // The time for next_run() came: true when a run starts now; false when
  // that time is gone (moved or cancelled) or a run is in progress.
  bool Begin();
  // The run ended, and `next` after now is when its work says the next one
  // is due; a run asked for meanwhile comes min_gap after now instead.
  // True when a next run is due (false after Cancel()).
  bool Finish(std::chrono::milliseconds next);

  bool running() const { return running_; }
  std::optional<SteadyTime> next_run() const { return next_run_; }

 private:
  const Clock& clock_;
  std::chrono::milliseconds min_gap_{0};
  bool running_ = false;
  bool again_ = false;                  // asked for while running
  bool cancelled_ = false;              // asked for nothing since Cancel()
  std::optional<SteadyTime> next_run_;  // only while idle
  std::optional<SteadyTime> last_end_;
};

// A SerialSchedule on the daemon's io_context, running its work on the pool.
//
// Owned by the daemon; must live until a run it started has ended (a timer
// wait it cancelled touches nothing of it). Threading: every method, and `start` and the
// completions, run on the loop thread; the pool part runs on a pool thread and must not touch the
// daemon's loop state.
class SerialJob {
 public:
  // A run in three parts: Start runs on the loop when the run begins and
  // takes what the run needs; the PoolPart it returns runs on the pool; the
  // Completion that returns runs on the loop and says when the next run is
  // due, counted from its end.
  using Completion = std::function<std::chrono::milliseconds()>;
  using PoolPart = std::function<Completion()>;
  using Start = std::function<PoolPart()>;

  SerialJob(boost::asio::io_context& io, boost::asio::thread_pool& pool, const Clock& clock,
            Start start);
  SerialJob(const SerialJob&) = delete;
  SerialJob& operator=(const SerialJob&) = delete;

  // As SerialSchedule's, setting the timer when the next run moves.
  void set_min_gap(std::chrono::milliseconds gap) { schedule_.set_min_gap(gap); }
  void RunNoLaterThan(SteadyTime at);
  void RunSoon();
  void RescheduleAt(SteadyTime at);
  void Cancel();

  bool running() const { return schedule_.running(); }
  std::optional<SteadyTime> next_run() const { return schedule_.next_run(); }

 private:
  void SetTimer();
  void Run();

  boost::asio::io_context& io_;
  boost::asio::thread_pool& pool_;
  const Clock& clock_;
  Start start_;
  SerialSchedule schedule_;
  boost::asio::steady_timer timer_;
};

}  // namespace salesaudit

// The daemon's one-at-a-time scheduling: SerialSchedule's decisions on a
// manual clock, and SerialJob's shell on a real io_context and pool.
#include "daemon/serial_job.h"

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <catch2/catch.hpp>

namespace salesaudit {
namespace {

using namespace std::chrono_literals;

TEST_CASE("A serial schedule starts a run when its time comes, and not before") {
  ManualClock clock;
  SerialSchedule schedule(clock);
  CHECK_FALSE(schedule.Begin());  // nothing asked for
  REQUIRE(schedule.RunNoLaterThan(clock.SteadyNow() + 10s));
  CHECK(schedule.next_run() == clock.SteadyNow() + 10s);
  clock.Advance(9s);
  CHECK_FALSE(schedule.Begin());
  clock.Advance(1s);
  CHECK(schedule.Begin());
  CHECK(schedule.running());
  CHECK_FALSE(schedule.next_run());
}

TEST_CASE("A serial schedule never starts a second run while one is in progress") {
  ManualClock clock;
  SerialSchedule schedule(clock);
  schedule.RunSoon();
  REQUIRE(schedule.Begin());
  CHECK_FALSE(schedule.RunSoon());  // no timer to set while running
  CHECK_FALSE(schedule.RescheduleAt(clock.SteadyNow()));
  CHECK_FALSE(schedule.Begin());
  clock.Advance(1h);
  CHECK_FALSE(schedule.Begin());
}

TEST_CASE("Runs asked for while a run is in progress make one more run right after it") {
  ManualClock clock;
  SerialSchedule schedule(clock);
  schedule.RunSoon();
  REQUIRE(schedule.Begin());
  schedule.RunSoon();
  schedule.RunNoLaterThan(clock.SteadyNow() + 1h);
  clock.Advance(3s);
  REQUIRE(schedule.Finish(30min));
  CHECK(schedule.next_run() == clock.SteadyNow());  // again, not in 30 min
  REQUIRE(schedule.Begin());
  REQUIRE(schedule.Finish(30min));
  CHECK(schedule.next_run() == clock.SteadyNow() + 30min);  // only once
}

TEST_CASE("A run's end sets the next run at the delay its work says") {
  ManualClock clock;
  SerialSchedule schedule(clock);
  schedule.RunSoon();
  REQUIRE(schedule.Begin());
  clock.Advance(2min);  // the run takes two minutes
  REQUIRE(schedule.Finish(1h));
  CHECK(schedule.next_run() == clock.SteadyNow() + 1h);
}

TEST_CASE("Run no later than brings the next run forward but never pushes it back") {
  ManualClock clock;
  SerialSchedule schedule(clock);
  const SteadyTime t0 = clock.SteadyNow();
  REQUIRE(schedule.RunNoLaterThan(t0 + 1h));
  CHECK(schedule.RunNoLaterThan(t0 + 10min));
  CHECK(schedule.next_run() == t0 + 10min);
  CHECK_FALSE(schedule.RunNoLaterThan(t0 + 20min));
  CHECK(schedule.next_run() == t0 + 10min);
}

TEST_CASE("Reschedule moves the next run later or earlier while idle") {
  ManualClock clock;
  SerialSchedule schedule(clock);
  const SteadyTime t0 = clock.SteadyNow();
  schedule.RunNoLaterThan(t0 + 10min);
  REQUIRE(schedule.RescheduleAt(t0 + 1h));
  CHECK(schedule.next_run() == t0 + 1h);
  clock.Advance(10min);
  CHECK_FALSE(schedule.Begin());  // the old time is gone
  REQUIRE(schedule.RescheduleAt(t0 + 15min));
  CHECK(schedule.next_run() == t0 + 15min);
}

TEST_CASE("Run soon keeps min_gap after the last run, and a run asked for meanwhile waits it out") {
  ManualClock clock;
  SerialSchedule schedule(clock);
  schedule.set_min_gap(5min);
  REQUIRE(schedule.RunSoon());  // no run yet: now
  CHECK(schedule.next_run() == clock.SteadyNow());
  REQUIRE(schedule.Begin());
  schedule.RunSoon();  // data changed during the run
  REQUIRE(schedule.Finish(1h));
  const SteadyTime ended = clock.SteadyNow();
  CHECK(schedule.next_run() == ended + 5min);

  REQUIRE(schedule.Begin() == false);
  clock.Advance(5min);
  REQUIRE(schedule.Begin());
  REQUIRE(schedule.Finish(1h));
  clock.Advance(2min);
  REQUIRE(schedule.RunSoon());  // 2 min after the last run: 3 min to wait
  CHECK(schedule.next_run() == clock.SteadyNow() + 3min);
  clock.Advance(10min);
  REQUIRE(schedule.Begin());
  REQUIRE(schedule.Finish(1h));
  clock.Advance(6min);
  REQUIRE(schedule.RunSoon());  // past the gap: now
  CHECK(schedule.next_run() == clock.SteadyNow());
}

TEST_CASE("Cancel drops the next run and any run asked for, and the run in progress sets none") {
  ManualClock clock;
  SerialSchedule schedule(clock);
  schedule.RunSoon();
  REQUIRE(schedule.Begin());
  schedule.RunSoon();
  schedule.Cancel();
  CHECK_FALSE(schedule.Finish(1min));
  CHECK_FALSE(schedule.next_run());
  CHECK_FALSE(schedule.RescheduleAt(clock.SteadyNow()));  // a cancelled job stays off
  clock.Advance(1h);
  CHECK_FALSE(schedule.Begin());

  schedule.RunNoLaterThan(clock.SteadyNow() + 1min);
  schedule.Cancel();
  CHECK_FALSE(schedule.next_run());
  clock.Advance(1h);
  CHECK_FALSE(schedule.Begin());
}

TEST_CASE("A job asked for again after Cancel runs again, right after a run still in progress") {
  ManualClock clock;
  SerialSchedule schedule(clock);
  schedule.RunSoon();
  REQUIRE(schedule.Begin());
  schedule.Cancel();   // a connector removed by a reload...
  schedule.RunSoon();  // ...and added back before its run ended
  REQUIRE(schedule.Finish(1h));
  CHECK(schedule.next_run() == clock.SteadyNow());
}

TEST_CASE("A serial job runs its work on the pool, never two runs at once, again when asked") {
  boost::asio::io_context io;
  boost::asio::thread_pool pool(4);
  auto guard = boost::asio::make_work_guard(io);
  std::atomic<int> in_progress{0};
  std::atomic<int> most_at_once{0};
  int runs = 0;
  std::unique_ptr<SerialJob> job;
  job = std::make_unique<SerialJob>(io, pool, Clock::Default(), [&]() -> SerialJob::PoolPart {
    ++runs;
    if (runs == 1) {
      for (int i = 0; i < 3; ++i) job->RunSoon();  // asked for while running
    }
    return [&]() -> SerialJob::Completion {
      most_at_once = std::max(most_at_once.load(), ++in_progress);
      --in_progress;
      return [&] {
        if (runs == 2) {
          job->Cancel();
          guard.reset();  // nothing else is due: io.run() returns
        }
        return std::chrono::milliseconds(1h);
      };
    };
  });
  job->RunSoon();
  io.run_for(30s);  // bounded should a run never come
  pool.join();
  CHECK(runs == 2);
  CHECK(most_at_once == 1);
  CHECK_FALSE(job->running());
}

}  // namespace
}  // namespace salesaudit

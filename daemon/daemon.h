// Daemon: `salesaudit run`. One Asio io_context on the calling thread owns
// all scheduling state: a SerialJob per connector on its poll interval, one
// each for the audit, the alert rounds and notification delivery
// (daemon/serial_job.h), and the signal set (SIGTERM/SIGINT stop, SIGHUP
// reloads). The work runs on a small thread pool and posts its results back
// to the loop, so a slow connector never blocks another and no job runs
// twice at once. Schedules, runs and stored times read `clock`.
//
// Ownership: created by main() for the lifetime of the process.
// Threading: Run() blocks the calling thread; everything but the pool jobs
// runs on it.
#pragma once

#include <memory>
#include <string>

#include "config/config.h"
#include "core/clock.h"

namespace salesaudit {

class Daemon {
 public:
  // REQUIRES: `config` is valid (loaded and checked by the caller).
  // `clock` must outlive the daemon.
  Daemon(Config config, std::string config_path, const Clock& clock = Clock::Default());
  ~Daemon();

  // Opens the store and runs until SIGTERM/SIGINT. Returns the exit code:
  // 0 on a clean stop, 1 when the store cannot be opened.
  int Run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace salesaudit

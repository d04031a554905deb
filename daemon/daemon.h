// Daemon: `salesaudit run`. One Asio io_context on the calling thread owns
// all scheduling state: a timer per connector on its poll interval, the audit
// timer, and the signal set (SIGTERM/SIGINT stop, SIGHUP reloads). Syncs run
// on a small thread pool and post their results back to the loop, so a slow
// connector never blocks another and one connector never runs twice at once.
//
// Ownership: created by main() for the lifetime of the process.
// Threading: Run() blocks the calling thread; everything but the pool jobs
// runs on it.
#pragma once

#include <memory>
#include <string>

#include "config/config.h"

namespace salesaudit {

class Daemon {
 public:
  // REQUIRES: `config` is valid (loaded and checked by the caller).
  Daemon(Config config, std::string config_path);
  ~Daemon();

  // Opens the store and runs until SIGTERM/SIGINT. Returns the exit code:
  // 0 on a clean stop, 1 when the store cannot be opened.
  int Run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace salesaudit

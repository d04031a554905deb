// The daemon's side of systemd's Type=notify protocol, over libsystemd's
// sd_notify(3) and sd_watchdog_enabled(3): READY/STATUS/RELOADING/STOPPING
// and the watchdog keep-alive. Every call is a no-op returning false when
// NOTIFY_SOCKET is unset, i.e. when not run by systemd (a terminal, a test,
// `salesaudit sync` from cron). The environment is never unset, so children
// and the config reload still see NOTIFY_SOCKET and WATCHDOG_USEC.
//
// Ownership: a value type with no state; create one where needed.
// Threading: every method is thread-safe (each is one sd_notify(3) call on a
// socket of its own). The daemon calls them from its loop thread only, which
// keeps the notifications in the order of the loop's own state changes.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace salesaudit {

class SystemdNotifier {
 public:
  // True when NOTIFY_SOCKET is set (and not empty).
  static bool Enabled();

  // Each returns true when the service manager was sent the message; false
  // when NOTIFY_SOCKET is unset or the send failed. Status lines are one
  // line: control characters become spaces, so a message quoting an API
  // error cannot inject an assignment of its own.

  // "READY=1\nSTATUS=<status_line>": startup, or a reload, is complete. An
  // empty status_line sends READY=1 alone.
  bool Ready(std::string_view status_line) const;
  // "STATUS=<status_line>": the one-line summary `systemctl status` shows.
  bool Status(std::string_view status_line) const;
  // "RELOADING=1\nMONOTONIC_USEC=<CLOCK_MONOTONIC now, µs>": a reload
  // started; follow it with Ready(). systemd 253+ requires MONOTONIC_USEC to
  // match the reload to the request; 252 ignores it.
  bool Reloading() const;
  // "STOPPING=1": shutdown started.
  bool Stopping() const;
  // "WATCHDOG=1": the loop is alive and healthy.
  bool Watchdog() const;

  // How often to call Watchdog(): half of WATCHDOG_USEC, as
  // sd_watchdog_enabled(3) advises, when the watchdog is enabled for this
  // process (WATCHDOG_PID unset or our pid) and NOTIFY_SOCKET is set;
  // nullopt otherwise, or when WATCHDOG_USEC is not a valid time.
  std::optional<std::chrono::microseconds> WatchdogInterval() const;
};

}  // namespace salesaudit

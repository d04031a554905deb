// SystemdNotifier against an AF_UNIX datagram socket the test owns, named by
// NOTIFY_SOCKET as systemd would: each call must arrive as exactly one
// datagram with exactly the protocol's text, and nothing may arrive, or be
// unset, when the environment says no manager listens. sd_notify(3) sends
// before it returns, so the datagram is already queued when the test reads
// it (non-blocking, no waiting).
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstddef>
#include <cstdlib>
#include <optional>
#include <regex>
#include <string>

#include "daemon/systemd_notify.h"
#include "tests/support/scoped_env.h"
#include "tests/support/subprocess.h"
#include "tests/systemd/notify_socket.h"

namespace salesaudit::testing {
namespace {

uint64_t MonotonicMicros() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<uint64_t>(now.tv_sec) * 1000000 + static_cast<uint64_t>(now.tv_nsec) / 1000;
}

// Every notification, checked against `socket` (already named by NOTIFY_SOCKET).
void ExpectAllNotifications(NotifySocket& socket) {
  const SystemdNotifier notifier;
  REQUIRE(SystemdNotifier::Enabled());

  REQUIRE(notifier.Ready("2 connectors ok, next audit 10:00"));
  CHECK(socket.Receive() == "READY=1\nSTATUS=2 connectors ok, next audit 10:00");

  REQUIRE(notifier.Ready(""));
  CHECK(socket.Receive() == "READY=1");

  REQUIRE(notifier.Status("hubspot failing: HTTP 503"));
  CHECK(socket.Receive() == "STATUS=hubspot failing: HTTP 503");

  const uint64_t before = MonotonicMicros();
  REQUIRE(notifier.Reloading());
  const uint64_t after = MonotonicMicros();
  const std::optional<std::string> reloading = socket.Receive();
  REQUIRE(reloading);
  std::smatch match;
  REQUIRE(std::regex_match(*reloading, match, std::regex("RELOADING=1\nMONOTONIC_USEC=([0-9]+)")));
  const uint64_t stamp = std::stoull(match[1]);
  CHECK(stamp >= before);
  CHECK(stamp <= after);

  REQUIRE(notifier.Stopping());
  CHECK(socket.Receive() == "STOPPING=1");

  REQUIRE(notifier.Watchdog());
  CHECK(socket.Receive() == "WATCHDOG=1");

  CHECK(socket.Receive() == std::nullopt);  // one datagram per call, no more
  CHECK(std::getenv("NOTIFY_SOCKET") == socket.address());
}

TEST_CASE("Each notification arrives as one datagram on a path NOTIFY_SOCKET", "[systemd]") {
  TempDir dir;
  NotifySocket socket(dir.File("notify"));
  ScopedEnv env("NOTIFY_SOCKET", socket.address());
  ExpectAllNotifications(socket);
}

TEST_CASE("Each notification arrives as one datagram on an abstract NOTIFY_SOCKET", "[systemd]") {
  NotifySocket socket("@salesaudit-notify-test-" + std::to_string(getpid()));
  ScopedEnv env("NOTIFY_SOCKET", socket.address());
  ExpectAllNotifications(socket);
}

TEST_CASE("A status line stays one STATUS assignment whatever it quotes", "[systemd]") {
  TempDir dir;
  NotifySocket socket(dir.File("notify"));
  ScopedEnv env("NOTIFY_SOCKET", socket.address());
  const SystemdNotifier notifier;

  REQUIRE(notifier.Status("hubspot: bad gateway\nREADY=1\r\tretrying"));
  CHECK(socket.Receive() == "STATUS=hubspot: bad gateway READY=1  retrying");
  REQUIRE(notifier.Ready(std::string("ok\0READY=1", 10)));
  CHECK(socket.Receive() == "READY=1\nSTATUS=ok READY=1");
}

TEST_CASE("Without NOTIFY_SOCKET every call is a no-op", "[systemd]") {
  ScopedEnv notify_socket("NOTIFY_SOCKET", std::nullopt);
  ScopedEnv watchdog_usec("WATCHDOG_USEC", "2000000");
  ScopedEnv watchdog_pid("WATCHDOG_PID", std::to_string(getpid()));
  const SystemdNotifier notifier;

  CHECK_FALSE(SystemdNotifier::Enabled());
  CHECK_FALSE(notifier.Ready("ready"));
  CHECK_FALSE(notifier.Status("status"));
  CHECK_FALSE(notifier.Reloading());
  CHECK_FALSE(notifier.Stopping());
  CHECK_FALSE(notifier.Watchdog());
  CHECK(notifier.WatchdogInterval() == std::nullopt);
}

TEST_CASE("A NOTIFY_SOCKET nobody listens on reports the failed send", "[systemd]") {
  TempDir dir;
  ScopedEnv env("NOTIFY_SOCKET", dir.File("nobody"));
  CHECK_FALSE(SystemdNotifier().Ready("ready"));
  CHECK_FALSE(SystemdNotifier().Watchdog());
}

TEST_CASE("The watchdog is pinged at half of WATCHDOG_USEC when it is meant for us", "[systemd]") {
  TempDir dir;
  NotifySocket socket(dir.File("notify"));
  ScopedEnv notify_socket("NOTIFY_SOCKET", socket.address());
  ScopedEnv watchdog_usec("WATCHDOG_USEC", "2000000");
  const SystemdNotifier notifier;

  SECTION("WATCHDOG_PID is our pid") {
    ScopedEnv watchdog_pid("WATCHDOG_PID", std::to_string(getpid()));
    CHECK(notifier.WatchdogInterval() == std::chrono::seconds(1));
    // The environment stays for children and the next call.
    CHECK(std::getenv("WATCHDOG_USEC") == std::string("2000000"));
    CHECK(std::getenv("WATCHDOG_PID") == std::to_string(getpid()));
    CHECK(notifier.WatchdogInterval() == std::chrono::seconds(1));
  }
  SECTION("WATCHDOG_PID is unset: the watchdog is ours") {
    ScopedEnv watchdog_pid("WATCHDOG_PID", std::nullopt);
    CHECK(notifier.WatchdogInterval() == std::chrono::seconds(1));
  }
  SECTION("WATCHDOG_PID is another process (a child that inherited it)") {
    ScopedEnv watchdog_pid("WATCHDOG_PID", std::to_string(getppid()));
    CHECK(notifier.WatchdogInterval() == std::nullopt);
  }
  SECTION("WATCHDOG_USEC is unset or not a time") {
    ScopedEnv watchdog_pid("WATCHDOG_PID", std::to_string(getpid()));
    {
      ScopedEnv unset("WATCHDOG_USEC", std::nullopt);
      CHECK(notifier.WatchdogInterval() == std::nullopt);
    }
    for (const char* bad : {"0", "-5", "soon", ""}) {
      ScopedEnv invalid("WATCHDOG_USEC", bad);
      CHECK(notifier.WatchdogInterval() == std::nullopt);
    }
  }
  CHECK(socket.Receive() == std::nullopt);  // asking sends nothing
}

}  // namespace
}  // namespace salesaudit::testing

#include "daemon/systemd_notify.h"

#include <systemd/sd-daemon.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <string>

namespace salesaudit {
namespace {

// Keeps the manager's environment for children and reloads (sd_notify's
// unset_environment argument).
constexpr int kKeepEnvironment = 0;

bool Send(const std::string& message) {
  if (!SystemdNotifier::Enabled()) return false;
  return sd_notify(kKeepEnvironment, message.c_str()) > 0;
}

// The value of one STATUS= assignment: a newline would start another one,
// and a NUL would cut the message short.
std::string OneLine(std::string_view line) {
  std::string out(line);
  std::replace_if(
      out.begin(), out.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; }, ' ');
  return out;
}

uint64_t MonotonicMicros() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<uint64_t>(now.tv_sec) * 1000000 + static_cast<uint64_t>(now.tv_nsec) / 1000;
}

}  // namespace

bool SystemdNotifier::Enabled() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  return socket != nullptr && *socket != '\0';
}

bool SystemdNotifier::Ready(std::string_view status_line) const {
  if (status_line.empty()) return Send("READY=1");
  return Send("READY=1\nSTATUS=" + OneLine(status_line));
}

bool SystemdNotifier::Status(std::string_view status_line) const {
  return Send("STATUS=" + OneLine(status_line));
}

bool SystemdNotifier::Reloading() const {
  return Send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(MonotonicMicros()));
}

bool SystemdNotifier::Stopping() const { return Send("STOPPING=1"); }

bool SystemdNotifier::Watchdog() const { return Send("WATCHDOG=1"); }

std::optional<std::chrono::microseconds> SystemdNotifier::WatchdogInterval() const {
  if (!Enabled()) return std::nullopt;
  uint64_t timeout_usec = 0;
  if (sd_watchdog_enabled(kKeepEnvironment, &timeout_usec) <= 0) return std::nullopt;
  return std::chrono::microseconds(std::max<uint64_t>(timeout_usec / 2, 1));
}

}  // namespace salesaudit

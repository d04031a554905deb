// The service manager's end of the sd_notify protocol, for tests: a bound
// AF_UNIX datagram socket whose address goes into NOTIFY_SOCKET.
// Ownership: one per test, on the stack. Threading: one thread.
#pragma once

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstddef>
#include <optional>
#include <string>

namespace salesaudit::testing {

// The manager's end: a bound AF_UNIX datagram socket. `address` is a path,
// or "@name" for the abstract namespace (NOTIFY_SOCKET's own convention).
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& address) : address_(address) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    REQUIRE(address.size() < sizeof(addr.sun_path));
    address.copy(addr.sun_path, address.size());
    socklen_t length = offsetof(sockaddr_un, sun_path) + address.size();
    if (address[0] == '@') {
      addr.sun_path[0] = '\0';  // abstract: no terminating NUL counted
    } else {
      ++length;
    }
    REQUIRE(bind(fd_, reinterpret_cast<const sockaddr*>(&addr), length) == 0);
  }
  ~NotifySocket() { close(fd_); }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  const std::string& address() const { return address_; }

  // The next queued datagram, or nullopt when none is.
  std::optional<std::string> Receive() {
    char buffer[4096];
    const ssize_t n = recv(fd_, buffer, sizeof(buffer), MSG_DONTWAIT);
    if (n < 0) return std::nullopt;
    return std::string(buffer, static_cast<size_t>(n));
  }

 private:
  std::string address_;
  int fd_ = -1;
};

}  // namespace salesaudit::testing

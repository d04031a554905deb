// SimServer: the HTTP plumbing the simulators share. It owns one io_context,
// the threads that run it and an acceptor on 127.0.0.1, and runs a
// per-connection coroutine the simulator supplies for every accepted socket,
// each on a strand of its own, so a slow answer (a timer wait) or a long
// keep-alive session never holds up another connection.
//
// Ownership: the simulator owns its SimServer and must keep whatever the
// connection handler refers to alive until Stop() (or the destructor) has
// returned. Threading: Start, Stop and base_url are safe to call from
// any thread; the handler runs on the server's threads.
#pragma once

// clang-format off
// Before any Boost header: with GCC 12 in C++20, asio/awaitable.hpp misses it.
#include <utility>
// clang-format on

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace salesaudit::sim {

class SimServer {
 public:
  // Serves one accepted connection until it is done with it.
  using ConnectionHandler =
      std::function<boost::asio::awaitable<void>(boost::asio::ip::tcp::socket)>;

  explicit SimServer(ConnectionHandler handler);
  ~SimServer();  // stops the server
  SimServer(const SimServer&) = delete;
  SimServer& operator=(const SimServer&) = delete;

  // Binds 127.0.0.1:`port` (0 = ephemeral) and serves on background threads.
  // Returns the bound port, or 0 if the port cannot be bound. Calling it while
  // running returns the current port.
  uint16_t Start(uint16_t port);
  // Abandons in-flight connections and joins the threads; a no-op when not
  // running.
  void Stop();
  std::string base_url() const;  // "http://127.0.0.1:PORT"

 private:
  const ConnectionHandler handler_;
  mutable std::mutex mu_;  // serialises Start and Stop; guards the members below
  std::unique_ptr<boost::asio::io_context> io_;
  std::vector<std::thread> threads_;
  uint16_t port_ = 0;
};

}  // namespace salesaudit::sim

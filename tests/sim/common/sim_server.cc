#include "tests/sim/common/sim_server.h"

// clang-format off
// Before any Boost header: with GCC 12 in C++20, asio/awaitable.hpp misses it.
#include <utility>
// clang-format on

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/error_code.hpp>

namespace salesaudit::sim {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

constexpr int kServerThreads = 4;

asio::awaitable<void> AcceptLoop(tcp::acceptor acceptor,
                                 const SimServer::ConnectionHandler& handler) {
  for (;;) {
    boost::system::error_code ec;
    tcp::socket socket = co_await acceptor.async_accept(
        asio::make_strand(acceptor.get_executor()), asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) continue;
    auto executor = socket.get_executor();
    asio::co_spawn(executor, handler(std::move(socket)), asio::detached);
  }
}

}  // namespace

SimServer::SimServer(ConnectionHandler handler) : handler_(std::move(handler)) {}

SimServer::~SimServer() { Stop(); }

uint16_t SimServer::Start(uint16_t port) {
  std::lock_guard<std::mutex> lock(mu_);
  if (io_) return port_;
  auto io = std::make_unique<asio::io_context>(kServerThreads);
  tcp::acceptor acceptor(*io);
  const tcp::endpoint endpoint(asio::ip::make_address_v4("127.0.0.1"), port);
  boost::system::error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return 0;
  port_ = acceptor.local_endpoint(ec).port();
  if (ec) return 0;
  asio::co_spawn(*io, AcceptLoop(std::move(acceptor), handler_), asio::detached);
  for (int i = 0; i < kServerThreads; ++i) {
    threads_.emplace_back([ctx = io.get()] { ctx->run(); });
  }
  io_ = std::move(io);
  return port_;
}

void SimServer::Stop() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!io_) return;
  // Stopping the context abandons in-flight connections; destroying it
  // closes their sockets and frees the coroutine frames.
  io_->stop();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  io_.reset();
  port_ = 0;
}

std::string SimServer::base_url() const {
  std::lock_guard<std::mutex> lock(mu_);
  return "http://127.0.0.1:" + std::to_string(port_);
}

}  // namespace salesaudit::sim

// The HTTP exchange the simulators share: read a request, let the simulator
// answer it, carry out what an injected fault asks of the answer (wait before
// sending it, or cut it short), write it, and keep the connection alive while
// the client does. One coroutine per connection, as SimServer runs them.
//
// Threading: ServeHttpConnection runs on the connection's strand; the
// handler is called from it and must be safe to call from several
// connections at once.
#pragma once

// clang-format off
// Before any Boost header: with GCC 12 in C++20, asio/awaitable.hpp misses it.
#include <utility>
// clang-format on

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace salesaudit::sim {

using SimHttpRequest = boost::beast::http::request<boost::beast::http::string_body>;

// What a simulator answers one request with.
struct SimHttpResponse {
  int status = 200;
  std::string content_type = "application/json;charset=utf-8";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Injected faults: answer only after this long, or send the head with a
  // Content-Length larger than the body, half the body, and close (a proxy
  // dropping the answer).
  std::chrono::milliseconds delay{0};
  bool truncate = false;
  // Close the connection after this answer.
  bool close = false;
};

using SimHttpHandler = std::function<SimHttpResponse(SimHttpRequest&)>;

// Serves `socket` with `handler` until the client closes it, it idles for a minute, or an
// answer closes it. Request heads may take `header_limit` bytes and bodies
// 8 MiB; past either the connection is dropped.
boost::asio::awaitable<void> ServeHttpConnection(boost::asio::ip::tcp::socket socket,
                                                 SimHttpHandler handler, const char* server_name,
                                                 uint32_t header_limit = 8 * 1024);

}  // namespace salesaudit::sim

#include "tests/sim/common/sim_http.h"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace salesaudit::sim {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr auto kIdleTimeout = std::chrono::seconds(60);
constexpr size_t kMaxRequestBody = 8 * 1024 * 1024;

asio::awaitable<void> WriteTruncated(beast::tcp_stream& stream, const SimHttpResponse& out) {
  std::string raw = "HTTP/1.1 " + std::to_string(out.status) + " " +
                    std::string(http::obsolete_reason(static_cast<http::status>(out.status))) +
                    "\r\nContent-Type: " + out.content_type +
                    "\r\nContent-Length: " + std::to_string(out.body.size() + 1024) + "\r\n";
  for (const auto& [name, value] : out.headers) raw += name + ": " + value + "\r\n";
  raw += "\r\n";
  raw.append(out.body, 0, out.body.size() / 2);
  beast::error_code ec;
  co_await asio::async_write(stream, asio::buffer(raw),
                             asio::redirect_error(asio::use_awaitable, ec));
}

asio::awaitable<void> ServeLoop(tcp::socket socket, const SimHttpHandler& handler,
                                const char* server_name, uint32_t header_limit) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  beast::error_code ec;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(kMaxRequestBody);
    parser.header_limit(header_limit);
    stream.expires_after(kIdleTimeout);
    co_await http::async_read(stream, buffer, parser,
                              asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    SimHttpRequest& req = parser.get();
    const unsigned version = req.version();
    const bool keep_alive = req.keep_alive();
    SimHttpResponse out = handler(req);
    stream.expires_never();
    if (out.delay.count() > 0) {
      asio::steady_timer timer(co_await asio::this_coro::executor);
      timer.expires_after(out.delay);
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    if (out.truncate) {
      co_await WriteTruncated(stream, out);
      break;
    }
    http::response<http::string_body> res{static_cast<http::status>(out.status), version};
    res.set(http::field::server, server_name);
    res.set(http::field::content_type, out.content_type);
    for (const auto& [name, value] : out.headers) res.set(name, value);
    res.keep_alive(keep_alive && !out.close);
    res.body() = std::move(out.body);
    res.prepare_payload();
    stream.expires_after(kIdleTimeout);
    co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
    if (ec || !res.keep_alive()) break;
  }
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  stream.socket().close(ec);
}

}  // namespace

asio::awaitable<void> ServeHttpConnection(tcp::socket socket, SimHttpHandler handler,
                                          const char* server_name, uint32_t header_limit) {
  // A coroutine of its own around the loop: GCC 12 reports a false
  // mismatched-new-delete when the loop's frame is this function's.
  co_await ServeLoop(std::move(socket), handler, server_name, header_limit);
}

}  // namespace salesaudit::sim

// The own header comes first and includes <utility>, which GCC 12 in C++20
// mode needs before asio's awaitable.hpp.
#include "tests/support/test_http_server.h"

#include <zlib.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>

namespace salesaudit {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using asio::ip::tcp;
using boost::system::error_code;

std::string TestHttpRequest::Header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

struct TestHttpServer::Impl {
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::thread thread;
  mutable std::mutex mu;
  Handler handler;
  std::vector<TestHttpRequest> requests;
  int connections = 0;

  TestHttpResponse Answer(const TestHttpRequest& request) {
    Handler h;
    {
      std::lock_guard<std::mutex> lock(mu);
      requests.push_back(request);
      h = handler;
    }
    if (!h) return TestHttpResponse{.status = 404, .body = "no handler set"};
    return h(request);
  }

  // Errors end the session quietly: a client closing its keep-alive
  // connection or the server stopping are the normal ways out.
  asio::awaitable<void> Session(tcp::socket socket, int connection) {
    boost::beast::flat_buffer buffer;
    error_code ec;
    auto on_error = asio::redirect_error(asio::use_awaitable, ec);
    while (true) {
      http::request<http::string_body> req;
      co_await http::async_read(socket, buffer, req, on_error);
      if (ec) co_return;
      TestHttpRequest request{.method = std::string(req.method_string()),
                              .target = std::string(req.target()),
                              .body = req.body(),
                              .connection = connection};
      for (const auto& field : req) {
        std::string name(field.name_string());
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        request.headers[name] = std::string(field.value());
      }
      TestHttpResponse answer = Answer(request);
      if (answer.delay.count() > 0) {
        asio::steady_timer timer(socket.get_executor(), answer.delay);
        co_await timer.async_wait(on_error);
        if (ec) co_return;
      }
      if (answer.close_after_body_bytes || answer.drip_every.count() > 0) {
        std::string head = "HTTP/1.1 " + std::to_string(answer.status) + " OK\r\n";
        for (const auto& [name, value] : answer.headers) head += name + ": " + value + "\r\n";
        head += "Content-Length: " + std::to_string(answer.body.size()) + "\r\n\r\n";
        co_await asio::async_write(socket, asio::buffer(head), on_error);
        if (ec) co_return;
        const std::string_view body =
            std::string_view(answer.body)
                .substr(0, answer.close_after_body_bytes.value_or(answer.body.size()));
        const size_t piece =
            answer.drip_every.count() > 0 ? std::max<size_t>(1, answer.drip_bytes) : body.size();
        for (size_t at = 0; at < body.size(); at += piece) {
          if (answer.drip_every.count() > 0) {
            asio::steady_timer timer(socket.get_executor(), answer.drip_every);
            co_await timer.async_wait(on_error);
            if (ec) co_return;
          }
          co_await asio::async_write(socket, asio::buffer(body.substr(at, piece)), on_error);
          if (ec) co_return;
        }
        if (answer.close_after_body_bytes) {
          socket.shutdown(tcp::socket::shutdown_both, ec);
          co_return;
        }
        continue;
      }
      http::response<http::string_body> res{static_cast<http::status>(answer.status),
                                            req.version()};
      for (const auto& [name, value] : answer.headers) res.set(name, value);
      res.body() = std::move(answer.body);
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      co_await http::async_write(socket, res, on_error);
      if (ec || !req.keep_alive()) co_return;
    }
  }

  asio::awaitable<void> Accept() {
    error_code ec;
    while (true) {
      tcp::socket socket(io);
      co_await acceptor.async_accept(socket, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      int connection = 0;
      {
        std::lock_guard<std::mutex> lock(mu);
        connection = ++connections;
      }
      asio::co_spawn(io, Session(std::move(socket), connection), asio::detached);
    }
  }
};

TestHttpServer::TestHttpServer() : impl_(std::make_unique<Impl>()) {
  tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen();
  asio::co_spawn(impl_->io, impl_->Accept(), asio::detached);
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

TestHttpServer::~TestHttpServer() {
  impl_->io.stop();
  impl_->thread.join();
}

void TestHttpServer::SetHandler(Handler handler) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->handler = std::move(handler);
}

uint16_t TestHttpServer::port() const { return impl_->acceptor.local_endpoint().port(); }

std::string TestHttpServer::base_url() const {
  return "http://127.0.0.1:" + std::to_string(port());
}

std::vector<TestHttpRequest> TestHttpServer::requests() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->requests;
}

int TestHttpServer::connections() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->connections;
}

std::string GzipForTest(std::string_view data) {
  z_stream zs{};
  // windowBits 15 + 16: a gzip wrapper instead of zlib's.
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    throw std::runtime_error("deflateInit2 failed");
  }
  std::string out(deflateBound(&zs, data.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate failed");
  return out;
}

}  // namespace salesaudit

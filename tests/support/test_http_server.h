// A small HTTP/1.1 server on 127.0.0.1 for tests: the test sets a handler
// that answers each request, and the server records what it received. It can
// delay a response, trickle its body and close a connection mid-body to
// simulate a truncated transfer. Built on Boost.Beast with one io_context on its own thread.
//
// Ownership: a test creates one on the stack; destruction stops the server,
// cutting short any pending delay, and joins its thread.
// Threading: SetHandler, requests() and connections() may be called from any
// thread; the handler runs on the server thread, one request at a time.
//
//   TestHttpServer server;
//   server.SetHandler([](const TestHttpRequest& r) { return TestHttpResponse{.body = "{}"}; });
//   HttpClient http({}, nullptr, nullptr);
//   http.Send({.url = server.base_url() + "/x"});
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace salesaudit {

struct TestHttpRequest {
  std::string method;
  std::string target;                          // path and query as sent
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  int connection = 0;  // 1-based number of the TCP connection it arrived on
  // Header value or "" when absent; `name` lower case.
  std::string Header(const std::string& name) const;
};

struct TestHttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;                    // Content-Length is set from it
  std::chrono::milliseconds delay{0};  // wait before answering
  // When set: declare the full Content-Length, send only this many body bytes,
  // then close the connection.
  std::optional<size_t> close_after_body_bytes;
  // When set: send the head at once, then the body `drip_bytes` at a time,
  // waiting this long before each piece (a server that trickles its answer).
  std::chrono::milliseconds drip_every{0};
  size_t drip_bytes = 1;
};

class TestHttpServer {
 public:
  using Handler = std::function<TestHttpResponse(const TestHttpRequest&)>;

  // Listens on an ephemeral port and starts serving; answers 404 until a
  // handler is set.
  TestHttpServer();
  ~TestHttpServer();
  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;

  void SetHandler(Handler handler);
  uint16_t port() const;
  std::string base_url() const;  // "http://127.0.0.1:PORT"
  std::vector<TestHttpRequest> requests() const;
  int connections() const;  // TCP connections accepted so far

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// gzip-compresses `data` (zlib), for responses sent with Content-Encoding: gzip.
std::string GzipForTest(std::string_view data);

}  // namespace salesaudit

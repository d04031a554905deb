// The status HTTP server: /healthz, /readyz, /metrics, /api/v1/... and the
// dashboard, answered by handlers the daemon registers. Boost.Beast with its
// own io_context on its own thread, so that a slow handler or client never
// blocks the daemon's loop; shaped after Beast's advanced server example
// (callbacks, one object per connection, per-operation timeouts).
//
// What keeps a client from stalling it: the whole request must arrive within
// request_timeout (slowloris), a response must be taken within write_timeout,
// a keep-alive connection may idle for idle_timeout, a request header is at
// most max_header_bytes (431) and a body max_body_bytes (413), and at most
// max_connections are open: a new one closes the open one that has waited
// longest on its client (for a request, or to take its response), so that
// clients holding every connection cannot keep /healthz from answering.
// Only GET and HEAD are served (405 otherwise), unknown paths get 404. With a
// token set, every path but /healthz and /readyz needs
// `Authorization: Bearer <token>` (401 otherwise).
//
// Ownership: the daemon owns one; destruction stops it.
// Threading: Handle, Start, port and Stop may be called from any thread (not
// concurrently with Stop or the destructor). Handlers run on the server's
// thread, one at a time; they must not block for long (other clients wait)
// and must not call Stop.
//
//   StatusServer server(StatusServerOptions::FromConfig(config.status));
//   server.Handle("/healthz", [](const HttpRequestInfo&) { return HttpReply{.body = "ok\n"}; });
//   if (Status s = server.Start(); !s.ok()) ...;
//   ...
//   server.Stop();
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "core/status.h"

namespace salesaudit {

struct HttpRequestInfo {
  std::string method;  // "GET" or "HEAD"
  std::string path;    // as sent, without the query: "/readyz"
  std::string query;   // after '?', "" when none: "verbose"
};

struct HttpReply {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;  // sent for GET; for HEAD only its length is
  std::vector<std::pair<std::string, std::string>> headers;  // more headers
};

struct StatusServerOptions {
  // HOST:PORT or [V6]:PORT; port 0 binds any free port (see port()).
  std::string listen = "127.0.0.1:9464";
  std::string token;  // non-empty: the Bearer token required; never logged
  std::vector<std::string> open_paths = {"/healthz", "/readyz"};  // served without the token
  int max_connections = 64;  // open at once; see the class comment
  std::chrono::milliseconds request_timeout = std::chrono::seconds(10);  // a whole request
  std::chrono::milliseconds write_timeout = std::chrono::seconds(10);    // a whole response
  // A keep-alive connection waiting for its next request is closed after
  // this long; Prometheus scrapes every 15-60 s on one connection.
  std::chrono::milliseconds idle_timeout = std::chrono::seconds(90);
  size_t max_header_bytes = 8 * 1024;
  size_t max_body_bytes = 8 * 1024;
  // Stop() waits this long for connections to close before stopping the
  // loop; it returns once the handler running then (if any) returns.
  std::chrono::milliseconds stop_timeout = std::chrono::seconds(2);

  // Options from the config's `status:` section (write_timeout follows
  // request_timeout).
  static StatusServerOptions FromConfig(const StatusConfig& config);
};

class StatusServer {
 public:
  using Handler = std::function<HttpReply(const HttpRequestInfo&)>;

  explicit StatusServer(StatusServerOptions options);
  ~StatusServer();
  StatusServer(const StatusServer&) = delete;
  StatusServer& operator=(const StatusServer&) = delete;

  // Serves `path` (exact match, e.g. "/metrics") with `handler`, replacing
  // any handler it had. Register before Start to have no early 404s.
  void Handle(const std::string& path, Handler handler);

  // Binds options.listen and starts serving on a new thread. Errors:
  // kInvalidArgument for an address that does not parse or resolve,
  // kUnavailable when binding fails (port in use, permission), kInternal
  // when called twice.
  Status Start();

  // The bound port (the chosen one when options.listen had port 0); 0
  // before Start.
  uint16_t port() const;

  // Stops accepting, closes every connection and joins the thread, within
  // about options.stop_timeout. Idempotent.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// True if `given` equals `expected`, taking a time that depends only on the
// length of `expected`, so that response times do not reveal a token's prefix.
bool ConstantTimeEquals(const std::string& given, const std::string& expected);

}  // namespace salesaudit

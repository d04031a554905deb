// HostileHttpServer: a test double that poses as a vendor API and answers
// chosen paths the way a broken or malicious server might: JSON nested
// 150,000 deep, a gzip bomb, a body trickled a byte at a time, paging tokens
// that cycle or run to megabytes, error bodies that echo the credentials,
// values of the wrong JSON type, invalid UTF-8 and NUL in strings. Every
// other path goes unchanged to an upstream (a simulator from tests/sim/), so
// a connector's other streams meet realistic data while one path misbehaves.
//
// A connector's tests need a few lines: start its simulator, put this server
// in front of it, point the connector's base_url here and pick a behaviour:
//
//   sim::HubSpotSim sim;  sim.Start();
//   HostileHttpServer server(sim.base_url());
//   server.Serve("/crm/v3/owners",
//                hostile::CyclingTokens({"A", "B"}, [](const std::string& next) {
//                  return R"({"results":[],"paging":{"next":{"after":")" + next + R"("}}})";
//                }));
//   config.base_url = server.base_url();
//   ... sync; CHECK(server.RequestsTo("/crm/v3/owners") <= 3);
//
// Behaviours are plain TestHttpServer handlers, so a test can also write its
// own. Ownership: tests create one on the stack; destruction stops it.
// Threading: Serve and the counters may be called from any thread;
// behaviours run on the server thread, one request at a time (forwarding
// to the upstream blocks that thread for the upstream's answer).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "tests/support/test_http_server.h"

namespace salesaudit {

namespace hostile {

using Behavior = TestHttpServer::Handler;

// A body that names `next` as the token of the following page ("" never
// passed): the vendor's paging shape, given by the test.
using PageWithToken = std::function<std::string(const std::string& next)>;

// `depth` nested arrays inside an object: {"nested":[[[...]]]}.
std::string NestedJson(size_t depth);

// Answers `status` with `body` as application/json (and `headers`).
Behavior Json(int status, std::string body,
              std::vector<std::pair<std::string, std::string>> headers = {});

// NestedJson(depth) with `status`: a list page (200), an error body (500),
// a token response.
Behavior DeeplyNested(size_t depth, int status = 200);

// A gzip body that decodes to `decoded_bytes`: a JSON object padded with
// spaces, so that a client without a limit would even parse it. About 1 KiB
// of gzip per MiB decoded; built once per size and kept for the process.
Behavior GzipBomb(size_t decoded_bytes);

// `body` (status 200) trickled `bytes` at a time, `every` apart.
Behavior SlowDrip(std::string body, size_t bytes, std::chrono::milliseconds every);

// The k-th request (from 0) gets page(tokens[k % tokens.size()]): {"A", "B"}
// pages A, B, A, B... forever.
Behavior CyclingTokens(std::vector<std::string> tokens, PageWithToken page);

// Every request gets page(a token of `bytes` bytes).
Behavior OversizedToken(size_t bytes, PageWithToken page);

// What an error body echoes back.
enum class Echo {
  kAuthorization,  // the request's Authorization header value
  kBody,           // the request body (an OAuth form with its secrets)
};
// `status` with {"message":"<echo>","status":"error"}: vendors that quote the
// request in their error text.
Behavior EchoError(int status, Echo what);

// JSON string contents for vendor-value tests: bytes that are not UTF-8
// (a lone continuation byte, an overlong form, 0xFF) and an escaped NUL.
inline constexpr char kInvalidUtf8[] = "bad \x80 \xC0\xAF \xFF utf-8";
inline constexpr char kEscapedNul[] = "before\\u0000after";

}  // namespace hostile

class HostileHttpServer {
 public:
  // `upstream_base_url` ("http://127.0.0.1:PORT", a path after it is
  // ignored: requests keep their own) answers every path without a
  // behaviour; empty: those get 404.
  explicit HostileHttpServer(std::string upstream_base_url = "");
  ~HostileHttpServer();
  HostileHttpServer(const HostileHttpServer&) = delete;
  HostileHttpServer& operator=(const HostileHttpServer&) = delete;

  // Requests whose path (query cut) is `path` get `behavior` from now on;
  // a path ending in '*' matches every path with that prefix.
  void Serve(const std::string& path, hostile::Behavior behavior);
  // Back to the upstream for `path`.
  void Forward(const std::string& path);

  // The upstream's answer to `request`: for behaviours that misbehave only
  // sometimes (the first request, a query) and pass the rest on.
  TestHttpResponse Upstream(const TestHttpRequest& request) const;

  std::string base_url() const { return server_.base_url(); }
  std::vector<TestHttpRequest> requests() const { return server_.requests(); }
  // Requests received for `path` (query cut), hostile or forwarded.
  int RequestsTo(const std::string& path) const;

 private:
  TestHttpResponse Answer(const TestHttpRequest& request);

  std::string upstream_;
  mutable std::mutex mu_;
  std::map<std::string, hostile::Behavior> behaviors_;  // guarded by mu_
  TestHttpServer server_;  // last: its thread stops before the rest goes
};

}  // namespace salesaudit

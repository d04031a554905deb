// The status HTTP server over real sockets on 127.0.0.1: routing, HEAD, 404
// and 405, the bearer token, and the defences against slow or greedy
// clients. Normal requests go through libcurl (HttpClient); the misbehaving
// clients are raw sockets.
#include "status/status_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/metrics.h"
#include "net/http_client.h"
#include "tests/support/prometheus_text.h"
#include "tests/support/subprocess.h"

namespace salesaudit {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// A plain TCP client for what libcurl will not do: stall, trickle, send
// oversized headers, hold connections open.
class RawClient {
 public:
  explicit RawClient(uint16_t port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    timeval timeout{.tv_sec = 5, .tv_usec = 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  }
  ~RawClient() { close(fd_); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return connected_; }

  bool Send(const std::string& data) {
    size_t sent = 0;
    while (sent < data.size()) {
      const ssize_t n = send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  }

  // One response: the header and Content-Length bytes of body (none for a
  // HEAD). "" if the connection ends (or 5 s pass) before a whole header.
  std::string ReadResponse(bool head = false) {
    size_t header_end;
    while ((header_end = pending_.find("\r\n\r\n")) == std::string::npos) {
      if (!Receive()) return "";
    }
    header_end += 4;
    size_t body_length = 0;
    const std::string header = pending_.substr(0, header_end);
    if (const size_t at = header.find("Content-Length: "); at != std::string::npos && !head) {
      body_length = std::stoul(header.substr(at + 16));
    }
    while (pending_.size() < header_end + body_length) {
      if (!Receive()) return "";
    }
    std::string response = pending_.substr(0, header_end + body_length);
    pending_.erase(0, header_end + body_length);
    return response;
  }

  // True once the server has closed the connection (end of stream or
  // reset), reading and dropping anything before (counted in `*dropped`);
  // false after 5 s without a byte.
  bool WaitClosed(size_t* dropped = nullptr) {
    char buffer[64 * 1024];
    while (true) {
      const ssize_t n = recv(fd_, buffer, sizeof buffer, 0);
      if (n == 0) return true;
      if (n < 0) return errno == ECONNRESET;  // EAGAIN: the 5 s timeout
      if (dropped != nullptr) *dropped += static_cast<size_t>(n);
    }
  }

  // True if the server has not closed the connection, without waiting.
  bool StillOpen() {
    pollfd p{.fd = fd_, .events = POLLIN, .revents = 0};
    return poll(&p, 1, 0) == 0;
  }

 private:
  bool Receive() {
    char buffer[4096];
    const ssize_t n = recv(fd_, buffer, sizeof buffer, 0);
    if (n <= 0) return false;
    pending_.append(buffer, static_cast<size_t>(n));
    return true;
  }

  int fd_;
  bool connected_ = false;
  std::string pending_;
};

int StatusOf(const std::string& response) {
  if (response.rfind("HTTP/1.1 ", 0) != 0 || response.size() < 12) return 0;
  return std::stoi(response.substr(9, 3));
}

std::string Get(const std::string& path) {
  return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
}

// A server on a free port with a few routes; options as the test sets them.
class ServerUnderTest {
 public:
  explicit ServerUnderTest(StatusServerOptions options = {}) {
    options.listen = "127.0.0.1:0";
    server_ = std::make_unique<StatusServer>(options);
    server_->Handle("/healthz", [](const HttpRequestInfo&) { return HttpReply{.body = "ok\n"}; });
    server_->Handle("/readyz", [](const HttpRequestInfo&) { return HttpReply{.body = "ready\n"}; });
    server_->Handle("/api/v1/status", [](const HttpRequestInfo&) {
      return HttpReply{.content_type = "application/json", .body = "{\"connectors\":[]}"};
    });
    server_->Handle("/echo", [](const HttpRequestInfo& request) {
      return HttpReply{.body = request.method + " " + request.path + " " + request.query};
    });
    server_->Handle("/busy", [](const HttpRequestInfo&) {
      return HttpReply{.status = 503, .body = "busy\n", .headers = {{"Retry-After", "7"}}};
    });
    REQUIRE(server_->Start().ok());
    REQUIRE(server_->port() != 0);
  }

  StatusServer& server() { return *server_; }
  uint16_t port() const { return server_->port(); }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port()) + path;
  }

  HttpResponse Fetch(const std::string& path, const std::string& method = "GET",
                     std::vector<std::pair<std::string, std::string>> headers = {}) {
    HttpClient http(HttpClient::Options{.timeout = std::chrono::seconds(5)}, nullptr, nullptr);
    Result<HttpResponse> response =
        http.Send({.method = method, .url = Url(path), .headers = std::move(headers)});
    INFO(response.status().message());
    REQUIRE(response.ok());
    return *response;
  }

 private:
  std::unique_ptr<StatusServer> server_;
};

TEST_CASE("Routes answer with their status, content type and body", "[daemon][status_server]") {
  ServerUnderTest s;
  HttpResponse status = s.Fetch("/api/v1/status");
  CHECK(status.status == 200);
  CHECK(status.Header("content-type") == "application/json");
  CHECK(status.body == "{\"connectors\":[]}");

  HttpResponse echo = s.Fetch("/echo?verbose&x=1");
  CHECK(echo.status == 200);
  CHECK(echo.Header("content-type") == "text/plain; charset=utf-8");
  CHECK(echo.body == "GET /echo verbose&x=1");

  HttpResponse busy = s.Fetch("/busy");
  CHECK(busy.status == 503);
  CHECK(busy.Header("retry-after") == "7");
  CHECK(busy.body == "busy\n");
}

TEST_CASE("HEAD answers like GET without the body", "[daemon][status_server]") {
  ServerUnderTest s;
  HttpResponse head = s.Fetch("/echo?q", "HEAD");
  CHECK(head.status == 200);
  CHECK(head.body.empty());
  CHECK(head.Header("content-length") == std::to_string(std::string("HEAD /echo q").size()));

  // On one connection: no body bytes after the HEAD, so the GET after it
  // reads cleanly.
  RawClient client(s.port());
  REQUIRE(client.Send("HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n" + Get("/healthz")));
  const std::string head_response = client.ReadResponse(/*head=*/true);
  CHECK(StatusOf(head_response) == 200);
  CHECK(head_response.find("Content-Length: 3\r\n") != std::string::npos);
  const std::string get_response = client.ReadResponse();
  CHECK(StatusOf(get_response) == 200);
  CHECK(get_response.substr(get_response.size() - 3) == "ok\n");
}

TEST_CASE("Unknown paths get 404 and methods other than GET and HEAD 405",
          "[daemon][status_server]") {
  ServerUnderTest s;
  CHECK(s.Fetch("/nope").status == 404);
  CHECK(s.Fetch("/healthz/").status == 404);
  for (const char* method : {"POST", "PUT", "DELETE", "OPTIONS"}) {
    INFO(method);
    HttpResponse response = s.Fetch("/healthz", method);
    CHECK(response.status == 405);
    CHECK(response.Header("allow") == "GET, HEAD");
  }
}

TEST_CASE("With a token every path but /healthz and /readyz needs it", "[daemon][status_server]") {
  ServerUnderTest s(StatusServerOptions{.token = "s3cret-token"});
  HttpResponse missing = s.Fetch("/api/v1/status");
  CHECK(missing.status == 401);
  CHECK(missing.Header("www-authenticate").rfind("Bearer", 0) == 0);
  CHECK(missing.body.find("s3cret") == std::string::npos);
  // Unknown paths too: a client without the token learns nothing.
  CHECK(s.Fetch("/nope").status == 401);
  for (const char* wrong : {"Bearer s3cret-toke", "Bearer s3cret-token2", "Bearer ",
                            "Basic czNjcmV0LXRva2Vu", "s3cret-token"}) {
    INFO(wrong);
    CHECK(s.Fetch("/api/v1/status", "GET", {{"Authorization", wrong}}).status == 401);
  }
  for (const char* right : {"Bearer s3cret-token", "bearer s3cret-token"}) {
    INFO(right);
    HttpResponse ok = s.Fetch("/api/v1/status", "GET", {{"Authorization", right}});
    CHECK(ok.status == 200);
    CHECK(ok.body == "{\"connectors\":[]}");
  }
  CHECK(s.Fetch("/healthz").status == 200);
  CHECK(s.Fetch("/readyz").status == 200);
}

TEST_CASE("Token comparison is exact", "[daemon][status_server]") {
  CHECK(ConstantTimeEquals("abc", "abc"));
  CHECK_FALSE(ConstantTimeEquals("ab", "abc"));
  CHECK_FALSE(ConstantTimeEquals("abcd", "abc"));
  CHECK_FALSE(ConstantTimeEquals("abd", "abc"));
  CHECK_FALSE(ConstantTimeEquals("", "abc"));
  CHECK(ConstantTimeEquals("", ""));
}

TEST_CASE("A client stalling mid-header is cut off while others are served",
          "[daemon][status_server]") {
  const milliseconds timeout(2000);
  ServerUnderTest s(StatusServerOptions{.request_timeout = timeout});
  const auto start = steady_clock::now();
  RawClient stalled(s.port());
  REQUIRE(stalled.Send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"));

  HttpResponse other = s.Fetch("/healthz");
  CHECK(other.status == 200);
  CHECK(stalled.StillOpen());

  CHECK(stalled.WaitClosed());
  CHECK(steady_clock::now() - start >= timeout);
}

TEST_CASE("A client trickling its header byte by byte is cut off at the request timeout",
          "[daemon][status_server]") {
  const milliseconds timeout(1000);
  ServerUnderTest s(StatusServerOptions{.request_timeout = timeout});
  RawClient trickler(s.port());
  const std::string request = Get("/healthz") + std::string(4000, ' ');
  const auto start = steady_clock::now();
  bool cut_off = false;
  for (size_t i = 0; i < request.size() && steady_clock::now() - start < std::chrono::seconds(6);
       ++i) {
    if (!trickler.StillOpen() || !trickler.Send(request.substr(i, 1))) {
      cut_off = true;
      break;
    }
    std::this_thread::sleep_for(milliseconds(50));
  }
  CHECK(cut_off);
  CHECK(steady_clock::now() - start >= timeout);
}

TEST_CASE("A client not reading its response is cut off at the write timeout",
          "[daemon][status_server]") {
  const milliseconds timeout(300);
  ServerUnderTest s(StatusServerOptions{.write_timeout = timeout});
  // Far more than the socket buffers between server and client hold.
  constexpr size_t kBodyBytes = 64 << 20;
  s.server().Handle("/huge", [](const HttpRequestInfo&) {
    return HttpReply{.body = std::string(kBodyBytes, 'x')};
  });
  RawClient slow_reader(s.port());
  REQUIRE(slow_reader.Send(Get("/huge")));
  // Ten timeouts without reading: on a loaded machine the server may start
  // writing (and its timer) several hundred milliseconds after the request,
  // and a read before the timer fires would let the write go on.
  std::this_thread::sleep_for(10 * timeout);
  // Meanwhile others are served.
  CHECK(s.Fetch("/healthz").status == 200);
  size_t received = 0;
  CHECK(slow_reader.WaitClosed(&received));
  CHECK(received < kBodyBytes);
}

TEST_CASE("Oversized requests are refused", "[daemon][status_server]") {
  ServerUnderTest s;
  RawClient big_header(s.port());
  REQUIRE(big_header.Send(
      "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20 * 1024, 'a') + "\r\n\r\n"));
  CHECK(StatusOf(big_header.ReadResponse()) == 431);
  CHECK(big_header.WaitClosed());

  RawClient big_body(s.port());
  REQUIRE(big_body.Send("GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 20480\r\n\r\n" +
                        std::string(20 * 1024, 'a')));
  CHECK(StatusOf(big_body.ReadResponse()) == 413);
  CHECK(big_body.WaitClosed());

  RawClient garbage(s.port());
  REQUIRE(garbage.Send("NOT HTTP AT ALL\r\n\r\n"));
  CHECK(StatusOf(garbage.ReadResponse()) == 400);

  CHECK(s.Fetch("/healthz").status == 200);
}

TEST_CASE("At the connection limit a new connection closes the one waiting longest on its client",
          "[daemon][status_server]") {
  ServerUnderTest s(StatusServerOptions{.max_connections = 2});
  RawClient first(s.port());
  RawClient second(s.port());
  for (RawClient* c : {&first, &second}) {
    REQUIRE(c->Send(Get("/healthz")));
    REQUIRE(StatusOf(c->ReadResponse()) == 200);
  }
  // first has idled longest: a third connection takes its place.
  RawClient third(s.port());
  REQUIRE(third.Send(Get("/api/v1/status")));
  CHECK(StatusOf(third.ReadResponse()) == 200);
  CHECK(first.WaitClosed());
  REQUIRE(second.Send(Get("/healthz")));
  CHECK(StatusOf(second.ReadResponse()) == 200);
}

TEST_CASE(
    "/healthz and /readyz answer promptly while others hold every connection idle or trickling",
    "[daemon][status_server]") {
  const StatusServerOptions defaults;
  ServerUnderTest s;
  // Half connect and send nothing, half send a header they never finish;
  // whatever the server closes is opened again before the next probe.
  std::vector<std::unique_ptr<RawClient>> holders(static_cast<size_t>(defaults.max_connections));
  auto hold_every_connection = [&] {
    for (size_t i = 0; i < holders.size(); ++i) {
      if (holders[i] && holders[i]->StillOpen()) continue;
      holders[i] = std::make_unique<RawClient>(s.port());
      REQUIRE(holders[i]->connected());
      if (i % 2 == 1)
        REQUIRE(holders[i]->Send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow:"));
    }
  };
  for (int round = 0; round < 10; ++round) {
    hold_every_connection();
    for (const char* path : {"/healthz", "/readyz"}) {
      INFO("round " << round << " " << path);
      const auto start = steady_clock::now();
      HttpResponse probe = s.Fetch(path);
      CHECK(probe.status == 200);
      // Promptly: long before a held connection would time out (10 s); loose
      // enough for a busy machine or a sanitizer build.
      CHECK(steady_clock::now() - start < milliseconds(5000));
    }
  }
}

TEST_CASE("A keep-alive connection idle past the idle timeout is closed",
          "[daemon][status_server]") {
  ServerUnderTest s(StatusServerOptions{.idle_timeout = milliseconds(200)});
  RawClient client(s.port());
  REQUIRE(client.Send(Get("/healthz")));
  REQUIRE(StatusOf(client.ReadResponse()) == 200);
  CHECK(client.WaitClosed());
}

TEST_CASE("Stop returns promptly with an idle keep-alive connection open",
          "[daemon][status_server]") {
  ServerUnderTest s;
  RawClient client(s.port());
  REQUIRE(client.Send(Get("/healthz")));
  REQUIRE(StatusOf(client.ReadResponse()) == 200);
  RawClient stalled(s.port());
  REQUIRE(stalled.Send("GET /healthz HTTP/1.1\r\n"));

  const auto start = steady_clock::now();
  s.server().Stop();
  CHECK(steady_clock::now() - start < std::chrono::seconds(1));
  CHECK(client.WaitClosed());
  CHECK(stalled.WaitClosed());
  CHECK_FALSE(RawClient(s.port()).connected());
  s.server().Stop();  // again: nothing to do
}

TEST_CASE("Start reports an address in use and one that does not parse",
          "[daemon][status_server]") {
  ServerUnderTest s;
  StatusServer second(StatusServerOptions{.listen = "127.0.0.1:" + std::to_string(s.port())});
  const Status in_use = second.Start();
  CHECK(in_use.code() == StatusCode::kUnavailable);
  CHECK(in_use.message().find(std::to_string(s.port())) != std::string::npos);
  for (const char* bad : {"127.0.0.1", "127.0.0.1:99999", "127.0.0.1:http", ":80"}) {
    INFO(bad);
    StatusServer server(StatusServerOptions{.listen = bad});
    CHECK(server.Start().code() == StatusCode::kInvalidArgument);
  }
}

TEST_CASE("The global metrics served at /metrics pass the strict parser",
          "[daemon][status_server]") {
  MetricsRegistry& metrics = GlobalMetrics();
  metrics.Counter("salesaudit_test_requests_total", "Requests in this test.", {"path"})
      .WithLabels({"/metrics"})
      .Increment(2);
  metrics
      .Histogram("salesaudit_test_request_duration_seconds", "Request durations in this test.",
                 {"path"}, {0.01, 0.1, 1})
      .WithLabels({"/metrics"})
      .Observe(0.05);
  metrics.Gauge("salesaudit_test_label_escaping", "Odd label values.", {"value"})
      .WithLabels({"quote \" backslash \\ newline \n end"})
      .Set(1);
  ServerUnderTest s;
  s.server().Handle("/metrics", [](const HttpRequestInfo&) {
    return HttpReply{.content_type = MetricsRegistry::kContentType,
                     .body = GlobalMetrics().RenderText()};
  });
  HttpResponse response = s.Fetch("/metrics");
  CHECK(response.status == 200);
  CHECK(response.Header("content-type") == "text/plain; version=0.0.4; charset=utf-8");
  auto parsed = ParsePrometheusText(response.body);
  INFO(response.body);
  INFO(parsed.status().message());
  REQUIRE(parsed.ok());
  CHECK(parsed->Value("salesaudit_test_requests_total", {{"path", "/metrics"}}) == 2);
  CHECK(parsed->Value("salesaudit_test_request_duration_seconds_bucket",
                      {{"path", "/metrics"}, {"le", "0.1"}}) == 1);
  CHECK(parsed->Value("salesaudit_test_label_escaping",
                      {{"value", "quote \" backslash \\ newline \n end"}}) == 1);
}

TEST_CASE("The config's status section sets the server's options", "[daemon][status_server]") {
  testing::TempDir dir;
  testing::WriteFile(dir.File("status.token"), "file-token\n");
  ConfigLoadResult loaded = LoadConfigText(
      "status:\n  listen: 127.0.0.1:0\n  token_file: status.token\n  max_connections: 3\n"
      "  request_timeout: 2s\n",
      dir.File("c.yaml"), {});
  INFO((loaded.errors.empty() ? std::string() : loaded.errors.front()));
  REQUIRE(loaded.config);
  const StatusServerOptions options = StatusServerOptions::FromConfig(loaded.config->status);
  CHECK(options.listen == "127.0.0.1:0");
  CHECK(options.token == "file-token");
  CHECK(options.max_connections == 3);
  CHECK(options.request_timeout == std::chrono::seconds(2));
  CHECK(options.write_timeout == std::chrono::seconds(2));
  CHECK(std::find(loaded.config->secrets.begin(), loaded.config->secrets.end(), "file-token") !=
        loaded.config->secrets.end());

  ConfigLoadResult defaults = LoadConfigText("store: {path: x.db}\n", "t.yaml", {});
  REQUIRE(defaults.config);
  CHECK(defaults.config->status.listen == "127.0.0.1:9464");
  CHECK(defaults.config->status.token.empty());
  CHECK(defaults.config->status.max_connections == 64);
  CHECK(defaults.config->status.request_timeout == std::chrono::seconds(10));

  CHECK(LoadConfigText("status: {listen: ''}\n", "t.yaml", {}).config->status.listen.empty());
  CHECK(LoadConfigText("status: {max_connections: 0}\n", "t.yaml", {}).errors ==
        std::vector<std::string>{"t.yaml:1:27: status.max_connections: must be at least 1"});
  CHECK(LoadConfigText("status: {request_timeout: 0s}\n", "t.yaml", {}).errors ==
        std::vector<std::string>{"t.yaml:1:27: status.request_timeout: must be longer than zero"});
  CHECK(LoadConfigText("status: {token: a, token_file: b}\n", "t.yaml", {}).errors.size() == 1);
  CHECK(LoadConfigText("status: {listen: '127.0.0.1:65536'}\n", "t.yaml", {}).errors.size() == 1);
}

}  // namespace
}  // namespace salesaudit

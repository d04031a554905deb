#include "net/http_client.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "tests/support/test_http_server.h"

namespace salesaudit {
namespace {

using namespace std::chrono_literals;

TestHttpResponse Json(std::string body) {
  return TestHttpResponse{.headers = {{"Content-Type", "application/json"}},
                          .body = std::move(body)};
}

TEST_CASE("requests of one client reuse one keep-alive connection") {
  TestHttpServer server;
  server.SetHandler([](const TestHttpRequest&) { return Json(R"({"ok":true})"); });
  HttpClient http({}, nullptr, nullptr);
  for (int i = 0; i < 3; ++i) {
    Result<HttpResponse> r = http.Send({.url = server.base_url() + "/crm/v3/owners"});
    REQUIRE(r.ok());
    CHECK(r->status == 200);
    CHECK(r->body == R"({"ok":true})");
  }
  CHECK(server.connections() == 1);
  CHECK(server.requests().size() == 3);
  CHECK(http.requests_sent() == 3);
}

TEST_CASE("a gzip-encoded body arrives decoded") {
  const std::string payload(5000, 'x');
  TestHttpServer server;
  server.SetHandler([&payload](const TestHttpRequest& request) {
    TestHttpResponse response = Json(GzipForTest(payload));
    if (request.Header("accept-encoding").find("gzip") != std::string::npos) {
      response.headers.push_back({"Content-Encoding", "gzip"});
    } else {
      response.status = 406;
    }
    return response;
  });
  HttpClient http({}, nullptr, nullptr);
  Result<HttpResponse> r = http.Send({.url = server.base_url() + "/big"});
  REQUIRE(r.ok());
  CHECK(r->status == 200);
  CHECK(r->Header("content-encoding") == "gzip");
  CHECK(r->body == payload);
}

TEST_CASE("method, headers and body reach the server and response headers come back lower-cased") {
  TestHttpServer server;
  server.SetHandler([](const TestHttpRequest&) {
    TestHttpResponse response = Json(R"({"id":"7"})");
    response.status = 201;
    response.headers.push_back({"X-HubSpot-RateLimit-Remaining", "99"});
    return response;
  });
  HttpClient http({}, nullptr, nullptr);
  Result<HttpResponse> r = http.Send(
      {.method = "POST",
       .url = server.base_url() + "/crm/v3/objects/contacts/search",
       .headers = {{"Content-Type", "application/json"}, {"Authorization", "Bearer pat-123"}},
       .body = R"({"limit":100})"});
  REQUIRE(r.ok());
  CHECK(r->status == 201);
  CHECK(r->Header("x-hubspot-ratelimit-remaining") == "99");
  CHECK(r->Header("absent") == "");
  REQUIRE(server.requests().size() == 1);
  const TestHttpRequest seen = server.requests()[0];
  CHECK(seen.method == "POST");
  CHECK(seen.target == "/crm/v3/objects/contacts/search");
  CHECK(seen.Header("authorization") == "Bearer pat-123");
  CHECK(seen.Header("content-type") == "application/json");
  CHECK(seen.body == R"({"limit":100})");
}

TEST_CASE("an HTTP error status is a response, not a transport failure") {
  TestHttpServer server;
  server.SetHandler([](const TestHttpRequest&) {
    TestHttpResponse response = Json(R"({"message":"down"})");
    response.status = 503;
    return response;
  });
  HttpClient http({}, nullptr, nullptr);
  Result<HttpResponse> r = http.Send({.url = server.base_url() + "/x"});
  REQUIRE(r.ok());
  CHECK(r->status == 503);
}

TEST_CASE("a response slower than the timeout is unavailable and names the path") {
  TestHttpServer server;
  server.SetHandler([](const TestHttpRequest&) {
    TestHttpResponse response = Json("{}");
    response.delay = 10s;
    return response;
  });
  HttpClient http({.timeout = 200ms}, nullptr, nullptr);
  Result<HttpResponse> r =
      http.Send({.url = server.base_url() + "/crm/v3/objects/contacts?hapikey=sekrit-key"});
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kUnavailable);
  CHECK(r.status().retryable());
  CHECK_THAT(r.status().message(), Catch::StartsWith("GET /crm/v3/objects/contacts: timed out"));
  CHECK_THAT(r.status().message(), !Catch::Contains("sekrit"));

  // The aborted transfer leaves the client usable for the next request.
  server.SetHandler([](const TestHttpRequest&) { return Json("{}"); });
  Result<HttpResponse> next = http.Send({.url = server.base_url() + "/crm/v3/owners"});
  REQUIRE(next.ok());
  CHECK(next->status == 200);
}

TEST_CASE("a body cut short of its Content-Length is unavailable, not accepted") {
  TestHttpServer server;
  server.SetHandler([](const TestHttpRequest&) {
    TestHttpResponse response = Json(std::string(100, 'a'));
    response.close_after_body_bytes = 10;
    return response;
  });
  HttpClient http({}, nullptr, nullptr);
  Result<HttpResponse> r = http.Send({.url = server.base_url() + "/crm/v3/owners"});
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kUnavailable);
  CHECK_THAT(r.status().message(), Catch::StartsWith("GET /crm/v3/owners: truncated body"));
}

TEST_CASE("an answer is stamped with the time it arrived by the client's clock") {
  TestHttpServer server;
  server.SetHandler([](const TestHttpRequest&) { return Json("{}"); });
  ManualClock clock(1'700'000'000'000);
  HttpClient http({}, nullptr, nullptr, clock);
  Result<HttpResponse> r = http.Send({.url = server.base_url() + "/x"});
  REQUIRE(r.ok());
  CHECK(r->received_at == std::chrono::system_clock::time_point(1'700'000'000'000ms));
  CHECK(&http.clock() == &clock);
}

TEST_CASE("setting the cancel flag aborts a slow request with kCancelled") {
  TestHttpServer server;
  server.SetHandler([](const TestHttpRequest&) {
    TestHttpResponse response = Json("{}");
    response.delay = 30s;
    return response;
  });
  std::atomic<bool> cancel{false};
  HttpClient http({}, nullptr, &cancel);
  std::thread canceller([&cancel] {
    std::this_thread::sleep_for(100ms);
    cancel = true;
  });
  const auto start = std::chrono::steady_clock::now();
  Result<HttpResponse> r = http.Send({.url = server.base_url() + "/slow"});
  const auto elapsed = std::chrono::steady_clock::now() - start;
  canceller.join();
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kCancelled);
  CHECK(r.status().message() == "GET /slow: cancelled");
  // Far below the server's 30 s delay: the transfer was aborted, not awaited.
  CHECK(elapsed < 10s);
}

TEST_CASE("a client whose cancel flag is already set sends nothing") {
  TestHttpServer server;
  std::atomic<bool> cancel{true};
  HttpClient http({}, nullptr, &cancel);
  Result<HttpResponse> r = http.Send({.url = server.base_url() + "/x"});
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kCancelled);
  CHECK(server.requests().empty());
  CHECK(http.requests_sent() == 0);
}

TEST_CASE("an answer's stated rate limit reaches the request budget") {
  TestHttpServer server;
  server.SetHandler([](const TestHttpRequest&) {
    TestHttpResponse response = Json("{}");
    response.headers.push_back({"X-Limit", "20"});
    return response;
  });
  ManualClock clock;
  RequestBudget budget(clock);
  budget.SetBucket("", {.requests = 100, .per = std::chrono::seconds(2)});
  HttpClient::Options options;
  options.read_rate_limit = [](const HttpResponse& r) -> std::optional<VendorRateLimit> {
    if (r.Header("x-limit").empty()) return std::nullopt;
    return VendorRateLimit{.limit = std::stoi(r.Header("x-limit")), .per = 2s};
  };
  HttpClient http(options, &budget, nullptr, clock);
  REQUIRE(http.Send({.url = server.base_url() + "/first"}).ok());
  CHECK(budget.DefaultLimit().requests == 20);
}

TEST_CASE("waiting for an empty request budget ends with kCancelled when cancelled") {
  TestHttpServer server;
  server.SetHandler([](const TestHttpRequest&) { return Json("{}"); });
  ManualClock clock;
  RequestBudget budget(clock);
  budget.SetBucket("", {.requests = 1, .per = std::chrono::hours(1)});
  std::atomic<bool> cancel{false};
  HttpClient http({}, &budget, &cancel, clock);
  REQUIRE(http.Send({.url = server.base_url() + "/first"}).ok());
  bool waited = false;
  std::thread canceller([&] {
    // Once the second request waits for the budget (an hour on this clock).
    waited = clock.AwaitWaiters(1, 10s);
    cancel = true;
  });
  Result<HttpResponse> r = http.Send({.url = server.base_url() + "/second"});
  canceller.join();
  CHECK(waited);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kCancelled);
  CHECK_THAT(r.status().message(), Catch::StartsWith("GET /second: cancelled"));
  CHECK(server.requests().size() == 1);
}

TEST_CASE("connection errors never show the query string or header values") {
  uint16_t closed_port = 0;
  {
    TestHttpServer server;
    closed_port = server.port();
  }
  HttpClient http({.connect_timeout = 2s}, nullptr, nullptr);
  Result<HttpResponse> r =
      http.Send({.url = "http://127.0.0.1:" + std::to_string(closed_port) +
                        "/crm/v3/objects/contacts?hapikey=sekrit-key&after=abc",
                 .headers = {{"Authorization", "Bearer pat-na1-sekrit-token"}}});
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kUnavailable);
  CHECK_THAT(r.status().message(), Catch::StartsWith("GET /crm/v3/objects/contacts: "));
  CHECK_THAT(r.status().message(), !Catch::Contains("sekrit"));
  CHECK_THAT(r.status().message(), !Catch::Contains("hapikey"));
}

TEST_CASE("a malformed request is an internal error") {
  HttpClient http({}, nullptr, nullptr);
  Result<HttpResponse> bad_method = http.Send({.method = "GET /x", .url = "http://127.0.0.1/"});
  CHECK(bad_method.status().code() == StatusCode::kInternal);
  Result<HttpResponse> no_url = http.Send({.url = ""});
  CHECK(no_url.status().code() == StatusCode::kInternal);
  Result<HttpResponse> ftp = http.Send({.url = "ftp://127.0.0.1/file"});
  CHECK(ftp.status().code() == StatusCode::kInternal);
}

TEST_CASE("UrlPath keeps only the path of a URL") {
  CHECK(UrlPath("https://api.hubapi.com/crm/v3/objects/contacts?limit=100&after=5") ==
        "/crm/v3/objects/contacts");
  CHECK(UrlPath("https://api.hubapi.com") == "/");
  CHECK(UrlPath("https://api.hubapi.com?hapikey=x") == "/");
  CHECK(UrlPath("http://127.0.0.1:8080/a/b#frag") == "/a/b");
  CHECK(UrlPath("/relative/path?q=1") == "/relative/path");
}

TEST_CASE("UrlEncode percent-encodes everything but unreserved characters") {
  CHECK(UrlEncode("abcXYZ019-._~") == "abcXYZ019-._~");
  CHECK(UrlEncode("a b&c=d/e?") == "a%20b%26c%3Dd%2Fe%3F");
  CHECK(UrlEncode("é") == "%C3%A9");
  CHECK(UrlEncode("") == "");
}

}  // namespace
}  // namespace salesaudit

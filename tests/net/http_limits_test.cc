// HttpClient against a hostile server over loopback: bodies that decode past
// the limit, bodies trickled slower than the timeout, URLs no server takes.
#include <sys/resource.h>

#include <catch2/catch.hpp>
#include <chrono>

#include "net/http_client.h"
#include "tests/support/hostile_http_server.h"

namespace salesaudit {
namespace {

using namespace std::chrono_literals;

constexpr size_t kMiB = 1024 * 1024;

long PeakRssKiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

TEST_CASE("a gzip bomb is cut at the body limit and fails naming method, path and limit") {
  HostileHttpServer server;
  server.Serve("/crm/v3/objects/contacts", hostile::GzipBomb(1024 * kMiB));
  HttpClient http({}, nullptr, nullptr);  // the default limit, 16 MiB
  const long rss_before = PeakRssKiB();
  Result<HttpResponse> r =
      http.Send({.url = server.base_url() + "/crm/v3/objects/contacts?limit=100"});
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kPermanent);
  CHECK_FALSE(r.status().retryable());
  CHECK_THAT(r.status().message(), Catch::StartsWith("GET /crm/v3/objects/contacts: "));
  CHECK_THAT(r.status().message(), Catch::Contains("16777216-byte limit (max_response_size)"));
  CHECK_THAT(r.status().message(), !Catch::Contains("limit=100"));
  // The gigabyte was never held: the peak grew by about the limit at most
  // (the string doubles past 8 MiB), not by the decoded size.
  INFO("peak RSS before " << rss_before << " KiB, after " << PeakRssKiB() << " KiB");
  CHECK(PeakRssKiB() - rss_before < 48 * 1024);
  // The client stays usable.
  server.Serve("/crm/v3/objects/contacts", hostile::Json(200, R"({"results":[]})"));
  Result<HttpResponse> next = http.Send({.url = server.base_url() + "/crm/v3/objects/contacts"});
  REQUIRE(next.ok());
  CHECK(next->body == R"({"results":[]})");
}

TEST_CASE("a gzip body that decodes to just under the limit arrives whole") {
  HostileHttpServer server;
  server.Serve("/page", hostile::GzipBomb(2 * kMiB));
  HttpClient http(HttpClient::Options{.max_response_bytes = 2 * kMiB}, nullptr, nullptr);
  Result<HttpResponse> r = http.Send({.url = server.base_url() + "/page"});
  REQUIRE(r.ok());
  CHECK(r->body.size() == 2 * kMiB);
  CHECK(r->body.substr(0, 13) == R"({"results":[])");
  CHECK(r->body.back() == '}');

  HttpClient smaller(HttpClient::Options{.max_response_bytes = 2 * kMiB - 1}, nullptr, nullptr);
  Result<HttpResponse> over = smaller.Send({.url = server.base_url() + "/page"});
  REQUIRE_FALSE(over.ok());
  CHECK_THAT(over.status().message(), Catch::Contains("2097151-byte limit"));
}

TEST_CASE("only gzip and deflate are offered, whose decoders need no large window") {
  HostileHttpServer server;
  server.Serve("/x", hostile::Json(200, "{}"));
  HttpClient http({}, nullptr, nullptr);
  REQUIRE(http.Send({.url = server.base_url() + "/x"}).ok());
  CHECK(server.requests().at(0).Header("accept-encoding") == "gzip, deflate");
}

TEST_CASE("a body trickled slower than the timeout is cut at the timeout") {
  HostileHttpServer server;
  // 400 bytes at one byte per 25 ms would take 10 s.
  server.Serve("/crm/v3/owners", hostile::SlowDrip(std::string(400, ' '), 1, 25ms));
  HttpClient http(HttpClient::Options{.timeout = 400ms}, nullptr, nullptr);
  const auto started = std::chrono::steady_clock::now();
  Result<HttpResponse> r = http.Send({.url = server.base_url() + "/crm/v3/owners"});
  const auto took = std::chrono::steady_clock::now() - started;
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kUnavailable);
  CHECK_THAT(r.status().message(), Catch::StartsWith("GET /crm/v3/owners: timed out"));
  CHECK(took >= 350ms);  // curl times in whole milliseconds of its own
  CHECK(took < 5s);      // far below the 10 s the whole body takes
}

TEST_CASE("a URL over 64 KiB is refused without sending anything") {
  HostileHttpServer server;
  HttpClient http({}, nullptr, nullptr);
  const std::string url =
      server.base_url() + "/crm/v3/objects/contacts?after=" + std::string(10 * kMiB, 'x');
  Result<HttpResponse> r = http.Send({.url = url});
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kPermanent);
  CHECK(r.status().message() == "GET /crm/v3/objects/contacts: URL of " +
                                    std::to_string(url.size()) +
                                    " bytes is over the 65536-byte limit; not sent");
  CHECK(server.requests().empty());
  CHECK(http.requests_sent() == 0);
}

TEST_CASE("hostile bodies arrive byte for byte: invalid UTF-8, NUL and echoed credentials") {
  HostileHttpServer server;
  const std::string body = std::string(R"({"name":")") + hostile::kInvalidUtf8 + R"(","note":")" +
                           hostile::kEscapedNul + R"(","raw":")" + std::string(1, '\0') + R"("})";
  server.Serve("/values", hostile::Json(200, body));
  server.Serve("/echo", hostile::EchoError(401, hostile::Echo::kAuthorization));
  server.Serve("/form", hostile::EchoError(400, hostile::Echo::kBody));
  HttpClient http({}, nullptr, nullptr);
  Result<HttpResponse> values = http.Send({.url = server.base_url() + "/values"});
  REQUIRE(values.ok());
  CHECK(values->body == body);
  Result<HttpResponse> echo = http.Send(
      {.url = server.base_url() + "/echo", .headers = {{"Authorization", "Bearer pat-secret"}}});
  REQUIRE(echo.ok());
  CHECK(echo->status == 401);
  CHECK(echo->body == R"({"status":"error","message":"rejected: Bearer pat-secret"})");
  Result<HttpResponse> form = http.Send({.method = "POST",
                                         .url = server.base_url() + "/form",
                                         .body = "client_secret=s3cr3t&grant_type=x"});
  REQUIRE(form.ok());
  CHECK(form->body ==
        R"({"status":"error","message":"rejected: client_secret=s3cr3t&grant_type=x"})");
}

}  // namespace
}  // namespace salesaudit

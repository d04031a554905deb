#include "connectors/classify.h"

#include <catch2/catch.hpp>

#include "core/secret_registry.h"

namespace salesaudit {
namespace {

using namespace std::chrono_literals;

const HttpRequest kRequest{
    .url = "https://api.hubapi.com/crm/v3/objects/contacts?limit=100&hapikey=sekrit-key",
    .headers = {{"Authorization", "Bearer pat-na1-sekrit-token"}}};

HttpResponse WithStatus(long status, std::string body = "",
                        std::map<std::string, std::string> headers = {}) {
  return HttpResponse{.status = status, .headers = std::move(headers), .body = std::move(body)};
}

TEST_CASE("HTTP statuses map to the status codes the engine acts on") {
  struct Case {
    long status;
    StatusCode code;
  };
  const Case cases[] = {
      {200, StatusCode::kOk},
      {204, StatusCode::kOk},
      {301, StatusCode::kPermanent},
      {400, StatusCode::kPermanent},
      {401, StatusCode::kUnauthenticated},
      {402, StatusCode::kPermissionDenied},
      {403, StatusCode::kPermissionDenied},
      {404, StatusCode::kPermanent},
      {408, StatusCode::kUnavailable},
      {409, StatusCode::kPermanent},
      {422, StatusCode::kPermanent},
      {429, StatusCode::kRateLimited},
      {500, StatusCode::kUnavailable},
      {502, StatusCode::kUnavailable},
      {503, StatusCode::kUnavailable},
      {504, StatusCode::kUnavailable},
  };
  for (const Case& c : cases) {
    INFO("HTTP " << c.status);
    CHECK(ClassifyHttpResponse(kRequest, WithStatus(c.status), "contacts").code() == c.code);
  }
}

TEST_CASE("the message names context, method, path and status but not the query") {
  Status s = ClassifyHttpResponse(kRequest, WithStatus(503, "<html>busy</html>"),
                                  "hubspot[crm]: contacts");
  CHECK(s.message() == "hubspot[crm]: contacts: GET /crm/v3/objects/contacts: HTTP 503");
  Status no_context = ClassifyHttpResponse(kRequest, WithStatus(404), "");
  CHECK(no_context.message() == "GET /crm/v3/objects/contacts: HTTP 404");
}

TEST_CASE("the vendor's error text is appended: HubSpot message, problem+json title and detail") {
  Status hubspot = ClassifyHttpResponse(
      kRequest,
      WithStatus(400, R"({"status":"error","message":"Property values were not valid",)"
                      R"("category":"VALIDATION_ERROR"})"),
      "deals");
  CHECK(hubspot.message() ==
        "deals: GET /crm/v3/objects/contacts: HTTP 400: Property values were not valid");

  Status mailchimp = ClassifyHttpResponse(
      kRequest,
      WithStatus(400, R"({"type":"x","title":"Invalid Resource","status":400,)"
                      R"("detail":"The resource submitted could not be validated."})"),
      "members");
  CHECK(mailchimp.message() ==
        "members: GET /crm/v3/objects/contacts: HTTP 400: Invalid Resource: The resource "
        "submitted could not be validated.");

  Status title_only = ClassifyHttpResponse(
      kRequest, WithStatus(429, R"({"title":"Too Many Requests"})"), "members");
  CHECK(title_only.message() ==
        "members: GET /crm/v3/objects/contacts: HTTP 429: Too Many Requests");
}

TEST_CASE("Salesforce's error arrays and OAuth errors are named by their codes") {
  Status array = ClassifyHttpResponse(
      kRequest,
      WithStatus(400, R"([{"message":"unexpected token: FORM","errorCode":"MALFORMED_QUERY"},)"
                      R"({"message":"second","errorCode":"INVALID_FIELD","fields":["X"]}])"),
      "leads");
  CHECK(array.message() ==
        "leads: GET /crm/v3/objects/contacts: HTTP 400: MALFORMED_QUERY: unexpected token: "
        "FORM; INVALID_FIELD: second");
  CHECK(VendorErrorCode(WithStatus(400, R"([{"message":"x","errorCode":"MALFORMED_QUERY"}])")) ==
        "MALFORMED_QUERY");

  Status oauth = ClassifyHttpResponse(
      kRequest,
      WithStatus(400,
                 R"({"error":"invalid_grant","error_description":"expired access/refresh token"})"),
      "token");
  CHECK(
      oauth.message() ==
      "token: GET /crm/v3/objects/contacts: HTTP 400: invalid_grant: expired access/refresh token");
  CHECK(VendorErrorCode(WithStatus(400, R"({"error":"invalid_grant"})")) == "invalid_grant");
  CHECK(VendorErrorCode(WithStatus(400, "[]")) == "");
  CHECK(VendorErrorCode(WithStatus(503, "<html>busy</html>")) == "");
}

TEST_CASE(
    "vendor text is cut to 200 characters on one line and bodies that are not JSON are ignored") {
  Status long_text = ClassifyHttpResponse(
      kRequest, WithStatus(500, R"({"message":")" + std::string(500, 'z') + R"(\nmore"})"), "c");
  const std::string prefix = "c: GET /crm/v3/objects/contacts: HTTP 500: ";
  REQUIRE_THAT(long_text.message(), Catch::StartsWith(prefix));
  CHECK(long_text.message().substr(prefix.size()) == std::string(200, 'z') + "...");

  Status multiline = ClassifyHttpResponse(kRequest, WithStatus(500, R"({"message":"a\nb"})"), "c");
  CHECK(multiline.message() == prefix + "a b");

  CHECK(ClassifyHttpResponse(kRequest, WithStatus(502, "Bad Gateway"), "c").message() ==
        "c: GET /crm/v3/objects/contacts: HTTP 502");
  CHECK(ClassifyHttpResponse(kRequest, WithStatus(502, R"({"message":)"), "c").message() ==
        "c: GET /crm/v3/objects/contacts: HTTP 502");
}

TEST_CASE("vendor text that echoes the token or the query is redacted") {
  Status s = ClassifyHttpResponse(
      kRequest,
      WithStatus(
          401,
          R"({"message":"Authentication credentials not found: Bearer pat-na1-sekrit-token, key sekrit-key"})"),
      "owners");
  CHECK(s.code() == StatusCode::kUnauthenticated);
  CHECK_THAT(s.message(), !Catch::Contains("sekrit"));
  CHECK_THAT(s.message(), Catch::Contains("[redacted]"));
}

TEST_CASE("vendor text quoting a secret the process holds is redacted, even across the cut") {
  // The request does not carry it: HubSpot adds its Authorization header to
  // a copy, and a token endpoint's form is in the body.
  ProcessSecrets().Add("process-held-secret-77");
  Status quoted = ClassifyHttpResponse(
      kRequest, WithStatus(401, R"({"message":"token process-held-secret-77 refused"})"), "c");
  CHECK(quoted.message() == "c: GET /crm/v3/objects/contacts: HTTP 401: token [redacted] refused");
  // Where the 200-character cut falls inside the secret, no part of it stays.
  Status cut = ClassifyHttpResponse(
      kRequest,
      WithStatus(500, R"({"message":")" + std::string(190, 'z') + R"(process-held-secret-77"})"),
      "c");
  CHECK_THAT(cut.message(), !Catch::Contains("process-held"));
  CHECK_THAT(cut.message(), Catch::Contains(std::string(190, 'z') + "[redacted]"));
}

TEST_CASE("a 429 takes its wait from Retry-After in seconds") {
  Status s = ClassifyHttpResponse(kRequest, WithStatus(429, "", {{"retry-after", "7"}}), "c");
  CHECK(s.code() == StatusCode::kRateLimited);
  REQUIRE(s.retry_after().has_value());
  CHECK(*s.retry_after() == 7000ms);
}

TEST_CASE("a 429 without Retry-After waits HubSpot's interval when its window is spent") {
  Status spent = ClassifyHttpResponse(
      kRequest,
      WithStatus(429, R"({"message":"You have reached your ten_secondly_rolling limit."})",
                 {{"x-hubspot-ratelimit-remaining", "0"},
                  {"x-hubspot-ratelimit-interval-milliseconds", "10000"}}),
      "c");
  REQUIRE(spent.retry_after().has_value());
  CHECK(*spent.retry_after() == 10000ms);
  CHECK_THAT(spent.message(), Catch::EndsWith("You have reached your ten_secondly_rolling limit."));

  Status left =
      ClassifyHttpResponse(kRequest,
                           WithStatus(429, "",
                                      {{"x-hubspot-ratelimit-remaining", "4"},
                                       {"x-hubspot-ratelimit-interval-milliseconds", "10000"}}),
                           "c");
  CHECK(left.code() == StatusCode::kRateLimited);
  CHECK_FALSE(left.retry_after().has_value());

  Status bare = ClassifyHttpResponse(kRequest, WithStatus(429), "c");
  CHECK_FALSE(bare.retry_after().has_value());
}

TEST_CASE("a Pipedrive 429 waits for its window's reset and names the error and its info") {
  Status s = ClassifyHttpResponse(
      kRequest,
      WithStatus(429,
                 R"({"success":false,"error":"Request over limit","error_info":"Please check )"
                 R"(developers.pipedrive.com","data":null,"additional_data":null})",
                 {{"x-ratelimit-limit", "80"},
                  {"x-ratelimit-remaining", "0"},
                  {"x-ratelimit-reset", "2"}}),
      "c");
  CHECK(s.code() == StatusCode::kRateLimited);
  REQUIRE(s.retry_after().has_value());
  CHECK(*s.retry_after() == 2000ms);
  CHECK_THAT(
      s.message(),
      Catch::EndsWith("HTTP 429: Request over limit: Please check developers.pipedrive.com"));
  Status closed = ClassifyHttpResponse(
      kRequest, WithStatus(402, R"({"success":false,"error":"Company account is not open"})"), "c");
  CHECK(closed.code() == StatusCode::kPermissionDenied);
  CHECK_THAT(closed.message(), Catch::EndsWith("HTTP 402: Company account is not open"));
}

TEST_CASE("Retry-After wins over HubSpot's rate-limit headers") {
  HttpResponse r = WithStatus(429, "",
                              {{"retry-after", "2"},
                               {"x-hubspot-ratelimit-remaining", "0"},
                               {"x-hubspot-ratelimit-interval-milliseconds", "10000"}});
  CHECK(RetryAfterFromHeaders(r, std::chrono::system_clock::now()) == 2000ms);
}

TEST_CASE("a 429's Retry-After date counts from when the answer arrived") {
  HttpResponse r = WithStatus(429, "", {{"retry-after", "Sun, 06 Nov 1994 08:49:37 GMT"}});
  r.received_at = std::chrono::sys_days(std::chrono::year(1994) / 11 / 6) + 8h + 49min + 7s;
  Status s = ClassifyHttpResponse(kRequest, r, "c");
  REQUIRE(s.retry_after().has_value());
  CHECK(*s.retry_after() == 30000ms);
}

TEST_CASE("Retry-After parses delta seconds and HTTP dates") {
  // Sun, 06 Nov 1994 08:49:37 GMT
  const auto now = std::chrono::sys_days(std::chrono::year(1994) / 11 / 6) + 8h + 49min + 7s;
  struct Case {
    const char* value;
    std::optional<std::chrono::milliseconds> wait;
  };
  const Case cases[] = {
      {"0", 0ms},
      {"120", 120000ms},
      {" 3 ", 3000ms},
      {"Sun, 06 Nov 1994 08:49:37 GMT", 30000ms},
      {"Sun, 06 Nov 1994 08:48:00 GMT", 0ms},  // in the past
      {"Mon, 07 Nov 1994 00:00:00 GMT", 15h + 10min + 53s},
      {"", std::nullopt},
      {"-5", std::nullopt},
      {"1.5", std::nullopt},
      {"soon", std::nullopt},
      {"Sunday, 06-Nov-94 08:49:37 GMT", std::nullopt},  // obsolete RFC 850 form
      {"Sun, 31 Feb 1994 08:49:37 GMT", std::nullopt},
      // RFC 9111 1.2.2: a delta too large to represent counts as 2^31 s.
      {"99999999999999999999", std::chrono::seconds(int64_t{1} << 31)},
      {"2147483649", std::chrono::seconds(int64_t{1} << 31)},
      // Past the system clock's nanosecond range (2262): no overflow.
      {"Fri, 31 Dec 9999 23:59:59 GMT", std::chrono::sys_days(std::chrono::year(9999) / 12 / 31) +
                                            23h + 59min + 59s -
                                            std::chrono::floor<std::chrono::seconds>(now)},
  };
  for (const Case& c : cases) {
    INFO("Retry-After: '" << c.value << "'");
    CHECK(ParseRetryAfter(c.value, now) == c.wait);
  }
}

TEST_CASE("an error body nested 150,000 deep is classified by its status alone") {
  const std::string nested =
      R"({"message":)" + std::string(150000, '[') + std::string(150000, ']') + "}";
  Status s = ClassifyHttpResponse(kRequest, WithStatus(500, nested), "contacts");
  CHECK(s.code() == StatusCode::kUnavailable);
  CHECK(s.message() == "contacts: GET /crm/v3/objects/contacts: HTTP 500");
}

TEST_CASE("an error body over 64 KiB is not read for its message") {
  const std::string big = R"({"message":"quota)" + std::string(70 * 1024, ' ') + R"("})";
  Status s = ClassifyHttpResponse(kRequest, WithStatus(400, big), "contacts");
  CHECK(s.code() == StatusCode::kPermanent);
  CHECK_THAT(s.message(), Catch::EndsWith("HTTP 400"));
}

}  // namespace
}  // namespace salesaudit

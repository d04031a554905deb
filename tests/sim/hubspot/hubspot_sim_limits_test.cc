// The HubSpot simulator over real HTTP: tokens, the rate limits and the
// faults tests inject, answered as HubSpot answers them.
#include <rapidjson/document.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "tests/sim/hubspot/hubspot_sim.h"
#include "tests/sim/hubspot/hubspot_sim_fixtures.h"
#include "tests/support/subprocess.h"

namespace salesaudit::sim {
namespace {

using fixtures::Fixture;
using fixtures::Http;
using fixtures::HttpResult;
using fixtures::Json;
using fixtures::kToken;
using fixtures::Search;
using fixtures::SearchById;

TEST_CASE("a wrong or missing token is answered 401 INVALID_AUTHENTICATION") {
  Fixture f;
  for (const std::string& token : {std::string("wrong"), std::string()}) {
    HttpResult r = Http(f.url + "/crm/v3/objects/contacts", token);
    CHECK(r.status == 401);
    rapidjson::Document doc = Json(r.body);
    CHECK(std::string(doc["category"].GetString()) == "INVALID_AUTHENTICATION");
    CHECK(doc.HasMember("correlationId"));
  }
  f.sim.SetToken("rotated");
  CHECK(Http(f.url + "/crm/v3/owners").status == 401);
  CHECK(Http(f.url + "/crm/v3/owners", "rotated").status == 200);
}

TEST_CASE("the ten-secondly limit sends rate-limit headers and a documented 429 body") {
  SimOptions options;
  options.ten_secondly_limit = 3;
  Fixture f(250, 60, options);
  HttpResult first = Http(f.url + "/crm/v3/owners");
  CHECK(first.headers["x-hubspot-ratelimit-max"] == "3");
  CHECK(first.headers["x-hubspot-ratelimit-remaining"] == "2");
  CHECK(first.headers["x-hubspot-ratelimit-interval-milliseconds"] == "10000");
  CHECK(first.has_header("x-hubspot-ratelimit-secondly"));
  CHECK(first.has_header("x-hubspot-ratelimit-secondly-remaining"));
  // Search is limited separately and carries no rate-limit headers.
  HttpResult search = Http(f.url + "/crm/v3/objects/deals/search", kToken, "{}");
  CHECK(search.status == 200);
  CHECK_FALSE(search.has_header("x-hubspot-ratelimit-max"));
  Http(f.url + "/crm/v3/owners");
  Http(f.url + "/crm/v3/owners");
  HttpResult limited = Http(f.url + "/crm/v3/owners");
  CHECK(limited.status == 429);
  CHECK(limited.headers["x-hubspot-ratelimit-remaining"] == "0");
  CHECK_FALSE(limited.has_header("retry-after"));
  rapidjson::Document doc = Json(limited.body);
  CHECK(std::string(doc["errorType"].GetString()) == "RATE_LIMIT");
  CHECK(std::string(doc["policyName"].GetString()) == "TEN_SECONDLY_ROLLING");
  CHECK(std::string(doc["message"].GetString()) ==
        "You have reached your ten_secondly_rolling limit.");
}

TEST_CASE("the search limit answers 429 SECONDLY without headers or Retry-After") {
  SimOptions options;
  options.search_per_second_limit = 1;
  ManualClock clock;
  Fixture f(250, 60, options, clock);
  const std::string url = f.url + "/crm/v3/objects/contacts/search";
  CHECK(Http(url, kToken, "{}").status == 200);
  // The simulator's clock has not moved: the same second.
  HttpResult second = Http(url, kToken, "{}");
  REQUIRE(second.status == 429);
  CHECK(std::string(Json(second.body)["policyName"].GetString()) == "SECONDLY");
  CHECK_FALSE(second.has_header("retry-after"));
  CHECK_FALSE(second.has_header("x-hubspot-ratelimit-remaining"));
  clock.Advance(std::chrono::milliseconds(999));
  CHECK(Http(url, kToken, "{}").status == 429);
  clock.Advance(std::chrono::milliseconds(1));  // the first search left the window
  CHECK(Http(url, kToken, "{}").status == 200);
}

TEST_CASE("the index lag passes on the simulator's clock, not in real time") {
  SimOptions options = SimOptions::WithoutRateLimits();
  options.index_lag_ms = 60'000;
  ManualClock clock;
  Fixture f(250, 60, options, clock);
  const std::string fresh = f.sim.AddContacts(1).front();
  CHECK(SearchById(f.url, "contacts", fresh, R"(["firstname"])")["total"].GetInt64() == 0);
  clock.Advance(std::chrono::milliseconds(59'999));
  CHECK(SearchById(f.url, "contacts", fresh, R"(["firstname"])")["total"].GetInt64() == 0);
  clock.Advance(std::chrono::milliseconds(1));
  CHECK(SearchById(f.url, "contacts", fresh, R"(["firstname"])")["total"].GetInt64() == 1);
}

TEST_CASE("injected 429s come with and without Retry-After on matching paths only") {
  Fixture f;
  f.sim.InjectFault({FaultKind::kRateLimitWithRetryAfter, "/crm/v3/objects/deals", 1, 0});
  f.sim.InjectFault({FaultKind::kRateLimitWithoutRetryAfter, "", 1, 0});
  CHECK(Http(f.url + "/crm/v3/owners").status == 429);  // only the second fault matches
  HttpResult with = Http(f.url + "/crm/v3/objects/deals");
  CHECK(with.status == 429);
  CHECK(with.headers["retry-after"] == "1");
  CHECK(std::string(Json(with.body)["policyName"].GetString()) == "TEN_SECONDLY_ROLLING");
  CHECK(Http(f.url + "/crm/v3/objects/deals").status == 200);
}

TEST_CASE("injected server errors alternate a 502 HTML page and a 503 JSON body") {
  Fixture f;
  f.sim.InjectFault({FaultKind::kServerError, "", 2, 0});
  HttpResult first = Http(f.url + "/crm/v3/owners");
  HttpResult second = Http(f.url + "/crm/v3/owners");
  CHECK(first.status == 502);
  CHECK(first.headers["content-type"].starts_with("text/html"));
  CHECK(second.status == 503);
  CHECK(Json(second.body).HasMember("correlationId"));
  CHECK(Http(f.url + "/crm/v3/owners").status == 200);
  CHECK(f.sim.Stats().by_status[502] == 1);
}

TEST_CASE("an injected truncated response closes the connection mid-body") {
  Fixture f;
  f.sim.InjectFault({FaultKind::kTruncated, "/crm/v3/objects/contacts", 1, 0});
  HttpResult r = Http(f.url + "/crm/v3/objects/contacts?limit=50");
  CHECK(r.code == CURLE_PARTIAL_FILE);
  CHECK(Http(f.url + "/crm/v3/objects/contacts?limit=50").code == CURLE_OK);
}

TEST_CASE("an injected slow response does not hold up other connections") {
  Fixture f;
  f.sim.InjectFault({FaultKind::kSlow, "/crm/v3/owners", 1, 1500});
  std::atomic<bool> slow_done{false};
  HttpResult slow;
  std::thread t([&] {
    slow = Http(f.url + "/crm/v3/owners");
    slow_done = true;
  });
  // Bounded: a request that never arrives fails the test instead of hanging
  // it (a CHECK, so that the thread is still joined).
  CHECK(testing::WaitFor([&] { return f.sim.Stats().by_path["/crm/v3/owners"] > 0; },
                         std::chrono::seconds(10)));
  CHECK(Http(f.url + "/crm/v3/objects/contacts").status == 200);
  CHECK_FALSE(slow_done);
  t.join();
  CHECK(slow.status == 200);
}

TEST_CASE("an injected daily limit answers 429 DAILY with daily headers and no Retry-After") {
  Fixture f;
  f.sim.InjectFault({FaultKind::kDailyLimit, "/crm/v3/objects/contacts", 1, 0});
  HttpResult r = Http(f.url + "/crm/v3/objects/contacts");
  CHECK(r.status == 429);
  CHECK(r.headers["x-hubspot-ratelimit-daily"] == "250000");
  CHECK(r.headers["x-hubspot-ratelimit-daily-remaining"] == "0");
  CHECK_FALSE(r.has_header("retry-after"));
  rapidjson::Document doc = Json(r.body);
  CHECK(std::string(doc["status"].GetString()) == "error");
  CHECK(std::string(doc["message"].GetString()) == "You have reached your daily limit.");
  CHECK(std::string(doc["errorType"].GetString()) == "RATE_LIMIT");
  CHECK(std::string(doc["policyName"].GetString()) == "DAILY");
  CHECK(doc.HasMember("correlationId"));
  CHECK(Http(f.url + "/crm/v3/objects/contacts").status == 200);
}

TEST_CASE("an injected missing scope answers 403 MISSING_SCOPES naming the path's scope") {
  Fixture f;
  f.sim.InjectFault({FaultKind::kMissingScopes, "/crm/v3/owners", 1, 0});
  HttpResult r = Http(f.url + "/crm/v3/owners");
  CHECK(r.status == 403);
  rapidjson::Document doc = Json(r.body);
  CHECK(std::string(doc["status"].GetString()) == "error");
  CHECK(std::string(doc["category"].GetString()) == "MISSING_SCOPES");
  CHECK(std::string(doc["message"].GetString()) ==
        "This app hasn't been granted all required scopes to make this call. Read more about "
        "required scopes here: https://developers.hubspot.com/scopes.");
  CHECK(doc.HasMember("correlationId"));
  REQUIRE(doc["errors"].Size() == 1);
  CHECK(std::string(doc["errors"][0]["message"].GetString()) ==
        "One or more of the following scopes are required.");
  const auto& scopes = doc["errors"][0]["context"]["requiredGranularScopes"];
  REQUIRE(scopes.Size() == 1);
  CHECK(std::string(scopes[0].GetString()) == "crm.objects.owners.read");
  CHECK(std::string(doc["links"]["scopes"].GetString()) == "https://developers.hubspot.com/scopes");
  CHECK(Http(f.url + "/crm/v3/owners").status == 200);
}

}  // namespace
}  // namespace salesaudit::sim

// The Pipedrive simulator's front checked over real HTTP: the token (header
// or query parameter) and the gateway's 401, the 2-second window with its
// headers and 429, the daily token budget, the injected faults, and the
// `pipedrive-sim` binary.
#include <signal.h>

#include <chrono>

#include "tests/sim/pipedrive/pipedrive_sim_fixture.h"
#include "tests/support/subprocess.h"

namespace salesaudit::sim {
namespace {

using testing::EnvelopeError;
using testing::Fixture;
using testing::Http;
using testing::Json;
using testing::Reply;

PipedriveSimOptions Limited(int per_window) {
  PipedriveSimOptions options;
  options.rate_limit = per_window;
  return options;
}

TEST_CASE("a missing or wrong token gets the gateway's 401 body") {
  Fixture f;
  for (const std::vector<std::string>& headers :
       {std::vector<std::string>{}, std::vector<std::string>{"x-api-token: wrong"},
        std::vector<std::string>{"Authorization: Bearer " + f.sim.api_token()}}) {
    Reply r = Http(f.url + "/api/v2/persons", headers);
    CHECK(r.status == 401);
    rapidjson::Document doc = Json(r.body);
    CHECK(doc["success"].IsFalse());
    CHECK(std::string(doc["error"].GetString()) == "unauthorized access");
    CHECK(doc["errorCode"].GetInt() == 401);
  }
  CHECK(Http(f.url + "/v1/users?api_token=wrong", {}).status == 401);
}

TEST_CASE("the token works in the x-api-token header and in api_token, and stats tell which") {
  Fixture f;
  CHECK(f.Get("/v1/users").status == 200);
  CHECK(Http(f.url + "/v1/users?api_token=" + f.sim.api_token(), {}).status == 200);
  CHECK(Http(f.url + "/v1/users", {}).status == 401);
  const PdSimStats stats = f.sim.Stats();
  CHECK(stats.by_auth.at("header") == 1);
  CHECK(stats.by_auth.at("query") == 1);
  CHECK(stats.by_auth.at("none") == 1);
  CHECK(stats.by_status.at(200) == 2);
  CHECK(stats.by_path.at("/v1/users") == 3);
}

TEST_CASE("every answer carries the x-ratelimit headers, unenforced and on errors too") {
  ManualClock clock;
  Fixture f(testing::SmallCompany(), testing::Unlimited(), clock);
  int expected_remaining = 80;
  for (const char* target :
       {"/api/v2/persons", "/v1/leads", "/api/v2/persons?limit=0", "/api/v2/unknown"}) {
    Reply r = f.Get(target);
    INFO(target);
    CHECK(r.headers["x-ratelimit-limit"] == "80");
    CHECK(r.headers["x-ratelimit-remaining"] == std::to_string(--expected_remaining));
    CHECK(r.headers["x-ratelimit-reset"] == "2");
  }
  Reply unauthorized = Http(f.url + "/api/v2/persons", {});
  CHECK(unauthorized.headers.count("x-ratelimit-limit") == 1);
  // The window rolls: two seconds later it is empty again.
  clock.Advance(std::chrono::seconds(2));
  CHECK(f.Get("/api/v2/pipelines").headers["x-ratelimit-remaining"] == "79");
  // No daily budget configured: no budget headers.
  CHECK(f.Get("/api/v2/pipelines").headers.count("x-daily-ratelimit-token-remaining") == 0);
}

TEST_CASE("past its window a token gets Pipedrive's 429 and a 10-second penalty") {
  ManualClock clock;
  Fixture f(testing::SmallCompany(), Limited(5), clock);
  for (int i = 0; i < 5; ++i) REQUIRE(f.Get("/api/v2/pipelines").status == 200);
  Reply over = f.Get("/api/v2/pipelines");
  CHECK(over.status == 429);
  CHECK(EnvelopeError(over) == "Request over limit");
  CHECK(Json(over.body)["errorCode"].GetInt() == 429);
  CHECK(over.headers["x-ratelimit-remaining"] == "0");
  CHECK(over.headers["x-ratelimit-reset"] == "10");
  CHECK(over.headers["retry-after"] == "10");
  clock.Advance(std::chrono::seconds(9));
  Reply still = f.Get("/api/v2/pipelines");
  CHECK(still.status == 429);
  CHECK(still.headers["x-ratelimit-reset"] == "1");
  clock.Advance(std::chrono::seconds(1));
  CHECK(f.Get("/api/v2/pipelines").status == 200);

  f.sim.AddFault(PdFault{PdFaultKind::kRateLimited, "", 1, 0, 0});
  CHECK(f.Get("/api/v2/pipelines").status == 429);
  const PdSimStats stats = f.sim.Stats();
  CHECK(stats.rate_limited == 2);
  CHECK(stats.injected_429 == 1);
}

TEST_CASE("a client that waits out x-ratelimit-reset at remaining 0 never gets a 429") {
  ManualClock clock;
  Fixture f(testing::SmallCompany(), Limited(20), clock);
  int served = 0;
  while (served < 200) {
    Reply r = f.Get("/api/v2/persons?limit=1");
    REQUIRE(r.status == 200);
    ++served;
    clock.Advance(std::chrono::milliseconds(10));
    if (r.headers["x-ratelimit-remaining"] == "0") {
      clock.Advance(std::chrono::seconds(std::stoi(r.headers["x-ratelimit-reset"])));
    }
  }
  CHECK(f.sim.Stats().rate_limited == 0);
}

TEST_CASE("the daily token budget spends each endpoint's cost and refuses until the next UTC day") {
  ManualClock clock;  // 2026-01-01T00:00:00Z
  PipedriveSimOptions options = testing::Unlimited();
  options.daily_token_budget = 60;
  options.token_costs["GET /api/v2/pipelines"] = 7;
  Fixture f(testing::SmallCompany(), options, clock);
  Reply first = f.Get("/api/v2/persons");  // 10 tokens
  CHECK(first.headers["x-daily-ratelimit-token-limit"] == "60");
  CHECK(first.headers["x-daily-ratelimit-token-remaining"] == "50");
  CHECK(f.Get("/v1/users").headers["x-daily-ratelimit-token-remaining"] == "30");  // 20
  CHECK(f.Get("/api/v2/pipelines").headers["x-daily-ratelimit-token-remaining"] == "23");
  CHECK(f.Get("/api/v2/persons").status == 200);  // 13 left
  Reply refused = f.Get("/v1/leads");             // costs 20
  CHECK(refused.status == 429);
  CHECK(EnvelopeError(refused) == "Request over limit");
  CHECK(refused.headers["x-daily-ratelimit-token-remaining"] == "13");
  // Only the budget headers tell it from a burst 429: the window has room.
  CHECK(refused.headers.count("retry-after") == 0);
  CHECK(refused.headers["x-ratelimit-remaining"] != "0");
  CHECK(f.Get("/api/v2/persons").status == 200);  // 3 left
  CHECK(f.Get("/api/v2/persons").headers["x-daily-ratelimit-token-remaining"] == "3");
  clock.Advance(std::chrono::hours(23));
  CHECK(f.Get("/api/v2/persons").status == 429);
  clock.Advance(std::chrono::hours(1));  // 2026-01-02T00:00:00Z
  Reply next_day = f.Get("/api/v2/persons");
  CHECK(next_day.status == 200);
  CHECK(next_day.headers["x-daily-ratelimit-token-remaining"] == "50");
  const PdSimStats stats = f.sim.Stats();
  CHECK(stats.budget_exhausted == 3);
  CHECK(stats.rate_limited == 0);
  CHECK(stats.tokens_spent == 10);
}

TEST_CASE("faults answer in Pipedrive's failure forms, then the request succeeds") {
  Fixture f;
  const std::string path = "/api/v2/persons";
  f.sim.AddFault(PdFault{PdFaultKind::kServerError, path, 1, 0, 1});  // after one success
  CHECK(f.Get(path).status == 200);
  Reply server = f.Get(path);
  CHECK(server.status == 500);
  CHECK_FALSE(EnvelopeError(server).empty());

  f.sim.AddFault(PdFault{PdFaultKind::kServerErrorHtml, path, 1, 0, 0});
  Reply html = f.Get(path);
  CHECK(html.status == 502);
  CHECK(html.headers["content-type"].find("text/html") == 0);

  f.sim.AddFault(PdFault{PdFaultKind::kRateLimited, path, 1, 0, 0});
  Reply limited = f.Get(path);
  CHECK(limited.status == 429);
  CHECK(limited.headers.count("x-ratelimit-reset") == 1);

  f.sim.AddFault(PdFault{PdFaultKind::kRateLimitedBare, path, 1, 0, 0});
  Reply bare = f.Get(path);
  CHECK(bare.status == 429);
  CHECK(bare.headers.count("x-ratelimit-reset") == 0);
  CHECK(bare.headers.count("x-ratelimit-remaining") == 0);
  CHECK(bare.headers.count("x-ratelimit-limit") == 0);

  f.sim.AddFault(PdFault{PdFaultKind::kNullBody, path, 1, 0, 0});
  Reply null_body = f.Get(path);
  CHECK(null_body.status == 200);
  CHECK(null_body.body == "null");

  f.sim.AddFault(PdFault{PdFaultKind::kAccountClosed, path, 1, 0, 0});
  Reply closed = f.Get(path);
  CHECK(closed.status == 402);
  CHECK(EnvelopeError(closed).find("account") != std::string::npos);

  f.sim.AddFault(PdFault{PdFaultKind::kUnauthorized, path, 1, 0, 0});
  CHECK(f.Get(path).status == 401);

  f.sim.AddFault(PdFault{PdFaultKind::kTruncated, path, 1, 0, 0});
  CHECK(f.Get(path).status == -static_cast<long>(CURLE_PARTIAL_FILE));

  f.sim.AddFault(PdFault{PdFaultKind::kSlow, path, 1, 300, 0});
  const auto started = std::chrono::steady_clock::now();
  CHECK(f.Get(path).status == 200);
  CHECK(std::chrono::steady_clock::now() - started >= std::chrono::milliseconds(300));

  // A fault on another path leaves this one alone.
  f.sim.AddFault(PdFault{PdFaultKind::kServerError, "/v1/leads", 1, 0, 0});
  CHECK(f.Get(path).status == 200);
  CHECK(f.Get("/v1/leads").status == 500);
  CHECK(f.sim.Stats().injected_429 == 2);
}

TEST_CASE("pipedrive-sim prints its base URL and serves its company with the given token") {
  salesaudit::testing::TempDir dir;
  salesaudit::testing::ChildProcess child(
      {PIPEDRIVE_SIM_BINARY, "--persons", "40", "--deals", "5", "--api-token", "cli-token"},
      dir.path());
  REQUIRE(salesaudit::testing::WaitFor(
      [&] { return child.Stdout().find('\n') != std::string::npos; }, std::chrono::seconds(20)));
  const std::string out = child.Stdout();
  const std::string prefix = "listening on ";
  REQUIRE(out.rfind(prefix, 0) == 0);
  const std::string url = out.substr(prefix.size(), out.find('\n') - prefix.size());
  Reply r = Http(url + "/api/v2/persons?limit=500", {"x-api-token: cli-token"});
  CHECK(r.status == 200);
  CHECK(Json(r.body)["data"].Size() > 30);
  child.Signal(SIGTERM);
  CHECK(child.Wait(std::chrono::seconds(20)) == 0);

  salesaudit::testing::RunResult bad =
      salesaudit::testing::RunProcess({PIPEDRIVE_SIM_BINARY, "--persons", "many"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("--persons") != std::string::npos);
}

}  // namespace
}  // namespace salesaudit::sim

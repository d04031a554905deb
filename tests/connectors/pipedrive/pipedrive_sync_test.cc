// The Pipedrive connector against the simulator over loopback, into a real
// SQLite store: full and incremental syncs compared field by field with the
// company, channels from a person field or from leads, the vendor's failures
// and limits, and the api token.
#include <signal.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "core/metrics.h"
#include "tests/connectors/pipedrive/pipedrive_fixture.h"

namespace salesaudit::testing {
namespace {

#define REQUIRE_MATCHES_COMPANY(f, channel_field)                 \
  do {                                                            \
    const auto diffs = (f).DifferencesFromCompany(channel_field); \
    INFO(FirstDifferences(diffs));                                \
    REQUIRE(diffs.empty());                                       \
  } while (false)

std::string FileText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

int64_t StreamRecords(const std::vector<StreamSyncResult>& results, const std::string& stream) {
  for (const StreamSyncResult& r : results) {
    if (r.stream == stream) return r.records;
  }
  return -1;
}

TEST_CASE(
    "A full sync equals the company field by field: primary emails, owners, deals with their "
    "person, and funnel dates and channels from leads, done activities and deals",
    "[pipedrive]") {
  PipedriveFixture f(SmallCompany());
  const auto results = f.Sync();
  INFO(FailedStreams(results));
  REQUIRE(FailedStreams(results).empty());
  REQUIRE_MATCHES_COMPANY(f, "");
  CHECK(StreamRecords(results, "persons") == static_cast<int64_t>(f.sim.Persons().size()));
  // The token travelled in its header on every request, never in a URL.
  const sim::PdSimStats stats = f.sim.Stats();
  CHECK(stats.by_auth.count("query") == 0);
  CHECK(stats.by_auth.count("none") == 0);
  CHECK(stats.by_auth.at("header") == stats.requests);
  // Archived leads are read from their own list.
  CHECK(stats.by_path.count("/v1/leads/archived") == 1);
}

TEST_CASE(
    "An incremental sync after 1,000+ changes in one update second, new leads, done "
    "activities, won and deleted deals equals the company again",
    "[pipedrive]") {
  ManualClock clock(1767225600000);  // 2026-01-01
  sim::PdCompanySpec spec = SmallCompany();
  spec.persons = 1500;
  PipedriveFixture f(spec, {}, clock);
  REQUIRE(FailedStreams(f.Sync()).empty());
  REQUIRE_MATCHES_COMPANY(f, "");

  clock.Advance(std::chrono::minutes(30));
  const int64_t bulk_second = clock.NowMs();
  f.sim.TouchPersons(1200, bulk_second);
  const std::vector<sim::PdPerson> persons = f.sim.Persons();
  f.sim.UpdatePerson(persons[3].id, [](sim::PdPerson& p) {
    p.first_name = "Renamed";
    p.emails = {{"second@example.com", "work", false}, {"Primary@Example.com", "home", true}};
  });
  sim::PdLead lead;
  lead.title = "New lead";
  lead.person_id = persons[5].id;
  lead.source_name = "Web forms";
  f.sim.CreateLead(lead);
  sim::PdActivity call;
  call.subject = "First call";
  call.person_id = persons[6].id;
  const int64_t call_id = f.sim.CreateActivity(call);
  f.sim.MarkActivityDone(call_id);
  const std::vector<sim::PdDeal> deals = f.sim.Deals();
  for (const sim::PdDeal& d : deals) {
    if (d.status != "open") continue;
    f.sim.UpdateDeal(d.id, [](sim::PdDeal& deal) { deal.status = "won"; });
    break;
  }
  f.sim.DeleteDeal(deals.back().id);
  clock.Advance(std::chrono::seconds(5));

  const auto results = f.Sync();
  INFO(FailedStreams(results));
  REQUIRE(FailedStreams(results).empty());
  REQUIRE_MATCHES_COMPANY(f, "");
  CHECK(StreamRecords(results, "persons") >= 1200);

  // Nothing changed: once the lookback (10 minutes) has passed the changes,
  // a run reads no persons, deals or activities, one request each.
  clock.Advance(std::chrono::minutes(30));
  REQUIRE(FailedStreams(f.Sync()).empty());
  clock.Advance(std::chrono::minutes(30));
  f.sim.ResetStats();
  const auto quiet = f.Sync();
  REQUIRE(FailedStreams(quiet).empty());
  CHECK(StreamRecords(quiet, "persons") == 0);
  CHECK(StreamRecords(quiet, "deals") == 0);
  CHECK(StreamRecords(quiet, "activities") == 0);
  // users, persons, pipelines, stages, deals, two lead lists, activities
  CHECK(f.sim.Stats().requests == 8);
  REQUIRE_MATCHES_COMPANY(f, "");
}

TEST_CASE(
    "Persons deleted or merged away after a sync are found deleted by the daily scan of every "
    "person, and not before it is due",
    "[pipedrive]") {
  ManualClock clock(1767225600000);  // 2026-01-01
  PipedriveFixture f(SmallCompany(), {}, clock);
  REQUIRE(FailedStreams(f.Sync()).empty());
  const std::vector<sim::PdPerson> persons = f.sim.Persons();
  clock.Advance(std::chrono::minutes(5));
  f.sim.DeletePerson(persons[10].id);
  f.sim.DeletePerson(persons[200].id);
  f.sim.MergePersons(persons[20].id, persons[21].id);
  clock.Advance(std::chrono::minutes(5));

  // Within a day of the first (whole) read no scan runs: the deleted
  // persons are still live in the store.
  REQUIRE(FailedStreams(f.Sync()).empty());
  CHECK(f.store->CountRows(RecordKind::kContact, "pd", false).value() ==
        static_cast<int64_t>(persons.size()));

  clock.Advance(std::chrono::hours(25));
  f.sim.ResetStats();
  const auto results = f.Sync();
  INFO(FailedStreams(results));
  REQUIRE(FailedStreams(results).empty());
  REQUIRE_MATCHES_COMPANY(f, "");
  int64_t deleted = 0;
  for (const StreamSyncResult& r : results) {
    if (r.stream == "persons") deleted = r.deletions;
  }
  CHECK(deleted == 3);
  // The scan read every person once by id: two pages of 500 besides the window's.
  CHECK(f.sim.Stats().by_path.at("/api/v2/persons") == 3);
}

TEST_CASE("A person's channel comes from the person field fields: names, by name or by key",
          "[pipedrive]") {
  PipedriveFixture f(SmallCompany());
  SECTION("by name") { f.config.fields["channel"] = {"channel"}; }
  SECTION("by key") { f.config.fields["channel"] = {f.sim.PersonFieldKey("Channel")}; }
  REQUIRE(FailedStreams(f.Sync()).empty());
  REQUIRE_MATCHES_COMPANY(f, "Channel");
}

TEST_CASE(
    "A wrong api token stops the connector with Pipedrive's error, stores nothing and is in no "
    "message or metric",
    "[pipedrive]") {
  PipedriveFixture f(SmallCompany());
  const std::string wrong = "wrong-token-0123456789";
  f.config.auth["api_token"] = wrong;
  const auto results = f.Sync();
  REQUIRE(results.size() == 1);  // the connector stops at its first stream
  CHECK(results[0].status.code() == StatusCode::kUnauthenticated);
  CHECK_THAT(results[0].status.message(),
             Catch::Contains("HTTP 401") && Catch::Contains("unauthorized access"));
  CHECK(results[0].status.message().find(wrong) == std::string::npos);
  CHECK(GlobalMetrics().RenderText().find(wrong) == std::string::npos);
  auto owners = f.store->CountRows(RecordKind::kOwner, "pd", true);
  REQUIRE(owners.ok());
  CHECK(*owners == 0);
}

TEST_CASE(
    "A backfill with the Essential plan's limit enforced causes no 429: the budget follows "
    "the x-ratelimit headers",
    "[pipedrive]") {
  sim::PipedriveSimOptions options;
  options.rate_limit = 20;
  sim::PdCompanySpec spec = SmallCompany();
  spec.persons = 15000;  // 30 pages of persons alone
  PipedriveFixture f(spec, options);
  const auto results = f.Sync();
  INFO(FailedStreams(results));
  REQUIRE(FailedStreams(results).empty());
  const sim::PdSimStats stats = f.sim.Stats();
  CHECK(stats.rate_limited == 0);
  CHECK(stats.requests > 20);
  REQUIRE_MATCHES_COMPANY(f, "");
  // The token is in no stored text.
  CHECK(FileText(f.dir.File("salesaudit.db")).find(f.sim.api_token()) == std::string::npos);
}

TEST_CASE("Throttling, server errors, truncated and null bodies are retried and the sync converges",
          "[pipedrive]") {
  PipedriveFixture f(SmallCompany());
  f.sim.AddFault({sim::PdFaultKind::kRateLimited, "/api/v2/persons", 1});
  f.sim.AddFault({sim::PdFaultKind::kRateLimitedBare, "/api/v2/deals", 1});
  f.sim.AddFault({sim::PdFaultKind::kServerError, "/api/v2/activities", 1});
  f.sim.AddFault({sim::PdFaultKind::kServerErrorHtml, "/v1/users", 1});
  f.sim.AddFault({sim::PdFaultKind::kTruncated, "/v1/leads", 1});
  f.sim.AddFault({sim::PdFaultKind::kNullBody, "/api/v2/persons", 1, 0, 1});
  const auto results = f.Sync();
  INFO(FailedStreams(results));
  REQUIRE(FailedStreams(results).empty());
  int64_t retries = 0;
  for (const StreamSyncResult& r : results) retries += r.retries;
  CHECK(retries == 6);
  CHECK(GlobalMetrics().RenderText().find(f.sim.api_token()) == std::string::npos);
  REQUIRE_MATCHES_COMPANY(f, "");
}

TEST_CASE("A closed company account (402) stops the connector with Pipedrive's reason",
          "[pipedrive]") {
  PipedriveFixture f(SmallCompany());
  f.sim.AddFault({sim::PdFaultKind::kAccountClosed, "", 1000});
  const auto results = f.Sync();
  REQUIRE(results.size() == 1);
  CHECK(results[0].status.code() == StatusCode::kPermissionDenied);
  CHECK_THAT(results[0].status.message(),
             Catch::Contains("HTTP 402") && Catch::Contains("Company account is not open"));
}

// A company of 1,200 persons (three pages) with a daily API token budget.
PipedriveFixture DailyTokenBudget(int64_t tokens) {
  sim::PipedriveSimOptions options;
  options.daily_token_budget = tokens;
  sim::PdCompanySpec spec = SmallCompany();
  spec.persons = 1200;
  return PipedriveFixture(spec, options);
}

TEST_CASE(
    "The company's daily token budget used up ends the run with its cursor kept and no request "
    "after the 429",
    "[pipedrive]") {
  // users (20 tokens) and one page of persons (10), then the budget is out.
  PipedriveFixture f = DailyTokenBudget(35);
  const auto results = f.Sync();
  REQUIRE(results.size() == 2);  // users, then persons stops the connector
  CHECK(results[0].status.ok());
  CHECK(results[1].status.code() == StatusCode::kQuotaExhausted);
  CHECK_THAT(results[1].status.message(), Catch::Contains("daily API token budget"));
  CHECK(results[1].records == 500);  // the page read before it stays committed
  const sim::PdSimStats stats = f.sim.Stats();
  CHECK(stats.budget_exhausted == 1);
  CHECK(stats.requests == 3);
  auto states = f.store->ListStreamStates();
  REQUIRE(states.ok());
  bool persons_cursor = false;
  for (const auto& state : *states) {
    if (state.stream == "persons") persons_cursor = !state.cursor.empty();
  }
  CHECK(persons_cursor);
  // The budget's headers reach the metrics: 30 of 35 used when the 429 came.
  const std::string metrics = GlobalMetrics().RenderText();
  CHECK_THAT(metrics, Catch::Contains("salesaudit_api_daily_tokens_used{connector=\"pd\"} 30\n"));
  CHECK_THAT(metrics,
             Catch::Contains("salesaudit_api_daily_tokens_allowed{connector=\"pd\"} 35\n"));
}

TEST_CASE(
    "rate_limit_reserve of the company's daily token budget is left to its other apps, with no "
    "429",
    "[pipedrive]") {
  // users (20 tokens) and one page of persons (10) use 30 of 40: the 10
  // reserved by rate_limit_reserve 0.25 stay unspent.
  PipedriveFixture f = DailyTokenBudget(40);
  f.config.rate_limit_reserve = 0.25;
  const auto results = f.Sync();
  REQUIRE(results.size() == 2);
  CHECK(results[0].status.ok());
  CHECK(results[1].status.code() == StatusCode::kQuotaExhausted);
  CHECK_THAT(results[1].status.message(),
             Catch::Contains("the company's daily API token budget is used up (30 of 40 tokens, "
                             "the last 10 left to other apps by rate_limit_reserve)"));
  CHECK(results[1].records == 500);
  const sim::PdSimStats stats = f.sim.Stats();
  CHECK(stats.budget_exhausted == 0);
  CHECK(stats.requests == 2);
}

TEST_CASE(
    "A kill -9 in the middle of a sync, then a rerun, converges with nothing lost or duplicated",
    "[pipedrive][crash]") {
  sim::PdCompanySpec spec = SmallCompany();
  spec.persons = 12000;
  PipedriveFixture f(spec);
  WriteFile(f.dir.File("config.yaml"), "store:\n  path: " + f.dir.File("salesaudit.db") +
                                           "\n"
                                           "status:\n  listen: 127.0.0.1:0\n"
                                           "connectors:\n"
                                           "  - name: pd\n"
                                           "    type: pipedrive\n"
                                           "    base_url: " +
                                           f.sim.base_url() +
                                           "\n"
                                           "    auth:\n"
                                           "      api_token: ${TEST_PD_TOKEN}\n"
                                           "    poll_interval: 1h\n"
                                           "    retry_backoff: 5ms\n"
                                           "    retry_backoff_max: 200ms\n");
  const std::map<std::string, std::string> env = {{"TEST_PD_TOKEN", f.sim.api_token()}};
  const std::vector<std::string> argv = {SALESAUDIT_BINARY, "--config", f.dir.File("config.yaml"),
                                         "sync"};
  // Slow pages so the kill lands after some committed.
  f.sim.AddFault({sim::PdFaultKind::kSlow, "/api/v2/persons", 100, 300});
  {
    ChildProcess child(argv, f.dir.path(), env);
    REQUIRE(WaitFor(
        [&] {
          auto n = f.store->CountRows(RecordKind::kContact, "pd", true);
          return n.ok() && *n >= 2000;
        },
        std::chrono::seconds(60)));
    child.Signal(SIGKILL);
    CHECK(child.Wait(std::chrono::seconds(10)) == 128 + SIGKILL);
  }
  CHECK(f.store->CountRows(RecordKind::kContact, "pd", true).value() < 12000);
  f.sim.ClearFaults();
  auto rerun = RunProcess(argv, std::chrono::seconds(120), env);
  INFO(rerun.out << rerun.err);
  REQUIRE(rerun.exit_code == 0);
  // The token is in no log line or stored text.
  CHECK(rerun.out.find(f.sim.api_token()) == std::string::npos);
  CHECK(rerun.err.find(f.sim.api_token()) == std::string::npos);
  CHECK(FileText(f.dir.File("salesaudit.db")).find(f.sim.api_token()) == std::string::npos);
  REQUIRE_MATCHES_COMPANY(f, "");
}

}  // namespace
}  // namespace salesaudit::testing

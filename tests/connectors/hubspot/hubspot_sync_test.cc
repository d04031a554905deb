// The HubSpot connector end to end: real HTTP against the simulator, a real
// SQLite file, the sync engine as `salesaudit sync` runs it.
#include <algorithm>
#include <catch2/catch.hpp>
#include <future>
#include <set>
#include <thread>

#include "connectors/connector.h"
#include "connectors/hubspot/hubspot_connector.h"
#include "core/metrics.h"
#include "tests/connectors/hubspot/hubspot_fixture.h"

namespace salesaudit::testing {
namespace {

sim::PortalSpec SmallPortal() {
  sim::PortalSpec spec;
  spec.seed = 7;
  spec.contacts = 1500;
  spec.deals = 180;
  spec.owners = 6;
  return spec;
}

std::string Describe(const std::vector<std::string>& diffs) {
  std::string out = std::to_string(diffs.size()) + " differences";
  for (size_t i = 0; i < diffs.size() && i < 15; ++i) out += "\n  " + diffs[i];
  return out;
}

void RequireAllOk(const std::vector<StreamSyncResult>& results) {
  // Every stream the connector offers ran.
  REQUIRE(results.size() == BuiltinConnectors().Find("hubspot")->streams.size());
  for (const auto& r : results) {
    INFO(r.Summary());
    REQUIRE(r.status.ok());
  }
}

TEST_CASE("A full sync stores exactly the simulator's portal", "[hubspot]") {
  HubSpotFixture f(SmallPortal());
  auto results = f.Sync();
  RequireAllOk(results);
  auto diffs = f.DifferencesFromPortal();
  INFO(Describe(diffs));
  REQUIRE(diffs.empty());
  // The first run reads the list endpoints, never search.
  auto stats = f.sim.Stats();
  CHECK(stats.by_path["/crm/v3/objects/contacts/search"] == 0);
  CHECK(stats.by_path["/crm/v3/objects/contacts"] >= 15);
}

TEST_CASE("A second sync with nothing changed reads changes through search and stores the same",
          "[hubspot]") {
  HubSpotFixture f(SmallPortal());
  RequireAllOk(f.Sync());
  const std::string before = StoreFingerprint(*f.store, /*include_cursors=*/false);
  f.sim.ResetStats();
  RequireAllOk(f.Sync());
  auto stats = f.sim.Stats();
  CHECK(stats.by_path["/crm/v3/objects/contacts/search"] >= 1);
  CHECK(f.DifferencesFromPortal().empty());
  // Only cursors may move; rows are the same.
  CHECK(StoreFingerprint(*f.store, /*include_cursors=*/false) == before);
}

TEST_CASE("An incremental sync after updates, additions and archiving equals the portal again",
          "[hubspot]") {
  HubSpotFixture f(SmallPortal());
  RequireAllOk(f.Sync());
  f.sim.UpdateContacts(60);
  f.sim.AddContacts(40);
  auto archived_contacts = f.sim.ArchiveContacts(15);
  f.sim.UpdateDeals(25);
  f.sim.AddDeals(10);
  f.sim.ArchiveDeals(5);
  f.sim.ResetStats();
  RequireAllOk(f.Sync());
  auto diffs = f.DifferencesFromPortal();
  INFO(Describe(diffs));
  REQUIRE(diffs.empty());
  // Incremental: search, not a re-read of the whole list.
  auto stats = f.sim.Stats();
  CHECK(stats.by_path["/crm/v3/objects/contacts/search"] >= 1);
  CHECK(stats.by_path["/crm/v3/objects/contacts"] <= 3);  // the archived listing only
  auto deleted = f.store->CountRows(RecordKind::kContact, "crm", true);
  auto live = f.store->CountRows(RecordKind::kContact, "crm", false);
  REQUIRE(deleted.ok());
  REQUIRE(live.ok());
  CHECK(*deleted - *live == static_cast<int64_t>(archived_contacts.size()));
}

TEST_CASE("More than 10,000 changes sharing a handful of timestamps are all read without looping",
          "[hubspot]") {
  sim::PortalSpec spec = SmallPortal();
  spec.contacts = 12500;
  spec.deals = 50;
  ManualClock clock;
  HubSpotFixture f(spec, sim::SimOptions::WithoutRateLimits(), clock);
  RequireAllOk(f.Sync());
  // Let the bulk update's timestamps be later than the cursor.
  clock.Advance(std::chrono::milliseconds(20));
  auto touched = f.sim.BulkUpdateContacts(12000, 3);
  REQUIRE(touched.size() == 12000);
  f.sim.ResetStats();
  RequireAllOk(f.Sync());
  auto diffs = f.DifferencesFromPortal();
  INFO(Describe(diffs));
  REQUIRE(diffs.empty());
  auto stats = f.sim.Stats();
  CHECK(stats.by_status[400] == 0);
  CHECK(stats.max_search_after < 10000);
  // 12,000 changes at 200 per page: about 60 search pages, not a loop.
  CHECK(stats.by_path["/crm/v3/objects/contacts/search"] <= 70);
}

TEST_CASE("A change that reaches the search index late is read by a later sync", "[hubspot]") {
  sim::SimOptions options = sim::SimOptions::WithoutRateLimits();
  options.index_lag_ms = 1500;
  ManualClock clock;
  HubSpotFixture f(SmallPortal(), options, clock);
  RequireAllOk(f.Sync());
  clock.Advance(std::chrono::milliseconds(100));
  auto updated = f.sim.UpdateContacts(5);
  clock.Advance(std::chrono::milliseconds(100));
  RequireAllOk(f.Sync());  // the changes are not searchable yet
  CHECK_FALSE(f.DifferencesFromPortal().empty());
  clock.Advance(std::chrono::milliseconds(1600));
  RequireAllOk(f.Sync());  // the lookback window re-reads them
  auto diffs = f.DifferencesFromPortal();
  INFO(Describe(diffs));
  REQUIRE(diffs.empty());
}

TEST_CASE("An incremental search reads changes up to the run's start time, not past it",
          "[hubspot]") {
  ManualClock clock;
  HubSpotFixture f(SmallPortal(), sim::SimOptions::WithoutRateLimits(), clock);
  RequireAllOk(f.Sync());
  clock.Advance(std::chrono::minutes(5));
  f.sim.UpdateContacts(4);
  f.sim.ResetStats();
  RequireAllOk(f.Sync());
  REQUIRE(f.DifferencesFromPortal().empty());
  // The contacts cursor's window ended at this run's start on the shared
  // clock: the next run reads from there, back by the lookback.
  auto cursor = f.store->GetCursor("crm", "contacts");
  REQUIRE(cursor.ok());
  CHECK_THAT(*cursor, Catch::Contains("\"since\":" + std::to_string(clock.NowMs())));
}

TEST_CASE("The engine waits the Retry-After a 429 asks for on its clock, then retries",
          "[hubspot]") {
  ManualClock clock;
  HubSpotFixture f(SmallPortal(), sim::SimOptions::WithoutRateLimits(), clock);
  f.config.retry_backoff_max = std::chrono::seconds(30);
  f.sim.InjectFault({sim::FaultKind::kRateLimitWithRetryAfter, "/crm/v3/owners", 1});
  const SteadyTime started = clock.SteadyNow();
  auto results = std::async(std::launch::async, [&] { return f.Sync(); });
  REQUIRE(clock.AwaitWaiters(1, std::chrono::seconds(30)));
  // Retry-After: 1, to the millisecond, on the engine's clock.
  CHECK(clock.WaitDeadlines() == std::vector<SteadyTime>{started + std::chrono::seconds(1)});
  clock.Advance(std::chrono::seconds(1));
  REQUIRE(results.wait_for(std::chrono::seconds(60)) == std::future_status::ready);
  auto done = results.get();
  RequireAllOk(done);
  int64_t retries = 0;
  for (const auto& r : done) retries += r.retries;
  CHECK(retries == 1);
}

TEST_CASE("Stopping a sync during its backoff ends the wait at once, not at the deadline",
          "[hubspot]") {
  ManualClock clock;
  HubSpotFixture f(SmallPortal(), sim::SimOptions::WithoutRateLimits(), clock);
  f.config.retry_backoff = std::chrono::hours(1);
  f.config.retry_backoff_max = std::chrono::hours(1);
  f.sim.InjectFault({sim::FaultKind::kRateLimitWithoutRetryAfter, "/crm/v3/owners", 1});
  SyncEngine engine(*f.store, BuiltinConnectors(), clock);
  std::atomic<bool> cancel{false};
  auto results = std::async(std::launch::async,
                            [&] { return engine.RunConnector(f.config, SyncRequest{}, cancel); });
  REQUIRE(clock.AwaitWaiters(1, std::chrono::seconds(30)));
  // A 429 waits at least a second, at most the backoff's window.
  const auto wait = clock.WaitDeadlines().front() - clock.SteadyNow();
  CHECK(wait >= std::chrono::seconds(1));
  CHECK(wait <= std::chrono::hours(1));
  cancel = true;
  REQUIRE(results.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
  auto done = results.get();
  REQUIRE_FALSE(done.empty());
  CHECK(done.back().status.code() == StatusCode::kCancelled);
}

TEST_CASE("A mix of 429s, server errors and a truncated body still converges", "[hubspot]") {
  HubSpotFixture f(SmallPortal());
  f.sim.InjectFault({sim::FaultKind::kRateLimitWithRetryAfter, "/crm/v3/objects/contacts", 1});
  f.sim.InjectFault({sim::FaultKind::kRateLimitWithoutRetryAfter, "", 2});
  f.sim.InjectFault({sim::FaultKind::kServerError, "", 3});
  f.sim.InjectFault({sim::FaultKind::kTruncated, "/crm/v3/objects/deals", 1});
  f.sim.InjectFault({sim::FaultKind::kServerError, "/crm/v4/associations", 1});
  auto results = f.Sync();
  RequireAllOk(results);
  int64_t retries = 0;
  for (const auto& r : results) retries += r.retries;
  CHECK(retries >= 8);
  auto stats = f.sim.Stats();
  CHECK(stats.by_status[429] >= 3);
  // Faults during an incremental run too.
  f.sim.UpdateContacts(30);
  f.sim.InjectFault({sim::FaultKind::kServerError, "/crm/v3/objects/contacts/search", 2});
  f.sim.InjectFault({sim::FaultKind::kTruncated, "/crm/v3/objects/contacts/search", 1});
  RequireAllOk(f.Sync());
  auto diffs = f.DifferencesFromPortal();
  INFO(Describe(diffs));
  REQUIRE(diffs.empty());
}

TEST_CASE("Persistent server errors fail the stream after the configured retries", "[hubspot]") {
  HubSpotFixture f(SmallPortal());
  f.config.max_retries = 2;
  f.sim.InjectFault({sim::FaultKind::kServerError, "/crm/v3/owners", 10});
  auto results = f.Sync();
  REQUIRE(!results.empty());
  CHECK(results[0].stream == "owners");
  CHECK(results[0].status.code() == StatusCode::kUnavailable);
  CHECK_THAT(results[0].status.message(), Catch::Contains("hubspot[crm]: owners"));
  CHECK_THAT(results[0].status.message(), Catch::Contains("/crm/v3/owners"));
  CHECK_THAT(results[0].status.message(), Catch::Contains("HTTP 50"));
  CHECK_THAT(results[0].status.message(), Catch::Contains("3 attempts"));
}

TEST_CASE(
    "A host that never answers stops the connector at its first stream, the others left for the "
    "next run",
    "[hubspot]") {
  HubSpotFixture f(SmallPortal());
  f.config.base_url = "http://127.0.0.1:1";  // nothing listens on port 1
  f.config.max_retries = 2;
  std::vector<std::string> reported;
  SyncEngine engine(*f.store, BuiltinConnectors(), f.clock);
  std::atomic<bool> cancel{false};
  SyncRequest request;
  request.on_stream_done = [&](const StreamSyncResult& r) { reported.push_back(r.stream); };
  const auto results = engine.RunConnector(f.config, request, cancel);
  REQUIRE(results.size() == 1);
  CHECK(results[0].stream == "owners");
  CHECK(results[0].status.code() == StatusCode::kUnavailable);
  CHECK_THAT(results[0].status.message(),
             Catch::Contains("3 attempts") &&
                 Catch::Contains("no answer from the host, so the connector's other streams wait "
                                 "for the next run"));
  CHECK(reported == std::vector<std::string>{"owners"});
}

TEST_CASE(
    "Each committed page's progress and each stream's result are reported as they happen, a "
    "stream's result before the next stream starts",
    "[hubspot]") {
  HubSpotFixture f(SmallPortal());
  f.config.max_retries = 2;
  // A stream that fails on every request: it is reported and the next
  // streams run, since the host answers.
  f.sim.InjectFault({sim::FaultKind::kServerError, "/crm/v3/owners", 10});
  std::vector<std::string> events;  // "page STREAM N RECORDS" and "done STREAM"
  SyncEngine engine(*f.store, BuiltinConnectors(), f.clock);
  std::atomic<bool> cancel{false};
  SyncRequest request;
  request.on_page = [&](const SyncProgress& p) {
    CHECK(p.connector == "crm");
    events.push_back("page " + p.stream + " " + std::to_string(p.pages) + " " +
                     std::to_string(p.records));
  };
  request.on_stream_done = [&](const StreamSyncResult& r) { events.push_back("done " + r.stream); };
  const auto results = engine.RunConnector(f.config, request, cancel);
  REQUIRE(results.size() == BuiltinConnectors().Find("hubspot")->streams.size());
  CHECK(results[0].status.code() == StatusCode::kUnavailable);
  // The events are each stream's pages in order, then its result.
  std::vector<std::string> expected;
  for (const StreamSyncResult& r : results) {
    INFO(r.Summary());
    if (r.stream != "owners") CHECK(r.status.ok());
    for (int64_t page = 1; page <= r.pages; ++page) {
      // Only the last page's running count is known from the result.
      const std::string prefix = "page " + r.stream + " " + std::to_string(page) + " ";
      expected.push_back(page == r.pages ? prefix + std::to_string(r.records) : prefix);
    }
    expected.push_back("done " + r.stream);
  }
  REQUIRE(events.size() == expected.size());
  for (size_t i = 0; i < events.size(); ++i) {
    INFO(i << ": " << events[i]);
    CHECK(events[i].rfind(expected[i], 0) == 0);
  }
  CHECK(f.DifferencesFromPortal().size() > 0);  // the owners are missing
}

TEST_CASE("A wrong token stops the connector with a clear error and leaves the store unchanged",
          "[hubspot]") {
  HubSpotFixture f(SmallPortal());
  RequireAllOk(f.Sync());
  const std::string before = StoreFingerprint(*f.store);
  f.sim.UpdateContacts(20);
  f.sim.SetToken("pat-na1-a-different-token");
  auto results = f.Sync();
  REQUIRE(results.size() == 1);  // the first stream fails; the others are not tried
  const Status& status = results[0].status;
  CHECK(status.code() == StatusCode::kUnauthenticated);
  CHECK_THAT(status.message(), Catch::Contains("hubspot[crm]: owners"));
  CHECK_THAT(status.message(), Catch::Contains("HTTP 401"));
  CHECK_THAT(status.message(), !Catch::Contains(f.options.token));
  CHECK(StoreFingerprint(*f.store) == before);
  auto states = f.store->ListStreamStates();
  REQUIRE(states.ok());
  bool error_recorded = false;
  for (const auto& s : *states) {
    if (s.stream == "owners") error_recorded = s.last_error.find("401") != std::string::npos;
  }
  CHECK(error_recorded);
}

TEST_CASE("The deletion rescan runs when due and not on every poll", "[hubspot]") {
  HubSpotFixture f(SmallPortal());
  f.config.options.Set(kHubSpotDeletionScanEveryOption, std::chrono::hours(1));
  RequireAllOk(f.Sync());  // the first run always rescans
  f.sim.ArchiveContacts(3);
  f.sim.ResetStats();
  RequireAllOk(f.Sync());
  CHECK(f.sim.Stats().by_path["/crm/v3/objects/contacts"] == 0);  // no archived listing
  auto live = f.store->CountRows(RecordKind::kContact, "crm", false);
  REQUIRE(live.ok());
  CHECK(*live == SmallPortal().contacts);
  f.config.options.Set(kHubSpotDeletionScanEveryOption, std::chrono::milliseconds(0));
  RequireAllOk(f.Sync());
  auto diffs = f.DifferencesFromPortal();
  INFO(Describe(diffs));
  CHECK(diffs.empty());
}

TEST_CASE("Contacts merged into another are marked deleted", "[hubspot]") {
  HubSpotFixture f(SmallPortal());
  RequireAllOk(f.Sync());
  auto merged_away = f.sim.MergeContacts(4);
  REQUIRE(merged_away.size() == 4);
  RequireAllOk(f.Sync());
  auto diffs = f.DifferencesFromPortal();
  INFO(Describe(diffs));
  REQUIRE(diffs.empty());
  std::set<std::string> deleted;
  (void)f.store->ForEachContact([&](const StoredContact& c) {
    if (c.deleted_at) deleted.insert(c.contact.id);
  });
  for (const auto& id : merged_away) CHECK(deleted.count(id) == 1);
}

TEST_CASE("OAuth credentials are traded for access tokens that are refreshed before expiry",
          "[hubspot][oauth]") {
  sim::SimOptions options = sim::SimOptions::WithoutRateLimits();
  options.oauth_client_id = "client-123";
  options.oauth_client_secret = "client-secret-456";
  options.oauth_refresh_token = "refresh-789-abcdef";
  // Shorter than the 10-minute refresh margin: every request needs a new token.
  options.oauth_token_lifetime_s = 300;
  HubSpotFixture f(SmallPortal(), options);
  f.config.auth = {{"client_id", "client-123"},
                   {"client_secret", "client-secret-456"},
                   {"refresh_token", "refresh-789-abcdef"}};
  RequireAllOk(f.Sync());
  CHECK(f.DifferencesFromPortal().empty());
  auto stats = f.sim.Stats();
  CHECK(stats.tokens_issued == stats.requests - stats.tokens_issued);
  CHECK(stats.by_status[401] == 0);

  f.config.auth["refresh_token"] = "revoked-refresh-token";
  auto results = f.Sync();
  REQUIRE(results.size() == 1);
  CHECK(results[0].status.code() == StatusCode::kUnauthenticated);
  CHECK_THAT(results[0].status.message(), Catch::Contains("oauth token refresh") &&
                                              Catch::Contains("HTTP 400") &&
                                              Catch::Contains("refresh token"));
  CHECK_THAT(results[0].status.message(),
             !Catch::Contains("revoked-refresh-token") && !Catch::Contains("client-secret-456"));
}

TEST_CASE("One OAuth access token serves a run while valid and a revoked one is replaced once",
          "[hubspot][oauth]") {
  sim::SimOptions options = sim::SimOptions::WithoutRateLimits();
  options.oauth_client_id = "client-123";
  options.oauth_client_secret = "client-secret-456";
  options.oauth_refresh_token = "refresh-789-abcdef";
  options.oauth_token_lifetime_s = 3600;
  HubSpotFixture f(SmallPortal(), options);
  f.config.auth = {{"client_id", "client-123"},
                   {"client_secret", "client-secret-456"},
                   {"refresh_token", "refresh-789-abcdef"}};
  RequireAllOk(f.Sync());
  CHECK(f.sim.Stats().tokens_issued == 1);  // one token serves the whole run

  // Revoked in the middle of a run: the next call gets 401, one new token,
  // and the run carries on.
  f.sim.ResetStats();
  f.sim.InjectFault({sim::FaultKind::kSlow, "/crm/v3/objects/contacts", 1, 300});
  auto run = std::async(std::launch::async, [&] { return f.Sync(/*full=*/true); });
  REQUIRE(WaitFor([&] { return f.sim.Stats().by_path["/crm/v3/objects/contacts"] >= 1; },
                  std::chrono::seconds(10)));
  f.sim.RevokeAccessTokens();
  RequireAllOk(run.get());
  auto stats = f.sim.Stats();
  CHECK(stats.tokens_issued == 2);
  CHECK(stats.by_status[401] == 1);
  CHECK(f.DifferencesFromPortal().empty());
}

TEST_CASE("A deal with more than 100 contacts keeps every association", "[hubspot]") {
  HubSpotFixture f(SmallPortal());
  const std::string deal = f.sim.Deals().front().id;
  REQUIRE(f.sim.AssociateContacts(deal, 240).size() == 240);
  RequireAllOk(f.Sync());
  auto diffs = f.DifferencesFromPortal();
  INFO(Describe(diffs));
  REQUIRE(diffs.empty());
  auto links = f.store->DealContacts("crm");
  REQUIRE(links.ok());
  CHECK(std::count_if(links->begin(), links->end(),
                      [&](const auto& link) { return link.first == deal; }) >= 240);
}

TEST_CASE("Without the v4 associations API the connector reads them through v3", "[hubspot]") {
  sim::SimOptions options = sim::SimOptions::WithoutRateLimits();
  options.associations_v4 = false;
  HubSpotFixture f(SmallPortal(), options);
  RequireAllOk(f.Sync());
  auto diffs = f.DifferencesFromPortal();
  INFO(Describe(diffs));
  REQUIRE(diffs.empty());
  auto stats = f.sim.Stats();
  CHECK(stats.by_path["/crm/v4/associations/deals/contacts/batch/read"] == 1);
  CHECK(stats.by_path["/crm/v3/associations/deals/contacts/batch/read"] >= 2);
}

TEST_CASE("The daily limit stops the connector without spending retries", "[hubspot]") {
  HubSpotFixture f(SmallPortal());
  f.sim.InjectFault({sim::FaultKind::kDailyLimit, "/crm/v3/objects/contacts", 1});
  auto results = f.Sync();
  REQUIRE(results.size() == 2);  // owners ok, contacts stopped, deals not tried
  CHECK(results[0].status.ok());
  CHECK(results[1].status.code() == StatusCode::kQuotaExhausted);
  CHECK(results[1].retries == 0);
  CHECK_THAT(results[1].status.message(), Catch::Contains("daily"));
}

TEST_CASE(
    "A private app stops once the portal's daily limit is used but for rate_limit_reserve, "
    "before any 429",
    "[hubspot]") {
  sim::SimOptions options;  // a private app's limits and headers
  options.daily_limit = 20;
  HubSpotFixture f(SmallPortal(), options);
  auto results = f.Sync();
  REQUIRE(results.size() >= 2);
  const StreamSyncResult& stopped = results.back();
  CHECK(stopped.status.code() == StatusCode::kQuotaExhausted);
  // 5% of 20 is one request, left to the portal's other apps.
  CHECK_THAT(stopped.status.message(),
             Catch::Contains("the portal's daily API limit is used up (19 of 20 requests, the "
                             "last 1 left to other apps by rate_limit_reserve)"));
  CHECK(f.sim.Stats().by_status[429] == 0);
  const std::string metrics = GlobalMetrics().RenderText();
  CHECK_THAT(metrics, Catch::Contains("salesaudit_api_daily_requests_used{connector=\"" +
                                      f.config.name + "\"} 19"));
}

TEST_CASE("A missing scope stops the connector with the API's explanation", "[hubspot]") {
  HubSpotFixture f(SmallPortal());
  f.sim.InjectFault({sim::FaultKind::kMissingScopes, "/crm/v3/owners", 1});
  auto results = f.Sync();
  REQUIRE(results.size() == 1);
  CHECK(results[0].status.code() == StatusCode::kPermissionDenied);
  CHECK_THAT(results[0].status.message(), Catch::Contains("HTTP 403") &&
                                              Catch::Contains("scopes") &&
                                              Catch::Contains("/crm/v3/owners"));
}

TEST_CASE("The default request budget keeps searches under HubSpot's per-second limit",
          "[hubspot][budget]") {
  sim::SimOptions options;
  options.search_per_second_limit = 4;
  options.ten_secondly_limit = 100;
  HubSpotFixture f(SmallPortal(), options);
  f.config.rate_limit.reset();  // the connector's defaults: 100 per 10 s, 4 searches per s
  RequireAllOk(f.Sync());
  f.sim.UpdateContacts(1200);  // six search pages, more than four in a second
  f.sim.ResetStats();
  RequireAllOk(f.Sync());
  auto stats = f.sim.Stats();
  CHECK(stats.by_path["/crm/v3/objects/contacts/search"] >= 6);
  CHECK(stats.by_status[429] == 0);
  CHECK(f.DifferencesFromPortal().empty());

  // Without the budget the same run meets the limit: the check above can fail.
  f.config.rate_limit = RateLimit{};
  f.sim.UpdateContacts(1200);
  f.sim.ResetStats();
  RequireAllOk(f.Sync());
  CHECK(f.sim.Stats().by_status[429] > 0);
}

TEST_CASE("Without a rate_limit the budget rises to the limit the portal states, less the reserve",
          "[hubspot][budget]") {
  sim::SimOptions options;
  options.ten_secondly_limit = 190;  // a Professional portal; stated in X-HubSpot-RateLimit-Max
  sim::PortalSpec spec = SmallPortal();
  spec.contacts = 12000;  // 120 list pages: more than the type's default of 100 per 10 s
  // The clock stands still, so no request leaves any window: a budget that
  // stayed at 100 would wait on it for good.
  ManualClock clock;
  HubSpotFixture f(spec, options, clock);

  f.config.rate_limit.reset();
  auto risen = std::async(std::launch::async, [&] { return f.Sync(); });
  REQUIRE(risen.wait_for(std::chrono::seconds(60)) == std::future_status::ready);
  RequireAllOk(risen.get());
  auto stats = f.sim.Stats();
  CHECK(stats.by_path["/crm/v3/objects/contacts"] >= 120);
  CHECK(stats.by_status[429] == 0);
  REQUIRE(f.DifferencesFromPortal().empty());

  // An operator's rate_limit stays the ceiling: the same run waits at 100.
  f.config.rate_limit = RateLimit{100, std::chrono::seconds(10)};
  clock.Advance(std::chrono::seconds(10));
  f.sim.ResetStats();
  auto capped = std::async(std::launch::async, [&] { return f.Sync(/*full=*/true); });
  REQUIRE(clock.AwaitWaiters(1, std::chrono::seconds(60)));
  CHECK(f.sim.Stats().requests == 100);
  clock.Advance(std::chrono::seconds(10));
  REQUIRE(capped.wait_for(std::chrono::seconds(60)) == std::future_status::ready);
  RequireAllOk(capped.get());
}

TEST_CASE("Connector entries on one portal with the same credentials share one request budget",
          "[hubspot][budget]") {
  // The clock stands still: a request in a window stays there.
  ManualClock clock;
  HubSpotFixture f(SmallPortal(), sim::SimOptions::WithoutRateLimits(), clock);
  f.config.streams = {"owners", "contacts"};
  std::atomic<bool> cancel{false};
  SyncRequest full;
  full.full = true;  // list pages only: HubSpot's search bucket is not this test's
  for (const auto& result : f.Sync(/*full=*/true)) REQUIRE(result.status.ok());
  const int64_t per_run = f.sim.Stats().requests;  // what one entry's run sends
  REQUIRE(per_run >= 3);

  // A budget with room for one run and one request more.
  f.config.rate_limit = RateLimit{static_cast<int>(per_run) + 1, std::chrono::seconds(10)};
  SyncEngine engine(*f.store, BuiltinConnectors(), clock);
  const auto run = [&](const ConnectorConfig& config) {
    return std::async(std::launch::async, [&engine, &cancel, &full, config] {
      return engine.RunConnector(config, full, cancel);
    });
  };
  auto first = run(f.config);
  REQUIRE(first.wait_for(std::chrono::seconds(60)) == std::future_status::ready);
  for (const auto& result : first.get()) REQUIRE(result.status.ok());

  // Another address of the portal is another quota as far as the engine
  // can tell: its own budget, not held up.
  ConnectorConfig elsewhere = f.config;
  elsewhere.name = "crm-by-name";
  elsewhere.base_url =
      "http://localhost:" + f.sim.base_url().substr(f.sim.base_url().rfind(':') + 1);
  auto separate = run(elsewhere);
  REQUIRE(separate.wait_for(std::chrono::seconds(60)) == std::future_status::ready);
  for (const auto& result : separate.get()) REQUIRE(result.status.ok());

  // Another entry with the same address and token spends the same quota:
  // one request is left for it, then it waits.
  ConnectorConfig same_portal = f.config;
  same_portal.name = "crm-marketing";
  const int64_t before = f.sim.Stats().requests;
  auto shared = run(same_portal);
  REQUIRE(clock.AwaitWaiters(1, std::chrono::seconds(60)));
  CHECK(f.sim.Stats().requests - before == 1);
  cancel = true;
  REQUIRE(shared.wait_for(std::chrono::seconds(60)) == std::future_status::ready);
}

TEST_CASE("sync --full re-reads everything through the list endpoints", "[hubspot]") {
  HubSpotFixture f(SmallPortal());
  RequireAllOk(f.Sync());
  f.sim.ResetStats();
  RequireAllOk(f.Sync(/*full=*/true));
  auto stats = f.sim.Stats();
  CHECK(stats.by_path["/crm/v3/objects/contacts/search"] == 0);
  CHECK(stats.by_path["/crm/v3/objects/contacts"] >= 15);
  CHECK(f.DifferencesFromPortal().empty());
}

}  // namespace
}  // namespace salesaudit::testing

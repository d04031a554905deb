// The Salesforce connector against the simulator over loopback, into a real
// SQLite store: full and incremental syncs compared field by field with the
// org, sessions and locators that die mid-query, the vendor's failures and
// limits, credentials, and the mapping options.
#include <signal.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "connectors/salesforce/salesforce_api.h"
#include "connectors/salesforce/salesforce_streams.h"
#include "core/metrics.h"
#include "tests/connectors/salesforce/salesforce_fixture.h"

namespace salesaudit::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

#define REQUIRE_MATCHES_ORG(f)                   \
  do {                                           \
    const auto diffs = (f).DifferencesFromOrg(); \
    INFO(FirstDifferences(diffs));               \
    REQUIRE(diffs.empty());                      \
  } while (false)

std::string Cursor(Store& store, const std::string& stream) {
  auto states = store.ListStreamStates();
  if (!states.ok()) return "";
  for (const auto& s : *states) {
    if (s.connector == "sf" && s.stream == stream) return s.cursor;
  }
  return "";
}

int64_t Count(const std::map<std::string, FunnelRow>& rows,
              std::optional<int64_t> FunnelRow::*stage) {
  int64_t n = 0;
  for (const auto& entry : rows) n += (entry.second.*stage).has_value() ? 1 : 0;
  return n;
}

TEST_CASE(
    "A full sync stores the org field by field: one row per person, owners, deals, links "
    "and effective stage dates",
    "[salesforce]") {
  SalesforceFixture f(SmallOrg());
  auto results = f.Sync();
  INFO(FailedStreams(results));
  REQUIRE(FailedStreams(results).empty());
  REQUIRE_MATCHES_ORG(f);

  // Not a vacuous match: the org has conversions, status history and won deals.
  const auto funnel = f.StoredFunnel();
  const auto leads = f.sim.Records("Lead");
  int64_t converted = 0;
  for (const auto& lead : leads) {
    auto it = lead.fields.find("IsConverted");
    converted +=
        it != lead.fields.end() && std::get_if<bool>(&it->second) && std::get<bool>(it->second);
  }
  CHECK(converted > 30);
  CHECK(Count(funnel, &FunnelRow::contacted_at) > 10);
  CHECK(Count(funnel, &FunnelRow::sql_at) >= converted);
  CHECK(Count(funnel, &FunnelRow::won_at) > 0);
  // The leads stream counts leads, not the evidence beside them; the
  // contacts stream says how many contacts were converted leads' persons.
  for (const StreamSyncResult& r : results) {
    if (r.stream == "leads") CHECK(r.records == static_cast<int64_t>(leads.size()));
    if (r.stream != "contacts") continue;
    CHECK(r.records == static_cast<int64_t>(f.sim.Records("Contact").size()));
    CHECK(r.aliased_contacts == converted);
    CHECK_THAT(r.Summary(), Catch::Contains("(" + std::to_string(converted) +
                                            " of them aliases of other contacts, counted once"));
  }
  // A converted lead and its contact are one person.
  auto live = f.store->CountRows(RecordKind::kContact, "sf", false);
  REQUIRE(live.ok());
  CHECK(*live == static_cast<int64_t>(leads.size() + f.sim.Records("Contact").size()) - converted);
}

TEST_CASE(
    "An incremental sync after 1,200 changes in one SystemModstamp second, conversions, "
    "deletions, merges and a late commit equals the org again",
    "[salesforce]") {
  ManualClock clock;
  sim::OrgSpec spec = SmallOrg();
  spec.leads = 1500;
  SalesforceFixture f(spec, {}, clock);
  clock.Advance(std::chrono::minutes(1));
  REQUIRE(FailedStreams(f.Sync()).empty());
  REQUIRE_MATCHES_ORG(f);
  const int64_t first_run = clock.NowMs();

  clock.Advance(std::chrono::hours(1));
  const auto leads = f.sim.Records("Lead");
  std::vector<std::string> open;
  for (const auto& lead : leads) {
    auto it = lead.fields.find("IsConverted");
    if (it != lead.fields.end() && !std::get<bool>(it->second)) open.push_back(lead.id);
  }
  REQUIRE(open.size() > 20);
  for (size_t i = 0; i < 5; ++i) f.sim.ConvertLead(open[i]);
  f.sim.ConvertLead(open[5], "Closed - Converted", /*create_opportunity=*/false);
  for (size_t i = 6; i < 12; ++i) {
    f.sim.Update("Lead", open[i], {{"Status", std::string("Working - Contacted")}});
  }
  f.sim.Delete("Lead", open[12]);
  f.sim.Delete("Opportunity", f.sim.Records("Opportunity").front().id);
  const auto contacts = f.sim.Records("Contact");
  f.sim.Merge("Contact", contacts[0].id, contacts[1].id);
  f.sim.Merge("Lead", open[13], open[14]);
  // A row committed after later ones were read, stamped inside the lookback.
  f.sim.InsertLate("Lead",
                   {{"LastName", std::string("Late")},
                    {"Company", std::string("Lag Inc")},
                    {"Status", std::string("Working - Contacted")},
                    {"Email", std::string("late@example.com")}},
                   first_run - 60 * 1000);
  // A system job stamps 1,200 leads within one second.
  f.sim.TouchMany("Lead", 1200, clock.NowMs() - 5000);
  clock.Advance(std::chrono::minutes(1));

  auto results = f.Sync();
  INFO(FailedStreams(results));
  REQUIRE(FailedStreams(results).empty());
  REQUIRE_MATCHES_ORG(f);
  // The next run re-reads the lookback, then a quiet org costs one query per
  // stream and no rows.
  clock.Advance(std::chrono::minutes(30));
  REQUIRE(FailedStreams(f.Sync()).empty());
  REQUIRE_MATCHES_ORG(f);
  f.sim.ResetStats();
  clock.Advance(std::chrono::minutes(30));
  REQUIRE(FailedStreams(f.Sync()).empty());
  const sim::SfSimStats quiet = f.sim.Stats();
  CHECK(quiet.rows_served == 0);
  CHECK(quiet.requests <= 6);  // the token and one query for each of the five streams
}

TEST_CASE("A session that ends in the middle of a query resumes from the last committed batch",
          "[salesforce]") {
  sim::OrgSpec spec = SmallOrg();
  spec.leads = 5000;
  spec.converted_share = 0.05;
  int64_t clean_rows = 0;
  {
    SalesforceFixture clean(spec);
    REQUIRE(FailedStreams(clean.Sync()).empty());
    clean_rows = clean.sim.Stats().rows_served;
  }
  SalesforceFixture f(spec);
  // Every session ends once the first batch of leads is committed, so the
  // request for the next one finds its session and locator gone.
  bool expired = false;
  auto results = f.Sync(false, [&f, &expired](const SyncProgress& progress) {
    if (progress.stream == "leads" && !expired) {
      f.sim.ExpireSessions();
      expired = true;
    }
  });
  REQUIRE(expired);
  INFO(FailedStreams(results));
  REQUIRE(FailedStreams(results).empty());
  REQUIRE_MATCHES_ORG(f);
  const sim::SfSimStats stats = f.sim.Stats();
  CHECK(stats.tokens_issued >= 2);
  CHECK(stats.queries.at("Lead") >= 2);
  // Asked again from the committed batch, not from the first lead.
  CHECK(stats.rows_served - clean_rows <= 2000);
}

TEST_CASE("Server errors and a truncated body are retried and lose nothing", "[salesforce]") {
  SalesforceFixture f(SmallOrg());
  // One after the other: each fault waits until the one before is spent.
  f.sim.AddFault({sim::SfFaultKind::kServerError, "/services/data/", 2});
  f.sim.AddFault({sim::SfFaultKind::kUnavailableJsonArray, "/services/data/", 1, 0, 1});
  f.sim.AddFault({sim::SfFaultKind::kTruncated, "/services/data/", 1, 0, 1});
  auto results = f.Sync();
  INFO(FailedStreams(results));
  REQUIRE(FailedStreams(results).empty());
  int64_t retries = 0;
  for (const auto& r : results) retries += r.retries;
  CHECK(retries >= 4);
  REQUIRE_MATCHES_ORG(f);
}

TEST_CASE(
    "A refused refresh token stops the connector with a re-authorise message and leaves "
    "the store as it was",
    "[salesforce]") {
  SalesforceFixture f(SmallOrg());
  REQUIRE(FailedStreams(f.Sync()).empty());
  const std::string before = Cursor(*f.store, "leads");
  auto rows_before = f.store->CountRows(RecordKind::kContact, "sf", true);
  f.config.auth["refresh_token"] = "5Aep861-revoked";
  f.sim.ResetStats();
  auto results = f.Sync();
  REQUIRE_FALSE(results.empty());
  CHECK(results[0].status.code() == StatusCode::kUnauthenticated);
  CHECK_THAT(results[0].status.message(), Catch::Contains("invalid_grant"));
  CHECK_THAT(results[0].status.message(), Catch::Contains("authorise the app again"));
  CHECK_THAT(results[0].status.message(), !Catch::Contains("5Aep861-revoked"));
  // One refused exchange, no retry loop, nothing else asked.
  CHECK(f.sim.Stats().requests == 1);
  CHECK(Cursor(*f.store, "leads") == before);
  CHECK(f.store->CountRows(RecordKind::kContact, "sf", true).value() == rows_before.value());
}

// An org of 5,000 leads (three batches) whose daily allowance of 100 API
// requests has `used` of them used already.
SalesforceFixture DailyAllowanceUsed(int64_t used) {
  sim::OrgSpec spec = SmallOrg();
  spec.leads = 5000;
  sim::SalesforceSimOptions options;
  options.daily_api_limit = 100;
  options.api_usage_start = used;
  return SalesforceFixture(spec, options);
}

TEST_CASE(
    "The daily API limit ends the run cleanly with its cursor kept and a handful of "
    "requests after it",
    "[salesforce]") {
  // The users query and a few batches of leads with their history fit
  // before the 5 requests rate_limit_reserve leaves to other apps.
  SalesforceFixture f = DailyAllowanceUsed(85);
  auto results = f.Sync();
  REQUIRE(results.size() >= 2);
  CHECK(results[0].status.ok());
  const StreamSyncResult& leads = results[1];
  CHECK(leads.status.code() == StatusCode::kQuotaExhausted);
  CHECK_THAT(leads.status.message(), Catch::Contains("API allowance"));
  // Whole batches were committed with their position.
  CHECK_THAT(Cursor(*f.store, "leads"), Catch::Contains("after_id"));
  const int64_t stored = f.store->CountRows(RecordKind::kContact, "sf", true).value();
  CHECK(stored >= 2000);
  CHECK(stored < 5000);
  CHECK(stored % 2000 == 0);
  // At most one refused request: the connector's other streams do not try.
  CHECK(f.sim.Stats().by_status[403] <= 1);
  // The usage the org reported is exported.
  const std::string metrics = GlobalMetrics().RenderText();
  CHECK_THAT(metrics,
             Catch::Contains("salesaudit_api_daily_requests_allowed{connector=\"sf\"} 100"));
  // The org's other integrations keep rate_limit_reserve of the allowance.
  CHECK(f.sim.api_usage() == 95);
  CHECK_THAT(leads.status.message(),
             Catch::Contains("the last 5 left to other apps by rate_limit_reserve"));
}

TEST_CASE("With rate_limit_reserve 0 the daily API allowance is used to its end", "[salesforce]") {
  SalesforceFixture f = DailyAllowanceUsed(90);
  f.config.rate_limit_reserve = 0;
  auto results = f.Sync();
  REQUIRE(results.size() >= 2);
  CHECK(results[1].status.code() == StatusCode::kQuotaExhausted);
  CHECK(f.sim.api_usage() == 100);
}

TEST_CASE(
    "Credentials never reach the store, the results or the log, even when the org echoes "
    "them",
    "[salesforce][secrets]") {
  sim::SalesforceSimOptions options;
  options.echo_credentials = true;
  SalesforceFixture f(SmallOrg(), options);
  f.sim.AddFault({sim::SfFaultKind::kServerError, "/services/data/", 20});
  auto failed = f.Sync();
  f.sim.ClearFaults();
  auto ok = f.Sync();
  REQUIRE(FailedStreams(ok).empty());
  std::vector<std::string> secrets = {options.client_secret, options.refresh_token};
  for (const std::string& token : f.sim.Stats().access_tokens) secrets.push_back(token);
  std::string everything;
  for (const auto& r : failed) everything += r.Summary() + "\n";
  for (const char* file : {"salesaudit.db", "salesaudit.db-wal"}) {
    if (std::filesystem::exists(f.dir.File(file))) everything += ReadFile(f.dir.File(file));
  }
  auto states = f.store->ListStreamStates();
  REQUIRE(states.ok());
  for (const auto& s : *states) everything += s.last_error + s.cursor;
  CHECK_THAT(everything, Catch::Contains("HTTP 500"));
  for (const std::string& secret : secrets) {
    INFO(secret);
    CHECK(everything.find(secret) == std::string::npos);
  }
}

TEST_CASE(
    "A rotated refresh token is kept beside the store in a 0600 file and used after a "
    "restart, until the config names another",
    "[salesforce]") {
  sim::SalesforceSimOptions options;
  options.rotate_refresh_token = true;
  SalesforceFixture f(SmallOrg(), options);
  REQUIRE(FailedStreams(f.Sync()).empty());
  const std::string path = salesforce::RefreshTokenPath(f.config);
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  const std::vector<std::string> rotated = f.sim.Stats().refresh_tokens;
  REQUIRE_FALSE(rotated.empty());
  CHECK_THAT(ReadFile(path), Catch::Contains(rotated.back()));
  // The configured token was invalidated by the rotation: a new connector
  // (a restart) only works with the kept one.
  REQUIRE(FailedStreams(f.Sync()).empty());
  CHECK_THAT(ReadFile(path), Catch::Contains(f.sim.Stats().refresh_tokens.back()));
  REQUIRE_MATCHES_ORG(f);
  // An admin who configures a new token is not overruled by the file.
  f.config.auth["refresh_token"] = "5Aep861-newly-authorised";
  auto results = f.Sync();
  REQUIRE_FALSE(results.empty());
  CHECK(results[0].status.code() == StatusCode::kUnauthenticated);
}

TEST_CASE("A lead owned by a queue keeps the queue as owner and is reported in data quality",
          "[salesforce]") {
  SalesforceFixture f(SmallOrg());
  REQUIRE(FailedStreams(f.Sync()).empty());
  int64_t queue_owned = 0;
  for (const auto& lead : f.sim.Records("Lead")) {
    auto it = lead.fields.find("OwnerId");
    const auto* owner = it == lead.fields.end() ? nullptr : std::get_if<std::string>(&it->second);
    queue_owned += owner != nullptr && owner->rfind("00G", 0) == 0;
  }
  REQUIRE(queue_owned > 0);
  auto issues = f.store->ValueIssueCounts();
  REQUIRE(issues.ok());
  int64_t reported = 0;
  for (const auto& issue : *issues) {
    if (issue.connector == "sf" && issue.stream == "leads" && issue.property == "OwnerId") {
      reported += issue.count;
    }
  }
  CHECK(reported == queue_owned);
  REQUIRE_MATCHES_ORG(f);
}

TEST_CASE(
    "Opportunities take the org's currency: each its own in a multi-currency org, the "
    "configured one in a single-currency org",
    "[salesforce]") {
  SECTION("multi-currency") {
    sim::OrgSpec spec = SmallOrg();
    spec.multi_currency = true;
    SalesforceFixture f(spec);
    REQUIRE(FailedStreams(f.Sync()).empty());
    REQUIRE_MATCHES_ORG(f);
    std::set<std::string> currencies;
    (void)f.store->ForEachDeal([&](const StoredDeal& d) { currencies.insert(d.deal.currency); });
    CHECK(currencies.size() > 1);
    CHECK(currencies.count("") == 0);
  }
  SECTION("single currency, named in the config") {
    SalesforceFixture f(SmallOrg());
    f.config.options.Set(salesforce::kCurrencyOption, std::string("EUR"));
    REQUIRE(FailedStreams(f.Sync()).empty());
    std::set<std::string> currencies;
    (void)f.store->ForEachDeal([&](const StoredDeal& d) { currencies.insert(d.deal.currency); });
    CHECK(currencies == std::set<std::string>{"EUR"});
    // Never asked for a field the org does not have.
    CHECK(f.sim.Stats().by_status[400] == 0);
  }
}

TEST_CASE("fields: reads a custom field on one object, and stages: dates another status",
          "[salesforce]") {
  sim::OrgSpec spec = SmallOrg();
  spec.custom_fields["Lead"] = {{"Channel__c", sim::FieldType::kPicklist}};
  SalesforceFixture f(spec);
  f.config.fields["channel"] = {"Lead.Channel__c"};
  f.config.stages["contacted"] = {"Open - Not Contacted"};
  REQUIRE(FailedStreams(f.Sync()).empty());
  const auto funnel = f.StoredFunnel();
  int64_t custom = 0;
  for (const auto& lead : f.sim.Records("Lead")) {
    auto it = lead.fields.find("Channel__c");
    const auto* channel = it == lead.fields.end() ? nullptr : std::get_if<std::string>(&it->second);
    auto row = funnel.find(lead.id);
    REQUIRE(row != funnel.end());
    CHECK(row->second.channel == (channel != nullptr ? *channel : ""));
    custom += channel != nullptr && !channel->empty();
  }
  CHECK(custom > 0);
  // Contacts keep LeadSource.
  for (const auto& contact : f.sim.Records("Contact")) {
    auto row = funnel.find(contact.id);
    if (row == funnel.end()) continue;  // a converted lead's contact
    auto it = contact.fields.find("LeadSource");
    const auto* source =
        it == contact.fields.end() ? nullptr : std::get_if<std::string>(&it->second);
    CHECK(row->second.channel == (source != nullptr ? *source : ""));
  }
  // Leads created "Open - Not Contacted" are contacted from their creation.
  int64_t contacted_at_creation = 0;
  for (const auto& entry : funnel) {
    contacted_at_creation +=
        entry.second.contacted_at && entry.second.contacted_at == entry.second.created_at;
  }
  CHECK(contacted_at_creation > 10);
}

TEST_CASE(
    "A kill -9 in the middle of a sync, then a rerun, converges with nothing lost or "
    "duplicated",
    "[salesforce][crash]") {
  sim::OrgSpec spec = SmallOrg();
  spec.leads = 8000;
  SalesforceFixture f(spec);
  WriteFile(f.dir.File("config.yaml"), f.ConfigYaml());
  const std::map<std::string, std::string> env = {
      {"TEST_SF_CLIENT_ID", f.options.client_id},
      {"TEST_SF_CLIENT_SECRET", f.options.client_secret},
      {"TEST_SF_REFRESH_TOKEN", f.options.refresh_token}};
  const std::vector<std::string> argv = {SALESAUDIT_BINARY, "--config", f.dir.File("config.yaml"),
                                         "sync"};
  // Slow batches so the kill lands after some committed.
  f.sim.AddFault({sim::SfFaultKind::kSlow, "/services/data/v61.0/query/", 100, 400});
  {
    ChildProcess child(argv, f.dir.path(), env);
    REQUIRE(WaitFor(
        [&] {
          auto n = f.store->CountRows(RecordKind::kContact, "sf", true);
          return n.ok() && *n >= 2000;
        },
        seconds(60)));
    child.Signal(SIGKILL);
    CHECK(child.Wait(seconds(10)) == 128 + SIGKILL);
  }
  CHECK(f.store->CountRows(RecordKind::kContact, "sf", true).value() < 8000);
  f.sim.ClearFaults();
  auto rerun = RunProcess(argv, seconds(120), env);
  INFO(rerun.out << rerun.err);
  REQUIRE(rerun.exit_code == 0);
  REQUIRE_MATCHES_ORG(f);
}

}  // namespace
}  // namespace salesaudit::testing

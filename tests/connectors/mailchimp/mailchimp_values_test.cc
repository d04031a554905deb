// Bad values from Mailchimp, sent over real HTTP and synced by the engine
// into a real SQLite store: wrong types are unknown with an issue, a record
// without an id is dropped and named, a total_items of another type fails
// the run rather than end paging.
#include <atomic>
#include <catch2/catch.hpp>
#include <map>
#include <string>

#include "connectors/connector.h"
#include "store/store.h"
#include "sync/sync_engine.h"
#include "tests/support/subprocess.h"
#include "tests/support/test_http_server.h"

namespace salesaudit::testing {
namespace {

// A Mailchimp stand-in answering every campaigns listing with `body`.
struct CampaignsServer {
  explicit CampaignsServer(std::string page) : body(std::move(page)) {
    server.SetHandler([this](const TestHttpRequest&) {
      return TestHttpResponse{.headers = {{"Content-Type", "application/json"}}, .body = body};
    });
    auto opened = Store::Open(dir.File("salesaudit.db"));
    REQUIRE(opened.ok());
    store = std::move(opened).value();
    config.name = "mail";
    config.type = "mailchimp";
    config.base_url = server.base_url() + "/3.0";
    config.auth["api_key"] = "0123456789abcdef0123456789abcdef-us19";
    config.rate_limit = RateLimit{};
    config.max_retries = 0;
  }

  StreamSyncResult SyncCampaigns() {
    SyncEngine engine(*store, BuiltinConnectors());
    std::atomic<bool> cancel{false};
    SyncRequest request;
    request.streams = {"campaigns"};
    auto results = engine.RunConnector(config, request, cancel);
    REQUIRE(results.size() == 1);
    return results[0];
  }

  std::map<std::string, EmailCampaign> Campaigns() {
    std::map<std::string, EmailCampaign> out;
    REQUIRE(store
                ->ForEachEmailCampaign(
                    [&](const StoredEmailCampaign& c) { out[c.campaign.id] = c.campaign; })
                .ok());
    return out;
  }

  std::string body;
  TestHttpServer server;
  TempDir dir;
  std::unique_ptr<Store> store;
  ConnectorConfig config;
};

TEST_CASE(
    "Mailchimp values of the wrong type are unknown with an issue and a campaign without an id "
    "is dropped and named",
    "[mailchimp][values]") {
  CampaignsServer s(R"({"campaigns":[
    {"id":"c1","type":"regular","settings":{"title":["Spring"],"subject_line":"Hi \u0000there"},
     "send_time":1704878130,"emails_sent":"100"},
    {"type":"regular","settings":{"title":"Lost campaign"},"send_time":"2024-01-02T00:00:00+00:00"},
    {"id":"c3","type":"regular","settings":"none","send_time":"2024-01-03T00:00:00+00:00",
     "emails_sent":10}],
    "total_items":3})");
  const StreamSyncResult r = s.SyncCampaigns();
  INFO(r.Summary());
  REQUIRE(r.status.ok());
  auto campaigns = s.Campaigns();
  REQUIRE(campaigns.size() == 2);
  const EmailCampaign& c1 = campaigns["c1"];
  CHECK(c1.name.empty());
  CHECK(c1.subject == "Hi there");
  CHECK_FALSE(c1.sent_at.has_value());
  CHECK_FALSE(c1.reported.sent.has_value());
  CHECK(campaigns["c3"].reported.sent == 10);
  CHECK(campaigns["c3"].sent_at == 1704240000000);

  auto rows = s.store->ValueIssueCounts();
  REQUIRE(rows.ok());
  std::map<std::string, ValueIssueCount> issues;
  for (const ValueIssueCount& row : *rows) issues[row.property] = row;
  CHECK_THAT(issues["title"].last_problem, Catch::Contains("is an array, not a string"));
  CHECK(issues["title"].last_record_id == "c1");
  CHECK_THAT(issues["send_time"].last_problem, Catch::Contains("is a number, not a string"));
  CHECK_THAT(issues["emails_sent"].last_problem, Catch::Contains("is a string, not an integer"));
  CHECK_THAT(issues["subject"].last_problem, Catch::Contains("control characters"));
  CHECK(issues["settings"].last_record_id == "c3");
  CHECK_THAT(issues["id"].last_problem,
             Catch::Contains("#2 of the page") && Catch::Contains("Lost campaign"));
}

TEST_CASE("A Mailchimp total_items that is not an integer fails the run instead of ending paging",
          "[mailchimp][values]") {
  CampaignsServer s(R"({"campaigns":[{"id":"c1","type":"regular"}],"total_items":"250"})");
  const StreamSyncResult r = s.SyncCampaigns();
  INFO(r.Summary());
  REQUIRE_FALSE(r.status.ok());
  CHECK(r.status.code() == StatusCode::kDataLoss);
  CHECK_THAT(r.status.message(), Catch::Contains("total_items is a string, not an integer") &&
                                     Catch::Contains("mailchimp[mail]: campaigns"));
  CHECK(s.Campaigns().empty());
  auto cursor = s.store->GetCursor("mail", "campaigns");
  REQUIRE(cursor.ok());
  CHECK(cursor->empty());
}

}  // namespace
}  // namespace salesaudit::testing

// Bad values from HubSpot, sent over real HTTP and synced by the engine into
// a real SQLite store: each is repaired or dropped with an issue naming the
// record and property, counted in the store, and never blocks the stream.
#include <rapidjson/document.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <map>

#include "connectors/connector.h"
#include "connectors/hubspot/hubspot_connector.h"
#include "connectors/shared_options.h"
#include "core/page_check.h"
#include "core/time_util.h"
#include "tests/connectors/hubspot/hubspot_fixture.h"
#include "tests/support/test_http_server.h"

namespace salesaudit::testing {
namespace {

const char* const kBinary = SALESAUDIT_BINARY;

sim::PortalSpec SmallPortal() {
  sim::PortalSpec spec;
  spec.seed = 11;
  spec.contacts = 40;
  spec.deals = 5;
  spec.owners = 2;
  spec.email_campaigns = 1;
  spec.events_per_campaign = 10;
  return spec;
}

std::map<std::string, StoredContact> StoredContacts(Store& store) {
  std::map<std::string, StoredContact> out;
  REQUIRE(store.ForEachContact([&](const StoredContact& c) { out[c.contact.id] = c; }).ok());
  return out;
}

// value_issues rows of one connector and stream, by property.
std::map<std::string, ValueIssueCount> IssuesByProperty(Store& store, const std::string& stream) {
  auto rows = store.ValueIssueCounts();
  REQUIRE(rows.ok());
  std::map<std::string, ValueIssueCount> out;
  for (const ValueIssueCount& row : *rows) {
    if (row.stream == stream) out[row.property] = row;
  }
  return out;
}

TEST_CASE(
    "Invalid UTF-8 and NUL and a 10 MB name and implausible dates are stored repaired and counted",
    "[hubspot][values]") {
  HubSpotFixture f(SmallPortal());
  const auto portal = f.sim.Contacts();
  const std::string utf8_id = portal[0].id, big_id = portal[1].id, minus_id = portal[2].id,
                    year1_id = portal[3].id;
  f.sim.SetContactProperty(utf8_id, "firstname", std::string("Ana\xFF\0x", 6));
  f.sim.SetContactProperty(big_id, "lastname", std::string(10 * 1024 * 1024, 'L'));
  f.sim.SetContactProperty(minus_id, "createdate", "-99999999999999999");
  f.sim.SetContactProperty(year1_id, "createdate", "0001-01-01");

  for (const StreamSyncResult& r : f.Sync()) {
    INFO(r.Summary());
    CHECK(r.status.ok());
  }
  auto contacts = StoredContacts(*f.store);
  REQUIRE(contacts.size() == portal.size());
  CHECK(contacts[utf8_id].contact.first_name == "Ana\xEF\xBF\xBDx");
  CHECK(contacts[big_id].contact.last_name.size() == kMaxFreeTextBytes);
  CHECK_FALSE(contacts[minus_id].contact.created_at.has_value());
  CHECK_FALSE(contacts[year1_id].contact.created_at.has_value());

  auto issues = IssuesByProperty(*f.store, "contacts");
  CHECK(issues["first_name"].count == 1);
  CHECK(issues["first_name"].last_record_id == utf8_id);
  CHECK_THAT(issues["first_name"].last_problem,
             Catch::Contains("invalid UTF-8") && Catch::Contains("control characters"));
  CHECK(issues["last_name"].last_record_id == big_id);
  CHECK(issues["last_name"].last_problem.size() < 300);
  CHECK(issues["created_at"].count == 2);
}

// A HubSpot stand-in answering every request with one page (the archived
// listing: with no results), for the shapes the simulator cannot send.
struct OnePageServer {
  explicit OnePageServer(std::string page) : body(std::move(page)) {
    server.SetHandler([this](const TestHttpRequest& r) {
      if (r.target.find("archived=true") != std::string::npos) {
        return TestHttpResponse{.body = R"({"results":[]})"};
      }
      return TestHttpResponse{.headers = {{"Content-Type", "application/json"}}, .body = body};
    });
    auto opened = Store::Open(dir.File("salesaudit.db"));
    REQUIRE(opened.ok());
    store = std::move(opened).value();
    config.name = "crm";
    config.type = "hubspot";
    config.base_url = server.base_url();
    config.auth["token"] = "pat-na1-test";
    config.rate_limit = RateLimit{};
    config.max_retries = 0;
    config.options.Set(kHubSpotDeletionScanEveryOption, std::chrono::milliseconds(0));
  }

  StreamSyncResult Sync(const std::string& stream = "contacts") {
    SyncEngine engine(*store, BuiltinConnectors());
    std::atomic<bool> cancel{false};
    SyncRequest request;
    request.streams = {stream};
    auto results = engine.RunConnector(config, request, cancel);
    REQUIRE(results.size() == 1);
    return results[0];
  }

  std::string body;
  TestHttpServer server;
  TempDir dir;
  std::unique_ptr<Store> store;
  ConnectorConfig config;
};

TEST_CASE("Properties of the wrong JSON type are unknown with an issue and the rest is stored",
          "[hubspot][values]") {
  OnePageServer s(R"({"results":[
    {"id":"1","properties":{"email":{"value":"a@example.com"},"firstname":"Ana",
     "createdate":1704878130234,"hs_analytics_source":["PAID_SEARCH"],"lastname":true},
     "createdAt":"2024-01-10T09:15:30.234Z","updatedAt":"2024-02-01T11:00:02.118Z"},
    {"id":"2","properties":"not an object"}]})");
  const StreamSyncResult r = s.Sync();
  INFO(r.Summary());
  REQUIRE(r.status.ok());
  CHECK(r.records == 2);
  auto contacts = StoredContacts(*s.store);
  REQUIRE(contacts.size() == 2);
  const Contact& ana = contacts["1"].contact;
  CHECK(ana.email.empty());
  CHECK(ana.first_name == "Ana");
  CHECK(ana.channel.empty());
  CHECK(ana.last_name.empty());
  // The property is unusable; the envelope's createdAt stands in for it.
  CHECK(ana.created_at == 1704878130234);
  auto issues = IssuesByProperty(*s.store, "contacts");
  for (const char* property :
       {"email", "createdate", "hs_analytics_source", "lastname", "properties"}) {
    INFO(property);
    CHECK(issues[property].count == 1);
  }
  CHECK(issues["email"].last_record_id == "1");
  CHECK_THAT(issues["email"].last_problem, Catch::Contains("is an object, not a string"));
  CHECK_THAT(issues["createdate"].last_problem, Catch::Contains("is a number"));
  CHECK(issues["properties"].last_record_id == "2");
}

TEST_CASE("A record without an id is dropped and named and the rest of its page is stored",
          "[hubspot][values]") {
  OnePageServer s(R"({"results":[
    {"id":"1","properties":{"email":"first@example.com"}},
    {"properties":{"email":"lost@example.com"}},
    {"id":"","properties":{"email":"empty@example.com"}},
    {"id":"4","properties":{"email":"fourth@example.com"}}]})");
  const StreamSyncResult r = s.Sync();
  INFO(r.Summary());
  REQUIRE(r.status.ok());
  CHECK(r.records == 2);
  auto contacts = StoredContacts(*s.store);
  CHECK(contacts.size() == 2);
  CHECK(contacts.count("1") == 1);
  CHECK(contacts.count("4") == 1);
  auto issues = IssuesByProperty(*s.store, "contacts");
  CHECK(issues["id"].count == 2);
  CHECK_THAT(issues["id"].last_problem, Catch::Contains("#3 of the page") &&
                                            Catch::Contains("empty@example.com") &&
                                            Catch::Contains("dropped"));
  // The stream finished: its cursor moved on to incremental mode.
  auto cursor = s.store->GetCursor("crm", "contacts");
  REQUIRE(cursor.ok());
  CHECK_THAT(*cursor, Catch::Contains("incremental"));
}

TEST_CASE("Deals without a usable id are dropped without asking for their associations",
          "[hubspot][values]") {
  OnePageServer s(R"({"results":[
    {"id":"7","properties":{"dealname":"kept"}},
    {"properties":{"dealname":"lost"}},
    {"id":"","properties":{"dealname":"empty"}}]})");
  int association_requests = 0;
  std::string asked;
  s.server.SetHandler([&](const TestHttpRequest& r) {
    if (r.target.find("/associations/") != std::string::npos) {
      ++association_requests;
      asked = r.body;
      return TestHttpResponse{.headers = {{"Content-Type", "application/json"}},
                              .body = R"({"results":[{"from":{"id":"7"},"to":[]}]})"};
    }
    if (r.target.find("archived=true") != std::string::npos) {
      return TestHttpResponse{.body = R"({"results":[]})"};
    }
    return TestHttpResponse{.headers = {{"Content-Type", "application/json"}}, .body = s.body};
  });
  const StreamSyncResult r = s.Sync("deals");
  INFO(r.Summary());
  REQUIRE(r.status.ok());
  CHECK(r.records == 1);
  CHECK(association_requests == 1);
  CHECK(asked == R"({"inputs":[{"id":"7"}]})");
  auto issues = IssuesByProperty(*s.store, "deals");
  CHECK(issues["id"].count == 2);
}

TEST_CASE("A paging token that is not a string fails the stream instead of ending it",
          "[hubspot][values]") {
  const char* after = GENERATE("12345", R"({"token":"abc"})", "null");
  OnePageServer s(std::string(R"({"results":[{"id":"1","properties":{}}],)") +
                  R"("paging":{"next":{"after":)" + after + R"(,"link":"x"}}})");
  const StreamSyncResult r = s.Sync();
  INFO(r.Summary());
  REQUIRE_FALSE(r.status.ok());
  CHECK(r.status.code() == StatusCode::kDataLoss);
  CHECK_THAT(r.status.message(), Catch::Contains("paging.next.after is") &&
                                     Catch::Contains("not a string") &&
                                     Catch::Contains("hubspot[crm]: contacts"));
  // Nothing committed: the next run asks for the same page again.
  auto cursor = s.store->GetCursor("crm", "contacts");
  REQUIRE(cursor.ok());
  CHECK(cursor->empty());
  CHECK(StoredContacts(*s.store).empty());
}

TEST_CASE("An email API offset that is not a string fails the stream instead of ending it",
          "[hubspot][values]") {
  OnePageServer s(R"({"campaigns":[],"hasMore":true,"offset":42})");
  const StreamSyncResult r = s.Sync("email_campaigns");
  INFO(r.Summary());
  REQUIRE_FALSE(r.status.ok());
  CHECK_THAT(r.status.message(), Catch::Contains("offset is a number, not a string"));
  auto cursor = s.store->GetCursor("crm", "email_campaigns");
  REQUIRE(cursor.ok());
  CHECK(cursor->empty());
}

TEST_CASE("Email events with members of the wrong JSON type are reported and the others are stored",
          "[hubspot][values]") {
  OnePageServer s(R"({"events":[
    {"id":"e1","created":"1704878130234","type":"OPEN","recipient":"a@example.com"},
    {"id":"e2","created":1704878130234,"type":"CLICK","recipient":{"email":"b@example.com"},
     "url":["https://x.example/"],"emailCampaignId":5}],"hasMore":false})");
  s.config.options.Set(kEmailHistoryOption, std::chrono::hours(24));
  const StreamSyncResult r = s.Sync("email_events");
  INFO(r.Summary());
  REQUIRE(r.status.ok());
  std::vector<EmailEvent> events;
  REQUIRE(s.store->ForEachEmailEvent([&](const StoredEmailEvent& e) { events.push_back(e.event); })
              .ok());
  REQUIRE(events.size() == 1);
  CHECK(events[0].type == "click");
  CHECK(events[0].email.empty());
  CHECK(events[0].url.empty());
  CHECK(events[0].campaign_id == "5");
  auto issues = IssuesByProperty(*s.store, "email_events");
  CHECK_THAT(issues["created"].last_problem, Catch::Contains("event skipped"));
  CHECK(issues["created"].last_record_id == "e1");
  CHECK_THAT(issues["recipient"].last_problem, Catch::Contains("is an object, not a string"));
  CHECK_THAT(issues["url"].last_problem, Catch::Contains("is an array, not a string"));
}

TEST_CASE("The snapshot stays strict UTF-8 JSON after a sync of invalid UTF-8 and NUL",
          "[hubspot][values][cli]") {
  HubSpotFixture f(SmallPortal());
  const auto portal = f.sim.Contacts();
  // Channels appear in the snapshot itself.
  for (size_t i = 0; i < 5; ++i) {
    f.sim.SetContactProperty(portal[i].id, "hs_analytics_source",
                             std::string("PAID\xC3\0SEARCH\xFF", 13));
  }
  f.sim.SetContactProperty(portal[5].id, "createdate", "0001-01-01");
  const std::string config_path = f.dir.File("config.yaml");
  {
    std::ofstream out(config_path);
    out << f.ConfigYaml();
  }
  const std::map<std::string, std::string> env = {{"TEST_HUBSPOT_TOKEN", f.options.token}};
  auto sync = RunProcess({kBinary, "--config", config_path, "sync"}, std::chrono::seconds(60), env);
  INFO(sync.out << sync.err);
  REQUIRE(sync.exit_code == 0);
  CHECK_THAT(sync.err, Catch::Contains("property channel") && Catch::Contains("invalid UTF-8"));
  auto audit = RunProcess({kBinary, "--config", config_path, "audit", "--format", "json"},
                          std::chrono::seconds(60), env);
  INFO(audit.err);
  REQUIRE(audit.exit_code == 0);
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(audit.out.c_str(), audit.out.size());
  INFO("parse error at offset " << doc.GetErrorOffset());
  REQUIRE_FALSE(doc.HasParseError());
  CHECK(audit.out.find('\0') == std::string::npos);
  const auto& rejected = doc["data_quality"]["values_rejected"];
  CHECK(rejected["count"].GetInt64() == 6);
  REQUIRE(rejected["examples"].Size() >= 1);
  bool channel_shown = false;
  for (const auto& channel : doc["channels"].GetArray()) {
    channel_shown |=
        std::string(channel["channel"].GetString()) == "PAID\xEF\xBF\xBDSEARCH\xEF\xBF\xBD";
  }
  CHECK(channel_shown);
}

}  // namespace
}  // namespace salesaudit::testing

// The Salesforce simulator checked over real HTTP against the wire formats of
// docs/vendors/salesforce.md, so connector tests can trust what it serves:
// the token endpoint and sessions, query and queryAll batches and their
// locators, limits, faults, request size, and the org changes Salesforce
// makes. soql_test.cc covers the query language itself.
#include "tests/sim/salesforce/salesforce_sim.h"

#include <curl/curl.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/encoding.h"
#include "tests/sim/salesforce/sf_org.h"
#include "tests/support/curl_request.h"

namespace salesaudit::sim {
namespace {

struct Reply {
  long status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

// One request on a fresh connection: GET, or POST of `form` when given; a
// transfer that failed has its negated CURLcode as status.
Reply Http(const std::string& url, const std::vector<std::string>& headers,
           const std::string* form = nullptr) {
  testing::CurlReply r = testing::CurlRequest(url, headers, form);
  Reply reply{r.status, std::move(r.headers), std::move(r.body)};
  if (r.code != CURLE_OK) reply.status = -static_cast<long>(r.code);
  return reply;
}

rapidjson::Document Json(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.c_str());
  REQUIRE_FALSE(doc.HasParseError());
  return doc;
}

std::string Encode(const std::string& text) {
  char* escaped = curl_easy_escape(nullptr, text.c_str(), static_cast<int>(text.size()));
  std::string out(escaped);
  curl_free(escaped);
  return out;
}

// The errorCode of a Salesforce error array.
std::string ErrorCode(const Reply& reply) {
  rapidjson::Document doc = Json(reply.body);
  REQUIRE(doc.IsArray());
  REQUIRE(doc.Size() == 1);
  return doc[0]["errorCode"].GetString();
}

OrgSpec SmallOrg() {
  OrgSpec spec;
  spec.seed = 11;
  spec.leads = 300;
  spec.contacts_without_lead = 40;
  spec.opportunities = 30;
  return spec;
}

constexpr char kVersion[] = "/services/data/v61.0";

// A generated org served on an ephemeral port, and a client's steps against it.
struct Fixture {
  explicit Fixture(OrgSpec spec = SmallOrg(), SalesforceSimOptions options = {},
                   const Clock& clock = Clock::Default())
      : sim(spec, options, clock), options(options) {
    REQUIRE(sim.Start() != 0);
    url = sim.base_url();
  }

  Reply TokenReply(const std::string& refresh_token) {
    const std::string form = "grant_type=refresh_token&client_id=" + Encode(options.client_id) +
                             "&client_secret=" + Encode(options.client_secret) +
                             "&refresh_token=" + Encode(refresh_token);
    return Http(url + "/services/oauth2/token", {"Content-Type: application/x-www-form-urlencoded"},
                &form);
  }
  // A fresh access token from the configured refresh token.
  std::string Login() {
    Reply r = TokenReply(options.refresh_token);
    REQUIRE(r.status == 200);
    return Json(r.body)["access_token"].GetString();
  }
  Reply Get(const std::string& path_and_query, const std::string& token,
            const std::vector<std::string>& extra = {}) {
    std::vector<std::string> headers = extra;
    headers.push_back("Authorization: Bearer " + token);
    return Http(url + path_and_query, headers);
  }
  Reply Query(const std::string& soql, const std::string& token, bool all = false,
              const std::vector<std::string>& extra = {}) {
    return Get(std::string(kVersion) + (all ? "/queryAll" : "/query") + "?q=" + Encode(soql), token,
               extra);
  }
  // Pages a query to the end; returns the ids in order and checks totalSize
  // on every batch.
  std::vector<std::string> QueryIds(const std::string& soql, const std::string& token,
                                    bool all = false, const std::vector<std::string>& extra = {},
                                    std::vector<size_t>* batch_sizes = nullptr) {
    Reply r = Query(soql, token, all, extra);
    std::vector<std::string> ids;
    int64_t total = -1;
    for (;;) {
      REQUIRE(r.status == 200);
      rapidjson::Document doc = Json(r.body);
      if (total < 0) total = doc["totalSize"].GetInt64();
      CHECK(doc["totalSize"].GetInt64() == total);
      if (batch_sizes != nullptr) batch_sizes->push_back(doc["records"].Size());
      for (const auto& rec : doc["records"].GetArray()) ids.push_back(rec["Id"].GetString());
      if (doc["done"].GetBool()) {
        CHECK_FALSE(doc.HasMember("nextRecordsUrl"));
        break;
      }
      r = Get(doc["nextRecordsUrl"].GetString(), token, extra);
    }
    CHECK(static_cast<int64_t>(ids.size()) == total);
    return ids;
  }

  SalesforceSim sim;
  SalesforceSimOptions options;
  std::string url;
};

std::vector<std::string> IdsOf(const std::vector<SfRecord>& records) {
  std::vector<std::string> ids;
  for (const SfRecord& r : records) ids.push_back(r.id);
  return ids;
}

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

TEST_CASE("the token endpoint answers Salesforce's refresh grant fields without expires_in") {
  Fixture f;
  Reply r = f.TokenReply(f.options.refresh_token);
  REQUIRE(r.status == 200);
  rapidjson::Document doc = Json(r.body);
  const std::string access = doc["access_token"].GetString();
  CHECK(access.substr(0, 15) == f.sim.org_id().substr(0, 15));
  CHECK(access[15] == '!');
  CHECK(std::string(doc["instance_url"].GetString()) == f.url);
  CHECK(std::string(doc["token_type"].GetString()) == "Bearer");
  CHECK(std::string(doc["scope"].GetString()) == "refresh_token api");
  const std::string id = doc["id"].GetString();
  CHECK(id == f.url + "/id/" + f.sim.org_id() + "/" + f.sim.integration_user_id());
  const std::string issued_at = doc["issued_at"].GetString();
  CHECK(issued_at.size() == 13);
  CHECK_FALSE(doc.HasMember("expires_in"));
  CHECK_FALSE(doc.HasMember("refresh_token"));
  // signature = base64(HMAC-SHA256(id + issued_at, consumer secret)).
  std::optional<std::string> signature = Base64Decode(doc["signature"].GetString());
  REQUIRE(signature);
  CHECK(HexEncode(*signature) == HmacSha256Hex(f.options.client_secret, id + issued_at));
}

TEST_CASE("token errors are 400 with Salesforce's error and error_description") {
  Fixture f;
  auto error_of = [](const Reply& r) {
    REQUIRE(r.status == 400);
    rapidjson::Document doc = Json(r.body);
    return std::string(doc["error"].GetString()) + ": " + doc["error_description"].GetString();
  };
  CHECK(error_of(f.TokenReply("not-the-token")) == "invalid_grant: expired access/refresh token");
  const std::string bad_client = "grant_type=refresh_token&client_id=nope&refresh_token=x";
  CHECK(error_of(Http(f.url + "/services/oauth2/token", {}, &bad_client)) ==
        "invalid_client_id: client identifier invalid");
  const std::string bad_secret =
      "grant_type=refresh_token&client_id=" + Encode(f.options.client_id) +
      "&client_secret=wrong&refresh_token=" + Encode(f.options.refresh_token);
  CHECK(error_of(Http(f.url + "/services/oauth2/token", {}, &bad_secret)) ==
        "invalid_client: invalid client credentials");
  const std::string no_secret =
      "grant_type=refresh_token&client_id=" + Encode(f.options.client_id) +
      "&refresh_token=" + Encode(f.options.refresh_token);
  CHECK(error_of(Http(f.url + "/services/oauth2/token", {}, &no_secret)) ==
        "invalid_client: invalid client credentials");
  const std::string bad_grant = "grant_type=password&client_id=" + Encode(f.options.client_id);
  CHECK(error_of(Http(f.url + "/services/oauth2/token", {}, &bad_grant)) ==
        "unsupported_grant_type: grant type not supported");
}

TEST_CASE("with echo_credentials error messages quote the request's credentials") {
  SalesforceSimOptions options;
  options.echo_credentials = true;
  Fixture f(SmallOrg(), options);
  Reply denied = f.Query("SELECT Id FROM User", "leaked-token");
  CHECK(denied.status == 401);
  CHECK(denied.body.find("Bearer leaked-token") != std::string::npos);
  CHECK(f.TokenReply("leaked-refresh").body.find("leaked-refresh") != std::string::npos);
  CHECK(f.Query("SELECT Id FROM User", f.Login()).status == 200);
}

TEST_CASE("a rotated refresh token replaces the old one and ends the old session") {
  SalesforceSimOptions options;
  options.rotate_refresh_token = true;
  Fixture f(SmallOrg(), options);
  Reply first = f.TokenReply(options.refresh_token);
  REQUIRE(first.status == 200);
  rapidjson::Document doc = Json(first.body);
  const std::string old_access = doc["access_token"].GetString();
  const std::string rotated = doc["refresh_token"].GetString();
  CHECK(rotated != options.refresh_token);
  CHECK(f.Query("SELECT Id FROM User", old_access).status == 200);

  CHECK(f.TokenReply(options.refresh_token).status == 400);  // the old one is spent
  Reply second = f.TokenReply(rotated);
  REQUIRE(second.status == 200);
  const std::string new_access = Json(second.body)["access_token"].GetString();
  Reply dead = f.Query("SELECT Id FROM User", old_access);
  CHECK(dead.status == 401);
  CHECK(ErrorCode(dead) == "INVALID_SESSION_ID");
  CHECK(f.Query("SELECT Id FROM User", new_access).status == 200);
  CHECK(f.sim.Stats().refresh_tokens.size() == 2);
}

TEST_CASE("a missing, unknown or expired session gets 401 INVALID_SESSION_ID as a JSON array") {
  ManualClock clock;
  SalesforceSimOptions options;
  options.session_lifetime_ms = 60'000;
  Fixture f(SmallOrg(), options, clock);
  const std::string token = f.Login();
  CHECK(f.Query("SELECT Id FROM Lead LIMIT 1", token).status == 200);
  for (const std::string& bad : {std::string(""), std::string("00Dxx!garbage")}) {
    Reply r = f.Query("SELECT Id FROM Lead LIMIT 1", bad);
    CHECK(r.status == 401);
    CHECK(r.body ==
          R"([{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}])");
  }
  clock.Advance(std::chrono::milliseconds(60'000));
  CHECK(f.Query("SELECT Id FROM Lead LIMIT 1", token).status == 401);
  const std::string again = f.Login();
  CHECK(f.Query("SELECT Id FROM Lead LIMIT 1", again).status == 200);
  f.sim.ExpireSessions();
  CHECK(f.Query("SELECT Id FROM Lead LIMIT 1", again).status == 401);
}

TEST_CASE("query locators die with ExpireSessions and belong to the session that opened them") {
  Fixture f;
  const std::string token = f.Login();
  const std::vector<std::string> options = {"Sforce-Query-Options: batchSize=200"};
  rapidjson::Document first = Json(f.Query("SELECT Id FROM Lead", token, false, options).body);
  REQUIRE_FALSE(first["done"].GetBool());
  const std::string next = first["nextRecordsUrl"].GetString();
  const std::string other = f.Login();
  Reply foreign = f.Get(next, other);
  CHECK(foreign.status == 400);
  CHECK(foreign.body ==
        R"([{"message":"invalid query locator","errorCode":"INVALID_QUERY_LOCATOR"}])");
  CHECK(f.Get(next, token).status == 200);  // still the opener's

  rapidjson::Document again = Json(f.Query("SELECT Id FROM Lead", token, false, options).body);
  const std::string next2 = again["nextRecordsUrl"].GetString();
  f.sim.ExpireSessions();
  CHECK(f.sim.Stats().open_locators == 0);
  const std::string fresh = f.Login();
  Reply dead = f.Get(next2, fresh);
  CHECK(dead.status == 400);
  CHECK(ErrorCode(dead) == "INVALID_QUERY_LOCATOR");
}

TEST_CASE("a rotation kills the locators of the session it ends") {
  SalesforceSimOptions options;
  options.rotate_refresh_token = true;
  Fixture f(SmallOrg(), options);
  rapidjson::Document login = Json(f.TokenReply(options.refresh_token).body);
  const std::string token = login["access_token"].GetString();
  rapidjson::Document first = Json(
      f.Query("SELECT Id FROM Lead", token, false, {"Sforce-Query-Options: batchSize=200"}).body);
  const std::string next = first["nextRecordsUrl"].GetString();
  rapidjson::Document rotated = Json(f.TokenReply(login["refresh_token"].GetString()).body);
  Reply r = f.Get(next, rotated["access_token"].GetString());
  CHECK(r.status == 400);
  CHECK(ErrorCode(r) == "INVALID_QUERY_LOCATOR");
}

TEST_CASE("an idle locator expires and opening past the per-user cap releases the oldest") {
  ManualClock clock;
  SalesforceSimOptions options;
  options.max_open_locators = 3;
  Fixture f(SmallOrg(), options, clock);
  const std::string token = f.Login();
  const std::vector<std::string> small = {"Sforce-Query-Options: batchSize=200"};
  std::vector<std::string> nexts;
  for (int i = 0; i < 4; ++i) {
    nexts.push_back(Json(f.Query("SELECT Id FROM Lead", token, false, small).body)["nextRecordsUrl"]
                        .GetString());
  }
  CHECK(f.sim.Stats().open_locators == 3);
  CHECK(ErrorCode(f.Get(nexts[0], token)) == "INVALID_QUERY_LOCATOR");
  CHECK(f.Get(nexts[1], token).status == 200);
  clock.Advance(std::chrono::minutes(15));
  CHECK(ErrorCode(f.Get(nexts[2], token)) == "INVALID_QUERY_LOCATOR");
}

TEST_CASE("query pages in 2,000-row batches, batchSize asks for smaller ones, to the end") {
  OrgSpec spec = SmallOrg();
  spec.leads = 4500;
  Fixture f(spec);
  const std::string token = f.Login();
  std::vector<size_t> batches;
  const std::vector<std::string> ids =
      f.QueryIds("SELECT Id, Status FROM Lead", token, false, {}, &batches);
  CHECK(batches == std::vector<size_t>{2000, 2000, 500});
  CHECK(Sorted(ids) == IdsOf(f.sim.Records("Lead")));
  batches.clear();
  f.QueryIds("SELECT Id FROM Lead", token, false, {"Sforce-Query-Options: batchSize=1000"},
             &batches);
  CHECK(batches == std::vector<size_t>{1000, 1000, 1000, 1000, 500});
  batches.clear();
  f.QueryIds("SELECT Id FROM Lead", token, false, {"Sforce-Query-Options: batchSize=5000"},
             &batches);
  CHECK(batches.front() == 2000);
}

TEST_CASE("batches can come smaller than batchSize asks, as for wide rows") {
  SalesforceSimOptions options;
  options.max_batch_size = 250;
  Fixture f(SmallOrg(), options);
  const std::string token = f.Login();
  std::vector<size_t> batches;
  f.QueryIds("SELECT Id FROM Lead", token, false, {"Sforce-Query-Options: batchSize=1000"},
             &batches);
  CHECK(batches == std::vector<size_t>{250, 50});
}

TEST_CASE("records carry attributes and the selected fields only, in select order") {
  Fixture f;
  const std::string token = f.Login();
  Reply r = f.Query(
      "select systemmodstamp, ID, isconverted, ConvertedDate, Amount__x FROM Lead LIMIT 1", token);
  CHECK(r.status == 400);  // Amount__x is not a field
  r = f.Query(
      "select systemmodstamp, ID, isconverted, ConvertedDate FROM lead "
      "WHERE IsConverted = true LIMIT 1",
      token);
  REQUIRE(r.status == 200);
  rapidjson::Document doc = Json(r.body);
  const auto& rec = doc["records"][0];
  std::vector<std::string> keys;
  for (auto m = rec.MemberBegin(); m != rec.MemberEnd(); ++m) keys.push_back(m->name.GetString());
  CHECK(keys == std::vector<std::string>{"attributes", "SystemModstamp", "Id", "IsConverted",
                                         "ConvertedDate"});
  const std::string id = rec["Id"].GetString();
  CHECK(std::string(rec["attributes"]["type"].GetString()) == "Lead");
  CHECK(std::string(rec["attributes"]["url"].GetString()) ==
        std::string(kVersion) + "/sobjects/Lead/" + id);
  const std::string stamp = rec["SystemModstamp"].GetString();
  CHECK(stamp.size() == 28);
  CHECK(stamp.substr(19) == ".000+0000");
  CHECK(std::string(rec["ConvertedDate"].GetString()).size() == 10);
  CHECK(id.size() == 18);
  CHECK(id.substr(0, 3) == "00Q");
  CHECK(WithCaseSafeSuffix(id.substr(0, 15)) == id);
}

TEST_CASE("query hides deleted rows, queryAll shows them, and deletes cascade as Salesforce's do") {
  Fixture f;
  const std::string token = f.Login();
  const std::vector<SfRecord> opportunities = f.sim.Records("Opportunity");
  std::string opportunity;
  for (const SfRecord& o : opportunities) {
    const std::string q =
        "SELECT Id FROM OpportunityContactRole WHERE OpportunityId = '" + o.id + "'";
    if (!f.QueryIds(q, token).empty()) {
      opportunity = o.id;
      break;
    }
  }
  REQUIRE_FALSE(opportunity.empty());
  const std::string roles_q =
      "SELECT Id, IsDeleted FROM OpportunityContactRole WHERE OpportunityId = '" + opportunity +
      "'";
  const std::vector<std::string> roles = f.QueryIds(roles_q, token);
  f.sim.Delete("Opportunity", opportunity);
  const std::string q = "SELECT Id FROM Opportunity WHERE Id = '" + opportunity + "'";
  CHECK(f.QueryIds(q, token).empty());
  CHECK(f.QueryIds(q, token, /*all=*/true) == std::vector<std::string>{opportunity});
  CHECK(f.QueryIds(roles_q, token).empty());
  CHECK(Sorted(f.QueryIds(roles_q, token, true)) == Sorted(roles));
  rapidjson::Document deleted = Json(
      f.Query("SELECT Id, IsDeleted FROM Opportunity WHERE IsDeleted = true", token, true).body);
  CHECK(deleted["totalSize"].GetInt() == 1);
  CHECK(deleted["records"][0]["IsDeleted"].GetBool());

  f.sim.Undelete("Opportunity", opportunity);
  CHECK(Sorted(f.QueryIds(roles_q, token)) == Sorted(roles));
  f.sim.Delete("Opportunity", opportunity);
  f.sim.PurgeRecycleBin(0);
  CHECK(f.QueryIds(q, token, true).empty());
}

TEST_CASE("queryAll's nextRecordsUrl is under /query/ and also serves under /queryAll/") {
  Fixture f;
  const std::string token = f.Login();
  rapidjson::Document first = Json(
      f.Query("SELECT Id FROM Lead", token, /*all=*/true, {"Sforce-Query-Options: batchSize=200"})
          .body);
  std::string next = first["nextRecordsUrl"].GetString();
  REQUIRE(next.starts_with(std::string(kVersion) + "/query/01g"));
  next.replace(next.find("/query/"), 7, "/queryAll/");
  CHECK(f.Get(next, token).status == 200);
}

TEST_CASE("ties on SystemModstamp come back in varying order unless Id breaks them") {
  Fixture f;
  const std::string token = f.Login();
  const int64_t second = 1'700'000'000'000;
  const std::vector<std::string> touched = f.sim.TouchMany("Lead", 250, second);
  REQUIRE(touched.size() == 250);
  const std::string where =
      "SELECT Id FROM Lead WHERE SystemModstamp = 2023-11-14T22:13:20Z ORDER BY SystemModstamp";
  const std::vector<std::string> a = f.QueryIds(where, token);
  const std::vector<std::string> b = f.QueryIds(where, token);
  CHECK(Sorted(a) == Sorted(touched));
  CHECK(a != b);  // 250! orders: equal by chance is never
  const std::vector<std::string> by_id = f.QueryIds(where + ", Id", token);
  CHECK(by_id == Sorted(touched));
  CHECK(f.QueryIds(where + ", Id", token) == by_id);
}

TEST_CASE("commit lag hides a change until its time, and a late insert lands behind the cursor") {
  ManualClock clock;
  SalesforceSimOptions options;
  options.commit_lag_ms = 5'000;
  Fixture f(SmallOrg(), options, clock);
  const std::string token = f.Login();
  const std::string lead = f.sim.Records("Lead").front().id;
  f.sim.Update("Lead", lead, {{"Status", std::string("Closed - Not Converted")}});
  const std::string created = f.sim.Create(
      "Lead", {{"LastName", std::string("Lagged")}, {"Company", std::string("Lag Inc")}});
  const std::string q =
      "SELECT Id, Status FROM Lead WHERE Id IN ('" + lead + "', '" + created + "')";
  rapidjson::Document before = Json(f.Query(q, token).body);
  REQUIRE(before["totalSize"].GetInt() == 1);  // the new lead is not there yet
  CHECK(std::string(before["records"][0]["Status"].GetString()) != "Closed - Not Converted");
  clock.Advance(std::chrono::milliseconds(5'000));
  rapidjson::Document after = Json(f.Query(q + " ORDER BY Id", token).body);
  REQUIRE(after["totalSize"].GetInt() == 2);
  CHECK(std::string(after["records"][0]["Status"].GetString()) == "Closed - Not Converted");

  const int64_t old_stamp = clock.NowMs() - 3'600'000;
  const std::string late = f.sim.InsertLate(
      "Lead", {{"LastName", std::string("Late")}, {"Company", std::string("Late Co")}}, old_stamp);
  rapidjson::Document seen =
      Json(f.Query("SELECT Id, SystemModstamp FROM Lead WHERE Id = '" + late + "'", token).body);
  REQUIRE(seen["totalSize"].GetInt() == 1);
  CHECK(std::string(seen["records"][0]["SystemModstamp"].GetString()) ==
        FormatSfDateTime(old_stamp - old_stamp % 1000));
}

TEST_CASE("every REST answer carries Sforce-Limit-Info and the allocation ends in a 403") {
  SalesforceSimOptions options;
  options.daily_api_limit = 5;
  options.api_usage_start = 2;
  Fixture f(SmallOrg(), options);
  const std::string token = f.Login();
  Reply r = f.Query("SELECT Id FROM User", token);
  CHECK(r.headers["sforce-limit-info"] == "api-usage=3/5");
  r = f.Query("SELECT Nope FROM User", token);  // an error still counts
  CHECK(r.status == 400);
  CHECK(r.headers["sforce-limit-info"] == "api-usage=4/5");
  CHECK(f.Query("SELECT Id FROM User", token).status == 200);
  r = f.Query("SELECT Id FROM User", token);
  CHECK(r.status == 403);
  CHECK(r.body ==
        R"([{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}])");
  CHECK(r.headers["sforce-limit-info"] == "api-usage=5/5");
  CHECK(f.sim.api_usage() == 5);
  // The token endpoint and the versions list are not REST calls.
  CHECK(f.TokenReply(options.refresh_token).headers.count("sforce-limit-info") == 0);
  Reply versions = Http(f.url + "/services/data/", {});
  CHECK(versions.status == 200);
  CHECK(versions.headers.count("sforce-limit-info") == 0);
}

TEST_CASE("converting a lead writes what Salesforce writes") {
  Fixture f;
  const std::string token = f.Login();
  std::string lead;
  for (const SfRecord& r : f.sim.Records("Lead")) {
    if (!std::get<bool>(r.fields.at("IsConverted"))) {
      lead = r.id;
      break;
    }
  }
  const SfRecord before = *f.sim.Find("Lead", lead);
  const SalesforceSim::Conversion c = f.sim.ConvertLead(lead);
  const SfRecord after = *f.sim.Find("Lead", lead);
  CHECK(std::get<bool>(after.fields.at("IsConverted")));
  CHECK(std::get<std::string>(after.fields.at("Status")) == "Closed - Converted");
  CHECK(std::get<std::string>(after.fields.at("ConvertedContactId")) == c.contact_id);
  CHECK(std::get<std::string>(after.fields.at("ConvertedAccountId")) == c.account_id);
  CHECK(std::get<std::string>(after.fields.at("ConvertedOpportunityId")) == c.opportunity_id);
  const SfRecord contact = *f.sim.Find("Contact", c.contact_id);
  CHECK(contact.fields.at("Email") == before.fields.at("Email"));
  CHECK(contact.fields.at("LeadSource") == before.fields.at("LeadSource"));
  CHECK(std::get<std::string>(contact.fields.at("AccountId")) == c.account_id);
  const SfRecord opportunity = *f.sim.Find("Opportunity", c.opportunity_id);
  CHECK(std::get<std::string>(opportunity.fields.at("StageName")) == "Prospecting");
  CHECK(IsNull(opportunity.fields.at("Amount")));

  rapidjson::Document lead_json = Json(
      f.Query("SELECT ConvertedDate, IsConverted FROM Lead WHERE Id = '" + lead + "'", token).body);
  CHECK(std::string(lead_json["records"][0]["ConvertedDate"].GetString()) ==
        FormatSfDate(Clock::Default().NowMs()));
  rapidjson::Document roles = Json(f.Query("SELECT ContactId, IsPrimary, Role FROM "
                                           "OpportunityContactRole WHERE OpportunityId = '" +
                                               c.opportunity_id + "'",
                                           token)
                                       .body);
  REQUIRE(roles["totalSize"].GetInt() == 1);
  CHECK(std::string(roles["records"][0]["ContactId"].GetString()) == c.contact_id);
  CHECK(roles["records"][0]["IsPrimary"].GetBool());
  CHECK(roles["records"][0]["Role"].IsNull());
  rapidjson::Document history =
      Json(f.Query("SELECT Field, OldValue, NewValue FROM LeadHistory WHERE LeadId = '" + lead +
                       "' ORDER BY CreatedDate, Field",
                   token)
               .body);
  std::vector<std::string> fields;
  for (const auto& h : history["records"].GetArray()) fields.push_back(h["Field"].GetString());
  CHECK(fields.front() == "created");
  CHECK(std::count(fields.begin(), fields.end(), "leadConverted") == 1);
  CHECK(std::count(fields.begin(), fields.end(), "Status") >= 1);
  const auto& last_status =
      *std::find_if(history["records"].GetArray().begin(), history["records"].GetArray().end(),
                    [](const rapidjson::Value& h) {
                      return std::string(h["Field"].GetString()) == "Status" &&
                             std::string(h["NewValue"].GetString()) == "Closed - Converted";
                    });
  CHECK(std::string(last_status["OldValue"].GetString()) ==
        std::get<std::string>(before.fields.at("Status")));
}

TEST_CASE("a merge deletes the loser with MasterRecordId and moves its contact roles") {
  Fixture f;
  const std::string token = f.Login();
  const std::vector<SfRecord> roles = f.sim.Records("OpportunityContactRole");
  REQUIRE_FALSE(roles.empty());
  const std::string loser = std::get<std::string>(roles.front().fields.at("ContactId"));
  std::string master;
  for (const SfRecord& c : f.sim.Records("Contact")) {
    if (c.id != loser) {
      master = c.id;
      break;
    }
  }
  f.sim.Merge("Contact", master, loser);
  rapidjson::Document doc =
      Json(f.Query("SELECT Id, IsDeleted, MasterRecordId FROM Contact WHERE Id = '" + loser + "'",
                   token, true)
               .body);
  CHECK(doc["records"][0]["IsDeleted"].GetBool());
  CHECK(std::string(doc["records"][0]["MasterRecordId"].GetString()) == master);
  CHECK(f.QueryIds("SELECT Id FROM OpportunityContactRole WHERE ContactId = '" + loser + "'", token)
            .empty());
  CHECK(std::get<std::string>(
            f.sim.Find("OpportunityContactRole", roles.front().id)->fields.at("ContactId")) ==
        master);
}

TEST_CASE("SOQL errors come back as 400 with their Salesforce error codes") {
  Fixture f;
  const std::string token = f.Login();
  CHECK(ErrorCode(f.Query("SELECT Id FROM Lead WHERE", token)) == "MALFORMED_QUERY");
  CHECK(ErrorCode(f.Query("SELECT Foo FROM Lead", token)) == "INVALID_FIELD");
  CHECK(ErrorCode(f.Query("SELECT Id FROM Leads", token)) == "INVALID_TYPE");
  CHECK(ErrorCode(f.Query("SELECT Id FROM Lead WHERE CreatedDate > 2024-01-01", token)) ==
        "INVALID_FIELD");
  CHECK(ErrorCode(f.Query("SELECT Id FROM Lead WHERE Id = 'x'", token)) ==
        "INVALID_QUERY_FILTER_OPERATOR");
  CHECK(ErrorCode(f.Query("SELECT CurrencyIsoCode FROM Opportunity", token)) == "INVALID_FIELD");
  Reply missing = f.Get(std::string(kVersion) + "/query", token);
  CHECK(missing.status == 400);
  CHECK(ErrorCode(missing) == "MALFORMED_QUERY");
}

TEST_CASE("a multi-currency org has CurrencyIsoCode on opportunities") {
  OrgSpec spec = SmallOrg();
  spec.multi_currency = true;
  Fixture f(spec);
  const std::string token = f.Login();
  rapidjson::Document doc =
      Json(f.Query("SELECT CurrencyIsoCode FROM Opportunity LIMIT 5", token).body);
  for (const auto& rec : doc["records"].GetArray()) {
    const std::string code = rec["CurrencyIsoCode"].GetString();
    CHECK((code == "USD" || code == "EUR" || code == "GBP"));
  }
}

TEST_CASE("semi-joins select by another object's ids and refuse the same object") {
  Fixture f;
  const std::string token = f.Login();
  const std::vector<std::string> ids = f.QueryIds(
      "SELECT Id FROM Contact WHERE Id IN (SELECT ContactId FROM OpportunityContactRole "
      "WHERE IsPrimary = true)",
      token);
  std::set<std::string> expected;
  for (const SfRecord& r : f.sim.Records("OpportunityContactRole")) {
    if (std::get<bool>(r.fields.at("IsPrimary"))) {
      expected.insert(std::get<std::string>(r.fields.at("ContactId")));
    }
  }
  std::set<std::string> live;
  for (const std::string& id : expected) {
    if (f.sim.Find("Contact", id) &&
        !std::get<bool>(f.sim.Find("Contact", id)->fields.at("IsDeleted"))) {
      live.insert(id);
    }
  }
  CHECK(std::set<std::string>(ids.begin(), ids.end()) == live);
  CHECK(ErrorCode(f.Query("SELECT Id FROM Lead WHERE Id IN (SELECT Id FROM Lead)", token)) ==
        "INVALID_QUERY_FILTER_OPERATOR");
}

TEST_CASE("COUNT() answers totalSize with no records") {
  Fixture f;
  const std::string token = f.Login();
  rapidjson::Document doc = Json(f.Query("SELECT COUNT() FROM Lead", token).body);
  CHECK(doc["totalSize"].GetInt() == static_cast<int>(f.sim.Records("Lead").size()));
  CHECK(doc["done"].GetBool());
  CHECK(doc["records"].Size() == 0);
}

TEST_CASE("a URI past 16,384 bytes gets 414, a URI and headers past it together 431") {
  Fixture f;
  const std::string token = f.Login();
  std::string soql = "SELECT Id FROM Lead WHERE Id IN ('00Q5g000002A0aaAAA'";
  while (soql.size() < 17'000) soql += ",'00Q5g000002A0aaAAA'";
  soql += ")";
  CHECK(f.Query(soql, token).status == 414);
  const std::string big(17'000, 'x');
  CHECK(f.Query("SELECT Id FROM User", token, false, {"X-Padding: " + big}).status == 431);
  std::string half = "SELECT Id FROM User WHERE Id IN ('0055g000002A0aaAAA'";
  while (half.size() < 9'000) half += ",'0055g000002A0aaAAA'";
  half += ")";
  CHECK(f.Query(half, token).status == 200);
  CHECK(f.Query(half, token, false, {"X-Padding: " + std::string(9'000, 'x')}).status == 431);
  CHECK(f.Query("SELECT Id FROM User", token).status == 200);
}

TEST_CASE("faults answer in Salesforce's failure forms, then the request succeeds") {
  Fixture f;
  const std::string token = f.Login();
  const std::string prefix = std::string(kVersion) + "/query";
  f.sim.AddFault({SfFaultKind::kServerError, prefix, 2});
  Reply json500 = f.Query("SELECT Id FROM User", token);
  CHECK(json500.status == 500);
  CHECK(ErrorCode(json500) == "UNKNOWN_EXCEPTION");
  Reply html503 = f.Query("SELECT Id FROM User", token);
  CHECK(html503.status == 503);
  CHECK(html503.body.starts_with("<html>"));
  f.sim.AddFault({SfFaultKind::kUnavailableJsonArray, prefix, 1});
  CHECK(ErrorCode(f.Query("SELECT Id FROM User", token)) == "SERVER_UNAVAILABLE");
  f.sim.AddFault({SfFaultKind::kQueryTimeout, prefix, 1});
  CHECK(ErrorCode(f.Query("SELECT Id FROM User", token)) == "QUERY_TIMEOUT");
  f.sim.AddFault({SfFaultKind::kTruncated, prefix, 1});
  CHECK(f.Query("SELECT Id FROM User", token).status < 0);  // curl: partial file
  CHECK(f.Query("SELECT Id FROM User", token).status == 200);
  CHECK(f.sim.Stats().by_status.at(500) == 1);
}

TEST_CASE("unknown versions and resources are 404 NOT_FOUND") {
  Fixture f;
  const std::string token = f.Login();
  CHECK(ErrorCode(f.Get("/services/data/v99.0/query?q=SELECT+Id+FROM+User", token)) == "NOT_FOUND");
  CHECK(ErrorCode(f.Get("/services/data/v61.0/sobjects/Nope", token)) == "NOT_FOUND");
}

TEST_CASE("the generated org has the shape of the spec") {
  OrgSpec spec = SmallOrg();
  spec.custom_fields["Lead"] = {{"Score__c", FieldType::kDouble}};
  spec.bulk_loaded_leads = 120;
  Fixture f(spec);
  const std::vector<SfRecord> leads = f.sim.Records("Lead");
  CHECK(leads.size() == 300);
  int converted = 0, queued = 0, with_score = 0, messy = 0;
  std::map<double, int> per_stamp;
  for (const SfRecord& l : leads) {
    ++per_stamp[std::get<double>(l.fields.at("SystemModstamp"))];
    converted += std::get<bool>(l.fields.at("IsConverted"));
    queued += std::get<std::string>(l.fields.at("OwnerId")).starts_with("00G");
    with_score += std::holds_alternative<double>(l.fields.at("Score__c"));
    const SfValue& email = l.fields.at("Email");
    if (std::holds_alternative<std::string>(email)) {
      const std::string& e = std::get<std::string>(email);
      messy +=
          e.front() == ' ' || e.back() == ' ' || std::isupper(static_cast<unsigned char>(e[0]));
    }
  }
  CHECK(converted > 60);
  CHECK(converted < 120);
  CHECK(queued > 10);
  CHECK(with_score > 200);
  CHECK(messy > 5);
  CHECK(std::max_element(per_stamp.begin(), per_stamp.end(), [](const auto& a, const auto& b) {
          return a.second < b.second;
        })->second == 120);
  CHECK(f.sim.Records("Group").size() == 2);
  CHECK(f.sim.Records("User").size() == 6);
  CHECK(f.sim.Records("Organization").size() == 1);
  const Fixture same(spec);
  CHECK(IdsOf(same.sim.Records("Lead")) == IdsOf(leads));
}

}  // namespace
}  // namespace salesaudit::sim

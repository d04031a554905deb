// The simulator checked over real HTTP against the wire formats of
// docs/vendors/hubspot.md, so connector tests can trust what it serves.
#include "tests/sim/hubspot/hubspot_sim.h"

#include <curl/curl.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cctype>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/time_util.h"
#include "tests/support/subprocess.h"

namespace salesaudit::sim {
namespace {

constexpr char kToken[] = "pat-na1-test-token";

struct HttpResult {
  CURLcode code = CURLE_OK;
  long status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;

  bool has_header(const std::string& name) const { return headers.count(name) != 0; }
};

size_t CollectBody(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

size_t CollectHeader(char* data, size_t size, size_t n, void* out) {
  const std::string line(data, size * n);
  const size_t colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    value.erase(value.find_last_not_of("\r\n ") + 1);
    (*static_cast<std::map<std::string, std::string>*>(out))[name] = value;
  }
  return size * n;
}

// One request on a fresh connection; `body` non-empty means POST JSON.
HttpResult Http(const std::string& url, const std::string& token = kToken,
                const std::string& body = "") {
  HttpResult result;
  CURL* curl = curl_easy_init();
  curl_slist* headers = nullptr;
  if (!token.empty())
    headers = curl_slist_append(headers, ("Authorization: Bearer " + token).c_str());
  if (!body.empty()) {
    headers = curl_slist_append(headers, "Content-Type: application/json");
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, CollectBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &result.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, CollectHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &result.headers);
  result.code = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return result;
}

rapidjson::Document Json(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.c_str());
  REQUIRE_FALSE(doc.HasParseError());
  return doc;
}

bool AllDigits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A generated portal served on an ephemeral port.
struct Fixture {
  explicit Fixture(int contacts = 250, int deals = 60, SimOptions options = {},
                   const Clock& clock = Clock::Default())
      : sim(options, clock) {
    PortalSpec spec;
    spec.seed = 7;
    spec.contacts = contacts;
    spec.deals = deals;
    sim.Generate(spec);
    REQUIRE(sim.Start() != 0);
    url = sim.base_url();
  }
  HubSpotSim sim;
  std::string url;
};

std::string Search(const std::string& filters, const std::string& extra = "") {
  return R"({"filterGroups":)" + filters + extra + "}";
}

// Pages through a search to the end and returns the ids in response order.
std::vector<std::string> SearchAll(const std::string& url, const std::string& body,
                                   int64_t* total) {
  const std::string body_prefix = body.substr(0, body.rfind('}'));
  std::vector<std::string> ids;
  std::string after = "0";
  for (;;) {
    HttpResult r = Http(url, kToken, body_prefix + R"(,"limit":40,"after":")" + after + "\"}");
    REQUIRE(r.status == 200);
    rapidjson::Document doc = Json(r.body);
    *total = doc["total"].GetInt64();
    for (const auto& result : doc["results"].GetArray()) ids.push_back(result["id"].GetString());
    if (!doc.HasMember("paging")) break;
    after = doc["paging"]["next"]["after"].GetString();
    REQUIRE(AllDigits(after));
  }
  return ids;
}

// {"inputs":[{"id":..}, ...]} for these deal ids.
std::string AssociationInputs(const std::vector<std::string>& ids) {
  std::string inputs;
  for (const std::string& id : ids) {
    inputs += (inputs.empty() ? "" : ",") + std::string(R"({"id":")") + id + "\"}";
  }
  return R"({"inputs":[)" + inputs + "]}";
}

// The deal with the most contacts.
std::string BusiestDeal(const HubSpotSim& sim) {
  std::string best;
  size_t most = 0;
  for (const auto& [deal, contacts] : sim.DealContactIds()) {
    if (contacts.size() > most) {
      most = contacts.size();
      best = deal;
    }
  }
  return best;
}

const SimObject* FindById(const std::vector<SimObject>& objects, const std::string& id) {
  for (const SimObject& o : objects) {
    if (o.id == id) return &o;
  }
  return nullptr;
}

// A search for one record by id, returning the parsed response.
rapidjson::Document SearchById(const std::string& url, const std::string& type,
                               const std::string& id, const std::string& properties) {
  HttpResult r =
      Http(url + "/crm/v3/objects/" + type + "/search", kToken,
           Search(R"([{"filters":[{"propertyName":"hs_object_id","operator":"EQ","value":")" + id +
                      R"("}]}])",
                  R"(,"properties":)" + properties));
  REQUIRE(r.status == 200);
  return Json(r.body);
}

TEST_CASE("contact list pages by opaque cursor in id order and omits paging on the last page") {
  Fixture f;
  std::vector<std::string> ids;
  std::string after;
  int pages = 0;
  for (;;) {
    HttpResult r = Http(f.url + "/crm/v3/objects/contacts?limit=100" +
                        (after.empty() ? "" : "&after=" + after));
    REQUIRE(r.status == 200);
    rapidjson::Document doc = Json(r.body);
    ++pages;
    for (const auto& result : doc["results"].GetArray()) {
      ids.push_back(result["id"].GetString());
      CHECK(result["archived"].GetBool() == false);
    }
    if (!doc.HasMember("paging")) break;
    after = doc["paging"]["next"]["after"].GetString();
    CHECK_FALSE(AllDigits(after));
  }
  CHECK(pages == 3);
  std::vector<std::string> expected;
  for (const SimObject& c : f.sim.Contacts()) expected.push_back(c.id);
  CHECK(ids == expected);
}

TEST_CASE("list limit above 100 is a validation error") {
  Fixture f;
  HttpResult r = Http(f.url + "/crm/v3/objects/contacts?limit=101");
  CHECK(r.status == 400);
  CHECK(std::string(Json(r.body)["category"].GetString()) == "VALIDATION_ERROR");
  CHECK(Http(f.url + "/crm/v3/objects/contacts?after=250").status == 400);
}

TEST_CASE("list returns requested properties plus id and dates, all as strings or null") {
  Fixture f;
  HttpResult r = Http(
      f.url + "/crm/v3/objects/deals?limit=100&properties=amount,hs_is_closed_won,no_such_prop");
  REQUIRE(r.status == 200);
  rapidjson::Document doc = Json(r.body);
  int null_amounts = 0;
  for (const auto& result : doc["results"].GetArray()) {
    std::set<std::string> keys;
    for (const auto& m : result["properties"].GetObject()) {
      keys.insert(m.name.GetString());
      CHECK((m.value.IsString() || m.value.IsNull()));
    }
    CHECK(keys == std::set<std::string>{"amount", "createdate", "hs_is_closed_won",
                                        "hs_lastmodifieddate", "hs_object_id"});
    const std::string won = result["properties"]["hs_is_closed_won"].GetString();
    CHECK((won == "true" || won == "false"));
    if (result["properties"]["amount"].IsNull()) ++null_amounts;
    CHECK(std::string(result["createdAt"].GetString()).back() == 'Z');
  }
  CHECK(null_amounts > 0);

  doc = Json(Http(f.url + "/crm/v3/objects/contacts?limit=1").body);
  std::set<std::string> keys;
  for (const auto& m : doc["results"][0]["properties"].GetObject()) keys.insert(m.name.GetString());
  CHECK(keys == std::set<std::string>{"createdate", "email", "firstname", "hs_object_id",
                                      "lastmodifieddate", "lastname"});
}

TEST_CASE("archived listing returns only archived records and archiving keeps the modified date") {
  Fixture f;
  std::map<std::string, int64_t> updated_before;
  for (const SimObject& c : f.sim.Contacts()) updated_before[c.id] = c.updated_at_ms;
  std::vector<std::string> archived = f.sim.ArchiveContacts(5);
  REQUIRE(archived.size() == 5);

  rapidjson::Document doc =
      Json(Http(f.url + "/crm/v3/objects/contacts?archived=true&limit=100").body);
  std::vector<std::string> listed;
  for (const auto& result : doc["results"].GetArray()) {
    listed.push_back(result["id"].GetString());
    CHECK(result["archived"].GetBool());
    CHECK(result.HasMember("archivedAt"));
  }
  CHECK(listed == archived);
  for (const SimObject& c : f.sim.Contacts()) CHECK(c.updated_at_ms == updated_before[c.id]);

  doc = Json(Http(f.url + "/crm/v3/objects/contacts?limit=100").body);
  for (const auto& result : doc["results"].GetArray()) {
    CHECK(std::find(archived.begin(), archived.end(), result["id"].GetString()) == archived.end());
  }
}

TEST_CASE("search filters on the modified date, sorts, and pages by numeric offset") {
  Fixture f;
  const std::vector<SimObject> contacts = f.sim.Contacts();
  std::vector<int64_t> times;
  for (const SimObject& c : contacts) times.push_back(c.updated_at_ms);
  std::sort(times.begin(), times.end());
  const int64_t from = times[times.size() / 3];
  size_t expected = 0;
  for (const SimObject& c : contacts) expected += c.updated_at_ms >= from;

  int64_t total = 0;
  std::vector<std::string> ids = SearchAll(
      f.url + "/crm/v3/objects/contacts/search",
      Search(R"([{"filters":[{"propertyName":"lastmodifieddate","operator":"GTE","value":")" +
                 std::to_string(from) + R"("}]}])",
             R"(,"sorts":[{"propertyName":"lastmodifieddate","direction":"DESCENDING"}])"),
      &total);
  CHECK(total == static_cast<int64_t>(expected));
  CHECK(ids.size() == expected);
  std::map<std::string, int64_t> updated;
  for (const SimObject& c : contacts) updated[c.id] = c.updated_at_ms;
  for (size_t i = 1; i < ids.size(); ++i) CHECK(updated[ids[i - 1]] >= updated[ids[i]]);

  // An ISO value filters the same as epoch ms.
  HttpResult iso =
      Http(f.url + "/crm/v3/objects/contacts/search", kToken,
           Search(R"([{"filters":[{"propertyName":"lastmodifieddate","operator":"GTE","value":")" +
                  FormatIsoMs(from) + R"("}]}])"));
  CHECK(Json(iso.body)["total"].GetInt64() == total);
}

TEST_CASE("search combines groups with OR and filters with AND over strings and ids") {
  Fixture f;
  size_t expected = 0;
  for (const SimObject& c : f.sim.Contacts()) {
    auto stage = c.properties.find("lifecyclestage");
    const bool in_stage = stage != c.properties.end() &&
                          (stage->second == "customer" || stage->second == "opportunity");
    const int64_t id = std::stoll(c.id);
    const bool no_source = c.properties.count("hs_analytics_source") == 0 ||
                           c.properties.at("hs_analytics_source").empty();
    expected += (in_stage && id >= 150 && id <= 400) || no_source;
  }
  int64_t total = 0;
  SearchAll(f.url + "/crm/v3/objects/contacts/search", Search(R"([{"filters":[
              {"propertyName":"lifecyclestage","operator":"IN","values":["customer","opportunity"]},
              {"propertyName":"hs_object_id","operator":"BETWEEN","value":"150","highValue":400}]},
              {"filters":[{"propertyName":"hs_analytics_source","operator":"NOT_HAS_PROPERTY"}]}])"),
            &total);
  CHECK(total == static_cast<int64_t>(expected));
  CHECK(total > 0);
}

TEST_CASE("contacts filtered on hs_lastmodifieddate match nothing, as on HubSpot") {
  Fixture f;
  HttpResult r = Http(f.url + "/crm/v3/objects/contacts/search", kToken,
                      Search(R"([{"filters":[{"propertyName":"hs_lastmodifieddate",
                                 "operator":"GTE","value":"0"}]}])"));
  REQUIRE(r.status == 200);
  CHECK(Json(r.body)["total"].GetInt64() == 0);
}

TEST_CASE("search refuses limits above 200 and pages beyond 10,000 results") {
  Fixture f;
  const std::string url = f.url + "/crm/v3/objects/contacts/search";
  CHECK(Http(url, kToken, R"({"limit":200,"after":"9800"})").status == 200);
  HttpResult beyond = Http(url, kToken, R"({"limit":200,"after":"9900"})");
  CHECK(beyond.status == 400);
  CHECK(std::string(Json(beyond.body)["category"].GetString()) == "VALIDATION_ERROR");
  CHECK(Http(url, kToken, R"({"limit":201})").status == 400);
  CHECK(f.sim.Stats().max_search_after == 9900);
}

TEST_CASE("index lag hides fresh changes from search but not from the list endpoint") {
  SimOptions options;
  options.index_lag_ms = 60'000;
  Fixture f(250, 60, options);
  const int64_t now = NowMs();
  std::vector<std::string> fresh = f.sim.UpdateContacts(3);
  std::vector<std::string> settled = f.sim.UpdateContacts(2, now - 120'000);
  const std::string body =
      Search(R"([{"filters":[{"propertyName":"lastmodifieddate","operator":"GTE","value":")" +
             std::to_string(now - 200'000) + R"("}]}])");
  int64_t total = 0;
  std::vector<std::string> found =
      SearchAll(f.url + "/crm/v3/objects/contacts/search", body, &total);
  for (const std::string& id : fresh) {
    CHECK(std::find(found.begin(), found.end(), id) == found.end());
  }
  for (const std::string& id : settled) {
    CHECK(std::find(found.begin(), found.end(), id) != found.end());
  }

  std::set<std::string> listed_fresh;
  std::string after;
  for (;;) {
    rapidjson::Document doc = Json(Http(f.url + "/crm/v3/objects/contacts?limit=100" +
                                        (after.empty() ? "" : "&after=" + after))
                                       .body);
    for (const auto& result : doc["results"].GetArray()) {
      if (ParseTimestampMs(result["updatedAt"].GetString()) >= now) {
        listed_fresh.insert(result["id"].GetString());
      }
    }
    if (!doc.HasMember("paging")) break;
    after = doc["paging"]["next"]["after"].GetString();
  }
  CHECK(listed_fresh == std::set<std::string>(fresh.begin(), fresh.end()));
}

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
  SimOptions options;
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

TEST_CASE(
    "v3 association batch read answers 207 with an error per deal without contacts and refuses 101 "
    "inputs") {
  Fixture f;
  const auto links = f.sim.DealContactIds();
  std::string inputs;
  std::set<std::string> without;
  for (const SimObject& d : f.sim.Deals()) {
    inputs += (inputs.empty() ? "" : ",") + std::string(R"({"id":")") + d.id + "\"}";
    if (links.count(d.id) == 0) without.insert(d.id);
  }
  REQUIRE(!without.empty());
  HttpResult r = Http(f.url + "/crm/v3/associations/deals/contacts/batch/read", kToken,
                      R"({"inputs":[)" + inputs + "]}");
  REQUIRE(r.status == 207);
  rapidjson::Document doc = Json(r.body);
  CHECK(std::string(doc["status"].GetString()) == "COMPLETE");
  CHECK(doc.HasMember("startedAt"));
  CHECK(doc.HasMember("completedAt"));
  CHECK(doc["results"].Size() == links.size());
  CHECK(doc["numErrors"].GetInt64() == static_cast<int64_t>(without.size()));
  std::set<std::string> reported;
  for (const auto& error : doc["errors"].GetArray()) {
    const std::string id = error["context"]["fromObjectId"][0].GetString();
    reported.insert(id);
    CHECK(std::string(error["status"].GetString()) == "error");
    CHECK(std::string(error["category"].GetString()) == "OBJECT_NOT_FOUND");
    CHECK(std::string(error["subCategory"].GetString()) ==
          "crm.associations.NO_ASSOCIATIONS_FOUND");
    CHECK(std::string(error["message"].GetString()) ==
          "No contacts are associated with deal " + id + ".");
  }
  CHECK(reported == without);
  for (const auto& result : doc["results"].GetArray()) {
    std::vector<std::string> to;
    for (const auto& c : result["to"].GetArray()) {
      to.push_back(c["id"].GetString());
      CHECK(std::string(c["type"].GetString()) == "deal_to_contact");
    }
    CHECK(to == links.at(result["from"]["id"].GetString()));
  }
  std::string many;
  for (int i = 0; i < 101; ++i) many += (i ? "," : "") + std::string(R"({"id":"1"})");
  CHECK(Http(f.url + "/crm/v3/associations/deals/contacts/batch/read", kToken,
             R"({"inputs":[)" + many + "]}")
            .status == 400);
}

TEST_CASE("owners list hides the archived owner unless archived=true") {
  Fixture f;
  rapidjson::Document live = Json(Http(f.url + "/crm/v3/owners").body);
  rapidjson::Document gone = Json(Http(f.url + "/crm/v3/owners?archived=true").body);
  CHECK(live["results"].Size() == 4);
  REQUIRE(gone["results"].Size() == 1);
  CHECK(gone["results"][0]["archived"].GetBool());
  CHECK(std::string(live["results"][0]["type"].GetString()) == "PERSON");
  CHECK(live["results"][0]["userId"].IsInt64());
  CHECK(Http(f.url + "/crm/v3/owners?limit=501").status == 400);
}

TEST_CASE("generation is deterministic per seed and bulk updates share few timestamps") {
  HubSpotSim a;
  HubSpotSim b;
  PortalSpec spec;
  spec.contacts = 300;
  a.Generate(spec);
  b.Generate(spec);
  std::vector<SimObject> ca = a.Contacts();
  std::vector<SimObject> cb = b.Contacts();
  REQUIRE(ca.size() == cb.size());
  for (size_t i = 0; i < ca.size(); ++i) {
    CHECK(ca[i].id == cb[i].id);
    CHECK(ca[i].properties.count("email") == cb[i].properties.count("email"));
    CHECK(ca[i].properties["lifecyclestage"] == cb[i].properties["lifecyclestage"]);
    CHECK(ca[i].updated_at_ms >= ca[i].created_at_ms);
  }

  const int64_t before = NowMs();
  std::vector<std::string> touched = a.BulkUpdateContacts(200, 2);
  CHECK(touched.size() == 200);
  std::set<int64_t> stamps;
  for (const SimObject& c : a.Contacts()) {
    if (std::find(touched.begin(), touched.end(), c.id) != touched.end()) {
      stamps.insert(c.updated_at_ms);
    }
  }
  CHECK(stamps.size() == 2);
  CHECK(*stamps.rbegin() <= NowMs());
  CHECK(*stamps.begin() >= before - 2);
}

TEST_CASE("v4 association batch read pages each deal's contacts by its own cursor") {
  SimOptions options;
  options.association_page_size = 40;
  Fixture f(250, 60, options);
  const std::string busy = BusiestDeal(f.sim);
  REQUIRE(f.sim.AssociateContacts(busy, 95).size() == 95);
  const auto links = f.sim.DealContactIds();
  REQUIRE(links.at(busy).size() > 95);
  std::vector<std::string> with;
  for (const auto& [deal, contacts] : links) with.push_back(deal);
  const std::string url = f.url + "/crm/v4/associations/deals/contacts/batch/read";

  // Every input has associations: a plain 200 without errors.
  HttpResult first = Http(url, kToken, AssociationInputs(with));
  REQUIRE(first.status == 200);
  rapidjson::Document doc = Json(first.body);
  CHECK_FALSE(doc.HasMember("errors"));
  CHECK_FALSE(doc.HasMember("numErrors"));
  CHECK(std::string(doc["status"].GetString()) == "COMPLETE");
  REQUIRE(doc["results"].Size() == with.size());
  std::map<std::string, std::vector<std::string>> read;
  std::string busy_after;
  for (const auto& result : doc["results"].GetArray()) {
    const std::string from = result["from"]["id"].GetString();
    CHECK(result["to"].Size() <= 40);
    for (const auto& to : result["to"].GetArray()) {
      REQUIRE(to["toObjectId"].IsInt64());
      read[from].push_back(std::to_string(to["toObjectId"].GetInt64()));
      REQUIRE(to["associationTypes"].Size() == 1);
      const auto& type = to["associationTypes"][0];
      CHECK(std::string(type["category"].GetString()) == "HUBSPOT_DEFINED");
      CHECK(type["typeId"].GetInt() == 3);
      CHECK(type["label"].IsNull());
    }
    // Paging only where more remain.
    CHECK(result.HasMember("paging") == (links.at(from).size() > 40));
    if (from == busy) {
      busy_after = result["paging"]["next"]["after"].GetString();
      CHECK(result["paging"]["next"]["link"].IsNull());
    }
  }
  REQUIRE_FALSE(busy_after.empty());
  CHECK_FALSE(AllDigits(busy_after));
  // Continue the busy deal alone until its cursor runs out.
  int pages = 1;
  while (!busy_after.empty()) {
    HttpResult next =
        Http(url, kToken, R"({"inputs":[{"id":")" + busy + R"(","after":")" + busy_after + "\"}]}");
    REQUIRE(next.status == 200);
    rapidjson::Document page = Json(next.body);
    REQUIRE(page["results"].Size() == 1);
    for (const auto& to : page["results"][0]["to"].GetArray()) {
      read[busy].push_back(std::to_string(to["toObjectId"].GetInt64()));
    }
    busy_after = page["results"][0].HasMember("paging")
                     ? page["results"][0]["paging"]["next"]["after"].GetString()
                     : "";
    ++pages;
  }
  CHECK(pages == static_cast<int>((links.at(busy).size() + 39) / 40));
  CHECK(read == links);
}

TEST_CASE(
    "v4 association batch read answers 207 for deals without contacts and caps inputs at 1000") {
  Fixture f;
  const auto links = f.sim.DealContactIds();
  std::string with;
  std::string without;
  for (const SimObject& d : f.sim.Deals()) (links.count(d.id) ? with : without) = d.id;
  REQUIRE_FALSE(with.empty());
  REQUIRE_FALSE(without.empty());
  const std::string url = f.url + "/crm/v4/associations/deals/contacts/batch/read";
  HttpResult r = Http(url, kToken, AssociationInputs({with, without, "999999999"}));
  REQUIRE(r.status == 207);
  rapidjson::Document doc = Json(r.body);
  REQUIRE(doc["results"].Size() == 1);
  CHECK(std::string(doc["results"][0]["from"]["id"].GetString()) == with);
  CHECK(doc["numErrors"].GetInt() == 2);
  REQUIRE(doc["errors"].Size() == 2);
  CHECK(std::string(doc["errors"][0]["context"]["fromObjectId"][0].GetString()) == without);
  CHECK(std::string(doc["errors"][1]["subCategory"].GetString()) ==
        "crm.associations.NO_ASSOCIATIONS_FOUND");
  CHECK(std::string(doc["errors"][1]["message"].GetString()) ==
        "No contacts are associated with deal 999999999.");

  std::vector<std::string> ids(1000, with);
  CHECK(Http(url, kToken, AssociationInputs(ids)).status == 200);
  ids.push_back(with);
  HttpResult too_many = Http(url, kToken, AssociationInputs(ids));
  CHECK(too_many.status == 400);
  CHECK(std::string(Json(too_many.body)["category"].GetString()) == "VALIDATION_ERROR");
  CHECK(Http(url, kToken, R"({"inputs":[{"id":")" + with + R"(","after":"12"}]})").status == 400);
}

TEST_CASE("v3 association batch read silently drops contacts past one page") {
  Fixture f;
  const std::string busy = BusiestDeal(f.sim);
  REQUIRE(f.sim.AssociateContacts(busy, 120).size() == 120);
  HttpResult r = Http(f.url + "/crm/v3/associations/deals/contacts/batch/read", kToken,
                      AssociationInputs({busy}));
  REQUIRE(r.status == 200);
  rapidjson::Document doc = Json(r.body);
  REQUIRE(doc["results"].Size() == 1);
  CHECK(doc["results"][0]["to"].Size() == 100);
  CHECK_FALSE(doc["results"][0].HasMember("paging"));
  const auto deal_contacts = f.sim.DealContactIds();  // a copy: .at() of the temporary would dangle
  const auto& all = deal_contacts.at(busy);
  CHECK(all.size() > 100);
  CHECK(std::string(doc["results"][0]["to"][99]["id"].GetString()) == all[99]);
}

TEST_CASE("associating contacts leaves the deal's modified date alone unless configured") {
  Fixture f;
  const std::string deal = f.sim.Deals().front().id;
  const auto before_links = f.sim.DealContactIds();
  const std::vector<std::string> before =
      before_links.count(deal) ? before_links.at(deal) : std::vector<std::string>();
  const int64_t modified = FindById(f.sim.Deals(), deal)->updated_at_ms;
  std::vector<std::string> added = f.sim.AssociateContacts(deal, 7);
  REQUIRE(added.size() == 7);
  std::vector<std::string> after = f.sim.DealContactIds().at(deal);
  std::vector<std::string> expected = before;
  expected.insert(expected.end(), added.begin(), added.end());
  CHECK(after == expected);
  CHECK(std::set<std::string>(after.begin(), after.end()).size() == after.size());
  const std::vector<SimObject> contacts = f.sim.Contacts();
  for (const std::string& id : added) {
    const SimObject* c = FindById(contacts, id);
    REQUIRE(c != nullptr);
    CHECK_FALSE(c->archived);
  }
  CHECK(FindById(f.sim.Deals(), deal)->updated_at_ms == modified);
  CHECK(f.sim.AssociateContacts("424242424", 3).empty());

  SimOptions touching;
  touching.association_changes_touch_deal = true;
  f.sim.SetOptions(touching);
  const int64_t start = NowMs();
  REQUIRE(f.sim.AssociateContacts(deal, 2).size() == 2);
  CHECK(FindById(f.sim.Deals(), deal)->updated_at_ms >= start);
}

TEST_CASE("max_contacts_per_deal lets generated deals carry more than a page of contacts") {
  HubSpotSim sim;
  PortalSpec spec;
  spec.contacts = 400;
  spec.deals = 30;
  spec.max_contacts_per_deal = 150;
  sim.Generate(spec);
  size_t most = 0;
  for (const auto& [deal, contacts] : sim.DealContactIds()) {
    most = std::max(most, contacts.size());
    CHECK(contacts.size() <= 150);
    CHECK(std::set<std::string>(contacts.begin(), contacts.end()).size() == contacts.size());
  }
  CHECK(most > 100);
}

TEST_CASE(
    "merging contacts moves the merged-away contact's deals to the survivor without "
    "touching the deals") {
  Fixture f;
  const auto links_before = f.sim.DealContactIds();
  std::map<std::string, int64_t> deal_modified;
  for (const SimObject& d : f.sim.Deals()) deal_modified[d.id] = d.updated_at_ms;
  const int64_t start = NowMs();
  const std::vector<std::string> merged_away = f.sim.MergeContacts(60);
  REQUIRE(merged_away.size() == 60);

  std::map<std::string, std::string> survivor_of;
  const std::vector<SimObject> contacts = f.sim.Contacts();
  for (const SimObject& c : contacts) {
    auto ids = c.properties.find("hs_merged_object_ids");
    if (ids == c.properties.end()) continue;
    for (const std::string& loser : merged_away) {
      if (ids->second.find(loser) != std::string::npos) {
        survivor_of[loser] = c.id;
        CHECK(c.updated_at_ms >= start);
      }
    }
  }
  REQUIRE(survivor_of.size() == merged_away.size());
  for (const std::string& loser : merged_away) CHECK(FindById(contacts, loser) == nullptr);

  const auto links_after = f.sim.DealContactIds();
  int moved = 0;
  for (const auto& [deal, before] : links_before) {
    std::set<std::string> expected;
    for (const std::string& c : before) {
      auto s = survivor_of.find(c);
      expected.insert(s == survivor_of.end() ? c : s->second);
      moved += s != survivor_of.end();
    }
    const std::vector<std::string>& after = links_after.at(deal);
    CHECK(std::set<std::string>(after.begin(), after.end()) == expected);
    CHECK(after.size() == expected.size());
  }
  CHECK(moved > 0);
  for (const SimObject& d : f.sim.Deals()) CHECK(d.updated_at_ms == deal_modified[d.id]);
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

TEST_CASE("within the index lag search serves the previous version and not new records") {
  SimOptions options;
  options.index_lag_ms = 60'000;
  Fixture f(250, 60, options);
  const int64_t now = NowMs();
  std::string id;
  std::string old_name;
  int64_t old_modified = 0;
  for (const SimObject& c : f.sim.Contacts()) {
    if (c.indexed_at_ms <= now && c.properties.count("firstname")) {
      id = c.id;
      old_name = c.properties.at("firstname");
      old_modified = c.updated_at_ms;
      break;
    }
  }
  REQUIRE_FALSE(id.empty());
  f.sim.SetContactProperty(id, "firstname", "Zyxwv");
  // A second change before the index catches up still leaves the first
  // indexed version in place.
  f.sim.SetContactProperty(id, "firstname", "Qwerty");
  const std::string props = R"(["firstname"])";

  rapidjson::Document doc = SearchById(f.url, "contacts", id, props);
  REQUIRE(doc["total"].GetInt64() == 1);
  const auto& hit = doc["results"][0];
  CHECK(std::string(hit["properties"]["firstname"].GetString()) == old_name);
  CHECK(ParseTimestampMs(hit["updatedAt"].GetString()) == old_modified);
  CHECK(ParseTimestampMs(hit["properties"]["lastmodifieddate"].GetString()) == old_modified);
  // Filters see the old values too.
  HttpResult by_new = Http(f.url + "/crm/v3/objects/contacts/search", kToken,
                           Search(R"([{"filters":[{"propertyName":"firstname","operator":"EQ",
                                      "value":"Qwerty"}]}])"));
  CHECK(Json(by_new.body)["total"].GetInt64() == 0);
  const std::string fresh = f.sim.AddContacts(1).front();
  CHECK(SearchById(f.url, "contacts", fresh, props)["total"].GetInt64() == 0);
  // The list endpoint has the new version at once.
  rapidjson::Document listed =
      Json(Http(f.url + "/crm/v3/objects/contacts?limit=100&properties=firstname").body);
  bool seen = false;
  for (const auto& result : listed["results"].GetArray()) {
    if (result["id"].GetString() != id) continue;
    seen = true;
    CHECK(std::string(result["properties"]["firstname"].GetString()) == "Qwerty");
  }
  CHECK(seen);

  // Once the portal's clock passes the lag, search has caught up.
  options.clock_offset_ms = 61'000;
  f.sim.SetOptions(options);
  doc = SearchById(f.url, "contacts", id, props);
  REQUIRE(doc["total"].GetInt64() == 1);
  CHECK(std::string(doc["results"][0]["properties"]["firstname"].GetString()) == "Qwerty");
  CHECK(SearchById(f.url, "contacts", fresh, props)["total"].GetInt64() == 1);
}

TEST_CASE("a clock offset shifts every date the simulator stamps") {
  for (const int64_t offset : {int64_t{3'600'000}, int64_t{-3'600'000}}) {
    SimOptions options;
    options.clock_offset_ms = offset;
    Fixture f(250, 60, options);
    const int64_t before = NowMs() + offset;
    const std::string contact = f.sim.UpdateContacts(1).front();
    const std::string deal = f.sim.AddDeals(1).front();
    const int64_t after = NowMs() + offset;

    const std::vector<SimObject> contacts = f.sim.Contacts();
    const std::vector<SimObject> deals = f.sim.Deals();
    const SimObject* c = FindById(contacts, contact);
    REQUIRE(c != nullptr);
    CHECK(c->updated_at_ms >= before);
    CHECK(c->updated_at_ms <= after);
    CHECK(ParseTimestampMs(c->properties.at("lastmodifieddate")) == c->updated_at_ms);
    const SimObject* d = FindById(deals, deal);
    REQUIRE(d != nullptr);
    CHECK(d->created_at_ms >= before);
    CHECK(d->created_at_ms <= after);

    rapidjson::Document found = SearchById(f.url, "deals", deal, R"(["dealname"])");
    REQUIRE(found["total"].GetInt64() == 1);
    const int64_t created = *ParseTimestampMs(found["results"][0]["createdAt"].GetString());
    CHECK(created == d->created_at_ms);

    HttpResult batch = Http(f.url + "/crm/v4/associations/deals/contacts/batch/read", kToken,
                            AssociationInputs({deal}));
    const int64_t started = *ParseTimestampMs(Json(batch.body)["startedAt"].GetString());
    CHECK(started >= before);
    CHECK(started <= NowMs() + offset);
  }
}

}  // namespace
}  // namespace salesaudit::sim

// The simulator checked over real HTTP against the wire formats of
// reference/apis.md section 1, so connector tests can trust what it serves.
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
  explicit Fixture(int contacts = 250, int deals = 60, SimOptions options = {}) : sim(options) {
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
  Fixture f(250, 60, options);
  const std::string url = f.url + "/crm/v3/objects/contacts/search";
  HttpResult r = Http(url, kToken, "{}");
  // Two more in a row: at least one lands in the same second as another.
  HttpResult second = Http(url, kToken, "{}");
  if (second.status != 429) second = Http(url, kToken, "{}");
  REQUIRE(second.status == 429);
  CHECK(std::string(Json(second.body)["policyName"].GetString()) == "SECONDLY");
  CHECK_FALSE(second.has_header("retry-after"));
  CHECK_FALSE(second.has_header("x-hubspot-ratelimit-remaining"));
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
  while (f.sim.Stats().by_path["/crm/v3/owners"] == 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  CHECK(Http(f.url + "/crm/v3/objects/contacts").status == 200);
  CHECK_FALSE(slow_done);
  t.join();
  CHECK(slow.status == 200);
}

TEST_CASE("association batch read omits deals without contacts and caps inputs at 100") {
  Fixture f;
  const auto links = f.sim.DealContactIds();
  std::string inputs;
  size_t without = 0;
  for (const SimObject& d : f.sim.Deals()) {
    inputs += (inputs.empty() ? "" : ",") + std::string(R"({"id":")") + d.id + "\"}";
    without += links.count(d.id) == 0;
  }
  REQUIRE(without > 0);
  HttpResult r = Http(f.url + "/crm/v3/associations/deals/contacts/batch/read", kToken,
                      R"({"inputs":[)" + inputs + "]}");
  REQUIRE(r.status == 200);
  rapidjson::Document doc = Json(r.body);
  CHECK(std::string(doc["status"].GetString()) == "COMPLETE");
  CHECK(doc["results"].Size() == links.size());
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

}  // namespace
}  // namespace salesaudit::sim

// The Mailchimp simulator checked over real HTTP against the wire formats of
// docs/vendors/mailchimp.md, so connector tests can trust what it serves.
#include "tests/sim/mailchimp/mailchimp_sim.h"

#include <curl/curl.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <csignal>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/time_util.h"
#include "tests/support/subprocess.h"

namespace salesaudit::sim {
namespace {

constexpr char kKey[] = "0123456789abcdef0123456789abcdef-us19";

struct HttpResult {
  long status = 0;
  std::string content_type;
  std::string body;
};

size_t CollectBody(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// One GET on a fresh connection with Basic auth `user:key` (none if key "")
// and `headers` ("Name: value").
HttpResult Get(const std::string& url, const std::string& key = kKey,
               const std::vector<std::string>& headers = {}) {
  HttpResult result;
  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  const std::string userpwd = "anystring:" + key;
  if (!key.empty()) curl_easy_setopt(curl, CURLOPT_USERPWD, userpwd.c_str());
  curl_slist* header_list = nullptr;
  for (const auto& h : headers) header_list = curl_slist_append(header_list, h.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, header_list);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, CollectBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &result.body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 20L);
  if (curl_easy_perform(curl) == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.status);
    char* type = nullptr;
    curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &type);
    if (type != nullptr) result.content_type = type;
  }
  curl_easy_cleanup(curl);
  curl_slist_free_all(header_list);
  return result;
}

// "YYYY-MM-DDTHH:MM:SSZ"
std::string FormatSince(int64_t ms) { return FormatIsoMs(ms).substr(0, 19) + "Z"; }

rapidjson::Document Json(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.c_str());
  return doc;
}

// The statuses of `n` GETs sent at once, each on its own connection.
std::vector<long> ConcurrentGets(const MailchimpSim& sim, size_t n) {
  std::vector<std::thread> threads;
  std::vector<long> statuses(n);
  for (size_t i = 0; i < n; ++i) {
    threads.emplace_back(
        [&, i] { statuses[i] = Get(sim.base_url() + "/campaigns?count=1").status; });
  }
  for (auto& t : threads) t.join();
  return statuses;
}

struct Running {
  explicit Running(MailchimpSimOptions options = {}) : sim(options) {
    MailchimpSpec spec;
    spec.members_per_list = 30;
    spec.sent_campaigns = 4;
    sim.Generate(spec);
    REQUIRE(sim.Start() != 0);
  }
  MailchimpSim sim;
};

TEST_CASE(
    "the campaigns list is an envelope with total_items, _links and +00:00 or empty send times") {
  Running r;
  auto all = Get(r.sim.base_url() + "/campaigns?count=1000&offset=0");
  REQUIRE(all.status == 200);
  auto doc = Json(all.body);
  REQUIRE(doc["campaigns"].IsArray());
  CHECK(doc["total_items"].GetInt() == 6);
  CHECK(doc["_links"].IsArray());
  int drafts = 0;
  for (const auto& c : doc["campaigns"].GetArray()) {
    const std::string send_time = c["send_time"].GetString();
    if (std::string(c["status"].GetString()) == "save") {
      ++drafts;
      CHECK(send_time.empty());
    } else {
      CHECK(send_time.substr(19) == "+00:00");
    }
  }
  CHECK(drafts == 2);

  auto sent = Json(Get(r.sim.base_url() + "/campaigns?count=2&offset=2&status=sent&sort_field="
                                          "send_time&sort_dir=ASC")
                       .body);
  CHECK(sent["total_items"].GetInt() == 4);
  CHECK(sent["campaigns"].Size() == 2);
  CHECK(std::string(sent["campaigns"][0]["send_time"].GetString()) <
        sent["campaigns"][1]["send_time"].GetString());
}

TEST_CASE("a count above 1000 is refused with a problem+json 400") {
  Running r;
  auto res = Get(r.sim.base_url() + "/campaigns?count=1001");
  CHECK(res.status == 400);
  CHECK(res.content_type.rfind("application/problem+json", 0) == 0);
}

TEST_CASE("a wrong or missing key gets a 401 problem+json with title and detail") {
  Running r;
  for (const auto& [key, title] :
       {std::pair<std::string, std::string>("wrong-us19", "API Key Invalid"),
        std::pair<std::string, std::string>("", "API Key Missing")}) {
    auto res = Get(r.sim.base_url() + "/campaigns", key);
    CHECK(res.status == 401);
    CHECK(res.content_type.rfind("application/problem+json", 0) == 0);
    auto doc = Json(res.body);
    CHECK(std::string(doc["title"].GetString()) == title);
    CHECK(doc.HasMember("detail"));
  }
}

TEST_CASE("an OAuth token is accepted as Bearer or OAuth, and only the account's") {
  Running r;
  const std::string token = MailchimpSimOptions{}.oauth_token;
  const std::string url = r.sim.base_url() + "/lists";
  CHECK(Get(url, "", {"Authorization: Bearer " + token}).status == 200);
  CHECK(Get(url, "", {"Authorization: OAuth " + token}).status == 200);
  CHECK(Get(url, "", {"Authorization: Bearer not-the-token"}).status == 401);
}

TEST_CASE("OAuth metadata gives a token's data center and endpoint, and a bad token neither") {
  Running r;
  const std::string url =
      r.sim.base_url().substr(0, r.sim.base_url().size() - 4) + "/oauth2/metadata";
  auto good = Get(url, "", {"Authorization: OAuth " + MailchimpSimOptions{}.oauth_token});
  REQUIRE(good.status == 200);
  auto doc = Json(good.body);
  CHECK(std::string(doc["dc"].GetString()) == "us19");
  // On loopback the endpoint is the simulator, so a client can follow it.
  CHECK(std::string(doc["api_endpoint"].GetString()) + "/3.0" == r.sim.base_url());
  auto bad = Get(url, "", {"Authorization: OAuth not-the-token"});
  CHECK(bad.status == 200);
  CHECK_FALSE(Json(bad.body).HasMember("api_endpoint"));
}

TEST_CASE("a key sent to another data center's host is refused, its own host is served") {
  Running r;
  const std::string url = r.sim.base_url() + "/ping";
  CHECK(Get(url, kKey, {"Host: us6.api.mailchimp.com"}).status == 401);
  CHECK(Get(url, kKey, {"Host: us19.api.mailchimp.com"}).status == 200);
}

TEST_CASE("the API root and ping answer as the account's entry points") {
  Running r;
  for (const std::string& root : {r.sim.base_url(), r.sim.base_url() + "/"}) {
    auto res = Get(root);
    REQUIRE(res.status == 200);
    auto doc = Json(res.body);
    CHECK(doc.HasMember("account_id"));
    CHECK(doc["total_subscribers"].IsInt64());
    CHECK(doc["_links"].IsArray());
  }
  auto ping = Json(Get(r.sim.base_url() + "/ping").body);
  CHECK(std::string(ping["health_status"].GetString()) == "Everything's Chimpy!");
}

TEST_CASE("fields keeps and exclude_fields drops dotted paths through collections") {
  Running r;
  const std::string list = r.sim.Lists()[0].id;
  auto kept = Json(Get(r.sim.base_url() + "/lists/" + list +
                       "/members?count=3&fields=members.id,members.merge_fields.FNAME,total_items")
                       .body);
  CHECK(kept.MemberCount() == 2);
  CHECK(kept["total_items"].GetInt() > 3);
  REQUIRE(kept["members"].Size() == 3);
  for (const auto& m : kept["members"].GetArray()) {
    CHECK(m.MemberCount() == 2);
    CHECK(m["merge_fields"].MemberCount() == 1);
    CHECK(m["merge_fields"].HasMember("FNAME"));
  }
  auto dropped = Json(
      Get(r.sim.base_url() + "/campaigns?exclude_fields=campaigns._links,campaigns.settings,_links")
          .body);
  CHECK_FALSE(dropped.HasMember("_links"));
  REQUIRE(dropped["campaigns"].Size() > 0);
  CHECK_FALSE(dropped["campaigns"][0].HasMember("settings"));
  CHECK_FALSE(dropped["campaigns"][0].HasMember("_links"));
  CHECK(dropped["campaigns"][0].HasMember("recipients"));
}

TEST_CASE("a parameter outside its values is refused with a problem+json 400") {
  Running r;
  for (const char* query :
       {"/campaigns?status=done", "/campaigns?sort_dir=UP", "/campaigns?since_send_time=yesterday",
        "/lists?sort_field=name", "/reports?type=email"}) {
    auto res = Get(r.sim.base_url() + query);
    INFO(query);
    CHECK(res.status == 400);
    CHECK(res.content_type.rfind("application/problem+json", 0) == 0);
  }
}

TEST_CASE("audiences are listed and read one by one, with their members by hash or address") {
  Running r;
  const auto lists = r.sim.Lists();
  auto listed = Json(Get(r.sim.base_url() + "/lists").body);
  REQUIRE(listed["lists"].Size() == lists.size());
  CHECK(listed["total_items"].GetInt() == static_cast<int>(lists.size()));
  auto one = Json(Get(r.sim.base_url() + "/lists/" + lists[1].id).body);
  CHECK(std::string(one["name"].GetString()) == lists[1].name);
  CHECK(one["stats"]["member_count"].IsInt64());

  MailchimpMember member;
  for (const auto& m : r.sim.Members()) {
    if (m.list_id == lists[1].id) member = m;
  }
  for (const std::string& key : {member.id, member.email_address}) {
    auto got = Get(r.sim.base_url() + "/lists/" + lists[1].id + "/members/" + key);
    REQUIRE(got.status == 200);
    CHECK(std::string(Json(got.body)["email_address"].GetString()) == member.email_address);
  }
  CHECK(Get(r.sim.base_url() + "/lists/nosuchlist/members").status == 404);
  CHECK(Get(r.sim.base_url() + "/lists/" + lists[0].id + "/members/" + member.id).status == 404);
}

TEST_CASE("members filter by status and sort by last_changed") {
  Running r;
  const std::string list = r.sim.Lists()[0].id;
  auto doc = Json(Get(r.sim.base_url() + "/lists/" + list +
                      "/members?count=1000&status=subscribed&sort_field=last_changed&sort_dir=DESC")
                      .body);
  std::string previous = "9999";
  int subscribed = 0;
  for (const auto& m : r.sim.Members()) subscribed += m.list_id == list && m.status == "subscribed";
  CHECK(doc["total_items"].GetInt() == subscribed);
  for (const auto& m : doc["members"].GetArray()) {
    CHECK(std::string(m["status"].GetString()) == "subscribed");
    CHECK(std::string(m["last_changed"].GetString()) <= previous);
    previous = m["last_changed"].GetString();
  }
}

TEST_CASE("reports list the sent campaigns with their opens, clicks and bounces") {
  Running r;
  auto doc = Json(Get(r.sim.base_url() + "/reports?count=1000").body);
  CHECK(doc["total_items"].GetInt() == 4);
  const std::string id = doc["reports"][0]["id"].GetString();
  auto one = Json(Get(r.sim.base_url() + "/reports/" + id).body);
  CHECK(one["opens"]["opens_total"].IsInt64());
  CHECK(one["clicks"]["unique_subscriber_clicks"].IsInt64());
  CHECK(one["bounces"]["hard_bounces"].IsInt64());
  std::string draft;
  for (const auto& c : r.sim.Campaigns()) {
    if (c.status == "save") draft = c.id;
  }
  CHECK(Get(r.sim.base_url() + "/campaigns/" + draft).status == 200);
  CHECK(Get(r.sim.base_url() + "/reports/" + draft).status == 404);
}

TEST_CASE("email activity needs a whole-seconds Z since and then lists only newer activity") {
  Running r;
  const std::string id = r.sim.Campaigns()[3].id;
  const std::string path = r.sim.base_url() + "/reports/" + id + "/email-activity?count=1000";
  auto full = Json(Get(path).body);
  CHECK(full["total_items"].GetInt() == static_cast<int>(full["emails"].Size()));
  CHECK(std::string(full["campaign_id"].GetString()) == id);

  CHECK(Get(path + "&since=2024-01-01T00:00:00.000Z").status == 500);
  CHECK(Get(path + "&since=2024-01-01T00:00:00%2B00:00").status == 500);

  auto added = r.sim.AddActivity(3, id);
  REQUIRE(added.size() == 3);
  // Generated activity ends a minute before now; the added entries are at
  // now, so a since one second earlier returns exactly them.
  const std::string since = FormatSince(added[0].at_ms - 1000);
  auto newer = Json(Get(path + "&since=" + since).body);
  int entries = 0;
  for (const auto& e : newer["emails"].GetArray()) entries += e["activity"].Size();
  CHECK(entries == 3);
  CHECK(newer["total_items"].GetInt() == static_cast<int>(newer["emails"].Size()));
}

TEST_CASE("list members carry an MD5 id of the lower-cased address and dates that may be empty") {
  Running r;
  std::set<std::string> lists;
  for (const auto& m : r.sim.Members()) lists.insert(m.list_id);
  REQUIRE(!lists.empty());
  auto doc = Json(Get(r.sim.base_url() + "/lists/" + *lists.begin() + "/members?count=1000").body);
  REQUIRE(doc["members"].IsArray());
  CHECK(doc["total_items"].GetInt() == static_cast<int>(doc["members"].Size()));
  for (const auto& m : doc["members"].GetArray()) {
    CHECK(std::string(m["id"].GetString()) == MailchimpEmailId(m["email_address"].GetString()));
  }
  CHECK(MailchimpEmailId(" Ana@Example.com") == "cdb9d6a1dddc375a09cc83e3001598dc");
}

TEST_CASE("more than ten requests in flight are answered with 429") {
  MailchimpSimOptions options;
  options.response_delay_ms = 500;
  Running r(options);
  const std::vector<long> statuses = ConcurrentGets(r.sim, 14);
  const auto stats = r.sim.Stats();
  // However the requests interleave, no more than 10 are ever served.
  const long served = std::count(statuses.begin(), statuses.end(), 200L);
  const long refused = std::count(statuses.begin(), statuses.end(), 429L);
  CHECK(served + refused == 14);
  CHECK((refused > 0) == (stats.max_in_flight > 10));
}

TEST_CASE("with rate limits off, more than ten requests in flight are all served") {
  MailchimpSimOptions options;
  options.response_delay_ms = 300;
  options.rate_limits = false;
  Running r(options);
  const std::vector<long> statuses = ConcurrentGets(r.sim, 14);
  CHECK(std::count(statuses.begin(), statuses.end(), 200L) == 14);
}

TEST_CASE("an injected bare 403 has an HTML body, not problem+json") {
  Running r;
  r.sim.InjectFault(MailchimpFaultKind::kBlocked403);
  auto res = Get(r.sim.base_url() + "/campaigns");
  CHECK(res.status == 403);
  CHECK(res.content_type == "text/html");
  CHECK(Get(r.sim.base_url() + "/campaigns").status == 200);
}

TEST_CASE("mailchimp-sim serves members from an emails file until SIGTERM") {
  testing::TempDir dir;
  testing::WriteFile(dir.File("emails.txt"), "Ana.Lee101@Example.com\nben.novak103@acme.io\n");
  testing::ChildProcess child({MAILCHIMP_SIM_BINARY, "--members", "5", "--lists", "1",
                               "--emails-file", dir.File("emails.txt")},
                              dir.path());
  const std::string prefix = "listening on ";
  REQUIRE(testing::WaitFor([&] { return child.Stdout().find('\n') != std::string::npos; },
                           std::chrono::seconds(20)));
  const std::string out = child.Stdout();
  REQUIRE(out.rfind(prefix, 0) == 0);
  const std::string base = out.substr(prefix.size(), out.find('\n') - prefix.size());
  auto campaigns = Json(Get(base + "/campaigns?count=1000&status=sent").body);
  REQUIRE(campaigns["campaigns"].Size() > 0);
  const std::string list = campaigns["campaigns"][0]["recipients"]["list_id"].GetString();
  auto members = Json(Get(base + "/lists/" + list + "/members?count=1000").body);
  std::set<std::string> emails;
  for (const auto& m : members["members"].GetArray()) emails.insert(m["email_address"].GetString());
  CHECK(emails.count("Ana.Lee101@Example.com") == 1);
  CHECK(emails.count("ben.novak103@acme.io") == 1);
  child.Signal(SIGTERM);
  CHECK(child.Wait(std::chrono::seconds(20)) == 0);
}

}  // namespace
}  // namespace salesaudit::sim

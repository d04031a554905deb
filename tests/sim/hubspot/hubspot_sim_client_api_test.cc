// What a generic HubSpot client meets before and while it syncs
// (docs/vendors/hubspot.md): property definitions, the custom object
// schemas, owners asked for with a trailing slash, `associations=` on list
// requests, the rate limits a private app has by default with their daily
// headers, and legacy email events newest first with HubSpot's fields.
#include <rapidjson/document.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/clock.h"
#include "tests/sim/hubspot/hubspot_sim.h"
#include "tests/sim/hubspot/hubspot_sim_fixtures.h"

namespace salesaudit::sim {
namespace {

using fixtures::Fixture;
using fixtures::Http;
using fixtures::HttpResult;
using fixtures::Json;
using fixtures::kToken;

// The definitions of `type`'s properties by name.
std::map<std::string, rapidjson::Document> PropertiesByName(const std::string& url,
                                                            const std::string& type) {
  HttpResult r = Http(url + "/crm/v3/properties/" + type);
  REQUIRE(r.status == 200);
  rapidjson::Document doc = Json(r.body);
  std::map<std::string, rapidjson::Document> byName;
  for (const auto& p : doc["results"].GetArray()) {
    rapidjson::Document copy;
    copy.CopyFrom(p, copy.GetAllocator());
    byName.emplace(p["name"].GetString(), std::move(copy));
  }
  return byName;
}

std::set<std::string> OptionValues(const rapidjson::Value& property) {
  std::set<std::string> values;
  for (const auto& o : property["options"].GetArray()) values.insert(o["value"].GetString());
  return values;
}

TEST_CASE(
    "property definitions cover every property the portal holds, typed as HubSpot types them") {
  Fixture f;
  f.sim.SetContactProperty(f.sim.Contacts().front().id, "favourite_colour", "teal");
  auto contacts = PropertiesByName(f.url, "contacts");
  std::set<std::string> held;
  std::set<std::string> stages;
  for (const SimObject& c : f.sim.Contacts()) {
    for (const auto& entry : c.properties) held.insert(entry.first);
    auto stage = c.properties.find("lifecyclestage");
    if (stage != c.properties.end() && !stage->second.empty()) stages.insert(stage->second);
  }
  for (const std::string& name : held) CHECK(contacts.count(name) == 1);

  const rapidjson::Value& email = contacts.at("email");
  CHECK(std::string(email["type"].GetString()) == "string");
  CHECK(std::string(email["fieldType"].GetString()) == "text");
  CHECK(std::string(email["label"].GetString()) == "Email");
  CHECK(std::string(email["groupName"].GetString()) == "contactinformation");
  CHECK(email["hubspotDefined"].GetBool());
  const rapidjson::Value& stage = contacts.at("lifecyclestage");
  CHECK(std::string(stage["type"].GetString()) == "enumeration");
  CHECK(OptionValues(stage) == stages);
  const rapidjson::Value& created = contacts.at("createdate");
  CHECK(std::string(created["type"].GetString()) == "datetime");
  CHECK(std::string(created["fieldType"].GetString()) == "date");
  const rapidjson::Value& owner = contacts.at("hubspot_owner_id");
  CHECK(owner["externalOptions"].GetBool());
  CHECK(std::string(owner["referencedObjectType"].GetString()) == "OWNER");
  const rapidjson::Value& custom = contacts.at("favourite_colour");
  CHECK_FALSE(custom["hubspotDefined"].GetBool());
  CHECK(std::string(custom["type"].GetString()) == "string");

  auto deals = PropertiesByName(f.url, "deals");
  CHECK(std::string(deals.at("hs_is_closed_won")["type"].GetString()) == "bool");
  CHECK(OptionValues(deals.at("hs_is_closed_won")) == std::set<std::string>{"true", "false"});
  CHECK(std::string(deals.at("amount")["type"].GetString()) == "number");

  HttpResult one = Http(f.url + "/crm/v3/properties/contacts/email");
  REQUIRE(one.status == 200);
  CHECK(std::string(Json(one.body)["name"].GetString()) == "email");
  CHECK(Http(f.url + "/crm/v3/properties/contacts/no_such_property").status == 404);
  CHECK(Http(f.url + "/crm/v3/properties/widgets").status == 404);
}

TEST_CASE("the schemas API lists no custom objects and owners answer with a trailing slash") {
  Fixture f;
  for (const char* path : {"/crm/v3/schemas", "/crm-object-schemas/v3/schemas"}) {
    HttpResult schemas = Http(f.url + path);
    REQUIRE(schemas.status == 200);
    CHECK(Json(schemas.body)["results"].GetArray().Size() == 0);
  }
  HttpResult plain = Http(f.url + "/crm/v3/owners?limit=2");
  HttpResult slash = Http(f.url + "/crm/v3/owners/?limit=2");
  REQUIRE(slash.status == 200);
  CHECK(slash.body == plain.body);
}

TEST_CASE("a list asked for associations carries each record's associated ids") {
  Fixture f(250, 60);
  // contact -> its deals, from the portal's deal -> contacts links.
  std::map<std::string, std::set<std::string>> deals_of;
  for (const auto& [deal, contacts] : f.sim.DealContactIds()) {
    for (const std::string& contact : contacts) deals_of[contact].insert(deal);
  }
  size_t seen = 0;
  std::string after;
  do {
    HttpResult r = Http(f.url + "/crm/v3/objects/contacts?limit=100&associations=deals" +
                        (after.empty() ? "" : "&after=" + after));
    REQUIRE(r.status == 200);
    rapidjson::Document doc = Json(r.body);
    for (const auto& c : doc["results"].GetArray()) {
      ++seen;
      std::set<std::string> listed;
      if (c.HasMember("associations")) {
        for (const auto& a : c["associations"]["deals"]["results"].GetArray()) {
          listed.insert(a["id"].GetString());
          CHECK(std::string(a["type"].GetString()) == "contact_to_deal");
        }
      }
      CHECK(listed == deals_of[c["id"].GetString()]);
    }
    after = doc.HasMember("paging") ? doc["paging"]["next"]["after"].GetString() : "";
  } while (!after.empty());
  CHECK(seen > 0);
}

TEST_CASE(
    "associations past the per-record page continue at the record's associations, and repeated "
    "list parameters add up") {
  SimOptions options = SimOptions::WithoutRateLimits();
  options.association_page_size = 2;
  Fixture f(250, 60, options);
  const std::string deal = fixtures::BusiestDeal(f.sim);
  REQUIRE(f.sim.AssociateContacts(deal, 3).size() == 3);
  bool found = false;
  std::vector<std::string> associated;
  std::string link;
  std::string after;
  do {
    HttpResult r = Http(f.url +
                        "/crm/v3/objects/deals?limit=100&associations=contacts&properties=dealname"
                        "&properties=amount" +
                        (after.empty() ? "" : "&after=" + after));
    REQUIRE(r.status == 200);
    rapidjson::Document doc = Json(r.body);
    for (const auto& d : doc["results"].GetArray()) {
      CHECK(d["properties"].HasMember("dealname"));
      CHECK(d["properties"].HasMember("amount"));
      if (std::string(d["id"].GetString()) != deal) continue;
      found = true;
      const auto& contacts = d["associations"]["contacts"];
      CHECK(contacts["results"].GetArray().Size() == 2);
      for (const auto& c : contacts["results"].GetArray())
        associated.push_back(c["id"].GetString());
      link = contacts["paging"]["next"]["link"].GetString();
    }
    after = doc.HasMember("paging") ? doc["paging"]["next"]["after"].GetString() : "";
  } while (!after.empty());
  REQUIRE(found);
  // The rest from the v4 record endpoint the link names, two at a time.
  while (!link.empty()) {
    HttpResult r = Http(f.url + link + "&limit=2");
    REQUIRE(r.status == 200);
    rapidjson::Document doc = Json(r.body);
    for (const auto& c : doc["results"].GetArray()) {
      associated.push_back(std::to_string(c["toObjectId"].GetInt64()));
      CHECK(c["associationTypes"][0]["typeId"].GetInt() == 3);
    }
    link = doc.HasMember("paging")
               ? "/crm/v4/objects/deals/" + deal +
                     "/associations/contacts?after=" + doc["paging"]["next"]["after"].GetString()
               : "";
  }
  std::vector<std::string> expected = f.sim.DealContactIds().at(deal);
  std::sort(expected.begin(), expected.end(), [](const std::string& a, const std::string& b) {
    return std::stoll(a) < std::stoll(b);
  });
  CHECK(associated == expected);
}

TEST_CASE("rate limits are on by default with a Free or Starter private app's allowance") {
  ManualClock clock;
  Fixture f(250, 60, SimOptions{}, clock);
  HttpResult r = Http(f.url + "/crm/v3/objects/contacts");
  REQUIRE(r.status == 200);
  CHECK(r.headers["x-hubspot-ratelimit-daily"] == "250000");
  CHECK(r.headers["x-hubspot-ratelimit-daily-remaining"] == "249999");
  CHECK(r.headers["x-hubspot-ratelimit-max"] == "100");
  CHECK(r.headers["x-hubspot-ratelimit-remaining"] == "99");
  CHECK(r.headers["x-hubspot-ratelimit-interval-milliseconds"] == "10000");
  CHECK(r.headers["x-hubspot-ratelimit-secondly"] == "10");
  CHECK(r.headers["x-hubspot-ratelimit-secondly-remaining"] == "9");
  for (int i = 0; i < 99; ++i) REQUIRE(Http(f.url + "/crm/v3/owners").status == 200);
  HttpResult refused = Http(f.url + "/crm/v3/owners");
  CHECK(refused.status == 429);
  CHECK(std::string(Json(refused.body)["policyName"].GetString()) == "TEN_SECONDLY_ROLLING");
  clock.Advance(std::chrono::seconds(10));
  CHECK(Http(f.url + "/crm/v3/owners").status == 200);
}

TEST_CASE("the daily limit refuses with DAILY until the portal's midnight") {
  SimOptions options;
  options.daily_limit = 2;
  ManualClock clock;  // starts at a UTC midnight
  Fixture f(250, 60, options, clock);
  clock.Advance(std::chrono::hours(23));
  CHECK(Http(f.url + "/crm/v3/owners").status == 200);
  HttpResult last = Http(f.url + "/crm/v3/owners");
  CHECK(last.headers["x-hubspot-ratelimit-daily-remaining"] == "0");
  HttpResult refused = Http(f.url + "/crm/v3/owners");
  REQUIRE(refused.status == 429);
  CHECK(std::string(Json(refused.body)["policyName"].GetString()) == "DAILY");
  CHECK(refused.headers["x-hubspot-ratelimit-daily-remaining"] == "0");
  CHECK_FALSE(refused.has_header("retry-after"));
  clock.Advance(std::chrono::hours(1));
  HttpResult next_day = Http(f.url + "/crm/v3/owners");
  CHECK(next_day.status == 200);
  CHECK(next_day.headers["x-hubspot-ratelimit-daily-remaining"] == "1");
}

TEST_CASE("OAuth calls get the burst headers but no daily limit or daily headers") {
  SimOptions options;
  options.daily_limit = 1;
  options.oauth_client_id = "client";
  options.oauth_client_secret = "secret";
  options.oauth_refresh_token = "refresh";
  Fixture f(250, 60, options);
  // The token endpoint reads its body as a form whatever the content type.
  HttpResult token = Http(f.url + "/oauth/v1/token", "",
                          "grant_type=refresh_token&client_id=client&client_secret=secret"
                          "&refresh_token=refresh");
  REQUIRE(token.status == 200);
  const std::string access = Json(token.body)["access_token"].GetString();
  for (int i = 0; i < 3; ++i) {
    HttpResult r = Http(f.url + "/crm/v3/owners", access);
    CHECK(r.status == 200);
    CHECK(r.has_header("x-hubspot-ratelimit-max"));
    CHECK_FALSE(r.has_header("x-hubspot-ratelimit-daily"));
    CHECK_FALSE(r.has_header("x-hubspot-ratelimit-daily-remaining"));
  }
  // The private app's token is limited to one a day.
  CHECK(Http(f.url + "/crm/v3/owners").status == 200);
  CHECK(Http(f.url + "/crm/v3/owners").status == 429);
}

TEST_CASE("with rate limits off nothing is refused and no rate-limit header is sent") {
  SimOptions options = SimOptions::WithoutRateLimits();
  options.ten_secondly_limit = 1;
  options.daily_limit = 1;
  options.search_per_second_limit = 1;
  Fixture f(250, 60, options);
  for (int i = 0; i < 3; ++i) {
    HttpResult r = Http(f.url + "/crm/v3/owners");
    CHECK(r.status == 200);
    CHECK_FALSE(r.has_header("x-hubspot-ratelimit-max"));
    CHECK_FALSE(r.has_header("x-hubspot-ratelimit-daily"));
    CHECK(Http(f.url + "/crm/v3/objects/contacts/search", kToken, "{}").status == 200);
  }
}

TEST_CASE("legacy email events come newest first with the fields HubSpot sends") {
  SimOptions options = SimOptions::WithoutRateLimits();
  options.email_events_page_size = 50;
  Fixture f(250, 60, options);
  const std::vector<SimEmailEvent> portal = f.sim.EmailEvents();
  REQUIRE(portal.size() > 200);
  std::vector<std::pair<int64_t, std::string>> read;
  std::set<std::string> types_with_fields;
  std::string offset;
  bool more = true;
  while (more) {
    HttpResult r = Http(f.url + "/email/public/v1/events?limit=1000" +
                        (offset.empty() ? "" : "&offset=" + offset));
    REQUIRE(r.status == 200);
    rapidjson::Document doc = Json(r.body);
    for (const auto& e : doc["events"].GetArray()) {
      read.emplace_back(e["created"].GetInt64(), e["id"].GetString());
      const std::string type = e["type"].GetString();
      if (type == "OPEN" && e.HasMember("userAgent") && e.HasMember("browser") &&
          e.HasMember("location") && e.HasMember("duration")) {
        types_with_fields.insert(type);
      }
      if (type == "CLICK" && e.HasMember("url") && e.HasMember("userAgent")) {
        types_with_fields.insert(type);
      }
      if (type == "SENT" && e.HasMember("subject") && e.HasMember("from")) {
        types_with_fields.insert(type);
      }
      if (type == "DELIVERED" && e.HasMember("smtpId") && e.HasMember("response")) {
        types_with_fields.insert(type);
      }
    }
    more = doc["hasMore"].GetBool();
    offset = doc["offset"].GetString();
  }
  REQUIRE(read.size() == portal.size());
  CHECK(std::is_sorted(read.rbegin(), read.rend()));
  std::set<std::pair<int64_t, std::string>> unique(read.begin(), read.end());
  CHECK(unique.size() == read.size());
  CHECK(types_with_fields == std::set<std::string>{"CLICK", "DELIVERED", "OPEN", "SENT"});
}

}  // namespace
}  // namespace salesaudit::sim

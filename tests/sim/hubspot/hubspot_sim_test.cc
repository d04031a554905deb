// The simulator checked over real HTTP against the wire formats of
// docs/vendors/hubspot.md, so connector tests can trust what it serves.
// This file: object lists, search and its index lag, generation and dates;
// hubspot_sim_limits_test.cc and hubspot_sim_associations_test.cc the rest.
#include "tests/sim/hubspot/hubspot_sim.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/time_util.h"
#include "tests/sim/hubspot/hubspot_sim_fixtures.h"

namespace salesaudit::sim {
namespace {

using fixtures::AllDigits;
using fixtures::AssociationInputs;
using fixtures::FindById;
using fixtures::Fixture;
using fixtures::Http;
using fixtures::HttpResult;
using fixtures::Json;
using fixtures::kToken;
using fixtures::Search;
using fixtures::SearchAll;
using fixtures::SearchById;

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
  SimOptions options = SimOptions::WithoutRateLimits();
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

TEST_CASE("generation is deterministic per seed and bulk updates share few timestamps") {
  HubSpotSim a{SimOptions::WithoutRateLimits()};
  HubSpotSim b{SimOptions::WithoutRateLimits()};
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

TEST_CASE("within the index lag search serves the previous version and not new records") {
  SimOptions options = SimOptions::WithoutRateLimits();
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
    SimOptions options = SimOptions::WithoutRateLimits();
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

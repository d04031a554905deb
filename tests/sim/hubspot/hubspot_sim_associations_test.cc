// The HubSpot simulator over real HTTP: deal->contact association batch
// reads (v3 and v4), owners and merges.
#include <rapidjson/document.h>

#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/time_util.h"
#include "tests/sim/hubspot/hubspot_sim.h"
#include "tests/sim/hubspot/hubspot_sim_fixtures.h"

namespace salesaudit::sim {
namespace {

using fixtures::AllDigits;
using fixtures::AssociationInputs;
using fixtures::BusiestDeal;
using fixtures::FindById;
using fixtures::Fixture;
using fixtures::Http;
using fixtures::HttpResult;
using fixtures::Json;
using fixtures::kToken;

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

TEST_CASE("v4 association batch read pages each deal's contacts by its own cursor") {
  SimOptions options = SimOptions::WithoutRateLimits();
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

  SimOptions touching = SimOptions::WithoutRateLimits();
  touching.association_changes_touch_deal = true;
  f.sim.SetOptions(touching);
  const int64_t start = NowMs();
  REQUIRE(f.sim.AssociateContacts(deal, 2).size() == 2);
  CHECK(FindById(f.sim.Deals(), deal)->updated_at_ms >= start);
}

TEST_CASE("max_contacts_per_deal lets generated deals carry more than a page of contacts") {
  HubSpotSim sim{SimOptions::WithoutRateLimits()};
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

}  // namespace
}  // namespace salesaudit::sim

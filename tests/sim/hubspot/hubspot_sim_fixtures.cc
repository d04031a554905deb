#include "tests/sim/hubspot/hubspot_sim_fixtures.h"

#include <algorithm>
#include <catch2/catch.hpp>

#include "tests/support/curl_request.h"

namespace salesaudit::sim::fixtures {

HttpResult Http(const std::string& url, const std::string& token, const std::string& body) {
  std::vector<std::string> headers;
  if (!token.empty()) headers.push_back("Authorization: Bearer " + token);
  if (!body.empty()) headers.push_back("Content-Type: application/json");
  testing::CurlReply reply = testing::CurlRequest(url, headers, body.empty() ? nullptr : &body);
  return HttpResult{reply.code, reply.status, std::move(reply.headers), std::move(reply.body)};
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

Fixture::Fixture(int contacts, int deals, SimOptions options, const Clock& clock)
    : sim(options, clock) {
  PortalSpec spec;
  spec.seed = 7;
  spec.contacts = contacts;
  spec.deals = deals;
  sim.Generate(spec);
  REQUIRE(sim.Start() != 0);
  url = sim.base_url();
}

std::string Search(const std::string& filters, const std::string& extra) {
  return R"({"filterGroups":)" + filters + extra + "}";
}

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

}  // namespace salesaudit::sim::fixtures

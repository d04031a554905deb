// What the HubSpot simulator's tests share: one HTTP request over a fresh
// libcurl connection, a generated portal served on an ephemeral port, and
// builders and readers of search and association bodies. Each helper fails
// the running Catch2 test when its step fails.
#pragma once

#include <curl/curl.h>
#include <rapidjson/document.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tests/sim/hubspot/hubspot_sim.h"

namespace salesaudit::sim::fixtures {

inline constexpr char kToken[] = "pat-na1-test-token";

struct HttpResult {
  CURLcode code = CURLE_OK;
  long status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;

  bool has_header(const std::string& name) const { return headers.count(name) != 0; }
};

// One request on a fresh connection; `body` non-empty means POST JSON.
HttpResult Http(const std::string& url, const std::string& token = kToken,
                const std::string& body = "");
rapidjson::Document Json(const std::string& body);
bool AllDigits(const std::string& s);

// A generated portal served on an ephemeral port.
struct Fixture {
  explicit Fixture(int contacts = 250, int deals = 60,
                   SimOptions options = SimOptions::WithoutRateLimits(),
                   const Clock& clock = Clock::Default());
  HubSpotSim sim;
  std::string url;
};

std::string Search(const std::string& filters, const std::string& extra = "");
// Pages through a search to the end and returns the ids in response order.
std::vector<std::string> SearchAll(const std::string& url, const std::string& body, int64_t* total);
// {"inputs":[{"id":..}, ...]} for these deal ids.
std::string AssociationInputs(const std::vector<std::string>& ids);
// The deal with the most contacts.
std::string BusiestDeal(const HubSpotSim& sim);
const SimObject* FindById(const std::vector<SimObject>& objects, const std::string& id);
// A search for one record by id, returning the parsed response.
rapidjson::Document SearchById(const std::string& url, const std::string& type,
                               const std::string& id, const std::string& properties);

}  // namespace salesaudit::sim::fixtures

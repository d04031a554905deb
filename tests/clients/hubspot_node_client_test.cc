// An unmodified open-source HubSpot client, the official Node one
// (@hubspot/api-client, fetched from npm into the build directory), run
// against the HubSpot simulator with its defaults, rate limits included: it
// must discover the contact properties and read every contact and owner
// exactly as the portal holds them. hubspot_list_portal.js drives the client.
#include <rapidjson/document.h>

#include <catch2/catch.hpp>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tests/clients/node_client.h"
#include "tests/sim/hubspot/hubspot_sim.h"

namespace salesaudit {
namespace {

// The records of `all` a live listing shows, in the portal's (id) order.
template <typename Record>
std::vector<Record> Live(std::vector<Record> all) {
  std::erase_if(all, [](const Record& r) { return r.archived; });
  return all;
}

TEST_CASE(
    "The official HubSpot Node client discovers and reads every contact and owner as the "
    "portal holds them") {
  sim::HubSpotSim hubspot;  // HubSpot's defaults: rate limits on
  sim::PortalSpec spec;
  spec.contacts = 450;
  spec.deals = 40;
  spec.owners = 7;
  hubspot.Generate(spec);
  hubspot.ArchiveContacts(5);  // not in the live listing the client reads
  REQUIRE(hubspot.Start() != 0);
  const rapidjson::Document got = testing::RunNodeClient(
      LIST_PORTAL_SCRIPT,
      {{"HUBSPOT_BASE_URL", hubspot.base_url()}, {"HUBSPOT_TOKEN", sim::SimOptions{}.token}});

  std::set<std::string> discovered;
  for (const auto& name : got["properties"].GetArray()) discovered.insert(name.GetString());

  const std::vector<sim::SimObject> live = Live(hubspot.Contacts());
  const auto& contacts = got["contacts"].GetArray();
  REQUIRE(contacts.Size() == live.size());
  for (rapidjson::SizeType i = 0; i < contacts.Size(); ++i) {
    const sim::SimObject& expected = live[i];
    const rapidjson::Value& c = contacts[i];
    INFO("contact " << expected.id);
    REQUIRE(std::string(c["id"].GetString()) == expected.id);
    // Every property the portal holds, discovered and read back unchanged;
    // every other discovered property null.
    std::map<std::string, std::optional<std::string>> read;
    for (const auto& p : c["properties"].GetObject()) {
      read[p.name.GetString()] =
          p.value.IsNull() ? std::nullopt : std::optional<std::string>(p.value.GetString());
    }
    for (const std::string& name : discovered) {
      auto held = expected.properties.find(name);
      INFO("property " << name);
      REQUIRE(read.count(name) == 1);
      CHECK(read[name] == (held == expected.properties.end()
                               ? std::nullopt
                               : std::optional<std::string>(held->second)));
    }
    for (const auto& held : expected.properties) CHECK(discovered.count(held.first) == 1);
  }

  const std::vector<sim::SimOwner> owners = Live(hubspot.Owners());
  const auto& listed = got["owners"].GetArray();
  REQUIRE(listed.Size() == owners.size());
  for (rapidjson::SizeType i = 0; i < listed.Size(); ++i) {
    const rapidjson::Value& o = listed[i];
    CHECK(std::string(o["id"].GetString()) == owners[i].id);
    CHECK(std::string(o["email"].GetString()) == owners[i].email);
    CHECK(std::string(o["firstName"].GetString()) == owners[i].first_name);
    CHECK(std::string(o["lastName"].GetString()) == owners[i].last_name);
    CHECK(o["userId"].GetInt64() == owners[i].user_id);
  }
}

}  // namespace
}  // namespace salesaudit

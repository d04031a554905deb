#include <algorithm>
#include <catch2/catch.hpp>

#include "connectors/connector.h"

namespace salesaudit {
namespace {

ConnectorDescriptor HubspotLike() {
  ConnectorDescriptor d;
  d.type = "hubspot";
  d.streams = {"owners", "contacts", "deals"};
  d.auth_keys = {"token", "client_id", "client_secret", "refresh_token"};
  d.auth_required = {{"token"}, {"client_id", "client_secret", "refresh_token"}};
  d.field_keys = {"contacted_at", "lead_source"};
  return d;
}

ConnectorDescriptor Echo() {
  ConnectorDescriptor d;
  d.type = "echo";
  d.streams = {"contacts"};
  return d;
}

SourcePos At(int line, int column) { return SourcePos{"cfg.yaml", line, column}; }

// A valid hubspot config; tests break one thing at a time.
ConnectorConfig Valid() {
  ConnectorConfig c;
  c.name = "crm";
  c.type = "hubspot";
  c.pos = At(2, 5);
  c.type_pos = At(3, 11);
  c.auth = {{"token", "pat-123"}};
  c.auth_pos = {{"token", At(5, 14)}};
  c.streams = {"contacts", "deals"};
  c.streams_pos = At(6, 14);
  c.fields = {{"contacted_at", {"notes_last_contacted"}}};
  c.fields_pos = {{"contacted_at", At(8, 7)}};
  return c;
}

ConnectorRegistry Registry() {
  ConnectorRegistry r;
  r.Register(HubspotLike());
  r.Register(Echo());
  return r;
}

TEST_CASE("a config that matches its connector type has no errors") {
  CHECK(Registry().Validate(Valid()).empty());
  ConnectorConfig oauth = Valid();
  oauth.auth = {{"client_id", "id"}, {"client_secret", "s"}, {"refresh_token", "r"}};
  CHECK(Registry().Validate(oauth).empty());
}

TEST_CASE("an unknown connector type is reported at its type with the known types") {
  ConnectorConfig c = Valid();
  c.type = "salesfarce";
  CHECK(Registry().Validate(c) ==
        std::vector<std::string>{
            "cfg.yaml:3:11: unknown connector type 'salesfarce' (known types: echo, hubspot)"});
}

TEST_CASE("an auth key the type does not accept is reported at that key") {
  ConnectorConfig c = Valid();
  c.auth["api_key"] = "k";
  c.auth_pos["api_key"] = At(5, 7);
  CHECK(
      Registry().Validate(c) ==
      std::vector<std::string>{"cfg.yaml:5:7: unknown auth key 'api_key' for hubspot connector "
                               "'crm' (accepted: token, client_id, client_secret, refresh_token)"});
}

TEST_CASE("auth missing every required alternative is reported at the connector") {
  const std::string expected =
      "cfg.yaml:2:5: hubspot connector 'crm' needs auth.token or "
      "auth.client_id+client_secret+refresh_token";
  ConnectorConfig none = Valid();
  none.auth.clear();
  CHECK(Registry().Validate(none) == std::vector<std::string>{expected});

  ConnectorConfig partial = Valid();
  partial.auth = {{"client_id", "id"}, {"client_secret", "s"}};
  CHECK(Registry().Validate(partial) == std::vector<std::string>{expected});

  ConnectorConfig empty_token = Valid();
  empty_token.auth = {{"token", ""}};
  CHECK(Registry().Validate(empty_token) == std::vector<std::string>{expected});
}

TEST_CASE("unknown streams are reported at the streams list with the valid ones") {
  ConnectorConfig c = Valid();
  c.streams = {"contacts", "tickets"};
  CHECK(Registry().Validate(c) ==
        std::vector<std::string>{"cfg.yaml:6:14: unknown stream 'tickets' for hubspot connector "
                                 "'crm' (valid streams: owners, contacts, deals)"});
}

TEST_CASE("unknown field keys are reported at the key with the valid ones") {
  ConnectorConfig c = Valid();
  c.fields["contacted"] = {"x"};
  c.fields_pos["contacted"] = At(9, 7);
  CHECK(Registry().Validate(c) ==
        std::vector<std::string>{"cfg.yaml:9:7: unknown field 'contacted' for hubspot connector "
                                 "'crm' (valid fields: contacted_at, lead_source)"});
}

TEST_CASE("every problem in one config is reported") {
  ConnectorConfig c = Valid();
  c.auth = {{"password", "p"}};
  c.auth_pos = {{"password", At(5, 7)}};
  c.streams = {"tickets"};
  c.fields = {{"x", {"y"}}};
  c.fields_pos = {{"x", At(8, 7)}};
  CHECK(Registry().Validate(c).size() == 4);
}

TEST_CASE("the registry finds and lists registered types") {
  ConnectorRegistry r = Registry();
  REQUIRE(r.Find("hubspot") != nullptr);
  CHECK(r.Find("hubspot")->streams.size() == 3);
  CHECK(r.Find("nope") == nullptr);
  std::vector<std::string> types;
  for (const ConnectorDescriptor* d : r.All()) types.push_back(d->type);
  CHECK(types == std::vector<std::string>{"echo", "hubspot"});
}

TEST_CASE("the builtin registry holds hubspot and every builtin type is complete") {
  const ConnectorRegistry& builtin = BuiltinConnectors();
  CHECK(&builtin == &BuiltinConnectors());
  CHECK(builtin.Find("hubspot") != nullptr);
  for (const ConnectorDescriptor* d : builtin.All()) {
    INFO("type " << d->type);
    CHECK_FALSE(d->type.empty());
    CHECK_FALSE(d->streams.empty());
    for (const std::string& stream : d->streams) {
      INFO("stream " << stream);
      CHECK(d->stream_records.count(stream) == 1);
    }
    CHECK(d->stream_records.size() == d->streams.size());
    CHECK(static_cast<bool>(d->create));
    for (const auto& keys : d->auth_required) {
      for (const std::string& key : keys) {
        CHECK(std::find(d->auth_keys.begin(), d->auth_keys.end(), key) != d->auth_keys.end());
      }
    }
  }
}

TEST_CASE("a portal_id on a type without record pages is reported at the key") {
  ConnectorConfig c = Valid();
  c.type = "echo";
  c.auth.clear();
  c.streams = {"contacts"};
  c.fields.clear();
  c.portal_id = "2412345";
  c.portal_id_pos = At(4, 5);
  CHECK(Registry().Validate(c) ==
        std::vector<std::string>{
            "cfg.yaml:4:5: portal_id: echo connector 'crm' has no record pages to link to"});
}

TEST_CASE("HubSpot records open at app.hubspot.com under the configured portal, else nowhere") {
  const ConnectorDescriptor* hubspot = BuiltinConnectors().Find("hubspot");
  REQUIRE(hubspot != nullptr);
  REQUIRE(static_cast<bool>(hubspot->record_urls));
  ConnectorConfig c = Valid();
  CHECK(hubspot->record_urls(c).empty());
  c.portal_id = "2412345";
  CHECK(BuiltinConnectors().Validate(c).empty());
  CHECK(hubspot->record_urls(c) ==
        std::map<RecordKind, std::string>{
            {RecordKind::kContact, "https://app.hubspot.com/contacts/2412345/record/0-1/"},
            {RecordKind::kDeal, "https://app.hubspot.com/contacts/2412345/record/0-3/"}});
  // Mailchimp's records (campaigns, events, members) have no page we can name.
  const ConnectorDescriptor* mailchimp = BuiltinConnectors().Find("mailchimp");
  REQUIRE(mailchimp != nullptr);
  CHECK_FALSE(static_cast<bool>(mailchimp->record_urls));
}

}  // namespace
}  // namespace salesaudit

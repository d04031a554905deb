#include <algorithm>
#include <catch2/catch.hpp>
#include <set>

#include "config/config.h"
#include "connectors/connector.h"
#include "connectors/hubspot/hubspot_connector.h"
#include "connectors/shared_options.h"

namespace salesaudit {
namespace {

const OptionSpec kDepthOption{"depth", OptionType::kPositiveDuration, std::chrono::hours(1),
                              "How far back."};

ConnectorDescriptor HubspotLike() {
  ConnectorDescriptor d;
  d.type = "hubspot";
  d.streams = {{"owners", RecordKind::kOwner},
               {"contacts", RecordKind::kContact},
               {"deals", RecordKind::kDeal}};
  d.auth_keys = {"token", "client_id", "client_secret", "refresh_token"};
  d.auth_required = {{"token"}, {"client_id", "client_secret", "refresh_token"}};
  d.field_keys = {"contacted_at", "lead_source"};
  d.options = {kLookbackOption, kDepthOption};
  return d;
}

ConnectorDescriptor Echo() {
  ConnectorDescriptor d;
  d.type = "echo";
  d.streams = {{"contacts", RecordKind::kContact}};
  return d;
}

const ConnectorRegistry& Registry() {
  static const ConnectorRegistry registry = [] {
    ConnectorRegistry r;
    r.Register(HubspotLike());
    r.Register(Echo());
    return r;
  }();
  return registry;
}

// A valid hubspot entry (line 2 on); tests change one line at a time.
std::vector<std::string> ValidLines() {
  return {"connectors:",          "  - name: crm",
          "    type: hubspot",    "    auth:",
          "      token: pat-123", "    streams: [contacts, deals]",
          "    fields:",          "      contacted_at: [notes_last_contacted]"};
}

ConfigLoadResult Load(const std::vector<std::string>& lines,
                      const ConnectorSchemas& types = Registry().Schemas()) {
  std::string text;
  for (const std::string& line : lines) text += line + "\n";
  return LoadConfigText(text, "cfg.yaml", types);
}

std::vector<std::string> Errors(const std::vector<std::string>& lines) {
  return Load(lines).errors;
}

TEST_CASE("a connector entry that matches its type loads") {
  CHECK(Errors(ValidLines()).empty());
  std::vector<std::string> oauth = ValidLines();
  oauth[4] = "      {client_id: id, client_secret: s, refresh_token: r}";
  oauth[3] = "    auth:";
  CHECK(Errors(oauth).empty());
}

TEST_CASE("an unknown connector type is reported at its type with the known types") {
  std::vector<std::string> lines = ValidLines();
  lines[2] = "    type: salesfarce";
  CHECK(Errors(lines) ==
        std::vector<std::string>{
            "cfg.yaml:3:11: unknown connector type 'salesfarce' (known types: echo, hubspot)"});
  lines[2] = "    type: hubspt";
  CHECK(Errors(lines) == std::vector<std::string>{"cfg.yaml:3:11: unknown connector type "
                                                  "'hubspt' (known types: echo, hubspot); did "
                                                  "you mean 'hubspot'?"});
}

TEST_CASE("an auth key the type does not accept is reported at that key") {
  std::vector<std::string> lines = ValidLines();
  lines.insert(lines.begin() + 5, "      api_key: k");
  // api_key is no key of any type here: the section itself refuses it.
  CHECK(Errors(lines) ==
        std::vector<std::string>{"cfg.yaml:6:7: unknown key 'api_key' in connectors[0].auth"});
  // A key another type takes is refused with this type's list.
  ConnectorDescriptor mail = Echo();
  mail.type = "mail";
  mail.auth_keys = {"api_key"};
  ConnectorRegistry with_mail;
  with_mail.Register(HubspotLike());
  with_mail.Register(mail);
  CHECK(Load(lines, with_mail.Schemas()).errors ==
        std::vector<std::string>{
            "cfg.yaml:6:7: unknown auth key 'api_key' for hubspot connector 'crm' (accepted: "
            "token, client_id, client_secret, refresh_token)"});
}

TEST_CASE("auth missing every required alternative is reported at the connector") {
  const std::vector<std::string> expected = {
      "cfg.yaml:2:5: hubspot connector 'crm' needs auth.token or "
      "auth.client_id+client_secret+refresh_token"};
  std::vector<std::string> none = ValidLines();
  none.erase(none.begin() + 3, none.begin() + 5);
  CHECK(Errors(none) == expected);

  std::vector<std::string> partial = ValidLines();
  partial[4] = "      {client_id: id, client_secret: s}";
  CHECK(Errors(partial) == expected);
}

TEST_CASE("every builtin connector type refuses an entry without any of its credentials") {
  for (const ConnectorDescriptor* type : BuiltinConnectors().All()) {
    INFO(type->type);
    const std::string text = "connectors:\n  - name: c\n    type: " + type->type + "\n";
    const ConfigLoadResult result = LoadConfigText(text, "cfg.yaml", BuiltinConnectors().Schemas());
    REQUIRE(result.errors.size() == 1);
    CHECK_THAT(result.errors[0],
               Catch::StartsWith("cfg.yaml:2:5: " + type->type + " connector 'c' needs auth."));
  }
}

TEST_CASE("unknown streams are reported at the streams list with the valid ones") {
  std::vector<std::string> lines = ValidLines();
  lines[5] = "    streams: [contacts, tickets]";
  CHECK(Errors(lines) ==
        std::vector<std::string>{"cfg.yaml:6:14: unknown stream 'tickets' for hubspot connector "
                                 "'crm' (valid streams: owners, contacts, deals)"});
}

TEST_CASE("unknown field keys are reported at the key with the valid ones") {
  std::vector<std::string> lines = ValidLines();
  lines.push_back("      contacted: [x]");
  CHECK(Errors(lines) ==
        std::vector<std::string>{"cfg.yaml:9:7: unknown field 'contacted' for hubspot connector "
                                 "'crm' (valid fields: contacted_at, lead_source)"});
}

TEST_CASE("a type's options are read as their spec says, with the declared defaults") {
  auto loaded = Load(ValidLines());
  REQUIRE(loaded.config);
  const ConnectorConfig& c = loaded.config->connectors.at(0);
  CHECK(c.options.Duration(kLookbackOption) == std::chrono::minutes(10));
  CHECK(c.options.Duration(kDepthOption) == std::chrono::hours(1));

  std::vector<std::string> lines = ValidLines();
  lines.push_back("    lookback: 0s");
  lines.push_back("    depth: 2h30m");
  loaded = Load(lines);
  REQUIRE(loaded.config);
  CHECK(loaded.config->connectors.at(0).options.Duration(kLookbackOption) ==
        std::chrono::milliseconds(0));
  CHECK(loaded.config->connectors.at(0).options.Duration(kDepthOption) ==
        std::chrono::minutes(150));

  lines.back() = "    depth: 0s";
  CHECK(Load(lines).errors ==
        std::vector<std::string>{"cfg.yaml:10:12: connectors[0].depth: must be longer than zero"});
}

TEST_CASE("another type's option is refused at its key with this type's options") {
  std::vector<std::string> lines = ValidLines();
  lines[2] = "    type: echo";
  lines.erase(lines.begin() + 3, lines.end());
  lines.push_back("    depth: 1h");
  CHECK(Errors(lines) ==
        std::vector<std::string>{
            "cfg.yaml:4:5: 'depth' is not an option of echo connector 'crm' (its options: none)"});
  // With an unknown type, only the type is reported: which options apply is unknown.
  lines[2] = "    type: nope";
  CHECK(Errors(lines).size() == 1);
}

TEST_CASE("every problem in one connector entry is reported") {
  std::vector<std::string> lines = ValidLines();
  lines[4] = "      {client_id: id}";
  lines[5] = "    streams: [tickets]";
  lines.push_back("      x: [y]");
  lines.push_back("    depth: soon");
  CHECK(Errors(lines).size() == 4);
}

TEST_CASE("the registry finds and lists registered types") {
  const ConnectorRegistry& r = Registry();
  REQUIRE(r.Find("hubspot") != nullptr);
  CHECK(r.Find("hubspot")->streams.size() == 3);
  CHECK(r.Find("nope") == nullptr);
  std::vector<std::string> types;
  for (const ConnectorDescriptor* d : r.All()) types.push_back(d->type);
  CHECK(types == std::vector<std::string>{"echo", "hubspot"});
  std::vector<std::string> schemas;
  for (const ConnectorSchema* s : r.Schemas()) schemas.push_back(s->type);
  CHECK(schemas == types);
}

TEST_CASE("every builtin type is complete: streams, auth and options named once each") {
  const ConnectorRegistry& builtin = BuiltinConnectors();
  CHECK(&builtin == &BuiltinConnectors());
  CHECK(builtin.Find("hubspot") != nullptr);
  CHECK(builtin.Find("mailchimp") != nullptr);
  for (const ConnectorDescriptor* d : builtin.All()) {
    INFO("type " << d->type);
    CHECK_FALSE(d->type.empty());
    CHECK_FALSE(d->description.empty());
    CHECK_FALSE(d->streams.empty());
    const std::vector<std::string> streams = d->StreamNames();
    CHECK(std::set<std::string>(streams.begin(), streams.end()).size() == streams.size());
    CHECK(static_cast<bool>(d->create));
    for (const auto& keys : d->auth_required) {
      for (const std::string& key : keys) {
        CHECK(std::find(d->auth_keys.begin(), d->auth_keys.end(), key) != d->auth_keys.end());
      }
    }
    std::set<std::string> option_names;
    for (const OptionSpec& option : d->options) {
      INFO("option " << option.name);
      CHECK(option_names.insert(option.name).second);
      CHECK_FALSE(option.description.empty());
      // The default is of the option's own type.
      const bool is_duration =
          option.type == OptionType::kDuration || option.type == OptionType::kPositiveDuration;
      CHECK(std::holds_alternative<std::chrono::milliseconds>(option.default_value) == is_duration);
    }
    // Every option a type declares loads with its default written out.
    std::string text = "connectors:\n  - name: c\n    type: " + d->type + "\n";
    for (const OptionSpec& option : d->options) {
      const std::string value = FormatOptionValue(option.default_value);
      if (!value.empty()) text += "    " + option.name + ": " + value + "\n";
    }
    ConnectorSchema without_auth = *d;
    without_auth.auth_required.clear();
    const ConfigLoadResult loaded = LoadConfigText(text, "c.yaml", {&without_auth});
    CHECK(loaded.errors == std::vector<std::string>{});
  }
}

TEST_CASE("HubSpot records open at app.hubspot.com under the configured portal, else nowhere") {
  const ConnectorDescriptor* hubspot = BuiltinConnectors().Find("hubspot");
  REQUIRE(hubspot != nullptr);
  REQUIRE(static_cast<bool>(hubspot->record_urls));
  ConnectorConfig c;
  c.name = "crm";
  c.type = "hubspot";
  CHECK(hubspot->record_urls(c).empty());
  c.options.Set(kHubSpotPortalIdOption, std::string("2412345"));
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

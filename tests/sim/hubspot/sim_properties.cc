#include "tests/sim/hubspot/sim_properties.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <set>
#include <string_view>
#include <vector>

#include "tests/sim/common/sim_text.h"

namespace salesaudit::sim {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

// HubSpot's definitions carry their own dates; the simulator's are fixed.
constexpr char kDefinedAt[] = "2020-05-12T08:00:00.000Z";

// What HubSpot says about one of its own properties: its type (the value
// kind) and fieldType (the form control) pairs as the properties guide lists
// them; `calculated` ones are read-only values HubSpot sets.
struct Definition {
  std::string_view name;
  std::string_view label;
  std::string_view type;
  std::string_view field_type;
  std::string_view group;
  bool calculated = false;
  // Set for properties whose options are records of another kind
  // (externalOptions): hubspot_owner_id lists owners, not values.
  std::string_view referenced_object_type = {};
};

constexpr Definition kContactDefinitions[] = {
    {"createdate", "Create Date", "datetime", "date", "contactinformation", true},
    {"email", "Email", "string", "text", "contactinformation"},
    {"firstname", "First Name", "string", "text", "contactinformation"},
    {"hs_analytics_source", "Original Source", "enumeration", "select", "analyticsinformation",
     true},
    {"hs_lead_status", "Lead Status", "enumeration", "radio", "sales_properties"},
    {"hs_merged_object_ids", "Merged Contact IDs", "enumeration", "checkbox", "contactinformation",
     true},
    {"hs_object_id", "Record ID", "number", "number", "contactinformation", true},
    {"hubspot_owner_id", "Contact owner", "enumeration", "select", "sales_properties", false,
     "OWNER"},
    {"lastmodifieddate", "Last Modified Date", "datetime", "date", "contactinformation", true},
    {"lastname", "Last Name", "string", "text", "contactinformation"},
    {"lifecyclestage", "Lifecycle Stage", "enumeration", "radio", "contactinformation"},
};

constexpr Definition kDealDefinitions[] = {
    {"amount", "Amount", "number", "number", "dealinformation"},
    {"closedate", "Close Date", "datetime", "date", "dealinformation"},
    {"createdate", "Create Date", "datetime", "date", "dealinformation", true},
    {"deal_currency_code", "Currency", "enumeration", "select", "dealinformation"},
    {"dealname", "Deal Name", "string", "text", "dealinformation"},
    {"dealstage", "Deal Stage", "enumeration", "radio", "dealinformation"},
    {"hs_deal_stage_probability", "Deal probability", "number", "number", "dealinformation", true},
    {"hs_is_closed", "Is Deal Closed?", "bool", "booleancheckbox", "dealinformation", true},
    {"hs_is_closed_won", "Is Closed Won", "bool", "booleancheckbox", "dealinformation", true},
    {"hs_lastmodifieddate", "Last Modified Date", "datetime", "date", "dealinformation", true},
    {"hs_object_id", "Record ID", "number", "number", "dealinformation", true},
    {"hubspot_owner_id", "Deal owner", "enumeration", "select", "dealinformation", false, "OWNER"},
    {"pipeline", "Pipeline", "enumeration", "select", "dealinformation"},
};

// A property's definition as served: `definition` with the name and label
// it is served under (a stage date's label is built from its name).
struct Described {
  Definition definition;
  std::string name;
  std::string label;
  bool hubspot_defined = true;
};

// A property the portal gained later (HubSpotSim::SetContactProperty) is a
// custom one: a date when its name says so, else single-line text.
Described Describe(ObjectType type, const std::string& name) {
  const bool contacts = type == ObjectType::kContacts;
  const auto* begin = contacts ? std::begin(kContactDefinitions) : std::begin(kDealDefinitions);
  const auto* end = contacts ? std::end(kContactDefinitions) : std::end(kDealDefinitions);
  const auto* known = std::find_if(begin, end, [&](const Definition& d) { return d.name == name; });
  if (known != end) return {*known, name, std::string(known->label)};
  const std::string_view group = contacts ? "contactinformation" : "dealinformation";
  // hs_lifecyclestage_<stage>_date: when the contact first entered a stage.
  constexpr std::string_view kStagePrefix = "hs_lifecyclestage_";
  constexpr std::string_view kDateSuffix = "_date";
  if (contacts && name.starts_with(kStagePrefix) && name.ends_with(kDateSuffix)) {
    const std::string stage =
        name.substr(kStagePrefix.size(), name.size() - kStagePrefix.size() - kDateSuffix.size());
    return {{{}, {}, "datetime", "date", group, true}, name, "Became a " + stage + " Date"};
  }
  const bool date = name.ends_with("date");
  return {{{}, {}, date ? "datetime" : "string", date ? "date" : "text", group},
          name,
          name,
          /*hubspot_defined=*/false};
}

// One option per distinct value the records hold (a checkbox value holds
// several, `;`-joined), in value order; a bool has its fixed two.
std::vector<std::pair<std::string, std::string>> Options(const Definition& d,
                                                         const std::string& name,
                                                         const ObjectTable& table) {
  if (d.type == "bool") return {{"Yes", "true"}, {"No", "false"}};
  if (d.type != "enumeration" || !d.referenced_object_type.empty()) return {};
  std::set<std::string> values;
  for (const SimObject& record : table.records) {
    auto it = record.properties.find(name);
    if (it == record.properties.end()) continue;
    if (d.field_type == "checkbox") {
      for (std::string& v : Split(it->second, ';')) values.insert(std::move(v));
    } else if (!it->second.empty()) {
      values.insert(it->second);
    }
  }
  std::vector<std::pair<std::string, std::string>> options;
  for (const std::string& v : values) options.emplace_back(v, v);
  return options;
}

void WriteDefinition(Writer& w, ObjectType type, const ObjectTable& table, const std::string& name,
                     int display_order) {
  const Described described = Describe(type, name);
  const Definition& d = described.definition;
  const bool hubspot_defined = described.hubspot_defined;
  auto key_string = [&](const char* key, std::string_view value) {
    w.Key(key);
    w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  };
  w.StartObject();
  key_string("updatedAt", kDefinedAt);
  key_string("createdAt", kDefinedAt);
  key_string("name", described.name);
  key_string("label", described.label);
  key_string("type", d.type);
  key_string("fieldType", d.field_type);
  key_string("description", "");
  key_string("groupName", d.group);
  w.Key("options");
  w.StartArray();
  int order = 0;
  for (const auto& [option_label, value] : Options(d, name, table)) {
    w.StartObject();
    key_string("label", option_label);
    key_string("value", value);
    key_string("description", "");
    w.Key("displayOrder");
    w.Int(order++);
    w.Key("hidden");
    w.Bool(false);
    w.EndObject();
  }
  w.EndArray();
  w.Key("displayOrder");
  w.Int(display_order);
  w.Key("calculated");
  w.Bool(d.calculated);
  w.Key("externalOptions");
  w.Bool(!d.referenced_object_type.empty());
  if (!d.referenced_object_type.empty())
    key_string("referencedObjectType", d.referenced_object_type);
  w.Key("hasUniqueValue");
  w.Bool(name == "hs_object_id");
  w.Key("hidden");
  w.Bool(false);
  w.Key("hubspotDefined");
  w.Bool(hubspot_defined);
  w.Key("modificationMetadata");
  w.StartObject();
  w.Key("archivable");
  w.Bool(!hubspot_defined);
  w.Key("readOnlyDefinition");
  w.Bool(hubspot_defined);
  w.Key("readOnlyValue");
  w.Bool(d.calculated);
  w.EndObject();
  w.Key("formField");
  w.Bool(!d.calculated);
  key_string("dataSensitivity", "non_sensitive");
  w.Key("archived");
  w.Bool(false);
  w.EndObject();
}

}  // namespace

std::string PropertiesJson(ObjectType type, const ObjectTable& table) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("results");
  w.StartArray();
  int order = 0;
  for (const std::string& name : table.schema) WriteDefinition(w, type, table, name, order++);
  w.EndArray();
  w.EndObject();
  return buf.GetString();
}

std::optional<std::string> PropertyJson(ObjectType type, const ObjectTable& table,
                                        const std::string& name) {
  auto it = table.schema.find(name);
  if (it == table.schema.end()) return std::nullopt;
  rapidjson::StringBuffer buf;
  Writer w(buf);
  WriteDefinition(w, type, table, name, static_cast<int>(std::distance(table.schema.begin(), it)));
  return std::string(buf.GetString());
}

}  // namespace salesaudit::sim

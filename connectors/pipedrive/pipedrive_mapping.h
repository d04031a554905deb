// Mapping of Pipedrive records (docs/vendors/pipedrive.md "Records") to the
// canonical ones: users -> Owner; persons -> Contact (the primary email, not
// the first); deals -> Deal with their person as contact; leads and done
// activities -> dated stage evidence of their person (mql from the lead's
// creation, with the lead's source as channel; contacted from the activity's
// done time).
//
// A person's channel comes from the person fields `fields: {channel: [...]}`
// names, by key or by name, custom fields included, an option's id turned
// into its label; without one, the person has the channel of its earliest
// lead (v_contact_funnel).
//
// Threading: a Mapping is changed only by ResolvePersonFields, before the
// persons of a run are mapped; mapping functions are const.
#pragma once

// Declarations only: the .cc files that walk a document include rapidjson/document.h.
#include <rapidjson/fwd.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/records.h"

namespace salesaudit {
class RecordReader;
}

namespace salesaudit::pipedrive {

// The keys `fields:` accepts: channel.
std::vector<std::string> FieldConfigKeys();

// A person field of the company (v1 /personFields).
struct PersonField {
  std::string key;                                          // a 40-character hash for custom fields
  std::string name;                                         // as the app shows it
  std::map<std::string, std::string, std::less<>> options;  // option id -> label
};

// The person fields of one answer of /v1/personFields.
std::vector<PersonField> ReadPersonFields(const rapidjson::Value& data);

class Mapping {
 public:
  explicit Mapping(const ConnectorConfig& config);

  // Whether `fields:` names person fields, which must then be resolved.
  bool NeedsPersonFields() const { return !channel_names_.empty(); }
  // Resolves the configured channel fields against the company's: a name
  // is a field's key or, ignoring case, its name. Returns a warning for each
  // name that is neither.
  std::vector<std::string> ResolvePersonFields(const std::vector<PersonField>& fields);

  void MapUser(const rapidjson::Value& user, Page& page) const;
  void MapPerson(const rapidjson::Value& person, Page& page) const;
  void MapDeal(const rapidjson::Value& deal, Page& page) const;
  void MapLead(const rapidjson::Value& lead, Page& page) const;
  void MapActivity(const rapidjson::Value& activity, Page& page) const;
  // A v2 stage, with the names of `pipelines` (id -> name).
  void MapDealStage(const rapidjson::Value& stage,
                    const std::map<std::string, std::string>& pipelines, Page& page) const;

 private:
  std::string Channel(const rapidjson::Value& person, RecordReader& reader) const;

  struct ChannelSource {
    std::string key;
    std::map<std::string, std::string, std::less<>> options;
  };
  std::vector<std::string> channel_names_;      // as configured
  std::vector<ChannelSource> channel_sources_;  // resolved, in the configured order
};

// A record's update_time in epoch ms; nullopt when it has none readable.
TimeMs UpdateTime(const rapidjson::Value& record);

}  // namespace salesaudit::pipedrive

// Mapping of HubSpot CRM v3 objects (docs/vendors/hubspot.md "Records and properties",
// "Lifecycle stages and contact properties", "Deals and pipelines") to the
// canonical Contact and Deal. Every property arrives as a string or null;
// dates as ISO-8601 or epoch-ms strings, numbers as strings that may carry
// thousands separators, booleans as "true"/"false".
//
// Which properties feed which canonical field is data: the defaults below,
// overridden per field by the connector's `fields:` config (bare keys are
// contact fields, `deals.<field>` keys are deal fields). For each field the
// first property with a non-empty value wins.
//
// Threading: FieldMap is immutable after construction; functions are pure.
#pragma once

// Declarations only: the .cc files that walk a document include rapidjson/document.h.
#include <rapidjson/fwd.h>

#include <array>
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "core/records.h"
#include "core/status.h"

namespace salesaudit::hubspot {

// The canonical fields a HubSpot property can feed; a config key names each
// (hubspot_mapping.cc holds the keys and default properties).
enum class ContactField {
  kEmail,
  kFirstName,
  kLastName,
  kOwnerId,
  kChannel,
  kLifecycleStage,
  kLeadStatus,
  kCreatedAt,
  kMqlAt,
  kContactedAt,
  kSqlAt,
  kCustomerAt,
  kUpdatedAt,
};
inline constexpr size_t kContactFieldCount = static_cast<size_t>(ContactField::kUpdatedAt) + 1;
enum class DealField {
  kName,
  kOwnerId,
  kPipeline,
  kStage,
  kAmount,
  kCurrency,
  kCreatedAt,
  kClosedAt,
  kIsClosed,
  kIsWon,
  kUpdatedAt,
};
inline constexpr size_t kDealFieldCount = static_cast<size_t>(DealField::kUpdatedAt) + 1;

class FieldMap {
 public:
  // Defaults, with `overrides` (the `fields:` config) applied; keys the
  // loader checked against ConfigKeys().
  explicit FieldMap(const std::map<std::string, std::vector<std::string>>& overrides);

  // Every key `fields:` accepts.
  static std::vector<std::string> ConfigKeys();

  // Properties to request for contacts / deals (each listed once).
  std::vector<std::string> ContactProperties() const;
  std::vector<std::string> DealProperties() const;

  // The properties that feed a field, first non-empty wins. Indexed, so
  // mapping a record looks nothing up by name.
  const std::vector<std::string>& Contact(ContactField field) const {
    return contact_[static_cast<size_t>(field)];
  }
  const std::vector<std::string>& Deal(DealField field) const {
    return deal_[static_cast<size_t>(field)];
  }

 private:
  std::array<std::vector<std::string>, kContactFieldCount> contact_;
  std::array<std::vector<std::string>, kDealFieldCount> deal_;
};

// Maps one element of `results` (an object with id, properties, createdAt,
// updatedAt). Values that cannot be used (a property of another JSON type
// than a string, a date or number in an unknown form) become unknown and are
// added to `issues` with the record id and property. A result without a
// string id maps to a record with an empty id, which CheckPage drops with a
// warning naming its position, so one bad result never fails its page.
salesaudit::Contact MapContact(const rapidjson::Value& object, const FieldMap& fields,
                               std::vector<ValueIssue>& issues);
salesaudit::Deal MapDeal(const rapidjson::Value& object, const FieldMap& fields,
                         std::vector<ValueIssue>& issues);

// "1,250.50" -> 1250.5; nullopt when not a number.
std::optional<double> ParseHubSpotNumber(std::string_view text);
// "true"/"false" in any case; nullopt otherwise.
std::optional<bool> ParseHubSpotBool(std::string_view text);

}  // namespace salesaudit::hubspot

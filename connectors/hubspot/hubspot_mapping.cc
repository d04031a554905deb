#include "connectors/hubspot/hubspot_mapping.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <initializer_list>
#include <set>
#include <utility>

#include "connectors/record_reader.h"
#include "core/json_reader.h"
#include "core/page_check.h"
#include "core/time_util.h"

namespace salesaudit::hubspot {
namespace {

// One canonical field's config key and its default properties.
struct FieldDefault {
  std::string_view key;
  std::vector<std::string> properties;
};

// The table of defaults, indexed by the field's enum value.
template <size_t N, typename Field>
std::array<FieldDefault, N> Indexed(std::initializer_list<std::pair<Field, FieldDefault>> entries) {
  std::array<FieldDefault, N> table;
  for (const auto& entry : entries) table[static_cast<size_t>(entry.first)] = entry.second;
  return table;
}

// Lifecycle "became X" dates first; the hs_v2_date_entered_* calculated
// properties cover portals that only fill those (docs/vendors/hubspot.md
// "Lifecycle stages and contact properties").
const std::array<FieldDefault, kContactFieldCount>& DefaultContactFields() {
  static const auto kFields = Indexed<kContactFieldCount, ContactField>({
      {ContactField::kEmail, {"email", {"email"}}},
      {ContactField::kFirstName, {"first_name", {"firstname"}}},
      {ContactField::kLastName, {"last_name", {"lastname"}}},
      {ContactField::kOwnerId, {"owner_id", {"hubspot_owner_id"}}},
      {ContactField::kChannel, {"channel", {"hs_analytics_source"}}},
      {ContactField::kLifecycleStage, {"lifecycle_stage", {"lifecyclestage"}}},
      {ContactField::kLeadStatus, {"lead_status", {"hs_lead_status"}}},
      {ContactField::kCreatedAt, {"created_at", {"createdate"}}},
      {ContactField::kMqlAt,
       {"mql_at",
        {"hs_lifecyclestage_marketingqualifiedlead_date",
         "hs_v2_date_entered_marketingqualifiedlead"}}},
      // "Date of first engagement": the first sales activity (call, email,
      // meeting) logged against the contact.
      {ContactField::kContactedAt, {"contacted_at", {"hs_sa_first_engagement_date"}}},
      {ContactField::kSqlAt,
       {"sql_at",
        {"hs_lifecyclestage_salesqualifiedlead_date", "hs_v2_date_entered_salesqualifiedlead"}}},
      {ContactField::kCustomerAt,
       {"customer_at", {"hs_lifecyclestage_customer_date", "hs_v2_date_entered_customer"}}},
      {ContactField::kUpdatedAt, {"updated_at", {"lastmodifieddate"}}},
  });
  return kFields;
}

const std::array<FieldDefault, kDealFieldCount>& DefaultDealFields() {
  static const auto kFields = Indexed<kDealFieldCount, DealField>({
      {DealField::kName, {"name", {"dealname"}}},
      {DealField::kOwnerId, {"owner_id", {"hubspot_owner_id"}}},
      {DealField::kPipeline, {"pipeline", {"pipeline"}}},
      {DealField::kStage, {"stage", {"dealstage"}}},
      {DealField::kAmount, {"amount", {"amount"}}},
      {DealField::kCurrency, {"currency", {"deal_currency_code"}}},
      {DealField::kCreatedAt, {"created_at", {"createdate"}}},
      {DealField::kClosedAt, {"closed_at", {"closedate"}}},
      {DealField::kIsClosed, {"is_closed", {"hs_is_closed"}}},
      {DealField::kIsWon, {"is_won", {"hs_is_closed_won"}}},
      {DealField::kUpdatedAt, {"updated_at", {"hs_lastmodifieddate"}}},
  });
  return kFields;
}

template <size_t N>
std::array<std::vector<std::string>, N> PropertiesOf(const std::array<FieldDefault, N>& defaults) {
  std::array<std::vector<std::string>, N> properties;
  for (size_t i = 0; i < N; ++i) properties[i] = defaults[i].properties;
  return properties;
}

// Applies one `fields:` override to the field of `defaults` whose key it
// names (the loader accepts only ConfigKeys()).
template <size_t N>
void Override(const std::array<FieldDefault, N>& defaults, std::string_view key,
              const std::vector<std::string>& properties,
              std::array<std::vector<std::string>, N>& fields) {
  for (size_t i = 0; i < N; ++i) {
    if (defaults[i].key == key) fields[i] = properties;
  }
}

constexpr std::string_view kDealPrefix = "deals.";

template <size_t N>
std::vector<std::string> PropertyList(const std::array<std::vector<std::string>, N>& fields,
                                      std::vector<std::string> always) {
  std::set<std::string> seen(always.begin(), always.end());
  for (const auto& properties : fields) {
    for (const auto& p : properties) {
      if (seen.insert(p).second) always.push_back(p);
    }
  }
  return always;
}

// Reads one record's properties through the field map, reporting values it
// cannot use with the record id and the property.
class PropertyReader {
 public:
  PropertyReader(const rapidjson::Value& object, RecordKind kind, std::vector<ValueIssue>& issues)
      : object_(object), record_(kind, issues) {
    id_ = record_.String(object, "id").value_or("");
    record_.set_id(id_);
    if (!object.IsObject()) {
      record_.Report("result", std::string("is ") + JsonTypeName(object) + ", not an object");
    }
    properties_ = record_.Object(object, "properties");
  }

  // The record's id, a view into the document; "" when it has none
  // (CheckPage then drops the record).
  std::string_view id() const { return id_; }

  // The first non-empty string value among `names`, or "" with `*property`
  // unset; `*property` points at the name in `names`, never a copy. A value
  // of another type is reported and skipped.
  std::string_view First(const std::vector<std::string>& names,
                         std::string_view* property = nullptr) {
    if (properties_ == nullptr) return {};
    for (const auto& name : names) {
      auto v = record_.String(*properties_, name);
      if (!v || v->empty()) continue;
      if (property != nullptr) *property = name;
      return *v;
    }
    return {};
  }

  std::string Text(const std::vector<std::string>& names) { return std::string(First(names)); }

  TimeMs Time(const std::vector<std::string>& names) {
    std::string_view property;
    std::string_view v = First(names, &property);
    if (v.empty()) return std::nullopt;
    TimeMs t = ParseTimestampMs(v);
    if (!t) Warn(property, v, "not a date");
    return t;
  }

  std::optional<double> Number(const std::vector<std::string>& names) {
    std::string_view property;
    std::string_view v = First(names, &property);
    if (v.empty()) return std::nullopt;
    auto n = ParseHubSpotNumber(v);
    if (!n) Warn(property, v, "not a number");
    return n;
  }

  bool Bool(const std::vector<std::string>& names) {
    std::string_view property;
    std::string_view v = First(names, &property);
    if (v.empty()) return false;
    auto b = ParseHubSpotBool(v);
    if (!b) Warn(property, v, "not a boolean");
    return b.value_or(false);
  }

  // The envelope's createdAt/updatedAt, for records whose properties lack a date.
  TimeMs EnvelopeTime(const char* key) { return record_.Time(object_, key); }

 private:
  void Warn(std::string_view property, std::string_view value, const char* what) {
    record_.Report(property, "= " + ValueExcerpt(value) + " is " + what + "; stored as unknown");
  }

  const rapidjson::Value& object_;
  const rapidjson::Value* properties_ = nullptr;
  RecordReader record_;
  std::string_view id_;
};

}  // namespace

FieldMap::FieldMap(const std::map<std::string, std::vector<std::string>>& overrides)
    : contact_(PropertiesOf(DefaultContactFields())), deal_(PropertiesOf(DefaultDealFields())) {
  for (const auto& [key, properties] : overrides) {
    if (key.rfind(kDealPrefix, 0) == 0) {
      Override(DefaultDealFields(), std::string_view(key).substr(kDealPrefix.size()), properties,
               deal_);
    } else {
      Override(DefaultContactFields(), key, properties, contact_);
    }
  }
}

std::vector<std::string> FieldMap::ConfigKeys() {
  std::vector<std::string> keys;
  for (const FieldDefault& field : DefaultContactFields()) keys.emplace_back(field.key);
  for (const FieldDefault& field : DefaultDealFields()) {
    keys.push_back(std::string(kDealPrefix) + std::string(field.key));
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

std::vector<std::string> FieldMap::ContactProperties() const {
  // hs_merged_object_ids names contacts merged into this one (see the connector).
  return PropertyList(contact_, {"hs_object_id", "hs_merged_object_ids"});
}

std::vector<std::string> FieldMap::DealProperties() const {
  return PropertyList(deal_, {"hs_object_id"});
}

salesaudit::Contact MapContact(const rapidjson::Value& object, const FieldMap& f,
                               std::vector<ValueIssue>& issues) {
  PropertyReader r(object, RecordKind::kContact, issues);
  salesaudit::Contact c;
  c.id = std::string(r.id());
  c.email = r.First(f.Contact(ContactField::kEmail));
  c.first_name = r.Text(f.Contact(ContactField::kFirstName));
  c.last_name = r.Text(f.Contact(ContactField::kLastName));
  c.owner_id = r.Text(f.Contact(ContactField::kOwnerId));
  c.channel = r.Text(f.Contact(ContactField::kChannel));
  c.lifecycle_stage = r.Text(f.Contact(ContactField::kLifecycleStage));
  c.lead_status = r.Text(f.Contact(ContactField::kLeadStatus));
  c.created_at = r.Time(f.Contact(ContactField::kCreatedAt));
  if (!c.created_at) c.created_at = r.EnvelopeTime("createdAt");
  c.mql_at = r.Time(f.Contact(ContactField::kMqlAt));
  c.contacted_at = r.Time(f.Contact(ContactField::kContactedAt));
  c.sql_at = r.Time(f.Contact(ContactField::kSqlAt));
  c.customer_at = r.Time(f.Contact(ContactField::kCustomerAt));
  c.updated_at = r.Time(f.Contact(ContactField::kUpdatedAt));
  if (!c.updated_at) c.updated_at = r.EnvelopeTime("updatedAt");
  return c;
}

salesaudit::Deal MapDeal(const rapidjson::Value& object, const FieldMap& f,
                         std::vector<ValueIssue>& issues) {
  PropertyReader r(object, RecordKind::kDeal, issues);
  salesaudit::Deal d;
  d.id = std::string(r.id());
  d.name = r.Text(f.Deal(DealField::kName));
  d.owner_id = r.Text(f.Deal(DealField::kOwnerId));
  d.pipeline = r.Text(f.Deal(DealField::kPipeline));
  d.stage = r.Text(f.Deal(DealField::kStage));
  d.amount = r.Number(f.Deal(DealField::kAmount));
  d.currency = r.Text(f.Deal(DealField::kCurrency));
  d.created_at = r.Time(f.Deal(DealField::kCreatedAt));
  if (!d.created_at) d.created_at = r.EnvelopeTime("createdAt");
  d.closed_at = r.Time(f.Deal(DealField::kClosedAt));
  d.is_closed = r.Bool(f.Deal(DealField::kIsClosed));
  d.is_won = r.Bool(f.Deal(DealField::kIsWon));
  d.updated_at = r.Time(f.Deal(DealField::kUpdatedAt));
  if (!d.updated_at) d.updated_at = r.EnvelopeTime("updatedAt");
  return d;
}

std::optional<double> ParseHubSpotNumber(std::string_view text) {
  std::string digits;
  digits.reserve(text.size());
  for (char c : text) {
    if (c != ',' && c != ' ') digits.push_back(c);
  }
  if (digits.empty()) return std::nullopt;
  double value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

std::optional<bool> ParseHubSpotBool(std::string_view text) {
  auto equals = [&](std::string_view word) {
    if (text.size() != word.size()) return false;
    for (size_t i = 0; i < word.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(text[i])) != word[i]) return false;
    }
    return true;
  };
  if (equals("true")) return true;
  if (equals("false")) return false;
  return std::nullopt;
}

}  // namespace salesaudit::hubspot

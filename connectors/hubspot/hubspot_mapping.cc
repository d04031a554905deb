#include "connectors/hubspot/hubspot_mapping.h"

#include <rapidjson/document.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <set>

#include "connectors/json_util.h"
#include "core/page_check.h"
#include "core/time_util.h"

namespace salesaudit::hubspot {
namespace {

using Fields = std::map<std::string, std::vector<std::string>>;

// Lifecycle "became X" dates first; the hs_v2_date_entered_* calculated
// properties cover portals that only fill those (reference 1.7).
const Fields& DefaultContactFields() {
  static const Fields kFields = {
      {"email", {"email"}},
      {"first_name", {"firstname"}},
      {"last_name", {"lastname"}},
      {"owner_id", {"hubspot_owner_id"}},
      {"channel", {"hs_analytics_source"}},
      {"lifecycle_stage", {"lifecyclestage"}},
      {"lead_status", {"hs_lead_status"}},
      {"created_at", {"createdate"}},
      {"mql_at",
       {"hs_lifecyclestage_marketingqualifiedlead_date",
        "hs_v2_date_entered_marketingqualifiedlead"}},
      // "Date of first engagement": the first sales activity (call, email,
      // meeting) logged against the contact.
      {"contacted_at", {"hs_sa_first_engagement_date"}},
      {"sql_at",
       {"hs_lifecyclestage_salesqualifiedlead_date", "hs_v2_date_entered_salesqualifiedlead"}},
      {"customer_at", {"hs_lifecyclestage_customer_date", "hs_v2_date_entered_customer"}},
      {"updated_at", {"lastmodifieddate"}},
  };
  return kFields;
}

const Fields& DefaultDealFields() {
  static const Fields kFields = {
      {"name", {"dealname"}},
      {"owner_id", {"hubspot_owner_id"}},
      {"pipeline", {"pipeline"}},
      {"stage", {"dealstage"}},
      {"amount", {"amount"}},
      {"currency", {"deal_currency_code"}},
      {"created_at", {"createdate"}},
      {"closed_at", {"closedate"}},
      {"is_closed", {"hs_is_closed"}},
      {"is_won", {"hs_is_closed_won"}},
      {"updated_at", {"hs_lastmodifieddate"}},
  };
  return kFields;
}

constexpr std::string_view kDealPrefix = "deals.";

std::vector<std::string> PropertyList(const Fields& fields, std::vector<std::string> always) {
  std::set<std::string> seen(always.begin(), always.end());
  for (const auto& [field, properties] : fields) {
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
    id_ = std::string(record_.String(object, "id").value_or(""));
    record_.set_id(id_);
    if (!object.IsObject()) {
      record_.Report("result", std::string("is ") + JsonTypeName(object) + ", not an object");
    }
    properties_ = record_.Object(object, "properties");
  }

  // The record's id; "" when it has none (CheckPage then drops the record).
  const std::string& id() const { return id_; }

  // The first non-empty string value among `names`, or "" with `*property`
  // unset. A value of another type is reported and skipped.
  std::string_view First(const std::vector<std::string>& names, std::string* property = nullptr) {
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
    std::string property;
    std::string_view v = First(names, &property);
    if (v.empty()) return std::nullopt;
    TimeMs t = ParseTimestampMs(v);
    if (!t) Warn(property, v, "not a date");
    return t;
  }

  std::optional<double> Number(const std::vector<std::string>& names) {
    std::string property;
    std::string_view v = First(names, &property);
    if (v.empty()) return std::nullopt;
    auto n = ParseHubSpotNumber(v);
    if (!n) Warn(property, v, "not a number");
    return n;
  }

  bool Bool(const std::vector<std::string>& names) {
    std::string property;
    std::string_view v = First(names, &property);
    if (v.empty()) return false;
    auto b = ParseHubSpotBool(v);
    if (!b) Warn(property, v, "not a boolean");
    return b.value_or(false);
  }

  // The envelope's createdAt/updatedAt, for records whose properties lack a date.
  TimeMs EnvelopeTime(const char* key) { return record_.Time(object_, key); }

 private:
  void Warn(const std::string& property, std::string_view value, const char* what) {
    record_.Report(property, "= " + ValueExcerpt(value) + " is " + what + "; stored as unknown");
  }

  const rapidjson::Value& object_;
  const rapidjson::Value* properties_ = nullptr;
  RecordReader record_;
  std::string id_;
};

}  // namespace

FieldMap::FieldMap(const std::map<std::string, std::vector<std::string>>& overrides)
    : contact_(DefaultContactFields()), deal_(DefaultDealFields()) {
  for (const auto& [key, properties] : overrides) {
    if (key.rfind(kDealPrefix, 0) == 0) {
      deal_[key.substr(kDealPrefix.size())] = properties;
    } else {
      contact_[key] = properties;
    }
  }
}

std::vector<std::string> FieldMap::ConfigKeys() {
  std::vector<std::string> keys;
  for (const auto& [field, _] : DefaultContactFields()) keys.push_back(field);
  for (const auto& [field, _] : DefaultDealFields())
    keys.push_back(std::string(kDealPrefix) + field);
  return keys;
}

std::vector<std::string> FieldMap::ContactProperties() const {
  // hs_merged_object_ids names contacts merged into this one (see the connector).
  return PropertyList(contact_, {"hs_object_id", "hs_merged_object_ids"});
}

std::vector<std::string> FieldMap::DealProperties() const {
  return PropertyList(deal_, {"hs_object_id"});
}

const std::vector<std::string>& FieldMap::Contact(const std::string& field) const {
  return contact_.at(field);
}

const std::vector<std::string>& FieldMap::Deal(const std::string& field) const {
  return deal_.at(field);
}

salesaudit::Contact MapContact(const rapidjson::Value& object, const FieldMap& f,
                               std::vector<ValueIssue>& issues) {
  PropertyReader r(object, RecordKind::kContact, issues);
  salesaudit::Contact c;
  c.id = r.id();
  c.email = r.First(f.Contact("email"));
  c.first_name = r.Text(f.Contact("first_name"));
  c.last_name = r.Text(f.Contact("last_name"));
  c.owner_id = r.Text(f.Contact("owner_id"));
  c.channel = r.Text(f.Contact("channel"));
  c.lifecycle_stage = r.Text(f.Contact("lifecycle_stage"));
  c.lead_status = r.Text(f.Contact("lead_status"));
  c.created_at = r.Time(f.Contact("created_at"));
  if (!c.created_at) c.created_at = r.EnvelopeTime("createdAt");
  c.mql_at = r.Time(f.Contact("mql_at"));
  c.contacted_at = r.Time(f.Contact("contacted_at"));
  c.sql_at = r.Time(f.Contact("sql_at"));
  c.customer_at = r.Time(f.Contact("customer_at"));
  c.updated_at = r.Time(f.Contact("updated_at"));
  if (!c.updated_at) c.updated_at = r.EnvelopeTime("updatedAt");
  return c;
}

salesaudit::Deal MapDeal(const rapidjson::Value& object, const FieldMap& f,
                         std::vector<ValueIssue>& issues) {
  PropertyReader r(object, RecordKind::kDeal, issues);
  salesaudit::Deal d;
  d.id = r.id();
  d.name = r.Text(f.Deal("name"));
  d.owner_id = r.Text(f.Deal("owner_id"));
  d.pipeline = r.Text(f.Deal("pipeline"));
  d.stage = r.Text(f.Deal("stage"));
  d.amount = r.Number(f.Deal("amount"));
  d.currency = r.Text(f.Deal("currency"));
  d.created_at = r.Time(f.Deal("created_at"));
  if (!d.created_at) d.created_at = r.EnvelopeTime("createdAt");
  d.closed_at = r.Time(f.Deal("closed_at"));
  d.is_closed = r.Bool(f.Deal("is_closed"));
  d.is_won = r.Bool(f.Deal("is_won"));
  d.updated_at = r.Time(f.Deal("updated_at"));
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

// Mapping of Salesforce records (docs/vendors/salesforce.md "Objects and
// fields") to the canonical records: User -> Owner; Lead and Contact ->
// Contact; Opportunity -> Deal; OpportunityContactRole -> DealLink. A
// converted Lead's person is the lead: its Contact becomes an alias of it
// (ContactAlias), its opportunity a link of it (DealLink), and its status
// history dated stage evidence (StageEvent).
//
// Which Salesforce field feeds which canonical field is data: the defaults
// below, replaced per field by the connector's `fields:` config. Bare keys
// are person fields (Lead and Contact), `deals.<field>` keys are opportunity
// fields; a field named `Lead.X` or `Contact.X` is read on that object only.
// For each canonical field the first non-null field wins.
//
// Threading: ObjectMapping is immutable after construction; functions are pure.
#pragma once

// Declarations only: the .cc files that walk a document include rapidjson/document.h.
#include <rapidjson/fwd.h>

#include <array>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/records.h"

namespace salesaudit {
class RecordReader;
}

namespace salesaudit::salesforce {

// The objects the streams read.
enum class SObject { kUser, kLead, kContact, kOpportunity, kOpportunityContactRole };
inline constexpr size_t kSObjectCount = static_cast<size_t>(SObject::kOpportunityContactRole) + 1;

// "User", "Lead", ...: as SOQL names it.
const char* SObjectName(SObject object);

// The keys `fields:` accepts.
std::vector<std::string> FieldConfigKeys();
// The keys `stages:` accepts: mql, contacted, sql.
std::vector<std::string> StageConfigKeys();

// The Lead Status values that put a lead at a stage: the defaults
// (contacted: Working - Contacted; sql: Closed - Converted), each stage's
// list replaced by the connector's `stages:` entry for it.
class StageMap {
 public:
  explicit StageMap(const ConnectorConfig& config);
  // The stage `status` puts a lead at; nullopt for a status that maps to none.
  std::optional<FunnelStage> StageOf(std::string_view status) const;

 private:
  std::map<std::string, FunnelStage, std::less<>> by_status_;
};

// One LeadHistory row the mapping needs: a Status change, the lead's
// creation or its conversion. The views point into the query answer the
// row came in, which outlives the mapping of its leads.
struct LeadHistoryEntry {
  std::string_view lead_id;
  std::string_view field;  // "Status", "created" or "leadConverted"
  std::string_view old_value;
  std::string_view new_value;
  int64_t at = 0;
};

// The canonical fields `fields:` can feed (salesforce_mapping.cc holds
// their config keys and default Salesforce fields).
enum class MappedField {
  kEmail,
  kFirstName,
  kLastName,
  kOwnerId,
  kChannel,
  kLeadStatus,
  kCreatedAt,
  kDealName,
  kDealOwnerId,
  kDealStage,
  kDealAmount,
  kDealCreatedAt,
};
inline constexpr size_t kMappedFieldCount = static_cast<size_t>(MappedField::kDealCreatedAt) + 1;

class ObjectMapping {
 public:
  explicit ObjectMapping(const ConnectorConfig& config);

  // The fields a query of `object` selects: the defaults and the
  // configured ones that apply to it, Id and SystemModstamp first. With
  // `currency_field`, Opportunity's CurrencyIsoCode too (multi-currency
  // orgs only have it).
  std::vector<std::string> SelectFields(SObject object, bool currency_field) const;

  // Maps one row of `object` into `page`: a record, or a deletion for a
  // row in the recycle bin (IsDeleted), and for a converted lead its alias
  // and opportunity link. `history` is the lead's LeadHistory (any order);
  // a lead without any gets stage evidence from its conversion only.
  // `currency` is given to opportunities without CurrencyIsoCode.
  void MapRow(SObject object, const rapidjson::Value& row, Page& page) const;
  void MapLead(const rapidjson::Value& row, std::span<const LeadHistoryEntry> history,
               Page& page) const;
  void set_currency(std::string currency) { currency_ = std::move(currency); }

 private:
  // A Lead's or Contact's person fields.
  Contact MapPerson(SObject object, const rapidjson::Value& row, const std::string& id,
                    RecordReader& reader) const;
  // The Salesforce fields that feed `field` on `object`, in order.
  const std::vector<std::string>& SourcesOf(MappedField field, SObject object) const {
    return sources_[static_cast<size_t>(object)][static_cast<size_t>(field)];
  }

  // Per object and field, its sources: worked out once from `fields:`, not
  // for each row.
  std::array<std::array<std::vector<std::string>, kMappedFieldCount>, kSObjectCount> sources_;
  StageMap stages_;
  std::string currency_;
};

// The keyset of a row: its SystemModstamp (epoch ms) and Id (a view into
// the row); false when it has none that can be read.
bool RowKey(const rapidjson::Value& row, int64_t* modstamp_ms, std::string_view* id);

// A SOQL datetime literal for `epoch_ms`, to the second below:
// 2024-02-01T08:30:12Z.
std::string SoqlDateTime(int64_t epoch_ms);
// A SOQL string literal: quoted, with quotes and backslashes escaped.
std::string SoqlString(std::string_view text);

}  // namespace salesaudit::salesforce

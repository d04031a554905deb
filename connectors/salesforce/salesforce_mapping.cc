#include "connectors/salesforce/salesforce_mapping.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "connectors/record_reader.h"
#include "core/json_reader.h"
#include "core/time_util.h"

namespace salesaudit::salesforce {
namespace {

struct FieldSpec {
  MappedField field;
  const char* key;           // under `fields:`
  const char* default_name;  // the standard field
  bool deal;                 // an Opportunity field; otherwise a person (Lead, Contact) field
  bool lead_only;            // the default exists on Lead only
};

constexpr FieldSpec kFieldSpecs[] = {
    {MappedField::kEmail, "email", "Email", false, false},
    {MappedField::kFirstName, "first_name", "FirstName", false, false},
    {MappedField::kLastName, "last_name", "LastName", false, false},
    {MappedField::kOwnerId, "owner_id", "OwnerId", false, false},
    {MappedField::kChannel, "channel", "LeadSource", false, false},
    {MappedField::kLeadStatus, "lead_status", "Status", false, true},
    {MappedField::kCreatedAt, "created_at", "CreatedDate", false, false},
    {MappedField::kDealName, "deals.name", "Name", true, false},
    {MappedField::kDealOwnerId, "deals.owner_id", "OwnerId", true, false},
    {MappedField::kDealStage, "deals.stage", "StageName", true, false},
    {MappedField::kDealAmount, "deals.amount", "Amount", true, false},
    {MappedField::kDealCreatedAt, "deals.created_at", "CreatedDate", true, false},
};
static_assert(std::size(kFieldSpecs) == kMappedFieldCount);

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// The fields every query of an object selects besides the mapped ones: the
// keyset, the recycle bin and what conversions, links and stages need.
std::vector<std::string> BaseFields(SObject object) {
  switch (object) {
    case SObject::kUser:
      return {"Id", "SystemModstamp", "Name", "Email", "IsActive"};
    case SObject::kLead:
      return {
          "Id",          "SystemModstamp", "IsDeleted",          "MasterRecordId",        "Status",
          "IsConverted", "ConvertedDate",  "ConvertedContactId", "ConvertedOpportunityId"};
    case SObject::kContact:
      return {"Id", "SystemModstamp", "IsDeleted", "MasterRecordId"};
    case SObject::kOpportunity:
      return {"Id", "SystemModstamp", "IsDeleted", "IsClosed", "IsWon", "CloseDate"};
    case SObject::kOpportunityContactRole:
      return {"Id", "SystemModstamp", "IsDeleted", "OpportunityId", "ContactId"};
  }
  return {"Id", "SystemModstamp"};
}

// The canonical fields an object's records carry.
std::vector<MappedField> FieldsOf(SObject object) {
  std::vector<MappedField> fields;
  for (const FieldSpec& spec : kFieldSpecs) {
    const bool applies = spec.deal ? object == SObject::kOpportunity
                                   : object == SObject::kLead || object == SObject::kContact;
    if (applies) fields.push_back(spec.field);
  }
  return fields;
}

// The first of `names` whose value is a non-null string.
std::string FirstString(RecordReader& reader, const rapidjson::Value& row,
                        const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    if (auto value = reader.String(row, name)) return std::string(*value);
  }
  return "";
}

TimeMs FirstTime(RecordReader& reader, const rapidjson::Value& row,
                 const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    if (TimeMs t = reader.Time(row, name)) return t;
  }
  return std::nullopt;
}

// A row in the recycle bin (queryAll): its deletion, with the survivor of
// a merge. True when the row was one.
bool MapDeletion(RecordKind kind, const rapidjson::Value& row, const std::string& id,
                 RecordReader& reader, Page& page) {
  if (!reader.Bool(row, "IsDeleted").value_or(false)) return false;
  Deletion d{kind, id, reader.Time(row, "SystemModstamp").value_or(0), ""};
  if (kind == RecordKind::kContact) d.merged_into = reader.Text(row, "MasterRecordId");
  page.deletions.push_back(std::move(d));
  return true;
}

// The Salesforce fields that feed `spec`'s field on `object`: the
// `configured` names ("Lead.X" or "X") that apply to it, else the default.
std::vector<std::string> SourcesFor(const FieldSpec& spec,
                                    const std::vector<std::string>& configured, SObject object) {
  std::vector<std::string> names;
  for (const std::string& name : configured) {
    const size_t dot = name.find('.');
    if (dot == std::string::npos) {
      names.push_back(name);
    } else if (EqualsIgnoringCase(std::string_view(name).substr(0, dot), SObjectName(object))) {
      names.push_back(name.substr(dot + 1));
    }
  }
  if (names.empty() && (!spec.lead_only || object == SObject::kLead)) {
    names.push_back(spec.default_name);
  }
  return names;
}

// Queue ids start with the Group key prefix; users' with 005.
bool IsQueueId(std::string_view id) { return id.size() >= 3 && id.substr(0, 3) == "00G"; }

}  // namespace

const char* SObjectName(SObject object) {
  switch (object) {
    case SObject::kUser:
      return "User";
    case SObject::kLead:
      return "Lead";
    case SObject::kContact:
      return "Contact";
    case SObject::kOpportunity:
      return "Opportunity";
    case SObject::kOpportunityContactRole:
      return "OpportunityContactRole";
  }
  return "";
}

std::vector<std::string> FieldConfigKeys() {
  std::vector<std::string> keys;
  for (const FieldSpec& spec : kFieldSpecs) keys.push_back(spec.key);
  return keys;
}

std::vector<std::string> StageConfigKeys() { return {"mql", "contacted", "sql"}; }

StageMap::StageMap(const ConnectorConfig& config) {
  const std::map<std::string, std::vector<std::string>> defaults = {
      {"contacted", {"Working - Contacted"}}, {"sql", {"Closed - Converted"}}};
  for (const std::string& key : StageConfigKeys()) {
    auto configured = config.stages.find(key);
    const std::vector<std::string>* statuses = nullptr;
    if (configured != config.stages.end()) {
      statuses = &configured->second;
    } else if (auto d = defaults.find(key); d != defaults.end()) {
      statuses = &d->second;
    }
    if (statuses == nullptr) continue;
    const FunnelStage stage = *ParseFunnelStage(key);
    for (const std::string& status : *statuses) by_status_.emplace(status, stage);
  }
}

std::optional<FunnelStage> StageMap::StageOf(std::string_view status) const {
  auto it = by_status_.find(status);
  if (it == by_status_.end()) return std::nullopt;
  return it->second;
}

ObjectMapping::ObjectMapping(const ConnectorConfig& config) : stages_(config) {
  for (const FieldSpec& spec : kFieldSpecs) {
    auto it = config.fields.find(spec.key);
    const std::vector<std::string> configured =
        it == config.fields.end() ? std::vector<std::string>{} : it->second;
    for (size_t object = 0; object < kSObjectCount; ++object) {
      sources_[object][static_cast<size_t>(spec.field)] =
          SourcesFor(spec, configured, static_cast<SObject>(object));
    }
  }
}

std::vector<std::string> ObjectMapping::SelectFields(SObject object, bool currency_field) const {
  std::vector<std::string> fields = BaseFields(object);
  auto add = [&fields](const std::string& name) {
    const bool present = std::any_of(fields.begin(), fields.end(), [&name](const std::string& f) {
      return EqualsIgnoringCase(f, name);
    });
    if (!present) fields.push_back(name);
  };
  for (MappedField field : FieldsOf(object)) {
    for (const std::string& name : SourcesOf(field, object)) add(name);
  }
  if (object == SObject::kOpportunity && currency_field) add("CurrencyIsoCode");
  if (object == SObject::kLead || object == SObject::kContact) add("CreatedDate");
  return fields;
}

void ObjectMapping::MapRow(SObject object, const rapidjson::Value& row, Page& page) const {
  if (object == SObject::kLead) return MapLead(row, {}, page);
  const std::string id = GetStringOrEmpty(row, "Id");
  switch (object) {
    case SObject::kUser: {
      RecordReader reader(RecordKind::kOwner, page.value_issues);
      reader.set_id(id);
      page.owners.push_back(Owner{id, reader.Text(row, "Email"), reader.Text(row, "Name"),
                                  reader.Bool(row, "IsActive").value_or(true)});
      return;
    }
    case SObject::kContact: {
      RecordReader reader(RecordKind::kContact, page.value_issues);
      reader.set_id(id);
      if (MapDeletion(RecordKind::kContact, row, id, reader, page)) return;
      page.contacts.push_back(MapPerson(object, row, id, reader));
      return;
    }
    case SObject::kOpportunity: {
      RecordReader reader(RecordKind::kDeal, page.value_issues);
      reader.set_id(id);
      if (MapDeletion(RecordKind::kDeal, row, id, reader, page)) return;
      Deal d;
      d.id = id;
      d.name = FirstString(reader, row, SourcesOf(MappedField::kDealName, object));
      d.owner_id = FirstString(reader, row, SourcesOf(MappedField::kDealOwnerId, object));
      d.stage = FirstString(reader, row, SourcesOf(MappedField::kDealStage, object));
      for (const std::string& name : SourcesOf(MappedField::kDealAmount, object)) {
        if ((d.amount = reader.Number(row, name))) break;
      }
      d.currency = reader.Text(row, "CurrencyIsoCode");
      if (d.currency.empty()) d.currency = currency_;
      d.created_at = FirstTime(reader, row, SourcesOf(MappedField::kDealCreatedAt, object));
      d.is_closed = reader.Bool(row, "IsClosed").value_or(false);
      d.is_won = reader.Bool(row, "IsWon").value_or(false);
      // CloseDate is a date: the deal counts as closed at that day's UTC
      // midnight; an open deal's CloseDate is a plan, not a close.
      if (d.is_closed) d.closed_at = reader.Time(row, "CloseDate");
      d.updated_at = reader.Time(row, "SystemModstamp");
      page.deals.push_back(std::move(d));
      return;
    }
    case SObject::kOpportunityContactRole: {
      RecordReader reader(RecordKind::kDealLink, page.value_issues);
      reader.set_id(id);
      if (MapDeletion(RecordKind::kDealLink, row, id, reader, page)) return;
      page.deal_links.push_back(
          DealLink{id, reader.Text(row, "OpportunityId"), reader.Text(row, "ContactId")});
      return;
    }
    case SObject::kLead:
      return;
  }
}

Contact ObjectMapping::MapPerson(SObject object, const rapidjson::Value& row, const std::string& id,
                                 RecordReader& reader) const {
  Contact c;
  c.id = id;
  c.email = FirstString(reader, row, SourcesOf(MappedField::kEmail, object));
  c.first_name = FirstString(reader, row, SourcesOf(MappedField::kFirstName, object));
  c.last_name = FirstString(reader, row, SourcesOf(MappedField::kLastName, object));
  c.owner_id = FirstString(reader, row, SourcesOf(MappedField::kOwnerId, object));
  c.channel = FirstString(reader, row, SourcesOf(MappedField::kChannel, object));
  c.lead_status = FirstString(reader, row, SourcesOf(MappedField::kLeadStatus, object));
  c.created_at = FirstTime(reader, row, SourcesOf(MappedField::kCreatedAt, object));
  c.updated_at = reader.Time(row, "SystemModstamp");
  return c;
}

void ObjectMapping::MapLead(const rapidjson::Value& row, std::span<const LeadHistoryEntry> history,
                            Page& page) const {
  const std::string id = GetStringOrEmpty(row, "Id");
  RecordReader reader(RecordKind::kContact, page.value_issues);
  reader.set_id(id);
  if (MapDeletion(RecordKind::kContact, row, id, reader, page)) return;
  Contact c = MapPerson(SObject::kLead, row, id, reader);
  if (IsQueueId(c.owner_id)) {
    reader.Report("OwnerId", "= \"" + c.owner_id +
                                 "\" is a queue, not a user: the lead is unassigned; kept as its "
                                 "owner");
  }

  // Dated statuses: the lead's first at its creation, then each change.
  const std::string status = reader.Text(row, "Status");
  std::vector<std::pair<std::string_view, int64_t>> statuses;
  std::optional<int64_t> converted_at;
  if (!history.empty()) {
    std::vector<const LeadHistoryEntry*> changes;
    bool created_row = false;
    for (const LeadHistoryEntry& entry : history) {
      if (entry.field == "Status") changes.push_back(&entry);
      if (entry.field == "created") created_row = true;
      if (entry.field == "leadConverted" && (!converted_at || entry.at < *converted_at)) {
        converted_at = entry.at;
      }
    }
    std::sort(changes.begin(), changes.end(),
              [](const LeadHistoryEntry* a, const LeadHistoryEntry* b) { return a->at < b->at; });
    if (c.created_at) {
      if (!changes.empty()) {
        statuses.emplace_back(changes.front()->old_value, *c.created_at);
      } else if (created_row) {
        // Tracked since its creation and never changed: its status now is
        // the one it was created with.
        statuses.emplace_back(status, *c.created_at);
      }
    }
    for (const LeadHistoryEntry* change : changes)
      statuses.emplace_back(change->new_value, change->at);
  }

  // Per stage (in FunnelStage order), its earliest evidence.
  std::array<std::optional<int64_t>, static_cast<size_t>(FunnelStage::kWon) + 1> earliest;
  auto evidence = [&earliest](FunnelStage stage, int64_t at) {
    std::optional<int64_t>& e = earliest[static_cast<size_t>(stage)];
    e = std::min(e.value_or(at), at);
  };
  for (const auto& [value, at] : statuses) {
    if (auto stage = stages_.StageOf(value)) evidence(*stage, at);
  }
  if (reader.Bool(row, "IsConverted").value_or(false)) {
    // ConvertedDate has no time; the history's conversion row has, when
    // field history is tracked. A same-day date is not before the creation.
    if (!converted_at) {
      converted_at = reader.Time(row, "ConvertedDate");
      if (converted_at && c.created_at) converted_at = std::max(*converted_at, *c.created_at);
    }
    if (converted_at) evidence(FunnelStage::kSql, *converted_at);
    const std::string contact = reader.Text(row, "ConvertedContactId");
    if (!contact.empty()) {
      page.contact_aliases.push_back(
          ContactAlias{contact, id, converted_at.value_or(c.updated_at.value_or(0))});
    }
    const std::string opportunity = reader.Text(row, "ConvertedOpportunityId");
    if (!opportunity.empty()) page.deal_links.push_back(DealLink{id, opportunity, id});
  }
  for (size_t stage = 0; stage < earliest.size(); ++stage) {
    if (earliest[stage]) {
      page.stage_events.push_back(
          StageEvent{id, static_cast<FunnelStage>(stage), *earliest[stage], id});
    }
  }
  page.contacts.push_back(std::move(c));
}

bool RowKey(const rapidjson::Value& row, int64_t* modstamp_ms, std::string_view* id) {
  std::optional<std::string_view> text = GetString(row, "SystemModstamp");
  std::optional<std::string_view> row_id = GetString(row, "Id");
  if (!text || !row_id || row_id->empty()) return false;
  TimeMs t = ParseTimestampMs(*text);
  if (!t) return false;
  *modstamp_ms = *t;
  *id = *row_id;
  return true;
}

std::string SoqlDateTime(int64_t epoch_ms) {
  // FormatIsoMs gives 2024-02-01T08:30:12.345Z; SOQL takes whole seconds.
  const int64_t floored = epoch_ms - ((epoch_ms % 1000) + 1000) % 1000;
  std::string iso = FormatIsoMs(floored);
  return iso.substr(0, iso.size() - 5) + "Z";
}

std::string SoqlString(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

}  // namespace salesaudit::salesforce

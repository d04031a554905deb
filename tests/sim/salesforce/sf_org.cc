#include "tests/sim/salesforce/sf_org.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <stdexcept>

#include "tests/sim/common/sim_people.h"
#include "tests/sim/common/sim_text.h"

namespace salesaudit::sim {
namespace {

constexpr int64_t kDayMs = 24LL * 3600 * 1000;
constexpr char kBase62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

// The default Lead Status picklist (docs/vendors/salesforce.md "Objects").
const std::vector<std::string> kLeadStatuses = {"Open - Not Contacted", "Working - Contacted",
                                                "Closed - Converted", "Closed - Not Converted"};
const std::vector<std::string> kLeadSources = {"Web", "Phone Inquiry", "Partner Referral",
                                               "Purchased List", "Other"};
const std::vector<std::string> kRatings = {"Hot", "Warm", "Cold"};
const std::vector<std::string> kIndustries = {"Technology", "Finance", "Healthcare",
                                              "Manufacturing", "Retail"};
const std::vector<std::string> kCompanies = {"Acme",     "Globex", "Initech", "Umbrella", "Hooli",
                                             "Vandelay", "Stark",  "Wayne",   "Wonka",    "Tyrell"};

struct Stage {
  const char* name;
  double probability;
  bool closed;
  bool won;
};
// The default StageName picklist with its default probabilities.
const std::vector<Stage> kStages = {
    {"Prospecting", 10, false, false},
    {"Qualification", 10, false, false},
    {"Needs Analysis", 20, false, false},
    {"Value Proposition", 50, false, false},
    {"Id. Decision Makers", 60, false, false},
    {"Perception Analysis", 70, false, false},
    {"Proposal/Price Quote", 75, false, false},
    {"Negotiation/Review", 90, false, false},
    {"Closed Won", 100, true, true},
    {"Closed Lost", 0, true, false},
};

const Stage* FindStage(const std::string& name) {
  for (const Stage& s : kStages) {
    if (name == s.name) return &s;
  }
  return nullptr;
}

int64_t FloorSecond(int64_t ms) { return ms - ((ms % 1000) + 1000) % 1000; }
int64_t FloorDay(int64_t ms) { return ms - ((ms % kDayMs) + kDayMs) % kDayMs; }

SfValue Text(std::string s) { return SfValue(std::move(s)); }
SfValue Ms(int64_t ms) { return SfValue(static_cast<double>(ms)); }

std::vector<FieldDef> Fields(std::initializer_list<FieldDef> list) { return list; }

// Fields every object with a recycle bin and audit dates has.
void AddAuditFields(std::vector<FieldDef>& fields, bool deletable) {
  fields.push_back({"CreatedDate", FieldType::kDateTime});
  fields.push_back({"LastModifiedDate", FieldType::kDateTime});
  fields.push_back({"SystemModstamp", FieldType::kDateTime});
  if (deletable) fields.push_back({"IsDeleted", FieldType::kBoolean});
}

bool TypeAccepts(FieldType type, const SfValue& value) {
  if (IsNull(value)) return true;
  switch (type) {
    case FieldType::kBoolean:
      return std::holds_alternative<bool>(value);
    case FieldType::kDouble:
    case FieldType::kCurrency:
    case FieldType::kPercent:
    case FieldType::kDate:
    case FieldType::kDateTime:
      return std::holds_alternative<double>(value);
    default:
      return std::holds_alternative<std::string>(value);
  }
}

const SfValue& Get(const SfRecord& record, const std::string& field) {
  static const SfValue kNull;
  auto it = record.fields.find(field);
  return it == record.fields.end() ? kNull : it->second;
}

std::string GetText(const SfRecord& record, const std::string& field) {
  const SfValue& v = Get(record, field);
  return std::holds_alternative<std::string>(v) ? std::get<std::string>(v) : "";
}

bool IsDeletedRecord(const SfRecord& record) {
  const SfValue& v = Get(record, "IsDeleted");
  return std::holds_alternative<bool>(v) && std::get<bool>(v);
}

}  // namespace

ObjectSchema::ObjectSchema(std::string name_in, std::string prefix_in,
                           std::vector<FieldDef> fields_in)
    : name(std::move(name_in)), prefix(std::move(prefix_in)) {
  for (FieldDef& f : fields_in) AddField(std::move(f));
}

void ObjectSchema::AddField(FieldDef field) {
  by_lower_name_[Lower(field.name)] = fields.size();
  fields.push_back(std::move(field));
}

const FieldDef* ObjectSchema::Find(std::string_view field) const {
  auto it = by_lower_name_.find(Lower(field));
  return it == by_lower_name_.end() ? nullptr : &fields[it->second];
}

std::set<std::string> ObjectSchema::Names(const std::map<std::string, SfValue>& values) const {
  std::set<std::string> names;
  for (const auto& [name_given, value] : values) {
    if (const FieldDef* f = Find(name_given)) names.insert(f->name);
  }
  return names;
}

std::string FormatSfDateTime(int64_t epoch_ms) {
  using namespace std::chrono;
  const sys_days day = floor<days>(sys_time<milliseconds>(milliseconds(epoch_ms)));
  const year_month_day ymd(day);
  const int64_t in_day = epoch_ms - duration_cast<milliseconds>(day.time_since_epoch()).count();
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02lld:%02lld:%02lld.%03lld+0000",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<long long>(in_day / 3600000),
                static_cast<long long>(in_day / 60000 % 60),
                static_cast<long long>(in_day / 1000 % 60), static_cast<long long>(in_day % 1000));
  return buf;
}

std::string FormatSfDate(int64_t epoch_ms) { return FormatSfDateTime(epoch_ms).substr(0, 10); }

std::string WithCaseSafeSuffix(std::string_view id15) {
  static constexpr char kSuffixChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
  std::string id(id15);
  for (size_t chunk = 0; chunk < 3; ++chunk) {
    int bits = 0;
    for (size_t i = 0; i < 5; ++i) {
      const char c = id15[chunk * 5 + i];
      if (c >= 'A' && c <= 'Z') bits |= 1 << i;
    }
    id += kSuffixChars[bits];
  }
  return id;
}

Org::Org(const OrgSpec& spec, int64_t now_ms) : rng_(spec.seed) {
  const bool mc = spec.multi_currency;
  auto with_currency = [mc](std::vector<FieldDef> fields) {
    if (mc) fields.push_back({"CurrencyIsoCode", FieldType::kPicklist});
    return fields;
  };
  std::vector<FieldDef> user = Fields({{"Id", FieldType::kId},
                                       {"Name", FieldType::kString},
                                       {"FirstName", FieldType::kString},
                                       {"LastName", FieldType::kString},
                                       {"Email", FieldType::kString},
                                       {"IsActive", FieldType::kBoolean},
                                       {"UserType", FieldType::kPicklist}});
  AddAuditFields(user, false);
  AddSchema({"User", "005", user});
  std::vector<FieldDef> group = Fields(
      {{"Id", FieldType::kId}, {"Name", FieldType::kString}, {"Type", FieldType::kPicklist}});
  AddAuditFields(group, false);
  AddSchema({"Group", "00G", group});
  std::vector<FieldDef> organization = Fields({{"Id", FieldType::kId},
                                               {"Name", FieldType::kString},
                                               {"DefaultLocaleSidKey", FieldType::kPicklist},
                                               {"OrganizationType", FieldType::kPicklist},
                                               {"IsSandbox", FieldType::kBoolean}});
  AddAuditFields(organization, false);
  AddSchema({"Organization", "00D", organization});
  std::vector<FieldDef> account =
      with_currency(Fields({{"Id", FieldType::kId},
                            {"Name", FieldType::kString},
                            {"OwnerId", FieldType::kReference},
                            {"Industry", FieldType::kPicklist},
                            {"MasterRecordId", FieldType::kReference}}));
  AddAuditFields(account, true);
  AddSchema({"Account", "001", account});
  std::vector<FieldDef> lead =
      with_currency(Fields({{"Id", FieldType::kId},
                            {"FirstName", FieldType::kString},
                            {"LastName", FieldType::kString},
                            {"Email", FieldType::kString},
                            {"Company", FieldType::kString},
                            {"Status", FieldType::kPicklist},
                            {"LeadSource", FieldType::kPicklist},
                            {"OwnerId", FieldType::kReference},
                            {"IsConverted", FieldType::kBoolean},
                            {"ConvertedDate", FieldType::kDate},
                            {"ConvertedContactId", FieldType::kReference},
                            {"ConvertedOpportunityId", FieldType::kReference},
                            {"ConvertedAccountId", FieldType::kReference},
                            {"MasterRecordId", FieldType::kReference},
                            {"Rating", FieldType::kPicklist},
                            {"Industry", FieldType::kPicklist}}));
  AddAuditFields(lead, true);
  AddSchema({"Lead", "00Q", lead});
  // History objects have no LastModifiedDate and no SystemModstamp.
  AddSchema({"LeadHistory", "017",
             Fields({{"Id", FieldType::kId},
                     {"LeadId", FieldType::kReference},
                     {"Field", FieldType::kPicklist},
                     {"OldValue", FieldType::kString},
                     {"NewValue", FieldType::kString},
                     {"DataType", FieldType::kPicklist},
                     {"CreatedDate", FieldType::kDateTime},
                     {"IsDeleted", FieldType::kBoolean}})});
  std::vector<FieldDef> contact =
      with_currency(Fields({{"Id", FieldType::kId},
                            {"FirstName", FieldType::kString},
                            {"LastName", FieldType::kString},
                            {"Email", FieldType::kString},
                            {"OwnerId", FieldType::kReference},
                            {"LeadSource", FieldType::kPicklist},
                            {"AccountId", FieldType::kReference},
                            {"MasterRecordId", FieldType::kReference}}));
  AddAuditFields(contact, true);
  AddSchema({"Contact", "003", contact});
  std::vector<FieldDef> opportunity = with_currency(Fields({{"Id", FieldType::kId},
                                                            {"Name", FieldType::kString},
                                                            {"OwnerId", FieldType::kReference},
                                                            {"StageName", FieldType::kPicklist},
                                                            {"Amount", FieldType::kCurrency},
                                                            {"CloseDate", FieldType::kDate},
                                                            {"IsClosed", FieldType::kBoolean},
                                                            {"IsWon", FieldType::kBoolean},
                                                            {"Probability", FieldType::kPercent},
                                                            {"LeadSource", FieldType::kPicklist},
                                                            {"AccountId", FieldType::kReference}}));
  AddAuditFields(opportunity, true);
  AddSchema({"Opportunity", "006", opportunity});
  std::vector<FieldDef> ocr = with_currency(Fields({{"Id", FieldType::kId},
                                                    {"OpportunityId", FieldType::kReference},
                                                    {"ContactId", FieldType::kReference},
                                                    {"Role", FieldType::kPicklist},
                                                    {"IsPrimary", FieldType::kBoolean}}));
  AddAuditFields(ocr, true);
  AddSchema({"OpportunityContactRole", "00K", ocr});
  for (const auto& [object, fields] : spec.custom_fields) {
    Table& table = TableOf(object);
    for (const auto& [name, type] : fields) {
      if (!name.ends_with("__c")) {
        throw std::invalid_argument("custom field " + name + " must end in __c");
      }
      table.schema.AddField({name, type});
    }
  }
  for (const auto& [code, label] : spec.currencies) currencies_.push_back(code);
  Generate(spec, FloorSecond(now_ms));
}

void Org::AddSchema(ObjectSchema schema) {
  const std::string key = Lower(schema.name);
  Table& table = tables_.emplace(key, Table{std::move(schema)}).first->second;
  // Serials start at a seeded offset, so ids do not all end in zeros.
  table.next_serial = 0x2A0000 + rng_() % 0x10000;
}

const ObjectSchema* Org::Schema(std::string_view object) const {
  const Table* table = FindTable(object);
  return table == nullptr ? nullptr : &table->schema;
}

const Org::Table* Org::FindTable(std::string_view object) const {
  auto it = tables_.find(Lower(object));
  return it == tables_.end() ? nullptr : &it->second;
}

Org::Table& Org::TableOf(std::string_view object) {
  auto it = tables_.find(Lower(object));
  if (it == tables_.end()) throw std::invalid_argument("unknown object " + std::string(object));
  return it->second;
}

Org::Stored& Org::Row(Table& table, std::string_view id) {
  auto it = table.index.find(std::string(id));
  if (it == table.index.end()) {
    throw std::invalid_argument("no " + table.schema.name + " " + std::string(id));
  }
  return table.rows[it->second];
}

std::string Org::NewId(Table& table) {
  uint64_t serial = table.next_serial++;
  std::string digits(9, '0');
  for (int i = 8; i >= 0; --i) {
    digits[static_cast<size_t>(i)] = kBase62[serial % 62];
    serial /= 62;
  }
  // Key prefix, instance "5g", a reserved 0, then the serial.
  return WithCaseSafeSuffix(table.schema.prefix + "5g0" + digits);
}

std::set<std::string> Org::Assign(Table& table, SfRecord& record,
                                  const std::map<std::string, SfValue>& fields) {
  std::set<std::string> assigned;
  for (const auto& [name, value] : fields) {
    const FieldDef* def = table.schema.Find(name);
    if (def == nullptr) {
      throw std::invalid_argument("no field " + name + " on " + table.schema.name);
    }
    if (!TypeAccepts(def->type, value)) {
      throw std::invalid_argument("wrong value type for " + table.schema.name + "." + def->name);
    }
    SfValue stored = value;
    if (def->type == FieldType::kDateTime && !IsNull(value)) {
      stored = Ms(FloorSecond(static_cast<int64_t>(std::get<double>(value))));
    } else if (def->type == FieldType::kDate && !IsNull(value)) {
      stored = Ms(FloorDay(static_cast<int64_t>(std::get<double>(value))));
    }
    record.fields[def->name] = std::move(stored);
    assigned.insert(def->name);
  }
  return assigned;
}

void Org::BeginChange(Stored& row, int64_t now_ms, int64_t visible_at_ms) {
  // While an earlier change is still invisible, queries keep seeing the
  // version before it; otherwise the current one is what they saw so far.
  if (visible_at_ms <= now_ms) {
    row.before.reset();
  } else if (now_ms >= row.visible_at_ms) {
    row.before = row.current;
  }
  row.visible_at_ms = visible_at_ms;
}

void Org::Stamp(SfRecord& record, const ObjectSchema& schema, int64_t ms, bool modified_date) {
  if (modified_date && schema.Find("LastModifiedDate")) record.fields["LastModifiedDate"] = Ms(ms);
  if (schema.Find("SystemModstamp")) record.fields["SystemModstamp"] = Ms(ms);
}

void Org::Touch(Table& table, Stored& row, int64_t now_ms, int64_t stamp_ms, int64_t lag_ms,
                bool modified_date) {
  BeginChange(row, now_ms, stamp_ms + lag_ms);
  Stamp(row.current, table.schema, stamp_ms, modified_date);
}

std::vector<const SfRecord*> Org::Visible(const ObjectSchema& object, int64_t now_ms,
                                          bool include_deleted) const {
  std::vector<const SfRecord*> out;
  const Table* table = FindTable(object.name);
  for (const Stored& row : table->rows) {
    const SfRecord* version = now_ms >= row.visible_at_ms ? &row.current
                              : row.before                ? &*row.before
                                                          : nullptr;
    if (version == nullptr || (!include_deleted && IsDeletedRecord(*version))) continue;
    out.push_back(version);
  }
  return out;
}

std::vector<SfRecord> Org::Records(std::string_view object, bool include_deleted) const {
  std::vector<SfRecord> out;
  const Table* table = FindTable(object);
  if (table == nullptr) throw std::invalid_argument("unknown object " + std::string(object));
  for (const Stored& row : table->rows) {
    if (include_deleted || !IsDeletedRecord(row.current)) out.push_back(row.current);
  }
  return out;
}

std::optional<SfRecord> Org::Find(std::string_view object, std::string_view id) const {
  const Table* table = FindTable(object);
  if (table == nullptr) throw std::invalid_argument("unknown object " + std::string(object));
  auto it = table->index.find(std::string(id));
  if (it == table->index.end()) return std::nullopt;
  return table->rows[it->second].current;
}

namespace {

// IsClosed, IsWon and (unless given) Probability follow StageName.
void DeriveStage(SfRecord& opportunity, bool probability_given) {
  const Stage* stage = FindStage(GetText(opportunity, "StageName"));
  if (stage == nullptr) return;
  opportunity.fields["IsClosed"] = stage->closed;
  opportunity.fields["IsWon"] = stage->won;
  if (!probability_given) opportunity.fields["Probability"] = stage->probability;
}

}  // namespace

std::string Org::Create(std::string_view object, const std::map<std::string, SfValue>& fields,
                        int64_t now_ms, int64_t lag_ms) {
  Table& table = TableOf(object);
  SfRecord record;
  record.id = NewId(table);
  record.fields["Id"] = record.id;
  for (const FieldDef& f : table.schema.fields) {
    // Every field is there, null unless set: as a query selecting it shows.
    record.fields.emplace(f.name, SfValue());
    if (f.type == FieldType::kBoolean) record.fields[f.name] = false;
    if (f.name == "CurrencyIsoCode" && !currencies_.empty()) record.fields[f.name] = currencies_[0];
  }
  const std::set<std::string> given = Assign(table, record, fields);
  const int64_t at = FloorSecond(now_ms);
  for (const char* name : {"CreatedDate", "LastModifiedDate", "SystemModstamp"}) {
    if (table.schema.Find(name) && given.count(name) == 0) record.fields[name] = Ms(at);
  }
  if (table.schema.name == "Opportunity") DeriveStage(record, given.count("Probability") != 0);
  if (table.schema.name == "User") {
    record.fields["Name"] = GetText(record, "FirstName") + " " + GetText(record, "LastName");
  }
  const SfValue& stamp = table.schema.Find("SystemModstamp") ? Get(record, "SystemModstamp")
                                                             : Get(record, "CreatedDate");
  const int64_t stamp_ms = static_cast<int64_t>(std::get<double>(stamp));
  Stored row;
  row.current = record;
  row.visible_at_ms = stamp_ms + lag_ms;
  table.index[record.id] = table.rows.size();
  table.rows.push_back(std::move(row));
  if (table.schema.name == "Lead") {
    AddLeadHistory(record.id, "created", SfValue(), SfValue(), "Text",
                   static_cast<int64_t>(std::get<double>(Get(record, "CreatedDate"))), lag_ms);
  }
  return record.id;
}

void Org::Update(std::string_view object, std::string_view id,
                 const std::map<std::string, SfValue>& fields, int64_t now_ms, int64_t lag_ms) {
  Table& table = TableOf(object);
  Stored& row = Row(table, id);
  const SfValue old_status = Get(row.current, "Status");
  const int64_t at = FloorSecond(now_ms);
  Touch(table, row, now_ms, at, lag_ms, /*modified_date=*/true);
  const std::set<std::string> given = Assign(table, row.current, fields);
  if (given.count("SystemModstamp") != 0) {
    row.visible_at_ms =
        static_cast<int64_t>(std::get<double>(Get(row.current, "SystemModstamp"))) + lag_ms;
  }
  if (table.schema.name == "Opportunity" && given.count("StageName") != 0) {
    DeriveStage(row.current, given.count("Probability") != 0);
  }
  if (table.schema.name == "Lead" && given.count("Status") != 0 &&
      Get(row.current, "Status") != old_status) {
    const SfValue new_status = Get(row.current, "Status");
    AddLeadHistory(std::string(id), "Status", old_status, new_status, "DynamicEnum", at, lag_ms);
  }
}

void Org::AddLeadHistory(const std::string& lead_id, const std::string& field,
                         const SfValue& old_value, const SfValue& new_value, const char* data_type,
                         int64_t at_ms, int64_t lag_ms) {
  Create("LeadHistory",
         {{"LeadId", Text(lead_id)},
          {"Field", Text(field)},
          {"OldValue", old_value},
          {"NewValue", new_value},
          {"DataType", Text(data_type)},
          {"CreatedDate", Ms(at_ms)}},
         at_ms, lag_ms);
}

SalesforceSim::Conversion Org::ConvertLead(std::string_view lead_id,
                                           const std::string& converted_status,
                                           bool create_opportunity,
                                           const std::string& existing_contact_id, int64_t now_ms,
                                           int64_t lag_ms) {
  Table& leads = TableOf("Lead");
  const SfRecord lead = Row(leads, lead_id).current;
  if (IsDeletedRecord(lead) || std::get<bool>(Get(lead, "IsConverted"))) {
    throw std::invalid_argument("lead " + std::string(lead_id) + " cannot be converted");
  }
  // A queue cannot own contacts or opportunities: the converting user does.
  std::string owner = GetText(lead, "OwnerId");
  if (!owner.starts_with("005")) owner = integration_user_id_;
  SalesforceSim::Conversion result;
  if (existing_contact_id.empty()) {
    const std::string company = GetText(lead, "Company");
    result.account_id =
        Create("Account",
               {{"Name", Text(company.empty() ? GetText(lead, "LastName") : company)},
                {"OwnerId", Text(owner)},
                {"Industry", Get(lead, "Industry")}},
               now_ms, lag_ms);
    result.contact_id = Create("Contact",
                               {{"FirstName", Get(lead, "FirstName")},
                                {"LastName", Get(lead, "LastName")},
                                {"Email", Get(lead, "Email")},
                                {"OwnerId", Text(owner)},
                                {"LeadSource", Get(lead, "LeadSource")},
                                {"AccountId", Text(result.account_id)}},
                               now_ms, lag_ms);
  } else {
    // Merged into an existing contact: only its empty fields are filled and
    // its LeadSource is kept.
    const SfRecord contact = Row(TableOf("Contact"), existing_contact_id).current;
    result.contact_id = existing_contact_id;
    result.account_id = GetText(contact, "AccountId");
    std::map<std::string, SfValue> fill;
    for (const char* name : {"FirstName", "Email"}) {
      if (IsNull(Get(contact, name))) fill[name] = Get(lead, name);
    }
    Update("Contact", existing_contact_id, fill, now_ms, lag_ms);
  }
  if (create_opportunity) {
    const std::string company = GetText(lead, "Company");
    result.opportunity_id =
        Create("Opportunity",
               {{"Name", Text(company.empty() ? GetText(lead, "LastName") : company)},
                {"OwnerId", Text(owner)},
                {"StageName", Text(kStages[0].name)},
                {"CloseDate", Ms(FloorDay(now_ms) + 30 * kDayMs)},
                {"LeadSource", Get(lead, "LeadSource")},
                {"AccountId", Text(result.account_id)}},
               now_ms, lag_ms);
    Create("OpportunityContactRole",
           {{"OpportunityId", Text(result.opportunity_id)},
            {"ContactId", Text(result.contact_id)},
            {"IsPrimary", true}},
           now_ms, lag_ms);
  }
  Update("Lead", lead_id,
         {{"Status", Text(converted_status)},
          {"IsConverted", true},
          {"ConvertedDate", Ms(FloorDay(now_ms))},
          {"ConvertedContactId", Text(result.contact_id)},
          {"ConvertedAccountId", Text(result.account_id)},
          {"ConvertedOpportunityId",
           result.opportunity_id.empty() ? SfValue() : Text(result.opportunity_id)}},
         now_ms, lag_ms);
  AddLeadHistory(std::string(lead_id), "leadConverted", SfValue(), SfValue(), "Text",
                 FloorSecond(now_ms), lag_ms);
  return result;
}

namespace {

// What goes to the recycle bin with a record: (child object, its reference
// to the parent). A Contact's contact roles stay: the object reference warns
// that OpportunityContactRole.ContactId can name a deleted contact.
std::vector<std::pair<std::string, std::string>> CascadesOf(const std::string& object) {
  if (object == "Account") return {{"Contact", "AccountId"}, {"Opportunity", "AccountId"}};
  if (object == "Opportunity") return {{"OpportunityContactRole", "OpportunityId"}};
  if (object == "Lead") return {{"LeadHistory", "LeadId"}};
  return {};
}

}  // namespace

void Org::SetDeleted(std::string_view object, std::string_view id, bool deleted,
                     const std::string& with, int64_t now_ms, int64_t lag_ms) {
  Table& table = TableOf(object);
  if (!table.schema.Find("IsDeleted")) {
    throw std::invalid_argument(table.schema.name + " records cannot be deleted");
  }
  Stored& row = Row(table, id);
  if (IsDeletedRecord(row.current) == deleted) return;
  const int64_t at = FloorSecond(now_ms);
  Touch(table, row, now_ms, at, lag_ms, /*modified_date=*/false);
  if (!table.schema.Find("SystemModstamp")) row.visible_at_ms = at + lag_ms;
  row.current.fields["IsDeleted"] = deleted;
  row.deleted_with = deleted ? with : "";
  row.deleted_at_ms = deleted ? at : 0;
  const std::string name = table.schema.name;
  for (const auto& [child, reference] : CascadesOf(name)) {
    CascadeDelete(child, reference, std::string(id), deleted, now_ms, lag_ms);
  }
}

void Org::CascadeDelete(std::string_view object, const std::string& reference,
                        const std::string& parent_id, bool deleted, int64_t now_ms,
                        int64_t lag_ms) {
  std::vector<std::string> children;
  for (const Stored& row : TableOf(object).rows) {
    if (GetText(row.current, reference) != parent_id) continue;
    // Restoring brings back only what the parent's deletion took along.
    if (deleted ? !IsDeletedRecord(row.current) : row.deleted_with == parent_id) {
      children.push_back(row.current.id);
    }
  }
  for (const std::string& child : children) {
    SetDeleted(object, child, deleted, parent_id, now_ms, lag_ms);
  }
}

void Org::Delete(std::string_view object, std::string_view id, int64_t now_ms, int64_t lag_ms) {
  SetDeleted(object, id, true, "", now_ms, lag_ms);
}

void Org::Undelete(std::string_view object, std::string_view id, int64_t now_ms, int64_t lag_ms) {
  SetDeleted(object, id, false, "", now_ms, lag_ms);
}

void Org::Merge(std::string_view object, std::string_view master_id, std::string_view loser_id,
                int64_t now_ms, int64_t lag_ms) {
  Table& table = TableOf(object);
  const std::string name = table.schema.name;
  if (name != "Lead" && name != "Contact" && name != "Account") {
    throw std::invalid_argument(name + " records cannot be merged");
  }
  Row(table, master_id);
  Update(name, loser_id, {{"MasterRecordId", Text(std::string(master_id))}}, now_ms, lag_ms);
  if (name == "Contact") {
    std::vector<std::string> roles;
    for (const Stored& row : TableOf("OpportunityContactRole").rows) {
      if (GetText(row.current, "ContactId") == loser_id) roles.push_back(row.current.id);
    }
    for (const std::string& role : roles) {
      Update("OpportunityContactRole", role, {{"ContactId", Text(std::string(master_id))}}, now_ms,
             lag_ms);
    }
  }
  Update(name, master_id, {}, now_ms, lag_ms);
  SetDeleted(name, loser_id, true, "", now_ms, lag_ms);
}

void Org::Purge(int64_t before_ms) {
  for (auto& [name, table] : tables_) {
    std::erase_if(table.rows, [&](const Stored& row) {
      return IsDeletedRecord(row.current) && row.deleted_at_ms <= before_ms;
    });
    table.index.clear();
    for (size_t i = 0; i < table.rows.size(); ++i) table.index[table.rows[i].current.id] = i;
  }
}

std::vector<std::string> Org::TouchMany(std::string_view object, int n, int64_t at_ms,
                                        int64_t now_ms, int64_t lag_ms) {
  Table& table = TableOf(object);
  if (!table.schema.Find("SystemModstamp")) {
    throw std::invalid_argument(table.schema.name + " has no SystemModstamp");
  }
  std::vector<size_t> live;
  for (size_t i = 0; i < table.rows.size(); ++i) {
    if (!IsDeletedRecord(table.rows[i].current)) live.push_back(i);
  }
  std::shuffle(live.begin(), live.end(), rng_);
  live.resize(std::min(live.size(), static_cast<size_t>(std::max(0, n))));
  std::sort(live.begin(), live.end());
  std::vector<std::string> ids;
  for (size_t i : live) {
    Touch(table, table.rows[i], now_ms, FloorSecond(at_ms), lag_ms, /*modified_date=*/false);
    ids.push_back(table.rows[i].current.id);
  }
  return ids;
}

std::string Org::InsertLate(std::string_view object, const std::map<std::string, SfValue>& fields,
                            int64_t modstamp_ms) {
  std::map<std::string, SfValue> stamped = fields;
  const ObjectSchema& schema = TableOf(object).schema;
  const std::set<std::string> given = schema.Names(fields);
  for (const char* name : {"CreatedDate", "LastModifiedDate", "SystemModstamp"}) {
    if (schema.Find(name) && given.count(name) == 0) stamped[name] = Ms(modstamp_ms);
  }
  const std::string id = Create(object, stamped, modstamp_ms, 0);
  Table& table = TableOf(object);
  Row(table, id).visible_at_ms = 0;
  return id;
}

namespace {

template <typename T>
const T& Pick(std::mt19937_64& rng, const std::vector<T>& list) {
  return list[rng() % list.size()];
}

bool Chance(std::mt19937_64& rng, double p) {
  return std::uniform_real_distribution<double>(0, 1)(rng) < p;
}

// An address as people type them: now and then in mixed case or with stray
// spaces, as the HubSpot simulator's are.
std::string MessyEmail(std::mt19937_64& rng, const std::string& first, const std::string& last,
                       uint64_t n) {
  std::string email =
      Lower(first) + "." + Lower(last) + std::to_string(n) + "@" + Pick(rng, kDomains);
  const uint64_t roll = rng() % 20;
  if (roll == 0) return " " + email;
  if (roll == 1) return email + " ";
  if (roll == 2) {
    email[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(email[0])));
    return email;
  }
  return email;
}

SfValue CustomValue(std::mt19937_64& rng, FieldType type, int64_t now_ms) {
  if (rng() % 8 == 0) return SfValue();
  switch (type) {
    case FieldType::kBoolean:
      return rng() % 2 == 0;
    case FieldType::kDouble:
    case FieldType::kCurrency:
    case FieldType::kPercent:
      return static_cast<double>(rng() % 10000) / 4;
    case FieldType::kDate:
    case FieldType::kDateTime:
      return static_cast<double>(now_ms - static_cast<int64_t>(rng() % (90 * kDayMs)));
    case FieldType::kPicklist:
      return std::string(rng() % 2 == 0 ? "Alpha" : "Beta");
    default:
      return "Value " + std::to_string(rng() % 1000);
  }
}

}  // namespace

void Org::Generate(const OrgSpec& spec, int64_t now_ms) {
  std::mt19937_64& rng = rng_;
  const int64_t span_ms = std::max(1, spec.history_days) * kDayMs;
  auto past = [&](int64_t from_ms) {
    const int64_t room = std::max<int64_t>(1, now_ms - from_ms);
    return from_ms + static_cast<int64_t>(rng() % static_cast<uint64_t>(room));
  };
  const int64_t org_created = now_ms - span_ms - 30 * kDayMs;
  auto with_custom = [&](const std::string& object, std::map<std::string, SfValue> fields) {
    auto it = spec.custom_fields.find(object);
    if (it != spec.custom_fields.end()) {
      for (const auto& [name, type] : it->second) fields[name] = CustomValue(rng, type, now_ms);
    }
    if (spec.multi_currency && !currencies_.empty() &&
        TableOf(object).schema.Find("CurrencyIsoCode")) {
      fields["CurrencyIsoCode"] = Pick(rng, currencies_);
    }
    return fields;
  };

  org_id_ = Create("Organization",
                   {{"Name", Text("Salesaudit Simulated Org")},
                    {"DefaultLocaleSidKey", Text("en_US")},
                    {"OrganizationType", Text("Enterprise Edition")},
                    {"IsSandbox", false}},
                   org_created, 0);
  for (int i = 0; i < std::max(1, spec.users); ++i) {
    const bool integration = i == 0;
    const std::string first = integration ? "Integration" : Pick(rng, kFirstNames);
    const std::string last = integration ? "User" : Pick(rng, kLastNames);
    user_ids_.push_back(
        Create("User",
               {{"FirstName", Text(first)},
                {"LastName", Text(last)},
                {"Email", Text(Lower(first) + "." + Lower(last) + "@" + Pick(rng, kDomains))},
                {"IsActive", i + 1 < spec.users || spec.users < 3},
                {"UserType", Text("Standard")}},
               org_created + i * 1000, 0));
  }
  integration_user_id_ = user_ids_[0];
  std::vector<std::string> queues;
  for (int i = 0; i < spec.queues; ++i) {
    queues.push_back(
        Create("Group",
               {{"Name", Text(i == 0 ? "Inbound Leads" : "Queue " + std::to_string(i + 1))},
                {"Type", Text("Queue")}},
               org_created + 3600 * 1000 + i * 1000, 0));
  }
  auto owner = [&]() { return Text(Pick(rng, user_ids_)); };

  // Direct contacts with their accounts, created in time order so that ids
  // grow with CreatedDate.
  std::vector<int64_t> times;
  for (int i = 0; i < spec.contacts_without_lead; ++i) times.push_back(past(now_ms - span_ms));
  std::sort(times.begin(), times.end());
  std::vector<std::string> accounts;
  std::vector<std::string> contacts;
  std::map<std::string, std::vector<std::string>> account_contacts;
  for (size_t i = 0; i < times.size(); ++i) {
    if (accounts.empty() || rng() % 3 == 0) {
      accounts.push_back(Create(
          "Account",
          with_custom("Account", {{"Name", Text(Pick(rng, kCompanies) + " " + std::to_string(i))},
                                  {"OwnerId", owner()},
                                  {"Industry", Text(Pick(rng, kIndustries))}}),
          times[i], 0));
    }
    const std::string first = Pick(rng, kFirstNames);
    const std::string last = Pick(rng, kLastNames);
    const std::string id = Create(
        "Contact",
        with_custom("Contact",
                    {{"FirstName", Text(first)},
                     {"LastName", Text(last)},
                     {"Email", rng() % 15 == 0 ? SfValue() : Text(MessyEmail(rng, first, last, i))},
                     {"OwnerId", owner()},
                     {"LeadSource", rng() % 4 == 0 ? SfValue() : Text(Pick(rng, kLeadSources))},
                     {"AccountId", Text(accounts.back())}}),
        times[i], 0);
    contacts.push_back(id);
    account_contacts[accounts.back()].push_back(id);
  }

  // Direct opportunities, each with contact roles for its account's contacts.
  times.clear();
  for (int i = 0; i < spec.opportunities; ++i) times.push_back(past(now_ms - span_ms));
  std::sort(times.begin(), times.end());
  for (size_t i = 0; i < times.size() && !accounts.empty(); ++i) {
    const std::string account = Pick(rng, accounts);
    const Stage& stage = kStages[rng() % kStages.size()];
    const std::string id = Create(
        "Opportunity",
        with_custom(
            "Opportunity",
            {{"Name", Text("Deal " + std::to_string(i))},
             {"OwnerId", owner()},
             {"StageName", Text(stage.name)},
             {"Amount",
              rng() % 10 == 0 ? SfValue() : SfValue(static_cast<double>(500 + rng() % 200000))},
             {"CloseDate", Ms(times[i] + static_cast<int64_t>(rng() % 90) * kDayMs)},
             {"LeadSource", rng() % 4 == 0 ? SfValue() : Text(Pick(rng, kLeadSources))},
             {"AccountId", Text(account)}}),
        times[i], 0);
    const std::vector<std::string>& people = account_contacts[account];
    for (size_t c = 0; c < people.size() && c < 2; ++c) {
      Create("OpportunityContactRole",
             {{"OpportunityId", Text(id)},
              {"ContactId", Text(people[c])},
              {"Role", c == 0 ? Text("Decision Maker") : SfValue()},
              {"IsPrimary", c == 0}},
             times[i], 0);
    }
  }

  // Leads: some worked, some closed, some converted, each with its history.
  times.clear();
  for (int i = 0; i < spec.leads; ++i) times.push_back(past(now_ms - span_ms));
  std::sort(times.begin(), times.end());
  for (size_t i = 0; i < times.size(); ++i) {
    const std::string first = Pick(rng, kFirstNames);
    const std::string last = Pick(rng, kLastNames);
    const bool queued = !queues.empty() && Chance(rng, spec.queue_owned_share);
    const std::string id = Create(
        "Lead",
        with_custom("Lead",
                    {{"FirstName", rng() % 12 == 0 ? SfValue() : Text(first)},
                     {"LastName", Text(last)},
                     {"Email", rng() % 20 == 0 ? SfValue() : Text(MessyEmail(rng, first, last, i))},
                     {"Company", Text(Pick(rng, kCompanies) + " " + std::to_string(i % 97))},
                     {"Status", Text(kLeadStatuses[0])},
                     {"LeadSource", rng() % 5 == 0 ? SfValue() : Text(Pick(rng, kLeadSources))},
                     {"OwnerId", queued ? Text(Pick(rng, queues)) : owner()},
                     {"Rating", rng() % 3 == 0 ? SfValue() : Text(Pick(rng, kRatings))},
                     {"Industry", Text(Pick(rng, kIndustries))}}),
        times[i], 0);
    int64_t at = times[i];
    if (rng() % 2 == 0) {
      at = past(at);
      Update("Lead", id, {{"Status", Text(kLeadStatuses[1])}}, at, 0);
    }
    if (Chance(rng, spec.converted_share)) {
      at = past(at);
      const SalesforceSim::Conversion c =
          ConvertLead(id, kLeadStatuses[2], rng() % 5 != 0, "", at, 0);
      if (!c.opportunity_id.empty() && rng() % 2 == 0) {
        const int64_t closed_at = past(at);
        Update("Opportunity", c.opportunity_id,
               {{"StageName", Text(rng() % 3 == 0 ? "Closed Lost" : "Closed Won")},
                {"Amount", static_cast<double>(1000 + rng() % 50000)},
                {"CloseDate", Ms(closed_at)}},
               closed_at, 0);
      }
    } else if (rng() % 6 == 0) {
      Update("Lead", id, {{"Status", Text(kLeadStatuses[3])}}, past(at), 0);
    }
  }
  if (spec.bulk_loaded_leads > 0) {
    TouchMany("Lead", spec.bulk_loaded_leads, now_ms - kDayMs, now_ms, 0);
  }
}

}  // namespace salesaudit::sim

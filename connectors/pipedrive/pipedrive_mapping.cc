#include "connectors/pipedrive/pipedrive_mapping.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <cctype>

#include "connectors/record_reader.h"
#include "core/json_reader.h"
#include "core/time_util.h"

namespace salesaudit::pipedrive {
namespace {

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// A boolean as v2 sends it, or as v1's 0/1.
std::optional<bool> Flag(RecordReader& reader, const rapidjson::Value& record,
                         std::string_view key) {
  const rapidjson::Value* v = GetMember(record, key);
  if (v != nullptr && v->IsInt64() && (v->GetInt64() == 0 || v->GetInt64() == 1)) {
    return v->GetInt64() == 1;
  }
  return reader.Bool(record, key);
}

// The id a v1 relation names: an integer, or an expanded object whose id is
// its `value` (v1's `"person_id": {"name": ..., "value": 7}`).
std::string RelationId(RecordReader& reader, const rapidjson::Value& record, std::string_view key) {
  const rapidjson::Value* v = GetMember(record, key);
  if (v != nullptr && v->IsObject()) return reader.Id(*v, "value");
  return reader.Id(record, key);
}

// The primary email of a person's list ({value, primary, label}); the
// first one when none is marked primary.
std::string PrimaryEmail(RecordReader& reader, const rapidjson::Value& person) {
  const rapidjson::Value* emails = GetMember(person, "emails");
  if (emails == nullptr || emails->IsNull()) return "";
  if (!emails->IsArray()) {
    reader.Report("emails", "is not a list; stored as unknown");
    return "";
  }
  std::string first;
  for (const auto& entry : emails->GetArray()) {
    if (!entry.IsObject()) continue;
    const std::string value = reader.Text(entry, "value");
    if (value.empty()) continue;
    if (reader.Bool(entry, "primary").value_or(false)) return value;
    if (first.empty()) first = value;
  }
  return first;
}

}  // namespace

std::vector<std::string> FieldConfigKeys() { return {"channel"}; }

std::vector<PersonField> ReadPersonFields(const rapidjson::Value& data) {
  std::vector<PersonField> fields;
  for (const auto& item : data.GetArray()) {
    if (!item.IsObject()) continue;
    PersonField field;
    field.key = GetStringOrEmpty(item, "key");
    field.name = GetStringOrEmpty(item, "name");
    if (field.key.empty()) continue;
    if (const rapidjson::Value* options = GetArray(item, "options")) {
      for (const auto& option : options->GetArray()) {
        if (!option.IsObject()) continue;
        std::vector<ValueIssue> ignored;
        RecordReader reader(RecordKind::kContact, ignored);
        const std::string id = reader.Id(option, "id");
        if (!id.empty()) field.options[id] = GetStringOrEmpty(option, "label");
      }
    }
    fields.push_back(std::move(field));
  }
  return fields;
}

Mapping::Mapping(const ConnectorConfig& config) {
  if (auto it = config.fields.find("channel"); it != config.fields.end()) {
    channel_names_ = it->second;
  }
}

std::vector<std::string> Mapping::ResolvePersonFields(const std::vector<PersonField>& fields) {
  std::vector<std::string> warnings;
  channel_sources_.clear();
  for (const std::string& name : channel_names_) {
    auto by_key = std::find_if(fields.begin(), fields.end(),
                               [&](const PersonField& f) { return f.key == name; });
    auto found = by_key != fields.end()
                     ? by_key
                     : std::find_if(fields.begin(), fields.end(), [&](const PersonField& f) {
                         return EqualsIgnoringCase(f.name, name);
                       });
    if (found == fields.end()) {
      warnings.push_back("fields: channel: \"" + name +
                         "\" is neither the key nor the name of a person field of the company; "
                         "not read");
      continue;
    }
    channel_sources_.push_back(ChannelSource{found->key, found->options});
  }
  return warnings;
}

std::string Mapping::Channel(const rapidjson::Value& person, RecordReader& reader) const {
  const rapidjson::Value* custom = GetObject(person, "custom_fields");
  for (const ChannelSource& source : channel_sources_) {
    // v2 keeps custom fields apart; standard fields stay at the root.
    const rapidjson::Value* value = custom != nullptr ? GetMember(*custom, source.key) : nullptr;
    if (value == nullptr) value = GetMember(person, source.key);
    if (value == nullptr || value->IsNull()) continue;
    // A set field holds a list of options: the first one names the channel.
    if (value->IsArray()) {
      if (value->Empty()) continue;
      value = &(*value)[0];
    }
    std::string text;
    if (value->IsString()) {
      text.assign(value->GetString(), value->GetStringLength());
    } else if (value->IsInt64()) {
      text = std::to_string(value->GetInt64());
    } else {
      reader.Report(source.key, "is not a text or an option; channel stored as unknown");
      continue;
    }
    if (auto option = source.options.find(text); option != source.options.end()) {
      text = option->second;
    }
    if (!text.empty()) return text;
  }
  return "";
}

TimeMs UpdateTime(const rapidjson::Value& record) {
  return ParseTimestampMs(GetStringOrEmpty(record, "update_time"));
}

void Mapping::MapUser(const rapidjson::Value& user, Page& page) const {
  RecordReader reader(RecordKind::kOwner, page.value_issues);
  Owner o;
  o.id = reader.Id(user, "id");
  reader.set_id(o.id);
  o.name = reader.Text(user, "name");
  o.email = reader.Text(user, "email");
  o.active = Flag(reader, user, "active_flag").value_or(true);
  page.owners.push_back(std::move(o));
}

void Mapping::MapPerson(const rapidjson::Value& person, Page& page) const {
  RecordReader reader(RecordKind::kContact, page.value_issues);
  Contact c;
  c.id = reader.Id(person, "id");
  reader.set_id(c.id);
  c.updated_at = reader.Time(person, "update_time");
  if (Flag(reader, person, "is_deleted").value_or(false)) {
    page.deletions.push_back(Deletion{RecordKind::kContact, c.id, c.updated_at.value_or(0), ""});
    return;
  }
  c.email = PrimaryEmail(reader, person);
  c.first_name = reader.Text(person, "first_name");
  c.last_name = reader.Text(person, "last_name");
  c.owner_id = RelationId(reader, person, "owner_id");
  c.channel = Channel(person, reader);
  c.created_at = reader.Time(person, "add_time");
  page.contacts.push_back(std::move(c));
}

void Mapping::MapDeal(const rapidjson::Value& deal, Page& page) const {
  RecordReader reader(RecordKind::kDeal, page.value_issues);
  Deal d;
  d.id = reader.Id(deal, "id");
  reader.set_id(d.id);
  d.updated_at = reader.Time(deal, "update_time");
  const std::string status = reader.Text(deal, "status");
  if (status == "deleted" || Flag(reader, deal, "is_deleted").value_or(false)) {
    page.deletions.push_back(Deletion{RecordKind::kDeal, d.id, d.updated_at.value_or(0), ""});
    return;
  }
  d.name = reader.Text(deal, "title");
  d.owner_id = RelationId(reader, deal, "owner_id");
  d.pipeline = RelationId(reader, deal, "pipeline_id");
  d.stage = RelationId(reader, deal, "stage_id");
  d.amount = reader.Number(deal, "value");
  d.currency = reader.Text(deal, "currency");
  d.created_at = reader.Time(deal, "add_time");
  d.is_won = status == "won";
  d.is_closed = d.is_won || status == "lost";
  if (d.is_closed) {
    d.closed_at = reader.Time(deal, d.is_won ? "won_time" : "lost_time");
    if (!d.closed_at) d.closed_at = reader.Time(deal, "close_time");
  }
  // A deal has one person; none is an empty list, which clears the old one.
  std::vector<std::string> contacts;
  if (std::string person = RelationId(reader, deal, "person_id"); !person.empty()) {
    contacts.push_back(std::move(person));
  }
  d.contact_ids = std::move(contacts);
  page.deals.push_back(std::move(d));
}

void Mapping::MapDealStage(const rapidjson::Value& stage,
                           const std::map<std::string, std::string>& pipelines, Page& page) const {
  RecordReader reader(RecordKind::kDeal, page.value_issues);
  DealStage s;
  s.stage_id = reader.Id(stage, "id");
  reader.set_id(s.stage_id);
  s.pipeline_id = reader.Id(stage, "pipeline_id");
  s.stage_name = reader.Text(stage, "name");
  s.order = reader.Int64(stage, "order_nr");
  if (auto pipeline = pipelines.find(s.pipeline_id); pipeline != pipelines.end()) {
    s.pipeline_name = pipeline->second;
  }
  page.deal_stages.push_back(std::move(s));
}

void Mapping::MapLead(const rapidjson::Value& lead, Page& page) const {
  RecordReader reader(RecordKind::kStageEvent, page.value_issues);
  const std::string id = reader.Id(lead, "id");
  reader.set_id(id);
  const std::string person = RelationId(reader, lead, "person_id");
  const TimeMs added = reader.Time(lead, "add_time");
  page.restated_origins.push_back(id);
  // A lead of an organisation alone, or undated, says nothing of a person.
  if (person.empty() || !added) return;
  page.stage_events.push_back(
      StageEvent{person, FunnelStage::kMql, *added, id, reader.Text(lead, "source_name")});
}

void Mapping::MapActivity(const rapidjson::Value& activity, Page& page) const {
  RecordReader reader(RecordKind::kStageEvent, page.value_issues);
  const std::string id = reader.Id(activity, "id");
  reader.set_id(id);
  std::string person = RelationId(reader, activity, "person_id");
  if (person.empty()) {
    // v2 names the people in `participants`; the primary one is the person.
    if (const rapidjson::Value* participants = GetArray(activity, "participants")) {
      for (const auto& p : participants->GetArray()) {
        if (p.IsObject() && reader.Bool(p, "primary").value_or(false)) {
          person = reader.Id(p, "person_id");
        }
      }
    }
  }
  if (Flag(reader, activity, "is_deleted").value_or(false)) {
    page.deletions.push_back(Deletion{RecordKind::kStageEvent, id,
                                      reader.Time(activity, "update_time").value_or(0), ""});
    return;
  }
  page.restated_origins.push_back(id);
  const bool done = Flag(reader, activity, "done").value_or(false);
  const TimeMs done_at = done ? reader.Time(activity, "marked_as_done_time") : TimeMs();
  if (done && !done_at) {
    reader.Report("marked_as_done_time", "is missing on a done activity; not counted as contact");
  }
  // Not done (any more) or about no person, it says nothing.
  if (!done_at || person.empty()) return;
  page.stage_events.push_back(StageEvent{person, FunnelStage::kContacted, *done_at, id, ""});
}

}  // namespace salesaudit::pipedrive

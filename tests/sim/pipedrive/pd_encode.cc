#include "tests/sim/pipedrive/pd_encode.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <cctype>

#include "core/encoding.h"
#include "core/time_util.h"

namespace salesaudit::sim {
namespace {

void Str(PdWriter& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

void Key(PdWriter& w, const char* key) { w.Key(key); }

void OptionalInt(PdWriter& w, const char* key, const std::optional<int64_t>& v) {
  w.Key(key);
  if (v) {
    w.Int64(*v);
  } else {
    w.Null();
  }
}

void OptionalTime(PdWriter& w, const char* key, const std::optional<int64_t>& ms,
                  std::string (*format)(int64_t)) {
  w.Key(key);
  if (ms) {
    Str(w, format(*ms));
  } else {
    w.Null();
  }
}

void ContactValues(PdWriter& w, const char* key, const std::vector<PdContactValue>& values) {
  w.Key(key);
  w.StartArray();
  for (const PdContactValue& v : values) {
    w.StartObject();
    Key(w, "value");
    Str(w, v.value);
    Key(w, "primary");
    w.Bool(v.primary);
    Key(w, "label");
    Str(w, v.label);
    w.EndObject();
  }
  w.EndArray();
}

void V2Times(PdWriter& w, int64_t add_ms, int64_t update_ms) {
  Key(w, "add_time");
  Str(w, Rfc3339(add_ms));
  Key(w, "update_time");
  Str(w, Rfc3339(update_ms));
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::string Rfc3339(int64_t ms) { return FormatIsoMs(ms).substr(0, 19) + "Z"; }

std::string V1Time(int64_t ms) {
  std::string s = FormatIsoMs(ms).substr(0, 19);
  s[10] = ' ';
  return s;
}

std::string LeadTime(int64_t ms) { return FormatIsoMs(ms); }

std::optional<int64_t> ParseRfc3339(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS, then an optional fraction, then Z or +HH:MM/-HH:MM.
  constexpr std::string_view kShape = "0000-00-00T00:00:00";
  if (text.size() < kShape.size() + 1) return std::nullopt;
  for (size_t i = 0; i < kShape.size(); ++i) {
    if (kShape[i] == '0' ? !IsDigit(text[i]) : text[i] != kShape[i]) return std::nullopt;
  }
  size_t pos = kShape.size();
  if (text[pos] == '.') {
    ++pos;
    const size_t digits = pos;
    while (pos < text.size() && IsDigit(text[pos])) ++pos;
    if (pos == digits) return std::nullopt;
  }
  const std::string_view zone = text.substr(pos);
  const bool offset = zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && IsDigit(zone[1]) &&
                      IsDigit(zone[2]) && zone[3] == ':' && IsDigit(zone[4]) && IsDigit(zone[5]);
  if (zone != "Z" && !offset) return std::nullopt;
  return ParseTimestampMs(text);
}

std::string EncodeCursor(const PdCursor& cursor) {
  rapidjson::StringBuffer buf;
  PdWriter w(buf);
  w.StartObject();
  Key(w, "field");
  Str(w, cursor.field);
  Key(w, "fieldValue");
  w.Int64(cursor.value);
  Key(w, "sortDirection");
  Str(w, cursor.direction);
  Key(w, "id");
  w.Int64(cursor.id);
  w.EndObject();
  std::string text = Base64Encode(buf.GetString());
  // base64url without padding, as Pipedrive's cursors are.
  std::replace(text.begin(), text.end(), '+', '-');
  std::replace(text.begin(), text.end(), '/', '_');
  while (!text.empty() && text.back() == '=') text.pop_back();
  return text;
}

std::optional<PdCursor> DecodeCursor(std::string_view text) {
  std::string b64(text);
  std::replace(b64.begin(), b64.end(), '-', '+');
  std::replace(b64.begin(), b64.end(), '_', '/');
  while (b64.size() % 4 != 0) b64 += '=';
  const std::optional<std::string> json = Base64Decode(b64);
  if (!json) return std::nullopt;
  rapidjson::Document doc;
  doc.Parse(json->c_str(), json->size());
  if (doc.HasParseError() || !doc.IsObject()) return std::nullopt;
  auto text_of = [&](const char* key) -> const rapidjson::Value* {
    return doc.HasMember(key) && doc[key].IsString() ? &doc[key] : nullptr;
  };
  auto number_of = [&](const char* key) -> const rapidjson::Value* {
    return doc.HasMember(key) && doc[key].IsInt64() ? &doc[key] : nullptr;
  };
  const rapidjson::Value* field = text_of("field");
  const rapidjson::Value* direction = text_of("sortDirection");
  const rapidjson::Value* value = number_of("fieldValue");
  const rapidjson::Value* id = number_of("id");
  if (field == nullptr || direction == nullptr || value == nullptr || id == nullptr) {
    return std::nullopt;
  }
  return PdCursor{field->GetString(), direction->GetString(), value->GetInt64(), id->GetInt64()};
}

std::string ErrorEnvelope(std::string_view error, std::string_view error_info) {
  rapidjson::StringBuffer buf;
  PdWriter w(buf);
  w.StartObject();
  Key(w, "success");
  w.Bool(false);
  Key(w, "error");
  Str(w, error);
  Key(w, "error_info");
  Str(w, error_info);
  Key(w, "data");
  w.Null();
  Key(w, "additional_data");
  w.Null();
  w.EndObject();
  return buf.GetString();
}

void WritePersonV2(PdWriter& w, const PdPerson& p, const Company& company,
                   const PdRenderOptions& options) {
  w.StartObject();
  Key(w, "id");
  w.Int64(p.id);
  Key(w, "name");
  Str(w, p.name);
  Key(w, "first_name");
  Str(w, p.first_name);
  Key(w, "last_name");
  Str(w, p.last_name);
  Key(w, "owner_id");
  w.Int64(p.owner_id);
  Key(w, "org_id");
  w.Null();
  V2Times(w, p.add_time_ms, p.update_time_ms);
  ContactValues(w, "emails", p.emails);
  ContactValues(w, "phones", p.phones);
  Key(w, "is_deleted");
  w.Bool(p.is_deleted);
  Key(w, "visible_to");
  w.Int(3);
  Key(w, "label_ids");
  w.StartArray();
  w.EndArray();
  Key(w, "picture_id");
  w.Null();
  Key(w, "custom_fields");
  w.StartObject();
  for (const PdPersonField& field : company.person_fields()) {
    if (!field.is_custom) continue;
    if (!options.custom_field_keys.empty() &&
        std::find(options.custom_field_keys.begin(), options.custom_field_keys.end(), field.key) ==
            options.custom_field_keys.end()) {
      continue;
    }
    Str(w, field.key);
    auto it = p.custom_fields.find(field.key);
    const PdFieldValue value = it == p.custom_fields.end() ? PdFieldValue() : it->second;
    if (const int64_t* option = std::get_if<int64_t>(&value)) {
      if (options.option_labels) {
        w.StartObject();
        Key(w, "id");
        w.Int64(*option);
        Key(w, "label");
        for (const auto& [id, label] : field.options) {
          if (id == *option) Str(w, label);
        }
        w.EndObject();
      } else {
        w.Int64(*option);
      }
    } else if (const std::string* text = std::get_if<std::string>(&value)) {
      Str(w, *text);
    } else {
      w.Null();
    }
  }
  w.EndObject();
  w.EndObject();
}

void WriteDealV2(PdWriter& w, const PdDeal& d) {
  w.StartObject();
  Key(w, "id");
  w.Int64(d.id);
  Key(w, "title");
  Str(w, d.title);
  Key(w, "creator_user_id");
  w.Int64(d.creator_user_id);
  Key(w, "owner_id");
  w.Int64(d.owner_id);
  Key(w, "value");
  w.Double(d.value);
  OptionalInt(w, "person_id", d.person_id);
  Key(w, "org_id");
  w.Null();
  Key(w, "stage_id");
  w.Int64(d.stage_id);
  Key(w, "pipeline_id");
  w.Int64(d.pipeline_id);
  Key(w, "currency");
  Str(w, d.currency);
  V2Times(w, d.add_time_ms, d.update_time_ms);
  Key(w, "stage_change_time");
  Str(w, Rfc3339(d.stage_change_time_ms));
  // A deleted deal's status reads "deleted", as the status filter names it.
  Key(w, "status");
  Str(w, d.is_deleted ? "deleted" : d.status);
  Key(w, "is_deleted");
  w.Bool(d.is_deleted);
  Key(w, "is_archived");
  w.Bool(false);
  Key(w, "archive_time");
  w.Null();
  Key(w, "probability");
  w.Null();
  Key(w, "lost_reason");
  if (d.lost_reason) {
    Str(w, *d.lost_reason);
  } else {
    w.Null();
  }
  Key(w, "visible_to");
  w.Int(3);
  OptionalTime(w, "close_time", d.close_time_ms, Rfc3339);
  OptionalTime(w, "won_time", d.won_time_ms, Rfc3339);
  OptionalTime(w, "lost_time", d.lost_time_ms, Rfc3339);
  Key(w, "expected_close_date");
  w.Null();
  Key(w, "label_ids");
  w.StartArray();
  w.EndArray();
  Key(w, "origin");
  Str(w, d.origin);
  Key(w, "origin_id");
  w.Null();
  Key(w, "channel");
  w.Null();
  Key(w, "channel_id");
  w.Null();
  Key(w, "custom_fields");
  w.StartObject();
  w.EndObject();
  w.EndObject();
}

void WriteActivityV2(PdWriter& w, const PdActivity& a) {
  w.StartObject();
  Key(w, "id");
  w.Int64(a.id);
  Key(w, "subject");
  Str(w, a.subject);
  Key(w, "type");
  Str(w, a.type);
  Key(w, "owner_id");
  w.Int64(a.owner_id);
  Key(w, "creator_user_id");
  w.Int64(a.owner_id);
  Key(w, "is_deleted");
  w.Bool(a.is_deleted);
  V2Times(w, a.add_time_ms, a.update_time_ms);
  OptionalInt(w, "deal_id", a.deal_id);
  Key(w, "lead_id");
  if (a.lead_id) {
    Str(w, *a.lead_id);
  } else {
    w.Null();
  }
  OptionalInt(w, "person_id", a.person_id);
  Key(w, "org_id");
  w.Null();
  Key(w, "due_date");
  Str(w, a.due_date);
  Key(w, "due_time");
  w.Null();
  Key(w, "duration");
  w.Null();
  Key(w, "busy");
  w.Bool(false);
  Key(w, "done");
  w.Bool(a.done);
  OptionalTime(w, "marked_as_done_time", a.marked_as_done_time_ms, Rfc3339);
  Key(w, "participants");
  w.StartArray();
  if (a.person_id) {
    w.StartObject();
    Key(w, "person_id");
    w.Int64(*a.person_id);
    Key(w, "primary");
    w.Bool(true);
    w.EndObject();
  }
  w.EndArray();
  Key(w, "note");
  w.Null();
  w.EndObject();
}

void WriteStageV2(PdWriter& w, const PdStage& s) {
  w.StartObject();
  Key(w, "id");
  w.Int64(s.id);
  Key(w, "order_nr");
  w.Int(s.order_nr);
  Key(w, "name");
  Str(w, s.name);
  Key(w, "is_deleted");
  w.Bool(false);
  Key(w, "deal_probability");
  w.Int(s.deal_probability);
  Key(w, "pipeline_id");
  w.Int64(s.pipeline_id);
  Key(w, "is_deal_rot_enabled");
  w.Bool(false);
  Key(w, "days_to_rotten");
  w.Null();
  V2Times(w, s.add_time_ms, s.update_time_ms);
  w.EndObject();
}

void WritePipelineV2(PdWriter& w, const PdPipeline& p) {
  w.StartObject();
  Key(w, "id");
  w.Int64(p.id);
  Key(w, "name");
  Str(w, p.name);
  Key(w, "order_nr");
  w.Int(p.order_nr);
  Key(w, "is_deleted");
  w.Bool(false);
  Key(w, "is_deal_probability_enabled");
  w.Bool(true);
  V2Times(w, p.add_time_ms, p.update_time_ms);
  w.EndObject();
}

void WriteUserV1(PdWriter& w, const PdUser& u) {
  w.StartObject();
  Key(w, "id");
  w.Int64(u.id);
  Key(w, "name");
  Str(w, u.name);
  Key(w, "default_currency");
  Str(w, "EUR");
  Key(w, "locale");
  Str(w, "en_US");
  Key(w, "lang");
  w.Int(1);
  Key(w, "email");
  Str(w, u.email);
  Key(w, "phone");
  w.Null();
  Key(w, "activated");
  w.Bool(u.active);
  Key(w, "last_login");
  Str(w, V1Time(u.modified_ms));
  Key(w, "created");
  Str(w, V1Time(u.created_ms));
  Key(w, "modified");
  Str(w, V1Time(u.modified_ms));
  Key(w, "has_created_company");
  w.Bool(u.is_admin);
  // v1's 0/1 flag.
  Key(w, "is_admin");
  w.Int(u.is_admin ? 1 : 0);
  Key(w, "active_flag");
  w.Bool(u.active);
  Key(w, "timezone_name");
  Str(w, "Europe/Tallinn");
  Key(w, "timezone_offset");
  Str(w, "+02:00");
  Key(w, "role_id");
  w.Int(1);
  Key(w, "icon_url");
  w.Null();
  Key(w, "is_you");
  w.Bool(u.is_admin);
  Key(w, "is_deleted");
  w.Bool(false);
  w.EndObject();
}

void WriteLeadV1(PdWriter& w, const PdLead& l) {
  w.StartObject();
  Key(w, "id");
  Str(w, l.id);
  Key(w, "title");
  Str(w, l.title);
  Key(w, "owner_id");
  w.Int64(l.owner_id);
  Key(w, "creator_id");
  w.Int64(l.creator_id);
  Key(w, "label_ids");
  w.StartArray();
  w.EndArray();
  OptionalInt(w, "person_id", l.person_id);
  OptionalInt(w, "organization_id", l.organization_id);
  Key(w, "source_name");
  Str(w, l.source_name);
  Key(w, "origin");
  Str(w, l.origin);
  Key(w, "origin_id");
  w.Null();
  OptionalInt(w, "channel", l.channel);
  Key(w, "channel_id");
  w.Null();
  Key(w, "is_archived");
  w.Bool(l.is_archived);
  Key(w, "was_seen");
  w.Bool(true);
  Key(w, "value");
  if (l.value_amount) {
    w.StartObject();
    Key(w, "amount");
    w.Double(*l.value_amount);
    Key(w, "currency");
    Str(w, l.value_currency);
    w.EndObject();
  } else {
    w.Null();
  }
  Key(w, "expected_close_date");
  w.Null();
  Key(w, "next_activity_id");
  w.Null();
  Key(w, "add_time");
  Str(w, LeadTime(l.add_time_ms));
  Key(w, "update_time");
  Str(w, LeadTime(l.update_time_ms));
  Key(w, "visible_to");
  Str(w, "3");
  Key(w, "cc_email");
  Str(w, "company+lead@pipedrivemail.com");
  w.EndObject();
}

void WritePersonFieldV1(PdWriter& w, const PdPersonField& f, int64_t update_ms) {
  w.StartObject();
  Key(w, "id");
  w.Int64(f.id);
  Key(w, "key");
  Str(w, f.key);
  Key(w, "name");
  Str(w, f.name);
  Key(w, "order_nr");
  w.Int64(f.id % 1000);
  Key(w, "field_type");
  Str(w, f.field_type);
  Key(w, "add_time");
  Str(w, V1Time(update_ms));
  Key(w, "update_time");
  Str(w, V1Time(update_ms));
  Key(w, "active_flag");
  w.Bool(true);
  Key(w, "edit_flag");
  w.Bool(f.is_custom);
  Key(w, "bulk_edit_allowed");
  w.Bool(true);
  Key(w, "mandatory_flag");
  w.Bool(f.key == "name");
  if (!f.options.empty()) {
    Key(w, "options");
    w.StartArray();
    for (const auto& [id, label] : f.options) {
      w.StartObject();
      Key(w, "id");
      w.Int64(id);
      Key(w, "label");
      Str(w, label);
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
}

}  // namespace salesaudit::sim

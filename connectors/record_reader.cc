#include "connectors/record_reader.h"

#include <rapidjson/document.h>

#include "core/json_reader.h"
#include "core/page_check.h"
#include "core/time_util.h"

namespace salesaudit {
std::optional<std::string_view> RecordReader::String(const rapidjson::Value& object,
                                                     std::string_view key,
                                                     std::string_view property) {
  const rapidjson::Value* v = GetMember(object, key);
  if (v == nullptr || v->IsNull()) return std::nullopt;
  if (!v->IsString()) {
    Report(property.empty() ? key : property,
           std::string("is ") + JsonTypeName(*v) + ", not a string; stored as unknown");
    return std::nullopt;
  }
  return std::string_view(v->GetString(), v->GetStringLength());
}

std::string RecordReader::Text(const rapidjson::Value& object, std::string_view key) {
  return std::string(String(object, key).value_or(""));
}

std::string RecordReader::Id(const rapidjson::Value& object, std::string_view key) {
  const rapidjson::Value* v = GetMember(object, key);
  if (v == nullptr || v->IsNull()) return "";
  if (v->IsString()) return std::string(v->GetString(), v->GetStringLength());
  if (v->IsInt64()) return std::to_string(v->GetInt64());
  Report(key, std::string("is ") + JsonTypeName(*v) + ", not an id; stored as unknown");
  return "";
}

std::optional<int64_t> RecordReader::Int64(const rapidjson::Value& object, std::string_view key) {
  const rapidjson::Value* v = GetMember(object, key);
  if (v == nullptr || v->IsNull()) return std::nullopt;
  if (!v->IsInt64()) {
    Report(key, std::string("is ") + JsonTypeName(*v) + ", not an integer; stored as unknown");
    return std::nullopt;
  }
  return v->GetInt64();
}

std::optional<double> RecordReader::Number(const rapidjson::Value& object, std::string_view key) {
  const rapidjson::Value* v = GetMember(object, key);
  if (v == nullptr || v->IsNull()) return std::nullopt;
  if (!v->IsNumber()) {
    Report(key, std::string("is ") + JsonTypeName(*v) + ", not a number; stored as unknown");
    return std::nullopt;
  }
  return v->GetDouble();
}

std::optional<bool> RecordReader::Bool(const rapidjson::Value& object, std::string_view key) {
  const rapidjson::Value* v = GetMember(object, key);
  if (v == nullptr || v->IsNull()) return std::nullopt;
  if (!v->IsBool()) {
    Report(key, std::string("is ") + JsonTypeName(*v) + ", not a boolean; taken as unknown");
    return std::nullopt;
  }
  return v->GetBool();
}

const rapidjson::Value* RecordReader::Object(const rapidjson::Value& object, std::string_view key) {
  const rapidjson::Value* v = GetMember(object, key);
  if (v == nullptr || v->IsNull()) return nullptr;
  if (v->IsObject()) return v;
  Report(key, std::string("is ") + JsonTypeName(*v) + ", not an object; stored as unknown");
  return nullptr;
}

TimeMs RecordReader::Time(const rapidjson::Value& object, std::string_view key) {
  auto text = String(object, key);
  if (!text || text->empty()) return std::nullopt;
  TimeMs t = ParseTimestampMs(*text);
  if (!t) Report(key, "= " + ValueExcerpt(*text) + " is not a date; stored as unknown");
  return t;
}

void RecordReader::Report(std::string_view property, std::string problem) {
  issues_.push_back(ValueIssue{kind_, std::string(id_), std::string(property), std::move(problem)});
}

}  // namespace salesaudit

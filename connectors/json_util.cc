#include "connectors/json_util.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <string>

#include "core/json_limits.h"
#include "core/page_check.h"
#include "core/time_util.h"

namespace salesaudit {
namespace {

const rapidjson::Value* Member(const rapidjson::Value& object, std::string_view key) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(rapidjson::Value(
      rapidjson::StringRef(key.data(), static_cast<rapidjson::SizeType>(key.size()))));
  if (it == object.MemberEnd() || it->value.IsNull()) return nullptr;
  return &it->value;
}

}  // namespace

Status ParseJson(std::string_view text, rapidjson::Document* doc) {
  if (Status s = CheckJsonNesting(text); !s.ok()) {
    doc->SetNull();
    return s;
  }
  doc->Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size());
  if (!doc->HasParseError()) return Status::Ok();
  const size_t offset = doc->GetErrorOffset();
  std::string message = "invalid JSON at offset " + std::to_string(offset) + ": " +
                        rapidjson::GetParseError_En(doc->GetParseError());
  if (offset >= text.size()) return Status::Unavailable(message + " (body cut short)");
  return Status::DataLoss(std::move(message));
}

std::optional<std::string_view> GetString(const rapidjson::Value& object, std::string_view key) {
  const rapidjson::Value* v = Member(object, key);
  if (v == nullptr || !v->IsString()) return std::nullopt;
  return std::string_view(v->GetString(), v->GetStringLength());
}

std::optional<int64_t> GetInt64(const rapidjson::Value& object, std::string_view key) {
  const rapidjson::Value* v = Member(object, key);
  if (v == nullptr || !v->IsInt64()) return std::nullopt;
  return v->GetInt64();
}

std::optional<double> GetDouble(const rapidjson::Value& object, std::string_view key) {
  const rapidjson::Value* v = Member(object, key);
  if (v == nullptr || !v->IsNumber()) return std::nullopt;
  return v->GetDouble();
}

std::optional<bool> GetBool(const rapidjson::Value& object, std::string_view key) {
  const rapidjson::Value* v = Member(object, key);
  if (v == nullptr || !v->IsBool()) return std::nullopt;
  return v->GetBool();
}

const rapidjson::Value* GetObject(const rapidjson::Value& object, std::string_view key) {
  const rapidjson::Value* v = Member(object, key);
  return v != nullptr && v->IsObject() ? v : nullptr;
}

const rapidjson::Value* GetArray(const rapidjson::Value& object, std::string_view key) {
  const rapidjson::Value* v = Member(object, key);
  return v != nullptr && v->IsArray() ? v : nullptr;
}

Result<std::string_view> RequireString(const rapidjson::Value& object, std::string_view key) {
  if (auto s = GetString(object, key)) return *s;
  return Status::DataLoss("missing string field '" + std::string(key) + "'");
}

const char* JsonTypeName(const rapidjson::Value& value) {
  if (value.IsString()) return "a string";
  if (value.IsNumber()) return "a number";
  if (value.IsObject()) return "an object";
  if (value.IsArray()) return "an array";
  if (value.IsBool()) return "a boolean";
  return "null";
}

std::optional<std::string_view> RecordReader::String(const rapidjson::Value& object,
                                                     std::string_view key,
                                                     std::string_view property) {
  const rapidjson::Value* v = Member(object, key);
  if (v == nullptr) return std::nullopt;
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

std::optional<int64_t> RecordReader::Int64(const rapidjson::Value& object, std::string_view key) {
  const rapidjson::Value* v = Member(object, key);
  if (v == nullptr) return std::nullopt;
  if (!v->IsInt64()) {
    Report(key, std::string("is ") + JsonTypeName(*v) + ", not an integer; stored as unknown");
    return std::nullopt;
  }
  return v->GetInt64();
}

const rapidjson::Value* RecordReader::Object(const rapidjson::Value& object, std::string_view key) {
  const rapidjson::Value* v = Member(object, key);
  if (v == nullptr || v->IsObject()) return v;
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

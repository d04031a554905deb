#include "core/json_reader.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <string>

#include "core/json_limits.h"

namespace salesaudit {
namespace {

// ParseJson's nesting check and messages around `parse`, which fills `doc`
// from `text`.
template <typename Parse>
Status ParseChecked(std::string_view text, rapidjson::Document* doc, const Parse& parse) {
  if (Status s = CheckJsonNesting(text); !s.ok()) {
    doc->SetNull();
    return s;
  }
  parse();
  if (!doc->HasParseError()) return Status::Ok();
  const size_t offset = doc->GetErrorOffset();
  std::string message = "invalid JSON at offset " + std::to_string(offset) + ": " +
                        rapidjson::GetParseError_En(doc->GetParseError());
  if (offset >= text.size()) return Status::Unavailable(message + " (body cut short)");
  return Status::DataLoss(std::move(message));
}

// The member `key` of `object` unless it is absent or null.
const rapidjson::Value* PresentMember(const rapidjson::Value& object, std::string_view key) {
  const rapidjson::Value* v = GetMember(object, key);
  return v != nullptr && !v->IsNull() ? v : nullptr;
}

}  // namespace

Status ParseJson(std::string_view text, rapidjson::Document* doc) {
  return ParseChecked(
      text, doc, [&] { doc->Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size()); });
}

Status ParseJsonInPlace(std::string& text, rapidjson::Document* doc) {
  // The in-place parser reads to the NUL that ends the string's buffer, and
  // only ParseJson's skips the bytes of a byte-order mark at the start.
  if (text.find('\0') != std::string::npos ||
      (!text.empty() && static_cast<unsigned char>(text[0]) >= 0x80)) {
    return ParseJson(text, doc);
  }
  return ParseChecked(text, doc,
                      [&] { doc->ParseInsitu<rapidjson::kParseIterativeFlag>(text.data()); });
}

const rapidjson::Value* GetMember(const rapidjson::Value& object, std::string_view key) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(rapidjson::Value(
      rapidjson::StringRef(key.data(), static_cast<rapidjson::SizeType>(key.size()))));
  return it == object.MemberEnd() ? nullptr : &it->value;
}

std::optional<std::string_view> GetString(const rapidjson::Value& object, std::string_view key) {
  const rapidjson::Value* v = PresentMember(object, key);
  if (v == nullptr || !v->IsString()) return std::nullopt;
  return std::string_view(v->GetString(), v->GetStringLength());
}

std::optional<int64_t> GetInt64(const rapidjson::Value& object, std::string_view key) {
  const rapidjson::Value* v = PresentMember(object, key);
  if (v == nullptr || !v->IsInt64()) return std::nullopt;
  return v->GetInt64();
}

std::optional<double> GetDouble(const rapidjson::Value& object, std::string_view key) {
  const rapidjson::Value* v = PresentMember(object, key);
  if (v == nullptr || !v->IsNumber()) return std::nullopt;
  return v->GetDouble();
}

std::optional<bool> GetBool(const rapidjson::Value& object, std::string_view key) {
  const rapidjson::Value* v = PresentMember(object, key);
  if (v == nullptr || !v->IsBool()) return std::nullopt;
  return v->GetBool();
}

const rapidjson::Value* GetObject(const rapidjson::Value& object, std::string_view key) {
  const rapidjson::Value* v = PresentMember(object, key);
  return v != nullptr && v->IsObject() ? v : nullptr;
}

const rapidjson::Value* GetArray(const rapidjson::Value& object, std::string_view key) {
  const rapidjson::Value* v = PresentMember(object, key);
  return v != nullptr && v->IsArray() ? v : nullptr;
}

const rapidjson::Value* GetMember(const rapidjson::Value* object, std::string_view key) {
  return object != nullptr ? GetMember(*object, key) : nullptr;
}

std::optional<double> GetDouble(const rapidjson::Value* object, std::string_view key) {
  return object != nullptr ? GetDouble(*object, key) : std::nullopt;
}

std::optional<bool> GetBool(const rapidjson::Value* object, std::string_view key) {
  return object != nullptr ? GetBool(*object, key) : std::nullopt;
}

const rapidjson::Value* GetObject(const rapidjson::Value* object, std::string_view key) {
  return object != nullptr ? GetObject(*object, key) : nullptr;
}

const rapidjson::Value* GetArray(const rapidjson::Value* object, std::string_view key) {
  return object != nullptr ? GetArray(*object, key) : nullptr;
}

std::string GetStringOrEmpty(const rapidjson::Value& object, std::string_view key) {
  return std::string(GetString(object, key).value_or(""));
}

std::string GetId(const rapidjson::Value& object, std::string_view key) {
  if (auto text = GetString(object, key)) return std::string(*text);
  if (auto number = GetInt64(object, key)) return std::to_string(*number);
  return "";
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

}  // namespace salesaudit

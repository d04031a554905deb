// Fuzz target for core/json_reader: ParseJson on any bytes (and
// ParseJsonInPlace, which must agree with it), then every accessor, as
// connectors read vendor pages: on the root, on each member of the root
// object, and on each member of each element of the root's arrays. The walk
// stops at that depth on purpose: it is what connectors do, and a recursive
// walk here would test the harness's stack, not ours.
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/json_reader.h"

namespace salesaudit {
namespace {

// Every accessor for `key`, and the contracts they state: a value comes only
// from a member of the asked type, and the pointer forms read as the
// reference forms.
void ReadMember(const rapidjson::Value& object, std::string_view key) {
  const rapidjson::Value* member = GetMember(object, key);
  const auto text = GetString(object, key);
  if (text.has_value() && (member == nullptr || !member->IsString())) std::abort();
  const Result<std::string_view> required = RequireString(object, key);
  if (text.has_value() != required.ok()) std::abort();
  if (required.ok() && *required != *text) std::abort();
  if (GetStringOrEmpty(object, key) != text.value_or("")) std::abort();
  const std::string id = GetId(object, key);
  if (text.has_value() && id != *text) std::abort();
  (void)GetInt64(object, key);
  if (GetDouble(&object, key) != GetDouble(object, key)) std::abort();
  if (GetBool(&object, key) != GetBool(object, key)) std::abort();
  const rapidjson::Value* child = GetObject(object, key);
  if (child != nullptr && child != member) std::abort();
  if (child != nullptr && !child->IsObject()) std::abort();
  const rapidjson::Value* array = GetArray(object, key);
  if (array != nullptr && !array->IsArray()) std::abort();
  if (GetArray(&object, key) != array || GetObject(&object, key) != child) std::abort();
  if (GetMember(&object, key) != member) std::abort();
}

// `value` written out: two documents are the same when these are (operator==
// is not, for an object with a key twice: it compares each member with the
// other's first of that name).
std::string Written(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

void ReadObject(const rapidjson::Value& object) {
  ReadMember(object, "id");
  ReadMember(object, "");
  if (!object.IsObject()) return;
  for (const auto& member : object.GetObject()) {
    ReadMember(object, std::string_view(member.name.GetString(), member.name.GetStringLength()));
  }
}

}  // namespace
}  // namespace salesaudit

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace salesaudit;
  rapidjson::Document doc;
  const Status status =
      ParseJson(std::string_view(reinterpret_cast<const char*>(data), size), &doc);
  // Parsed in place, the same bytes give the same status and document (the
  // writer recurses no deeper than the nesting cap).
  std::string text(reinterpret_cast<const char*>(data), size);
  rapidjson::Document in_place;
  if (ParseJsonInPlace(text, &in_place).ToString() != status.ToString()) std::abort();
  if (status.ok() && Written(in_place) != Written(doc)) std::abort();
  if (!status.ok()) {
    // json_reader.h: a cut-short body is retryable, anything else is data loss.
    if (status.code() != StatusCode::kUnavailable && status.code() != StatusCode::kDataLoss) {
      std::abort();
    }
    return 0;
  }
  ReadObject(doc);
  if (!doc.IsObject()) return 0;
  for (const auto& member : doc.GetObject()) {
    if (!member.value.IsArray()) continue;
    for (const auto& element : member.value.GetArray()) ReadObject(element);
  }
  return 0;
}

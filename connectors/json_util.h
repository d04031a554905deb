// Checked access to vendor JSON for connectors (RapidJSON). Vendors omit
// fields, send null for unset ones and occasionally change a type, so every
// accessor says "absent" instead of asserting. Pure functions; thread-safe on
// distinct documents.
//
//   rapidjson::Document doc;
//   if (Status s = ParseJson(response.body, &doc); !s.ok()) return s.WithContext(where);
//   const rapidjson::Value* results = GetArray(doc, "results");
//   if (results == nullptr) return Status::DataLoss(where + ": no results array");
//   for (const rapidjson::Value& item : results->GetArray()) {
//     Result<std::string_view> id = RequireString(item, "id");
//     std::optional<std::string_view> email = GetString(item, "email");  // may be null
//   }
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/status.h"

namespace salesaudit {

// Parses `text` into `doc`. A syntax error at the very end of the input means
// the body was cut short (a truncated transfer that got through): kUnavailable,
// retryable. Any other error is kDataLoss. Messages: "invalid JSON at offset
// N: <reason>".
Status ParseJson(std::string_view text, rapidjson::Document* doc);

// The member `key` of `object` when it is present and of the asked type;
// nullopt/nullptr when `object` is not an object, the member is absent or
// null, or it has another type. String views point into the document.
std::optional<std::string_view> GetString(const rapidjson::Value& object, std::string_view key);
std::optional<int64_t> GetInt64(const rapidjson::Value& object, std::string_view key);
std::optional<double> GetDouble(const rapidjson::Value& object, std::string_view key);
std::optional<bool> GetBool(const rapidjson::Value& object, std::string_view key);
const rapidjson::Value* GetObject(const rapidjson::Value& object, std::string_view key);
const rapidjson::Value* GetArray(const rapidjson::Value& object, std::string_view key);

// GetString for fields a record cannot do without (ids): kDataLoss
// "missing string field 'KEY'" when absent, null or not a string.
Result<std::string_view> RequireString(const rapidjson::Value& object, std::string_view key);

}  // namespace salesaudit

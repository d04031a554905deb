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

// Declarations only: the .cc files that walk a document include rapidjson/document.h.
#include <rapidjson/fwd.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/records.h"
#include "core/status.h"

namespace salesaudit {

// Parses `text` into `doc`, iteratively and only when it is nested no deeper
// than kMaxJsonDepth (core/json_limits.h), so no input can exhaust the stack
// here or in a later walk over `doc`. A syntax error at the very end of the input means
// the body was cut short (a truncated transfer that got through): kUnavailable,
// retryable. Any other error is kDataLoss. Messages: "invalid JSON at offset
// N: <reason>" or "JSON nested deeper than 128 levels at offset N".
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

// "a string", "a number", "an object", "an array", "a boolean" or "null":
// how messages name the JSON type a vendor sent.
const char* JsonTypeName(const rapidjson::Value& value);

// Reads the members of one vendor record for a mapping, telling a member of
// the wrong type from an absent one: a present, non-null member of another
// type than asked is reported as a ValueIssue naming the record and the key,
// and reads as absent (so it is stored as unknown, never silently).
// Threading: one record at a time, on one thread.
class RecordReader {
 public:
  RecordReader(RecordKind kind, std::vector<ValueIssue>& issues) : kind_(kind), issues_(issues) {}
  // The record's id, for the issues; `id` must outlive the reading.
  void set_id(std::string_view id) { id_ = id; }

  // The string member `key` of `object`; nullopt when absent, null or of
  // another type (reported). `property` names it in the issue (default `key`).
  std::optional<std::string_view> String(const rapidjson::Value& object, std::string_view key,
                                         std::string_view property = {});
  // The same, "" when there is none.
  std::string Text(const rapidjson::Value& object, std::string_view key);
  // The integer member `key`; nullopt when absent, null or not an integer (reported).
  std::optional<int64_t> Int64(const rapidjson::Value& object, std::string_view key);
  // The object member `key`; nullptr when absent, null or of another type (reported).
  const rapidjson::Value* Object(const rapidjson::Value& object, std::string_view key);
  // A time given as an ISO-8601 or epoch-ms string (ParseTimestampMs); one
  // that is no date is reported.
  TimeMs Time(const rapidjson::Value& object, std::string_view key);

  // Reports `property` of this record: `problem` says what was wrong and
  // what was stored instead.
  void Report(std::string_view property, std::string problem);

 private:
  RecordKind kind_;
  std::vector<ValueIssue>& issues_;
  std::string_view id_;
};

}  // namespace salesaudit

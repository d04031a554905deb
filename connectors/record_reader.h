// RecordReader: how a connector's mapping reads one vendor record, reporting
// each member of the wrong type as a ValueIssue (core/records.h). Parsing and
// the plain accessors are core/json_reader.h.
//
//   RecordReader record(RecordKind::kOwner, page.value_issues);
//   record.set_id(id);
//   std::optional<std::string_view> email = record.String(item, "email");
#pragma once

// Declarations only: the .cc files that walk a document include rapidjson/document.h.
#include <rapidjson/fwd.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/records.h"

namespace salesaudit {

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
  // The member `key` as an id's text: a string as sent, an integer in
  // decimal (Pipedrive's ids are numbers); "" when absent, null or of
  // another type (reported).
  std::string Id(const rapidjson::Value& object, std::string_view key);
  // The integer member `key`; nullopt when absent, null or not an integer (reported).
  std::optional<int64_t> Int64(const rapidjson::Value& object, std::string_view key);
  // The number member `key`; nullopt when absent, null or not a number (reported).
  std::optional<double> Number(const rapidjson::Value& object, std::string_view key);
  // The boolean member `key`; nullopt when absent, null or not a boolean (reported).
  std::optional<bool> Bool(const rapidjson::Value& object, std::string_view key);
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

// Writes one JSON document into a string: the single JSON writer of the
// project, so that no header names a JSON library and every writer escapes
// strings and refuses non-finite numbers the same way.
//
// Threading: one writer per thread; plain value type.
//
//   JsonWriter w;
//   w.StartObject();
//   w.Key("total");
//   w.Double(3.5);
//   w.EndObject();
//   std::string json = w.TakeString();
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/records.h"

namespace salesaudit {

class JsonWriter {
 public:
  JsonWriter();
  ~JsonWriter();
  JsonWriter(const JsonWriter&) = delete;
  JsonWriter& operator=(const JsonWriter&) = delete;

  void StartObject();
  void EndObject();
  void StartArray();
  void EndArray();
  void Key(std::string_view name);
  void String(std::string_view value);
  void Bool(bool value);
  void Null();
  void Int(int value);
  void Int64(int64_t value);
  void Uint64(uint64_t value);
  // A non-finite number has no JSON form: it is written as null, and the
  // first such place is kept for NonFinitePath().
  void Double(double value);
  // Text that already is one JSON value (checked by the caller), written as is.
  void RawValue(std::string_view json);

  // Null when absent (or not finite), else the value.
  void OptionalDouble(const std::optional<double>& value);
  // Null when absent, else the value.
  void OptionalInt64(const std::optional<int64_t>& value);
  // An optional count must not turn into a double ("5.0"): OptionalInt64.
  template <typename Other>
  void OptionalDouble(const std::optional<Other>& value) = delete;
  // Null when absent, else the string.
  void OptionalString(const std::string* value);
  void OptionalString(const std::optional<std::string>& value);
  // Null when absent, else ISO-8601 UTC with milliseconds.
  void Time(const TimeMs& value);

  // Whether the values written so far make one complete JSON document.
  bool IsComplete() const;
  // Where the first non-finite number was written as null ("revenue.total",
  // "reps[2].revenue"), for a writer that must refuse such a document.
  const std::optional<std::string>& NonFinitePath() const;
  // The document written; the writer is then empty (NonFinitePath() too) and
  // may start another.
  std::string TakeString();

 private:
  struct Impl;
  // Counts a value written into the array (if any) the writer is inside.
  void Written();
  std::unique_ptr<Impl> impl_;
};

}  // namespace salesaudit

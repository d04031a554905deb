// How audit/'s renderings write JSON: the writer they share, and the writes
// of a value that may be unknown, so that every rendering writes an unknown
// as null the same way. Included only by audit/*.cc (the public headers
// spell the writer's type out). Pure functions of the writer they are given.
#pragma once

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace salesaudit {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

// `key` whole, as an object key.
inline void WriteJsonKey(JsonWriter& w, std::string_view key) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
}

// `text` whole (a NUL byte in vendor text does not end it).
inline void WriteJsonString(JsonWriter& w, std::string_view text) {
  w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}

inline void WriteJsonString(JsonWriter& w, const char* key, std::string_view text) {
  w.Key(key);
  WriteJsonString(w, text);
}

inline void WriteStringOrNull(JsonWriter& w, const std::optional<std::string>& text) {
  if (text) {
    WriteJsonString(w, *text);
  } else {
    w.Null();
  }
}

inline void WriteNumberOrNull(JsonWriter& w, const std::optional<double>& value) {
  if (value) {
    w.Double(*value);
  } else {
    w.Null();
  }
}

inline void WriteNumberOrNull(JsonWriter& w, const std::optional<int64_t>& value) {
  if (value) {
    w.Int64(*value);
  } else {
    w.Null();
  }
}

inline void WriteNumberOrNull(JsonWriter& w, const char* key, const std::optional<double>& value) {
  w.Key(key);
  WriteNumberOrNull(w, value);
}

}  // namespace salesaudit

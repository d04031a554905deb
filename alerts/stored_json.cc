#include "alerts/stored_json.h"

#include <rapidjson/document.h>

#include "core/json_reader.h"
#include "core/json_writer.h"

namespace salesaudit {

std::string LabelSetToJson(const LabelSet& labels) {
  JsonWriter w;
  w.StartObject();
  for (const auto& [name, value] : labels) {
    w.Key(name);
    w.String(value);
  }
  w.EndObject();
  return w.TakeString();
}

LabelSet LabelSetFromJson(const std::string& json) {
  rapidjson::Document doc;
  LabelSet out;
  // Store text is outside data too: a damaged or planted row must not crash
  // a round, so it goes through ParseJson like vendor pages.
  if (!ParseJson(json, &doc).ok() || !doc.IsObject()) return out;
  for (const auto& m : doc.GetObject()) {
    if (!m.value.IsString()) continue;
    out.emplace(std::string(m.name.GetString(), m.name.GetStringLength()),
                std::string(m.value.GetString(), m.value.GetStringLength()));
  }
  return out;
}

std::string StringsToJson(const std::vector<std::string>& values) {
  JsonWriter w;
  w.StartArray();
  for (const std::string& v : values) w.String(v);
  w.EndArray();
  return w.TakeString();
}

std::vector<std::string> StringsFromJson(const std::string& json) {
  rapidjson::Document doc;
  std::vector<std::string> out;
  if (!ParseJson(json, &doc).ok() || !doc.IsArray()) return out;
  for (const auto& v : doc.GetArray()) {
    if (v.IsString()) out.emplace_back(v.GetString(), v.GetStringLength());
  }
  return out;
}

Silence SilenceFromRow(const SilenceRow& row) {
  Silence s{.id = row.id,
            .starts_at_ms = row.starts_at,
            .ends_at_ms = row.ends_at,
            .created_by = row.created_by,
            .comment = row.comment};
  for (const std::string& text : StringsFromJson(row.matchers_json)) {
    auto m = ParseMatcher(text);
    if (m.ok()) s.matchers.push_back(*m);
  }
  return s;
}

}  // namespace salesaudit

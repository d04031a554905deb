#include "connectors/connector.h"

#include <utility>

#include "core/duration.h"
#include "core/text_util.h"
#include "core/time_util.h"

namespace salesaudit {

std::string CursorIdText(std::string_view id) {
  constexpr size_t kMaxIdBytes = 64;
  std::string text = EscapeControlCharacters(id.substr(0, kMaxIdBytes));
  if (id.size() > kMaxIdBytes) text += "...";
  return text;
}

std::vector<std::string> ConfiguredStreams(const ConnectorConfig& config,
                                           const ConnectorDescriptor& type) {
  return config.streams.empty() ? type.StreamNames() : config.streams;
}

CursorDescription DescribeStoredCursor(const ConnectorDescriptor& type,
                                       const ConnectorConfig& config, const std::string& stream,
                                       const std::string& cursor, int64_t now_ms) {
  if (!type.describe_cursor) return CursorDescription{};
  return type.describe_cursor(config, stream, cursor, now_ms);
}

std::string CursorStateText(const CursorDescription& cursor, const std::string& stored) {
  using NextRead = CursorDescription::NextRead;
  // The message may quote the stored text: shown escaped, never obeyed.
  if (!cursor.unreadable.ok()) {
    return "cursor unreadable: " + EscapeControlCharacters(cursor.unreadable.message());
  }
  std::string text;
  bool parts_shown = false;
  if (stored.empty()) {
    // Never synced, or forgotten by `sync --full` (a run that failed before
    // its first page leaves it so, beside an older last success).
    text = "no cursor: the next run is a first read";
  } else if (cursor.changes_through) {
    text = "changes through " + FormatIsoMs(*cursor.changes_through);
  } else if (cursor.next_read == NextRead::kWhole) {
    text = "read whole each run";
  } else if (cursor.next_read == NextRead::kPerPart && !cursor.parts.empty()) {
    text = cursor.parts;
    parts_shown = true;
  } else {
    text = "first read not finished";
  }
  if (!parts_shown && !cursor.parts.empty() && !stored.empty()) text += ", " + cursor.parts;
  if (!cursor.resumes.empty()) text += "; resumes an interrupted run at " + cursor.resumes;
  return text;
}

std::string NextReadText(const CursorDescription& cursor, int64_t now_ms) {
  using NextRead = CursorDescription::NextRead;
  if (!cursor.unreadable.ok()) {
    return "cursor unreadable: " + EscapeControlCharacters(cursor.unreadable.message());
  }
  std::string text =
      cursor.resumes.empty() ? "" : "resumes an interrupted run at " + cursor.resumes + ", then ";
  const std::string lookback =
      cursor.lookback ? " (lookback " + FormatDuration(*cursor.lookback) + ")" : "";
  switch (cursor.next_read) {
    case NextRead::kEverything:
      return text + "a full read of every record";
    case NextRead::kWhole:
      return text + "the whole list, as every run does";
    case NextRead::kWindow:
      return text + "changes from " + FormatIsoMs(cursor.window_from.value_or(0)) + " to " +
             FormatIsoMs(cursor.window_to.value_or(now_ms)) + lookback;
    case NextRead::kPerPart:
      return text + "each part from its own position" + lookback + ": " + cursor.parts;
  }
  return text;
}

void ConnectorRegistry::Register(ConnectorDescriptor descriptor) {
  std::string type = descriptor.type;
  descriptors_.insert_or_assign(std::move(type), std::move(descriptor));
}

const ConnectorDescriptor* ConnectorRegistry::Find(const std::string& type) const {
  auto it = descriptors_.find(type);
  return it == descriptors_.end() ? nullptr : &it->second;
}

std::vector<const ConnectorDescriptor*> ConnectorRegistry::All() const {
  std::vector<const ConnectorDescriptor*> all;
  for (const auto& entry : descriptors_) all.push_back(&entry.second);
  return all;
}

ConnectorSchemas ConnectorRegistry::Schemas() const {
  ConnectorSchemas schemas;
  for (const auto& entry : descriptors_) schemas.push_back(&entry.second);
  return schemas;
}

}  // namespace salesaudit

#include "status/status_report.h"

#include <cstdio>
#include <limits>
#include <map>
#include <tuple>

#include "alerts/overview.h"
#include "connectors/connector.h"
#include "core/json_writer.h"
#include "core/secret_registry.h"
#include "core/text_util.h"
#include "core/time_util.h"

namespace salesaudit {

namespace {

// When the daemon runs the connector next: its poll_interval after its last
// run ended, which is when its last stream stored a success or an error.
// Unset when none of its streams ever ran (the daemon runs it at start).
TimeMs NextRunDue(const ConnectorConfig& config, const std::vector<std::string>& streams,
                  const std::map<std::pair<std::string, std::string>, const StreamState*>& states) {
  TimeMs last_run;
  for (const std::string& stream : streams) {
    auto it = states.find({config.name, stream});
    if (it == states.end()) continue;
    for (const TimeMs& t : {it->second->last_success_at, it->second->last_error_at}) {
      if (t && (!last_run || *t > *last_run)) last_run = t;
    }
  }
  if (!last_run) return std::nullopt;
  // Stored times are hostile data (a BI tool may write them): no overflow.
  const int64_t interval = config.poll_interval.count();
  if (*last_run > std::numeric_limits<int64_t>::max() - interval) return last_run;
  return *last_run + interval;
}

}  // namespace

Result<StatusReport> ReadStatusReport(const Config& config, Store& store, int64_t now_ms) {
  auto states = store.ListStreamStates();
  auto live = store.LatestSnapshot(SnapshotPurpose::kLive);
  auto one_off = store.LatestSnapshot(SnapshotPurpose::kOneOff);
  auto alerts = ReadAlertsOverview(store, now_ms);
  for (const Status* s : {&states.status(), &live.status(), &one_off.status(), &alerts.status()}) {
    if (!s->ok()) return *s;
  }
  std::map<std::pair<std::string, std::string>, const StreamState*> by_key;
  for (const auto& s : *states) by_key[{s.connector, s.stream}] = &s;
  auto iso = [](const TimeMs& t) { return t ? FormatIsoMs(*t) : std::string(); };

  JsonWriter w;
  std::string text;
  w.StartObject();
  w.Key("connectors");
  w.StartArray();
  for (const auto& c : config.connectors) {
    const auto* d = BuiltinConnectors().Find(c.type);
    // Every configured connector's type is known: the loader refuses others.
    const std::vector<std::string> streams = ConfiguredStreams(c, *d);
    const TimeMs next_run = NextRunDue(c, streams, by_key);
    w.StartObject();
    w.Key("name");
    w.String(c.name.c_str());
    w.Key("type");
    w.String(c.type.c_str());
    w.Key("next_run_due");
    next_run ? w.String(FormatIsoMs(*next_run).c_str()) : w.Null();
    w.Key("streams");
    w.StartArray();
    text += c.name + " (" + c.type + "): next run due " +
            (next_run && *next_run > now_ms ? FormatIsoMs(*next_run) : std::string("now")) + "\n";
    for (const auto& stream : streams) {
      auto it = by_key.find({c.name, stream});
      const StreamState* s = it == by_key.end() ? nullptr : it->second;
      // Errors are redacted as they are stored; this also covers rows an
      // older version stored, for every secret this process knows.
      const std::string last_error = s ? ProcessSecrets().Redact(s->last_error) : std::string();
      // The live rows of the records the stream yields, when its type says.
      int64_t rows = 0;
      if (const StreamSpec* spec = d != nullptr ? d->FindStream(stream) : nullptr) {
        auto n = store.CountRows(spec->records, c.name, false);
        rows = n.ok() ? *n : 0;
      }
      const std::string stored = s ? s->cursor : std::string();
      const CursorDescription cursor = DescribeStoredCursor(*d, c, stream, stored, now_ms);
      const std::string cursor_state = CursorStateText(cursor, stored);
      w.StartObject();
      w.Key("stream");
      w.String(stream.c_str());
      w.Key("cursor");
      !stored.empty() ? w.String(stored.c_str()) : w.Null();
      w.Key("cursor_time");
      cursor.changes_through ? w.String(FormatIsoMs(*cursor.changes_through).c_str()) : w.Null();
      w.Key("cursor_state");
      w.String(cursor_state.c_str());
      w.Key("resumes");
      w.OptionalString(cursor.resumes.empty() ? nullptr : &cursor.resumes);
      w.Key("cursor_error");
      cursor.unreadable.ok() ? w.Null() : w.String(cursor.unreadable.message().c_str());
      w.Key("last_success_at");
      s && s->last_success_at ? w.String(iso(s->last_success_at).c_str()) : w.Null();
      w.Key("last_error");
      w.OptionalString(last_error.empty() ? nullptr : &last_error);
      w.Key("last_error_at");
      s && s->last_error_at ? w.String(iso(s->last_error_at).c_str()) : w.Null();
      w.Key("rows");
      w.Int64(rows);
      w.EndObject();
      char line[256];
      snprintf(line, sizeof line, "  %-16s rows %-9lld last success %-25s", stream.c_str(),
               static_cast<long long>(rows),
               s && s->last_success_at ? iso(s->last_success_at).c_str() : "never");
      text += line;
      text += " " + cursor_state;
      // Vendor text on a terminal: shown escaped, never obeyed.
      if (!last_error.empty()) {
        text += " last error " + iso(s->last_error_at) + ": " + EscapeControlCharacters(last_error);
      }
      text += "\n";
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  // The live snapshot (the one the dashboard and the alert rules read), and
  // the latest one-off one (`salesaudit audit` by hand).
  for (const auto& [key, label, row] :
       {std::tuple{"snapshot", "live snapshot", &*live},
        std::tuple{"one_off_snapshot", "one-off snapshot", &*one_off}}) {
    w.Key(key);
    if (!*row) {
      w.Null();
      text += std::string(label) + ": none\n";
      continue;
    }
    w.StartObject();
    w.Key("id");
    w.Int64((*row)->id);
    w.Key("computed_at");
    w.String(FormatIsoMs((*row)->computed_at).c_str());
    w.Key("window_from");
    w.String(iso((*row)->window_from).c_str());
    w.Key("window_to");
    w.String(iso((*row)->window_to).c_str());
    w.EndObject();
    text += std::string(label) + ": #" + std::to_string((*row)->id) + " at " +
            FormatIsoMs((*row)->computed_at) + " (window " + iso((*row)->window_from) + " to " +
            iso((*row)->window_to) + ")\n";
  }
  w.Key("alerts");
  w.RawValue(AlertsOverviewJson(*alerts));
  text += AlertsOverviewText(*alerts);
  w.EndObject();
  return StatusReport{.json = w.TakeString(), .text = std::move(text)};
}

}  // namespace salesaudit

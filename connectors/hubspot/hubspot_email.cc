#include "connectors/hubspot/hubspot_email.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <map>
#include <utility>

#include "connectors/paging.h"
#include "connectors/record_reader.h"
#include "connectors/shared_options.h"
#include "core/json_reader.h"
#include "core/json_writer.h"
#include "core/time_util.h"

namespace salesaudit::hubspot {
namespace {

constexpr char kCampaignsStream[] = "email_campaigns";
constexpr char kEventsStream[] = "email_events";
constexpr int kCampaignsPageSize = 100;
constexpr int kEventsPageSize = 1000;  // tap-hubspot's page size, the API's cap
// API pages of events per committed Page. A commit rewrites about the same
// store pages (the recipients' and campaigns' counts, the ends of the
// B-trees) for 1,000 events as for 5,000: email_bench measured about 20% less
// client CPU per event with 5 than with 1 (at 19.7 instead of 17.8 MiB).
constexpr int kEventsApiPagesPerPage = 5;

// A STATUSCHANGE is an unsubscribe when it leaves the recipient unsubscribed
// from the portal or from any subscription type; a resubscribe is not.
bool IsUnsubscribe(const rapidjson::Value& event) {
  if (GetStringOrEmpty(event, "portalSubscriptionStatus") == "UNSUBSCRIBED") return true;
  if (const rapidjson::Value* subscriptions = GetArray(event, "subscriptions")) {
    for (const auto& s : subscriptions->GetArray()) {
      if (s.IsObject() && GetStringOrEmpty(s, "status") == "UNSUBSCRIBED") return true;
    }
  }
  return false;
}

// The canonical type of an event, "" for the ones not kept.
const char* CanonicalType(std::string_view type, const rapidjson::Value& event) {
  if (type == "SENT") return "sent";
  if (type == "DELIVERED") return "delivered";
  if (type == "OPEN") return "open";
  if (type == "CLICK") return "click";
  if (type == "BOUNCE") return "bounce";
  if (type == "SPAMREPORT") return "spam";
  if (type == "UNSUBSCRIBED") return "unsubscribe";
  if (type == "STATUSCHANGE" && IsUnsubscribe(event)) return "unsubscribe";
  return "";
}

// Reads the campaign listing, one page per Next(), and the detail of each
// campaign that may have changed: new ones, those whose lastUpdatedTime
// moved, and those not sent or sent within the activity window (their
// counters still grow). A portal with thousands of old campaigns would
// otherwise spend a request on each one every poll. The cursor remembers,
// per campaign, the lastUpdatedTime and send time of the detail stored, and
// the listing offset of the next page while a listing is in progress (a run
// stopped there resumes at it):
//   {"v":2,"known":{"<id>":[lastUpdatedTime, sent_at or 0],...},"offset":"..."}
class CampaignsReader : public StreamReader {
 public:
  CampaignsReader(HubSpotApi& api, const StreamRun& run) : api_(api), run_(run) {}

  struct Known {
    int64_t updated = 0;
    int64_t sent_at = 0;  // 0: not sent when last read
  };

  Status Load() {
    Status s = ParseCursor(run_.cursor, &known_, &offset_);
    return s.ok() ? s : s.WithContext(Context());
  }

  // The stored cursor `text` ("" = none) into `known` and `offset`.
  static Status ParseCursor(const std::string& text, std::map<std::string, Known>* known,
                            std::string* offset) {
    if (text.empty()) return Status::Ok();
    rapidjson::Document doc;
    if (!ParseJson(text, &doc).ok() || !doc.IsObject()) {
      return Status::DataLoss("stored cursor is not valid JSON; run `sync --full`");
    }
    // Version 1 cursors held nothing: every detail is read once more.
    if (const rapidjson::Value* entries = GetObject(doc, "known")) {
      for (const auto& m : entries->GetObject()) {
        if (!m.value.IsArray() || m.value.Size() != 2 || !m.value[0].IsInt64() ||
            !m.value[1].IsInt64()) {
          continue;
        }
        (*known)[m.name.GetString()] = {m.value[0].GetInt64(), m.value[1].GetInt64()};
      }
    }
    *offset = GetStringOrEmpty(doc, "offset");
    return Status::Ok();
  }

  Result<std::optional<Page>> Next() override {
    if (done_) return std::optional<Page>();
    std::string url = api_.base_url + "/email/public/v1/campaigns/by-id?limit=" +
                      std::to_string(kCampaignsPageSize);
    if (!offset_.empty()) url += "&offset=" + UrlEncode(offset_);
    auto answer = api_.Call(kCampaignsStream, {.method = "GET", .url = url});
    if (!answer.ok()) return answer.status();
    const rapidjson::Value& doc = *answer->doc;
    const rapidjson::Value* campaigns = GetArray(doc, "campaigns");
    if (campaigns == nullptr) return Error("campaign listing without a campaigns array");
    Page page;
    for (const auto& item : campaigns->GetArray()) {
      const std::string id = GetId(item, "id");
      if (id.empty()) return Error("campaign listing entry without an id");
      const int64_t updated = GetInt64(item, "lastUpdatedTime").value_or(0);
      if (!MayHaveChanged(id, updated)) continue;
      auto detail = api_.Call(
          kCampaignsStream,
          {.method = "GET", .url = api_.base_url + "/email/public/v1/campaigns/" + UrlEncode(id)});
      if (!detail.ok()) return detail.status();
      EmailCampaign campaign = MapEmailCampaign(*detail->doc, page.value_issues);
      known_[id] = {updated, campaign.sent_at.value_or(0)};
      page.campaigns.push_back(std::move(campaign));
    }
    // A cycling offset makes the cursor repeat, which the engine stops.
    const std::string next = GetStringOrEmpty(doc, "offset");
    if (GetBool(doc, "hasMore").value_or(false) && !next.empty()) {
      if (Status s = CheckPagingToken(next, Context()); !s.ok()) return s;
      offset_ = next;
    } else {
      offset_.clear();
      done_ = true;
    }
    page.cursor = Serialize();
    return std::optional<Page>(std::move(page));
  }

 private:
  bool MayHaveChanged(const std::string& id, int64_t updated) const {
    auto it = known_.find(id);
    if (it == known_.end() || it->second.updated != updated || it->second.sent_at == 0) {
      return true;
    }
    return it->second.sent_at >=
           run_.started_at_ms - api_.config.options.Duration(kEmailActivityWindowOption).count();
  }

  std::string Serialize() const {
    JsonWriter w;
    w.StartObject();
    w.Key("v");
    w.Int(2);
    w.Key("known");
    w.StartObject();
    for (const auto& [id, k] : known_) {
      w.Key(id);
      w.StartArray();
      w.Int64(k.updated);
      w.Int64(k.sent_at);
      w.EndArray();
    }
    w.EndObject();
    if (!offset_.empty()) {
      w.Key("offset");
      w.String(offset_);
    }
    w.EndObject();
    return w.TakeString();
  }

  std::string Context() const { return api_.Context(kCampaignsStream); }
  Status Error(const std::string& what) const { return Status::DataLoss(Context() + ": " + what); }

  HubSpotApi& api_;
  StreamRun run_;
  std::map<std::string, Known> known_;
  std::string offset_;
  bool done_ = false;
};

// Where email_events stands, serialised as its cursor. `since` is where the
// next window starts; `end` != 0 means the window [start, end] is in
// progress and `offset` is its next page ("" = its first).
struct EventsCursor {
  int64_t since = 0;
  int64_t start = 0;
  int64_t end = 0;
  std::string offset;

  std::string Serialize() const {
    JsonWriter w;
    w.StartObject();
    w.Key("v");
    w.Int(1);
    w.Key("since");
    w.Int64(since);
    if (end != 0) {
      w.Key("start");
      w.Int64(start);
      w.Key("end");
      w.Int64(end);
      w.Key("offset");
      w.String(offset.c_str());
    }
    w.EndObject();
    return w.TakeString();
  }

  static Result<EventsCursor> Parse(const std::string& text) {
    rapidjson::Document doc;
    if (!ParseJson(text, &doc).ok() || !doc.IsObject() || !GetInt64(doc, "since")) {
      return Status::DataLoss(
          "stored cursor is not a valid email events cursor; run `sync --full`");
    }
    EventsCursor c;
    c.since = *GetInt64(doc, "since");
    c.start = GetInt64(doc, "start").value_or(0);
    c.end = GetInt64(doc, "end").value_or(0);
    c.offset = GetStringOrEmpty(doc, "offset");
    return c;
  }
};

class EventsReader : public StreamReader {
 public:
  EventsReader(HubSpotApi& api, const StreamRun& run, EventsCursor cursor)
      : api_(api), run_(run), cursor_(std::move(cursor)) {}

  // Up to kEventsApiPagesPerPage API pages as one Page, whose cursor is the
  // last one's. A request that fails after some pages were read fails the
  // next call instead, once, so what was read is committed first; a call
  // after that (the engine's retry) sends the request again.
  Result<std::optional<Page>> Next() override {
    if (!deferred_error_.ok()) return std::exchange(deferred_error_, Status::Ok());
    std::optional<Page> page;
    for (int i = 0; i < kEventsApiPagesPerPage; ++i) {
      auto read = ReadApiPage();
      if (!read.ok()) {
        if (!page) return read.status();
        deferred_error_ = read.status();
        break;
      }
      if (!*read) break;
      if (!page) {
        page = std::move(*read);
        continue;
      }
      Page& more = **read;
      page->events.insert(page->events.end(), std::make_move_iterator(more.events.begin()),
                          std::make_move_iterator(more.events.end()));
      page->warnings.insert(page->warnings.end(), std::make_move_iterator(more.warnings.begin()),
                            std::make_move_iterator(more.warnings.end()));
      page->value_issues.insert(page->value_issues.end(),
                                std::make_move_iterator(more.value_issues.begin()),
                                std::make_move_iterator(more.value_issues.end()));
      page->cursor = std::move(more.cursor);
    }
    // HubSpot serves a window newest first, so the store's key (created:id)
    // would arrive descending; written ascending, the inserts walk the
    // B-tree forward. Stable: a repeated id keeps its order, the last wins.
    // A page without repeats in strictly descending order (nearly all) is
    // only reversed, which moves each event once rather than once per merge.
    if (page) {
      auto less = [](const EmailEvent& a, const EmailEvent& b) { return a.id < b.id; };
      auto not_descending = [](const EmailEvent& a, const EmailEvent& b) { return !(b.id < a.id); };
      std::vector<EmailEvent>& events = page->events;
      if (std::adjacent_find(events.begin(), events.end(), not_descending) == events.end()) {
        std::reverse(events.begin(), events.end());
      } else {
        std::stable_sort(events.begin(), events.end(), less);
      }
    }
    return page;
  }

 private:
  // One API page of events, nullopt when every window up to the run's start
  // has been read.
  Result<std::optional<Page>> ReadApiPage() {
    if (done_) return std::optional<Page>();
    EventsCursor next = cursor_;
    if (next.end == 0) {
      // A window may not reach past the run's start; a `since` beyond it
      // (our clock went back) waits for a later run.
      if (next.since > run_.started_at_ms) return std::optional<Page>();
      next.start = next.since;
      next.end = std::min(next.start + kEmailEventsWindow.count(), run_.started_at_ms);
      next.offset.clear();
    }
    std::string url =
        api_.base_url + "/email/public/v1/events?startTimestamp=" + std::to_string(next.start) +
        "&endTimestamp=" + std::to_string(next.end) + "&limit=" + std::to_string(kEventsPageSize);
    if (!next.offset.empty()) url += "&offset=" + UrlEncode(next.offset);
    auto answer = api_.Call(kEventsStream, {.method = "GET", .url = url});
    if (!answer.ok()) return answer.status();
    const rapidjson::Value& doc = *answer->doc;
    const rapidjson::Value* events = GetArray(doc, "events");
    if (events == nullptr) {
      return Status::DataLoss(Context() + ": response without an events array");
    }
    Page page;
    for (const auto& item : events->GetArray()) {
      if (auto event = MapEmailEvent(item, page.value_issues))
        page.events.push_back(std::move(*event));
    }
    // A cycling offset makes the cursor repeat, which the engine stops.
    const std::string offset = GetStringOrEmpty(doc, "offset");
    if (GetBool(doc, "hasMore").value_or(false) && !offset.empty()) {
      if (Status s = CheckPagingToken(offset, Context()); !s.ok()) return s;
      next.offset = offset;
    } else {
      // The next window starts where this one ended: whether the API's end
      // bound is inclusive is unconfirmed, and re-reading one millisecond
      // costs nothing under the (created, id) key.
      if (next.end >= run_.started_at_ms) done_ = true;
      next.since = next.end;
      next.start = 0;
      next.end = 0;
      next.offset.clear();
    }
    cursor_ = next;
    page.cursor = cursor_.Serialize();
    return std::optional<Page>(std::move(page));
  }

  std::string Context() const { return api_.Context(kEventsStream); }

  HubSpotApi& api_;
  StreamRun run_;
  EventsCursor cursor_;
  bool done_ = false;
  Status deferred_error_;
};

// The cursor a run of email_events starts from: the stored one, whose new
// window re-reads the lookback (events reach the API a little late), or for
// a first run `email_history` before its start.
Result<EventsCursor> StartingEventsCursor(const ConnectorConfig& config, const std::string& text,
                                          int64_t started_at_ms) {
  EventsCursor cursor;
  if (text.empty()) {
    cursor.since =
        std::max<int64_t>(0, started_at_ms - config.options.Duration(kEmailHistoryOption).count());
    return cursor;
  }
  auto parsed = EventsCursor::Parse(text);
  if (!parsed.ok()) return parsed.status();
  cursor = *parsed;
  if (cursor.end == 0) {
    cursor.since = std::max<int64_t>(0, LessLookback(cursor.since, config));
  }
  return cursor;
}

}  // namespace

bool IsEmailStream(const std::string& stream) {
  return stream == kCampaignsStream || stream == kEventsStream;
}

CursorDescription DescribeEmailCursor(const ConnectorConfig& config, const std::string& stream,
                                      const std::string& text, int64_t now_ms) {
  using NextRead = CursorDescription::NextRead;
  CursorDescription d;
  if (stream == kCampaignsStream) {
    // The listing is read whole each run; the cursor knows the details read.
    d.next_read = NextRead::kWhole;
    std::map<std::string, CampaignsReader::Known> known;
    std::string offset;
    if (Status s = CampaignsReader::ParseCursor(text, &known, &offset); !s.ok()) {
      d.unreadable = s;
      return d;
    }
    if (!text.empty()) d.parts = std::to_string(known.size()) + " campaign details kept";
    if (!offset.empty()) d.resumes = "the campaign listing, at a saved offset";
    return d;
  }
  auto cursor = StartingEventsCursor(config, text, now_ms);
  if (!cursor.ok()) {
    d.unreadable = cursor.status();
    return d;
  }
  d.next_read = NextRead::kWindow;
  if (!text.empty()) {
    // StartingEventsCursor moved `since` back by the lookback for the new window.
    d.changes_through = EventsCursor::Parse(text)->since;
    d.lookback = config.options.Duration(kLookbackOption);
  }
  if (cursor->end != 0) {
    d.window_from = cursor->start;
    d.resumes = "the window from " + FormatIsoMs(cursor->start) + " to " +
                FormatIsoMs(cursor->end) + (cursor->offset.empty() ? "" : ", at a saved page");
  } else {
    d.window_from = cursor->since;
  }
  return d;
}

Result<std::unique_ptr<StreamReader>> OpenEmailStream(HubSpotApi& api, const StreamRun& run) {
  if (run.stream == kCampaignsStream) {
    auto reader = std::make_unique<CampaignsReader>(api, run);
    if (Status s = reader->Load(); !s.ok()) return s;
    return std::unique_ptr<StreamReader>(std::move(reader));
  }
  auto cursor = StartingEventsCursor(api.config, run.cursor, run.started_at_ms);
  if (!cursor.ok()) return cursor.status().WithContext(api.Context(kEventsStream));
  return std::unique_ptr<StreamReader>(std::make_unique<EventsReader>(api, run, *cursor));
}

std::optional<EmailEvent> MapEmailEvent(const rapidjson::Value& event,
                                        std::vector<ValueIssue>& issues) {
  RecordReader record(RecordKind::kEmailEvent, issues);
  if (!event.IsObject()) {
    record.Report("event",
                  std::string("is ") + JsonTypeName(event) + ", not an object; event skipped");
    return std::nullopt;
  }
  const std::string id = GetId(event, "id");
  record.set_id(id);
  // Views into the parsed page: an event costs no copy beyond its record.
  const std::string_view type = CanonicalType(record.String(event, "type").value_or(""), event);
  if (type.empty()) return std::nullopt;
  const std::optional<int64_t> created = record.Int64(event, "created");
  if (id.empty() || !created) {
    record.Report(id.empty() ? "id" : "created", "is missing or unreadable; event skipped");
    return std::nullopt;
  }
  EmailEvent e;
  // HubSpot's own key is (id, created): a repeated open reuses the id. The
  // time comes first, zero-padded, so keys arrive in ascending order and each
  // page appends to the store's primary key instead of dirtying random pages
  // of it (4x less client CPU per event at 1M events).
  char created_text[24];
  std::snprintf(created_text, sizeof created_text, "%013lld", static_cast<long long>(*created));
  e.id.reserve(std::strlen(created_text) + 1 + id.size());
  e.id.append(created_text).append(1, ':').append(id);
  e.campaign_id = GetId(event, "emailCampaignId");
  e.email = record.String(event, "recipient").value_or("");
  e.type = type;
  e.occurred_at = *created;
  if (type == "click") e.url = record.Text(event, "url");
  e.machine = GetBool(event, "filteredEvent").value_or(false);
  return e;
}

EmailCampaign MapEmailCampaign(const rapidjson::Value& detail, std::vector<ValueIssue>& issues) {
  RecordReader record(RecordKind::kEmailCampaign, issues);
  EmailCampaign c;
  c.id = GetId(detail, "id");
  record.set_id(c.id);
  c.name = record.Text(detail, "name");
  c.subject = record.Text(detail, "subject");
  c.kind = record.Text(detail, "type");
  // When the send finished processing; absent or 0 for a campaign not sent
  // yet (public tap schemas and warehouse models read it as NULLIF(.., 0)).
  // Without it the send time stays unknown.
  if (auto finished = record.Int64(detail, "lastProcessingFinishedAt"); finished && *finished > 0) {
    c.sent_at = *finished;
  }
  // Totals of every event, repeats included: HubSpot reports no unique
  // counts here.
  if (const rapidjson::Value* counters = record.Object(detail, "counters")) {
    c.reported.sent = record.Int64(*counters, "sent");
    c.reported.delivered = record.Int64(*counters, "delivered");
    c.reported.opens = record.Int64(*counters, "open");
    c.reported.clicks = record.Int64(*counters, "click");
    c.reported.bounces = record.Int64(*counters, "bounce");
    c.reported.unsubscribes = record.Int64(*counters, "unsubscribed");
    c.reported.spam_reports = record.Int64(*counters, "spamreport");
  }
  return c;
}

}  // namespace salesaudit::hubspot

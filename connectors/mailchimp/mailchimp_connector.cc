#include "connectors/mailchimp/mailchimp_connector.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "connectors/classify.h"
#include "connectors/paging.h"
#include "connectors/record_reader.h"
#include "connectors/shared_options.h"
#include "core/duration.h"
#include "core/encoding.h"
#include "core/json_reader.h"
#include "core/json_writer.h"
#include "core/secret_registry.h"
#include "core/time_util.h"

namespace salesaudit {
namespace {

constexpr int kPageSize = 1000;  // the API's maximum `count`

// "2024-03-05T14:00:00+00:00": the campaigns filters' form.
std::string OffsetTime(int64_t ms) { return FormatIsoMs(ms).substr(0, 19) + "+00:00"; }

// "2024-03-05T14:00:00Z": whole seconds, the only `since` form email
// activity accepts without a 500 (docs/vendors/mailchimp.md "Timestamps").
std::string ZuluSeconds(int64_t ms) { return FormatIsoMs(ms).substr(0, 19) + "Z"; }

// total_items decides when paging ends (LastPage): one of another type must
// fail the run, not read as 0 and end paging with items unread.
Status CheckTotalItems(const rapidjson::Value& doc) {
  const rapidjson::Value* total = GetMember(doc, "total_items");  // null included
  if (total == nullptr || total->IsInt64()) return Status::Ok();
  return Status::DataLoss(std::string("total_items is ") + JsonTypeName(*total) +
                          ", not an integer: paging cannot go on");
}

// The data-center suffix of "<key>-<dc>", or "" when the key has none.
std::string DataCenter(const std::string& key) {
  const size_t dash = key.rfind('-');
  if (dash == std::string::npos || dash + 1 == key.size()) return "";
  std::string dc = key.substr(dash + 1);
  const bool valid = std::all_of(dc.begin(), dc.end(), [](unsigned char c) {
    return std::islower(c) != 0 || std::isdigit(c) != 0;
  });
  return valid ? dc : "";
}

class MailchimpContext {
 public:
  MailchimpContext(const ConnectorConfig& c, HttpClient& h, std::string base)
      : config(c), http(h), base_url(std::move(base)) {
    const std::string& api_key = config.auth.at("api_key");
    // Any user name does; the key is the password (docs/vendors/mailchimp.md
    // "Base URL and authentication").
    const std::string credentials = Base64Encode("salesaudit:" + api_key);
    authorization_ = "Basic " + credentials;
    // A vendor may quote the key or the header back in an error.
    ProcessSecrets().Add(api_key);
    ProcessSecrets().Add(credentials);
  }

  std::string Context(const std::string& stream) const {
    return "mailchimp[" + config.name + "]: " + stream;
  }

  // GETs `path_and_query` (relative to the base URL) and parses the JSON
  // answer; every failure is classified and names the stream, path and
  // status. `http_status` receives the status of an answer that came.
  Result<rapidjson::Document> Get(const std::string& stream, const std::string& path_and_query,
                                  long* http_status = nullptr) {
    const std::string context = Context(stream);
    HttpRequest request{.method = "GET", .url = base_url + path_and_query};
    request.headers.emplace_back("Accept", "application/json");
    request.headers.emplace_back("Authorization", authorization_);
    auto response = http.Send(request);
    if (!response.ok()) return response.status().WithContext(context);
    if (http_status != nullptr) *http_status = response->status;
    if (Status s = Classify(request, *response, context); !s.ok()) return s;
    rapidjson::Document doc;
    Status s = ParseJson(response->body, &doc);
    if (s.ok()) s = CheckTotalItems(doc);
    if (!s.ok()) return s.WithContext(context + ": GET " + UrlPath(request.url));
    return doc;
  }

  const ConnectorConfig& config;
  HttpClient& http;
  std::string base_url;

 private:
  // A refused key or a missing permission comes as problem+json; a 403
  // without one is the edge throttling a busy account (docs/vendors/mailchimp.md
  // "Rate limits and errors").
  Status Classify(const HttpRequest& request, const HttpResponse& response,
                  const std::string& context) const {
    Status status = ClassifyHttpResponse(request, response, context);
    if (response.status != 403) return status;
    rapidjson::Document body;
    const bool problem = ParseJson(response.body, &body).ok() && body.IsObject() &&
                         (GetString(body, "title") || GetString(body, "detail"));
    if (problem) return status;
    return Status::RateLimited(status.message() + " (a 403 without an error document: throttled)",
                               std::nullopt);
  }

  std::string authorization_;
};

// Paging over one collection: done when a page is empty or reaches
// total_items (docs/vendors/mailchimp.md "Paging and envelopes").
bool LastPage(const rapidjson::Value& doc, int64_t offset, size_t items) {
  const int64_t total = GetInt64(doc, "total_items").value_or(0);
  return items == 0 || offset + static_cast<int64_t>(items) >= total;
}

// The campaigns stream's stored position: the largest send time read
// (`since`), and while a listing is under way its next offset and the
// largest send time read in it.
struct CampaignsCursor {
  int64_t since = 0;
  int64_t offset = 0;
  int64_t max_seen = 0;

  static Result<CampaignsCursor> Parse(const std::string& text) {
    CampaignsCursor c;
    if (text.empty()) return c;
    rapidjson::Document doc;
    if (!ParseJson(text, &doc).ok() || !doc.IsObject()) {
      return Status::DataLoss("stored cursor is not valid JSON; run `sync --full`");
    }
    c.since = GetInt64(doc, "since").value_or(0);
    c.offset = GetInt64(doc, "offset").value_or(0);
    c.max_seen = GetInt64(doc, "max").value_or(0);
    return c;
  }
};

// The send time a run's campaign listing starts at, for a cursor at `since`
// (> 0). Campaigns turn `sent` when sending ends, after their send time: the
// lookback reads those that finished since the last run. Campaigns still in
// the activity window are read again, so their reported opens and clicks
// stay current.
int64_t ListingFrom(const ConnectorConfig& config, int64_t since, int64_t started_at_ms) {
  return std::max<int64_t>(
      0, std::min(LessLookback(since, config),
                  started_at_ms - config.options.Duration(kEmailActivityWindowOption).count()));
}

// Sent campaigns, oldest send first, from `since` (the largest send time
// read so far, never past a run's start). A run killed between pages resumes
// at `offset` under the same filter.
class CampaignsReader : public StreamReader {
 public:
  CampaignsReader(MailchimpContext& ctx, const StreamRun& run) : ctx_(ctx), run_(run) {}

  Status Load() {
    auto cursor = CampaignsCursor::Parse(run_.cursor);
    if (!cursor.ok()) return cursor.status();
    since_ = cursor->since;
    offset_ = cursor->offset;
    max_seen_ = cursor->max_seen;
    return Status::Ok();
  }

  Result<std::optional<Page>> Next() override {
    if (done_) return std::optional<Page>();
    std::string query = "/campaigns?count=" + std::to_string(kPageSize) +
                        "&offset=" + std::to_string(offset_) +
                        "&status=sent&sort_field=send_time&sort_dir=ASC";
    if (since_ > 0) {
      query += "&since_send_time=" +
               UrlEncode(OffsetTime(ListingFrom(ctx_.config, since_, run_.started_at_ms)));
    }
    auto doc = ctx_.Get("campaigns", query);
    if (!doc.ok()) return doc.status();
    const rapidjson::Value* items = GetArray(*doc, "campaigns");
    if (items == nullptr) {
      return Status::DataLoss(ctx_.Context("campaigns") + ": response without a campaigns array");
    }
    Page page;
    int64_t max_seen = max_seen_;
    for (const auto& item : items->GetArray()) {
      // A campaign without an id keeps an empty one: CheckPage drops it
      // with a warning rather than fail the page.
      RecordReader record(RecordKind::kEmailCampaign, page.value_issues);
      EmailCampaign c;
      c.id = record.Text(item, "id");
      record.set_id(c.id);
      if (const rapidjson::Value* settings = record.Object(item, "settings")) {
        c.name = record.Text(*settings, "title");
        c.subject = record.Text(*settings, "subject_line");
      }
      c.kind = record.Text(item, "type");
      c.sent_at = record.Time(item, "send_time");
      // The list gives no delivered, bounce or unsubscribe totals (those
      // need a report request per campaign), so they stay unknown.
      c.reported.sent = record.Int64(item, "emails_sent");
      if (const rapidjson::Value* summary = record.Object(item, "report_summary")) {
        c.reported.opens = record.Int64(*summary, "opens");
        c.reported.unique_opens = record.Int64(*summary, "unique_opens");
        c.reported.clicks = record.Int64(*summary, "clicks");
        c.reported.unique_clicks = record.Int64(*summary, "subscriber_clicks");
      }
      if (c.sent_at) max_seen = std::max(max_seen, *c.sent_at);
      page.campaigns.push_back(std::move(c));
    }
    if (LastPage(*doc, offset_, items->Size())) {
      since_ = std::min(std::max(since_, max_seen), run_.started_at_ms);
      offset_ = 0;
      max_seen_ = 0;
      done_ = true;
    } else {
      offset_ += items->Size();
      max_seen_ = max_seen;
    }
    page.cursor = Serialize();
    return std::optional<Page>(std::move(page));
  }

 private:
  std::string Serialize() const {
    JsonWriter w;
    w.StartObject();
    w.Key("v");
    w.Int(1);
    w.Key("since");
    w.Int64(since_);
    if (offset_ != 0) {
      w.Key("offset");
      w.Int64(offset_);
      w.Key("max");
      w.Int64(max_seen_);
    }
    w.EndObject();
    return w.TakeString();
  }

  MailchimpContext& ctx_;
  StreamRun run_;
  int64_t since_ = 0;
  int64_t offset_ = 0;
  int64_t max_seen_ = 0;
  bool done_ = false;
};

// What differs between the two per-parent streams.
enum class ChildKind {
  kActivity,  // parents: sent campaigns; children: email activity
  kMembers,   // parents: the lists sent campaigns went to; children: members
};

// A stream read parent by parent (campaign or list), each with its own
// cursor: the largest activity timestamp / member last_changed read, never
// past a run's start. The cursor is one JSON object:
//   {"v":1,"done":{"<parent>":ms,...},"current":{"id":..,"offset":..,"since":..,"max":..},
//    "last":"<parent>"}
// `current` is the parent being paged when the run stopped; the next run
// resumes it first, at its offset and under the same filter. `last` is the
// parent finished most recently; nothing reads it back, but with it each
// page's cursor names a new position (parents often finish with `done`
// unchanged), so a cursor that repeats means paging that cycles.
class ChildReader : public StreamReader {
 public:
  ChildReader(MailchimpContext& ctx, ChildKind kind, const StreamRun& run)
      : ctx_(ctx), kind_(kind), run_(run) {}

  Status Load() { return ParseCursor(run_.cursor, &done_, &current_); }

  // The stored cursor as `salesaudit status` and `sync --dry-run` tell it.
  static CursorDescription Describe(const ConnectorConfig& config, ChildKind kind,
                                    const std::string& text) {
    CursorDescription d;
    std::map<std::string, int64_t> done;
    Position current;
    if (Status s = ParseCursor(text, &done, &current); !s.ok()) {
      d.unreadable = s;
      return d;
    }
    if (text.empty()) return d;  // a first read of every parent
    d.next_read = CursorDescription::NextRead::kPerPart;
    d.lookback = config.options.Duration(kLookbackOption);
    const char* parents = kind == ChildKind::kActivity ? "campaigns" : "lists";
    d.parts = std::to_string(done.size()) + " " + parents + " read";
    if (!done.empty()) {
      const auto [oldest, newest] =
          std::minmax_element(done.begin(), done.end(),
                              [](const auto& a, const auto& b) { return a.second < b.second; });
      d.parts += ", through " + FormatIsoMs(oldest->second) + " (oldest) to " +
                 FormatIsoMs(newest->second) + " (newest)";
    }
    d.parts += std::string("; ") + parents + " not read yet are read whole";
    if (kind == ChildKind::kActivity) {
      d.parts += ", those sent before email_activity_window (" +
                 FormatDuration(config.options.Duration(kEmailActivityWindowOption)) +
                 ") not again";
    }
    if (!current.id.empty()) {
      d.resumes = std::string(kind == ChildKind::kActivity ? "campaign " : "list ") +
                  CursorIdText(current.id) + ", offset " + std::to_string(current.offset);
    }
    return d;
  }

  Result<std::optional<Page>> Next() override {
    if (!parents_loaded_) {
      if (Status s = LoadParents(); !s.ok()) return s;
    }
    if (current_.id.empty()) {
      if (queue_.empty()) return std::optional<Page>();
      StartParent(queue_.front());
      queue_.erase(queue_.begin());
    }
    return ReadPage();
  }

 private:
  struct Parent {
    std::string id;
    int64_t send_ms = 0;  // campaigns only
  };
  struct Position {
    std::string id;
    int64_t offset = 0;
    int64_t since = 0;  // 0: read everything
    int64_t max = 0;    // largest timestamp read so far in this parent
  };

  const char* Stream() const {
    return kind_ == ChildKind::kActivity ? "email_activity" : "members";
  }

  // The stored cursor `text` ("" = none) into `done` and `current`.
  static Status ParseCursor(const std::string& text, std::map<std::string, int64_t>* done,
                            Position* current) {
    if (text.empty()) return Status::Ok();
    rapidjson::Document doc;
    if (!ParseJson(text, &doc).ok() || !doc.IsObject()) {
      return Status::DataLoss("stored cursor is not valid JSON; run `sync --full`");
    }
    if (const rapidjson::Value* parents = GetObject(doc, "done")) {
      for (const auto& m : parents->GetObject()) {
        if (m.value.IsInt64()) (*done)[m.name.GetString()] = m.value.GetInt64();
      }
    }
    if (const rapidjson::Value* position = GetObject(doc, "current")) {
      current->id = GetStringOrEmpty(*position, "id");
      current->offset = GetInt64(*position, "offset").value_or(0);
      current->since = GetInt64(*position, "since").value_or(0);
      current->max = GetInt64(*position, "max").value_or(0);
    }
    return Status::Ok();
  }

  // Every sent campaign (paged in one go; nothing is kept unless all pages
  // came), then the parents this run reads, in a stable order.
  Status LoadParents() {
    std::vector<Parent> parents;
    std::set<std::string> campaigns;
    std::set<std::string> lists;
    // These pages never reach the cursor, so the engine cannot bound them.
    PagingGuard guard(ctx_.Context(Stream()) + ": campaign listing", ctx_.config.max_pages_per_run);
    for (int64_t offset = 0;;) {
      if (Status s = guard.Follow(offset == 0 ? "" : std::to_string(offset)); !s.ok()) return s;
      const std::string fields = kind_ == ChildKind::kActivity
                                     ? "campaigns.id,campaigns.send_time,total_items"
                                     : "campaigns.recipients.list_id,total_items";
      auto doc = ctx_.Get(
          Stream(),
          "/campaigns?count=" + std::to_string(kPageSize) + "&offset=" + std::to_string(offset) +
              "&status=sent&sort_field=send_time&sort_dir=ASC&fields=" + UrlEncode(fields));
      if (!doc.ok()) return doc.status();
      const rapidjson::Value* items = GetArray(*doc, "campaigns");
      if (items == nullptr) {
        return Status::DataLoss(ctx_.Context(Stream()) + ": response without a campaigns array");
      }
      for (const auto& item : items->GetArray()) {
        if (kind_ == ChildKind::kActivity) {
          auto id = RequireString(item, "id");
          if (!id.ok()) return id.status().WithContext(ctx_.Context(Stream()));
          // A campaign listed twice (the listing shifted under the offsets)
          // is read once.
          if (!campaigns.emplace(*id).second) continue;
          parents.push_back({std::string(*id),
                             ParseTimestampMs(GetStringOrEmpty(item, "send_time")).value_or(0)});
        } else if (const rapidjson::Value* recipients = GetObject(item, "recipients")) {
          const std::string list = GetStringOrEmpty(*recipients, "list_id");
          if (!list.empty()) lists.insert(list);
        }
      }
      if (LastPage(*doc, offset, items->Size())) break;
      offset += items->Size();
    }
    for (const std::string& list : lists) parents.push_back({list, 0});
    // Campaigns sent before the activity window are not polled again once
    // read (tap-mailchimp's email_activity_date_window): late opens are rare,
    // and re-polling every old campaign costs a request each per run.
    const int64_t window_start =
        run_.started_at_ms - ctx_.config.options.Duration(kEmailActivityWindowOption).count();
    for (const Parent& p : parents) {
      if (p.id == current_.id) continue;
      // Activity of old campaigns already read is not looked for again.
      const bool known = done_.count(p.id) != 0;
      if (kind_ == ChildKind::kActivity && known && p.send_ms < window_start) continue;
      queue_.push_back(p);
    }
    parents_loaded_ = true;
    return Status::Ok();
  }

  void StartParent(const Parent& p) {
    current_ = Position{.id = p.id};
    auto it = done_.find(p.id);
    if (it != done_.end() && it->second > 0) {
      // Late-visible activity and member changes: re-read a lookback.
      current_.since = std::max<int64_t>(1000, LessLookback(it->second, ctx_.config));
    }
  }

  std::string PageQuery() const {
    const std::string paging =
        "?count=" + std::to_string(kPageSize) + "&offset=" + std::to_string(current_.offset);
    if (kind_ == ChildKind::kActivity) {
      std::string q = "/reports/" + UrlEncode(current_.id) + "/email-activity" + paging;
      if (current_.since > 0) q += "&since=" + UrlEncode(ZuluSeconds(current_.since));
      return q;
    }
    std::string q = "/lists/" + UrlEncode(current_.id) + "/members" + paging;
    if (current_.since > 0) q += "&since_last_changed=" + UrlEncode(OffsetTime(current_.since));
    return q;
  }

  Result<std::optional<Page>> ReadPage() {
    long http_status = 0;
    auto doc = ctx_.Get(Stream(), PageQuery(), &http_status);
    Page page;
    if (!doc.ok() && http_status == 404) {
      // Deleted between the listing and now: nothing more to read there.
      page.warnings.push_back(ctx_.Context(Stream()) + ": " + current_.id +
                              " is gone (HTTP 404); skipped");
      done_.erase(current_.id);
      last_ = std::move(current_.id);
      current_ = Position{};
      page.cursor = Serialize();
      return std::optional<Page>(std::move(page));
    }
    if (!doc.ok()) return doc.status();
    int64_t max = current_.max;
    size_t items = 0;
    if (Status s = kind_ == ChildKind::kActivity ? MapActivity(*doc, page, max, items)
                                                 : MapMembers(*doc, page, max, items);
        !s.ok()) {
      return s;
    }
    if (LastPage(*doc, current_.offset, items)) {
      auto prior = done_.find(current_.id);
      int64_t mark = std::max(max, prior != done_.end() ? prior->second : 0);
      // Nothing read and nothing before: the next run reads from this one.
      if (mark == 0) mark = run_.started_at_ms;
      done_[current_.id] = std::min(mark, run_.started_at_ms);
      last_ = std::move(current_.id);
      current_ = Position{};
    } else {
      current_.offset += static_cast<int64_t>(items);
      current_.max = max;
    }
    page.cursor = Serialize();
    return std::optional<Page>(std::move(page));
  }

  // One EmailEvent per activity entry. Mailchimp's activity entries carry
  // no flag for Apple Mail privacy prefetch or scanner opens (reference
  // 2.4 names none), so `machine` stays false for them.
  Status MapActivity(const rapidjson::Value& doc, Page& page, int64_t& max, size_t& items) {
    const rapidjson::Value* emails = GetArray(doc, "emails");
    if (emails == nullptr) {
      return Status::DataLoss(ctx_.Context(Stream()) + ": response without an emails array");
    }
    items = emails->Size();
    for (const auto& recipient : emails->GetArray()) {
      RecordReader record(RecordKind::kEmailEvent, page.value_issues);
      const std::string email_id = record.Text(recipient, "email_id");
      const std::string email = record.Text(recipient, "email_address");
      const rapidjson::Value* activity = GetArray(recipient, "activity");
      if (activity == nullptr) continue;
      for (const auto& entry : activity->GetArray()) {
        record.set_id({});  // the previous entry's id moved into its event
        const std::string action = record.Text(entry, "action");
        const std::string timestamp = record.Text(entry, "timestamp");
        if (action != "open" && action != "click" && action != "bounce") {
          page.warnings.push_back("campaign " + current_.id + ": activity '" + action + "' of " +
                                  email_id + " is not an event type; skipped");
          continue;
        }
        EmailEvent e;
        // Stable across re-reads, so the lookback and resumed pages upsert.
        e.id = current_.id + ":" + email_id + ":" + action + ":" + timestamp;
        record.set_id(e.id);
        e.campaign_id = current_.id;
        e.email = email;
        e.type = action;
        e.occurred_at = record.Time(entry, "timestamp");
        if (e.occurred_at) max = std::max(max, *e.occurred_at);
        if (action == "click") e.url = record.Text(entry, "url");
        page.events.push_back(std::move(e));
      }
    }
    return Status::Ok();
  }

  // Members keyed by the member id (the MD5 of the address, the same in
  // every list; a person in several lists is one row, as of the latest
  // change). They are an audience, not leads: the store keeps them apart
  // from the CRM's contacts.
  Status MapMembers(const rapidjson::Value& doc, Page& page, int64_t& max, size_t& items) {
    const rapidjson::Value* members = GetArray(doc, "members");
    if (members == nullptr) {
      return Status::DataLoss(ctx_.Context(Stream()) + ": response without a members array");
    }
    items = members->Size();
    for (const auto& m : members->GetArray()) {
      // A member without an id keeps an empty one: CheckPage drops it with
      // a warning rather than fail the page.
      RecordReader record(RecordKind::kEmailMember, page.value_issues);
      EmailMember member;
      member.id = record.Text(m, "id");
      record.set_id(member.id);
      member.email = record.Text(m, "email_address");
      if (const rapidjson::Value* merge = record.Object(m, "merge_fields")) {
        member.first_name = record.Text(*merge, "FNAME");
        member.last_name = record.Text(*merge, "LNAME");
      }
      member.status = record.Text(m, "status");
      // Opt-in is when the person became reachable; sign-up when opt-in
      // was not recorded.
      member.opted_in_at = record.Time(m, "timestamp_opt");
      if (!member.opted_in_at) member.opted_in_at = record.Time(m, "timestamp_signup");
      member.updated_at = record.Time(m, "last_changed");
      if (member.updated_at) max = std::max(max, *member.updated_at);
      page.members.push_back(std::move(member));
    }
    return Status::Ok();
  }

  std::string Serialize() const {
    JsonWriter w;
    w.StartObject();
    w.Key("v");
    w.Int(1);
    w.Key("done");
    w.StartObject();
    for (const auto& [id, ms] : done_) {
      w.Key(id);
      w.Int64(ms);
    }
    w.EndObject();
    if (!current_.id.empty()) {
      w.Key("current");
      w.StartObject();
      w.Key("id");
      w.String(current_.id);
      w.Key("offset");
      w.Int64(current_.offset);
      w.Key("since");
      w.Int64(current_.since);
      w.Key("max");
      w.Int64(current_.max);
      w.EndObject();
    }
    if (!last_.empty()) {
      w.Key("last");
      w.String(last_);
    }
    w.EndObject();
    return w.TakeString();
  }

  MailchimpContext& ctx_;
  ChildKind kind_;
  StreamRun run_;
  std::map<std::string, int64_t> done_;
  Position current_;
  std::string last_;  // the parent finished most recently in this run
  std::vector<Parent> queue_;
  bool parents_loaded_ = false;
};

class MailchimpConnector : public Connector {
 public:
  MailchimpConnector(const ConnectorConfig& config, HttpClient& http, std::string base_url)
      : ctx_(config, http, std::move(base_url)) {}

  Result<std::unique_ptr<StreamReader>> OpenStream(const StreamRun& run) override {
    if (run.stream == "campaigns") {
      auto reader = std::make_unique<CampaignsReader>(ctx_, run);
      if (Status s = reader->Load(); !s.ok()) return s.WithContext(ctx_.Context(run.stream));
      return std::unique_ptr<StreamReader>(std::move(reader));
    }
    if (run.stream == "email_activity" || run.stream == "members") {
      auto reader = std::make_unique<ChildReader>(
          ctx_, run.stream == "members" ? ChildKind::kMembers : ChildKind::kActivity, run);
      if (Status s = reader->Load(); !s.ok()) return s.WithContext(ctx_.Context(run.stream));
      return std::unique_ptr<StreamReader>(std::move(reader));
    }
    return Status::InvalidArgument(ctx_.Context(run.stream) + ": no such stream");
  }

 private:
  MailchimpContext ctx_;
};

}  // namespace

void RegisterMailchimpConnector(ConnectorRegistry& registry) {
  ConnectorDescriptor d;
  d.type = "mailchimp";
  d.description =
      "Mailchimp Marketing API v3: sent campaigns, per-recipient email activity, list members";
  d.default_base_url = "https://<dc>.api.mailchimp.com/3.0";
  d.streams = {{"campaigns", RecordKind::kEmailCampaign},
               {"email_activity", RecordKind::kEmailEvent},
               {"members", RecordKind::kEmailMember}};
  d.auth_keys = {"api_key"};
  d.auth_required = {{"api_key"}};
  d.options = {kLookbackOption, kEmailActivityWindowOption};
  // Mailchimp has no request-rate quota, only the 10-connection limit, which
  // one connector's sequential requests never reach (docs/vendors/mailchimp.md
  // "Rate limits and errors").
  d.default_rate_limit = RateLimit{};
  d.describe_cursor = [](const ConnectorConfig& config, const std::string& stream,
                         const std::string& cursor, int64_t now_ms) {
    if (stream == "email_activity" || stream == "members") {
      return ChildReader::Describe(
          config, stream == "members" ? ChildKind::kMembers : ChildKind::kActivity, cursor);
    }
    CursorDescription d;
    auto parsed = CampaignsCursor::Parse(cursor);
    if (!parsed.ok()) {
      d.unreadable = parsed.status();
      return d;
    }
    if (parsed->since > 0) {
      d.next_read = CursorDescription::NextRead::kWindow;
      d.changes_through = parsed->since;  // the latest send time read
      d.window_from = ListingFrom(config, parsed->since, now_ms);
      d.lookback = config.options.Duration(kLookbackOption);
    }
    if (parsed->offset != 0) {
      d.resumes = "the campaign listing, offset " + std::to_string(parsed->offset);
    }
    return d;
  };
  d.create = [](const ConnectorConfig& config,
                HttpClient& http) -> Result<std::unique_ptr<Connector>> {
    auto key = config.auth.find("api_key");
    if (key == config.auth.end() || key->second.empty()) {
      return Status::InvalidArgument("mailchimp[" + config.name + "]: auth.api_key is not set");
    }
    std::string base_url = config.base_url;
    if (base_url.empty()) {
      const std::string dc = DataCenter(key->second);
      if (dc.empty()) {
        return Status::InvalidArgument(
            "mailchimp[" + config.name +
            "]: auth.api_key has no data-center suffix ('<key>-<dc>', e.g. ...-us19) and no "
            "base_url is set");
      }
      base_url = "https://" + dc + ".api.mailchimp.com/3.0";
    }
    while (!base_url.empty() && base_url.back() == '/') base_url.pop_back();
    return std::unique_ptr<Connector>(
        std::make_unique<MailchimpConnector>(config, http, std::move(base_url)));
  };
  registry.Register(std::move(d));
}

}  // namespace salesaudit

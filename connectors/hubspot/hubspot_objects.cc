#include "connectors/hubspot/hubspot_objects.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <set>

#include "connectors/hubspot/hubspot_connector.h"
#include "connectors/hubspot/hubspot_mapping.h"
#include "connectors/paging.h"
#include "connectors/record_reader.h"
#include "connectors/shared_options.h"
#include "core/json_reader.h"
#include "core/json_writer.h"
#include "core/time_util.h"

namespace salesaudit::hubspot {
namespace {

// HubSpot ids are decimal numbers in strings: compare them as numbers.
bool NumericIdLess(const std::string& a, const std::string& b) {
  return a.size() != b.size() ? a.size() < b.size() : a < b;
}

// An id HubSpot could have made (at most 19 digits, an int64); anything else
// is a value the page check drops, and must neither be asked about nor move
// a keyset position.
bool IsHubSpotId(const std::string& id) {
  return !id.empty() && id.size() <= 19 &&
         std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; });
}

constexpr int kListPageSize = 100;    // list endpoints: max 100 per page
constexpr int kSearchPageSize = 200;  // search: max 200 per page
constexpr int kOwnersPageSize = 500;  // owners: max 500 per page
constexpr size_t kAssociationBatch = 100;

// Where a contacts or deals stream stands between pages, serialised as the
// stream cursor.
//
// Full mode pages through the list endpoint from `after`; once done, the
// stream becomes incremental from `full_started` (so changes made during the
// full scan are read by the next run).
//
// Incremental mode reads the window [since - lookback, upper] of the modified
// date through search, sorted by hs_object_id and paged by `hs_object_id >
// last_id` rather than by offset: keyset paging never meets the 10,000-result
// cap and never loops, however many records share one timestamp (the pattern
// of docs/vendors/hubspot.md "Search"). `upper` is the run's start time, so the cursor never
// passes the sync's start; a run killed mid-window resumes the same window at
// last_id. The lookback re-reads changes that reached the search index late.
//
// Either mode also carries the deletion rescan's state: when the archived
// listing was last read whole, and where a rescan in progress stands.
struct ObjectCursor {
  bool full = true;
  std::string after;
  int64_t full_started = 0;
  int64_t since = 0;
  int64_t upper = 0;  // 0: no window in progress
  std::string last_id;
  int64_t archived_scanned_at = 0;
  std::string archived_after;

  std::string Serialize() const {
    JsonWriter w;
    w.StartObject();
    w.Key("v");
    w.Int(1);
    w.Key("mode");
    w.String(full ? "full" : "incremental");
    if (full) {
      w.Key("after");
      w.String(after.c_str());
      w.Key("full_started");
      w.Int64(full_started);
    } else {
      w.Key("since");
      w.Int64(since);
      if (upper != 0) {
        w.Key("upper");
        w.Int64(upper);
        w.Key("last_id");
        w.String(last_id.c_str());
      }
    }
    w.Key("archived_scanned_at");
    w.Int64(archived_scanned_at);
    if (!archived_after.empty()) {
      w.Key("archived_after");
      w.String(archived_after.c_str());
    }
    w.EndObject();
    return w.TakeString();
  }

  static Result<ObjectCursor> Parse(const std::string& text) {
    rapidjson::Document doc;
    if (!ParseJson(text, &doc).ok() || !doc.IsObject()) {
      return Status::DataLoss("stored cursor is not valid JSON; run `sync --full`");
    }
    ObjectCursor c;
    std::string mode = GetStringOrEmpty(doc, "mode");
    if (mode == "full") {
      c.full = true;
      c.after = GetStringOrEmpty(doc, "after");
      c.full_started = GetInt64(doc, "full_started").value_or(0);
    } else if (mode == "incremental") {
      c.full = false;
      c.since = GetInt64(doc, "since").value_or(0);
      c.upper = GetInt64(doc, "upper").value_or(0);
      c.last_id = GetStringOrEmpty(doc, "last_id");
    } else {
      // Stored data is hostile: the mode is quoted escaped and bounded.
      return Status::DataLoss("stored cursor has unknown mode '" + CursorIdText(mode) +
                              "'; run `sync --full`");
    }
    c.archived_scanned_at = GetInt64(doc, "archived_scanned_at").value_or(0);
    c.archived_after = GetStringOrEmpty(doc, "archived_after");
    return c;
  }
};

// The start of the window an incremental run reads: the lookback before
// where the last window ended.
int64_t WindowStart(const ObjectCursor& cursor, const ConnectorConfig& config) {
  return std::max<int64_t>(0, LessLookback(cursor.since, config));
}

// What differs between the contacts and deals streams.
struct ObjectType {
  const char* name;           // "contacts" / "deals"
  const char* modified_prop;  // contacts: lastmodifieddate; deals: hs_lastmodifieddate
  RecordKind kind;
  bool associations;  // read deal->contact associations for each page
};

constexpr ObjectType kContacts{"contacts", "lastmodifieddate", RecordKind::kContact, false};
constexpr ObjectType kDeals{"deals", "hs_lastmodifieddate", RecordKind::kDeal, true};

// Reads a contacts or deals stream: list (full) or search (incremental),
// then the archived listing.
class ObjectReader : public StreamReader {
 public:
  ObjectReader(HubSpotApi& api, const ObjectType& type, const StreamRun& run, ObjectCursor cursor)
      : api_(api), type_(type), run_(run), cursor_(std::move(cursor)) {
    if (!cursor_.full && cursor_.upper == 0) {
      cursor_.upper = run.started_at_ms;
    }
    phase_ = cursor_.full ? Phase::kList : Phase::kSearch;
  }

  Result<std::optional<Page>> Next() override {
    switch (phase_) {
      case Phase::kList:
        return ListPage();
      case Phase::kSearch:
        return SearchPage();
      case Phase::kArchived:
        return ArchivedPage();
      case Phase::kDone:
        return std::optional<Page>();
    }
    return std::optional<Page>();
  }

 private:
  enum class Phase { kList, kSearch, kArchived, kDone };

  const std::vector<std::string>& Properties() {
    if (properties_.empty()) {
      properties_ = type_.kind == RecordKind::kContact ? api_.fields.ContactProperties()
                                                       : api_.fields.DealProperties();
    }
    return properties_;
  }

  std::string ListUrl(const std::string& after, bool archived) {
    std::string url = api_.base_url + "/crm/v3/objects/" + type_.name +
                      "?limit=" + std::to_string(kListPageSize) +
                      "&properties=" + UrlEncode(Join(Properties(), ",")) +
                      "&archived=" + (archived ? "true" : "false");
    if (!after.empty()) url += "&after=" + UrlEncode(after);
    return url;
  }

  // Maps `results` into the page; the ids in page order go to `ids`.
  Status MapResults(const rapidjson::Value& doc, Page& page, std::vector<std::string>& ids) {
    const rapidjson::Value* results = GetArray(doc, "results");
    if (results == nullptr) {
      return Status::DataLoss(api_.Context(type_.name) + ": response without a results array");
    }
    for (const auto& item : results->GetArray()) {
      if (type_.kind == RecordKind::kContact) {
        page.contacts.push_back(hubspot::MapContact(item, api_.fields, page.value_issues));
        ids.push_back(page.contacts.back().id);
        AddMergedAway(item, page);
      } else {
        page.deals.push_back(hubspot::MapDeal(item, api_.fields, page.value_issues));
        ids.push_back(page.deals.back().id);
      }
    }
    return Status::Ok();
  }

  // A merge leaves one contact; the ids merged into it vanish from every
  // endpoint (neither listed nor archived) and are named only in the
  // survivor's hs_merged_object_ids, ";"-separated.
  void AddMergedAway(const rapidjson::Value& item, Page& page) {
    const rapidjson::Value* properties = GetObject(item, "properties");
    auto merged = properties ? GetString(*properties, "hs_merged_object_ids") : std::nullopt;
    if (!merged) return;
    size_t begin = 0;
    while (begin <= merged->size()) {
      size_t end = merged->find(';', begin);
      if (end == std::string_view::npos) end = merged->size();
      std::string id(merged->substr(begin, end - begin));
      if (!id.empty() && id != page.contacts.back().id) {
        page.deletions.push_back(Deletion{RecordKind::kContact, std::move(id), run_.started_at_ms,
                                          page.contacts.back().id});
      }
      begin = end + 1;
    }
  }

  // Search returns no associations (docs/vendors/hubspot.md "Search") and list
  // returns only a first page of them, so both read them through the v4 batch
  // API ("Associations"),
  // which pages each deal's contacts (`paging.next.after` per result) where
  // v3 silently stops at 100. A deal without contacts comes back as a 207
  // error NO_ASSOCIATIONS_FOUND. Only deals whose whole list was read (or
  // that have none) get contact_ids; any other per-deal error leaves the
  // stored links as they are.
  Status AttachAssociations(Page& page) {
    if (!type_.associations || page.deals.empty()) return Status::Ok();
    struct Pending {
      std::string deal_id;
      std::string after;
    };
    std::vector<Pending> queue;
    std::set<std::string> queued;
    for (const auto& deal : page.deals) {
      if (IsHubSpotId(deal.id) && queued.insert(deal.id).second) queue.push_back({deal.id, ""});
    }
    std::map<std::string, std::vector<std::string>> found;
    std::set<std::string> complete;
    // These tokens never reach the cursor, so the engine cannot see them loop.
    PagingGuard guard(api_.Context(type_.name) + ": associations", api_.config.max_pages_per_run);
    while (!queue.empty()) {
      const size_t n = std::min(queue.size(), kAssociationBatch);
      std::vector<Pending> batch(queue.begin(), queue.begin() + static_cast<std::ptrdiff_t>(n));
      queue.erase(queue.begin(), queue.begin() + static_cast<std::ptrdiff_t>(n));
      JsonWriter w;
      w.StartObject();
      w.Key("inputs");
      w.StartArray();
      for (const auto& p : batch) {
        if (Status s = guard.Follow(p.after, "deal " + p.deal_id); !s.ok()) return s;
        w.StartObject();
        w.Key("id");
        w.String(p.deal_id.c_str());
        if (!p.after.empty()) {
          w.Key("after");
          w.String(p.after.c_str());
        }
        w.EndObject();
      }
      w.EndArray();
      w.EndObject();
      HttpRequest req{.method = "POST",
                      .url = api_.base_url + (api_.associations_v3 ? "/crm/v3" : "/crm/v4") +
                             "/associations/deals/contacts/batch/read",
                      .body = w.TakeString()};
      long http_status = 0;
      auto answer = api_.Call(type_.name, req, &http_status);
      if (!answer.ok() && http_status == 404 && !api_.associations_v3) {
        // v3 has no paging: at most 100 contacts per deal come back.
        api_.associations_v3 = true;
        page.warnings.push_back(
            "the v4 associations API is not available; using v3, which returns at most 100 "
            "contacts per deal");
        req.url = api_.base_url + "/crm/v3/associations/deals/contacts/batch/read";
        answer = api_.Call(type_.name, req);
      }
      if (!answer.ok()) return answer.status();
      const rapidjson::Value& doc = *answer->doc;
      const rapidjson::Value* results = GetArray(doc, "results");
      if (results == nullptr) {
        return Status::DataLoss(api_.Context(type_.name) +
                                ": associations response without a results array");
      }
      for (const auto& row : results->GetArray()) {
        const rapidjson::Value* from = GetObject(row, "from");
        const rapidjson::Value* to = GetArray(row, "to");
        if (from == nullptr) continue;
        const std::string deal_id = GetId(*from, "id");
        auto& contacts = found[deal_id];
        if (to != nullptr) {
          for (const auto& target : to->GetArray()) {
            std::string id = GetId(target, "toObjectId");
            if (id.empty()) id = GetId(target, "id");  // the v3 shape
            if (!id.empty()) contacts.push_back(std::move(id));
          }
        }
        std::string after = NextAfter(row);  // checked by the guard when followed
        if (after.empty()) {
          complete.insert(deal_id);
        } else {
          queue.push_back({deal_id, std::move(after)});
        }
      }
      if (const rapidjson::Value* errors = GetArray(doc, "errors")) {
        for (const auto& error : errors->GetArray()) {
          if (GetStringOrEmpty(error, "subCategory") != "crm.associations.NO_ASSOCIATIONS_FOUND") {
            continue;
          }
          const rapidjson::Value* ids = GetArray(GetObject(error, "context"), "fromObjectId");
          if (ids == nullptr) continue;
          for (const auto& id : ids->GetArray()) {
            if (id.IsString()) complete.insert(id.GetString());
          }
        }
      }
    }
    for (auto& deal : page.deals) {
      if (!IsHubSpotId(deal.id)) continue;  // the page check drops it, naming it
      if (complete.count(deal.id) == 0) {
        page.warnings.push_back("deal " + deal.id +
                                ": associations not returned; keeping the stored ones");
        continue;
      }
      std::vector<std::string>& ids = found[deal.id];
      std::sort(ids.begin(), ids.end());
      ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
      deal.contact_ids = std::move(ids);
    }
    return Status::Ok();
  }

  // One request's results as a page of this stream, with the ids in page
  // order; `answer` keeps the response for its paging fields.
  Result<Page> ReadPage(HttpRequest request, bool with_associations, HubSpotAnswer& answer,
                        std::vector<std::string>& ids) {
    auto response = api_.Call(type_.name, std::move(request));
    if (!response.ok()) return response.status();
    answer = std::move(response).value();
    Page page;
    if (Status s = MapResults(*answer.doc, page, ids); !s.ok()) return s;
    if (with_associations) {
      if (Status s = AttachAssociations(page); !s.ok()) return s;
    }
    return page;
  }

  Result<std::optional<Page>> ListPage() {
    if (cursor_.full_started == 0) cursor_.full_started = run_.started_at_ms;
    HubSpotAnswer answer;
    std::vector<std::string> ids;
    auto page = ReadPage({.method = "GET", .url = ListUrl(cursor_.after, false)},
                         /*with_associations=*/true, answer, ids);
    if (!page.ok()) return page.status();
    auto after = FollowedAfter(*answer.doc, api_.Context(type_.name));
    if (!after.ok()) return after.status();
    ObjectCursor next = cursor_;
    next.after = std::move(after).value();
    if (next.after.empty()) {
      next.full = false;
      next.since = cursor_.full_started;
      next.after.clear();
      next.full_started = 0;
    }
    cursor_ = next;
    if (!cursor_.full) phase_ = PhaseAfterWindow();
    page->cursor = cursor_.Serialize();
    return std::optional<Page>(std::move(page).value());
  }

  // After the list or the search window: rescan for deletions when a rescan
  // is in progress or due.
  Phase PhaseAfterWindow() const {
    const bool due = run_.started_at_ms - cursor_.archived_scanned_at >=
                     api_.config.options.Duration(kHubSpotDeletionScanEveryOption).count();
    return !cursor_.archived_after.empty() || due ? Phase::kArchived : Phase::kDone;
  }

  std::string SearchBody() {
    const int64_t lower = WindowStart(cursor_, api_.config);
    JsonWriter w;
    auto filter = [&](const char* property, const char* op, const std::string& value) {
      w.StartObject();
      w.Key("propertyName");
      w.String(property);
      w.Key("operator");
      w.String(op);
      w.Key("value");
      w.String(value.c_str());
      w.EndObject();
    };
    w.StartObject();
    w.Key("filterGroups");
    w.StartArray();
    w.StartObject();
    w.Key("filters");
    w.StartArray();
    filter(type_.modified_prop, "GTE", std::to_string(lower));
    filter(type_.modified_prop, "LTE", std::to_string(cursor_.upper));
    if (!cursor_.last_id.empty()) filter("hs_object_id", "GT", cursor_.last_id);
    w.EndArray();
    w.EndObject();
    w.EndArray();
    w.Key("sorts");
    w.StartArray();
    w.StartObject();
    w.Key("propertyName");
    w.String("hs_object_id");
    w.Key("direction");
    w.String("ASCENDING");
    w.EndObject();
    w.EndArray();
    w.Key("properties");
    w.StartArray();
    for (const auto& p : Properties()) w.String(p.c_str());
    w.EndArray();
    w.Key("limit");
    w.Int(kSearchPageSize);
    w.EndObject();
    return w.TakeString();
  }

  Result<std::optional<Page>> SearchPage() {
    HttpRequest req{.method = "POST",
                    .url = api_.base_url + "/crm/v3/objects/" + type_.name + "/search",
                    .body = SearchBody(),
                    .budget_bucket = "search"};
    HubSpotAnswer answer;
    std::vector<std::string> ids;
    auto page = ReadPage(std::move(req), /*with_associations=*/true, answer, ids);
    if (!page.ok()) return page.status();
    ObjectCursor next = cursor_;
    std::erase_if(ids, [](const std::string& id) { return !IsHubSpotId(id); });
    if (!NextAfter(*answer.doc).empty()) {
      if (ids.empty()) {
        return Status::DataLoss(api_.Context(type_.name) +
                                ": search page without a usable hs_object_id to page on");
      }
      const std::string& largest = *std::max_element(ids.begin(), ids.end(), NumericIdLess);
      // Keyset paging only moves forward; a page that does not (a sort the
      // API ignored) would be read again and again.
      if (!cursor_.last_id.empty() && !NumericIdLess(cursor_.last_id, largest)) {
        return Status::DataLoss(api_.Context(type_.name) + ": search did not move past id " +
                                cursor_.last_id);
      }
      next.last_id = largest;
    } else {
      next.since = cursor_.upper;
      next.upper = 0;
      next.last_id.clear();
      phase_ = PhaseAfterWindow();
    }
    cursor_ = next;
    page->cursor = cursor_.Serialize();
    return std::optional<Page>(std::move(page).value());
  }

  // Archived records keep their row with deleted_at set; each archived record
  // is sent as a record too, so one never synced before is still kept. The
  // rescan's position is in the cursor, so a failing or killed rescan
  // resumes rather than restarts.
  Result<std::optional<Page>> ArchivedPage() {
    HubSpotAnswer answer;
    std::vector<std::string> ids;
    auto page = ReadPage({.method = "GET", .url = ListUrl(cursor_.archived_after, true)},
                         /*with_associations=*/false, answer, ids);
    if (!page.ok()) return page.status();
    const rapidjson::Value& doc = *answer.doc;
    size_t i = 0;
    for (const auto& item : GetArray(doc, "results")->GetArray()) {
      auto archived_at = GetString(item, "archivedAt");
      int64_t at = archived_at ? ParseTimestampMs(*archived_at).value_or(run_.started_at_ms)
                               : run_.started_at_ms;
      page->deletions.push_back(Deletion{type_.kind, ids[i++], at});
    }
    auto after = FollowedAfter(doc, api_.Context(type_.name) + ": archived");
    if (!after.ok()) return after.status();
    ObjectCursor next = cursor_;
    next.archived_after = std::move(after).value();
    if (next.archived_after.empty()) {
      next.archived_scanned_at = run_.started_at_ms;
      phase_ = Phase::kDone;
    }
    cursor_ = next;
    page->cursor = cursor_.Serialize();
    return std::optional<Page>(std::move(page).value());
  }

  HubSpotApi& api_;
  const ObjectType& type_;
  StreamRun run_;
  ObjectCursor cursor_;
  Phase phase_;
  std::vector<std::string> properties_;
};

// Where an owners run resumes: the listing (active or archived) and its
// page token; a finished run's cursor resumes nothing.
struct OwnersPosition {
  bool resumes = false;
  bool archived = false;
  std::string after;

  static OwnersPosition Parse(const std::string& cursor) {
    OwnersPosition p;
    rapidjson::Document doc;
    // Version 1 cursors held no position: such a run starts over.
    if (cursor.empty() || !ParseJson(cursor, &doc).ok() || GetBool(doc, "done").value_or(true)) {
      return p;
    }
    p.resumes = true;
    p.archived = GetBool(doc, "archived").value_or(false);
    p.after = GetStringOrEmpty(doc, "after");
    return p;
  }
};

// Owners are few: every run reads the active list, then the archived one
// (deactivated users) as inactive owners. The cursor is the position of the
// next request; a run that stopped short of the end (max_pages_per_run, a
// failure) resumes there, and one after a finished run starts over.
class OwnersReader : public StreamReader {
 public:
  OwnersReader(HubSpotApi& api, const std::string& cursor) : api_(api) {
    const OwnersPosition position = OwnersPosition::Parse(cursor);
    archived_ = position.archived;
    after_ = position.after;
  }

  Result<std::optional<Page>> Next() override {
    if (done_) return std::optional<Page>();
    std::string url = api_.base_url + "/crm/v3/owners?limit=" + std::to_string(kOwnersPageSize) +
                      "&archived=" + (archived_ ? "true" : "false");
    if (!after_.empty()) url += "&after=" + UrlEncode(after_);
    auto answer = api_.Call("owners", {.method = "GET", .url = url});
    if (!answer.ok()) return answer.status();
    const rapidjson::Value& doc = *answer->doc;
    const rapidjson::Value* results = GetArray(doc, "results");
    if (results == nullptr) {
      return Status::DataLoss(api_.Context("owners") + ": response without a results array");
    }
    Page page;
    for (const auto& item : results->GetArray()) {
      // An owner without an id keeps an empty one: CheckPage drops it.
      RecordReader record(RecordKind::kOwner, page.value_issues);
      Owner o;
      o.id = record.Text(item, "id");
      record.set_id(o.id);
      o.email = record.Text(item, "email");
      std::string first = record.Text(item, "firstName");
      std::string last = record.Text(item, "lastName");
      o.name = first.empty() || last.empty() ? first + last : first + " " + last;
      o.active = !archived_;
      page.owners.push_back(std::move(o));
    }
    auto after = FollowedAfter(doc, api_.Context("owners"));
    if (!after.ok()) return after.status();
    after_ = std::move(after).value();
    if (after_.empty()) {
      if (archived_) done_ = true;
      archived_ = true;
    }
    page.cursor = Position();
    return std::optional<Page>(std::move(page));
  }

 private:
  // The next request's listing and token: with it, a cycling token is a
  // repeated cursor, which the engine stops.
  std::string Position() const {
    JsonWriter w;
    w.StartObject();
    w.Key("v");
    w.Int(2);
    w.Key("archived");
    w.Bool(archived_);
    w.Key("after");
    w.String(after_);
    w.Key("done");
    w.Bool(done_);
    w.EndObject();
    return w.TakeString();
  }

  HubSpotApi& api_;
  bool archived_ = false;
  bool done_ = false;
  std::string after_;
};

}  // namespace

bool IsObjectStream(const std::string& stream) {
  return stream == "owners" || stream == kContacts.name || stream == kDeals.name;
}

CursorDescription DescribeObjectCursor(const ConnectorConfig& config, const std::string& stream,
                                       const std::string& text) {
  using NextRead = CursorDescription::NextRead;
  CursorDescription d;
  if (stream == "owners") {
    d.next_read = NextRead::kWhole;
    const OwnersPosition position = OwnersPosition::Parse(text);
    if (position.resumes) {
      d.resumes = std::string("the ") + (position.archived ? "archived " : "") + "owners listing" +
                  (position.after.empty() ? "" : ", at a saved page");
    }
    return d;
  }
  if (text.empty()) return d;
  auto parsed = ObjectCursor::Parse(text);
  if (!parsed.ok()) {
    d.unreadable = parsed.status();
    return d;
  }
  const ObjectCursor& cursor = *parsed;
  std::vector<std::string> resumes;
  if (cursor.full) {
    if (!cursor.after.empty()) resumes.push_back("the full listing, at a saved page");
  } else {
    d.next_read = NextRead::kWindow;
    if (cursor.since > 0) d.changes_through = cursor.since;
    d.window_from = WindowStart(cursor, config);
    d.lookback = config.options.Duration(kLookbackOption);
    if (cursor.upper != 0) {
      d.window_to = cursor.upper;
      resumes.push_back(
          "the window to " + FormatIsoMs(cursor.upper) +
          (cursor.last_id.empty() ? "" : " after id " + CursorIdText(cursor.last_id)));
    }
  }
  if (!cursor.archived_after.empty()) resumes.push_back("the archived listing, at a saved page");
  d.resumes = Join(resumes, ", then ");
  return d;
}

Result<std::unique_ptr<StreamReader>> OpenObjectStream(HubSpotApi& api, const StreamRun& run) {
  if (run.stream == "owners") {
    return std::unique_ptr<StreamReader>(std::make_unique<OwnersReader>(api, run.cursor));
  }
  const ObjectType& type = run.stream == kContacts.name ? kContacts : kDeals;
  ObjectCursor cursor;
  if (!run.cursor.empty()) {
    auto parsed = ObjectCursor::Parse(run.cursor);
    if (!parsed.ok()) return parsed.status().WithContext(api.Context(run.stream));
    cursor = *parsed;
  }
  return std::unique_ptr<StreamReader>(std::make_unique<ObjectReader>(api, type, run, cursor));
}

}  // namespace salesaudit::hubspot

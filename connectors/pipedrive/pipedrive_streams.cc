#include "connectors/pipedrive/pipedrive_streams.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <charconv>
#include <functional>
#include <limits>

#include "connectors/paging.h"
#include "connectors/record_reader.h"
#include "connectors/shared_options.h"
#include "core/json_reader.h"
#include "core/json_writer.h"
#include "core/time_util.h"

namespace salesaudit::pipedrive {
namespace {

using MapFn = void (Mapping::*)(const rapidjson::Value&, Page&) const;

struct StreamSource {
  const char* stream;
  RecordKind records;
  const char* path;
  // A second list read after `path` in each pass (archived leads leave
  // /v1/leads for /v1/leads/archived); nullptr for none.
  const char* then_path;
  const char* filter;  // query parameters besides paging ("" for none)
  bool v2;             // read in update_time windows; otherwise whole, by offset
  MapFn map;
  // The vendor lists no deleted records: a scan of every one by id now and
  // then finds the stored ones that are gone.
  bool scans_for_deletions;
};

constexpr StreamSource kSources[] = {
    {"users", RecordKind::kOwner, "/v1/users", nullptr, "", false, &Mapping::MapUser, false},
    {"persons", RecordKind::kContact, "/api/v2/persons", nullptr, "", true, &Mapping::MapPerson,
     true},
    // Deleted deals are listed only when the status filter names them.
    {"deals", RecordKind::kDeal, "/api/v2/deals", nullptr, "status=open,won,lost,deleted", true,
     &Mapping::MapDeal, false},
    {"leads", RecordKind::kStageEvent, "/v1/leads", "/v1/leads/archived", "", false,
     &Mapping::MapLead, false},
    {"activities", RecordKind::kStageEvent, "/api/v2/activities", nullptr, "", true,
     &Mapping::MapActivity, false},
};

// Where a stream stands. v2 streams: the end of the last window read whole
// (`since`), and while a window is read, its end (`upper`), the
// updated_since its query asks for (`from`, 0 for none), Pipedrive's cursor
// of the next page (`next`) and the update_time of the last record
// committed (`after`), where the window restarts when Pipedrive no longer
// takes `next`; the start of the last deletion scan (`scanned`) and, while
// one is under way (`scan`), the largest id it has covered (`scan_after`),
// with its page cursor in `next`. v1 lists: the offset of the next page of a
// pass under way (`start`), in its second list once `then` is set.
struct StreamCursor {
  int64_t since = 0;  // 0: never read whole
  int64_t upper = 0;  // 0: no window under way
  int64_t from = 0;
  int64_t after = 0;
  std::string next;  // "": the window's (or scan's) first page
  int64_t scanned = 0;
  int64_t scan = 0;  // 1: a deletion scan is under way
  int64_t scan_after = 0;
  int64_t start = 0;
  int64_t then = 0;  // 1: reading the source's then_path

  std::string Serialize() const {
    JsonWriter w;
    w.StartObject();
    w.Key("v");
    w.Int(1);
    for (const auto& [key, value] : {std::pair<const char*, int64_t>{"since", since},
                                     {"upper", upper},
                                     {"from", from},
                                     {"after", after},
                                     {"scanned", scanned},
                                     {"scan", scan},
                                     {"scan_after", scan_after},
                                     {"start", start},
                                     {"then", then}}) {
      if (value == 0) continue;
      w.Key(key);
      w.Int64(value);
    }
    if (!next.empty()) {
      w.Key("next");
      w.String(next.c_str());
    }
    w.EndObject();
    return w.TakeString();
  }

  static Result<StreamCursor> Parse(const std::string& text) {
    StreamCursor c;
    if (text.empty()) return c;
    rapidjson::Document doc;
    if (Status s = ReadCursorDocument(text, 1, &doc); !s.ok()) return s;
    c.since = GetInt64(doc, "since").value_or(0);
    c.upper = GetInt64(doc, "upper").value_or(0);
    c.from = GetInt64(doc, "from").value_or(0);
    c.after = GetInt64(doc, "after").value_or(0);
    c.next = GetStringOrEmpty(doc, "next");
    c.scanned = GetInt64(doc, "scanned").value_or(0);
    c.scan = GetInt64(doc, "scan").value_or(0);
    c.scan_after = GetInt64(doc, "scan_after").value_or(0);
    c.start = GetInt64(doc, "start").value_or(0);
    c.then = GetInt64(doc, "then").value_or(0);
    if (c.since < 0 || c.upper < 0 || c.from < 0 || c.after < 0 || c.scanned < 0 ||
        c.scan_after < 0 || c.start < 0 || c.scan < 0 || c.scan > 1 || c.then < 0 || c.then > 1) {
      return Status::DataLoss("stored cursor holds a negative position; run `sync --full`");
    }
    return c;
  }
};

// The updated_since of a new window after the first: the lookback before
// where the last one ended (Pipedrive takes no time before 1970-01-01T00:00:01).
int64_t WindowFrom(const StreamCursor& cursor, const ConnectorConfig& config) {
  return std::max<int64_t>(1000, LessLookback(cursor.since, config));
}

class ListReader : public StreamReader {
 public:
  ListReader(CompanyState& company, const StreamSource& source, const StreamRun& run,
             StreamCursor cursor)
      : company_(company),
        source_(source),
        run_(run),
        cursor_(cursor),
        guard_(company.api.Context(run.stream), company.api.config.max_pages_per_run) {
    if (source_.v2 && cursor_.upper == 0 && cursor_.scan == 0) {
      // A new window, to the run's start in whole seconds: updated_until
      // leaves its own second out, which the next window then starts with.
      cursor_.upper = FloorToSecond(run.started_at_ms);
      cursor_.from = 0;
      if (cursor_.since > 0) cursor_.from = WindowFrom(cursor_, company.api.config);
      cursor_.after = 0;
      cursor_.next.clear();
    }
    stored_next_ = !cursor_.next.empty();
  }

  Result<std::optional<Page>> Next() override {
    if (finished_) return std::optional<Page>();
    Page page;
    if (Status s = ResolvePersonFields(page); !s.ok()) return s;
    if (Status s = ReadDealStages(page); !s.ok()) return s;
    auto answer = company_.api.GetList(run_.stream, Url());
    if (!answer.ok() && stored_next_ && answer.status().code() == StatusCode::kPermanent) {
      // Pipedrive no longer takes the page cursor an earlier run kept: the
      // window goes on from the second of the last record committed.
      page.warnings.push_back("the stored page cursor was refused (" + answer.status().message() +
                              "); reading on from the last update time committed");
      cursor_.from = std::max(cursor_.from, cursor_.after);
      cursor_.next.clear();
      cursor_.scan_after = 0;  // a scan starts over
      answer = company_.api.GetList(run_.stream, Url());
    }
    stored_next_ = false;
    if (!answer.ok()) return answer.status();
    if (answer->data != nullptr) {
      for (const auto& item : answer->data->GetArray()) {
        if (item.IsObject()) (company_.mapping.*source_.map)(item, page);
      }
    }
    StreamCursor next = cursor_;
    Status advanced = cursor_.scan == 1 ? AdvanceScan(*answer, next, page)
                      : source_.v2      ? AdvanceWindow(*answer, next)
                                        : AdvanceOffset(*answer, next);
    if (!advanced.ok()) return advanced;
    cursor_ = next;
    page.cursor = cursor_.Serialize();
    // Only a page returned carries them: a failed attempt's are read again.
    stages_read_ = true;
    return std::optional<Page>(std::move(page));
  }

 private:
  std::string Url() const {
    const char* path =
        cursor_.then == 1 && source_.then_path != nullptr ? source_.then_path : source_.path;
    std::string url = std::string(path) + "?limit=" + std::to_string(kPageSize);
    if (*source_.filter != '\0') url += std::string("&") + source_.filter;
    if (!source_.v2) return url + "&start=" + std::to_string(cursor_.start);
    if (cursor_.scan == 1) {
      url += "&sort_by=id&sort_direction=asc";
      if (!cursor_.next.empty()) url += "&cursor=" + UrlEncode(cursor_.next);
      return url;
    }
    // A first window (a whole read) goes by id: the store then writes rows
    // in about key order, which costs far fewer page writes than rows
    // scattered by their update times. Later windows are small.
    url += std::string("&sort_by=") + (cursor_.since == 0 ? "id" : "update_time") +
           "&sort_direction=asc&updated_until=" + UrlEncode(Rfc3339Seconds(cursor_.upper));
    if (cursor_.from > 0) url += "&updated_since=" + UrlEncode(Rfc3339Seconds(cursor_.from));
    if (!cursor_.next.empty()) url += "&cursor=" + UrlEncode(cursor_.next);
    return url;
  }

  // v2: the page's latest update_time is committed; the window ends when
  // there is no next cursor.
  Status AdvanceWindow(const Answer& answer, StreamCursor& next) {
    // By id (a first window), update times say nothing of where it stands.
    if (answer.data != nullptr && cursor_.since != 0) {
      for (const auto& item : answer.data->GetArray()) {
        if (!item.IsObject()) continue;
        if (TimeMs t = UpdateTime(item); t && *t < cursor_.upper) {
          next.after = std::max(next.after, FloorToSecond(*t));
        }
      }
    }
    const rapidjson::Value* more = GetMember(answer.additional_data, "next_cursor");
    if (more != nullptr && more->IsString() && more->GetStringLength() > 0) {
      const std::string_view token(more->GetString(), more->GetStringLength());
      if (Status s = guard_.Follow(token); !s.ok()) return s;
      next.next = token;
      return Status::Ok();
    }
    // The window is read whole: the next run starts a new one at its end.
    next = StreamCursor{};
    next.since = cursor_.upper;
    next.scanned = cursor_.scanned;
    if (source_.scans_for_deletions) {
      if (cursor_.since == 0) {
        next.scanned = cursor_.upper;  // a whole read from the start is a scan
      } else if (run_.started_at_ms - cursor_.scanned >=
                 company_.api.config.options.Duration(kDeletionScanEveryOption).count()) {
        next.scan = 1;  // go on with a deletion scan
        return Status::Ok();
      }
    }
    finished_ = true;
    return Status::Ok();
  }

  // A deletion scan's page: every person by id. A stored live id in the
  // range the page covers, from the previous page's last id to its own (to
  // the end on the last page), that it does not hold is deleted.
  Status AdvanceScan(const Answer& answer, StreamCursor& next, Page& page) {
    if (!stored_ids_) {
      if (!run_.stored_live_ids) return Status::Internal("no stored ids to scan against");
      auto ids = run_.stored_live_ids();
      if (!ids.ok()) return ids.status();
      std::vector<int64_t> numbers;
      for (const std::string& id : *ids) {
        int64_t n = 0;
        auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), n);
        if (ec == std::errc() && end == id.data() + id.size()) numbers.push_back(n);
      }
      std::sort(numbers.begin(), numbers.end());
      stored_ids_ = std::move(numbers);
    }
    std::vector<int64_t> seen;
    if (answer.data != nullptr) {
      for (const auto& item : answer.data->GetArray()) {
        if (const rapidjson::Value* id = GetMember(item, "id"); id != nullptr && id->IsInt64()) {
          seen.push_back(id->GetInt64());
        }
      }
    }
    std::sort(seen.begin(), seen.end());
    const rapidjson::Value* more = GetMember(answer.additional_data, "next_cursor");
    const bool last = more == nullptr || !more->IsString() || more->GetStringLength() == 0;
    const int64_t covered_to = last           ? std::numeric_limits<int64_t>::max()
                               : seen.empty() ? cursor_.scan_after
                                              : seen.back();
    for (auto it = std::upper_bound(stored_ids_->begin(), stored_ids_->end(), cursor_.scan_after);
         it != stored_ids_->end() && *it <= covered_to; ++it) {
      if (!std::binary_search(seen.begin(), seen.end(), *it)) {
        page.deletions.push_back(
            Deletion{RecordKind::kContact, std::to_string(*it), run_.started_at_ms, ""});
      }
    }
    if (!last) {
      const std::string_view token(more->GetString(), more->GetStringLength());
      if (Status s = guard_.Follow(token); !s.ok()) return s;
      next.next = token;
      next.scan_after = covered_to;
      return Status::Ok();
    }
    next.scan = 0;
    next.scan_after = 0;
    next.next.clear();
    next.scanned = run_.started_at_ms;
    finished_ = true;
    return Status::Ok();
  }

  // v1: additional_data.pagination says whether more follow and from where.
  Status AdvanceOffset(const Answer& answer, StreamCursor& next) {
    const rapidjson::Value* pagination = GetObject(answer.additional_data, "pagination");
    if (pagination != nullptr && GetBool(*pagination, "more_items_in_collection") == true) {
      const std::optional<int64_t> next_start = GetInt64(*pagination, "next_start");
      if (!next_start || *next_start <= cursor_.start) {
        return Status::DataLoss(company_.api.Context(run_.stream) +
                                ": pagination says more items follow but its next_start does not "
                                "move past " +
                                std::to_string(cursor_.start) + "; stopped");
      }
      next.start = *next_start;
      return Status::Ok();
    }
    next = StreamCursor{};
    if (cursor_.then == 0 && source_.then_path != nullptr) {
      next.then = 1;  // on to the second list
      return Status::Ok();
    }
    // The pass is whole; the next run reads the lists again from their start.
    finished_ = true;
    return Status::Ok();
  }

  // Every page of the v2 list at `path`, each handed to `take`.
  Status ReadWholeList(const std::string& stream, const std::string& path,
                       const std::function<void(const rapidjson::Value&)>& take) {
    PagingGuard guard(company_.api.Context(stream), company_.api.config.max_pages_per_run);
    std::string cursor;
    while (true) {
      auto answer =
          company_.api.GetList(stream, path + "?limit=" + std::to_string(kPageSize) +
                                           (cursor.empty() ? "" : "&cursor=" + UrlEncode(cursor)));
      if (!answer.ok()) return answer.status();
      if (answer->data != nullptr) {
        for (const auto& item : answer->data->GetArray()) {
          if (item.IsObject()) take(item);
        }
      }
      const rapidjson::Value* more = GetMember(answer->additional_data, "next_cursor");
      if (more == nullptr || !more->IsString() || more->GetStringLength() == 0) {
        return Status::Ok();
      }
      cursor.assign(more->GetString(), more->GetStringLength());
      if (Status s = guard.Follow(cursor); !s.ok()) return s;
    }
  }

  // The pipelines' and stages' names, once per run with the first deals
  // page (two small lists), so reports can show what a deal's ids mean.
  Status ReadDealStages(Page& page) {
    if (source_.map != &Mapping::MapDeal || stages_read_) return Status::Ok();
    const std::string stream = run_.stream + ": pipelines";
    std::map<std::string, std::string> pipelines;
    Status s = ReadWholeList(stream, "/api/v2/pipelines", [&](const rapidjson::Value& p) {
      RecordReader reader(RecordKind::kDeal, page.value_issues);
      pipelines[reader.Id(p, "id")] = reader.Text(p, "name");
    });
    if (!s.ok()) return s;
    s = ReadWholeList(run_.stream + ": stages", "/api/v2/stages", [&](const rapidjson::Value& st) {
      company_.mapping.MapDealStage(st, pipelines, page);
    });
    return s;
  }

  // The person fields `fields:` names, once per run before the first
  // persons page (/v1/personFields, offset paging).
  Status ResolvePersonFields(Page& page) {
    if (source_.map != &Mapping::MapPerson || company_.person_fields_resolved ||
        !company_.mapping.NeedsPersonFields()) {
      return Status::Ok();
    }
    const std::string stream = run_.stream + ": person fields";
    PagingGuard guard(company_.api.Context(stream), company_.api.config.max_pages_per_run);
    std::vector<PersonField> fields;
    int64_t start = 0;
    while (true) {
      if (Status s = guard.Follow(start == 0 ? "" : std::to_string(start)); !s.ok()) return s;
      auto answer =
          company_.api.GetList(stream, "/v1/personFields?limit=" + std::to_string(kPageSize) +
                                           "&start=" + std::to_string(start));
      if (!answer.ok()) return answer.status();
      if (answer->data != nullptr) {
        std::vector<PersonField> more = ReadPersonFields(*answer->data);
        fields.insert(fields.end(), more.begin(), more.end());
      }
      const rapidjson::Value* pagination = GetObject(answer->additional_data, "pagination");
      const std::optional<int64_t> next =
          pagination != nullptr && GetBool(*pagination, "more_items_in_collection") == true
              ? GetInt64(*pagination, "next_start")
              : std::nullopt;
      if (!next || *next <= start) break;
      start = *next;
    }
    for (std::string& warning : company_.mapping.ResolvePersonFields(fields)) {
      page.warnings.push_back(std::move(warning));
    }
    company_.person_fields_resolved = true;
    return Status::Ok();
  }

  CompanyState& company_;
  const StreamSource& source_;
  StreamRun run_;
  StreamCursor cursor_;
  PagingGuard guard_;
  // cursor_.next came from the stored cursor and was not asked for yet.
  bool stored_next_ = false;
  bool stages_read_ = false;  // the deal stages went out with a page
  // A deletion scan's stored live ids, read at its first page in this run.
  std::optional<std::vector<int64_t>> stored_ids_;
  bool finished_ = false;
};

}  // namespace

CompanyState::CompanyState(const ConnectorConfig& config, HttpClient& http)
    : api(config, http), mapping(config) {}

std::vector<StreamSpec> PipedriveStreams() {
  std::vector<StreamSpec> streams;
  for (const StreamSource& s : kSources) streams.push_back({s.stream, s.records});
  return streams;
}

CursorDescription DescribePipedriveCursor(const ConnectorConfig& config, const std::string& stream,
                                          const std::string& text, int64_t now_ms) {
  using NextRead = CursorDescription::NextRead;
  CursorDescription d;
  auto cursor = StreamCursor::Parse(text);
  if (!cursor.ok()) {
    d.unreadable = cursor.status();
    return d;
  }
  const StreamSource* source = nullptr;
  for (const StreamSource& s : kSources) {
    if (stream == s.stream) source = &s;
  }
  if (source == nullptr || !source->v2) {
    d.next_read = NextRead::kWhole;
    if (source != nullptr && (cursor->start != 0 || cursor->then != 0)) {
      const char* path = cursor->then == 1 && source->then_path ? source->then_path : source->path;
      d.resumes = std::string("the list ") + path + ", offset " + std::to_string(cursor->start);
    }
    return d;
  }
  if (cursor->scan == 1) {
    // The scan goes on alone; the next window waits for the run after.
    d.next_read = NextRead::kWhole;
    if (cursor->since > 0) d.changes_through = cursor->since;
    d.resumes = "the deletion scan after id " + std::to_string(cursor->scan_after);
    return d;
  }
  if (cursor->upper != 0) {
    d.resumes = (cursor->since == 0 ? std::string("the first read")
                                    : "the window to " + FormatIsoMs(cursor->upper)) +
                (cursor->next.empty() ? "" : ", at a saved page");
  }
  if (cursor->since == 0) return d;
  d.next_read = NextRead::kWindow;
  d.changes_through = cursor->since;
  d.lookback = config.options.Duration(kLookbackOption);
  if (cursor->upper != 0) {
    d.window_from = cursor->from;
    d.window_to = cursor->upper;
  } else {
    d.window_from = WindowFrom(*cursor, config);
    // updated_until is the run's start in whole seconds.
    d.window_to = FloorToSecond(now_ms);
  }
  return d;
}

Result<std::unique_ptr<StreamReader>> OpenPipedriveStream(CompanyState& company,
                                                          const StreamRun& run) {
  for (const StreamSource& source : kSources) {
    if (run.stream != source.stream) continue;
    auto cursor = StreamCursor::Parse(run.cursor);
    if (!cursor.ok()) return cursor.status().WithContext(company.api.Context(run.stream));
    return std::unique_ptr<StreamReader>(
        std::make_unique<ListReader>(company, source, run, *cursor));
  }
  return Status::InvalidArgument(company.api.Context(run.stream) + ": no such stream");
}

}  // namespace salesaudit::pipedrive

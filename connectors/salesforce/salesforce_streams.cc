#include "connectors/salesforce/salesforce_streams.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <span>

#include "connectors/paging.h"
#include "connectors/shared_options.h"
#include "core/json_reader.h"
#include "core/json_writer.h"
#include "core/time_util.h"

namespace salesaudit::salesforce {
namespace {

// Records stay in the recycle bin this long; a deletion older than that is
// in no query (docs/vendors/salesforce.md "Deletions").
constexpr int64_t kRecycleBinMs = 15LL * 24 * 3600 * 1000;

struct StreamObject {
  const char* stream;
  SObject object;
  RecordKind records;
  bool recycle_bin;  // read through queryAll for deletions and merges
};

constexpr StreamObject kStreamObjects[] = {
    {"users", SObject::kUser, RecordKind::kOwner, false},
    {"leads", SObject::kLead, RecordKind::kContact, true},
    {"contacts", SObject::kContact, RecordKind::kContact, true},
    {"opportunities", SObject::kOpportunity, RecordKind::kDeal, true},
    {"opportunity_contact_roles", SObject::kOpportunityContactRole, RecordKind::kDealLink, true},
};

// The order a window is read in. The first window (a full sync) goes by
// Id: the store then writes each table's rows in key order, which costs far
// fewer page writes than rows scattered by their modification times. Later
// windows are small and go by (SystemModstamp, Id), so a change made while
// one is read lands after its position.
struct KeyOrder {
  bool by_id = false;

  // Rows after (`modstamp`, `id`), or at it too when `inclusive`.
  std::string After(int64_t modstamp, std::string_view id, bool inclusive) const {
    const std::string op = inclusive ? ">= " : "> ";
    if (by_id) return "Id " + op + SoqlString(id);
    const std::string t = SoqlDateTime(modstamp);
    return "(SystemModstamp > " + t + " OR (SystemModstamp = " + t + " AND Id " + op +
           SoqlString(id) + "))";
  }
  // Rows up to (`modstamp`, `id`), itself included.
  std::string UpTo(int64_t modstamp, std::string_view id) const {
    if (by_id) return "Id <= " + SoqlString(id);
    const std::string t = SoqlDateTime(modstamp);
    return "(SystemModstamp < " + t + " OR (SystemModstamp = " + t +
           " AND Id <= " + SoqlString(id) + "))";
  }
  const char* OrderBy() const {
    return by_id ? " ORDER BY Id ASC" : " ORDER BY SystemModstamp ASC, Id ASC";
  }
  // Whether (`modstamp`, `id`) comes after (`than_modstamp`, `than_id`).
  bool Later(int64_t modstamp, std::string_view id, int64_t than_modstamp,
             std::string_view than_id) const {
    if (by_id || modstamp == than_modstamp) return id > than_id;
    return modstamp > than_modstamp;
  }
};

// Where a stream stands: the end of the last window read (`since`) and,
// while a window is being read, its end and the key of the last record
// committed in it.
struct KeysetCursor {
  int64_t since = 0;  // 0: never read whole
  int64_t upper = 0;  // 0: no window in progress

  KeyOrder order() const { return KeyOrder{.by_id = since == 0}; }
  int64_t after_modstamp = 0;
  std::string after_id;  // "": nothing committed in the window yet
  // Opportunities only: the org said it has no CurrencyIsoCode, so later
  // runs do not ask for it again.
  bool lacks_currency_field = false;

  std::string Serialize() const {
    JsonWriter w;
    w.StartObject();
    w.Key("v");
    w.Int(1);
    w.Key("since");
    w.Int64(since);
    if (lacks_currency_field) {
      w.Key("lacks_currency_field");
      w.Bool(true);
    }
    if (upper != 0) {
      w.Key("upper");
      w.Int64(upper);
      if (!after_id.empty()) {
        w.Key("after_modstamp");
        w.Int64(after_modstamp);
        w.Key("after_id");
        w.String(after_id.c_str());
      }
    }
    w.EndObject();
    return w.TakeString();
  }

  static Result<KeysetCursor> Parse(const std::string& text) {
    KeysetCursor c;
    if (text.empty()) return c;
    rapidjson::Document doc;
    if (Status s = ReadCursorDocument(text, 1, &doc); !s.ok()) return s;
    c.since = GetInt64(doc, "since").value_or(0);
    c.upper = GetInt64(doc, "upper").value_or(0);
    c.after_modstamp = GetInt64(doc, "after_modstamp").value_or(0);
    c.after_id = GetStringOrEmpty(doc, "after_id");
    c.lacks_currency_field = GetBool(doc, "lacks_currency_field").value_or(false);
    return c;
  }
};

// Where a window after the first starts: the lookback before where the
// last one ended, for rows that commit after their SystemModstamp.
int64_t WindowStart(const KeysetCursor& cursor, const ConnectorConfig& config) {
  return LessLookback(cursor.since, config);
}

std::string Joined(const std::vector<std::string>& fields) {
  std::string out;
  for (const std::string& f : fields) out += (out.empty() ? "" : ", ") + f;
  return out;
}

// The history rows of a batch's leads and the answers they point into:
// sorted by lead Id, each lead's rows in the order they came.
struct LeadHistories {
  std::vector<QueryBatch> answers;
  std::vector<LeadHistoryEntry> entries;

  std::span<const LeadHistoryEntry> Of(std::string_view lead_id) const {
    auto [first, last] = std::equal_range(entries.begin(), entries.end(),
                                          LeadHistoryEntry{.lead_id = lead_id}, ByLead);
    return {first, last};
  }
  static bool ByLead(const LeadHistoryEntry& a, const LeadHistoryEntry& b) {
    return a.lead_id < b.lead_id;
  }
};

class ObjectStreamReader : public StreamReader {
 public:
  ObjectStreamReader(OrgState& org, const StreamObject& object, const StreamRun& run,
                     KeysetCursor cursor)
      : org_(org), object_(object), run_(run), cursor_(std::move(cursor)) {
    if (cursor_.lacks_currency_field) org_.lacks_currency_field = true;
    if (cursor_.upper == 0) {
      // A new window, to the run's start: the cursor never passes it.
      cursor_.upper = run.started_at_ms;
      cursor_.after_id.clear();
    }
  }

  Result<std::optional<Page>> Next() override {
    if (finished_) return std::optional<Page>();
    Result<QueryBatch> batch = Fetch();
    if (!batch.ok()) {
      // Asked again from the committed position: nothing advanced.
      next_records_url_.clear();
      return batch.status();
    }
    Page page;
    page.warnings = org_.api.TakeWarnings();
    if (first_page_) {
      first_page_ = false;
      AddRetentionWarning(page);
    }
    if (Status s = MapBatch(*batch->records, page); !s.ok()) {
      next_records_url_.clear();
      return s;
    }
    KeysetCursor next = cursor_;
    // The batch's last key, copied once.
    int64_t last_modstamp = next.after_modstamp;
    std::string_view last_id = next.after_id;
    bool advanced = false;
    for (const auto& row : batch->records->GetArray()) {
      int64_t modstamp = 0;
      std::string_view id;
      if (!row.IsObject() || !RowKey(row, &modstamp, &id)) continue;
      if (last_id.empty() || cursor_.order().Later(modstamp, id, last_modstamp, last_id)) {
        last_modstamp = modstamp;
        last_id = id;
        advanced = true;
      }
    }
    if (advanced) {
      next.after_modstamp = last_modstamp;
      next.after_id = std::string(last_id);
    }
    next_records_url_ = batch->next_records_url;
    if (next_records_url_.empty()) {
      // The window is read whole: the next run starts a new one here.
      next = KeysetCursor{};
      next.since = cursor_.upper;
      finished_ = true;
    }
    next.lacks_currency_field =
        object_.object == SObject::kOpportunity && org_.lacks_currency_field;
    cursor_ = next;
    page.cursor = cursor_.Serialize();
    return std::optional<Page>(std::move(page));
  }

 private:
  const std::string& Stream() const { return run_.stream; }

  std::string Soql() const {
    const bool currency = org_.SelectsCurrencyField() && object_.object == SObject::kOpportunity;
    std::string soql = "SELECT " + Joined(org_.mapping.SelectFields(object_.object, currency)) +
                       " FROM " + SObjectName(object_.object) + " WHERE SystemModstamp < " +
                       SoqlDateTime(cursor_.upper);
    if (cursor_.since > 0) {
      soql += " AND SystemModstamp >= " + SoqlDateTime(WindowStart(cursor_, org_.api.config));
    }
    const KeyOrder order = cursor_.order();
    if (!cursor_.after_id.empty()) {
      soql += " AND " + order.After(cursor_.after_modstamp, cursor_.after_id, false);
    }
    return soql + order.OrderBy();
  }

  Result<QueryBatch> Fetch() {
    if (!next_records_url_.empty()) {
      auto more = org_.api.More(Stream(), next_records_url_);
      if (!more.ok()) return more.status();
      if (*more) return std::move(**more);
      // The locator died with its session: from the last committed record.
      next_records_url_.clear();
    }
    auto batch = org_.api.Query(Stream(), Soql(), object_.recycle_bin);
    if (!batch.ok() && object_.object == SObject::kOpportunity && org_.SelectsCurrencyField() &&
        batch.status().message().find("INVALID_FIELD") != std::string::npos &&
        batch.status().message().find("CurrencyIsoCode") != std::string::npos) {
      // A single-currency org: its opportunities carry no currency field.
      org_.lacks_currency_field = true;
      return org_.api.Query(Stream(), Soql(), object_.recycle_bin);
    }
    return batch;
  }

  Status MapBatch(const rapidjson::Value& records, Page& page) {
    const ObjectMapping& mapping = org_.mapping;
    if (object_.object != SObject::kLead) {
      for (const auto& row : records.GetArray()) {
        if (row.IsObject()) mapping.MapRow(object_.object, row, page);
      }
      if (object_.object == SObject::kOpportunity && org_.lacks_currency_field &&
          org_.api.config.options.Text(kCurrencyOption).empty() && !page.deals.empty() &&
          !currency_warned_) {
        currency_warned_ = true;
        page.warnings.push_back(
            "the org has one currency and `currency:` is not set, so "
            "opportunities are kept without one; set `currency:` on the "
            "connector to name it");
      }
      return Status::Ok();
    }
    LeadHistories history;
    if (Status s = ReadLeadHistory(records, &history); !s.ok()) return s;
    size_t without_history = 0;
    for (const auto& row : records.GetArray()) {
      if (!row.IsObject()) continue;
      const std::span<const LeadHistoryEntry> lead_history =
          history.Of(GetString(row, "Id").value_or(std::string_view()));
      if (lead_history.empty()) ++without_history;
      mapping.MapLead(row, lead_history, page);
    }
    if (without_history > 0) {
      page.warnings.push_back(
          std::to_string(without_history) +
          " leads have no field history, so their contacted and other status dates are "
          "unknown; turn on field history tracking for Lead Status to date them");
    }
    return Status::Ok();
  }

  // The Status, creation and conversion history of the batch's leads: the
  // live leads in the batch's key range, which are the batch's.
  Status ReadLeadHistory(const rapidjson::Value& records, LeadHistories* history) {
    int64_t first_modstamp = 0, last_modstamp = 0;
    std::string_view first_id, last_id;
    for (const auto& row : records.GetArray()) {
      int64_t modstamp = 0;
      std::string_view id;
      if (!row.IsObject() || !RowKey(row, &modstamp, &id)) continue;
      if (first_id.empty()) {
        first_modstamp = modstamp;
        first_id = id;
      }
      last_modstamp = modstamp;
      last_id = id;
    }
    if (first_id.empty()) return Status::Ok();
    const std::string soql =
        "SELECT LeadId, Field, OldValue, NewValue, CreatedDate FROM LeadHistory WHERE Field IN "
        "('Status', 'created', 'leadConverted') AND LeadId IN (SELECT Id FROM Lead WHERE " +
        cursor_.order().After(first_modstamp, first_id, true) + " AND " +
        cursor_.order().UpTo(last_modstamp, last_id) + ")";
    const std::string stream = Stream() + ": lead history";
    PagingGuard guard(org_.api.Context(stream), org_.api.config.max_pages_per_run);
    auto batch = org_.api.Query(stream, soql, /*all=*/false);
    while (true) {
      if (!batch.ok()) return batch.status();
      for (const auto& row : batch->records->GetArray()) {
        if (!row.IsObject()) continue;
        TimeMs at = ParseTimestampMs(GetString(row, "CreatedDate").value_or(""));
        const std::string_view lead = GetString(row, "LeadId").value_or("");
        if (!at || lead.empty()) continue;
        history->entries.push_back(LeadHistoryEntry{lead, GetString(row, "Field").value_or(""),
                                                    GetString(row, "OldValue").value_or(""),
                                                    GetString(row, "NewValue").value_or(""), *at});
      }
      const std::string next = batch->next_records_url;
      history->answers.push_back(std::move(*batch));
      if (next.empty()) {
        std::stable_sort(history->entries.begin(), history->entries.end(), LeadHistories::ByLead);
        return Status::Ok();
      }
      if (Status s = guard.Follow(next); !s.ok()) return s;
      auto more = org_.api.More(stream, next);
      if (!more.ok()) return more.status();
      if (!*more) {
        return Status::Unavailable(org_.api.Context(stream) +
                                   ": the query's locator ended with its session; asked again");
      }
      batch = std::move(**more);
    }
  }

  // Rows deleted longer ago than the recycle bin keeps them are in no
  // query: a stream last read before that may have missed deletions.
  void AddRetentionWarning(Page& page) const {
    if (!object_.recycle_bin || cursor_.since == 0 ||
        run_.started_at_ms - cursor_.since <= kRecycleBinMs) {
      return;
    }
    page.warnings.push_back(
        "last read more than 15 days ago; records deleted and purged from "
        "the recycle bin since are not seen as deleted (`sync --full` "
        "rereads everything)");
  }

  OrgState& org_;
  const StreamObject& object_;
  StreamRun run_;
  KeysetCursor cursor_;
  std::string next_records_url_;
  bool finished_ = false;
  bool first_page_ = true;
  bool currency_warned_ = false;
};

}  // namespace

OrgState::OrgState(const ConnectorConfig& config, HttpClient& http)
    : api(config, http), mapping(config) {
  mapping.set_currency(config.options.Text(kCurrencyOption));
}

bool OrgState::SelectsCurrencyField() const {
  return api.config.options.Text(kCurrencyOption).empty() && !lacks_currency_field;
}

std::vector<StreamSpec> SalesforceStreams() {
  std::vector<StreamSpec> streams;
  for (const StreamObject& o : kStreamObjects) streams.push_back({o.stream, o.records});
  return streams;
}

CursorDescription DescribeSalesforceCursor(const ConnectorConfig& config, const std::string& text) {
  CursorDescription d;
  auto cursor = KeysetCursor::Parse(text);
  if (!cursor.ok()) {
    d.unreadable = cursor.status();
    return d;
  }
  std::string resumes;
  if (cursor->upper != 0) {
    resumes = cursor->since == 0 ? "the first read" : "the window to " + FormatIsoMs(cursor->upper);
    if (!cursor->after_id.empty()) resumes += " after id " + CursorIdText(cursor->after_id);
  }
  d.resumes = std::move(resumes);
  if (cursor->since == 0) return d;
  const std::chrono::milliseconds lookback = config.options.Duration(kLookbackOption);
  d.next_read = CursorDescription::NextRead::kWindow;
  d.changes_through = cursor->since;
  d.window_from = WindowStart(*cursor, config);
  if (cursor->upper != 0) d.window_to = cursor->upper;
  d.lookback = lookback;
  return d;
}

Result<std::unique_ptr<StreamReader>> OpenSalesforceStream(OrgState& org, const StreamRun& run) {
  for (const StreamObject& object : kStreamObjects) {
    if (run.stream != object.stream) continue;
    auto cursor = KeysetCursor::Parse(run.cursor);
    if (!cursor.ok()) return cursor.status().WithContext(org.api.Context(run.stream));
    return std::unique_ptr<StreamReader>(
        std::make_unique<ObjectStreamReader>(org, object, run, std::move(*cursor)));
  }
  return Status::InvalidArgument(org.api.Context(run.stream) + ": no such stream");
}

}  // namespace salesaudit::salesforce

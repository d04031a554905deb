#include "tests/sim/pipedrive/pd_lists.h"

#include <algorithm>
#include <optional>
#include <set>
#include <vector>

#include "core/time_util.h"
#include "tests/sim/pipedrive/pd_encode.h"

namespace salesaudit::sim {
namespace {

constexpr int kDefaultLimit = 100;
constexpr int kMaxLimit = 500;
constexpr size_t kMaxIds = 100;
constexpr size_t kMaxCustomFieldKeys = 15;
constexpr char kErrorInfo[] = "Please check developers.pipedrive.com";
constexpr int64_t kDayMs = 86'400'000;

PdAnswer Error(int status, const std::string& error) {
  return PdAnswer{status, ErrorEnvelope(error, kErrorInfo), 0};
}

// Opens the success envelope up to its `data` key.
void StartSuccess(PdWriter& w) {
  w.StartObject();
  w.Key("success");
  w.Bool(true);
  w.Key("data");
}

// v2's strict validation: the parameter named and what is wrong with it.
PdAnswer Invalid(const std::string& param, const std::string& problem) {
  return Error(400, "Validation failed: " + param + ": " + problem);
}

std::optional<int64_t> ParseInteger(const std::string& text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

// The parameters every v2 list takes, and those of each collection.
const std::set<std::string>& AllowedParams(PdCollection c) {
  static const std::set<std::string> persons = {"cursor",         "limit",
                                                "sort_by",        "sort_direction",
                                                "api_token",      "ids",
                                                "owner_id",       "org_id",
                                                "deal_id",        "updated_since",
                                                "updated_until",  "custom_fields",
                                                "include_fields", "include_option_labels"};
  static const std::set<std::string> deals = {
      "cursor",   "limit",    "sort_by",       "sort_direction", "api_token",
      "ids",      "owner_id", "person_id",     "org_id",         "pipeline_id",
      "stage_id", "status",   "updated_since", "updated_until"};
  static const std::set<std::string> activities = {
      "cursor", "limit",    "sort_by",       "sort_direction", "api_token",
      "ids",    "owner_id", "deal_id",       "lead_id",        "person_id",
      "org_id", "done",     "updated_since", "updated_until"};
  static const std::set<std::string> stages = {"cursor",         "limit",     "sort_by",
                                               "sort_direction", "api_token", "pipeline_id"};
  static const std::set<std::string> pipelines = {"cursor", "limit", "sort_by", "sort_direction",
                                                  "api_token"};
  switch (c) {
    case PdCollection::kPersons:
      return persons;
    case PdCollection::kDeals:
      return deals;
    case PdCollection::kActivities:
      return activities;
    case PdCollection::kStages:
      return stages;
    case PdCollection::kPipelines:
      break;
  }
  return pipelines;
}

std::vector<std::string> SortFields(PdCollection c) {
  std::vector<std::string> fields = {"id", "update_time", "add_time"};
  if (c == PdCollection::kActivities) fields.push_back("due_date");
  if (c == PdCollection::kStages) fields.push_back("order_nr");
  return fields;
}

// What a v2 list request asks for, checked.
struct ListQuery {
  int limit = kDefaultLimit;
  std::string sort_by = "id";
  std::string direction = "asc";
  std::optional<PdCursor> cursor;
  std::optional<int64_t> updated_since, updated_until;  // [since, until)
  std::map<std::string, int64_t> ids_of;                // integer filters by parameter
  std::set<int64_t> ids;                                // the `ids` parameter
  PdRenderOptions render;
};

// Checks the parameters common to every collection; fills `q` or answers the
// 400.
std::optional<PdAnswer> ReadQuery(PdCollection c, const FormFields& params, ListQuery& q) {
  const std::set<std::string>& allowed = AllowedParams(c);
  for (const auto& [name, value] : params) {
    if (allowed.count(name) == 0) return Invalid(name, "unknown parameter");
  }
  auto param = [&](const char* name) -> const std::string* {
    auto it = params.find(name);
    return it == params.end() ? nullptr : &it->second;
  };
  if (const std::string* limit = param("limit")) {
    const std::optional<int64_t> n = ParseInteger(*limit);
    if (!n || *n < 1 || *n > kMaxLimit) return Invalid("limit", "must be an integer 1 to 500");
    q.limit = static_cast<int>(*n);
  }
  if (const std::string* sort_by = param("sort_by")) {
    const std::vector<std::string> fields = SortFields(c);
    if (std::find(fields.begin(), fields.end(), *sort_by) == fields.end()) {
      return Invalid("sort_by", "not a supported sort field");
    }
    q.sort_by = *sort_by;
  }
  if (const std::string* direction = param("sort_direction")) {
    if (*direction != "asc" && *direction != "desc") {
      return Invalid("sort_direction", "must be asc or desc");
    }
    q.direction = *direction;
  }
  if (const std::string* cursor = param("cursor")) {
    q.cursor = DecodeCursor(*cursor);
    // A cursor belongs to the sort that made it.
    if (!q.cursor || q.cursor->field != q.sort_by || q.cursor->direction != q.direction) {
      return Invalid("cursor", "invalid cursor");
    }
  }
  for (const char* name : {"updated_since", "updated_until"}) {
    if (const std::string* text = param(name)) {
      const std::optional<int64_t> ms = ParseRfc3339(*text);
      if (!ms) return Invalid(name, "must be an RFC 3339 date-time");
      (std::string(name) == "updated_since" ? q.updated_since : q.updated_until) = *ms;
    }
  }
  for (const char* name :
       {"owner_id", "org_id", "deal_id", "person_id", "pipeline_id", "stage_id"}) {
    if (const std::string* text = param(name)) {
      const std::optional<int64_t> v = ParseInteger(*text);
      if (!v) return Invalid(name, "must be an integer");
      q.ids_of[name] = *v;
    }
  }
  if (const std::string* ids = param("ids")) {
    const std::vector<std::string> parts = Split(*ids, ',');
    if (parts.size() > kMaxIds) return Invalid("ids", "at most 100 ids");
    for (const std::string& part : parts) {
      const std::optional<int64_t> v = ParseInteger(part);
      if (!v) return Invalid("ids", "must be integers");
      q.ids.insert(*v);
    }
  }
  if (const std::string* keys = param("custom_fields")) {
    q.render.custom_field_keys = Split(*keys, ',');
    if (q.render.custom_field_keys.size() > kMaxCustomFieldKeys) {
      return Invalid("custom_fields", "at most 15 keys");
    }
  }
  if (const std::string* labels = param("include_option_labels")) {
    if (*labels != "true" && *labels != "false") {
      return Invalid("include_option_labels", "must be true or false");
    }
    q.render.option_labels = *labels == "true";
  }
  if (const std::string* fields = param("include_fields"); fields != nullptr && !fields->empty()) {
    // The optional counters are not simulated; asking for them is refused
    // rather than silently answered without them.
    return Invalid("include_fields", "not supported by the simulator");
  }
  return std::nullopt;
}

bool Matches(const ListQuery& q, const char* param, const std::optional<int64_t>& value) {
  auto it = q.ids_of.find(param);
  return it == q.ids_of.end() || value == it->second;
}

template <typename T>
bool UpdatedInWindow(const ListQuery& q, const T& r) {
  return (!q.updated_since || r.update_time_ms >= *q.updated_since) &&
         (!q.updated_until || r.update_time_ms < *q.updated_until);
}

template <typename T>
int64_t SortKey(const T& r, const std::string& field) {
  if (field == "update_time") return r.update_time_ms;
  if (field == "add_time") return r.add_time_ms;
  return r.id;
}
template <>
int64_t SortKey(const PdActivity& a, const std::string& field) {
  if (field == "due_date") return ParseTimestampMs(a.due_date).value_or(0) / kDayMs;
  if (field == "update_time") return a.update_time_ms;
  if (field == "add_time") return a.add_time_ms;
  return a.id;
}
template <>
int64_t SortKey(const PdStage& s, const std::string& field) {
  if (field == "order_nr") return s.order_nr;
  if (field == "update_time") return s.update_time_ms;
  if (field == "add_time") return s.add_time_ms;
  return s.id;
}

// One cursor page of those of `records` that `keep` admits, sorted by
// (sort key, id) in the asked direction: the page starts at the cursor's key
// and the next cursor is the key of the record after it.
template <typename T, typename Keep, typename Write>
PdAnswer Page(const std::vector<T>& records, const ListQuery& q, Keep keep, Write write) {
  const bool asc = q.direction == "asc";
  using Key = std::pair<int64_t, int64_t>;
  auto key_of = [&](const T& r) { return Key(SortKey(r, q.sort_by), r.id); };
  auto before = [&](const Key& a, const Key& b) { return asc ? a < b : b < a; };
  using Row = std::pair<Key, const T*>;
  auto order = [&](const Row& a, const Row& b) { return before(a.first, b.first); };
  // The first limit + 1 rows from the cursor on, kept in a heap whose top is
  // the last of them: one pass, memory for a page only.
  const size_t wanted = static_cast<size_t>(q.limit) + 1;
  std::vector<Row> rows;
  rows.reserve(wanted);
  const bool from_cursor = q.cursor.has_value();
  const Key start = from_cursor ? Key(q.cursor->value, q.cursor->id) : Key(0, 0);
  for (const T& r : records) {
    if (!keep(r)) continue;
    const Key key = key_of(r);
    if (from_cursor && before(key, start)) continue;
    if (rows.size() == wanted) {
      if (!before(key, rows.front().first)) continue;
      std::pop_heap(rows.begin(), rows.end(), order);
      rows.back() = Row(key, &r);
    } else {
      rows.emplace_back(key, &r);
    }
    std::push_heap(rows.begin(), rows.end(), order);
  }
  std::sort_heap(rows.begin(), rows.end(), order);
  const size_t served = std::min(rows.size(), static_cast<size_t>(q.limit));
  rapidjson::StringBuffer buf;
  PdWriter w(buf);
  StartSuccess(w);
  w.StartArray();
  for (size_t i = 0; i < served; ++i) write(w, *rows[i].second);
  w.EndArray();
  w.Key("additional_data");
  w.StartObject();
  w.Key("next_cursor");
  if (rows.size() > served) {
    const Key& next = rows[served].first;
    w.String(EncodeCursor(PdCursor{q.sort_by, q.direction, next.first, next.second}).c_str());
  } else {
    w.Null();
  }
  w.EndObject();
  w.EndObject();
  return PdAnswer{200, buf.GetString(), static_cast<int64_t>(served)};
}

// Deleted more than 30 days ago: gone from every answer.
template <typename T>
bool Forgotten(const T& r, int64_t now_ms) {
  return r.is_deleted && now_ms - r.delete_time_ms >= kPermanentDeletionMs;
}

// The statuses a deals request admits: its `status` list, or every one but
// deleted.
std::optional<std::set<std::string>> DealStatuses(const FormFields& params) {
  auto it = params.find("status");
  if (it == params.end()) return std::set<std::string>{"open", "won", "lost"};
  std::set<std::string> statuses;
  for (const std::string& s : Split(it->second, ',')) {
    if (s != "open" && s != "won" && s != "lost" && s != "deleted") return std::nullopt;
    statuses.insert(s);
  }
  if (statuses.empty()) return std::nullopt;
  return statuses;
}

std::string V1Envelope(const std::string& data, size_t start, size_t limit, bool more) {
  std::string body = R"({"success":true,"data":)" + data +
                     R"(,"additional_data":{"pagination":{"start":)" + std::to_string(start) +
                     R"(,"limit":)" + std::to_string(limit) + R"(,"more_items_in_collection":)" +
                     (more ? "true" : "false");
  if (more) body += R"(,"next_start":)" + std::to_string(start + limit);
  return body + "}}}";
}

// A v1 offset page over `count` items whose JSON `write_item(w, i)` writes;
// v1 answers an empty page with `data: null`.
template <typename WriteItem>
PdAnswer OffsetPage(size_t count, const FormFields& params, WriteItem write_item) {
  size_t start = 0;
  size_t limit = kDefaultLimit;
  if (auto it = params.find("start"); it != params.end()) {
    const std::optional<int64_t> v = ParseInteger(it->second);
    if (!v) return Error(400, "Parameter 'start' must be an integer");
    start = static_cast<size_t>(*v);
  }
  if (auto it = params.find("limit"); it != params.end()) {
    const std::optional<int64_t> v = ParseInteger(it->second);
    if (!v || *v < 1) return Error(400, "Parameter 'limit' must be a positive integer");
    // v1 serves at most 500 whatever is asked.
    limit = static_cast<size_t>(std::min<int64_t>(*v, kMaxLimit));
  }
  const size_t end = std::min(count, start + limit);
  std::string data = "null";
  if (start < end) {
    rapidjson::StringBuffer buf;
    PdWriter w(buf);
    w.StartArray();
    for (size_t i = start; i < end; ++i) write_item(w, i);
    w.EndArray();
    data = buf.GetString();
  }
  return PdAnswer{200, V1Envelope(data, start, limit, end < count),
                  static_cast<int64_t>(start < end ? end - start : 0)};
}

}  // namespace

PdAnswer ListV2(PdCollection collection, const Company& company, const FormFields& params,
                int64_t now_ms) {
  ListQuery q;
  if (std::optional<PdAnswer> refused = ReadQuery(collection, params, q)) return *refused;
  auto in_ids = [&](int64_t id) { return q.ids.empty() || q.ids.count(id) > 0; };
  switch (collection) {
    case PdCollection::kPersons:
      return Page(
          company.persons(), q,
          [&](const PdPerson& p) {
            // Deleted persons leave the list; no parameter brings them back.
            return !p.is_deleted && in_ids(p.id) && UpdatedInWindow(q, p) &&
                   Matches(q, "owner_id", p.owner_id) && Matches(q, "org_id", std::nullopt) &&
                   (q.ids_of.count("deal_id") == 0 ||
                    std::any_of(company.deals().begin(), company.deals().end(),
                                [&](const PdDeal& d) {
                                  return d.id == q.ids_of.at("deal_id") && d.person_id == p.id;
                                }));
          },
          [&](PdWriter& w, const PdPerson& p) { WritePersonV2(w, p, company, q.render); });
    case PdCollection::kDeals: {
      const std::optional<std::set<std::string>> statuses = DealStatuses(params);
      if (!statuses) return Invalid("status", "must be a list of open, won, lost, deleted");
      return Page(
          company.deals(), q,
          [&](const PdDeal& d) {
            return statuses->count(d.is_deleted ? "deleted" : d.status) > 0 &&
                   !Forgotten(d, now_ms) && in_ids(d.id) && UpdatedInWindow(q, d) &&
                   Matches(q, "owner_id", d.owner_id) && Matches(q, "person_id", d.person_id) &&
                   Matches(q, "org_id", std::nullopt) && Matches(q, "pipeline_id", d.pipeline_id) &&
                   Matches(q, "stage_id", d.stage_id);
          },
          [](PdWriter& w, const PdDeal& d) { WriteDealV2(w, d); });
    }
    case PdCollection::kActivities: {
      std::optional<bool> done;
      if (auto it = params.find("done"); it != params.end()) {
        // Strict booleans: 1 and 0 are refused.
        if (it->second != "true" && it->second != "false") {
          return Invalid("done", "must be true or false");
        }
        done = it->second == "true";
      }
      const std::string* lead_id =
          params.count("lead_id") > 0 ? &params.find("lead_id")->second : nullptr;
      return Page(
          company.activities(), q,
          [&](const PdActivity& a) {
            return !a.is_deleted && in_ids(a.id) && UpdatedInWindow(q, a) &&
                   (!done || a.done == *done) && Matches(q, "owner_id", a.owner_id) &&
                   Matches(q, "deal_id", a.deal_id) && Matches(q, "person_id", a.person_id) &&
                   Matches(q, "org_id", std::nullopt) &&
                   (lead_id == nullptr || a.lead_id == *lead_id);
          },
          [](PdWriter& w, const PdActivity& a) { WriteActivityV2(w, a); });
    }
    case PdCollection::kStages:
      return Page(
          company.stages(), q,
          [&](const PdStage& s) { return Matches(q, "pipeline_id", s.pipeline_id); },
          [](PdWriter& w, const PdStage& s) { WriteStageV2(w, s); });
    case PdCollection::kPipelines:
      break;
  }
  return Page(
      company.pipelines(), q, [](const PdPipeline&) { return true; },
      [](PdWriter& w, const PdPipeline& p) { WritePipelineV2(w, p); });
}

PdAnswer GetV2(PdCollection collection, const Company& company, const std::string& id,
               const FormFields& params, int64_t now_ms) {
  // A single record takes only what shapes it.
  for (const auto& [name, value] : params) {
    if (name != "custom_fields" && name != "include_option_labels" && name != "api_token") {
      return Invalid(name, "unknown parameter");
    }
  }
  ListQuery q;
  if (std::optional<PdAnswer> refused = ReadQuery(PdCollection::kPersons, params, q)) {
    return *refused;
  }
  const std::optional<int64_t> number = ParseInteger(id);
  if (!number) return Invalid("id", "must be an integer");
  rapidjson::StringBuffer buf;
  PdWriter w(buf);
  StartSuccess(w);
  if (collection == PdCollection::kPersons) {
    const PdPerson* p = company.FindPerson(*number);
    if (p == nullptr || Forgotten(*p, now_ms)) return Error(404, "Person not found");
    WritePersonV2(w, *p, company, q.render);
  } else {
    const PdDeal* d = company.FindDeal(*number);
    if (d == nullptr || Forgotten(*d, now_ms)) return Error(404, "Deal not found");
    WriteDealV2(w, *d);
  }
  w.Key("additional_data");
  w.Null();
  w.EndObject();
  return PdAnswer{200, buf.GetString(), 1};
}

PdAnswer ListUsersV1(const Company& company) {
  rapidjson::StringBuffer buf;
  PdWriter w(buf);
  StartSuccess(w);
  w.StartArray();
  for (const PdUser& u : company.users()) WriteUserV1(w, u);
  w.EndArray();
  w.EndObject();
  return PdAnswer{200, buf.GetString(), static_cast<int64_t>(company.users().size())};
}

PdAnswer ListLeadsV1(const Company& company, bool archived, const FormFields& params) {
  std::map<std::string, int64_t> filters;
  for (const char* name : {"owner_id", "person_id", "organization_id"}) {
    auto it = params.find(name);
    if (it == params.end()) continue;
    const std::optional<int64_t> v = ParseInteger(it->second);
    if (!v) return Error(400, std::string("Parameter '") + name + "' must be an integer");
    filters[name] = *v;
  }
  auto matches = [&](const char* name, const std::optional<int64_t>& value) {
    auto it = filters.find(name);
    return it == filters.end() || value == it->second;
  };
  std::vector<const PdLead*> leads;
  for (const PdLead& l : company.leads()) {
    if (!l.is_deleted && l.is_archived == archived && matches("owner_id", l.owner_id) &&
        matches("person_id", l.person_id) && matches("organization_id", l.organization_id)) {
      leads.push_back(&l);
    }
  }
  return OffsetPage(leads.size(), params,
                    [&](PdWriter& w, size_t i) { WriteLeadV1(w, *leads[i]); });
}

PdAnswer ListPersonFieldsV1(const Company& company, const FormFields& params) {
  const std::vector<PdPersonField>& fields = company.person_fields();
  return OffsetPage(fields.size(), params, [&](PdWriter& w, size_t i) {
    WritePersonFieldV1(w, fields[i], company.person_fields_update_ms());
  });
}

}  // namespace salesaudit::sim

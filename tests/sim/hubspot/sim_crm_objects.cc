// The CRM object endpoints of SimService: objects list and search, deal->contact
// association batch reads, owners, property definitions and deal pipelines.
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/encoding.h"
#include "core/time_util.h"
#include "tests/sim/common/sim_text.h"
#include "tests/sim/hubspot/sim_properties.h"
#include "tests/sim/hubspot/sim_search.h"
#include "tests/sim/hubspot/sim_service.h"

namespace salesaudit::sim {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

constexpr int kDefaultListLimit = 10;
constexpr int kMaxListLimit = 100;
constexpr int kDefaultOwnerLimit = 100;
constexpr int kMaxOwnerLimit = 500;
constexpr size_t kMaxBatchInputs = 100;     // v3 association batch read
constexpr size_t kMaxV4BatchInputs = 1000;  // v4 association batch read
// The deal->contact association type HubSpot defines (docs/vendors/hubspot.md "Associations").
constexpr int kDealToContactTypeId = 3;
// Its reverse, contact->deal (unconfirmed, docs/vendors/hubspot.md "Associations").
constexpr int kContactToDealTypeId = 4;
// GET /crm/v4/objects/{type}/{id}/associations/{toType} pages (unconfirmed).
constexpr int kDefaultRecordAssociationLimit = 500;
constexpr int kMaxRecordAssociationLimit = 500;

// Properties returned when a request names none (docs/vendors/hubspot.md
// "Records and properties").
const std::vector<std::string> kContactDefaults = {
    "createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"};
const std::vector<std::string> kDealDefaults = {"amount",       "closedate", "createdate",
                                                "dealname",     "dealstage", "hs_lastmodifieddate",
                                                "hs_object_id", "pipeline"};

// List cursors are opaque: base64 of the next record's id, with the padding
// percent-encoded the way HubSpot sends it ("NTI1Cg%3D%3D"), so a client that
// treats `after` as a number or forgets to pass it back verbatim fails here.
std::string EncodeCursor(int64_t next_id) {
  std::string b64 = Base64Encode(std::to_string(next_id) + "\n");
  std::string out;
  for (char c : b64) out += c == '=' ? std::string("%3D") : std::string(1, c);
  return out;
}

// Accepts the cursor as sent or percent-encoded once more by the client.
std::optional<int64_t> DecodeCursor(std::string text) {
  if (text.find('%') != std::string::npos) text = PercentDecode(text);
  std::optional<std::string> raw = Base64Decode(text);
  if (!raw || raw->empty() || raw->back() != '\n') return std::nullopt;
  raw->pop_back();
  int64_t id = 0;
  const auto [end, ec] = std::from_chars(raw->data(), raw->data() + raw->size(), id);
  if (ec != std::errc() || end != raw->data() + raw->size()) return std::nullopt;
  return id;
}

std::optional<int> ParseInt(const std::string& text) {
  int v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

// The property names a response carries: the requested ones (or the type's
// defaults) plus the id, create and modified dates HubSpot always includes.
std::set<std::string> ResponseProperties(ObjectType type,
                                         const std::optional<std::vector<std::string>>& requested) {
  std::set<std::string> names;
  if (requested) {
    names.insert(requested->begin(), requested->end());
  } else {
    const auto& defaults = type == ObjectType::kContacts ? kContactDefaults : kDealDefaults;
    names.insert(defaults.begin(), defaults.end());
  }
  names.insert("hs_object_id");
  names.insert("createdate");
  names.insert(ModifiedDateProperty(type));
  return names;
}

// One record's associations as a list request with `associations=` returns
// them: per associated object type, the ids and the type's name.
struct RecordAssociations {
  std::string from_type;  // "contacts"
  std::string to_type;    // "deals"
  std::string label;      // "contact_to_deal"
  std::vector<int64_t> ids;
};

// Fills the ids of every entry of `wanted` (keyed by record id, records of
// `type`) from the portal's deal -> contacts links, read in the direction
// `type` needs, in ascending id order.
void FillAssociations(ObjectType type,
                      const std::map<std::string, std::vector<std::string>>& deal_contacts,
                      std::map<std::string, RecordAssociations>& wanted) {
  for (const auto& [deal, contacts] : deal_contacts) {
    if (type == ObjectType::kDeals) {
      auto it = wanted.find(deal);
      if (it == wanted.end()) continue;
      for (const std::string& contact : contacts) it->second.ids.push_back(std::stoll(contact));
      continue;
    }
    for (const std::string& contact : contacts) {
      auto it = wanted.find(contact);
      if (it != wanted.end()) it->second.ids.push_back(std::stoll(deal));
    }
  }
  for (auto& entry : wanted) {
    std::vector<int64_t>& ids = entry.second.ids;
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  }
}

// `"paging": {"next": {"after": AFTER, "link": LINK_PATH?after=AFTER}}`.
void WritePaging(Writer& w, const std::string& after, const std::string& link_path = "") {
  w.Key("paging");
  w.StartObject();
  w.Key("next");
  w.StartObject();
  w.Key("after");
  w.String(after.c_str());
  w.Key("link");
  w.String((link_path + "?after=" + after).c_str());
  w.EndObject();
  w.EndObject();
}

void WriteObject(Writer& w, const SimObject& object, const std::set<std::string>& names,
                 const std::set<std::string>& schema,
                 const RecordAssociations* associations = nullptr, size_t page_size = 0) {
  w.StartObject();
  w.Key("id");
  w.String(object.id.c_str());
  w.Key("properties");
  w.StartObject();
  for (const std::string& name : names) {
    // Names the portal does not define are left out; defined but unset
    // properties come back as null.
    if (schema.count(name) == 0) continue;
    w.Key(name.c_str());
    auto it = object.properties.find(name);
    if (it == object.properties.end()) {
      w.Null();
    } else {
      w.String(it->second.c_str(), static_cast<rapidjson::SizeType>(it->second.size()));
    }
  }
  w.EndObject();
  w.Key("createdAt");
  w.String(FormatIsoMs(object.created_at_ms).c_str());
  w.Key("updatedAt");
  w.String(FormatIsoMs(object.updated_at_ms).c_str());
  w.Key("archived");
  w.Bool(object.archived);
  if (object.archived) {
    w.Key("archivedAt");
    w.String(FormatIsoMs(object.archived_at_ms).c_str());
  }
  // A record with none is sent without the key, as HubSpot does.
  if (associations != nullptr && !associations->ids.empty()) {
    w.Key("associations");
    w.StartObject();
    w.Key(associations->to_type.c_str());
    w.StartObject();
    w.Key("results");
    w.StartArray();
    const size_t shown = std::min(associations->ids.size(), page_size);
    for (size_t i = 0; i < shown; ++i) {
      w.StartObject();
      w.Key("id");
      w.String(std::to_string(associations->ids[i]).c_str());
      w.Key("type");
      w.String(associations->label.c_str());
      w.EndObject();
    }
    w.EndArray();
    // The rest is read from the record's associations (v4); the cursor is
    // the position of the next one (docs/vendors/hubspot.md "List and
    // archived records").
    if (shown < associations->ids.size()) {
      WritePaging(w, EncodeCursor(static_cast<int64_t>(shown)),
                  "/crm/v4/objects/" + associations->from_type + "/" + object.id +
                      "/associations/" + associations->to_type);
    }
    w.EndObject();
    w.EndObject();
  }
  w.EndObject();
}

// The association `requested` names for records of `type`, when the portal
// has that kind: deals for contacts, contacts for deals ("deal" and
// "contact" too). Other object types (companies, ...) have no records here,
// so no record gets any.
// Its ids are left empty.
std::optional<RecordAssociations> AssociationKind(ObjectType type,
                                                  const std::vector<std::string>& requested) {
  for (const std::string& name : requested) {
    if (type == ObjectType::kContacts && (name == "deals" || name == "deal")) {
      return RecordAssociations{"contacts", "deals", "contact_to_deal", {}};
    }
    if (type == ObjectType::kDeals && (name == "contacts" || name == "contact")) {
      return RecordAssociations{"deals", "contacts", "deal_to_contact", {}};
    }
  }
  return std::nullopt;
}

// One v4 association target's members: the id and its one unlabelled type.
void WriteV4Target(Writer& w, int64_t to_id, int type_id) {
  w.Key("toObjectId");
  w.Int64(to_id);
  w.Key("associationTypes");
  w.StartArray();
  w.StartObject();
  w.Key("category");
  w.String("HUBSPOT_DEFINED");
  w.Key("typeId");
  w.Int(type_id);
  w.Key("label");
  w.Null();
  w.EndObject();
  w.EndArray();
}

}  // namespace

std::optional<ApiResponse> SimService::ReadPaging(const Query& query, int default_limit,
                                                  int max_limit, int* limit, int64_t* start_id) {
  *limit = default_limit;
  if (const std::string* text = query.Get("limit")) {
    std::optional<int> parsed = ParseInt(*text);
    if (!parsed || *parsed < 1 || *parsed > max_limit) {
      return Error(400, "VALIDATION_ERROR",
                   "limit must be a number between 1 and " + std::to_string(max_limit) + ", got '" +
                       *text + "'");
    }
    *limit = *parsed;
  }
  *start_id = 0;
  if (const std::string* after = query.Get("after")) {
    std::optional<int64_t> id = DecodeCursor(*after);
    if (!id) return Error(400, "VALIDATION_ERROR", "Invalid 'after' paging token: " + *after);
    *start_id = *id;
  }
  return std::nullopt;
}

ApiResponse SimService::ListObjects(ObjectType type, const Query& query) {
  int limit = 0;
  int64_t start_id = 0;
  if (auto refused = ReadPaging(query, kDefaultListLimit, kMaxListLimit, &limit, &start_id)) {
    return std::move(*refused);
  }
  const bool archived = query.IsTrue("archived");
  std::optional<std::vector<std::string>> requested;
  if (const std::string* props = query.Get("properties")) requested = Split(*props, ',');
  const std::set<std::string> names = ResponseProperties(type, requested);

  const ObjectTable& table = portal_.table(type);
  // The page's records first, so that associations are looked up for them
  // alone.
  std::vector<size_t> page;
  std::optional<int64_t> next_id;
  for (size_t i = table.LowerBound(start_id); i < table.records.size(); ++i) {
    if (table.records[i].archived != archived) continue;
    if (static_cast<int>(page.size()) == limit) {
      next_id = table.ids[i];
      break;
    }
    page.push_back(i);
  }
  std::map<std::string, RecordAssociations> associations;
  std::optional<RecordAssociations> kind;
  if (const std::string* asked = query.Get("associations")) {
    kind = AssociationKind(type, Split(*asked, ','));
  }
  if (kind) {
    for (size_t i : page) associations[table.records[i].id] = *kind;
    FillAssociations(type, portal_.deal_contacts(), associations);
  }
  const size_t association_page = static_cast<size_t>(std::max(options_.association_page_size, 1));
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("results");
  w.StartArray();
  for (size_t i : page) {
    auto found = associations.find(table.records[i].id);
    WriteObject(w, table.records[i], names, table.schema,
                found == associations.end() ? nullptr : &found->second, association_page);
  }
  w.EndArray();
  if (next_id) WritePaging(w, EncodeCursor(*next_id));
  w.EndObject();
  ApiResponse r;
  r.body = buf.GetString();
  return r;
}

ApiResponse SimService::ListRecordAssociations(ObjectType type, const std::string& id,
                                               const std::string& to_type, const Query& query) {
  std::optional<RecordAssociations> kind = AssociationKind(type, {to_type});
  if (!kind) {
    return Error(400, "VALIDATION_ERROR",
                 "No association types from " +
                     std::string(type == ObjectType::kContacts ? "contacts" : "deals") + " to " +
                     to_type);
  }
  int limit = 0;
  int64_t start = 0;
  if (auto refused = ReadPaging(query, kDefaultRecordAssociationLimit, kMaxRecordAssociationLimit,
                                &limit, &start)) {
    return std::move(*refused);
  }
  std::map<std::string, RecordAssociations> wanted{{id, *kind}};
  FillAssociations(type, portal_.deal_contacts(), wanted);
  const std::vector<int64_t>& ids = wanted[id].ids;
  const size_t begin = std::min(ids.size(), static_cast<size_t>(start));
  const size_t end = std::min(ids.size(), begin + static_cast<size_t>(limit));
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("results");
  w.StartArray();
  for (size_t i = begin; i < end; ++i) {
    w.StartObject();
    WriteV4Target(w, ids[i],
                  type == ObjectType::kDeals ? kDealToContactTypeId : kContactToDealTypeId);
    w.EndObject();
  }
  w.EndArray();
  if (end < ids.size()) WritePaging(w, EncodeCursor(static_cast<int64_t>(end)));
  w.EndObject();
  ApiResponse r;
  r.body = buf.GetString();
  return r;
}

ApiResponse SimService::SearchObjects(ObjectType type, const std::string& body, int64_t now_ms) {
  Result<SearchQuery> query = ParseSearchQuery(body);
  if (!query.ok()) return Error(400, "VALIDATION_ERROR", query.status().message());
  stats_.max_search_after = std::max(stats_.max_search_after, query->after);
  // The real cap: one query cannot page past 10,000 results.
  if (query->after + query->limit > kMaxSearchResults) {
    return Error(400, "VALIDATION_ERROR",
                 "There was a problem with the request: the sum of after (" +
                     std::to_string(query->after) + ") and limit (" + std::to_string(query->limit) +
                     ") must not exceed 10000.");
  }
  int64_t total = 0;
  const ObjectTable& table = portal_.table(type);
  std::vector<const SimObject*> page = RunSearch(table, type, *query, now_ms, &total);
  const std::set<std::string> names = ResponseProperties(type, query->properties);

  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("total");
  w.Int64(total);
  w.Key("results");
  w.StartArray();
  for (const SimObject* object : page) WriteObject(w, *object, names, table.schema);
  w.EndArray();
  const int64_t next = query->after + static_cast<int64_t>(page.size());
  if (!page.empty() && next < total) WritePaging(w, std::to_string(next));
  w.EndObject();
  ApiResponse r;
  r.body = buf.GetString();
  return r;
}

ApiResponse SimService::ReadAssociations(const std::string& body, int64_t now_ms, bool v4) {
  rapidjson::Document doc;
  doc.Parse(body.c_str(), body.size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("inputs") ||
      !doc["inputs"].IsArray()) {
    return Error(400, "VALIDATION_ERROR",
                 "Invalid input JSON: expected {\"inputs\":[{\"id\":..}]}");
  }
  const auto inputs = doc["inputs"].GetArray();
  const size_t max_inputs = v4 ? kMaxV4BatchInputs : kMaxBatchInputs;
  if (inputs.Size() > max_inputs) {
    return Error(400, "VALIDATION_ERROR",
                 "Batch input size " + std::to_string(inputs.Size()) + " exceeds the limit of " +
                     std::to_string(max_inputs));
  }
  struct Input {
    std::string id;
    size_t start = 0;  // v4 `after`: the position in the deal's associations
  };
  std::vector<Input> parsed;
  for (const rapidjson::Value& input : inputs) {
    if (!input.IsObject() || !input.HasMember("id") || !input["id"].IsString()) {
      return Error(400, "VALIDATION_ERROR", "Each input needs a string id");
    }
    Input in{input["id"].GetString(), 0};
    if (v4 && input.HasMember("after") && !input["after"].IsNull()) {
      const rapidjson::Value& after = input["after"];
      std::optional<int64_t> offset;
      if (after.IsString()) offset = DecodeCursor(after.GetString());
      if (!offset || *offset < 0) {
        return Error(400, "VALIDATION_ERROR", "Invalid 'after' paging token for input " + in.id);
      }
      in.start = static_cast<size_t>(*offset);
    }
    parsed.push_back(std::move(in));
  }

  const size_t page_size = static_cast<size_t>(std::max(options_.association_page_size, 1));
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("status");
  w.String("COMPLETE");
  w.Key("results");
  w.StartArray();
  // Deals without (further) associations, unknown ids included, are not in
  // the results but each gets one error, which makes the answer a 207.
  std::vector<std::string> missing;
  for (const Input& in : parsed) {
    auto it = portal_.deal_contacts().find(in.id);
    if (it == portal_.deal_contacts().end() || in.start >= it->second.size()) {
      if (std::find(missing.begin(), missing.end(), in.id) == missing.end()) {
        missing.push_back(in.id);
      }
      continue;
    }
    const std::vector<std::string>& contacts = it->second;
    // v3 silently drops what is past one page; v4 offers a cursor to it.
    const size_t end = std::min(contacts.size(), in.start + page_size);
    w.StartObject();
    w.Key("from");
    w.StartObject();
    w.Key("id");
    w.String(it->first.c_str());
    w.EndObject();
    w.Key("to");
    w.StartArray();
    for (size_t i = in.start; i < end; ++i) {
      w.StartObject();
      if (v4) {
        int64_t numeric = 0;
        std::from_chars(contacts[i].data(), contacts[i].data() + contacts[i].size(), numeric);
        WriteV4Target(w, numeric, kDealToContactTypeId);
      } else {
        w.Key("id");
        w.String(contacts[i].c_str());
        w.Key("type");
        w.String("deal_to_contact");
      }
      w.EndObject();
    }
    w.EndArray();
    if (v4 && end < contacts.size()) {
      w.Key("paging");
      w.StartObject();
      w.Key("next");
      w.StartObject();
      w.Key("after");
      w.String(EncodeCursor(static_cast<int64_t>(end)).c_str());
      w.Key("link");
      w.Null();
      w.EndObject();
      w.EndObject();
    }
    w.EndObject();
  }
  w.EndArray();
  if (!missing.empty()) {
    w.Key("numErrors");
    w.Int64(static_cast<int64_t>(missing.size()));
    w.Key("errors");
    w.StartArray();
    for (const std::string& id : missing) {
      w.StartObject();
      w.Key("status");
      w.String("error");
      w.Key("category");
      w.String("OBJECT_NOT_FOUND");
      w.Key("subCategory");
      w.String("crm.associations.NO_ASSOCIATIONS_FOUND");
      w.Key("context");
      w.StartObject();
      w.Key("fromObjectId");
      w.StartArray();
      w.String(id.c_str());
      w.EndArray();
      w.EndObject();
      w.Key("message");
      w.String(("No contacts are associated with deal " + id + ".").c_str());
      w.EndObject();
    }
    w.EndArray();
  }
  w.Key("startedAt");
  w.String(FormatIsoMs(now_ms).c_str());
  w.Key("completedAt");
  w.String(FormatIsoMs(clock_.NowMs() + options_.clock_offset_ms).c_str());
  w.EndObject();
  ApiResponse r;
  r.status = missing.empty() ? 200 : 207;
  r.body = buf.GetString();
  return r;
}

ApiResponse SimService::ListOwners(const Query& query) {
  int limit = 0;
  int64_t start_id = 0;
  if (auto refused = ReadPaging(query, kDefaultOwnerLimit, kMaxOwnerLimit, &limit, &start_id)) {
    return std::move(*refused);
  }
  const bool archived = query.IsTrue("archived");

  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("results");
  w.StartArray();
  int written = 0;
  std::optional<int64_t> next_id;
  const auto& owners = portal_.owners();
  for (auto it = owners.lower_bound(start_id); it != owners.end(); ++it) {
    const SimOwner& o = it->second;
    if (o.archived != archived) continue;
    if (written == limit) {
      next_id = it->first;
      break;
    }
    ++written;
    w.StartObject();
    w.Key("id");
    w.String(o.id.c_str());
    w.Key("email");
    w.String(o.email.c_str());
    w.Key("type");
    w.String("PERSON");
    w.Key("firstName");
    w.String(o.first_name.c_str());
    w.Key("lastName");
    w.String(o.last_name.c_str());
    w.Key("userId");
    w.Int64(o.user_id);
    w.Key("userIdIncludingInactive");
    w.Int64(o.user_id);
    w.Key("createdAt");
    w.String(FormatIsoMs(o.created_at_ms).c_str());
    w.Key("updatedAt");
    w.String(FormatIsoMs(o.updated_at_ms).c_str());
    w.Key("archived");
    w.Bool(o.archived);
    w.EndObject();
  }
  w.EndArray();
  if (next_id) WritePaging(w, EncodeCursor(*next_id));
  w.EndObject();
  ApiResponse r;
  r.body = buf.GetString();
  return r;
}

ApiResponse SimService::Properties(const std::string& rest) {
  const size_t slash = rest.find('/');
  const std::string type_name = rest.substr(0, slash);
  const std::string name = slash == std::string::npos ? "" : rest.substr(slash + 1);
  std::optional<ObjectType> type = ObjectTypeNamed(type_name);
  if (!type)
    return Error(404, "OBJECT_NOT_FOUND", "Unable to infer object type from: " + type_name);
  ApiResponse r;
  if (name.empty()) {
    r.body = PropertiesJson(*type, portal_.table(*type));
    return r;
  }
  std::optional<std::string> one = PropertyJson(*type, portal_.table(*type), name);
  if (!one) {
    return Error(404, "OBJECT_NOT_FOUND",
                 "Property " + name + " does not exist on object type " + type_name);
  }
  r.body = std::move(*one);
  return r;
}

ApiResponse SimService::Pipelines() {
  // The default pipeline; stage metadata values are strings, as HubSpot
  // sends them (docs/vendors/hubspot.md "Deals and pipelines").
  struct Stage {
    const char* id;
    const char* label;
    const char* closed;
    const char* probability;
  };
  static constexpr Stage kStages[] = {
      {"appointmentscheduled", "Appointment Scheduled", "false", "0.2"},
      {"qualifiedtobuy", "Qualified To Buy", "false", "0.4"},
      {"presentationscheduled", "Presentation Scheduled", "false", "0.6"},
      {"decisionmakerboughtin", "Decision Maker Bought-In", "false", "0.8"},
      {"contractsent", "Contract Sent", "false", "0.9"},
      {"closedwon", "Closed Won", "true", "1.0"},
      {"closedlost", "Closed Lost", "true", "0.0"},
  };
  const char* kCreated = "2020-05-12T08:00:00.000Z";
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("results");
  w.StartArray();
  w.StartObject();
  w.Key("id");
  w.String("default");
  w.Key("label");
  w.String("Sales Pipeline");
  w.Key("displayOrder");
  w.Int(0);
  w.Key("archived");
  w.Bool(false);
  w.Key("createdAt");
  w.String(kCreated);
  w.Key("updatedAt");
  w.String(kCreated);
  w.Key("stages");
  w.StartArray();
  int order = 0;
  for (const Stage& s : kStages) {
    w.StartObject();
    w.Key("id");
    w.String(s.id);
    w.Key("label");
    w.String(s.label);
    w.Key("displayOrder");
    w.Int(order++);
    w.Key("metadata");
    w.StartObject();
    w.Key("isClosed");
    w.String(s.closed);
    w.Key("probability");
    w.String(s.probability);
    w.EndObject();
    w.Key("archived");
    w.Bool(false);
    w.Key("createdAt");
    w.String(kCreated);
    w.Key("updatedAt");
    w.String(kCreated);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  w.EndArray();
  w.EndObject();
  ApiResponse r;
  r.body = buf.GetString();
  return r;
}

}  // namespace salesaudit::sim

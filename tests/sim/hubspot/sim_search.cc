#include "tests/sim/hubspot/sim_search.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <utility>

#include "core/time_util.h"
#include "tests/sim/common/sim_text.h"

namespace salesaudit::sim {
namespace {

std::optional<double> ParseNumber(std::string_view text) {
  if (text.empty()) return std::nullopt;
  const std::string copy(text);
  char* end = nullptr;
  const double v = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size()) return std::nullopt;
  return v;
}

// A property value on the kind's scale; nullopt when the value does not
// parse (then only string and presence operators can match).
std::optional<double> NumericValue(PropertyKind kind, std::string_view text) {
  if (kind == PropertyKind::kDatetime) {
    std::optional<int64_t> ms = ParseTimestampMs(text);
    if (!ms) return std::nullopt;
    return static_cast<double>(*ms);
  }
  if (kind == PropertyKind::kNumber) return ParseNumber(text);
  return std::nullopt;
}

Result<FilterOp> ParseOp(std::string_view name) {
  static const std::pair<const char*, FilterOp> kOps[] = {
      {"EQ", FilterOp::kEq},
      {"NEQ", FilterOp::kNeq},
      {"LT", FilterOp::kLt},
      {"LTE", FilterOp::kLte},
      {"GT", FilterOp::kGt},
      {"GTE", FilterOp::kGte},
      {"BETWEEN", FilterOp::kBetween},
      {"IN", FilterOp::kIn},
      {"NOT_IN", FilterOp::kNotIn},
      {"HAS_PROPERTY", FilterOp::kHasProperty},
      {"NOT_HAS_PROPERTY", FilterOp::kNotHasProperty},
      {"CONTAINS_TOKEN", FilterOp::kContainsToken},
      {"NOT_CONTAINS_TOKEN", FilterOp::kNotContainsToken},
  };
  for (const auto& [text, op] : kOps) {
    if (name == text) return op;
  }
  return Status::InvalidArgument("Unknown operator: " + std::string(name));
}

// Converts a JSON filter value (string, number or bool) for the property's
// kind. Datetimes accept epoch ms (number or digit string) and ISO strings.
Result<Operand> ParseOperand(const rapidjson::Value& json, const SearchFilter& filter) {
  std::string text;
  if (json.IsString()) {
    text.assign(json.GetString(), json.GetStringLength());
  } else if (json.IsInt64()) {
    text = std::to_string(json.GetInt64());
  } else if (json.IsNumber()) {
    text = std::to_string(json.GetDouble());
  } else if (json.IsBool()) {
    text = json.GetBool() ? "true" : "false";
  } else {
    return Status::InvalidArgument("Filter value for " + filter.property + " must be a string");
  }
  Operand operand;
  operand.text = Lower(text);
  if (filter.kind == PropertyKind::kDatetime || filter.kind == PropertyKind::kNumber) {
    operand.number = NumericValue(filter.kind, text);
    if (!operand.number) {
      return Status::InvalidArgument("Invalid value '" + text + "' for property " +
                                     filter.property);
    }
  }
  return operand;
}

Result<SearchFilter> ParseFilter(const rapidjson::Value& json) {
  if (!json.IsObject() || !json.HasMember("propertyName") || !json["propertyName"].IsString() ||
      !json.HasMember("operator") || !json["operator"].IsString()) {
    return Status::InvalidArgument("Each filter needs propertyName and operator");
  }
  SearchFilter filter;
  filter.property = json["propertyName"].GetString();
  filter.kind = KindOf(filter.property);
  Result<FilterOp> op = ParseOp(json["operator"].GetString());
  if (!op.ok()) return op.status();
  filter.op = *op;
  switch (filter.op) {
    case FilterOp::kHasProperty:
    case FilterOp::kNotHasProperty:
      return filter;
    case FilterOp::kIn:
    case FilterOp::kNotIn: {
      if (!json.HasMember("values") || !json["values"].IsArray()) {
        return Status::InvalidArgument("Operator IN requires values");
      }
      for (const rapidjson::Value& v : json["values"].GetArray()) {
        Result<Operand> operand = ParseOperand(v, filter);
        if (!operand.ok()) return operand.status();
        filter.values.push_back(std::move(*operand));
      }
      return filter;
    }
    case FilterOp::kBetween: {
      if (!json.HasMember("highValue")) {
        return Status::InvalidArgument("Operator BETWEEN requires highValue");
      }
      Result<Operand> high = ParseOperand(json["highValue"], filter);
      if (!high.ok()) return high.status();
      filter.high_value = std::move(*high);
      break;
    }
    default:
      break;
  }
  if (!json.HasMember("value")) {
    return Status::InvalidArgument("Filter on " + filter.property + " requires a value");
  }
  Result<Operand> value = ParseOperand(json["value"], filter);
  if (!value.ok()) return value.status();
  filter.value = std::move(*value);
  return filter;
}

// A record's value for a property, read from the envelope fields where
// HubSpot indexes them (id, createdate, the type's modified date) and from
// the string map otherwise.
struct FieldValue {
  bool present = false;
  std::optional<double> number;
  std::string_view text;
};

FieldValue ValueOf(const SimObject& object, ObjectType type, const std::string& property,
                   PropertyKind kind) {
  FieldValue field;
  if (property == "createdate") {
    field.present = true;
    field.number = static_cast<double>(object.created_at_ms);
  } else if (property == ModifiedDateProperty(type)) {
    field.present = true;
    field.number = static_cast<double>(object.updated_at_ms);
  } else if (property == "hs_object_id") {
    field.present = true;
    field.number = ParseNumber(object.id);
  } else {
    auto it = object.properties.find(property);
    if (it == object.properties.end() || it->second.empty()) return field;
    field.present = true;
    field.text = it->second;
    field.number = NumericValue(kind, it->second);
  }
  return field;
}

bool EqualsText(std::string_view value, const std::string& lowered) {
  return value.size() == lowered.size() &&
         std::equal(value.begin(), value.end(), lowered.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == b;
         });
}

bool Equals(const FieldValue& field, const Operand& operand) {
  if (operand.number) return field.number && *field.number == *operand.number;
  return EqualsText(field.text, operand.text);
}

// -1, 0, 1; nullopt when the two cannot be compared.
std::optional<int> Compare(const FieldValue& field, const Operand& operand) {
  if (operand.number) {
    if (!field.number) return std::nullopt;
    return *field.number < *operand.number ? -1 : (*field.number > *operand.number ? 1 : 0);
  }
  const std::string value = Lower(field.text);
  return value < operand.text ? -1 : (value > operand.text ? 1 : 0);
}

bool Matches(const SimObject& object, ObjectType type, const SearchFilter& filter) {
  const FieldValue field = ValueOf(object, type, filter.property, filter.kind);
  switch (filter.op) {
    case FilterOp::kHasProperty:
      return field.present;
    case FilterOp::kNotHasProperty:
      return !field.present;
    case FilterOp::kNeq:
      return !field.present || !Equals(field, filter.value);
    case FilterOp::kNotIn:
      return !field.present || std::none_of(filter.values.begin(), filter.values.end(),
                                            [&](const Operand& v) { return Equals(field, v); });
    case FilterOp::kNotContainsToken:
      return !field.present || Lower(field.text).find(filter.value.text) == std::string::npos;
    default:
      break;
  }
  if (!field.present) return false;
  switch (filter.op) {
    case FilterOp::kEq:
      return Equals(field, filter.value);
    case FilterOp::kIn:
      return std::any_of(filter.values.begin(), filter.values.end(),
                         [&](const Operand& v) { return Equals(field, v); });
    case FilterOp::kContainsToken: {
      std::string token = filter.value.text;
      token.erase(std::remove(token.begin(), token.end(), '*'), token.end());
      return Lower(field.text).find(token) != std::string::npos;
    }
    default:
      break;
  }
  const std::optional<int> low = Compare(field, filter.value);
  if (!low) return false;
  switch (filter.op) {
    case FilterOp::kLt:
      return *low < 0;
    case FilterOp::kLte:
      return *low <= 0;
    case FilterOp::kGt:
      return *low > 0;
    case FilterOp::kGte:
      return *low >= 0;
    case FilterOp::kBetween: {
      const std::optional<int> high = Compare(field, filter.high_value);
      return *low >= 0 && high && *high <= 0;
    }
    default:
      return false;
  }
}

bool MatchesQuery(const SimObject& object, ObjectType type, const SearchQuery& query) {
  if (query.groups.empty()) return true;
  return std::any_of(query.groups.begin(), query.groups.end(), [&](const auto& group) {
    return std::all_of(group.begin(), group.end(),
                       [&](const SearchFilter& f) { return Matches(object, type, f); });
  });
}

}  // namespace

PropertyKind KindOf(std::string_view property) {
  if (property == "hs_object_id" || property == "amount" ||
      property == "hs_deal_stage_probability" || property.substr(0, 4) == "num_") {
    return PropertyKind::kNumber;
  }
  if (property == "createdate" || property == "lastmodifieddate" ||
      property == "hs_lastmodifieddate" || property == "closedate" ||
      std::string_view(property).ends_with("_date") || property.substr(0, 13) == "hs_v2_date_en") {
    return PropertyKind::kDatetime;
  }
  if (property == "hs_is_closed" || property == "hs_is_closed_won") return PropertyKind::kBool;
  return PropertyKind::kString;
}

Result<SearchQuery> ParseSearchQuery(std::string_view body) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    return Status::InvalidArgument(std::string("Invalid input JSON: ") +
                                   rapidjson::GetParseError_En(doc.GetParseError()));
  }
  SearchQuery query;
  size_t total_filters = 0;
  if (doc.HasMember("filterGroups")) {
    const rapidjson::Value& groups = doc["filterGroups"];
    if (!groups.IsArray()) return Status::InvalidArgument("filterGroups must be an array");
    if (groups.Size() > kMaxFilterGroups) {
      return Status::InvalidArgument("Too many filter groups (max 5)");
    }
    for (const rapidjson::Value& group : groups.GetArray()) {
      if (!group.IsObject() || !group.HasMember("filters") || !group["filters"].IsArray()) {
        return Status::InvalidArgument("Each filter group needs a filters array");
      }
      const auto filters = group["filters"].GetArray();
      if (filters.Size() > kMaxFiltersPerGroup) {
        return Status::InvalidArgument("Too many filters in a group (max 10)");
      }
      total_filters += filters.Size();
      std::vector<SearchFilter> parsed;
      for (const rapidjson::Value& f : filters) {
        Result<SearchFilter> filter = ParseFilter(f);
        if (!filter.ok()) return filter.status();
        parsed.push_back(std::move(*filter));
      }
      query.groups.push_back(std::move(parsed));
    }
  }
  if (total_filters > kMaxFilters) return Status::InvalidArgument("Too many filters (max 25)");

  if (doc.HasMember("sorts")) {
    const rapidjson::Value& sorts = doc["sorts"];
    if (!sorts.IsArray()) return Status::InvalidArgument("sorts must be an array");
    if (sorts.Size() > 1) return Status::InvalidArgument("Only one sort is allowed");
    for (const rapidjson::Value& sort : sorts.GetArray()) {
      if (sort.IsString()) {
        // Shorthand "-prop" / "prop".
        std::string name = sort.GetString();
        query.descending = !name.empty() && name[0] == '-';
        query.sort_property = query.descending ? name.substr(1) : name;
        continue;
      }
      if (!sort.IsObject() || !sort.HasMember("propertyName") || !sort["propertyName"].IsString()) {
        return Status::InvalidArgument("A sort needs propertyName");
      }
      query.sort_property = sort["propertyName"].GetString();
      if (sort.HasMember("direction")) {
        const std::string dir = sort["direction"].IsString() ? sort["direction"].GetString() : "";
        if (dir != "ASCENDING" && dir != "DESCENDING") {
          return Status::InvalidArgument("Sort direction must be ASCENDING or DESCENDING");
        }
        query.descending = dir == "DESCENDING";
      }
    }
  }

  if (doc.HasMember("properties")) {
    const rapidjson::Value& props = doc["properties"];
    if (!props.IsArray()) return Status::InvalidArgument("properties must be an array");
    std::vector<std::string> names;
    for (const rapidjson::Value& p : props.GetArray()) {
      if (!p.IsString()) return Status::InvalidArgument("properties must be strings");
      names.emplace_back(p.GetString());
    }
    query.properties = std::move(names);
  }

  if (doc.HasMember("limit")) {
    const rapidjson::Value& limit = doc["limit"];
    if (!limit.IsInt()) return Status::InvalidArgument("limit must be an integer");
    query.limit = limit.GetInt();
    if (query.limit < 0 || query.limit > kMaxSearchLimit) {
      return Status::InvalidArgument("limit must be between 0 and 200, got " +
                                     std::to_string(query.limit));
    }
  }
  if (doc.HasMember("after")) {
    const rapidjson::Value& after = doc["after"];
    if (after.IsString()) {
      const std::string text = after.GetString();
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), query.after);
      if (!text.empty() && (ec != std::errc() || end != text.data() + text.size())) {
        return Status::InvalidArgument("after must be a numeric offset, got '" + text + "'");
      }
    } else if (after.IsInt64()) {
      query.after = after.GetInt64();
    } else if (!after.IsNull()) {
      return Status::InvalidArgument("after must be a string");
    }
    if (query.after < 0) return Status::InvalidArgument("after must not be negative");
  }
  return query;
}

std::vector<const SimObject*> RunSearch(const ObjectTable& table, ObjectType type,
                                        const SearchQuery& query, int64_t now_ms, int64_t* total) {
  struct Match {
    const SimObject* object;
    int64_t id;
    FieldValue key;
  };
  std::vector<Match> matches;
  const PropertyKind sort_kind =
      query.sort_property ? KindOf(*query.sort_property) : PropertyKind::kNumber;
  for (size_t i = 0; i < table.records.size(); ++i) {
    // Archived records are invisible to search; a changed one is seen as the
    // index last caught it, a new one not at all until it is indexed.
    if (table.records[i].archived) continue;
    const SimObject* object = table.Searchable(i, now_ms);
    if (object == nullptr || !MatchesQuery(*object, type, query)) continue;
    Match m{object, table.ids[i], {}};
    if (query.sort_property) m.key = ValueOf(*object, type, *query.sort_property, sort_kind);
    matches.push_back(m);
  }
  *total = static_cast<int64_t>(matches.size());

  // Missing values sort last either way; ties keep id order.
  auto less = [&](const Match& a, const Match& b) {
    if (query.sort_property) {
      if (a.key.present != b.key.present) return a.key.present;
      int c = 0;
      if (a.key.number && b.key.number) {
        c = *a.key.number < *b.key.number ? -1 : (*a.key.number > *b.key.number ? 1 : 0);
      } else {
        c = a.key.text < b.key.text ? -1 : (a.key.text > b.key.text ? 1 : 0);
      }
      if (c != 0) return query.descending ? c > 0 : c < 0;
    }
    return a.id < b.id;
  };
  const size_t end = std::min(matches.size(), static_cast<size_t>(query.after + query.limit));
  if (query.sort_property) {
    std::partial_sort(matches.begin(), matches.begin() + static_cast<long>(end), matches.end(),
                      less);
  }
  std::vector<const SimObject*> page;
  for (size_t i = static_cast<size_t>(query.after); i < end; ++i) page.push_back(matches[i].object);
  return page;
}

}  // namespace salesaudit::sim

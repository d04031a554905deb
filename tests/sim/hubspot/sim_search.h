// The CRM search endpoint's request model and evaluation
// (POST /crm/v3/objects/{type}/search, docs/vendors/hubspot.md "Search"): filter groups
// OR'ed, filters AND'ed inside a group, one sort, numeric offset paging capped
// at 10,000 results. Pure functions over a Portal table; the caller holds the
// portal mutex.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "tests/sim/hubspot/sim_portal.h"

namespace salesaudit::sim {

// How a property's string values compare: HubSpot stores every value as a
// string but filters by the property's declared type.
enum class PropertyKind { kString, kNumber, kDatetime, kBool };
PropertyKind KindOf(std::string_view property);

enum class FilterOp {
  kEq,
  kNeq,
  kLt,
  kLte,
  kGt,
  kGte,
  kBetween,
  kIn,
  kNotIn,
  kHasProperty,
  kNotHasProperty,
  kContainsToken,
  kNotContainsToken,
};

// A filter value, already converted for the property's kind: `number` holds
// numbers and datetimes (epoch ms), `text` holds strings lower-cased.
struct Operand {
  std::optional<double> number;
  std::string text;
};

struct SearchFilter {
  std::string property;
  PropertyKind kind = PropertyKind::kString;
  FilterOp op = FilterOp::kEq;
  Operand value;
  Operand high_value;           // BETWEEN
  std::vector<Operand> values;  // IN, NOT_IN
};

struct SearchQuery {
  std::vector<std::vector<SearchFilter>> groups;  // empty = everything
  std::optional<std::string> sort_property;       // none = by id
  bool descending = false;
  std::optional<std::vector<std::string>> properties;
  int limit = 10;
  int64_t after = 0;
};

// The limits HubSpot enforces on a search request (docs/vendors/hubspot.md "Search").
inline constexpr int kMaxSearchLimit = 200;
inline constexpr int64_t kMaxSearchResults = 10'000;
inline constexpr size_t kMaxFilterGroups = 5;
inline constexpr size_t kMaxFiltersPerGroup = 10;
inline constexpr size_t kMaxFilters = 25;

// Parses a search body. Fails with InvalidArgument (answered as a 400
// VALIDATION_ERROR) on malformed JSON, unknown operators, unparsable filter
// values, limit > 200, more than one sort, or too many filters. The
// 10,000-result cap is the caller's to check, after it has recorded `after`.
Result<SearchQuery> ParseSearchQuery(std::string_view body);

// The requested page [after, after+limit) of the records matching `query`:
// live (never archived), filtered and sorted (by id unless the query names a
// sort) in the version the index holds at `now_ms` (ObjectTable::Searchable:
// the previous version of a record changed within the index lag, nothing for
// one created within it). The pointers are to those versions, which the
// caller returns as they are. `total` receives the full match count.
std::vector<const SimObject*> RunSearch(const ObjectTable& table, ObjectType type,
                                        const SearchQuery& query, int64_t now_ms, int64_t* total);

}  // namespace salesaudit::sim

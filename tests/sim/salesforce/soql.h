// The SOQL subset the simulator answers (docs/vendors/salesforce.md "SOQL"):
//
//   SELECT COUNT() | field, ... FROM object
//     [WHERE condition] [ORDER BY field [ASC|DESC] [NULLS FIRST|LAST], ...]
//     [LIMIT n]
//
// where a condition is comparisons (= != <> < <= > >= and LIKE) against
// typed literals, IN / NOT IN lists, semi- and anti-joins
// (`field [NOT] IN (SELECT field FROM other [WHERE ...])`), NOT, and
// parenthesised groups joined by AND or by OR (mixing them without
// parentheses is refused, as Salesforce refuses it). A tokenizer and a
// recursive-descent parser with bounded length and depth; type checks against
// the object's schema at parse time, with Salesforce's error codes and
// wording. Pure functions; the caller holds the org's lock.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "tests/sim/salesforce/sf_org.h"

namespace salesaudit::sim {

// A refused query: answered as 400 [{"message":..., "errorCode":...}].
struct SoqlError {
  std::string code;  // MALFORMED_QUERY, INVALID_FIELD, INVALID_TYPE, ...
  std::string message;
};

enum class SoqlOp { kEq, kNe, kLt, kLe, kGt, kGe, kLike, kIn, kNotIn };

struct SoqlQuery;

struct SoqlCondition {
  const FieldDef* field = nullptr;
  SoqlOp op = SoqlOp::kEq;
  std::vector<SfValue> values;          // one, or the IN list; typed for the field
  std::shared_ptr<SoqlQuery> subquery;  // semi- or anti-join
};

struct SoqlExpr {
  enum class Kind { kCondition, kAnd, kOr, kNot };
  Kind kind = Kind::kCondition;
  SoqlCondition condition;
  std::vector<SoqlExpr> children;
};

struct SoqlOrder {
  const FieldDef* field = nullptr;
  bool descending = false;
  bool nulls_first = true;  // Salesforce's default, whatever the direction
};

struct SoqlQuery {
  const ObjectSchema* object = nullptr;
  bool count = false;                   // SELECT COUNT()
  std::vector<const FieldDef*> fields;  // in select order
  std::optional<SoqlExpr> where;
  std::vector<SoqlOrder> order;
  std::optional<int64_t> limit;
};

// The longest query text accepted (Salesforce's default SOQL statement
// limit).
inline constexpr size_t kMaxSoqlLength = 100'000;

std::variant<SoqlQuery, SoqlError> ParseSoql(std::string_view text, const Org& org);

// The records `query` selects at `now_ms`, ordered and limited. Rows that tie
// on every ORDER BY key (or all rows, without ORDER BY) come in an order
// drawn from `rng`: clients must not rely on it.
std::vector<const SfRecord*> RunSoql(const SoqlQuery& query, const Org& org, int64_t now_ms,
                                     bool include_deleted, std::mt19937_64& rng);

}  // namespace salesaudit::sim

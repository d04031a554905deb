// Prepared statements, the values bound to them, and the table-driven
// reader that turns a result row into a struct. Internal to store/
// (store.h is the interface); sqlite3.h stays in the .cc files, so the
// statement handle is opaque here.
//
// A row type is read through a table of its columns, one entry per column
// of the SELECT list, naming the SQL expression and the field it fills:
//
//   constexpr Column<StoredOwner> kOwnerColumns[] = {
//       ColumnOf<&StoredOwner::source>("source"),
//       ColumnOf<&StoredOwner::owner, &Owner::id>("id"), ...};
//   std::string sql = SelectSql<StoredOwner>(kOwnerColumns, "FROM owners ORDER BY source, id");
//   ...
//   ReadRow<StoredOwner>(stmt, kOwnerColumns, owner);  // for each result row
//
// Threading: no state of its own; a statement is used under its
// connection's lock (Database::Lock).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/records.h"

struct sqlite3_stmt;

namespace salesaudit {

// An owned prepared statement, finalized with its owner.
class Statement {
 public:
  Statement() = default;
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  sqlite3_stmt* get() const { return stmt_; }
  sqlite3_stmt** out() { return &stmt_; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

// Binders: the bound text points into the caller's strings (SQLITE_STATIC), so
// nothing is copied per row; the statement is stepped before they go away.
// An empty string is unknown and bound as NULL by BindText; BindRequiredText
// is for NOT NULL columns (JSON, keys), where an empty value is bound as
// written.
void BindText(sqlite3_stmt* s, int i, std::string_view v);
void BindRequiredText(sqlite3_stmt* s, int i, std::string_view v);
void BindTime(sqlite3_stmt* s, int i, const TimeMs& v);  // also any optional count
void BindReal(sqlite3_stmt* s, int i, const std::optional<double>& v);
void BindBool(sqlite3_stmt* s, int i, bool v);

// Column readers, one per field type a row struct holds: NULL reads as ""
// for text and as unset for optionals; integer 0/1 columns read as bool.
void ReadValue(sqlite3_stmt* s, int i, std::string& out);
// Into SQLite's own buffer, valid until the statement steps or resets: for
// rows handed to a callback and dropped, a scan of millions copies nothing.
void ReadValue(sqlite3_stmt* s, int i, std::string_view& out);
void ReadValue(sqlite3_stmt* s, int i, TimeMs& out);  // also any optional count
void ReadValue(sqlite3_stmt* s, int i, int64_t& out);
void ReadValue(sqlite3_stmt* s, int i, bool& out);
void ReadValue(sqlite3_stmt* s, int i, std::optional<double>& out);
// A stage_events.stage, which its CHECK keeps to FunnelStageName's values.
void ReadValue(sqlite3_stmt* s, int i, FunnelStage& out);

// One column of a SELECT list and how a `Row` keeps it.
template <typename Row>
struct Column {
  const char* expression;  // as the SELECT list writes it
  void (*read)(sqlite3_stmt* s, int i, Row& row);
};

namespace statement_internal {

template <typename MemberPointer>
struct MemberOf;
template <typename Class, typename Field>
struct MemberOf<Field Class::*> {
  using ClassType = Class;
};

// The type a path of member pointers starts from: the row type.
template <auto First, auto... Rest>
struct PathStart {
  using Type = typename MemberOf<decltype(First)>::ClassType;
};
template <auto... Path>
using RowOf = typename PathStart<Path...>::Type;

// The field that a path of member pointers names inside `row`.
template <auto First, auto... Rest>
auto& FieldAt(RowOf<First>& row) {
  if constexpr (sizeof...(Rest) == 0) {
    return row.*First;
  } else {
    return FieldAt<Rest...>(row.*First);
  }
}

}  // namespace statement_internal

// The column `expression`, read into the field `Path` names: one member
// pointer per level, from the row type down (&StoredDeal::deal, &Deal::amount).
// The field's type picks its ReadValue.
template <auto... Path>
constexpr Column<statement_internal::RowOf<Path...>> ColumnOf(const char* expression) {
  using Row = statement_internal::RowOf<Path...>;
  return {expression, [](sqlite3_stmt* s, int i, Row& row) {
            ReadValue(s, i, statement_internal::FieldAt<Path...>(row));
          }};
}

// "SELECT <the columns' expressions, comma-separated> <rest>".
template <typename Row>
std::string SelectSql(std::span<const Column<Row>> columns, std::string_view rest) {
  std::string sql = "SELECT ";
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i > 0) sql += ", ";
    sql += columns[i].expression;
  }
  sql += ' ';
  sql += rest;
  return sql;
}

// Reads the current result row of `s` into `row`: result column i through
// columns[i]. Fields no column names keep their values.
template <typename Row>
void ReadRow(sqlite3_stmt* s, std::span<const Column<Row>> columns, Row& row) {
  for (size_t i = 0; i < columns.size(); ++i) columns[i].read(s, static_cast<int>(i), row);
}

}  // namespace salesaudit

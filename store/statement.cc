#include "store/statement.h"

#include <sqlite3.h>

namespace salesaudit {

Statement::~Statement() { sqlite3_finalize(stmt_); }

void BindText(sqlite3_stmt* s, int i, std::string_view v) {
  if (v.empty()) {
    sqlite3_bind_null(s, i);
  } else {
    BindRequiredText(s, i, v);
  }
}

void BindRequiredText(sqlite3_stmt* s, int i, std::string_view v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}

void BindTime(sqlite3_stmt* s, int i, const TimeMs& v) {
  if (v) {
    sqlite3_bind_int64(s, i, *v);
  } else {
    sqlite3_bind_null(s, i);
  }
}

void BindReal(sqlite3_stmt* s, int i, const std::optional<double>& v) {
  if (v) {
    sqlite3_bind_double(s, i, *v);
  } else {
    sqlite3_bind_null(s, i);
  }
}

void BindBool(sqlite3_stmt* s, int i, bool v) { sqlite3_bind_int(s, i, v ? 1 : 0); }

void ReadValue(sqlite3_stmt* s, int i, std::string& out) {
  const unsigned char* text = sqlite3_column_text(s, i);
  if (text == nullptr) {
    out.clear();
  } else {
    out.assign(reinterpret_cast<const char*>(text),
               static_cast<size_t>(sqlite3_column_bytes(s, i)));
  }
}

void ReadValue(sqlite3_stmt* s, int i, std::string_view& out) {
  const unsigned char* text = sqlite3_column_text(s, i);
  out = text == nullptr ? std::string_view()
                        : std::string_view(reinterpret_cast<const char*>(text),
                                           static_cast<size_t>(sqlite3_column_bytes(s, i)));
}

void ReadValue(sqlite3_stmt* s, int i, TimeMs& out) {
  if (sqlite3_column_type(s, i) == SQLITE_NULL) {
    out.reset();
  } else {
    out = sqlite3_column_int64(s, i);
  }
}

void ReadValue(sqlite3_stmt* s, int i, int64_t& out) { out = sqlite3_column_int64(s, i); }

void ReadValue(sqlite3_stmt* s, int i, bool& out) { out = sqlite3_column_int(s, i) != 0; }

void ReadValue(sqlite3_stmt* s, int i, FunnelStage& out) {
  const unsigned char* text = sqlite3_column_text(s, i);
  const std::optional<FunnelStage> stage =
      text == nullptr ? std::nullopt
                      : ParseFunnelStage(std::string_view(reinterpret_cast<const char*>(text),
                                                          sqlite3_column_bytes(s, i)));
  out = stage.value_or(FunnelStage::kMql);
}

void ReadValue(sqlite3_stmt* s, int i, std::optional<double>& out) {
  if (sqlite3_column_type(s, i) == SQLITE_NULL) {
    out.reset();
  } else {
    out = sqlite3_column_double(s, i);
  }
}

}  // namespace salesaudit

#include "connectors/paging.h"

#include <rapidjson/document.h>

#include "core/json_reader.h"

namespace salesaudit {

Status ReadCursorDocument(const std::string& text, int version, rapidjson::Document* doc) {
  if (!ParseJson(text, doc).ok() || !doc->IsObject() || GetInt64(*doc, "v") != version) {
    return Status::DataLoss("stored cursor is not one this version wrote; run `sync --full`");
  }
  return Status::Ok();
}

Status CheckPagingToken(std::string_view token, const std::string& where) {
  if (token.size() <= kMaxPagingTokenBytes) return Status::Ok();
  return Status::DataLoss(where + ": paging token of " + std::to_string(token.size()) +
                          " bytes is over the " + std::to_string(kMaxPagingTokenBytes) +
                          "-byte limit; not followed");
}

Status PagingGuard::Follow(std::string_view token, std::string_view scope) {
  if (Status s = CheckPagingToken(token, where_); !s.ok()) return s;
  const std::string in_scope = scope.empty() ? "" : " of " + std::string(scope);
  // First pages ("") are as many as the scopes; continuation pages are
  // what a runaway API multiplies.
  if (!token.empty() && ++followed_ > max_) {
    return Status::DataLoss(where_ + in_scope + ": more than " + std::to_string(max_) +
                            " pages (max_pages_per_run); the API does not stop paging");
  }
  if (!seen_.emplace(std::string(scope), std::string(token)).second) {
    return Status::DataLoss(
        where_ + in_scope +
        ": a paging token came back (the API's paging repeats itself); stopped");
  }
  return Status::Ok();
}

}  // namespace salesaudit

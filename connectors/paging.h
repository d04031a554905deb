// Guards for following a vendor's paging tokens. The sync engine already
// stops a stream whose committed cursor repeats or that reaches
// max_pages_per_run; these cover what the engine cannot see: a token before
// it is put in a URL or a cursor, and paging loops inside one Next() whose
// tokens never reach the cursor (HubSpot's association pages, Mailchimp's
// listing of parent campaigns).
//
// Threading: a PagingGuard is used by one thread, for one loop.
//
//   PagingGuard guard(context + ": associations", config.max_pages_per_run);
//   while (...) {
//     if (Status s = guard.Follow(after, deal_id); !s.ok()) return s;
//     ...
//   }
#pragma once

// Declarations only: paging.cc includes rapidjson/document.h.
#include <rapidjson/fwd.h>

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "core/status.h"

namespace salesaudit {

// The longest paging token followed. HubSpot's `after` and offset tokens
// are under 100 bytes; a longer one would make URLs no server accepts and
// cursors that wedge every later run.
inline constexpr size_t kMaxPagingTokenBytes = 4096;

// Ok for a token of at most kMaxPagingTokenBytes; otherwise kDataLoss
// "<where>: paging token of N bytes is over the 4096-byte limit; not
// followed".
Status CheckPagingToken(std::string_view token, const std::string& where);

// The JSON object of a stored cursor that names itself `{"v": version, ...}`;
// kDataLoss "stored cursor is not one this version wrote; run `sync --full`"
// for any other text (a cursor of an older release, or damaged).
Status ReadCursorDocument(const std::string& text, int version, rapidjson::Document* doc);

class PagingGuard {
 public:
  // `where` prefixes messages ("hubspot[crm]: deals: associations").
  PagingGuard(std::string where, int64_t max_pages) : where_(std::move(where)), max_(max_pages) {}

  // Call before each request that follows `token` ("" for a first page)
  // within `scope` (e.g. the deal whose associations are paged). kDataLoss
  // when the token is oversized, was followed before in the same scope (the
  // API's paging cycles), or more than `max_pages` non-empty tokens were
  // followed.
  Status Follow(std::string_view token, std::string_view scope = {});

 private:
  std::string where_;
  int64_t max_;
  int64_t followed_ = 0;
  std::set<std::pair<std::string, std::string>> seen_;  // (scope, token)
};

}  // namespace salesaudit

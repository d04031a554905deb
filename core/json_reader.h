// Reading JSON that comes from outside the process (vendor pages and error
// bodies, token responses, cursors and snapshots read back from the store,
// alert rows): ParseJson is the one way such text is parsed, and the
// accessors read it tolerantly. Vendors omit fields, send null for unset ones
// and occasionally change a type, and a stored row may be damaged, so every
// accessor says "absent" instead of asserting. Pure functions; thread-safe on
// distinct documents.
//
//   rapidjson::Document doc;
//   if (Status s = ParseJson(response.body, &doc); !s.ok()) return s.WithContext(where);
//   const rapidjson::Value* results = GetArray(doc, "results");
//   if (results == nullptr) return Status::DataLoss(where + ": no results array");
//   for (const rapidjson::Value& item : results->GetArray()) {
//     Result<std::string_view> id = RequireString(item, "id");
//     std::optional<std::string_view> email = GetString(item, "email");  // may be null
//   }
//   // Chained reads through objects that may be missing take pointers:
//   std::optional<double> leads = GetDouble(GetObject(doc, "funnel"), "leads");
#pragma once

// Declarations only: the .cc files that walk a document include rapidjson/document.h.
#include <rapidjson/fwd.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace salesaudit {

// Parses `text` into `doc`, iteratively and only when it is nested no deeper
// than kMaxJsonDepth (core/json_limits.h), so no input can exhaust the stack
// here or in a later walk over `doc`. A syntax error at the very end of the input means
// the body was cut short (a truncated transfer that got through): kUnavailable,
// retryable. Any other error is kDataLoss. Messages: "invalid JSON at offset
// N: <reason>" or "JSON nested deeper than 128 levels at offset N"; on the
// latter `doc` is left null.
Status ParseJson(std::string_view text, rapidjson::Document* doc);

// ParseJson for a large answer parsed once: its strings are decoded in
// place, and `doc` points into `text` instead of holding copies, so `text`
// must stay unchanged where it is (not moved: a short string lives in its
// object) while `doc` is read. `text` is overwritten whether or not the
// parse succeeds. The same document and statuses as ParseJson; text with a
// NUL byte of its own, or starting with a byte-order mark, is parsed as
// ParseJson parses it.
Status ParseJsonInPlace(std::string& text, rapidjson::Document* doc);

// The member `key` of `object` as sent, null included (for a reader that
// tells a null value from a missing one); nullptr when `object` is not an
// object or has no member `key`.
const rapidjson::Value* GetMember(const rapidjson::Value& object, std::string_view key);

// The member `key` of `object` when it is present and of the asked type;
// nullopt/nullptr when `object` is not an object, the member is absent or
// null, or it has another type. String views point into the document.
std::optional<std::string_view> GetString(const rapidjson::Value& object, std::string_view key);
std::optional<int64_t> GetInt64(const rapidjson::Value& object, std::string_view key);
std::optional<double> GetDouble(const rapidjson::Value& object, std::string_view key);
std::optional<bool> GetBool(const rapidjson::Value& object, std::string_view key);
const rapidjson::Value* GetObject(const rapidjson::Value& object, std::string_view key);
const rapidjson::Value* GetArray(const rapidjson::Value& object, std::string_view key);

// The same for chained reads: a null `object` (a lookup that found nothing)
// reads as absent.
const rapidjson::Value* GetMember(const rapidjson::Value* object, std::string_view key);
std::optional<double> GetDouble(const rapidjson::Value* object, std::string_view key);
std::optional<bool> GetBool(const rapidjson::Value* object, std::string_view key);
const rapidjson::Value* GetObject(const rapidjson::Value* object, std::string_view key);
const rapidjson::Value* GetArray(const rapidjson::Value* object, std::string_view key);

// GetString copied, "" when there is none: for cursors and tokens where
// an absent value and an empty one mean the same.
std::string GetStringOrEmpty(const rapidjson::Value& object, std::string_view key);

// An id sent as a string ("12726") or an integer (12726), as text; "" when
// absent or of another type. Vendors send ids either way, sometimes both in
// one API (HubSpot's emailCampaignId is a number, its object ids strings).
std::string GetId(const rapidjson::Value& object, std::string_view key);

// GetString for fields a record cannot do without (ids): kDataLoss
// "missing string field 'KEY'" when absent, null or not a string.
Result<std::string_view> RequireString(const rapidjson::Value& object, std::string_view key);

// "a string", "a number", "an object", "an array", "a boolean" or "null":
// how messages name the JSON type a vendor sent.
const char* JsonTypeName(const rapidjson::Value& value);

}  // namespace salesaudit

// The check every page passes before it is stored, whatever connector made
// it: vendor values are outside data, and one bad value must neither reach
// the store (where it would make the snapshot invalid UTF-8 or the audit
// unbounded) nor block the stream (a page that fails forever is never
// committed, so the stream never moves past it).
//
// CheckPage repairs each record in place, field by field (the decisions,
// per field, are in docs/values.md):
//   - text: invalid UTF-8 becomes U+FFFD; NUL, the other C0 controls, DEL and
//     the C1 controls are removed (free text such as names keeps tab and
//     newline); an id of another record that needed either is unset, since a
//     repaired id names another record;
//   - sizes: free text (names, subjects) is cut to kMaxFreeTextBytes at a
//     character boundary; an id, email, code or URL longer than its bound is
//     unset, since a cut one would name something else;
//   - times outside IsPlausibleTimeMs are unset; amounts that are not finite
//     or beyond kMaxPlausibleAmount (core/records.h), and counts below 0 or
//     beyond kMaxCount, unset;
//   - a record or deletion whose own id is empty, over-long or not clean text
//     is dropped (any repair would make it another record), named by its
//     position in the page and its email or name where it has one;
//   - a deal link without a usable deal or contact id, a stage event without
//     a usable contact or origin id or a plausible `at`, and a contact alias
//     without both ids, onto itself or without a plausible `at` is dropped
//     (none of them means anything with a part unknown), its issue naming
//     the link or the contact it is about.
// Each repair adds a ValueIssue to page.value_issues. The issues, the
// connector's own and the check's, are then counted in
// salesaudit_values_rejected_total{connector,stream,property} and described
// in page.warnings after the connector's own warnings: the first
// kMaxWarningsLoggedPerPage in full and the rest as one count, so a page of
// bad records does not flood the log.
//
// Threading: pure apart from the metric (thread-safe); call from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/records.h"

namespace salesaudit {

// Ids of records and of the records they name (owner, campaign, contact
// links). Vendors' ids are far shorter (HubSpot ~12 digits, Salesforce 18,
// Mailchimp 32 hex).
inline constexpr size_t kMaxIdBytes = 256;
// RFC 5321: 64 for the local part, 1 for @, 255 for the domain.
inline constexpr size_t kMaxEmailBytes = 320;
// The source's own codes and labels: channel, stage, pipeline, status,
// currency, kinds and types.
inline constexpr size_t kMaxCodeBytes = 256;
// Names and subjects.
inline constexpr size_t kMaxFreeTextBytes = 1024;
// Clicked links, tracking parameters included.
inline constexpr size_t kMaxUrlBytes = 4096;
// Larger than any campaign's sends or opens.
inline constexpr int64_t kMaxCount = 1000000000000;
// Warnings (the connector's and the value issues) logged in full per page;
// the rest are counted in one line.
inline constexpr size_t kMaxWarningsLoggedPerPage = 10;

// Repairs `page` (its stream set) made by `connector` as described above.
void CheckPage(const std::string& connector, Page& page);

// A short excerpt of an outside value for messages: at most about 40 bytes,
// cut at a character boundary, in quotes, with quotes and backslashes
// escaped and control characters and invalid UTF-8 as
// EscapeControlCharacters shows them, and the full size when cut:
// `"abc"... (10485760 bytes)`.
std::string ValueExcerpt(std::string_view value);

}  // namespace salesaudit

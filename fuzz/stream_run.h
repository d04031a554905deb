// One run of one connector stream against a given base URL, as a sync pass
// reads it, with the pages thrown away: what the connector_page fuzz target
// (connector_page_fuzz.cc) and the seed recorders (seed_recording.cc) run.
//
// Threading: a free function; each call builds its own connector and client.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace salesaudit::fuzz {

// Pages one fuzz input may read: enough for a list, its next page and the
// archived listing, or the 13 windows of 30 days a first email_events run
// reads to cover its default year.
inline constexpr int kMaxPagesPerRun = 16;

// Opens `stream` of a connector of `type` (compiled in) configured with
// `base_url` (also every `*_url` auth key the type takes, e.g. a login URL) and
// `auth`, and calls Next() until the run ends, a page fails or
// `max_pages` pages came, describing each page's cursor as `status` does.
// Aborts when the connector cannot be created or the stream opened: callers
// pass a compiled-in type, one of its streams and the credentials it
// requires.
void ReadStream(const std::string& type, const std::string& stream, const std::string& base_url,
                const std::map<std::string, std::string>& auth, int64_t started_at_ms,
                int max_pages);

}  // namespace salesaudit::fuzz

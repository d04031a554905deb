// The connector interface and registry. A connector fetches pages from one
// vendor API, maps them to canonical records and classifies failures; it never
// sleeps, retries or touches the store (docs/architecture.md "Who may include
// whom"). The sync engine opens one
// StreamReader per stream run, calls Next() until it returns no page, commits
// each page with its cursor in one transaction, and retries a failed Next()
// with backoff: Next() must not advance its position when it fails.
//
// Adding a connector: a folder connectors/<type>/ with a CMakeLists.txt
// defining library `connector_<type>` and a function
// `void Register<Type>Connector(ConnectorRegistry&)` (Type = CamelCase of
// the folder), plus one `salesaudit_add_connector(<type>)` line in
// connectors/CMakeLists.txt. Minimal example:
//
//   class EchoReader : public StreamReader {
//    public:
//     Result<std::optional<Page>> Next() override { return std::optional<Page>(); }
//   };
//   void RegisterEchoConnector(ConnectorRegistry& registry) {
//     ConnectorDescriptor d;
//     d.type = "echo";
//     d.streams = {{"contacts", RecordKind::kContact}};
//     d.auth_keys = {"token"};
//     d.options = {{"lookback", OptionType::kDuration, std::chrono::minutes(10),
//                   "Incremental syncs re-read this much before the cursor."}};
//     d.create = [](const ConnectorConfig& config, HttpClient& http) { ... };
//     registry.Register(std::move(d));
//   }
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/records.h"
#include "core/status.h"
#include "net/http_client.h"

namespace salesaudit {

// One run of one stream, from the cursor it was opened with.
// Threading: used by one thread at a time.
class StreamReader {
 public:
  virtual ~StreamReader() = default;
  // The next page, or nullopt when this run is done. On failure nothing
  // advances: calling Next() again repeats the same request(s). Failures are
  // classified (retryable: kRateLimited, kUnavailable; stop the connector:
  // kUnauthenticated, kPermissionDenied; others stop the stream) and their
  // messages name the stream, URL path and HTTP status.
  virtual Result<std::optional<Page>> Next() = 0;
};

// What the engine tells a connector about the run it starts. Connectors read
// no clock of their own: the run's time is started_at_ms, and anything later
// (an OAuth token's expiry) comes from HttpClient::clock(), the engine's.
struct StreamRun {
  std::string stream;
  std::string cursor;         // as last committed; "" = never synced
  int64_t started_at_ms = 0;  // wall clock at the start of the run; cursors never pass it
  // The ids of the stream's records the store holds live, in id order, for
  // vendors that list no deletions: a connector scanning all its records
  // marks the stored ones it no longer finds deleted. Unset where the engine
  // has no store at hand (the fuzzers).
  std::function<Result<std::vector<std::string>>()> stored_live_ids;
};

// A configured connector instance. Created by its descriptor's factory for
// one run of the connector; lives as long as that run.
class Connector {
 public:
  virtual ~Connector() = default;
  virtual Result<std::unique_ptr<StreamReader>> OpenStream(const StreamRun& run) = 0;
};

// What a stream's stored cursor says, in terms an operator reads: `salesaudit
// status`, /api/v1/status and `sync --dry-run` show it. A connector builds
// it with the parser its readers use, so it says what the next run will do.
struct CursorDescription {
  // How the next run reads the stream.
  enum class NextRead {
    kEverything,  // a first (or full) read of every record
    kWhole,       // a short list read whole on every run (owners): no time kept
    kWindow,      // the changes in [window_from, window_to]
    kPerPart,     // each part (a campaign, a list) from its own position: `parts`
  };
  NextRead next_read = NextRead::kEverything;
  // Not ok when the stored cursor is not one the connector reads: the next
  // run fails with this message (until `sync --full`); nothing else is set.
  Status unreadable;
  // Every change up to this time has been read: the cursor's high-water
  // mark. Unset before a first read has finished and for kWhole streams.
  TimeMs changes_through;
  // kWindow: the changes the next run reads. window_to unset: up to the
  // run's start; set when the window ends elsewhere (a resumed window's own
  // end, or the run's start in whole seconds).
  TimeMs window_from;
  TimeMs window_to;
  // The re-read before the cursor the windows include, for streams that have one.
  std::optional<std::chrono::milliseconds> lookback;
  // Set when a run stopped part-way: where the next run resumes, in words
  // ("the window to 2026-03-01T10:00:00.000Z after id 1234"). Ids are
  // escaped and bounded (CursorIdText); paging tokens are never quoted.
  std::string resumes;
  // A cursor of many parts: what they hold ("12 campaigns, read through
  // 2026-01-02T... to 2026-03-01T...").
  std::string parts;
};

// An id from a stored cursor, for a CursorDescription: control characters
// escaped, cut at 64 bytes ("..." added). Stored data is hostile.
std::string CursorIdText(std::string_view id);

// "changes through 2026-03-01T10:00:00.000Z", "no cursor: the next run is a
// first read", "read whole each run", "cursor unreadable: ...", with
// "; resumes an interrupted run at ..." when one stopped part-way: what
// `status` shows. `stored` is the stored cursor ("" = none).
std::string CursorStateText(const CursorDescription& cursor, const std::string& stored);

// What the next run reads, for `sync --dry-run`: "a full read of every
// record", "the whole list, as every run does", "changes from A to B
// (lookback 10m)", with "resumes an interrupted run at ..., then " before it
// when one stopped part-way. `now_ms` stands for the run's start.
std::string NextReadText(const CursorDescription& cursor, int64_t now_ms);

// A connector type, declared as data: what its config may say (the
// ConnectorSchema the config loader checks entries against) and how to build
// one.
struct ConnectorDescriptor : ConnectorSchema {
  std::string default_base_url;
  RateLimit default_rate_limit;
  // Extra budget buckets the connector's requests name (e.g. "search").
  std::map<std::string, RateLimit> extra_budget_buckets;
  // Reads the limit the vendor states in an answer's headers, which the
  // request budget then follows under the configured ceiling; unset for
  // vendors that state none.
  std::function<std::optional<VendorRateLimit>(const HttpResponse&)> read_rate_limit;
  // Where a configured connector's records can be opened in the vendor's web
  // app: by record kind, the URL prefix the record's id is appended to. Empty
  // when the config does not say enough (HubSpot without portal_id); unset
  // for vendors whose records have no stable page.
  std::function<std::map<RecordKind, std::string>(const ConnectorConfig&)> record_urls;
  // Describes `stream`'s stored cursor (Store::GetCursor's text, "" = never
  // synced) for a run of `config` starting at `now_ms`. Never fails: a
  // cursor it cannot read is described as unreadable. Unset for types that
  // keep no cursor worth describing (then: no cursor / a full read).
  std::function<CursorDescription(const ConnectorConfig& config, const std::string& stream,
                                  const std::string& cursor, int64_t now_ms)>
      describe_cursor;
  // Builds an instance for one run. `http` outlives the instance.
  std::function<Result<std::unique_ptr<Connector>>(const ConnectorConfig&, HttpClient& http)>
      create;
};

// The connector types compiled in. Filled once at startup by
// RegisterBuiltinConnectors(); read-only afterwards, so safe to share.
class ConnectorRegistry {
 public:
  void Register(ConnectorDescriptor descriptor);
  const ConnectorDescriptor* Find(const std::string& type) const;
  std::vector<const ConnectorDescriptor*> All() const;

  // What the config loader checks connector entries against.
  ConnectorSchemas Schemas() const;

 private:
  std::map<std::string, ConnectorDescriptor> descriptors_;
};

// The streams a connector syncs: those configured, else every one its type
// offers.
std::vector<std::string> ConfiguredStreams(const ConnectorConfig& config,
                                           const ConnectorDescriptor& type);

// `type`'s description of a stored cursor (ConnectorDescriptor::describe_cursor),
// or a plain one (no cursor / a full read) for types that give none.
CursorDescription DescribeStoredCursor(const ConnectorDescriptor& type,
                                       const ConnectorConfig& config, const std::string& stream,
                                       const std::string& cursor, int64_t now_ms);

// Registers every connector listed in connectors/CMakeLists.txt (generated).
void RegisterBuiltinConnectors(ConnectorRegistry& registry);

// The registry with the builtin connectors, built on first use.
const ConnectorRegistry& BuiltinConnectors();

}  // namespace salesaudit

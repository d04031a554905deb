// SyncEngine: runs a connector's streams and commits what they yield. It owns
// what connectors must not: retries with backoff (full jitter, or the wait the
// server asked for), the per-connector request budget, and the commit of each
// page with its cursor in one store transaction.
//
// Ownership: one per process, shared by the daemon and the CLI commands.
// Every time it reads (a run's start, which bounds the connectors' cursors;
// backoff waits; the budgets' windows; stored success and error times) comes
// from its clock, which must outlive it.
// Threading: RunConnector may run concurrently for different connectors (each
// call uses its own HttpClient); never call it twice at once for one
// connector (the daemon's scheduler guarantees that).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "config/config.h"
#include "connectors/connector.h"
#include "core/clock.h"
#include "core/status.h"
#include "store/store.h"

namespace salesaudit {

struct StreamSyncResult {
  std::string connector;
  std::string stream;
  Status status;
  int64_t records = 0;
  int64_t deletions = 0;
  // Contacts not stored because their id is an alias of another contact
  // (PageCommitNotes): a converted lead's Contact is kept as the lead.
  int64_t aliased_contacts = 0;
  int64_t pages = 0;
  int64_t retries = 0;
  // The run stopped at max_pages_per_run with its cursor kept (status ok).
  bool page_limit_reached = false;
  std::chrono::milliseconds elapsed{0};
  // "hubspot contacts: ok, 1200 records, 3 deleted, 13 pages in 1.2s" (with
  // ", 4 contacts kept as the contact they alias" when some were); a
  // failure's message follows with secrets redacted and control characters
  // escaped.
  std::string Summary() const;
};

// How far a stream's run has come, after each committed page.
struct SyncProgress {
  const std::string& connector;
  const std::string& stream;
  int64_t pages = 0;
  int64_t records = 0;
  int64_t deletions = 0;
  std::chrono::milliseconds elapsed{0};
};

// "hubspot contacts: 12000 records, 3 deleted, 24 pages in 31s (387 records/s)".
std::string DescribeProgress(const SyncProgress& progress);

// An on_page that calls `report` with the progress of a run every `every`
// of its time (not for its first page).
std::function<void(const SyncProgress&)> EveryInterval(
    std::chrono::milliseconds every, std::function<void(const SyncProgress&)> report);

struct SyncRequest {
  std::vector<std::string> streams;  // empty: the connector's configured streams
  bool full = false;                 // forget cursors first
  // Called on the syncing thread after each page committed, and with each
  // stream's result as soon as the stream ends (before the next starts), so
  // that a long sync shows progress and a failure is reported when it
  // happens. Either may be empty.
  std::function<void(const SyncProgress&)> on_page;
  std::function<void(const StreamSyncResult&)> on_stream_done;
};

// Metrics (GlobalMetrics): salesaudit_syncs_total{connector,stream,result},
// salesaudit_records_synced_total, salesaudit_records_deleted_total,
// salesaudit_last_success_timestamp_seconds, salesaudit_sync_duration_seconds
// and salesaudit_cursor_lag_seconds (now minus the newest change stored).
class SyncEngine {
 public:
  SyncEngine(Store& store, const ConnectorRegistry& registry,
             const Clock& clock = Clock::Default());
  ~SyncEngine();
  SyncEngine(const SyncEngine&) = delete;
  SyncEngine& operator=(const SyncEngine&) = delete;

  // Syncs the connector's streams in order and returns one result per stream
  // attempted. A stream stops with kDataLoss when a page's cursor is over 4
  // MiB or repeats one committed earlier in the run (its paging cycles), and
  // ends early but ok after max_pages_per_run pages. Stops early when `cancel` turns true (no
  // partial page is ever committed: a page is committed whole or not at all) or when the API
  // refuses the credentials (401/403): then the remaining streams are not run.
  std::vector<StreamSyncResult> RunConnector(const ConnectorConfig& config,
                                             const SyncRequest& request,
                                             const std::atomic<bool>& cancel);

  // Reads, for each stream of `connectors`, the newest change already in the
  // store, so that the cursor lag is known from the start, not only once a
  // sync brings new data. Scans the stores' tables: run it off the loop.
  Status LoadNewestChanges(const std::vector<ConnectorConfig>& connectors);

  // Reads one page of the connector's first stream and stores nothing:
  // whether its credentials, base URL and permissions work (`check
  // --online`). Ok, or that read's failure, after the connector's retries for
  // what is retryable.
  Status Probe(const ConnectorConfig& config, const std::atomic<bool>& cancel);

  // Exports the counters of each connector's streams (every result of
  // salesaudit_syncs_total, records synced and deleted) and of its requests
  // at 0, so that rate() and absent() work from the first scrape.
  void ExportSeries(const std::vector<ConnectorConfig>& connectors) const;

 private:
  StreamSyncResult RunStream(const ConnectorConfig& config, Connector& connector,
                             const std::string& stream, const SyncRequest& request,
                             const std::atomic<bool>& cancel);
  // reader.Next(), retried as the connector's config says (the wait the
  // vendor asked for, else backoff with full jitter); each retry is logged
  // and counted in `retries`.
  Result<std::optional<Page>> NextWithRetries(const ConnectorConfig& config, StreamReader& reader,
                                              const std::string& context,
                                              const std::atomic<bool>& cancel, int64_t& retries);
  RequestBudget& BudgetFor(const ConnectorConfig& config, const ConnectorDescriptor& descriptor);

  Store& store_;
  const ConnectorRegistry& registry_;
  const Clock& clock_;
  // The request budgets by quota: connector entries of one type with the
  // same base_url, credentials and limits spend one vendor quota (a portal's,
  // an account's), so they share one budget. A reload that changes the
  // limits makes a new key, so the budget starts afresh; one in use is never
  // replaced.
  static std::string QuotaKey(const ConnectorConfig& config);
  // What a stream run adds to the metrics.
  void Record(const StreamSyncResult& result, TimeMs newest_change);

  std::mutex mu_;  // guards budgets_, rng_ and newest_change_
  std::map<std::string, std::unique_ptr<RequestBudget>> budgets_;
  std::mt19937_64 rng_;
  // (connector, stream) -> the newest change committed, ms: for the lag.
  std::map<std::pair<std::string, std::string>, int64_t> newest_change_;
  int lag_collector_ = 0;
};

}  // namespace salesaudit

#include "sync/sync_engine.h"

#include <spdlog/spdlog.h>

#include <unordered_map>

#include "core/backoff.h"
#include "core/metrics.h"
#include "core/page_check.h"
#include "core/secret_registry.h"
#include "core/text_util.h"

namespace salesaudit {
namespace {

// Failures every other stream of the connector would meet too.
bool StopsConnector(StatusCode code) {
  return code == StatusCode::kUnauthenticated || code == StatusCode::kPermissionDenied ||
         code == StatusCode::kQuotaExhausted;
}

// A 429 without a wait says the window is full; retrying within the same
// second only earns another one (HubSpot's search sends no hint at all).
constexpr std::chrono::milliseconds kRateLimitedFloor(1000);

// The HTTP client of one run of the connector.
HttpClient::Options ClientOptions(const ConnectorConfig& config,
                                  const ConnectorDescriptor& descriptor) {
  return HttpClient::Options{.timeout = config.request_timeout,
                             .max_response_bytes = config.max_response_size,
                             .connector = config.name,
                             .read_rate_limit = descriptor.read_rate_limit};
}

RequestBudget::Bucket ToBucket(const RateLimit& limit) {
  return RequestBudget::Bucket{limit.requests, limit.per};
}

// The largest cursor committed. The biggest real ones are maps of parents
// (HubSpot campaigns, Mailchimp campaigns and lists), about 45 bytes each:
// 4 MiB holds some 90,000. A larger one holds a runaway paging token.
constexpr size_t kMaxCursorBytes = 4 * 1024 * 1024;

// Checks each page's cursor before it is committed: not oversized, and not
// one committed earlier in this run. A cursor names the position after its
// page, so meeting one again means the vendor's paging has cycled (A, B, A,
// B) and reading on would repeat the same pages forever. Cursors are kept as
// 64-bit hashes: 10,000 pages cost under 1 MB, a false match about 1e-11.
class CursorProgress {
 public:
  Status Check(const std::string& context, const std::string& cursor, int64_t page) {
    if (cursor.size() > kMaxCursorBytes) {
      return Status::DataLoss(context + ": page " + std::to_string(page) + " has a cursor of " +
                              std::to_string(cursor.size()) + " bytes, over the " +
                              std::to_string(kMaxCursorBytes) + "-byte limit; not committed");
    }
    auto [it, added] = seen_.emplace(std::hash<std::string>{}(cursor), page);
    if (added) return Status::Ok();
    return Status::DataLoss(context + ": page " + std::to_string(page) +
                            " returns to the position after page " + std::to_string(it->second) +
                            " (the API's paging repeats itself); stopped before reading it again");
  }

 private:
  std::unordered_map<size_t, int64_t> seen_;  // cursor hash -> the page that committed it
};

// "1.2s".
std::string SecondsText(std::chrono::milliseconds elapsed) {
  char text[32];
  snprintf(text, sizeof text, "%.1fs", static_cast<double>(elapsed.count()) / 1000.0);
  return text;
}

}  // namespace

std::string StreamSyncResult::Summary() const {
  std::string out = connector + " " + stream + ": ";
  out += status.ok() ? "ok" : "FAILED";
  out += ", " + std::to_string(records) + " records";
  if (aliased_contacts > 0) {
    out += " (" + std::to_string(aliased_contacts) +
           " of them aliases of other contacts, counted once as those)";
  }
  out += ", " + std::to_string(deletions) + " deleted, " + std::to_string(pages) + " pages";
  if (retries > 0) out += ", " + std::to_string(retries) + " retries";
  out += " in " + SecondsText(elapsed);
  // A line for a terminal or a log: an error may quote vendor text.
  if (!status.ok()) {
    out += ": " + EscapeControlCharacters(ProcessSecrets().Redact(status.message()));
  }
  if (page_limit_reached) out += " (max_pages_per_run reached: the next sync resumes)";
  return out;
}

std::string DescribeProgress(const SyncProgress& p) {
  const double seconds = static_cast<double>(p.elapsed.count()) / 1000.0;
  std::string out = p.connector + " " + p.stream + ": " + std::to_string(p.records) + " records";
  if (p.deletions > 0) out += ", " + std::to_string(p.deletions) + " deleted";
  out += ", " + std::to_string(p.pages) + (p.pages == 1 ? " page" : " pages") + " in " +
         SecondsText(p.elapsed);
  if (seconds > 0) {
    out += " (" + std::to_string(static_cast<int64_t>(static_cast<double>(p.records) / seconds)) +
           " records/s)";
  }
  return out;
}

std::function<void(const SyncProgress&)> EveryInterval(
    std::chrono::milliseconds every, std::function<void(const SyncProgress&)> report) {
  return [every, report = std::move(report), next = every](const SyncProgress& p) mutable {
    if (p.pages == 1) next = every;  // a new stream's run
    if (p.elapsed < next) return;
    next = p.elapsed + every;
    report(p);
  };
}

namespace {

struct SyncMetrics {
  CounterFamily& syncs = GlobalMetrics().Counter(
      "salesaudit_syncs_total", "Stream sync runs by result (ok, error, cancelled).",
      {"connector", "stream", "result"});
  CounterFamily& records =
      GlobalMetrics().Counter("salesaudit_records_synced_total", "Records committed to the store.",
                              {"connector", "stream"});
  CounterFamily& deleted =
      GlobalMetrics().Counter("salesaudit_records_deleted_total",
                              "Deletions (archived, merged) committed.", {"connector", "stream"});
  GaugeFamily& last_success = GlobalMetrics().Gauge(
      "salesaudit_last_success_timestamp_seconds",
      "When the stream last synced successfully, Unix seconds.", {"connector", "stream"});
  HistogramFamily& duration =
      GlobalMetrics().Histogram("salesaudit_sync_duration_seconds", "Duration of stream sync runs.",
                                {"connector", "stream"}, {0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600});
  GaugeFamily& lag = GlobalMetrics().Gauge(
      "salesaudit_cursor_lag_seconds",
      "How far the stored data is behind now: seconds since the newest change committed.",
      {"connector", "stream"});
};

SyncMetrics& Metrics() { return MetricFamilies<SyncMetrics>(); }

}  // namespace

SyncEngine::SyncEngine(Store& store, const ConnectorRegistry& registry, const Clock& clock)
    : store_(store), registry_(registry), clock_(clock), rng_(std::random_device{}()) {
  lag_collector_ = GlobalMetrics().AddCollector([this] {
    const double now = static_cast<double>(clock_.NowMs());
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [key, newest] : newest_change_) {
      Metrics().lag.WithLabels({key.first, key.second}).Set((now - newest) / 1000.0);
    }
  });
}

SyncEngine::~SyncEngine() { GlobalMetrics().RemoveCollector(lag_collector_); }

void SyncEngine::Record(const StreamSyncResult& result, TimeMs newest_change) {
  SyncMetrics& m = Metrics();
  const std::vector<std::string> labels = {result.connector, result.stream};
  const char* outcome = result.status.ok()                               ? "ok"
                        : result.status.code() == StatusCode::kCancelled ? "cancelled"
                                                                         : "error";
  m.syncs.WithLabels({result.connector, result.stream, outcome}).Increment();
  m.records.WithLabels(labels).Increment(static_cast<double>(result.records));
  m.deleted.WithLabels(labels).Increment(static_cast<double>(result.deletions));
  m.duration.WithLabels(labels).Observe(static_cast<double>(result.elapsed.count()) / 1000.0);
  if (result.status.ok()) m.last_success.WithLabels(labels).SetToCurrentTime(clock_);
  if (newest_change) {
    std::lock_guard<std::mutex> lock(mu_);
    int64_t& newest = newest_change_[{result.connector, result.stream}];
    newest = std::max(newest, *newest_change);
  }
}

std::string SyncEngine::QuotaKey(const ConnectorConfig& config) {
  // The credentials enter as a hash: the key names no secret.
  std::string credentials;
  for (const auto& [key, value] : config.auth) credentials += key + '\0' + value + '\0';
  const RateLimit limit = config.rate_limit.value_or(RateLimit{.requests = -1});
  return config.type + '\n' + config.base_url + '\n' +
         std::to_string(std::hash<std::string>{}(credentials)) + '\n' +
         std::to_string(limit.requests) + '/' + std::to_string(limit.per.count()) + '\n' +
         std::to_string(config.rate_limit_reserve);
}

RequestBudget& SyncEngine::BudgetFor(const ConnectorConfig& config,
                                     const ConnectorDescriptor& descriptor) {
  std::lock_guard<std::mutex> lock(mu_);
  std::unique_ptr<RequestBudget>& budget = budgets_[QuotaKey(config)];
  if (!budget) {
    budget = std::make_unique<RequestBudget>(clock_);
    budget->SetVendorReserve(config.rate_limit_reserve);
    // `rate_limit: off` lifts every bucket (used against simulators). Unset,
    // the type's default only starts the budget: the vendor's stated limit
    // then sets it, above or below.
    const bool off = config.rate_limit && config.rate_limit->unlimited();
    budget->SetBucket("", ToBucket(config.rate_limit.value_or(descriptor.default_rate_limit)),
                      config.rate_limit ? RequestBudget::VendorLimits::kCeiling
                                        : RequestBudget::VendorLimits::kStartingPoint);
    for (const auto& [name, limit] : descriptor.extra_budget_buckets) {
      budget->SetBucket(name, off ? RequestBudget::Bucket{} : ToBucket(limit));
    }
  }
  return *budget;
}

std::vector<StreamSyncResult> SyncEngine::RunConnector(const ConnectorConfig& config,
                                                       const SyncRequest& request,
                                                       const std::atomic<bool>& cancel) {
  std::vector<StreamSyncResult> results;
  const ConnectorDescriptor* descriptor = registry_.Find(config.type);
  if (descriptor == nullptr) {
    StreamSyncResult r{.connector = config.name, .stream = "*"};
    r.status = Status::InvalidArgument("unknown connector type '" + config.type + "'");
    results.push_back(std::move(r));
    return results;
  }
  std::vector<std::string> streams =
      !request.streams.empty() ? request.streams : ConfiguredStreams(config, *descriptor);
  RequestBudget& budget = BudgetFor(config, *descriptor);
  HttpClient http(ClientOptions(config, *descriptor), &budget, &cancel, clock_);
  auto connector = descriptor->create(config, http);
  if (!connector.ok()) {
    StreamSyncResult r{.connector = config.name, .stream = "*"};
    r.status = connector.status();
    results.push_back(std::move(r));
    return results;
  }
  for (const auto& stream : streams) {
    if (cancel.load()) break;
    if (request.full) {
      if (Status s = store_.ResetCursor(config.name, stream); !s.ok()) {
        StreamSyncResult r{.connector = config.name, .stream = stream, .status = s};
        results.push_back(std::move(r));
        if (request.on_stream_done) request.on_stream_done(results.back());
        continue;
      }
    }
    const int64_t sent_before = http.requests_sent();
    const int64_t answered_before = http.answers_received();
    results.push_back(RunStream(config, **connector, stream, request, cancel));
    // The caller logs the results; a stop is not an error of the stream.
    Status& status = results.back().status;
    // Every request of the stream unanswered (the host refuses connections,
    // does not resolve or never answers): the next streams would spend their
    // retries on the same host.
    const bool host_unreachable = status.code() == StatusCode::kUnavailable &&
                                  http.requests_sent() > sent_before &&
                                  http.answers_received() == answered_before;
    if (host_unreachable && &stream != &streams.back()) {
      status = Status::Unavailable(status.message() +
                                   "; no answer from the host, so the connector's other streams "
                                   "wait for the next run");
    }
    if (!status.ok() && status.code() != StatusCode::kCancelled) {
      // Stored, then served by `status` and the dashboard: no secret, even
      // one a vendor echoed somewhere other than its error text.
      (void)store_.RecordError(config.name, stream, ProcessSecrets().Redact(status.message()),
                               clock_.NowMs());
    }
    if (request.on_stream_done) request.on_stream_done(results.back());
    if (StopsConnector(status.code()) || host_unreachable) break;
  }
  return results;
}

Status SyncEngine::LoadNewestChanges(const std::vector<ConnectorConfig>& connectors) {
  for (const ConnectorConfig& config : connectors) {
    const ConnectorDescriptor* descriptor = registry_.Find(config.type);
    if (descriptor == nullptr) continue;
    for (const std::string& stream : ConfiguredStreams(config, *descriptor)) {
      const StreamSpec* spec = descriptor->FindStream(stream);
      if (spec == nullptr) continue;
      auto newest = store_.NewestChangeAt(spec->records, config.name);
      if (!newest.ok()) return newest.status();
      if (!*newest) continue;
      std::lock_guard<std::mutex> lock(mu_);
      int64_t& known = newest_change_[{config.name, stream}];
      known = std::max(known, **newest);
    }
  }
  return Status::Ok();
}

Result<std::optional<Page>> SyncEngine::NextWithRetries(const ConnectorConfig& config,
                                                        StreamReader& reader,
                                                        const std::string& context,
                                                        const std::atomic<bool>& cancel,
                                                        int64_t& retries) {
  for (int attempt = 0;; ++attempt) {
    if (cancel.load()) return Status::Cancelled(context + ": stopped");
    Result<std::optional<Page>> next = reader.Next();
    if (next.ok()) return next;
    const Status& error = next.status();
    if (error.code() == StatusCode::kCancelled) return error;
    if (!error.retryable() || attempt >= config.max_retries) {
      if (error.retryable()) {
        return Status::Unavailable(error.message() + " (gave up after " +
                                   std::to_string(attempt + 1) + " attempts)");
      }
      return error;
    }
    std::chrono::milliseconds delay;
    if (error.retry_after()) {
      delay = std::min(*error.retry_after(), config.retry_backoff_max);
    } else {
      std::lock_guard<std::mutex> lock(mu_);
      delay = BackoffDelay(attempt, config.retry_backoff, config.retry_backoff_max, rng_);
      if (error.code() == StatusCode::kRateLimited) {
        delay = std::max(delay, std::min(kRateLimitedFloor, config.retry_backoff_max));
      }
    }
    ++retries;
    spdlog::warn("{} (retry {}/{} in {} ms)", error.message(), attempt + 1, config.max_retries,
                 delay.count());
    if (!clock_.WaitFor(delay, cancel)) return Status::Cancelled(context + ": stopped");
  }
}

Status SyncEngine::Probe(const ConnectorConfig& config, const std::atomic<bool>& cancel) {
  const ConnectorDescriptor* descriptor = registry_.Find(config.type);
  if (descriptor == nullptr) {
    return Status::InvalidArgument("unknown connector type '" + config.type + "'");
  }
  const std::vector<std::string> streams = ConfiguredStreams(config, *descriptor);
  if (streams.empty()) return Status::Ok();
  HttpClient http(ClientOptions(config, *descriptor), &BudgetFor(config, *descriptor), &cancel,
                  clock_);
  auto connector = descriptor->create(config, http);
  if (!connector.ok()) return connector.status();
  const std::string context = config.type + "[" + config.name + "]: " + streams.front();
  // No cursor: the stream's first page, as a first sync reads it.
  StreamRun run{.stream = streams.front(), .started_at_ms = clock_.NowMs()};
  auto reader = (*connector)->OpenStream(run);
  if (!reader.ok()) return reader.status();
  int64_t retries = 0;
  return NextWithRetries(config, **reader, context, cancel, retries).status();
}

void SyncEngine::ExportSeries(const std::vector<ConnectorConfig>& connectors) const {
  SyncMetrics& m = Metrics();
  for (const ConnectorConfig& config : connectors) {
    const ConnectorDescriptor* descriptor = registry_.Find(config.type);
    if (descriptor == nullptr) continue;
    ExportApiSeries(config.name);
    for (const std::string& stream : ConfiguredStreams(config, *descriptor)) {
      for (const char* result : {"ok", "error", "cancelled"}) {
        m.syncs.WithLabels({config.name, stream, result});
      }
      m.records.WithLabels({config.name, stream});
      m.deleted.WithLabels({config.name, stream});
    }
  }
}

StreamSyncResult SyncEngine::RunStream(const ConnectorConfig& config, Connector& connector,
                                       const std::string& stream, const SyncRequest& request,
                                       const std::atomic<bool>& cancel) {
  const SteadyTime started = clock_.SteadyNow();
  StreamSyncResult result{.connector = config.name, .stream = stream};
  TimeMs newest_change;  // of the pages committed
  auto finish = [&](Status status) {
    result.status = std::move(status);
    result.elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock_.SteadyNow() - started);
    Record(result, newest_change);
    return result;
  };
  const std::string context = config.type + "[" + config.name + "]: " + stream;
  // What the stream yields, for its record count; unknown for a stream the
  // type does not offer, whose run fails when the connector opens it.
  const ConnectorDescriptor* descriptor = registry_.Find(config.type);
  const StreamSpec* spec = descriptor != nullptr ? descriptor->FindStream(stream) : nullptr;

  auto cursor = store_.GetCursor(config.name, stream);
  if (!cursor.ok()) return finish(cursor.status().WithContext(context));
  StreamRun run{.stream = stream, .cursor = *cursor, .started_at_ms = clock_.NowMs()};
  if (spec != nullptr) {
    run.stored_live_ids = [this, kind = spec->records, source = config.name] {
      return store_.LiveIds(kind, source);
    };
  }
  auto reader = connector.OpenStream(run);
  if (!reader.ok()) return finish(reader.status());
  CursorProgress progress;

  while (true) {
    Result<std::optional<Page>> next =
        NextWithRetries(config, **reader, context, cancel, result.retries);
    if (!next.ok()) return finish(next.status());
    std::optional<Page>& page = next.value();
    if (!page) break;
    page->stream = stream;
    CheckPage(config.name, *page);  // repairs or drops what must not be stored
    for (const auto& warning : page->warnings) spdlog::warn("{}: {}", context, warning);
    if (Status s = progress.Check(context, page->cursor, result.pages + 1); !s.ok()) {
      return finish(s);
    }
    PageCommitNotes notes;
    if (Status s = store_.CommitPage(config.name, *page, &notes); !s.ok()) {
      return finish(s.WithContext(context));
    }
    result.aliased_contacts += notes.aliased_contacts;
    if (TimeMs t = page->NewestChangeAt(); t && (!newest_change || *t > *newest_change)) {
      newest_change = t;
    }
    if (spec != nullptr) result.records += static_cast<int64_t>(page->CountOf(spec->records));
    result.deletions += static_cast<int64_t>(page->deletions.size());
    ++result.pages;
    if (request.on_page) {
      request.on_page(SyncProgress{.connector = config.name,
                                   .stream = stream,
                                   .pages = result.pages,
                                   .records = result.records,
                                   .deletions = result.deletions,
                                   .elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
                                       clock_.SteadyNow() - started)});
    }
    if (result.pages >= config.max_pages_per_run) {
      result.page_limit_reached = true;
      spdlog::warn("{}: {} pages read, the max_pages_per_run limit; the next sync resumes", context,
                   result.pages);
      break;
    }
  }
  if (Status s = store_.RecordSuccess(config.name, stream, clock_.NowMs()); !s.ok()) {
    return finish(s.WithContext(context));
  }
  return finish(Status::Ok());
}

}  // namespace salesaudit

// email_bench: syncs about N email events from the HubSpot simulator's legacy
// events API (a separate process, rate limits off, 1000 events per page) into
// a fresh store and prints events/s, client CPU microseconds per event, where
// that CPU goes (inside Store::CommitPage, triggers included, against reading
// pages: HTTP, JSON parse, mapping) and the peak RSS of this process (the
// client). email_campaigns is synced first, untimed.
//
//   build/email_bench [N=1000000]
//
// N is the number of events the API serves. The connector keeps only some
// types (sent, delivered, open, click, bounce, unsubscribe, spam; not
// PROCESSED, DEFERRED, DROPPED...), so the store ends with fewer rows: the
// bench checks it holds exactly the kept events the campaigns' counters
// announce, and fails otherwise.
#include <rapidjson/document.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "bench/bench_util.h"
#include "connectors/connector.h"
#include "core/heap_policy.h"
#include "core/json_reader.h"
#include "core/time_util.h"
#include "store/store.h"
#include "sync/sync_engine.h"

namespace {

using salesaudit::HttpClient;
using salesaudit::HttpRequest;
using salesaudit::Status;
using salesaudit::bench::ProcessCpuSeconds;
using salesaudit::bench::ProcessCpuSecondsOf;
using salesaudit::bench::ThreadCpuSeconds;

constexpr char kToken[] = "pat-na1-bench-token";
constexpr char kSource[] = "bench";
constexpr char kEventsStream[] = "email_events";
// About 570 recipients per campaign (PROCESSED, SENT, DELIVERED and some
// opens and clicks each).
constexpr int64_t kEventsPerCampaign = 2000;
constexpr int kContacts = 20000;

// What the simulated portal says it holds, from the campaigns' counters.
struct ServedEvents {
  int64_t all = 0;   // every event the events API serves
  int64_t kept = 0;  // those of the types the connector stores
};

int64_t Counter(const rapidjson::Value& counters, const char* name) {
  return salesaudit::GetInt64(counters, name).value_or(0);
}

// Reads every campaign's detail over HTTP and sums its per-type counters.
// Fails on any unexpected answer.
salesaudit::Result<ServedEvents> CountServedEvents(HttpClient& http, const std::string& base_url) {
  auto get = [&](const std::string& path_and_query) -> salesaudit::Result<rapidjson::Document> {
    HttpRequest request{.method = "GET", .url = base_url + path_and_query};
    request.headers.emplace_back("Authorization", std::string("Bearer ") + kToken);
    auto response = http.Send(request);
    if (!response.ok()) return response.status();
    if (response->status != 200) {
      return Status::Internal(path_and_query + ": HTTP " + std::to_string(response->status));
    }
    rapidjson::Document doc;
    if (Status s = salesaudit::ParseJson(response->body, &doc); !s.ok()) {
      return s.WithContext(path_and_query);
    }
    if (!doc.IsObject()) return Status::Internal(path_and_query + ": not a JSON object");
    return doc;
  };
  ServedEvents served;
  std::string offset;
  while (true) {
    std::string query = "/email/public/v1/campaigns/by-id?limit=1000";
    if (!offset.empty()) query += "&offset=" + salesaudit::UrlEncode(offset);
    auto listing = get(query);
    if (!listing.ok()) return listing.status();
    const rapidjson::Value* campaigns = salesaudit::GetArray(*listing, "campaigns");
    if (campaigns == nullptr) return Status::Internal("campaign listing without campaigns");
    for (const auto& campaign : campaigns->GetArray()) {
      const std::optional<int64_t> id = salesaudit::GetInt64(campaign, "id");
      if (!id) return Status::Internal("campaign listing with a campaign without an id");
      auto detail = get("/email/public/v1/campaigns/" + std::to_string(*id));
      if (!detail.ok()) return detail.status();
      const rapidjson::Value* counters = salesaudit::GetObject(*detail, "counters");
      if (counters == nullptr) return Status::Internal("campaign detail without counters");
      const rapidjson::Value& n = *counters;
      // "unsubscribed" counts the STATUSCHANGE events that unsubscribe,
      // already in "statuschange".
      served.all += Counter(n, "processed") + Counter(n, "dropped") + Counter(n, "sent") +
                    Counter(n, "deferred") + Counter(n, "bounce") + Counter(n, "delivered") +
                    Counter(n, "open") + Counter(n, "click") + Counter(n, "statuschange") +
                    Counter(n, "spamreport");
      served.kept += Counter(n, "sent") + Counter(n, "delivered") + Counter(n, "open") +
                     Counter(n, "click") + Counter(n, "bounce") + Counter(n, "unsubscribed") +
                     Counter(n, "spamreport");
    }
    const std::optional<std::string_view> next = salesaudit::GetString(*listing, "offset");
    if (!salesaudit::GetBool(*listing, "hasMore").value_or(false) || !next) break;
    offset = std::string(*next);
  }
  return served;
}

// Where the timed sync's CPU went, in seconds.
struct SyncCost {
  double process = 0;  // getrusage of the whole process
  double thread = 0;   // this thread
  double commit = 0;   // this thread, inside Store::CommitPage
  double read = 0;     // this thread, inside StreamReader::Next (HTTP, JSON, mapping)
  double wall = 0;
  double simulator = 0;  // crm-sim, meanwhile
  int64_t pages = 0;
  int64_t events = 0;  // events the pages carried (window overlaps may repeat one)
  int64_t warnings = 0;
};

// Runs email_events the way SyncEngine::RunStream does (cursor, reader,
// CommitPage per page, RecordSuccess), without its retries and logging (the
// simulator injects no faults), timing each part with thread CPU time.
Status SyncEvents(salesaudit::Store& store, const salesaudit::ConnectorConfig& config, pid_t sim,
                  SyncCost& cost) {
  using namespace salesaudit;
  const ConnectorDescriptor* hubspot = BuiltinConnectors().Find("hubspot");
  if (hubspot == nullptr) return Status::Internal("no hubspot connector compiled in");
  RequestBudget budget;  // no bucket set: unlimited, like `rate_limit: off`
  std::atomic<bool> cancel{false};
  HttpClient http(HttpClient::Options{.timeout = config.request_timeout}, &budget, &cancel);
  auto connector = hubspot->create(config, http);
  if (!connector.ok()) return connector.status();

  const double sim_before = ProcessCpuSecondsOf(sim);
  const double process_before = ProcessCpuSeconds();
  const double thread_before = ThreadCpuSeconds();
  const auto wall_before = std::chrono::steady_clock::now();

  auto cursor = store.GetCursor(config.name, kEventsStream);
  if (!cursor.ok()) return cursor.status();
  StreamRun run{.stream = kEventsStream, .cursor = *cursor, .started_at_ms = NowMs()};
  auto reader = (*connector)->OpenStream(run);
  if (!reader.ok()) return reader.status();
  while (true) {
    const double read_before = ThreadCpuSeconds();
    auto next = (*reader)->Next();
    cost.read += ThreadCpuSeconds() - read_before;
    if (!next.ok()) return next.status();
    std::optional<Page>& page = *next;
    if (!page) break;
    page->stream = kEventsStream;
    cost.warnings += static_cast<int64_t>(page->warnings.size() + page->value_issues.size());
    const double commit_before = ThreadCpuSeconds();
    Status committed = store.CommitPage(config.name, *page);
    cost.commit += ThreadCpuSeconds() - commit_before;
    if (!committed.ok()) return committed;
    cost.events += static_cast<int64_t>(page->events.size());
    ++cost.pages;
  }
  if (Status s = store.RecordSuccess(config.name, kEventsStream, NowMs()); !s.ok()) return s;

  cost.wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_before).count();
  cost.thread = ThreadCpuSeconds() - thread_before;
  cost.process = ProcessCpuSeconds() - process_before;
  cost.simulator = ProcessCpuSecondsOf(sim) - sim_before;
  return Status::Ok();
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "email_bench: %s\n", message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace salesaudit;
  KeepFreedHeapForReuse();
  const int64_t requested = argc > 1 ? std::atoll(argv[1]) : 1000000;
  if (requested < 1) return Fail("N must be a positive number of events");
  const int64_t campaigns = (requested + kEventsPerCampaign - 1) / kEventsPerCampaign;
  const int64_t events_per_campaign = requested / campaigns;
  std::printf("email_bench: generating %lld campaigns of about %lld events in crm-sim...\n",
              static_cast<long long>(campaigns), static_cast<long long>(events_per_campaign));
  std::string base_url;
  const auto generate_before = std::chrono::steady_clock::now();
  pid_t sim = bench::StartSimulator(
      CRM_SIM_BINARY,
      {"--port", "0", "--seed", "3", "--contacts", std::to_string(kContacts), "--deals", "10",
       "--owners", "5", "--email-campaigns", std::to_string(campaigns), "--events-per-campaign",
       std::to_string(events_per_campaign), "--token", kToken,
       // The bench measures our side, not HubSpot's limits.
       "--no-rate-limits"},
      base_url);
  if (sim < 0) return Fail("crm-sim did not start");
  const double generate_wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - generate_before).count();
  const std::string dir =
      std::filesystem::temp_directory_path() / ("email_bench-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto stop = [&] {
    bench::StopSimulator(sim);
    std::filesystem::remove_all(dir);
  };

  auto store = Store::Open(dir + "/bench.db");
  if (!store.ok()) {
    stop();
    return Fail(store.status().ToString());
  }
  ConnectorConfig config;
  config.name = kSource;
  config.type = "hubspot";
  config.base_url = base_url;
  config.auth["token"] = kToken;
  config.rate_limit = RateLimit{};  // off

  // Untimed: what the portal serves, and the campaigns (as a daemon's sync
  // would have them before the events).
  ServedEvents served;
  {
    HttpClient http(HttpClient::Options{}, nullptr, nullptr);
    auto counted = CountServedEvents(http, base_url);
    if (!counted.ok()) {
      stop();
      return Fail("reading campaign counters: " + counted.status().ToString());
    }
    served = *counted;
  }
  SyncEngine engine(**store, BuiltinConnectors());
  std::atomic<bool> cancel{false};
  auto campaign_results = engine.RunConnector(config, {.streams = {"email_campaigns"}}, cancel);
  if (campaign_results.empty() || !campaign_results[0].status.ok()) {
    stop();
    return Fail("email_campaigns sync failed: " + (campaign_results.empty()
                                                       ? std::string("no result")
                                                       : campaign_results[0].Summary()));
  }

  SyncCost cost;
  Status synced = SyncEvents(**store, config, sim, cost);
  if (!synced.ok()) {
    stop();
    return Fail("email_events sync failed: " + synced.ToString());
  }
  auto stored = (*store)->CountRows(RecordKind::kEmailEvent, kSource, /*include_deleted=*/true);
  auto stored_campaigns = (*store)->CountRows(RecordKind::kEmailCampaign, kSource, true);
  const double peak_rss = bench::PeakRssMiB();
  store->reset();
  stop();
  if (!stored.ok()) return Fail(stored.status().ToString());
  if (!stored_campaigns.ok()) return Fail(stored_campaigns.status().ToString());

  const double api = static_cast<double>(served.all);
  const double rows = static_cast<double>(*stored);
  std::printf("crm-sim generation:       %.1f s (untimed)\n", generate_wall);
  std::printf("campaigns synced:         %lld (untimed)\n",
              static_cast<long long>(*stored_campaigns));
  std::printf("events served (API):      %lld in %lld pages\n", static_cast<long long>(served.all),
              static_cast<long long>(cost.pages));
  std::printf("events stored:            %lld (kept types; the counters announce %lld)\n",
              static_cast<long long>(*stored), static_cast<long long>(served.kept));
  std::printf("wall time:                %.2f s\n", cost.wall);
  std::printf("events/s:                 %.0f served, %.0f stored\n", api / cost.wall,
              rows / cost.wall);
  std::printf(
      "client CPU per event:     %.2f us per served event, %.2f us per stored event "
      "(target <= 5 us)\n",
      cost.process * 1e6 / api, cost.process * 1e6 / rows);
  std::printf("  Store::CommitPage:      %.2f us per stored event (%.0f%%)\n",
              cost.commit * 1e6 / rows, 100 * cost.commit / cost.process);
  std::printf("  reading pages:          %.2f us per served event (%.0f%%; HTTP, JSON, mapping)\n",
              cost.read * 1e6 / api, 100 * cost.read / cost.process);
  std::printf("  rest of the process:    %.2f s (other threads, the loop itself)\n",
              cost.process - cost.commit - cost.read);
  std::printf("simulator CPU meanwhile:  %.2f s\n", cost.simulator);
  std::printf("peak RSS (client):        %.1f MiB\n", peak_rss);
  if (cost.warnings > 0) {
    return Fail(std::to_string(cost.warnings) + " mapping warnings on simulator data");
  }
  if (*stored != served.kept || *stored_campaigns != campaigns || *stored > cost.events) {
    return Fail("the store does not hold what the portal serves: " + std::to_string(*stored) +
                " events (expected " + std::to_string(served.kept) + "), " +
                std::to_string(*stored_campaigns) + " campaigns (expected " +
                std::to_string(campaigns) + ")");
  }
  salesaudit::bench::PrintFigure("email_events_cpu_us", cost.process * 1e6 / api, "us");
  return 0;
}

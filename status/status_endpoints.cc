#include "status/status_endpoints.h"

#include <spdlog/spdlog.h>

#include <mutex>
#include <optional>

#include "audit/html_report.h"
#include "core/metrics.h"
#include "core/time_util.h"
#include "status/status_report.h"

namespace salesaudit {
namespace {

constexpr char kJson[] = "application/json";
constexpr std::chrono::milliseconds kLoopTimeout{2000};

HttpReply Text(int status, std::string body) {
  return HttpReply{.status = status, .body = std::move(body)};
}

HttpReply Json(int status, std::string body) {
  return HttpReply{.status = status, .content_type = kJson, .body = std::move(body) + "\n"};
}

// The reason goes to the log, not to a possibly unauthenticated client.
HttpReply StoreFailure(const Status& s) {
  spdlog::error("status server: {}", s.message());
  return Json(503, R"({"error":"store unavailable"})");
}

// The status report, computed at most once per kStatusTtl: it counts each
// stream's rows (a scan of ~1 s at 10M email events, during which syncs
// wait for the store), and every dashboard reload asks for it.
constexpr std::chrono::seconds kStatusTtl{5};

class CachedStatus {
 public:
  explicit CachedStatus(std::shared_ptr<DaemonView> view) : view_(std::move(view)) {}

  Result<StatusReport> Get() {
    std::lock_guard<std::mutex> lock(mu_);
    const auto now = std::chrono::steady_clock::now();
    if (!report_ || now - computed_at_ >= kStatusTtl) {
      auto report = ReadStatusReport(*view_->config(), *view_->store, NowMs());
      if (!report.ok()) return report.status();
      report_ = std::move(*report);
      computed_at_ = now;
    }
    return *report_;
  }

 private:
  std::shared_ptr<DaemonView> view_;
  std::mutex mu_;
  std::optional<StatusReport> report_;
  std::chrono::steady_clock::time_point computed_at_;
};

}  // namespace

void RegisterStatusEndpoints(StatusServer& server, DaemonView view) {
  auto shared = std::make_shared<DaemonView>(std::move(view));
  auto status = std::make_shared<CachedStatus>(shared);

  server.Handle("/healthz", [shared](const HttpRequestInfo&) {
    return shared->loop_answers(kLoopTimeout)
               ? Text(200, "ok\n")
               : Text(503, "the daemon's loop did not answer within 2s\n");
  });

  server.Handle("/readyz", [shared](const HttpRequestInfo& request) {
    std::string verbose;
    bool ready = true;
    for (const ReadinessCheck& check : shared->readiness()) {
      ready = ready && check.ok;
      verbose += (check.ok ? "[+]" : "[-]") + check.name +
                 (check.ok ? " ok" : " failed: " + check.detail) + "\n";
    }
    // Kubernetes' convention: one word, or each check with ?verbose.
    if (request.query == "verbose" || request.query.rfind("verbose=", 0) == 0) {
      return Text(ready ? 200 : 503,
                  verbose + (ready ? "readyz check passed\n" : "readyz check failed\n"));
    }
    return Text(ready ? 200 : 503, ready ? "ok\n" : "not ready\n");
  });

  server.Handle("/metrics", [](const HttpRequestInfo&) {
    return HttpReply{.content_type = MetricsRegistry::kContentType,
                     .body = GlobalMetrics().RenderText()};
  });

  server.Handle("/api/v1/snapshot", [shared](const HttpRequestInfo&) {
    auto latest = shared->store->LatestSnapshot();
    if (!latest.ok()) return StoreFailure(latest.status());
    if (!*latest) return Json(404, R"({"error":"no snapshot yet"})");
    return Json(200, std::move((*latest)->json));
  });

  server.Handle("/api/v1/status", [status](const HttpRequestInfo&) {
    auto report = status->Get();
    if (!report.ok()) return StoreFailure(report.status());
    return Json(200, std::move(report->json));
  });

  server.Handle("/", [shared, status](const HttpRequestInfo&) {
    auto latest = shared->store->LatestSnapshot();
    if (!latest.ok()) return StoreFailure(latest.status());
    auto report = status->Get();
    if (!report.ok()) return StoreFailure(report.status());
    // Before the first audit the page shows the sync status and n/a figures.
    auto html = RenderHtmlReport(
        *latest ? (*latest)->json : "{}",
        {.status_json = report->json, .refresh_seconds = shared->dashboard_refresh_seconds});
    if (!html.ok()) return Text(500, html.status().message() + "\n");
    return HttpReply{.content_type = "text/html; charset=utf-8", .body = std::move(*html)};
  });
}

}  // namespace salesaudit

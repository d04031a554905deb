#include "daemon/status_endpoints.h"

#include <spdlog/spdlog.h>

#include "audit/html_report.h"
#include "core/metrics.h"
#include "core/time_util.h"
#include "daemon/status_report.h"

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

}  // namespace

void RegisterStatusEndpoints(StatusServer& server, DaemonView view) {
  auto shared = std::make_shared<DaemonView>(std::move(view));

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

  server.Handle("/api/v1/status", [shared](const HttpRequestInfo&) {
    auto report = ReadStatusReport(*shared->config(), *shared->store, NowMs());
    if (!report.ok()) return StoreFailure(report.status());
    return Json(200, std::move(report->json));
  });

  server.Handle("/", [shared](const HttpRequestInfo&) {
    auto latest = shared->store->LatestSnapshot();
    if (!latest.ok()) return StoreFailure(latest.status());
    auto report = ReadStatusReport(*shared->config(), *shared->store, NowMs());
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

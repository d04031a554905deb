#include "tests/sim/pipedrive/pd_service.h"

#include <algorithm>

#include "tests/sim/pipedrive/pd_encode.h"
#include "tests/sim/pipedrive/pd_lists.h"

namespace salesaudit::sim {
namespace {

constexpr int64_t kWindowMs = 2000;
constexpr int64_t kDayMs = 86'400'000;
constexpr char kJson[] = "application/json";
constexpr char kErrorInfo[] = "Please check developers.pipedrive.com";

SimHttpResponse Answer(int status, std::string body, const char* content_type = kJson) {
  SimHttpResponse r;
  r.status = status;
  r.content_type = content_type;
  r.body = std::move(body);
  return r;
}

// The gateway's answer to a missing, wrong or revoked token.
SimHttpResponse Unauthorized() {
  return Answer(401, R"({"success":false,"error":"unauthorized access","errorCode":401,)"
                     R"("error_info":"Please check developers.pipedrive.com"})");
}

// The burst window's and the daily budget's refusal share one body.
SimHttpResponse OverLimit() {
  return Answer(429, R"({"success":false,"error":"Request over limit","errorCode":429,)"
                     R"("error_info":"Please check developers.pipedrive.com","data":null,)"
                     R"("additional_data":null})");
}

int64_t CeilSeconds(int64_t ms) { return std::max<int64_t>(1, (ms + 999) / 1000); }

// "/api/v2/persons/12" -> ("/api/v2/persons", "12"); the id is "" for a
// collection path.
std::pair<std::string, std::string> SplitId(const std::string& path, const std::string& base) {
  if (path == base) return {base, ""};
  if (path.size() > base.size() + 1 && path.compare(0, base.size() + 1, base + "/") == 0 &&
      path.find('/', base.size() + 1) == std::string::npos) {
    return {base, path.substr(base.size() + 1)};
  }
  return {"", ""};
}

}  // namespace

int64_t TokenCost(const std::string& route, const std::map<std::string, int64_t>& overrides) {
  if (auto it = overrides.find(route); it != overrides.end()) return it->second;
  // The costs the API reference prints on each endpoint
  // (docs/vendors/pipedrive.md "Rate limits").
  static const std::map<std::string, int64_t> kCosts = {
      {"GET /api/v2/persons", 10},    {"GET /api/v2/deals", 10},    {"GET /api/v2/activities", 10},
      {"GET /api/v2/stages", 5},      {"GET /api/v2/pipelines", 5}, {"GET /api/v2/persons/{id}", 1},
      {"GET /api/v2/deals/{id}", 1},  {"GET /v1/users", 20},        {"GET /v1/leads", 20},
      {"GET /v1/leads/archived", 40}, {"GET /v1/personFields", 20}};
  auto it = kCosts.find(route);
  return it == kCosts.end() ? 0 : it->second;
}

PdService::PdService(const PdCompanySpec& spec, PipedriveSimOptions options, const Clock& clock)
    : clock_(clock),
      options_(std::move(options)),
      company_(spec, clock.NowMs()),
      budget_day_(clock.NowMs() / kDayMs),
      tokens_spent_(options_.tokens_spent_start) {}

void PdService::AddFault(const PdFault& fault) {
  std::lock_guard<std::mutex> lock(mu_);
  faults_.push_back(fault);
}

void PdService::ClearFaults() {
  std::lock_guard<std::mutex> lock(mu_);
  faults_.clear();
}

PdSimStats PdService::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  PdSimStats stats = stats_;
  stats.tokens_spent = tokens_spent_;
  return stats;
}

void PdService::ResetStats() {
  std::lock_guard<std::mutex> lock(mu_);
  stats_ = PdSimStats{};
}

void PdService::RollBudgetDay(int64_t now_ms) {
  const int64_t day = now_ms / kDayMs;
  if (day != budget_day_) {
    budget_day_ = day;
    tokens_spent_ = 0;
  }
}

bool PdService::Admit(Window& window, int64_t now_ms) {
  while (!window.requests_ms.empty() && window.requests_ms.front() <= now_ms - kWindowMs) {
    window.requests_ms.pop_front();
  }
  if (options_.enforce_rate_limit) {
    if (now_ms < window.blocked_until_ms) return false;
    if (window.requests_ms.size() >= static_cast<size_t>(std::max(0, options_.rate_limit))) {
      // Going over the window costs a penalty (the reset Pipedrive then
      // announces).
      window.blocked_until_ms = now_ms + options_.rate_limit_penalty_ms;
      return false;
    }
  }
  window.requests_ms.push_back(now_ms);
  return true;
}

void PdService::AddRateLimitHeaders(SimHttpResponse& r, const Window& window,
                                    int64_t now_ms) const {
  const int64_t used = static_cast<int64_t>(window.requests_ms.size());
  const bool blocked = options_.enforce_rate_limit && now_ms < window.blocked_until_ms;
  int64_t reset_ms = kWindowMs;
  if (blocked) {
    reset_ms = window.blocked_until_ms - now_ms;
  } else if (!window.requests_ms.empty()) {
    reset_ms = window.requests_ms.front() + kWindowMs - now_ms;
  }
  r.headers.emplace_back("x-ratelimit-limit", std::to_string(options_.rate_limit));
  r.headers.emplace_back(
      "x-ratelimit-remaining",
      std::to_string(blocked ? 0 : std::max<int64_t>(0, options_.rate_limit - used)));
  r.headers.emplace_back("x-ratelimit-reset", std::to_string(CeilSeconds(reset_ms)));
}

void PdService::AddBudgetHeaders(SimHttpResponse& r) const {
  if (options_.daily_token_budget <= 0) return;
  r.headers.emplace_back("x-daily-ratelimit-token-limit",
                         std::to_string(options_.daily_token_budget));
  r.headers.emplace_back(
      "x-daily-ratelimit-token-remaining",
      std::to_string(std::max<int64_t>(0, options_.daily_token_budget - tokens_spent_)));
}

SimHttpResponse PdService::Handle(const PdRequest& request) {
  const size_t qmark = request.target.find('?');
  const std::string path = request.target.substr(0, qmark);
  FormFields params;
  if (qmark != std::string::npos) params = ParseForm(request.target.substr(qmark + 1));

  std::lock_guard<std::mutex> lock(mu_);
  const int64_t now_ms = clock_.NowMs();
  RollBudgetDay(now_ms);
  ++stats_.requests;
  ++stats_.by_path[path];
  std::string token;
  if (!request.api_token.empty()) {
    token = request.api_token;
    ++stats_.by_auth["header"];
  } else if (auto it = params.find("api_token"); it != params.end()) {
    token = it->second;
    ++stats_.by_auth["query"];
  } else {
    ++stats_.by_auth["none"];
  }
  // Only the company's token has a window; others are refused before it.
  const bool valid_token = !token.empty() && token == options_.api_token;
  Window no_window;
  Window& window = valid_token ? window_ : no_window;

  SimHttpResponse response;
  bool bare = false;
  bool over_window = false;
  if (std::optional<SimHttpResponse> injected = ApplyFault(path, response, bare)) {
    response = std::move(*injected);
  } else if (!valid_token) {
    const auto delay = response.delay;
    response = Unauthorized();
    response.delay = delay;
  } else if (!Admit(window, now_ms)) {
    ++stats_.rate_limited;
    over_window = true;
    response = OverLimit();
  } else {
    const auto delay = response.delay;
    const bool truncate = response.truncate;
    std::string route;
    SimHttpResponse routed = Route(request.method, path, params, now_ms, route);
    const int64_t cost = TokenCost(route, options_.token_costs);
    if (options_.daily_token_budget > 0 && tokens_spent_ + cost > options_.daily_token_budget) {
      ++stats_.budget_exhausted;
      response = OverLimit();
    } else {
      tokens_spent_ += cost;
      response = std::move(routed);
      response.delay = delay;
      response.truncate = truncate;
    }
  }
  if (!bare) {
    AddRateLimitHeaders(response, window, now_ms);
    AddBudgetHeaders(response);
  }
  if (over_window) {
    // As Pipedrive's burst 429 has it: the penalty again, in seconds.
    response.headers.emplace_back("retry-after",
                                  std::to_string(CeilSeconds(window.blocked_until_ms - now_ms)));
  }
  ++stats_.by_status[response.status];
  return response;
}

SimHttpResponse PdService::Route(const std::string& method, const std::string& path,
                                 const FormFields& params, int64_t now_ms, std::string& route) {
  // v1 is served under both /v1 and /api/v1; v2 only under /api/v2.
  const std::string v1 = path.starts_with("/api/v1/") ? path.substr(4) : path;
  struct V2Route {
    const char* base;
    PdCollection collection;
    bool by_id;
  };
  static const V2Route kV2[] = {{"/api/v2/persons", PdCollection::kPersons, true},
                                {"/api/v2/deals", PdCollection::kDeals, true},
                                {"/api/v2/activities", PdCollection::kActivities, false},
                                {"/api/v2/stages", PdCollection::kStages, false},
                                {"/api/v2/pipelines", PdCollection::kPipelines, false}};
  PdAnswer answer{404, ErrorEnvelope("Unknown method .", kErrorInfo), 0};
  bool found = false;
  for (const V2Route& r : kV2) {
    const auto [base, id] = SplitId(path, r.base);
    if (base.empty() || (!id.empty() && !r.by_id)) continue;
    found = true;
    route = "GET " + base + (id.empty() ? "" : "/{id}");
    if (method == "GET") {
      answer = id.empty() ? ListV2(r.collection, company_, params, now_ms)
                          : GetV2(r.collection, company_, id, params, now_ms);
    }
    break;
  }
  if (!found && (v1 == "/v1/users" || v1 == "/v1/leads" || v1 == "/v1/leads/archived" ||
                 v1 == "/v1/personFields")) {
    found = true;
    route = "GET " + v1;
    if (method == "GET") {
      if (v1 == "/v1/users") {
        answer = ListUsersV1(company_);
      } else if (v1 == "/v1/personFields") {
        answer = ListPersonFieldsV1(company_, params);
      } else {
        answer = ListLeadsV1(company_, v1 == "/v1/leads/archived", params);
      }
    }
  }
  if (found && method != "GET") {
    // The simulator serves reads only; writes go through PipedriveSim.
    route.clear();
    answer = PdAnswer{405, ErrorEnvelope("Method not allowed", kErrorInfo), 0};
  }
  stats_.records_served += answer.records;
  return Answer(answer.status, std::move(answer.body));
}

std::optional<SimHttpResponse> PdService::ApplyFault(const std::string& path,
                                                     SimHttpResponse& answer, bool& bare) {
  auto fault = std::find_if(faults_.begin(), faults_.end(), [&](const PdFault& f) {
    return path.compare(0, f.path_prefix.size(), f.path_prefix) == 0;
  });
  if (fault == faults_.end()) return std::nullopt;
  if (fault->skip > 0) {
    --fault->skip;
    return std::nullopt;
  }
  const PdFault applied = *fault;
  if (--fault->count <= 0) faults_.erase(fault);
  switch (applied.kind) {
    case PdFaultKind::kServerError:
      return Answer(500, ErrorEnvelope("Internal server error", kErrorInfo));
    case PdFaultKind::kServerErrorHtml:
      return Answer(502,
                    "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad "
                    "Gateway</h1></center><hr><center>cloudflare</center></body></html>",
                    "text/html");
    case PdFaultKind::kRateLimited:
    case PdFaultKind::kRateLimitedBare:
      ++stats_.injected_429;
      bare = applied.kind == PdFaultKind::kRateLimitedBare;
      return OverLimit();
    case PdFaultKind::kNullBody:
      return Answer(200, "null");
    case PdFaultKind::kAccountClosed:
      return Answer(402, ErrorEnvelope("Company account is not open (possible reason: trial "
                                       "expired, payment details not entered)",
                                       kErrorInfo));
    case PdFaultKind::kUnauthorized:
      return Unauthorized();
    case PdFaultKind::kSlow:
      answer.delay = std::chrono::milliseconds(applied.delay_ms);
      break;
    case PdFaultKind::kTruncated:
      answer.truncate = true;
      break;
  }
  return std::nullopt;
}

}  // namespace salesaudit::sim

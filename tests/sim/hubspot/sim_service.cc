#include "tests/sim/hubspot/sim_service.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdio>
#include <map>
#include <optional>

#include "tests/sim/common/sim_text.h"

namespace salesaudit::sim {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

constexpr char kScopesLink[] = "https://developers.hubspot.com/scopes";
constexpr int64_t kDayMs = 86'400'000;

const char* kAuthMessage =
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can "
    "find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview";

// SimOptions::echo_credentials: an error's JSON "message" starts with what
// the request carried.
void EchoCredentials(const ApiRequest& request, ApiResponse& response) {
  rapidjson::Document doc;
  doc.Parse(response.body.c_str(), response.body.size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("message") ||
      !doc["message"].IsString()) {
    return;
  }
  // First, so that a client that cuts long messages still shows it.
  const std::string message = "request Authorization: '" + request.authorization + "', body: '" +
                              request.body + "': " + doc["message"].GetString();
  doc["message"].SetString(message.c_str(), static_cast<rapidjson::SizeType>(message.size()),
                           doc.GetAllocator());
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  doc.Accept(w);
  response.body = buf.GetString();
}

// The read scopes a path needs, as a MISSING_SCOPES 403 names them.
std::vector<std::string> RequiredScopes(const std::string& path) {
  if (path.starts_with("/crm/v3/owners")) return {"crm.objects.owners.read"};
  if (path.starts_with("/email/")) return {"content"};
  if (path.find("/associations/") != std::string::npos) {
    return {"crm.objects.deals.read", "crm.objects.contacts.read"};
  }
  if (path.find("/deals") != std::string::npos) return {"crm.objects.deals.read"};
  return {"crm.objects.contacts.read"};
}

// The limits injected rate-limit faults show when the simulator's own are
// off: a Free/Starter private app's (docs/vendors/hubspot.md "Rate limits").
int ShownLimit(bool on, int limit, int nominal) { return on && limit > 0 ? limit : nominal; }

// The parts of /crm/v4/objects/{type}/{id}/associations/{to_type}.
struct RecordAssociationsTarget {
  ObjectType type;
  std::string id;
  std::string to_type;
};
std::optional<RecordAssociationsTarget> RecordAssociationsPath(const std::string& path) {
  constexpr std::string_view kPrefix = "/crm/v4/objects/";
  if (!path.starts_with(kPrefix)) return std::nullopt;
  const std::vector<std::string> parts = Split(path.substr(kPrefix.size()), '/');
  if (parts.size() != 4 || parts[2] != "associations") return std::nullopt;
  std::optional<ObjectType> type = ObjectTypeNamed(parts[0]);
  if (!type) return std::nullopt;
  return RecordAssociationsTarget{*type, parts[1], parts[3]};
}

// Query parameters with repeated names joined by commas.
std::map<std::string, std::string> ParseQuery(std::string_view text) {
  std::map<std::string, std::string> params;
  for (const std::string& pair : Split(text, '&')) {
    for (auto& [name, value] : ParseForm(pair)) {
      auto [it, inserted] = params.emplace(name, value);
      if (!inserted) it->second += "," + value;
    }
  }
  return params;
}

}  // namespace

SimService::SimService(SimOptions options, const Clock& clock)
    : clock_(clock), options_(std::move(options)) {}

void SimService::InjectFault(const Fault& fault) {
  std::lock_guard<std::mutex> lock(mu_);
  faults_.push_back(fault);
}

void SimService::ClearFaults() {
  std::lock_guard<std::mutex> lock(mu_);
  faults_.clear();
}

void SimService::RevokeAccessTokens() {
  std::lock_guard<std::mutex> lock(mu_);
  access_tokens_.clear();
}

void SimService::SetToken(const std::string& token) {
  std::lock_guard<std::mutex> lock(mu_);
  options_.token = token;
}

void SimService::SetOptions(const SimOptions& options) {
  std::lock_guard<std::mutex> lock(mu_);
  options_ = options;
}

SimStats SimService::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void SimService::ResetStats() {
  std::lock_guard<std::mutex> lock(mu_);
  stats_ = SimStats{};
}

std::string SimService::CorrelationId() {
  const uint64_t a = ids_();
  const uint64_t b = ids_();
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xFFFF), static_cast<unsigned>(a & 0xFFF),
                static_cast<unsigned>(0x8000 | ((b >> 48) & 0x3FFF)),
                static_cast<unsigned long long>(b & 0xFFFFFFFFFFFFull));
  return buf;
}

std::optional<ApiResponse> SimService::CheckAuthorization(const std::string& authorization,
                                                          SteadyTime now, bool* oauth) {
  constexpr std::string_view kBearer = "Bearer ";
  *oauth = false;
  if (authorization == std::string(kBearer) + options_.token) return std::nullopt;
  if (authorization.rfind(kBearer, 0) == 0) {
    auto it = access_tokens_.find(authorization.substr(kBearer.size()));
    if (it != access_tokens_.end()) {
      *oauth = true;
      if (now < it->second) return std::nullopt;
      return Error(
          401, "EXPIRED_AUTHENTICATION",
          "The OAuth token used to make this call expired " +
              std::to_string(
                  std::chrono::duration_cast<std::chrono::seconds>(now - it->second).count()) +
              " second(s) ago.");
    }
  }
  return Error(401, "INVALID_AUTHENTICATION", kAuthMessage);
}

ApiResponse SimService::IssueToken(const std::string& body, SteadyTime now) {
  FormFields form = ParseForm(body);
  // HubSpot's token errors use `status` for the code (not "error").
  auto token_error = [&](const char* code, const char* message) {
    rapidjson::StringBuffer buf;
    Writer w(buf);
    w.StartObject();
    w.Key("status");
    w.String(code);
    w.Key("message");
    w.String(message);
    w.Key("correlationId");
    w.String(CorrelationId().c_str());
    w.EndObject();
    ApiResponse r;
    r.status = 400;
    r.body = buf.GetString();
    return r;
  };
  if (form["grant_type"] != "refresh_token") {
    return token_error("BAD_GRANT_TYPE", "grant_type must be refresh_token or authorization_code");
  }
  if (options_.oauth_client_id.empty() || form["client_id"] != options_.oauth_client_id) {
    return token_error("BAD_CLIENT_ID", "missing or unknown client id");
  }
  if (form["client_secret"] != options_.oauth_client_secret) {
    return token_error("BAD_CLIENT_SECRET", "missing or invalid client secret");
  }
  if (form["refresh_token"] != options_.oauth_refresh_token) {
    return token_error("BAD_REFRESH_TOKEN", "missing or unknown refresh token");
  }
  const std::string access = "CJ" + CorrelationId() + CorrelationId();
  access_tokens_[access] = now + std::chrono::seconds(options_.oauth_token_lifetime_s);
  ++stats_.tokens_issued;
  stats_.access_tokens.push_back(access);
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("token_type");
  w.String("bearer");
  w.Key("refresh_token");
  w.String(options_.oauth_refresh_token.c_str());
  w.Key("access_token");
  w.String(access.c_str());
  w.Key("expires_in");
  w.Int64(options_.oauth_token_lifetime_s);
  w.EndObject();
  ApiResponse r;
  r.body = buf.GetString();
  return r;
}

ApiResponse SimService::Error(int status, const std::string& category, const std::string& message) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("status");
  w.String("error");
  w.Key("message");
  w.String(message.c_str());
  w.Key("correlationId");
  w.String(CorrelationId().c_str());
  w.Key("category");
  w.String(category.c_str());
  w.EndObject();
  ApiResponse response;
  response.status = status;
  response.body = buf.GetString();
  return response;
}

ApiResponse SimService::RateLimited(const std::string& policy, const std::string& message) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("status");
  w.String("error");
  w.Key("message");
  w.String(message.c_str());
  w.Key("errorType");
  w.String("RATE_LIMIT");
  w.Key("correlationId");
  w.String(CorrelationId().c_str());
  w.Key("policyName");
  w.String(policy.c_str());
  w.Key("requestId");
  w.String(CorrelationId().c_str());
  w.EndObject();
  ApiResponse response;
  response.status = 429;
  response.body = buf.GetString();
  return response;
}

bool SimService::AdmitTenSecondly(SteadyTime now) {
  while (!ten_secondly_window_.empty() &&
         now - ten_secondly_window_.front() >= std::chrono::seconds(10)) {
    ten_secondly_window_.pop_front();
  }
  if (static_cast<int>(ten_secondly_window_.size()) >= options_.ten_secondly_limit) return false;
  ten_secondly_window_.push_back(now);
  return true;
}

bool SimService::AdmitSearch(SteadyTime now) {
  while (!search_window_.empty() && now - search_window_.front() >= std::chrono::seconds(1)) {
    search_window_.pop_front();
  }
  if (static_cast<int>(search_window_.size()) >= options_.search_per_second_limit) return false;
  search_window_.push_back(now);
  return true;
}

bool SimService::AdmitDaily(int64_t now_ms) {
  const int64_t day = now_ms / kDayMs;
  if (day != daily_day_) {
    daily_day_ = day;
    daily_used_ = 0;
  }
  if (daily_used_ >= options_.daily_limit) return false;
  ++daily_used_;
  return true;
}

void SimService::AddRateLimitHeaders(ApiResponse& response, SteadyTime now, bool exhausted,
                                     bool daily) {
  auto& h = response.headers;
  if (daily) {
    const int64_t daily_max = ShownLimit(options_.rate_limits, options_.daily_limit, 250'000);
    h.emplace_back("X-HubSpot-RateLimit-Daily", std::to_string(daily_max));
    h.emplace_back("X-HubSpot-RateLimit-Daily-Remaining",
                   std::to_string(std::max<int64_t>(0, daily_max - daily_used_)));
  }
  const int max = ShownLimit(options_.rate_limits, options_.ten_secondly_limit, 100);
  const int used = exhausted ? max : static_cast<int>(ten_secondly_window_.size());
  const int secondly = std::max(1, max / 10);
  const auto last_second =
      std::count_if(ten_secondly_window_.begin(), ten_secondly_window_.end(),
                    [&](SteadyTime t) { return now - t < std::chrono::seconds(1); });
  h.emplace_back("X-HubSpot-RateLimit-Max", std::to_string(max));
  h.emplace_back("X-HubSpot-RateLimit-Remaining", std::to_string(std::max(0, max - used)));
  h.emplace_back("X-HubSpot-RateLimit-Interval-Milliseconds", "10000");
  h.emplace_back("X-HubSpot-RateLimit-Secondly", std::to_string(secondly));
  h.emplace_back("X-HubSpot-RateLimit-Secondly-Remaining",
                 std::to_string(exhausted ? 0 : std::max<int64_t>(0, secondly - last_second)));
}

ApiResponse SimService::Handle(const ApiRequest& request) {
  const SteadyTime now = clock_.SteadyNow();
  const size_t qmark = request.target.find('?');
  const std::string path = request.target.substr(0, qmark);
  Query query;

  if (qmark != std::string::npos) query.params = ParseQuery(request.target.substr(qmark + 1));

  std::lock_guard<std::mutex> lock(mu_);
  // The portal's clock, against which index lag runs and batch times are
  // stamped.
  const int64_t now_ms = clock_.NowMs() + options_.clock_offset_ms;
  ++stats_.requests;
  ++stats_.by_path[path];
  ApiResponse response;
  bool oauth = false;
  std::optional<ApiResponse> refused = ApplyFault(path, now, response);
  if (refused) {
    response = std::move(*refused);
  } else if (request.method == "POST" && path == "/oauth/v1/token") {
    response = IssueToken(request.body, now);
  } else if (auto denied = CheckAuthorization(request.authorization, now, &oauth)) {
    response = std::move(*denied);
  } else {
    const std::chrono::milliseconds delay = response.delay;
    const bool truncate = response.truncate;
    response = Route(request.method, path, query, request.body, now_ms, oauth);
    response.delay = delay;
    response.truncate = truncate;
  }
  if (options_.echo_credentials && response.status >= 400) EchoCredentials(request, response);
  ++stats_.by_status[response.status];
  return response;
}

std::optional<ApiResponse> SimService::ApplyFault(const std::string& path, SteadyTime now,
                                                  ApiResponse& answer) {
  auto fault = std::find_if(faults_.begin(), faults_.end(), [&](const Fault& f) {
    return path.compare(0, f.path_prefix.size(), f.path_prefix) == 0;
  });
  if (fault == faults_.end()) return std::nullopt;
  if (fault->skip > 0) {
    --fault->skip;
    return std::nullopt;
  }
  const Fault applied = *fault;
  if (--fault->count <= 0) faults_.erase(fault);
  switch (applied.kind) {
    case FaultKind::kRateLimitWithRetryAfter: {
      ApiResponse r =
          RateLimited("TEN_SECONDLY_ROLLING", "You have reached your ten_secondly_rolling limit.");
      r.headers.emplace_back("Retry-After", "1");
      return r;
    }
    case FaultKind::kRateLimitWithoutRetryAfter: {
      ApiResponse r =
          RateLimited("TEN_SECONDLY_ROLLING", "You have reached your ten_secondly_rolling limit.");
      AddRateLimitHeaders(r, now, /*exhausted=*/true, /*daily=*/false);
      return r;
    }
    case FaultKind::kServerError: {
      // Alternate the two forms seen in the wild: a gateway's HTML page and
      // HubSpot's own JSON error.
      if (server_errors_sent_++ % 2 == 0) {
        ApiResponse r;
        r.status = 502;
        r.content_type = "text/html";
        r.body =
            "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad "
            "Gateway</h1></center><hr><center>cloudflare</center></body></html>";
        return r;
      }
      return Error(503, "SERVICE_UNAVAILABLE",
                   "The service is temporarily unavailable. Please try again later.");
    }
    case FaultKind::kSlow:
      answer.delay = std::chrono::milliseconds(applied.delay_ms);
      break;
    case FaultKind::kTruncated:
      answer.truncate = true;
      break;
    case FaultKind::kDailyLimit: {
      // No Retry-After: the quota comes back at the portal's midnight.
      ApiResponse r = RateLimited("DAILY", "You have reached your daily limit.");
      r.headers.emplace_back(
          "X-HubSpot-RateLimit-Daily",
          std::to_string(ShownLimit(options_.rate_limits, options_.daily_limit, 250'000)));
      r.headers.emplace_back("X-HubSpot-RateLimit-Daily-Remaining", "0");
      return r;
    }
    case FaultKind::kMissingScopes:
      return MissingScopes(path);
  }
  return std::nullopt;
}

ApiResponse SimService::Route(const std::string& method, const std::string& path,
                              const Query& query, const std::string& body, int64_t now_ms,
                              bool oauth) {
  constexpr std::string_view kObjects = "/crm/v3/objects/";
  constexpr std::string_view kProperties = "/crm/v3/properties/";
  constexpr std::string_view kEmail = "/email/public/v1/";
  const SteadyTime now = clock_.SteadyNow();
  const bool is_search =
      method == "POST" && path.starts_with(kObjects) && path.ends_with("/search");
  if (is_search) {
    // Search has its own per-second limit and sends no rate-limit headers
    // and no Retry-After (docs/vendors/hubspot.md "Search").
    if (options_.rate_limits && options_.search_per_second_limit > 0 && !AdmitSearch(now)) {
      return RateLimited("SECONDLY", "You have reached your secondly limit.");
    }
    const std::string name = path.substr(kObjects.size(), path.size() - kObjects.size() - 7);
    std::optional<ObjectType> type = ObjectTypeNamed(name);
    if (!type) return Error(404, "OBJECT_NOT_FOUND", "Unknown object type: " + name);
    return SearchObjects(*type, body, now_ms);
  }

  // OAuth calls have no daily limit and no daily headers
  // (docs/vendors/hubspot.md "Rate limits").
  const bool limited = options_.rate_limits;
  const bool daily = limited && options_.daily_limit > 0 && !oauth;
  if (daily && !AdmitDaily(now_ms)) {
    ApiResponse r = RateLimited("DAILY", "You have reached your daily limit.");
    AddRateLimitHeaders(r, now, /*exhausted=*/false, daily);
    return r;
  }
  if (limited && options_.ten_secondly_limit > 0 && !AdmitTenSecondly(now)) {
    ApiResponse r =
        RateLimited("TEN_SECONDLY_ROLLING", "You have reached your ten_secondly_rolling limit.");
    AddRateLimitHeaders(r, now, /*exhausted=*/true, daily);
    return r;
  }
  ApiResponse r;
  if (method == "GET" && path.starts_with(kObjects) &&
      ObjectTypeNamed(path.substr(kObjects.size()))) {
    r = ListObjects(*ObjectTypeNamed(path.substr(kObjects.size())), query);
  } else if (auto record = RecordAssociationsPath(path); method == "GET" && record) {
    r = ListRecordAssociations(record->type, record->id, record->to_type, query);
  } else if (method == "POST" && path == "/crm/v3/associations/deals/contacts/batch/read") {
    r = ReadAssociations(body, now_ms, /*v4=*/false);
  } else if (method == "POST" && path == "/crm/v4/associations/deals/contacts/batch/read" &&
             options_.associations_v4) {
    r = ReadAssociations(body, now_ms, /*v4=*/true);
  } else if (method == "GET" && (path == "/crm/v3/owners" || path == "/crm/v3/owners/")) {
    // Generated clients (@hubspot/api-client) ask with the trailing slash.
    r = ListOwners(query);
  } else if (method == "GET" && path.starts_with(kProperties)) {
    r = Properties(path.substr(kProperties.size()));
  } else if (method == "GET" && (path == "/crm/v3/schemas" || path == "/crm/v3/schemas/" ||
                                 path == "/crm-object-schemas/v3/schemas")) {
    // The schemas API (documented under /crm-object-schemas/v3, asked for
    // under /crm/v3 by Singer's tap-hubspot) lists custom objects only; this
    // portal has none.
    r.body = R"({"results":[]})";
  } else if (method == "GET" && path == "/crm/v3/pipelines/deals") {
    r = Pipelines();
  } else if (method == "GET" && path.starts_with(kEmail)) {
    r = Email(path.substr(kEmail.size()), query);
  } else {
    r = Error(404, "OBJECT_NOT_FOUND", "No route for " + method + " " + path);
  }
  if (limited) AddRateLimitHeaders(r, now, /*exhausted=*/false, daily);
  return r;
}

ApiResponse SimService::Email(const std::string& rest, const Query& query) {
  const EmailPortal& email = portal_.email();
  constexpr std::string_view kCampaigns = "campaigns/";
  EmailApiAnswer answer{404, "No route for /email/public/v1/" + rest};
  if (rest == "events") {
    answer = email.ListEvents(query.params, options_.email_events_page_size);
  } else if (rest == "campaigns/by-id") {
    answer = email.ListCampaigns(query.params);
  } else if (rest.starts_with(kCampaigns) &&
             rest.find('/', kCampaigns.size()) == std::string::npos) {
    answer = email.GetCampaign(rest.substr(kCampaigns.size()));
  }
  if (answer.status == 200) {
    ApiResponse r;
    r.body = std::move(answer.body);
    return r;
  }
  return Error(answer.status, answer.status == 404 ? "OBJECT_NOT_FOUND" : "VALIDATION_ERROR",
               answer.body);
}

ApiResponse SimService::MissingScopes(const std::string& path) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("status");
  w.String("error");
  w.Key("message");
  w.String(
      "This app hasn't been granted all required scopes to make this call. Read more about "
      "required scopes here: https://developers.hubspot.com/scopes.");
  w.Key("correlationId");
  w.String(CorrelationId().c_str());
  w.Key("errors");
  w.StartArray();
  w.StartObject();
  w.Key("message");
  w.String("One or more of the following scopes are required.");
  w.Key("context");
  w.StartObject();
  w.Key("requiredGranularScopes");
  w.StartArray();
  for (const std::string& scope : RequiredScopes(path)) w.String(scope.c_str());
  w.EndArray();
  w.EndObject();
  w.EndObject();
  w.EndArray();
  w.Key("links");
  w.StartObject();
  w.Key("scopes");
  w.String(kScopesLink);
  w.EndObject();
  w.Key("category");
  w.String("MISSING_SCOPES");
  w.EndObject();
  ApiResponse response;
  response.status = 403;
  response.body = buf.GetString();
  return response;
}

}  // namespace salesaudit::sim

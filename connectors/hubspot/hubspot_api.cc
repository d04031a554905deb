#include "connectors/hubspot/hubspot_api.h"

#include <rapidjson/document.h>

#include "connectors/classify.h"
#include "connectors/oauth.h"
#include "connectors/paging.h"
#include "core/json_reader.h"
#include "core/secret_registry.h"

namespace salesaudit::hubspot {
namespace {

// A paging token that is not a string: `paging.next.after` of a CRM
// response or of a batch result, `offset` of the email APIs. Reading it as
// absent would end paging silently, with records never read.
Status CheckPagingTokens(const rapidjson::Value& doc) {
  auto check = [](const rapidjson::Value* holder, const char* key, const char* name) {
    // A null token is refused too: only an absent one ends paging.
    const rapidjson::Value* token = GetMember(holder, key);
    if (token == nullptr || token->IsString()) return Status::Ok();
    return Status::DataLoss(std::string(name) + " is " + JsonTypeName(*token) +
                            ", not a string: the next page cannot be asked for");
  };
  auto next_of = [](const rapidjson::Value& object) {
    return GetObject(GetObject(object, "paging"), "next");
  };
  Status s = check(next_of(doc), "after", "paging.next.after");
  if (s.ok()) s = check(&doc, "offset", "offset");
  if (const rapidjson::Value* results = GetArray(doc, "results"); results != nullptr) {
    for (const auto& row : results->GetArray()) {
      if (!s.ok()) break;
      s = check(next_of(row), "after", "paging.next.after");
    }
  }
  return s;
}

// The daily limit does not lift with a backoff: the connector stops until
// a later poll instead of spending retries and errors (docs/vendors/hubspot.md
// "Rate limits").
Status ClassifyHubSpotResponse(const HttpRequest& request, const HttpResponse& response,
                               const std::string& context) {
  Status status = ClassifyHttpResponse(request, response, context);
  if (status.code() != StatusCode::kRateLimited) return status;
  rapidjson::Document body;
  const bool daily_policy = ParseJson(response.body, &body).ok() && body.IsObject() &&
                            GetString(body, "policyName").value_or("") == "DAILY";
  if (daily_policy || response.Header("x-hubspot-ratelimit-daily-remaining") == "0") {
    return Status::QuotaExhausted(status.message() +
                                  " (daily API limit: syncing resumes after it resets)");
  }
  return status;
}

}  // namespace

std::optional<VendorRateLimit> ReadRateLimit(const HttpResponse& response) {
  // At most 9 digits each (HeaderDigits): they fit an int.
  auto stated = [&](const char* max, const char* remaining,
                    std::chrono::milliseconds per) -> std::optional<VendorRateLimit> {
    const std::optional<int64_t> limit = response.HeaderDigits(max);
    if (!limit || *limit == 0 || per.count() <= 0) return std::nullopt;
    VendorRateLimit said{.limit = static_cast<int>(*limit), .per = per};
    if (auto left = response.HeaderDigits(remaining)) said.remaining = static_cast<int>(*left);
    return said;
  };
  const std::optional<int64_t> interval =
      response.HeaderDigits("x-hubspot-ratelimit-interval-milliseconds", 10);
  if (interval) {
    if (auto said = stated("x-hubspot-ratelimit-max", "x-hubspot-ratelimit-remaining",
                           std::chrono::milliseconds(*interval))) {
      return said;
    }
  }
  return stated("x-hubspot-ratelimit-secondly", "x-hubspot-ratelimit-secondly-remaining",
                std::chrono::seconds(1));
}

HubSpotApi::HubSpotApi(const ConnectorConfig& c, HttpClient& h)
    : config(c),
      http(h),
      fields(c.fields),
      base_url(c.base_url.empty() ? kDefaultBaseUrl : c.base_url),
      daily_(c, DailyAllowance::Unit::kRequests, "the portal's daily API limit") {
  while (!base_url.empty() && base_url.back() == '/') base_url.pop_back();
  auto token = config.auth.find("token");
  if (token != config.auth.end()) access_token_ = token->second;
  // A vendor may quote a credential back in an error; whichever config
  // these came from, they are redacted from every text that leaves.
  for (const auto& [key, value] : config.auth) ProcessSecrets().Add(value);
}

std::string HubSpotApi::Context(const std::string& stream) const {
  return "hubspot[" + config.name + "]: " + stream;
}

Result<HubSpotAnswer> HubSpotApi::Call(const std::string& stream, HttpRequest request,
                                       long* http_status) {
  const std::string context = Context(stream);
  if (Status s = EnsureAccessToken(stream, /*force=*/false); !s.ok()) return s;
  request.headers.emplace_back("Accept", "application/json");
  if (!request.body.empty()) request.headers.emplace_back("Content-Type", "application/json");
  if (Status s = daily_.Check(context); !s.ok()) return s;
  auto response = SendAuthorized(request);
  // HubSpot warns that a 401 does not reliably mean expiry (docs/vendors/hubspot.md
  // "Authentication"), so the timer above is the main path; a 401 on a token we hold
  // still earns one fresh token before it counts as refused.
  if (response.ok() && response->status == 401 && UsesOAuth()) {
    if (Status s = EnsureAccessToken(stream, /*force=*/true); !s.ok()) return s;
    response = SendAuthorized(request);
  }
  if (!response.ok()) return response.status().WithContext(context);
  const std::optional<int64_t> day = response->HeaderDigits("x-hubspot-ratelimit-daily");
  const std::optional<int64_t> day_left =
      response->HeaderDigits("x-hubspot-ratelimit-daily-remaining");
  if (day && day_left) daily_.Update(*day - *day_left, *day);
  if (http_status != nullptr) *http_status = response->status;
  if (Status s = ClassifyHubSpotResponse(request, *response, context); !s.ok()) return s;
  // In place: a page's strings are most of its bytes, and none is copied.
  HubSpotAnswer answer{std::make_unique<std::string>(std::move(response->body)),
                       std::make_unique<rapidjson::Document>()};
  Status s = ParseJsonInPlace(*answer.body, answer.doc.get());
  if (s.ok()) s = CheckPagingTokens(*answer.doc);
  if (!s.ok()) return s.WithContext(context + ": " + request.method + " " + UrlPath(request.url));
  return answer;
}

bool HubSpotApi::UsesOAuth() const { return config.auth.count("token") == 0; }

Result<HttpResponse> HubSpotApi::SendAuthorized(HttpRequest request) {
  request.headers.emplace_back("Authorization", "Bearer " + access_token_);
  return http.Send(request);
}

// OAuth apps trade the refresh token for an access token that lives about
// 30 minutes; refresh 10 minutes before expiry (tap-hubspot's margin), or
// at once when `force`.
Status HubSpotApi::EnsureAccessToken(const std::string& stream, bool force) {
  if (!UsesOAuth()) return Status::Ok();
  const int64_t now = http.clock().NowMs();
  if (!force && !access_token_.empty() && now < access_expires_at_ms_ - 600000) {
    return Status::Ok();
  }
  const std::string form =
      "grant_type=refresh_token&client_id=" + UrlEncode(config.auth.at("client_id")) +
      "&client_secret=" + UrlEncode(config.auth.at("client_secret")) +
      "&refresh_token=" + UrlEncode(config.auth.at("refresh_token"));
  auto answer = RequestOAuthToken(http, base_url + "/oauth/v1/token", form,
                                  "hubspot[" + config.name + "]", stream);
  if (!answer.ok()) return answer.status();
  access_token_ = std::move(answer->access_token);
  const rapidjson::Value& doc = *answer->doc;
  access_expires_at_ms_ = now + GetInt64(doc, "expires_in").value_or(1800) * 1000;
  return Status::Ok();
}

// The `paging.next.after` token of a list response, or "" on the last page.
std::string NextAfter(const rapidjson::Value& doc) {
  const rapidjson::Value* next = GetObject(GetObject(doc, "paging"), "next");
  return next ? GetStringOrEmpty(*next, "after") : "";
}

// NextAfter for a token that will be sent back and kept in the cursor:
// refused when oversized. A token that cycles is caught by the sync engine,
// which sees the cursor repeat.
Result<std::string> FollowedAfter(const rapidjson::Value& doc, const std::string& where) {
  std::string after = NextAfter(doc);
  if (Status s = CheckPagingToken(after, where); !s.ok()) return s;
  return after;
}

}  // namespace salesaudit::hubspot

#include "tests/sim/hubspot/sim_service.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <map>
#include <optional>
#include <set>

#include "core/time_util.h"
#include "tests/sim/hubspot/sim_search.h"

namespace salesaudit::sim {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

constexpr int kDefaultListLimit = 10;
constexpr int kMaxListLimit = 100;
constexpr int kDefaultOwnerLimit = 100;
constexpr int kMaxOwnerLimit = 500;
constexpr size_t kMaxBatchInputs = 100;     // v3 association batch read
constexpr size_t kMaxV4BatchInputs = 1000;  // v4 association batch read
// The deal->contact association type HubSpot defines (docs/vendors/hubspot.md "Associations").
constexpr int kDealToContactTypeId = 3;
// The Free/Starter private-app daily allowance, shown on injected DAILY 429s
// (docs/vendors/hubspot.md "Rate limits").
constexpr int kNominalDailyLimit = 250'000;
constexpr char kScopesLink[] = "https://developers.hubspot.com/scopes";
// Shown in the rate-limit headers of injected 429s when no limit is set: the
// Free/Starter private-app allowance (docs/vendors/hubspot.md "Rate limits").
constexpr int kNominalTenSecondlyLimit = 100;

const char* kAuthMessage =
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can "
    "find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview";

// Properties returned when a request names none (docs/vendors/hubspot.md
// "Records and properties").
const std::vector<std::string> kContactDefaults = {
    "createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"};
const std::vector<std::string> kDealDefaults = {"amount",       "closedate", "createdate",
                                                "dealname",     "dealstage", "hs_lastmodifieddate",
                                                "hs_object_id", "pipeline"};

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

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

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 &&
               HexValue(s[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string Base64(std::string_view in) {
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    for (int shift = 18; shift >= 0; shift -= 6) out += kBase64[(v >> shift) & 63];
  }
  if (i < in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += kBase64[(v >> 18) & 63];
    out += kBase64[(v >> 12) & 63];
    out += i + 1 < in.size() ? kBase64[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> Unbase64(std::string_view in) {
  std::string out;
  unsigned v = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    const char* pos = std::char_traits<char>::find(kBase64, 64, c);
    if (pos == nullptr) return std::nullopt;
    v = (v << 6) | static_cast<unsigned>(pos - kBase64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((v >> bits) & 0xFF);
    }
  }
  return out;
}

// List cursors are opaque: base64 of the next record's id, with the padding
// percent-encoded the way HubSpot sends it ("NTI1Cg%3D%3D"), so a client that
// treats `after` as a number or forgets to pass it back verbatim fails here.
std::string EncodeCursor(int64_t next_id) {
  std::string b64 = Base64(std::to_string(next_id) + "\n");
  std::string out;
  for (char c : b64) out += c == '=' ? std::string("%3D") : std::string(1, c);
  return out;
}

// Accepts the cursor as sent or percent-encoded once more by the client.
std::optional<int64_t> DecodeCursor(std::string text) {
  if (text.find('%') != std::string::npos) text = PercentDecode(text);
  std::optional<std::string> raw = Unbase64(text);
  if (!raw || raw->empty() || raw->back() != '\n') return std::nullopt;
  raw->pop_back();
  int64_t id = 0;
  const auto [end, ec] = std::from_chars(raw->data(), raw->data() + raw->size(), id);
  if (ec != std::errc() || end != raw->data() + raw->size()) return std::nullopt;
  return id;
}

std::optional<int> ParseInt(const std::string& text) {
  int v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

// Non-empty pieces of `text` between `sep` characters.
std::vector<std::string> Split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(sep, start);
    if (comma == std::string::npos) comma = text.size();
    if (comma > start) parts.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return parts;
}

// The property names a response carries: the requested ones (or the type's
// defaults) plus the id, create and modified dates HubSpot always includes.
std::set<std::string> ResponseProperties(ObjectType type,
                                         const std::optional<std::vector<std::string>>& requested) {
  std::set<std::string> names;
  if (requested) {
    names.insert(requested->begin(), requested->end());
  } else {
    const auto& defaults = type == ObjectType::kContacts ? kContactDefaults : kDealDefaults;
    names.insert(defaults.begin(), defaults.end());
  }
  names.insert("hs_object_id");
  names.insert("createdate");
  names.insert(ModifiedDateProperty(type));
  return names;
}

void WriteObject(Writer& w, const SimObject& object, const std::set<std::string>& names,
                 const std::set<std::string>& schema) {
  w.StartObject();
  w.Key("id");
  w.String(object.id.c_str());
  w.Key("properties");
  w.StartObject();
  for (const std::string& name : names) {
    // Names the portal does not define are left out; defined but unset
    // properties come back as null.
    if (schema.count(name) == 0) continue;
    w.Key(name.c_str());
    auto it = object.properties.find(name);
    if (it == object.properties.end()) {
      w.Null();
    } else {
      w.String(it->second.c_str(), static_cast<rapidjson::SizeType>(it->second.size()));
    }
  }
  w.EndObject();
  w.Key("createdAt");
  w.String(FormatIsoMs(object.created_at_ms).c_str());
  w.Key("updatedAt");
  w.String(FormatIsoMs(object.updated_at_ms).c_str());
  w.Key("archived");
  w.Bool(object.archived);
  if (object.archived) {
    w.Key("archivedAt");
    w.String(FormatIsoMs(object.archived_at_ms).c_str());
  }
  w.EndObject();
}

void WritePaging(Writer& w, const std::string& after) {
  w.Key("paging");
  w.StartObject();
  w.Key("next");
  w.StartObject();
  w.Key("after");
  w.String(after.c_str());
  w.Key("link");
  w.String(("?after=" + after).c_str());
  w.EndObject();
  w.EndObject();
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

std::optional<ObjectType> ObjectTypeNamed(std::string_view name) {
  if (name == "contacts") return ObjectType::kContacts;
  if (name == "deals") return ObjectType::kDeals;
  return std::nullopt;
}

}  // namespace

struct SimService::Query {
  std::map<std::string, std::string> params;
  const std::string* Get(const std::string& key) const {
    auto it = params.find(key);
    return it == params.end() ? nullptr : &it->second;
  }
};

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
                                                          SteadyTime now) {
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization == std::string(kBearer) + options_.token) return std::nullopt;
  if (authorization.rfind(kBearer, 0) == 0) {
    auto it = access_tokens_.find(authorization.substr(kBearer.size()));
    if (it != access_tokens_.end()) {
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
  std::map<std::string, std::string> form;
  for (const std::string& pair : Split(body, '&')) {
    const size_t eq = pair.find('=');
    form[PercentDecode(pair.substr(0, eq))] =
        eq == std::string::npos ? "" : PercentDecode(pair.substr(eq + 1));
  }
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

void SimService::AddRateLimitHeaders(ApiResponse& response, SteadyTime now, bool exhausted) {
  const int max =
      options_.ten_secondly_limit > 0 ? options_.ten_secondly_limit : kNominalTenSecondlyLimit;
  const int used = exhausted ? max : static_cast<int>(ten_secondly_window_.size());
  const int secondly = std::max(1, max / 10);
  const auto last_second =
      std::count_if(ten_secondly_window_.begin(), ten_secondly_window_.end(),
                    [&](SteadyTime t) { return now - t < std::chrono::seconds(1); });
  auto& h = response.headers;
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
  if (qmark != std::string::npos) {
    for (const std::string& pair : Split(request.target.substr(qmark + 1), '&')) {
      const size_t eq = pair.find('=');
      query.params[PercentDecode(pair.substr(0, eq))] =
          eq == std::string::npos ? "" : PercentDecode(pair.substr(eq + 1));
    }
  }

  std::lock_guard<std::mutex> lock(mu_);
  // The portal's clock, against which index lag runs and batch times are
  // stamped.
  const int64_t now_ms = clock_.NowMs() + options_.clock_offset_ms;
  ++stats_.requests;
  ++stats_.by_path[path];
  ApiResponse response;
  std::optional<ApiResponse> refused = ApplyFault(path, now, response);
  if (refused) {
    response = std::move(*refused);
  } else if (request.method == "POST" && path == "/oauth/v1/token") {
    response = IssueToken(request.body, now);
  } else if (auto denied = CheckAuthorization(request.authorization, now)) {
    response = std::move(*denied);
  } else {
    const std::chrono::milliseconds delay = response.delay;
    const bool truncate = response.truncate;
    response = Route(request.method, path, query, request.body, now_ms);
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
      AddRateLimitHeaders(r, now, /*exhausted=*/true);
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
      r.headers.emplace_back("X-HubSpot-RateLimit-Daily", std::to_string(kNominalDailyLimit));
      r.headers.emplace_back("X-HubSpot-RateLimit-Daily-Remaining", "0");
      return r;
    }
    case FaultKind::kMissingScopes:
      return MissingScopes(path);
  }
  return std::nullopt;
}

ApiResponse SimService::Route(const std::string& method, const std::string& path,
                              const Query& query, const std::string& body, int64_t now_ms) {
  constexpr std::string_view kObjects = "/crm/v3/objects/";
  constexpr std::string_view kEmail = "/email/public/v1/";
  const SteadyTime now = clock_.SteadyNow();
  const bool is_search =
      method == "POST" && path.starts_with(kObjects) && path.ends_with("/search");
  if (is_search) {
    // Search has its own per-second limit and sends no rate-limit headers
    // and no Retry-After (docs/vendors/hubspot.md "Search").
    if (options_.search_per_second_limit > 0 && !AdmitSearch(now)) {
      return RateLimited("SECONDLY", "You have reached your secondly limit.");
    }
    const std::string name = path.substr(kObjects.size(), path.size() - kObjects.size() - 7);
    std::optional<ObjectType> type = ObjectTypeNamed(name);
    if (!type) return Error(404, "OBJECT_NOT_FOUND", "Unknown object type: " + name);
    return SearchObjects(*type, body, now_ms);
  }

  const bool limited = options_.ten_secondly_limit > 0;
  if (limited && !AdmitTenSecondly(now)) {
    ApiResponse r =
        RateLimited("TEN_SECONDLY_ROLLING", "You have reached your ten_secondly_rolling limit.");
    AddRateLimitHeaders(r, now, /*exhausted=*/true);
    return r;
  }
  ApiResponse r;
  if (method == "GET" && path.starts_with(kObjects) &&
      ObjectTypeNamed(path.substr(kObjects.size()))) {
    r = ListObjects(*ObjectTypeNamed(path.substr(kObjects.size())), query);
  } else if (method == "POST" && path == "/crm/v3/associations/deals/contacts/batch/read") {
    r = ReadAssociations(body, now_ms, /*v4=*/false);
  } else if (method == "POST" && path == "/crm/v4/associations/deals/contacts/batch/read" &&
             options_.associations_v4) {
    r = ReadAssociations(body, now_ms, /*v4=*/true);
  } else if (method == "GET" && path == "/crm/v3/owners") {
    r = ListOwners(query);
  } else if (method == "GET" && path == "/crm/v3/pipelines/deals") {
    r = Pipelines();
  } else if (method == "GET" && path.starts_with(kEmail)) {
    r = Email(path.substr(kEmail.size()), query);
  } else {
    r = Error(404, "OBJECT_NOT_FOUND", "No route for " + method + " " + path);
  }
  if (limited) AddRateLimitHeaders(r, now, /*exhausted=*/false);
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

std::optional<ApiResponse> SimService::ReadPaging(const Query& query, int default_limit,
                                                  int max_limit, int* limit, int64_t* start_id) {
  *limit = default_limit;
  if (const std::string* text = query.Get("limit")) {
    std::optional<int> parsed = ParseInt(*text);
    if (!parsed || *parsed < 1 || *parsed > max_limit) {
      return Error(400, "VALIDATION_ERROR",
                   "limit must be a number between 1 and " + std::to_string(max_limit) + ", got '" +
                       *text + "'");
    }
    *limit = *parsed;
  }
  *start_id = 0;
  if (const std::string* after = query.Get("after")) {
    std::optional<int64_t> id = DecodeCursor(*after);
    if (!id) return Error(400, "VALIDATION_ERROR", "Invalid 'after' paging token: " + *after);
    *start_id = *id;
  }
  return std::nullopt;
}

ApiResponse SimService::ListObjects(ObjectType type, const Query& query) {
  int limit = 0;
  int64_t start_id = 0;
  if (auto refused = ReadPaging(query, kDefaultListLimit, kMaxListLimit, &limit, &start_id)) {
    return std::move(*refused);
  }
  const std::string* archived_text = query.Get("archived");
  const bool archived = archived_text != nullptr && *archived_text == "true";
  std::optional<std::vector<std::string>> requested;
  if (const std::string* props = query.Get("properties")) requested = Split(*props, ',');
  const std::set<std::string> names = ResponseProperties(type, requested);

  const ObjectTable& table = portal_.table(type);
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("results");
  w.StartArray();
  int written = 0;
  std::optional<int64_t> next_id;
  for (size_t i = table.LowerBound(start_id); i < table.records.size(); ++i) {
    if (table.records[i].archived != archived) continue;
    if (written == limit) {
      next_id = table.ids[i];
      break;
    }
    WriteObject(w, table.records[i], names, table.schema);
    ++written;
  }
  w.EndArray();
  if (next_id) WritePaging(w, EncodeCursor(*next_id));
  w.EndObject();
  ApiResponse r;
  r.body = buf.GetString();
  return r;
}

ApiResponse SimService::SearchObjects(ObjectType type, const std::string& body, int64_t now_ms) {
  Result<SearchQuery> query = ParseSearchQuery(body);
  if (!query.ok()) return Error(400, "VALIDATION_ERROR", query.status().message());
  stats_.max_search_after = std::max(stats_.max_search_after, query->after);
  // The real cap: one query cannot page past 10,000 results.
  if (query->after + query->limit > kMaxSearchResults) {
    return Error(400, "VALIDATION_ERROR",
                 "There was a problem with the request: the sum of after (" +
                     std::to_string(query->after) + ") and limit (" + std::to_string(query->limit) +
                     ") must not exceed 10000.");
  }
  int64_t total = 0;
  const ObjectTable& table = portal_.table(type);
  std::vector<const SimObject*> page = RunSearch(table, type, *query, now_ms, &total);
  const std::set<std::string> names = ResponseProperties(type, query->properties);

  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("total");
  w.Int64(total);
  w.Key("results");
  w.StartArray();
  for (const SimObject* object : page) WriteObject(w, *object, names, table.schema);
  w.EndArray();
  const int64_t next = query->after + static_cast<int64_t>(page.size());
  if (!page.empty() && next < total) WritePaging(w, std::to_string(next));
  w.EndObject();
  ApiResponse r;
  r.body = buf.GetString();
  return r;
}

ApiResponse SimService::ReadAssociations(const std::string& body, int64_t now_ms, bool v4) {
  rapidjson::Document doc;
  doc.Parse(body.c_str(), body.size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("inputs") ||
      !doc["inputs"].IsArray()) {
    return Error(400, "VALIDATION_ERROR",
                 "Invalid input JSON: expected {\"inputs\":[{\"id\":..}]}");
  }
  const auto inputs = doc["inputs"].GetArray();
  const size_t max_inputs = v4 ? kMaxV4BatchInputs : kMaxBatchInputs;
  if (inputs.Size() > max_inputs) {
    return Error(400, "VALIDATION_ERROR",
                 "Batch input size " + std::to_string(inputs.Size()) + " exceeds the limit of " +
                     std::to_string(max_inputs));
  }
  struct Input {
    std::string id;
    size_t start = 0;  // v4 `after`: the position in the deal's associations
  };
  std::vector<Input> parsed;
  for (const rapidjson::Value& input : inputs) {
    if (!input.IsObject() || !input.HasMember("id") || !input["id"].IsString()) {
      return Error(400, "VALIDATION_ERROR", "Each input needs a string id");
    }
    Input in{input["id"].GetString(), 0};
    if (v4 && input.HasMember("after") && !input["after"].IsNull()) {
      const rapidjson::Value& after = input["after"];
      std::optional<int64_t> offset;
      if (after.IsString()) offset = DecodeCursor(after.GetString());
      if (!offset || *offset < 0) {
        return Error(400, "VALIDATION_ERROR", "Invalid 'after' paging token for input " + in.id);
      }
      in.start = static_cast<size_t>(*offset);
    }
    parsed.push_back(std::move(in));
  }

  const size_t page_size = static_cast<size_t>(std::max(options_.association_page_size, 1));
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("status");
  w.String("COMPLETE");
  w.Key("results");
  w.StartArray();
  // Deals without (further) associations, unknown ids included, are not in
  // the results but each gets one error, which makes the answer a 207.
  std::vector<std::string> missing;
  for (const Input& in : parsed) {
    auto it = portal_.deal_contacts().find(in.id);
    if (it == portal_.deal_contacts().end() || in.start >= it->second.size()) {
      if (std::find(missing.begin(), missing.end(), in.id) == missing.end()) {
        missing.push_back(in.id);
      }
      continue;
    }
    const std::vector<std::string>& contacts = it->second;
    // v3 silently drops what is past one page; v4 offers a cursor to it.
    const size_t end = std::min(contacts.size(), in.start + page_size);
    w.StartObject();
    w.Key("from");
    w.StartObject();
    w.Key("id");
    w.String(it->first.c_str());
    w.EndObject();
    w.Key("to");
    w.StartArray();
    for (size_t i = in.start; i < end; ++i) {
      w.StartObject();
      if (v4) {
        int64_t numeric = 0;
        std::from_chars(contacts[i].data(), contacts[i].data() + contacts[i].size(), numeric);
        w.Key("toObjectId");
        w.Int64(numeric);
        w.Key("associationTypes");
        w.StartArray();
        w.StartObject();
        w.Key("category");
        w.String("HUBSPOT_DEFINED");
        w.Key("typeId");
        w.Int(kDealToContactTypeId);
        w.Key("label");
        w.Null();
        w.EndObject();
        w.EndArray();
      } else {
        w.Key("id");
        w.String(contacts[i].c_str());
        w.Key("type");
        w.String("deal_to_contact");
      }
      w.EndObject();
    }
    w.EndArray();
    if (v4 && end < contacts.size()) {
      w.Key("paging");
      w.StartObject();
      w.Key("next");
      w.StartObject();
      w.Key("after");
      w.String(EncodeCursor(static_cast<int64_t>(end)).c_str());
      w.Key("link");
      w.Null();
      w.EndObject();
      w.EndObject();
    }
    w.EndObject();
  }
  w.EndArray();
  if (!missing.empty()) {
    w.Key("numErrors");
    w.Int64(static_cast<int64_t>(missing.size()));
    w.Key("errors");
    w.StartArray();
    for (const std::string& id : missing) {
      w.StartObject();
      w.Key("status");
      w.String("error");
      w.Key("category");
      w.String("OBJECT_NOT_FOUND");
      w.Key("subCategory");
      w.String("crm.associations.NO_ASSOCIATIONS_FOUND");
      w.Key("context");
      w.StartObject();
      w.Key("fromObjectId");
      w.StartArray();
      w.String(id.c_str());
      w.EndArray();
      w.EndObject();
      w.Key("message");
      w.String(("No contacts are associated with deal " + id + ".").c_str());
      w.EndObject();
    }
    w.EndArray();
  }
  w.Key("startedAt");
  w.String(FormatIsoMs(now_ms).c_str());
  w.Key("completedAt");
  w.String(FormatIsoMs(clock_.NowMs() + options_.clock_offset_ms).c_str());
  w.EndObject();
  ApiResponse r;
  r.status = missing.empty() ? 200 : 207;
  r.body = buf.GetString();
  return r;
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

ApiResponse SimService::ListOwners(const Query& query) {
  int limit = 0;
  int64_t start_id = 0;
  if (auto refused = ReadPaging(query, kDefaultOwnerLimit, kMaxOwnerLimit, &limit, &start_id)) {
    return std::move(*refused);
  }
  const std::string* archived_text = query.Get("archived");
  const bool archived = archived_text != nullptr && *archived_text == "true";

  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("results");
  w.StartArray();
  int written = 0;
  std::optional<int64_t> next_id;
  const auto& owners = portal_.owners();
  for (auto it = owners.lower_bound(start_id); it != owners.end(); ++it) {
    const SimOwner& o = it->second;
    if (o.archived != archived) continue;
    if (written == limit) {
      next_id = it->first;
      break;
    }
    ++written;
    w.StartObject();
    w.Key("id");
    w.String(o.id.c_str());
    w.Key("email");
    w.String(o.email.c_str());
    w.Key("type");
    w.String("PERSON");
    w.Key("firstName");
    w.String(o.first_name.c_str());
    w.Key("lastName");
    w.String(o.last_name.c_str());
    w.Key("userId");
    w.Int64(o.user_id);
    w.Key("userIdIncludingInactive");
    w.Int64(o.user_id);
    w.Key("createdAt");
    w.String(FormatIsoMs(o.created_at_ms).c_str());
    w.Key("updatedAt");
    w.String(FormatIsoMs(o.updated_at_ms).c_str());
    w.Key("archived");
    w.Bool(o.archived);
    w.EndObject();
  }
  w.EndArray();
  if (next_id) WritePaging(w, EncodeCursor(*next_id));
  w.EndObject();
  ApiResponse r;
  r.body = buf.GetString();
  return r;
}

ApiResponse SimService::Pipelines() {
  // The default pipeline; stage metadata values are strings, as HubSpot
  // sends them (docs/vendors/hubspot.md "Deals and pipelines").
  struct Stage {
    const char* id;
    const char* label;
    const char* closed;
    const char* probability;
  };
  static constexpr Stage kStages[] = {
      {"appointmentscheduled", "Appointment Scheduled", "false", "0.2"},
      {"qualifiedtobuy", "Qualified To Buy", "false", "0.4"},
      {"presentationscheduled", "Presentation Scheduled", "false", "0.6"},
      {"decisionmakerboughtin", "Decision Maker Bought-In", "false", "0.8"},
      {"contractsent", "Contract Sent", "false", "0.9"},
      {"closedwon", "Closed Won", "true", "1.0"},
      {"closedlost", "Closed Lost", "true", "0.0"},
  };
  const char* kCreated = "2020-05-12T08:00:00.000Z";
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("results");
  w.StartArray();
  w.StartObject();
  w.Key("id");
  w.String("default");
  w.Key("label");
  w.String("Sales Pipeline");
  w.Key("displayOrder");
  w.Int(0);
  w.Key("archived");
  w.Bool(false);
  w.Key("createdAt");
  w.String(kCreated);
  w.Key("updatedAt");
  w.String(kCreated);
  w.Key("stages");
  w.StartArray();
  int order = 0;
  for (const Stage& s : kStages) {
    w.StartObject();
    w.Key("id");
    w.String(s.id);
    w.Key("label");
    w.String(s.label);
    w.Key("displayOrder");
    w.Int(order++);
    w.Key("metadata");
    w.StartObject();
    w.Key("isClosed");
    w.String(s.closed);
    w.Key("probability");
    w.String(s.probability);
    w.EndObject();
    w.Key("archived");
    w.Bool(false);
    w.Key("createdAt");
    w.String(kCreated);
    w.Key("updatedAt");
    w.String(kCreated);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  w.EndArray();
  w.EndObject();
  ApiResponse r;
  r.body = buf.GetString();
  return r;
}

}  // namespace salesaudit::sim

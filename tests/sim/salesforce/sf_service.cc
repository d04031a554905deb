#include "tests/sim/salesforce/sf_service.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "core/encoding.h"
#include "tests/sim/common/sim_text.h"
#include "tests/sim/salesforce/soql.h"

namespace salesaudit::sim {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

// Shown as the allocation in Sforce-Limit-Info when no limit is enforced:
// the Enterprise base (docs/vendors/salesforce.md "Limits").
constexpr int64_t kNominalDailyLimit = 100'000;
constexpr std::string_view kDataPrefix = "/services/data/";
constexpr char kAlphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

SfResponse Json(int status, std::string body) {
  SfResponse r;
  r.status = status;
  r.content_type = "application/json;charset=UTF-8";
  r.body = std::move(body);
  return r;
}

// Salesforce's REST error: a JSON array of {message, errorCode}.
SfResponse ErrorArray(int status, const std::string& code, const std::string& message) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartArray();
  w.StartObject();
  w.Key("message");
  w.String(message.c_str(), static_cast<rapidjson::SizeType>(message.size()));
  w.Key("errorCode");
  w.String(code.c_str());
  w.EndObject();
  w.EndArray();
  return Json(status, buf.GetString());
}

SfResponse TokenError(const char* error, const char* description) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("error");
  w.String(error);
  w.Key("error_description");
  w.String(description);
  w.EndObject();
  return Json(400, buf.GetString());
}

SfResponse NotFound() {
  return ErrorArray(404, "NOT_FOUND", "The requested resource does not exist");
}

// "61.0" -> 610; -1 when not a version.
int VersionNumber(std::string_view v) {
  const size_t dot = v.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 2 != v.size() ||
      !std::isdigit(static_cast<unsigned char>(v.back()))) {
    return -1;
  }
  int major = 0;
  for (size_t i = 0; i < dot; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(v[i]))) return -1;
    major = major * 10 + (v[i] - '0');
  }
  return major * 10 + (v.back() - '0');
}

// The batchSize a Sforce-Query-Options header asks for, within what
// Salesforce allows; 2,000 without one.
int BatchSize(const std::string& header) {
  const std::string lower = Lower(header);
  const size_t at = lower.find("batchsize=");
  if (at == std::string::npos) return kMaxBatchSize;
  const long asked = std::strtol(lower.c_str() + at + 10, nullptr, 10);
  return static_cast<int>(std::clamp<long>(asked, kMinBatchSize, kMaxBatchSize));
}

// SalesforceSimOptions::echo_credentials: an error's message (or a token
// error's description) starts with what the request carried.
void EchoCredentials(const SfRequest& request, SfResponse& response) {
  rapidjson::Document doc;
  doc.Parse(response.body.c_str(), response.body.size());
  if (doc.HasParseError()) return;
  rapidjson::Value* message = nullptr;
  if (doc.IsArray() && doc.Size() > 0 && doc[0].IsObject() && doc[0].HasMember("message")) {
    message = &doc[0]["message"];
  } else if (doc.IsObject() && doc.HasMember("error_description")) {
    message = &doc["error_description"];
  }
  if (message == nullptr || !message->IsString()) return;
  const std::string text = "request Authorization: '" + request.authorization + "', body: '" +
                           request.body + "': " + message->GetString();
  message->SetString(text.c_str(), static_cast<rapidjson::SizeType>(text.size()),
                     doc.GetAllocator());
  rapidjson::StringBuffer buf;
  Writer w(buf);
  doc.Accept(w);
  response.body = buf.GetString();
}

}  // namespace

SfService::SfService(const OrgSpec& spec, SalesforceSimOptions options, const Clock& clock)
    : clock_(clock),
      options_(std::move(options)),
      org_(spec, clock.NowMs()),
      refresh_token_(options_.refresh_token),
      api_usage_(options_.api_usage_start),
      rng_(spec.seed ^ 0x5F0CE11ull) {}

std::string SfService::RandomToken(size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += kAlphabet[rng_() % 62];
  return out;
}

void SfService::ExpireSessions() {
  std::lock_guard<std::mutex> lock(mu_);
  sessions_.clear();
  locators_.clear();
}

void SfService::AddFault(const SfFault& fault) {
  std::lock_guard<std::mutex> lock(mu_);
  faults_.push_back(fault);
}

void SfService::ClearFaults() {
  std::lock_guard<std::mutex> lock(mu_);
  faults_.clear();
}

SfSimStats SfService::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  SfSimStats stats = stats_;
  stats.open_locators = static_cast<int64_t>(locators_.size());
  return stats;
}

void SfService::ResetStats() {
  std::lock_guard<std::mutex> lock(mu_);
  stats_ = SfSimStats{};
}

int64_t SfService::api_usage() const {
  std::lock_guard<std::mutex> lock(mu_);
  return api_usage_;
}

void SfService::EndSession(const std::string& access_token) {
  sessions_.erase(access_token);
  std::erase_if(locators_,
                [&](const auto& entry) { return entry.second.access_token == access_token; });
}

void SfService::ExpireLocators(int64_t now_ms) {
  std::erase_if(locators_, [&](const auto& entry) {
    const Locator& l = entry.second;
    auto session = sessions_.find(l.access_token);
    return session == sessions_.end() || now_ms >= session->second.expires_at_ms ||
           now_ms - l.last_used_ms >= options_.locator_idle_expiry_ms;
  });
}

SfResponse SfService::Handle(const SfRequest& request, const std::string& base_url) {
  const size_t qmark = request.target.find('?');
  const std::string path = request.target.substr(0, qmark);
  std::map<std::string, std::string> params;
  if (qmark != std::string::npos) params = ParseForm(request.target.substr(qmark + 1));

  std::lock_guard<std::mutex> lock(mu_);
  const int64_t now_ms = clock_.NowMs();
  ++stats_.requests;
  ++stats_.by_path[path];
  SfResponse response;
  if (std::optional<SfResponse> refused = ApplyFault(path, response)) {
    response = std::move(*refused);
  } else {
    const std::chrono::milliseconds delay = response.delay;
    const bool truncate = response.truncate;
    response = Route(request, path, params, base_url, now_ms);
    response.delay = delay;
    response.truncate = truncate;
  }
  if (options_.echo_credentials && response.status >= 400) EchoCredentials(request, response);
  ++stats_.by_status[response.status];
  return response;
}

std::optional<SfResponse> SfService::ApplyFault(const std::string& path, SfResponse& answer) {
  auto fault = std::find_if(faults_.begin(), faults_.end(), [&](const SfFault& f) {
    return path.compare(0, f.path_prefix.size(), f.path_prefix) == 0;
  });
  if (fault == faults_.end()) return std::nullopt;
  if (fault->skip > 0) {
    --fault->skip;
    return std::nullopt;
  }
  const SfFault applied = *fault;
  if (--fault->count <= 0) faults_.erase(fault);
  switch (applied.kind) {
    case SfFaultKind::kServerError: {
      if (server_errors_sent_++ % 2 == 0) {
        return ErrorArray(500, "UNKNOWN_EXCEPTION",
                          "An unexpected error occurred. Please include this ErrorId if you "
                          "contact support: 1939409157-31472 (-1284157371)");
      }
      SfResponse r;
      r.status = 503;
      r.content_type = "text/html";
      r.body =
          "<html><head><title>Service Unavailable</title></head><body><h1>Service "
          "Unavailable</h1><p>The server is temporarily unable to service your request.</p>"
          "</body></html>";
      return r;
    }
    case SfFaultKind::kUnavailableJsonArray:
      return ErrorArray(503, "SERVER_UNAVAILABLE", "Server is temporarily unavailable");
    case SfFaultKind::kSlow:
      answer.delay = std::chrono::milliseconds(applied.delay_ms);
      break;
    case SfFaultKind::kTruncated:
      answer.truncate = true;
      break;
    case SfFaultKind::kQueryTimeout:
      return ErrorArray(400, "QUERY_TIMEOUT", "Your query request was running for too long.");
  }
  return std::nullopt;
}

SfResponse SfService::Route(const SfRequest& request, const std::string& path,
                            const std::map<std::string, std::string>& params,
                            const std::string& base_url, int64_t now_ms) {
  if (path == "/services/oauth2/token") {
    if (request.method != "POST") return TokenError("invalid_request", "must use HTTP POST");
    return IssueToken(request.body, base_url, now_ms);
  }
  if (path == "/services/data" || path == "/services/data/") {
    // The versions list: no session needed, not counted against the limit.
    std::string body = "[";
    for (int v = VersionNumber(options_.api_version_min);
         v <= VersionNumber(options_.api_version_max); v += 10) {
      const std::string version = std::to_string(v / 10) + ".0";
      if (body.size() > 1) body += ",";
      body += R"({"label":"Simulated","url":"/services/data/v)" + version + R"(","version":")" +
              version + R"("})";
    }
    return Json(200, body + "]");
  }
  if (!path.starts_with(kDataPrefix)) return NotFound();

  // Everything under /services/data/vNN.N/ is the REST API proper: a session
  // is needed, the call counts, and the answer says how many have.
  constexpr std::string_view kBearer = "Bearer ";
  const std::string token = request.authorization.starts_with(kBearer)
                                ? request.authorization.substr(kBearer.size())
                                : "";
  auto session = sessions_.find(token);
  if (session != sessions_.end() && now_ms >= session->second.expires_at_ms) {
    EndSession(token);
    session = sessions_.end();
  }
  if (session == sessions_.end()) {
    return ErrorArray(401, "INVALID_SESSION_ID", "Session expired or invalid");
  }
  const int64_t limit =
      options_.daily_api_limit > 0 ? options_.daily_api_limit : kNominalDailyLimit;
  SfResponse r;
  if (options_.daily_api_limit > 0 && api_usage_ >= options_.daily_api_limit) {
    r = ErrorArray(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.");
  } else {
    ++api_usage_;
    const std::string rest = path.substr(kDataPrefix.size());
    const size_t slash = rest.find('/');
    const std::string version_part = rest.substr(0, slash);
    const std::string resource = slash == std::string::npos ? "" : rest.substr(slash + 1);
    const int version = version_part.starts_with("v") ? VersionNumber(version_part.substr(1)) : -1;
    if (version < 0 || version < VersionNumber(options_.api_version_min) ||
        version > VersionNumber(options_.api_version_max)) {
      r = NotFound();
    } else if (request.method != "GET" &&
               (resource.starts_with("query") || resource.starts_with("queryAll"))) {
      r = ErrorArray(405, "METHOD_NOT_ALLOWED",
                     "HTTP Method '" + request.method + "' not allowed. Allowed are GET,HEAD");
    } else if (resource == "query" || resource == "queryAll") {
      auto q = params.find("q");
      r = OpenQuery(version_part, resource == "queryAll", q == params.end() ? nullptr : &q->second,
                    token, request.query_options, now_ms);
    } else if (resource.starts_with("query/") || resource.starts_with("queryAll/")) {
      r = NextBatch(resource.substr(resource.find('/') + 1), token, now_ms);
    } else {
      r = NotFound();
    }
  }
  r.headers.emplace_back("Sforce-Limit-Info",
                         "api-usage=" + std::to_string(api_usage_) + "/" + std::to_string(limit));
  return r;
}

SfResponse SfService::IssueToken(const std::string& body, const std::string& base_url,
                                 int64_t now_ms) {
  std::map<std::string, std::string> form = ParseForm(body);
  if (form["grant_type"] != "refresh_token") {
    return TokenError("unsupported_grant_type", "grant type not supported");
  }
  if (form["client_id"] != options_.client_id) {
    return TokenError("invalid_client_id", "client identifier invalid");
  }
  if (!options_.client_secret.empty() && form["client_secret"] != options_.client_secret) {
    return TokenError("invalid_client", "invalid client credentials");
  }
  if (form["refresh_token"].empty() || form["refresh_token"] != refresh_token_) {
    return TokenError("invalid_grant", "expired access/refresh token");
  }
  const std::string old_refresh = refresh_token_;
  if (options_.rotate_refresh_token) {
    // The old refresh token and the session it opened end with the exchange.
    std::vector<std::string> ended;
    for (const auto& [access, session] : sessions_) {
      if (session.refresh_token == old_refresh) ended.push_back(access);
    }
    for (const std::string& access : ended) EndSession(access);
    refresh_token_ = "5Aep861" + RandomToken(80);
    stats_.refresh_tokens.push_back(refresh_token_);
  }
  const std::string access = org_.org_id().substr(0, 15) + "!AQ4AQ" + RandomToken(96);
  sessions_[access] = Session{refresh_token_, now_ms + options_.session_lifetime_ms};
  ++stats_.tokens_issued;
  stats_.access_tokens.push_back(access);

  const std::string issued_at = std::to_string(now_ms);
  const std::string id = base_url + "/id/" + org_.org_id() + "/" + org_.integration_user_id();
  // base64 HMAC-SHA256 of id + issued_at under the consumer secret.
  std::string digest;
  const std::string hex = HmacSha256Hex(options_.client_secret, id + issued_at);
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    digest += static_cast<char>(std::strtol(hex.substr(i, 2).c_str(), nullptr, 16));
  }
  const std::string instance = options_.instance_url.empty() ? base_url : options_.instance_url;
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("access_token");
  w.String(access.c_str());
  if (options_.rotate_refresh_token) {
    w.Key("refresh_token");
    w.String(refresh_token_.c_str());
  }
  w.Key("signature");
  w.String(Base64Encode(digest).c_str());
  w.Key("scope");
  w.String("refresh_token api");
  w.Key("instance_url");
  w.String(instance.c_str());
  w.Key("id");
  w.String(id.c_str());
  w.Key("token_type");
  w.String("Bearer");
  w.Key("issued_at");
  w.String(issued_at.c_str());
  w.EndObject();
  return Json(200, buf.GetString());
}

std::string SfService::RenderRecord(const SfRecord& record,
                                    const std::vector<const FieldDef*>& fields,
                                    const std::string& object, const std::string& version) const {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("attributes");
  w.StartObject();
  w.Key("type");
  w.String(object.c_str());
  w.Key("url");
  w.String(("/services/data/" + version + "/sobjects/" + object + "/" + record.id).c_str());
  w.EndObject();
  for (const FieldDef* field : fields) {
    w.Key(field->name.c_str());
    auto it = record.fields.find(field->name);
    const SfValue value = it == record.fields.end() ? SfValue() : it->second;
    if (IsNull(value)) {
      w.Null();
    } else if (const bool* b = std::get_if<bool>(&value)) {
      w.Bool(*b);
    } else if (const std::string* s = std::get_if<std::string>(&value)) {
      w.String(s->c_str(), static_cast<rapidjson::SizeType>(s->size()));
    } else if (field->type == FieldType::kDateTime) {
      w.String(FormatSfDateTime(static_cast<int64_t>(std::get<double>(value))).c_str());
    } else if (field->type == FieldType::kDate) {
      w.String(FormatSfDate(static_cast<int64_t>(std::get<double>(value))).c_str());
    } else {
      w.Double(std::get<double>(value));
    }
  }
  w.EndObject();
  return buf.GetString();
}

SfResponse SfService::OpenQuery(const std::string& version, bool all, const std::string* soql,
                                const std::string& access_token, const std::string& query_options,
                                int64_t now_ms) {
  if (soql == nullptr || soql->empty()) {
    return ErrorArray(400, "MALFORMED_QUERY", "A query string has to be specified");
  }
  std::variant<SoqlQuery, SoqlError> parsed = ParseSoql(*soql, org_);
  if (const SoqlError* error = std::get_if<SoqlError>(&parsed)) {
    return ErrorArray(400, error->code, error->message);
  }
  const SoqlQuery& query = std::get<SoqlQuery>(parsed);
  ++stats_.queries[query.object->name];
  const std::vector<const SfRecord*> rows = RunSoql(query, org_, now_ms, all, rng_);
  if (query.count) {
    return Json(200,
                R"({"totalSize":)" + std::to_string(rows.size()) + R"(,"done":true,"records":[]})");
  }
  Locator locator;
  locator.access_token = access_token;
  locator.api_version = version;
  locator.batch_size = std::min(BatchSize(query_options), std::max(1, options_.max_batch_size));
  locator.last_used_ms = now_ms;
  locator.opened = locators_opened_++;
  locator.rows.reserve(rows.size());
  for (const SfRecord* r : rows) {
    locator.rows.push_back(RenderRecord(*r, query.fields, query.object->name, version));
  }
  ExpireLocators(now_ms);
  if (options_.max_open_locators > 0 && rows.size() > static_cast<size_t>(locator.batch_size)) {
    // Past the per-user cap the oldest cursor is released.
    while (locators_.size() >= static_cast<size_t>(options_.max_open_locators)) {
      auto oldest = std::min_element(
          locators_.begin(), locators_.end(),
          [](const auto& a, const auto& b) { return a.second.opened < b.second.opened; });
      locators_.erase(oldest);
    }
  }
  // An 18-character id with the cursor key prefix.
  const std::string id = WithCaseSafeSuffix("01g" + RandomToken(12));
  return Batch(id, locator, 0, now_ms);
}

SfResponse SfService::Batch(const std::string& id, Locator& locator, size_t offset,
                            int64_t now_ms) {
  const size_t total = locator.rows.size();
  const size_t end = std::min(total, offset + static_cast<size_t>(locator.batch_size));
  std::string body = R"({"totalSize":)" + std::to_string(total) + R"(,"done":)" +
                     (end == total ? "true" : "false");
  if (end < total) {
    // queryAll's locators are also served under .../query/ (the REST guide's
    // QueryAll More Results).
    body += R"(,"nextRecordsUrl":"/services/data/)" + locator.api_version + "/query/" + id + "-" +
            std::to_string(end) + "\"";
  }
  body += R"(,"records":[)";
  for (size_t i = offset; i < end; ++i) {
    if (i > offset) body += ",";
    body += locator.rows[i];
  }
  body += "]}";
  stats_.rows_served += static_cast<int64_t>(end - offset);
  if (end < total) {
    locator.last_used_ms = now_ms;
    auto it = locators_.find(id);
    if (it == locators_.end()) locators_.emplace(id, std::move(locator));
  } else {
    locators_.erase(id);
  }
  return Json(200, std::move(body));
}

SfResponse SfService::NextBatch(const std::string& locator_and_offset,
                                const std::string& access_token, int64_t now_ms) {
  ExpireLocators(now_ms);
  const size_t dash = locator_and_offset.rfind('-');
  const std::string id = locator_and_offset.substr(0, dash);
  char* end = nullptr;
  const long long offset = dash == std::string::npos
                               ? -1
                               : std::strtoll(locator_and_offset.c_str() + dash + 1, &end, 10);
  auto it = locators_.find(id);
  if (dash == std::string::npos || end == nullptr || *end != '\0' || offset <= 0 ||
      it == locators_.end() || it->second.access_token != access_token ||
      static_cast<size_t>(offset) >= it->second.rows.size()) {
    return ErrorArray(400, "INVALID_QUERY_LOCATOR", "invalid query locator");
  }
  return Batch(id, it->second, static_cast<size_t>(offset), now_ms);
}

}  // namespace salesaudit::sim

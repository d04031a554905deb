#include "connectors/salesforce/salesforce_api.h"

#include <fcntl.h>
#include <rapidjson/document.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "connectors/classify.h"
#include "connectors/oauth.h"
#include "connectors/paging.h"
#include "core/encoding.h"
#include "core/json_reader.h"
#include "core/json_writer.h"
#include "core/secret_registry.h"

namespace salesaudit::salesforce {
namespace {

// A session is renewed this long before the configured lifetime ends, so a
// request never starts on a session about to lapse.
constexpr int64_t kSessionRenewMarginMs = 5 * 60 * 1000;
// The largest refresh-token file read: a token is under 200 bytes.
constexpr std::streamsize kMaxTokenFileBytes = 64 * 1024;

// "api-usage=18/5000" (used/allowed in the last 24 hours).
bool ParseApiUsage(std::string_view header, int64_t* used, int64_t* allowed) {
  constexpr std::string_view kPrefix = "api-usage=";
  const size_t at = header.find(kPrefix);
  if (at == std::string_view::npos) return false;
  std::string_view rest = header.substr(at + kPrefix.size());
  const size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return false;
  std::string_view second = rest.substr(slash + 1);
  second = second.substr(0, second.find_first_not_of("0123456789"));
  auto read = [](std::string_view digits, int64_t* out) {
    if (digits.empty() || digits.size() > 15) return false;
    return std::from_chars(digits.data(), digits.data() + digits.size(), *out).ec == std::errc();
  };
  return read(rest.substr(0, slash), used) && read(second, allowed);
}

// The file's token when it was rotated from `configured`; "" otherwise.
std::string ReadKeptRefreshToken(const std::string& path, const std::string& configured) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::string text(kMaxTokenFileBytes, '\0');
  in.read(text.data(), kMaxTokenFileBytes);
  text.resize(static_cast<size_t>(in.gcount()));
  rapidjson::Document doc;
  if (!ParseJson(text, &doc).ok() || !doc.IsObject()) return "";
  if (GetStringOrEmpty(doc, "rotated_from_sha256") != Sha256Hex(configured)) return "";
  return GetStringOrEmpty(doc, "refresh_token");
}

// Writes `text` to `path` through a temporary file in the same directory,
// created 0600 whatever the umask, synced, then renamed over `path`.
Status WriteFileAtomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  auto fail = [&](const char* what) {
    const std::string why = std::strerror(errno);
    ::unlink(tmp.c_str());
    return Status::Permanent(std::string(what) + " " + tmp + ": " + why);
  };
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return fail("cannot create");
  bool ok = ::fchmod(fd, 0600) == 0;
  size_t written = 0;
  while (ok && written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) written += static_cast<size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  if (::close(fd) != 0) ok = false;
  if (!ok) return fail("cannot write");
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail("cannot rename");
  const std::string dir = std::filesystem::path(path).parent_path().string();
  const int dir_fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  return Status::Ok();
}

std::string WithoutTrailingSlashes(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace

std::string RefreshTokenPath(const ConnectorConfig& config) {
  std::string name;
  for (char c : config.name) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '_';
    name += plain ? c : '_';
  }
  const std::string dir = config.state_dir.empty() ? "." : config.state_dir;
  return dir + "/salesforce-" + name + ".refresh-token";
}

SalesforceApi::SalesforceApi(const ConnectorConfig& c, HttpClient& h)
    : config(c),
      http(h),
      instance_url_(WithoutTrailingSlashes(c.base_url)),
      daily_(c, DailyAllowance::Unit::kRequests,
             "the org's daily API allowance (the last 24 hours' requests)") {
  auto login = config.auth.find("login_url");
  login_url_ =
      WithoutTrailingSlashes(login != config.auth.end() ? login->second : kDefaultLoginUrl);
  // A vendor may quote a credential back in an error; whichever config
  // these came from, they are redacted from every text that leaves. The
  // login URL is no secret and would blank every URL in the logs.
  for (const auto& [key, value] : config.auth) {
    if (key != "login_url") ProcessSecrets().Add(value);
  }
  auto configured = config.auth.find("refresh_token");
  if (configured != config.auth.end()) {
    refresh_token_ = configured->second;
    std::string kept = ReadKeptRefreshToken(RefreshTokenPath(config), configured->second);
    if (!kept.empty()) {
      refresh_token_ = std::move(kept);
      ProcessSecrets().Replace(Context("oauth refresh token"), refresh_token_);
    }
  }
}

std::string SalesforceApi::Context(const std::string& stream) const {
  return "salesforce[" + config.name + "]: " + stream;
}

std::vector<std::string> SalesforceApi::TakeWarnings() { return std::exchange(warnings_, {}); }

Status SalesforceApi::EnsureSession(const std::string& stream, bool force) {
  const int64_t now = http.clock().NowMs();
  if (!force && !access_token_.empty() && now < session_renew_at_ms_) return Status::Ok();
  std::string form =
      "grant_type=refresh_token&client_id=" + UrlEncode(config.auth.at("client_id")) +
      "&refresh_token=" + UrlEncode(refresh_token_);
  // The secret is optional for connected apps that do not require it.
  if (auto secret = config.auth.find("client_secret"); secret != config.auth.end()) {
    form += "&client_secret=" + UrlEncode(secret->second);
  }
  auto answer = RequestOAuthToken(http, login_url_ + "/services/oauth2/token", form,
                                  "salesforce[" + config.name + "]", stream);
  if (!answer.ok()) return answer.status();
  access_token_ = std::move(answer->access_token);
  const rapidjson::Value& doc = *answer->doc;
  const std::string where = Context(stream) + ": oauth token refresh";
  if (instance_url_.empty() || config.base_url.empty()) {
    const std::string instance = GetStringOrEmpty(doc, "instance_url");
    if (instance.rfind("https://", 0) != 0 && instance.rfind("http://", 0) != 0) {
      return Status::Permanent(where + ": response names no instance_url to call");
    }
    instance_url_ = WithoutTrailingSlashes(instance);
  }
  // issued_at is Salesforce's clock; ours decides, unless theirs says the
  // session started earlier (their clock behind ours).
  int64_t started = now;
  const std::string issued_at = GetStringOrEmpty(doc, "issued_at");
  int64_t issued = 0;
  if (std::from_chars(issued_at.data(), issued_at.data() + issued_at.size(), issued).ec ==
          std::errc() &&
      issued > 0) {
    started = std::min(started, issued);
  }
  const int64_t lifetime = config.options.Duration(kSessionLifetimeOption).count();
  session_renew_at_ms_ =
      started + std::max<int64_t>(lifetime - kSessionRenewMarginMs, lifetime / 2);
  if (!answer->refresh_token.empty() && answer->refresh_token != refresh_token_) {
    KeepRotatedRefreshToken(answer->refresh_token);
  }
  return Status::Ok();
}

void SalesforceApi::KeepRotatedRefreshToken(const std::string& token) {
  refresh_token_ = token;
  JsonWriter w;
  w.StartObject();
  w.Key("rotated_from_sha256");
  w.String(Sha256Hex(config.auth.at("refresh_token")).c_str());
  w.Key("refresh_token");
  w.String(token.c_str());
  w.EndObject();
  const std::string path = RefreshTokenPath(config);
  if (Status s = WriteFileAtomically(path, w.TakeString()); !s.ok()) {
    warnings_.push_back("oauth: the org rotated the refresh token and it could not be kept (" +
                        s.message() +
                        "); a restart will need a new authorisation unless the file can be "
                        "written");
  }
}

void SalesforceApi::ReadApiUsage(const HttpResponse& response) {
  int64_t used = 0;
  int64_t allowed = 0;
  if (ParseApiUsage(response.Header("sforce-limit-info"), &used, &allowed)) {
    daily_.Update(used, allowed);
  }
}

Result<HttpResponse> SalesforceApi::Get(const std::string& stream,
                                        const std::string& path_and_query) {
  const std::string context = Context(stream);
  if (Status s = daily_.Check(context); !s.ok()) return s;
  if (Status s = EnsureSession(stream, /*force=*/false); !s.ok()) return s;
  HttpRequest request{.url = instance_url_ + path_and_query};
  request.headers.emplace_back("Accept", "application/json");
  request.headers.emplace_back("Sforce-Query-Options", "batchSize=" + std::to_string(kBatchSize));
  request.headers.emplace_back("Authorization", "Bearer " + access_token_);
  auto response = http.Send(request);
  if (response.ok() && response->status == 401) {
    // The session ended early (an admin's revocation, a rotation, the
    // org's timeout): one new session, then the same request again.
    if (Status s = EnsureSession(stream, /*force=*/true); !s.ok()) return s;
    request.headers.back().second = "Bearer " + access_token_;
    response = http.Send(request);
  }
  if (!response.ok()) return response.status().WithContext(context);
  ReadApiUsage(*response);
  return response;
}

Result<QueryBatch> SalesforceApi::ReadBatch(const std::string& context, const HttpRequest& request,
                                            HttpResponse& response) {
  Status status = ClassifyHttpResponse(request, response, context);
  if (!status.ok()) {
    // Salesforce says "daily limit" with a 403, not a 429: waiting seconds
    // does not lift it.
    if (VendorErrorCode(response) == "REQUEST_LIMIT_EXCEEDED") {
      return Status::QuotaExhausted(status.message() +
                                    " (the org's API allowance: syncing resumes when it frees up)");
    }
    return status;
  }
  QueryBatch batch;
  batch.body = std::make_unique<std::string>(std::move(response.body));
  batch.doc = std::make_unique<rapidjson::Document>();
  const std::string where = context + ": " + request.method + " " + UrlPath(request.url);
  if (Status s = ParseJsonInPlace(*batch.body, batch.doc.get()); !s.ok()) {
    return s.WithContext(where);
  }
  const rapidjson::Value& doc = *batch.doc;
  batch.records = doc.IsObject() ? GetArray(doc, "records") : nullptr;
  const std::optional<bool> done = doc.IsObject() ? GetBool(doc, "done") : std::nullopt;
  if (batch.records == nullptr || !done) {
    return Status::DataLoss(where + ": answer without `records` and `done`; not a query result");
  }
  if (!*done) {
    const rapidjson::Value* next = GetMember(doc, "nextRecordsUrl");
    if (next == nullptr || !next->IsString()) {
      return Status::DataLoss(where + ": `done` is false but nextRecordsUrl is missing");
    }
    batch.next_records_url = next->GetString();
    if (Status s = CheckPagingToken(batch.next_records_url, where); !s.ok()) return s;
    if (batch.next_records_url.rfind("/services/data/", 0) != 0) {
      return Status::DataLoss(where + ": nextRecordsUrl is not a path of this API; not followed");
    }
  }
  return batch;
}

Result<QueryBatch> SalesforceApi::Query(const std::string& stream, const std::string& soql,
                                        bool all) {
  const std::string path = std::string("/services/data/") + kApiVersion +
                           (all ? "/queryAll" : "/query") + "?q=" + UrlEncode(soql);
  auto response = Get(stream, path);
  if (!response.ok()) return response.status();
  HttpRequest shown{.url = instance_url_ + path};
  return ReadBatch(Context(stream), shown, *response);
}

Result<std::optional<QueryBatch>> SalesforceApi::More(const std::string& stream,
                                                      const std::string& next_records_url) {
  auto response = Get(stream, next_records_url);
  if (!response.ok()) return response.status();
  // A locator lives and dies with its session (and expires when idle).
  if (VendorErrorCode(*response) == "INVALID_QUERY_LOCATOR") {
    return std::optional<QueryBatch>();
  }
  HttpRequest shown{.url = instance_url_ + next_records_url};
  auto batch = ReadBatch(Context(stream), shown, *response);
  if (!batch.ok()) return batch.status();
  return std::optional<QueryBatch>(std::move(*batch));
}

}  // namespace salesaudit::salesforce
